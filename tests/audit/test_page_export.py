"""The staff audit page (access, filters, keyset pages, CSV) and ``manage.py export_audit``."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from motcua.audit import chain
from motcua.audit.models import AuditEntry, DataAccess, Kind
from motcua.audit.services import log_access
from motcua.org.services import sync_roles

URL = "/can-bo/kiem-toan/"


class Obj:
    def __init__(self, code, owner):
        self.code, self.owner_id_number = code, owner


@pytest.fixture
def inspector(users):
    sync_roles()  # the role's groups carry the new permission
    client = Client()
    client.force_login(users["thanhtra"])
    return client


def test_only_inspectors_and_the_province_office_see_it(users, inspector):
    assert Client().get(URL).status_code == 302
    officer = Client()
    officer.force_login(users["motcua.xa"])
    assert officer.get(URL).status_code == 403
    assert inspector.get(URL).status_code == 200


def test_filters_keyset_pages_and_the_view_is_logged(users, inspector):
    for i in range(130):
        log_access(user=users["chuyenvien.xa"], objects=[Obj(f"HS{i}", "001085012345")], object_type="dossier")
    log_access(user=users["chuyenvien.xa"], objects=[Obj("HSX", "001099000001")], object_type="dossier")
    r = inspector.get(URL, {"dinh_danh": "001085012345", "loai": "read"})
    assert r.status_code == 200
    rows = r.context["rows"]
    assert len(rows) == 100 and all(x.subject_id_number == "001085012345" for x in rows)
    r2 = inspector.get(URL, {"dinh_danh": "001085012345", "loai": "read", "truoc": r.context["next_cursor"]})
    assert len(r2.context["rows"]) == 30 and r2.context["next_cursor"] is None
    assert not {x.id for x in rows} & {x.id for x in r2.context["rows"]}
    # Looking at a citizen's trail is itself logged, under that citizen.
    seen = AuditEntry.objects.filter(object_type="audit_log", user=users["thanhtra"], kind=Kind.READ)
    assert seen.count() == 2 and seen.first().subject_id_number == "001085012345"
    assert DataAccess.objects.filter(object_type="audit_log", subject_id_number="001085012345").exists()


def test_bad_filters_are_a_vietnamese_400(inspector):
    r = inspector.get(URL, {"tu": "2026-13-45"})
    assert r.status_code == 400 and "dd/mm/yyyy" in r.content.decode()
    r = inspector.get(URL, {"tu": "10/03/2026", "den": "01/03/2026"})
    assert r.status_code == 400 and "Đến ngày phải sau Từ ngày" in r.content.decode()


def test_csv_download_is_logged(users, inspector):
    log_access(user=users["chuyenvien.xa"], objects=[Obj("HS1", "001085012345")], object_type="dossier")
    r = inspector.get(URL, {"ho_so": "", "dinh_danh": "001085012345", "xuat": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "Số chuỗi" and "001085012345" in table[1] and table[1][3] == "read"
    assert len(table) == 3 and table[2][3] == "export"  # the download itself, logged before streaming
    assert AuditEntry.objects.filter(kind=Kind.EXPORT, object_type="audit_log", user=users["thanhtra"]).exists()


def test_export_command_jsonl_is_verifiable_by_a_third_party(users, tmp_path, settings):
    log_access(user=users["chuyenvien.xa"], objects=[Obj("HS1", "001085012345")], object_type="dossier")
    log_access(objects=[Obj("HS2", "001085012346")], object_type="dossier", action="print")
    chain.seal()
    out = tmp_path / "audit.jsonl"
    call_command("export_audit", "--from", "01/01/2020", "--to", "31/12/2099", "--format", "jsonl", "-o", str(out))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    sealed = [x for x in lines if x["seq"] is not None]
    assert len(sealed) >= 2 and {"seq", "hash", "prev_hash", "roles", "agencies"} <= set(sealed[0])
    # Recompute each exported row's hash from the export alone (with the key).
    import datetime as dt

    key = chain.key()
    for x in sealed:
        row = AuditEntry.objects.filter(seq=x["seq"]).values_list(*chain.FIELDS).get()
        assert chain.row_hash(key, x["prev_hash"], x["seq"], row) == x["hash"]
        values = [x[f if f != "user_id" else "user"] for f in chain.FIELDS]
        values[chain.FIELDS.index("user_id")] = row[chain.FIELDS.index("user_id")]  # export names the user
        values[1] = dt.datetime.strptime(x["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        assert chain.row_hash(key, x["prev_hash"], x["seq"], values) == x["hash"]
    # The export is audited.
    assert AuditEntry.objects.filter(kind=Kind.EXPORT, object_type="audit_log").exists()
    csv_out = tmp_path / "audit.csv"
    call_command("export_audit", "--format", "csv", "-o", str(csv_out))
    assert csv_out.read_text(encoding="utf-8-sig").startswith("Số chuỗi,")
