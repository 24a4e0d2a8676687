"""Slips and the tracking book through the API, and the personal-data access log of API reads."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from motcua.audit.models import DataAccess
from tests.dossiers.test_slips import text_of as pdf_text

from .conftest import CITIZEN, act, assert_error, receive


def test_receipt_slip_pdf_is_printed_and_logged(users, client_for):
    d = receive(users)
    r = client_for("motcua.xa").get(f"/api/v1/dossiers/{d.code}/slips/01")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Cache-Control"] == "no-store"
    text = pdf_text(r.content)
    assert d.code in text and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text.upper()
    log = DataAccess.objects.get(action="print")
    assert (log.user, log.object_ref, log.subject_id_number) == (users["motcua.xa"], d.code, CITIZEN["id_number"])
    assert log.purpose == "in mẫu 01"


def test_slip_errors(users, client_for, stranger):
    d = receive(users)
    api = client_for("motcua.xa")
    assert_error(api.get(f"/api/v1/dossiers/{d.code}/slips/03"), 409, "slip_not_applicable")
    assert_error(api.get(f"/api/v1/dossiers/{d.code}/slips/09"), 404, "unknown_slip")
    assert_error(api.get(f"/api/v1/dossiers/{d.code}/slips/07"), 404, "unknown_slip")
    assert_error(client_for("motcua.khac").get(f"/api/v1/dossiers/{d.code}/slips/01"), 404, "not_found")
    assert not DataAccess.objects.filter(action="print").exists()


def test_stop_notice_after_a_stop(users, client_for):
    d = receive(users)
    act(users, d, "transfer", "motcua.xa")
    act(users, d, "stop", "lanhdao.xa", reason="Người nộp đã chết trước khi có kết quả.")
    r = client_for("lanhdao.xa").get(f"/api/v1/dossiers/{d.code}/slips/06")
    assert r.status_code == 200
    assert "Người nộp đã chết trước khi có kết quả." in pdf_text(r.content)


def test_tracking_book_excel_and_pdf_follow_the_access_rule(users, client_for, stranger):
    mine = [receive(users) for _ in range(3)]
    api = client_for("motcua.xa")
    r = api.get("/api/v1/dossiers/book.xlsx", {"desk": "MC-99001"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(1, 2).value == "Mã hồ sơ"
    assert [ws.cell(row, 2).value for row in range(2, ws.max_row + 1)] == [d.code for d in mine]
    assert DataAccess.objects.filter(action="export", user=users["motcua.xa"]).count() == 3

    r = api.get("/api/v1/dossiers/book.pdf")
    assert r.status_code == 200 and all(d.code in pdf_text(r.content) for d in mine)

    r = client_for("motcua.khac").get("/api/v1/dossiers/book.xlsx")
    assert load_workbook(io.BytesIO(r.content)).active.max_row == 1  # header only: nothing of another desk
    assert_error(api.get("/api/v1/dossiers/book.csv"), 404, "unknown_format")
    assert_error(api.get("/api/v1/dossiers/book.xlsx", {"received_from": "hôm qua"}), 400, "invalid_received_from")


def test_every_api_read_of_a_dossier_is_logged(users, client_for, machine_client):
    d = receive(users)
    api = client_for("motcua.xa")
    api.get(f"/api/v1/dossiers/{d.code}")
    api.get("/api/v1/dossiers/")
    machine_client("dossiers:read").get(f"/api/v1/dossiers/{d.code}")
    rows = list(DataAccess.objects.order_by("id").values_list("user__username", "client_id", "purpose", "object_ref"))
    assert rows[0] == ("motcua.xa", "", "xem hồ sơ", d.code)
    assert rows[1] == ("motcua.xa", "", "danh sách hồ sơ", d.code)
    assert rows[2][0] is None and rows[2][1] and rows[2][3] == d.code


def test_received_range_filters_the_list(users, client_for):
    from tests.dossiers.conftest import vn

    old = receive(users, now=vn(2026, 3, 2, 9))
    new = receive(users, now=vn(2026, 3, 4, 9))
    api = client_for("motcua.xa")
    codes = [r["code"] for r in api.get("/api/v1/dossiers/", {"received_from": "2026-03-03"}).json()["results"]]
    assert codes == [new.code]
    codes = [r["code"] for r in api.get("/api/v1/dossiers/", {"received_to": "2026-03-02"}).json()["results"]]
    assert codes == [old.code]
