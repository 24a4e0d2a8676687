"""``manage.py backup`` / ``restore``: database + media at one point, restored into a brand-new empty
database and an empty media folder, with the dossier, its events and the file bytes identical."""

import io
import json
import tarfile
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, connections

from motcua.common.backup import MANIFEST
from motcua.documents.models import Blob, Document
from motcua.documents.services import checked_bytes
from motcua.dossiers.models import Dossier, Event
from tests.api.conftest import receive, result_document
from tests.documents.test_store import upload
from tests.resilience.conftest import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SCAN = pdf_bytes("scanned birth certificate")


@pytest.fixture
def fresh_database(tmp_path):
    """A brand-new empty database as connection alias "restored" (PostgreSQL: CREATE DATABASE a fresh name,
    dropped afterwards; SQLite: a new file)."""
    alias = "restored"
    settings = dict(connection.settings_dict)
    created = None
    if connection.vendor == "postgresql":
        created = f"motcua_restore_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{created}"')
        settings["NAME"] = created
    else:
        settings["NAME"] = str(tmp_path / "restored.sqlite3")
        settings["TEST"] = {**settings.get("TEST", {}), "NAME": settings["NAME"]}
    # A connection made here, outside the configured aliases (Django's test case allows such dynamically
    # created connections; it refuses configured aliases a test did not declare).
    connections.settings[alias] = settings
    try:
        connections[alias] = connections.create_connection(alias)
    finally:
        del connections.settings[alias]
    yield alias
    connections[alias].close()
    del connections[alias]
    if created:
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def _dossier_with_files(users):
    d = receive(users)
    from motcua.documents import services

    doc = services.attach(d, "TP02", upload(SCAN, "giay-chung-sinh.pdf"), user=users["motcua.xa"])
    result = result_document(d)
    return d, doc, result


def _snapshot(using: str, code: str) -> dict:
    d = Dossier.objects.using(using).get(code=code)
    row = {f.attname: getattr(d, f.attname) for f in Dossier._meta.concrete_fields}
    events = list(Event.objects.using(using).filter(dossier__code=code).order_by("id").values())
    docs = list(
        Document.objects.using(using)
        .filter(dossier__code=code)
        .order_by("id")
        .values("id", "title", "kind", "current__blob__sha256", "current__blob__file", "current__blob__size")
    )
    return {"dossier": row, "events": events, "documents": docs}


def test_backup_restore_into_an_empty_database_and_media(users, tmp_path, settings, fresh_database):
    d, doc, result = _dossier_with_files(users)
    before = _snapshot("default", d.code)
    assert len(before["documents"]) == 2 and before["events"]
    blobs = {b.file.name: b.file.open("rb").read() for b in Blob.objects.all()}
    assert SCAN in blobs.values()

    archive = tmp_path / "motcua-backup.tar"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "Đã sao lưu" in out.getvalue()
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(f"./{MANIFEST}"))
    assert manifest["vendor"] == connection.vendor and manifest["counts"]["dossiers.Dossier"] == 1
    assert manifest["migrations"]["dossiers"].startswith("00")
    assert {f"media/{name}" for name in blobs} <= set(manifest["files"])

    # Restore into the brand-new database and an empty media folder.
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    assert not default_storage.exists(doc.blob.file.name)
    out = io.StringIO()
    call_command("restore", str(archive), database=fresh_database, stdout=out)
    assert "Đã khôi phục" in out.getvalue() and "dossiers.Dossier: 1" in out.getvalue()

    after = _snapshot(fresh_database, d.code)
    assert after == before
    for name, data in blobs.items():
        with default_storage.open(name, "rb") as f:
            assert f.read() == data
    restored_doc = Document.objects.using(fresh_database).select_related("current__blob").get(pk=doc.pk)
    with default_storage.open(restored_doc.current.blob.file.name, "rb") as f:
        assert checked_bytes(f.read(), "x.pdf").sha256 == doc.blob.sha256

    # Again into the now non-empty database: refused without --force, accepted with it.
    with pytest.raises(CommandError, match="không rỗng"):
        call_command("restore", str(archive), database=fresh_database, stdout=io.StringIO())
    call_command("restore", str(archive), database=fresh_database, force=True, stdout=io.StringIO())
    assert _snapshot(fresh_database, d.code) == before


def test_a_corrupt_backup_is_refused_before_anything_is_touched(users, tmp_path, settings, fresh_database):
    _dossier_with_files(users)
    folder = tmp_path / "backup-dir"
    call_command("backup", str(folder), stdout=io.StringIO())
    blob = next((folder / "media" / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(blob.read_bytes() + b"tampered")
    settings.MEDIA_ROOT = tmp_path / "empty-media"
    with pytest.raises(CommandError, match="sai mã kiểm tra"):
        call_command("restore", str(folder), database=fresh_database, stdout=io.StringIO())
    with connections[fresh_database].cursor() as cur:
        assert connections[fresh_database].introspection.table_names(cur) == []
    assert not (tmp_path / "empty-media").exists()
    with pytest.raises(CommandError, match="đã tồn tại"):
        call_command("backup", str(folder), stdout=io.StringIO())
