"""Move each existing document's file into a content-addressed blob + version 1 (files stay where
they are; only new blobs use the ``blobs/`` layout)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Blob = apps.get_model("documents", "Blob")
    Document = apps.get_model("documents", "Document")
    Version = apps.get_model("documents", "DocumentVersion")
    for doc in Document.objects.filter(current__isnull=True).exclude(sha256="").iterator():
        blob, _ = Blob.objects.get_or_create(
            sha256=doc.sha256, defaults={"size": doc.size, "content_type": doc.content_type, "file": doc.file.name}
        )
        version = Version.objects.create(
            document=doc, number=1, blob=blob, name=doc.name, created_by_id=doc.uploaded_by_id
        )
        doc.current = version
        doc.ocr_status = "pending"
        doc.save(update_fields=["current", "ocr_status"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_store")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
