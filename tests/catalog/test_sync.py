"""Catalog sync from the national procedure database: diff, local enrichments, apply, page, command."""

import copy
import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from flask import Flask, jsonify, request

from motcua.backoffice.catalog_sync import SESSION_KEY
from motcua.catalog import sync
from motcua.catalog.interchange import FORMAT, export_xlsx, parse_json
from motcua.catalog.models import Component, ProcedureVersion
from motcua.common.management.commands.load_demo import FIXTURE
from simulators.common import DEFAULT_API_KEY, serve_in_thread

BIRTH = "1.001193"  # form_schema; TP01 eform, TP04 population, TP06 reuse_from
PASSPORT = "2.002147"  # pay_before_processing
NEW_CODE = "1.099001"


@pytest.fixture
def national(province):
    """The demo catalog as the national database would send it (a fresh copy; mutate freely)."""
    return parse_json(FIXTURE.read_bytes())


def _proc(items, code):
    return next(p for p in items if p["code"] == code)


def _by_code(changes):
    return {c.code: c for c in changes}


def _as_national(p):
    """Strip what only our province adds (the national database does not hold it)."""
    p.pop("form_schema", None)
    p.pop("pay_before_processing", None)
    for c in p["components"]:
        c.pop("reuse_from", None)
        c.pop("data_source", None)
    return p


def _modified(national, procedure_data):
    """Demo catalog with one changed procedure, one new, one left out."""
    birth = _proc(national, BIRTH)
    birth["time_limit_days"] = 5
    birth["online_level"] = "partial"
    comps = {c["code"]: c for c in birth["components"]}
    comps["TP02"]["name"] = "Giấy chứng sinh"
    birth["components"] = [c for c in birth["components"] if c["code"] != "TP03"]
    birth["components"].append({"code": "TP09", "name": "Văn bản ủy quyền", "required": False})
    birth["results"].append({"code": "KQ09", "name": "Bản sao trích lục khai sinh"})
    birth["fees"] = [{"kind": "charge", "name": "Lệ phí đăng ký khai sinh", "amount": 10000}]
    birth["steps"][1]["budget_days"] = 2.5
    procedure_data.update(code=NEW_CODE, name="Thủ tục mới của CSDL quốc gia", effective_from="2025-01-01")
    left_out = national.pop()
    return [*national, procedure_data], left_out["code"]


# --- Diff ----------------------------------------------------------------------------------------


def test_demo_catalog_against_itself_is_unchanged(national):
    changes = sync.diff(national)
    assert {c.kind for c in changes} == {sync.UNCHANGED}
    assert len(changes) == len(national)


def test_diff_kinds_and_details(national, procedure_data):
    incoming, left_out = _modified(national, procedure_data)
    changes = _by_code(sync.diff(incoming))
    kinds = {kind: sorted(c.code for c in changes.values() if c.kind == kind) for kind in sync.KIND_LABELS}
    assert kinds[sync.NEW] == [NEW_CODE]
    assert kinds[sync.CHANGED] == [BIRTH]
    assert kinds[sync.MISSING] == [left_out]
    assert len(kinds[sync.UNCHANGED]) == len(incoming) - 2

    details = changes[BIRTH].details
    assert "Thời hạn giải quyết: 3 ngày làm việc → 5 ngày làm việc" in details
    assert "Mức độ trực tuyến: Toàn trình → Một phần" in details
    assert any(d.startswith("Đổi tên thành phần hồ sơ TP02: «Giấy chứng sinh (hoặc") for d in details)
    assert "Thêm thành phần hồ sơ TP09 – Văn bản ủy quyền" in details
    assert any(d.startswith("Bỏ thành phần hồ sơ TP03 – Biên bản") for d in details)
    assert "Thêm kết quả KQ09 – Bản sao trích lục khai sinh" in details
    assert "Lệ phí «Lệ phí đăng ký khai sinh»: 8.000 đồng → 10.000 đồng" in details
    assert "Lệ phí «Lệ phí đăng ký khai sinh»: thay đổi miễn, giảm" in details
    assert "Bước 2: thời gian 1,5 ngày làm việc → 2,5 ngày làm việc" in details
    assert changes[BIRTH].applicable and changes[NEW_CODE].applicable
    assert not changes[left_out].applicable and changes[left_out].name


def test_invalid_incoming_is_reported_and_cannot_be_applied(national, procedure_data):
    birth = _proc(national, BIRTH)
    birth["online_level"] = "sometimes"
    birth["steps"][0]["budget_days"] = 0.3
    procedure_data.update(code=NEW_CODE, levels=["galaxy"])
    national.append(procedure_data)
    changes = _by_code(sync.diff(national))
    assert not changes[BIRTH].applicable and not changes[NEW_CODE].applicable
    assert any("Mức độ trực tuyến không hợp lệ: 'sometimes'" in e for e in changes[BIRTH].errors)
    assert any("bội số của 0,5" in e for e in changes[BIRTH].errors)
    assert any("Cấp thực hiện không hợp lệ: 'galaxy'" in e for e in changes[NEW_CODE].errors)

    count = ProcedureVersion.objects.count()
    with pytest.raises(sync.SyncError) as exc:
        sync.apply(national, [BIRTH, PASSPORT], user=None)
    assert exc.value.errors[0] == f"Thủ tục {BIRTH} có lỗi, không thể áp dụng:"
    with pytest.raises(sync.SyncError, match="không có trong dữ liệu đồng bộ"):
        sync.apply(national, ["9.999999"], user=None)
    assert ProcedureVersion.objects.count() == count


def test_duplicate_codes_in_the_source_are_invalid(national):
    national.append(copy.deepcopy(_proc(national, BIRTH)))
    change = _by_code(sync.diff(national))[BIRTH]
    assert any("xuất hiện 2 lần" in e for e in change.errors)


# --- Local enrichments and apply ----------------------------------------------------------------


def test_national_data_without_local_keys_is_unchanged(national):
    for p in national:
        _as_national(p)
        p["steps"] = []  # the internal process is the province's
        p["agencies"] = []
    assert {c.kind for c in sync.diff(national)} == {sync.UNCHANGED}


def test_local_enrichments_are_kept_on_apply(national):
    birth = _as_national(_proc(national, BIRTH))
    birth["name"] = "Đăng ký khai sinh (sửa đổi)"
    old = ProcedureVersion.objects.get(procedure__code=BIRTH)
    tp01 = old.components.get(code="TP01")
    tp01.template_file.save("to-khai.pdf", io.BytesIO(b"%PDF-1.4"), save=True)
    change = _by_code(sync.diff(national))[BIRTH]
    assert change.kind == sync.CHANGED
    assert change.details == ["Tên thủ tục: «Đăng ký khai sinh» → «Đăng ký khai sinh (sửa đổi)»"]
    assert "biểu mẫu điện tử" in change.kept and "khai thác từ CSDL (TP04)" in change.kept

    (new,) = sync.apply(national, [BIRTH], user=None)
    assert new.name == "Đăng ký khai sinh (sửa đổi)"
    assert new.form_schema == old.form_schema and new.form_schema
    comps = {c.code: c for c in new.components.all()}
    assert comps["TP01"].data_source == "eform" and comps["TP04"].data_source == "population"
    assert comps["TP06"].reuse_from == ["1.000894:KQ01"]
    assert comps["TP01"].template_file.name == tp01.template_file.name


def test_apply_creates_new_version_closes_previous_and_is_idempotent(national, procedure_data):
    incoming, _ = _modified(national, procedure_data)
    today = timezone.localdate()
    created = sync.apply(incoming, [BIRTH, NEW_CODE], user=None)
    assert [(v.procedure.code, v.number) for v in created] == [(BIRTH, 2), (NEW_CODE, 1)]
    birth, new = created
    # The national date (01/07/2025) is past: the new version starts tomorrow, the old one ends today.
    assert birth.effective_from == today + dt.timedelta(days=1)
    assert birth.time_limit_days == 5 and birth.online_level == "partial"
    assert [c.code for c in birth.components.all()] == ["TP01", "TP02", "TP04", "TP05", "TP06", "TP09"]
    old = ProcedureVersion.objects.get(procedure__code=BIRTH, number=1)
    assert old.effective_until == today
    assert ProcedureVersion.objects.in_force(today).get(procedure__code=BIRTH).number == 1
    assert ProcedureVersion.objects.in_force(birth.effective_from).get(procedure__code=BIRTH).number == 2
    # A new procedure keeps the national effective date.
    assert new.effective_from == dt.date(2025, 1, 1)

    count = ProcedureVersion.objects.count()
    assert sync.apply(incoming, [BIRTH, NEW_CODE], user=None) == []
    assert ProcedureVersion.objects.count() == count
    changes = _by_code(sync.diff(incoming))
    assert changes[BIRTH].kind == changes[NEW_CODE].kind == sync.UNCHANGED


def test_future_national_date_is_kept_and_explicit_date_checked(national):
    birth = _proc(national, BIRTH)
    birth["time_limit_days"] = 4
    later = timezone.localdate() + dt.timedelta(days=30)
    birth["effective_from"] = later.isoformat()
    with pytest.raises(sync.SyncError, match="đã qua"):
        sync.apply(national, [BIRTH], user=None, effective_from=timezone.localdate() - dt.timedelta(days=1))
    (v,) = sync.apply(national, [BIRTH], user=None)
    assert v.effective_from == later


def test_withdrawn_procedure_keeps_its_end_and_is_not_listed_missing(national):
    ended = timezone.localdate() - dt.timedelta(days=10)
    ProcedureVersion.objects.filter(procedure__code=PASSPORT).update(effective_until=ended)
    national.remove(_proc(national, PASSPORT))
    assert PASSPORT not in {c.code for c in sync.diff(national) if c.kind == sync.MISSING}
    back = _as_national(_proc(parse_json(FIXTURE.read_bytes()), PASSPORT))
    back["time_limit_days"] = 10
    (v,) = sync.apply([*national, back], [PASSPORT], user=None)
    assert v.number == 2 and v.pay_before_processing
    assert ProcedureVersion.objects.get(procedure__code=PASSPORT, number=1).effective_until == ended


def test_xlsx_export_of_our_catalog_is_unchanged(province):
    raw = export_xlsx(ProcedureVersion.objects.in_force())
    incoming = sync.from_file(raw, "danh-muc.xlsx")
    assert {c.kind for c in sync.diff(incoming)} == {sync.UNCHANGED}
    with pytest.raises(sync.SyncError, match="Chỉ nhận tệp"):
        sync.from_file(b"x", "danh-muc.csv")


# --- Network fetch (a tiny stub of the national database) -----------------------------------------


@pytest.fixture
def national_db(national, settings):
    """A stub national database serving ``state["procedures"]`` on a free port; settings point at it."""
    state = {"procedures": national}
    app = Flask(__name__)

    @app.get("/api/v1/procedures")
    def procedures():
        if request.headers.get("Authorization") != f"Bearer {DEFAULT_API_KEY}":
            return jsonify({"error": "unauthorized", "message": "Sai khóa"}), 401
        return jsonify({"format": FORMAT, "procedures": state["procedures"]})

    url, stop = serve_in_thread(app, "127.0.0.1", 0)
    settings.NATIONAL_CATALOG_URL = url
    state["url"] = url
    yield state
    stop()


def test_fetch_from_the_national_database(national_db, settings, procedure_data):
    incoming, _ = _modified(national_db["procedures"], procedure_data)
    national_db["procedures"] = incoming
    fetched = sync.fetch()
    assert _by_code(sync.diff(fetched))[BIRTH].kind == sync.CHANGED
    assert sync.endpoint_of(national_db["url"] + "/api/v1/procedures/") == national_db["url"] + "/api/v1/procedures"

    settings.NATIONAL_PORTAL_API_KEY = "wrong"
    with pytest.raises(sync.SyncError, match="từ chối truy cập"):
        sync.fetch()
    with pytest.raises(sync.SyncError, match="Không kết nối được"):
        sync.fetch("http://127.0.0.1:9")


# --- Page ----------------------------------------------------------------------------------------


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_page_requires_catalog_manager(users):
    assert _client(users["motcua.xa"]).get("/can-bo/thu-tuc/dong-bo/").status_code == 403
    assert _client(users["motcua.xa"]).post("/can-bo/thu-tuc/dong-bo/", {"action": "fetch"}).status_code == 403
    r = Client().get("/can-bo/thu-tuc/dong-bo/")
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]


def test_page_fetch_show_and_apply(users, national_db, procedure_data):
    incoming, left_out = _modified(national_db["procedures"], procedure_data)
    national_db["procedures"] = incoming
    c = _client(users["vanphong"])
    page = c.get("/can-bo/thu-tuc/dong-bo/")
    assert page.status_code == 200 and "Lấy dữ liệu từ CSDL quốc gia" in page.content.decode()

    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "fetch"})
    assert r.status_code == 302
    html = c.get("/can-bo/thu-tuc/dong-bo/").content.decode()
    assert "1 thủ tục mới · 1 có thay đổi" in html
    assert "Thời hạn giải quyết: 3 ngày làm việc → 5 ngày làm việc" in html
    assert f'name="codes" value="{BIRTH}"' in html and f'name="codes" value="{NEW_CODE}"' in html
    assert f'name="codes" value="{left_out}"' not in html
    token = c.session[SESSION_KEY]["token"]

    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "apply", "token": "stale", "codes": [BIRTH]})
    assert r.status_code == 400 and "hết hạn" in r.content.decode()
    r = c.post(
        "/can-bo/thu-tuc/dong-bo/",
        {"action": "apply", "token": token, "codes": [BIRTH], "effective_from": "31/02/2030"},
    )
    assert r.status_code == 400 and "không tồn tại" in r.content.decode()
    assert ProcedureVersion.objects.filter(procedure__code=BIRTH).count() == 1

    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "apply", "token": token, "codes": [BIRTH]})
    assert r.status_code == 302
    html = c.get("/can-bo/thu-tuc/dong-bo/").content.decode()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert "Các phiên bản vừa công bố" in html and f"{tomorrow:%d/%m/%Y}" in html
    assert "Đã công bố 1 phiên bản" in html and "Nguyễn Thị Lan" in html
    assert ProcedureVersion.objects.filter(procedure__code=BIRTH).count() == 2
    assert "1 thủ tục mới · 0 có thay đổi" in html

    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "apply", "token": token, "all": "1"})
    assert r.status_code == 302
    assert ProcedureVersion.objects.filter(procedure__code=NEW_CODE).count() == 1


def test_page_upload_file(users, national, procedure_data):
    c = _client(users["vanphong"])
    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "upload", "file": SimpleUploadedFile("x.json", b"{bad")})
    assert r.status_code == 400 and "Tệp JSON không hợp lệ" in r.content.decode()
    procedure_data["code"] = NEW_CODE
    raw = json.dumps({"format": FORMAT, "procedures": [procedure_data]}, ensure_ascii=False).encode()
    r = c.post("/can-bo/thu-tuc/dong-bo/", {"action": "upload", "file": SimpleUploadedFile("quoc-gia.json", raw)})
    assert r.status_code == 302
    html = c.get("/can-bo/thu-tuc/dong-bo/").content.decode()
    assert "Tệp quoc-gia.json" in html and "1 thủ tục mới" in html
    assert f"{len(national)} không có trong CSDL quốc gia" in html


def test_page_shows_fetch_error(users, settings, province):
    settings.NATIONAL_CATALOG_URL = "http://127.0.0.1:9"
    r = _client(users["vanphong"]).post("/can-bo/thu-tuc/dong-bo/", {"action": "fetch"})
    assert r.status_code == 502 and "Không kết nối được CSDL quốc gia" in r.content.decode()


# --- Command -------------------------------------------------------------------------------------


def test_command_with_file(national, procedure_data, tmp_path):
    incoming, left_out = _modified(national, procedure_data)
    path = tmp_path / "quoc-gia.json"
    path.write_text(json.dumps({"format": FORMAT, "procedures": incoming}, ensure_ascii=False))
    out = io.StringIO()
    call_command("sync_catalog", "--file", str(path), stdout=out)
    text = out.getvalue()
    assert "Thủ tục mới (1):" in text and f"+ {NEW_CODE}" in text
    assert "Có thay đổi (1):" in text and "- Thời hạn giải quyết: 3 ngày làm việc → 5 ngày làm việc" in text
    assert f"? {left_out}" in text
    assert ProcedureVersion.objects.filter(procedure__code__in=[BIRTH, NEW_CODE]).count() == 1

    out = io.StringIO()
    call_command("sync_catalog", "--file", str(path), "--apply", BIRTH, stdout=out)
    assert f"{BIRTH} – Đăng ký khai sinh: phiên bản 2" in out.getvalue()
    out = io.StringIO()
    call_command("sync_catalog", "--file", str(path), "--apply-all", stdout=out)
    assert f"{NEW_CODE} – Thủ tục mới của CSDL quốc gia: phiên bản 1, hiệu lực từ 01/01/2025" in out.getvalue()
    assert Component.objects.filter(version__procedure__code=BIRTH, code="TP09").count() == 1
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("sync_catalog", "--file", str(tmp_path / "none.json"))
