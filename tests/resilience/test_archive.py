"""Archive export of closed dossiers (metadata + files + checksums, keyset batches, access-checked,
archived_at set and logged in one transaction) and retention periods per procedure (disposal list only)."""

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from motcua.audit.models import DataAccess
from motcua.catalog.models import Procedure
from motcua.documents import services as documents
from motcua.dossiers import archive
from motcua.dossiers.models import Dossier
from tests.api.conftest import act, receive, result_document
from tests.documents.test_store import upload
from tests.resilience.conftest import pdf_bytes

SCAN = pdf_bytes("archived scan")
TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")


def closed_set(users):
    a, b, still_open = receive(users), receive(users), receive(users)
    documents.attach(a, "TP02", upload(SCAN, "giay chung sinh.pdf"), user=users["motcua.xa"])
    result_document(a)
    act(users, a, "withdraw", "motcua.xa")
    act(users, b, "withdraw", "motcua.xa")
    return Dossier.objects.get(pk=a.pk), Dossier.objects.get(pk=b.pk), still_open


def test_export_closed_dossiers_with_metadata_files_and_checksums(users, stranger, tmp_path, monkeypatch):
    a, b, still_open = closed_set(users)
    assert a.state == "withdrawn" and a.closed_at and still_open.closed_at is None
    monkeypatch.setattr(archive, "BATCH", 1)  # several keyset batches

    # Another commune's officer sees none of them: an empty archive, nothing marked.
    out = io.StringIO()
    call_command(
        "export_archive", user="motcua.khac", closed_before=TOMORROW, out=str(tmp_path / "khac.zip"), stdout=out
    )
    assert "Đã nộp lưu 0 hồ sơ" in out.getvalue()
    assert not Dossier.objects.filter(archived_at__isnull=False).exists()

    path = tmp_path / "nop-luu.zip"
    out = io.StringIO()
    call_command("export_archive", user="motcua.xa", closed_before=TOMORROW, out=str(path), stdout=out)
    assert "Đã nộp lưu 2 hồ sơ, 2 tệp" in out.getvalue()

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        summary = json.loads(zf.read("manifest.json"))
        lines = zf.read("manifest.jsonl")
        assert hashlib.sha256(lines).hexdigest() == summary["manifest_jsonl_sha256"]
        entries = [json.loads(x) for x in lines.decode().splitlines()]
        assert {e["path"] for e in entries} | {"manifest.json", "manifest.jsonl"} == names
        for e in entries:  # every file's checksum is right
            assert hashlib.sha256(zf.read(e["path"])).hexdigest() == e["sha256"]
        meta = json.loads(zf.read(f"dossiers/{a.code}/metadata.json"))
        scan = next(f for f in meta["documents"] if f["kind"] == "component")
        assert zf.read(scan["path"]) == SCAN
        assert any(f["kind"] == "result" for f in meta["documents"])
    assert summary["dossiers"] == 2 and summary["created_by"] == "motcua.xa"
    assert still_open.code not in {e["path"].split("/")[1] for e in entries}
    assert meta["dossier"]["code"] == a.code and meta["dossier"]["state"] == "withdrawn"
    assert meta["dossier"]["procedure_code"] == "1.001193" and meta["components"] and meta["steps"]
    assert [e["action"] for e in meta["events"]][-1] == "withdraw"
    assert meta["retention"] == {"years": 0, "permanent": True, "dispose_after": None}  # civil status

    a.refresh_from_db()
    assert a.archived_at is not None and Dossier.objects.filter(archived_at__isnull=False).count() == 2
    logged = DataAccess.objects.filter(action="export", dossier_code__in=[a.code, b.code])
    assert logged.count() == 2 and all("nop-luu.zip" in x.purpose for x in logged)

    # A second run exports nothing new; an existing file and a bad date are refused in Vietnamese.
    out = io.StringIO()
    call_command("export_archive", user="motcua.xa", closed_before=TOMORROW, out=str(tmp_path / "2.zip"), stdout=out)
    assert "Đã nộp lưu 0 hồ sơ" in out.getvalue()
    with pytest.raises(CommandError, match="đã tồn tại"):
        call_command("export_archive", user="motcua.xa", closed_before=TOMORROW, out=str(path))
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        call_command("export_archive", user="motcua.xa", closed_before="2026-11-25", out=str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_retention_per_procedure_lists_expired_dossiers_and_deletes_nothing(users, tmp_path):
    a, b, _ = closed_set(users)
    archive.export(
        users["motcua.xa"], closed_before=timezone.localdate() + dt.timedelta(days=1), out=tmp_path / "a.zip"
    )
    birth = Procedure.objects.get(code="1.001193")
    assert birth.retention_years is None and archive.retention_years(birth, "HO_TICH") == 0  # permanent
    assert list(archive.disposal_candidates(users["motcua.xa"])) == []

    birth.retention_years = 2
    birth.save()
    Dossier.objects.filter(pk=a.pk).update(closed_at=timezone.now() - dt.timedelta(days=3 * 365))
    out, err = io.StringIO(), io.StringIO()
    call_command("export_archive", user="motcua.xa", list_expired=True, stdout=out, stderr=err)
    rows = out.getvalue().splitlines()
    assert rows[0].startswith("ma_ho_so") and len(rows) == 2 and rows[1].startswith(a.code)
    assert "không tự động hủy" in err.getvalue()
    assert Dossier.objects.filter(pk__in=[a.pk, b.pk]).count() == 2  # nothing deleted
    assert archive.dispose_after(dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC), 1) == dt.date(2025, 2, 28)
