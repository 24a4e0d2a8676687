"""Full-text index of documents: GIN on PostgreSQL, an FTS5 table on SQLite (see documents.search)."""

from django.db import migrations

PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS doc_search_gin ON documents_document "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INDEX)
    elif vendor == "sqlite":
        schema_editor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(body, tokenize='unicode61')")
        schema_editor.execute(
            "INSERT INTO documents_fts (rowid, body) SELECT id, search_text FROM documents_document"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS doc_search_gin")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS documents_fts")


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_drop_inline_file")]
    operations = [migrations.RunPython(forwards, backwards)]
