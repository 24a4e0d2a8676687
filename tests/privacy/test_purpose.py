"""The purpose gate: an officer who reads personal data outside the dossiers their agencies handle
(province office, inspectors) states a purpose first; it is remembered 30 minutes per scope and
written into every DataAccess row of the reads made under it. Handling officers are not asked."""

import time

from motcua.audit.models import DataAccess
from motcua.privacy import purpose
from tests.api.conftest import receive

MARCH = {"tu": "01/03/2026", "den": "31/03/2026"}
FORM = "/can-bo/bao-ve-du-lieu/muc-dich/"


def test_province_office_states_a_purpose_then_reads_are_logged_with_it(users, login):
    d = receive(users)
    c = login("vanphong")  # province office: sees every dossier, handles none of the commune's
    page = f"/can-bo/ho-so/{d.code}/"
    r = c.get(page)
    assert r.status_code == 302 and r["Location"].startswith(FORM) and "pham-vi=ho-so" in r["Location"]
    assert not DataAccess.objects.filter(user=users["vanphong"]).exists()  # nothing read yet

    form = c.get(r["Location"])
    assert form.status_code == 200 and "Mục đích truy cập dữ liệu cá nhân" in form.content.decode()
    bad = c.post(FORM, {"pham-vi": "ho-so", "next": page, "ly-do": "khac", "chi-tiet": "x"})
    assert bad.status_code == 400 and "Vui lòng ghi rõ mục đích" in bad.content.decode()
    assert c.post(FORM, {"pham-vi": "ho-so", "next": page}).status_code == 400  # no reason chosen

    ok = c.post(FORM, {"pham-vi": "ho-so", "next": page, "ly-do": "thanh-tra", "chi-tiet": "QĐ 12/QĐ-TTr"})
    assert ok.status_code == 302 and ok["Location"] == page
    shown = c.get(page)
    assert shown.status_code == 200 and d.code in shown.content.decode()
    row = DataAccess.objects.filter(user=users["vanphong"], object_ref=d.code).get()
    assert "xem hồ sơ" in row.purpose and "Thanh tra, kiểm tra" in row.purpose and "QĐ 12/QĐ-TTr" in row.purpose

    # Another scope (the report drill-down) asks again.
    r = c.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received"})
    assert r.status_code == 302 and "pham-vi=bao-cao" in r["Location"]


def test_a_handling_officer_is_not_asked(users, login):
    d = receive(users)
    c = login("chuyenvien.xa")
    assert c.get(f"/can-bo/ho-so/{d.code}/").status_code == 200
    row = DataAccess.objects.filter(user=users["chuyenvien.xa"], object_ref=d.code).get()
    assert row.purpose == "xem hồ sơ"
    r = c.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received"})  # own agency only: no gate
    assert r.status_code == 200
    assert c.get("/can-bo/tai-lieu/", {"q": "khai sinh"}).status_code == 200


def test_report_list_and_document_search_of_an_inspector(users, login):
    receive(users)
    c = login("thanhtra")
    r = c.get("/can-bo/tai-lieu/", {"q": "khai sinh"})
    assert r.status_code == 302 and "pham-vi=tim-kiem" in r["Location"]
    hx = c.get("/can-bo/tai-lieu/", {"q": "khai sinh"}, HTTP_HX_REQUEST="true")
    assert hx.status_code == 204 and hx["HX-Redirect"].startswith(FORM)
    back = "/can-bo/bao-cao/ho-so/?chi-so=received"
    c.post(FORM, {"pham-vi": "bao-cao", "next": back, "ly-do": "khac", "chi-tiet": "Đối soát số liệu quý I"})
    assert c.get(back).status_code == 200
    assert c.get("/can-bo/tai-lieu/", {"q": "khai sinh"}).status_code == 302  # its own scope
    rows = DataAccess.objects.filter(user=users["thanhtra"], purpose__startswith="báo cáo: danh sách hồ sơ")
    assert rows.exists() and all("Đối soát số liệu quý I" in r.purpose for r in rows)


def test_the_purpose_expires(users, login):
    d = receive(users)
    c = login("vanphong")
    page = f"/can-bo/ho-so/{d.code}/"
    c.post(FORM, {"pham-vi": "ho-so", "next": page, "ly-do": "giam-sat"})
    assert c.get(page).status_code == 200
    session = c.session
    entries = session[purpose.SESSION_KEY]
    entries["ho-so"]["until"] = time.time() - 1  # 30 minutes later
    session[purpose.SESSION_KEY] = entries
    session.save()
    assert c.get(page).status_code == 302


def test_unsafe_next_is_ignored(users, login):
    c = login("vanphong")
    r = c.post(FORM, {"pham-vi": "ho-so", "next": "https://evil.example/", "ly-do": "giam-sat"})
    assert r.status_code == 302 and r["Location"] == "/can-bo/"


def test_handles_rule(users):
    d = receive(users)
    assert purpose.handles(users["chuyenvien.xa"], d)
    assert not purpose.handles(users["vanphong"], d)
    assert purpose.wide_reader(users["thanhtra"]) and not purpose.wide_reader(users["motcua.xa"])
