"""Printed slips 01–07: real WeasyPrint PDFs of dossiers brought to each state through the services,
their text read back with pdftotext (poppler-utils), the editable templates, and the tracking book."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import time
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from motcua.audit.models import DataAccess
from motcua.dossiers import services, slips
from motcua.dossiers.models import Dossier, SlipTemplate
from motcua.org.models import Agency, StaffMembership
from motcua.org.roles import Role

from .conftest import CITIZEN, MONDAY

COMMUNE_PC = "000.01.31.H99"
T = MONDAY.replace(hour=8)  # Monday 02/03/2026 08:00 (Vietnam)
PUBLIC = "https://dichvucong.anhoa.gov.vn"


def at(hours: float) -> dt.datetime:
    return T + dt.timedelta(hours=hours)


def text_of(pdf: bytes, *, layout: bool = False) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (scripts/system-packages.txt)"
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()
    return unicodedata.normalize("NFC", " ".join(out.split()))


def pdf_page_size(pdf: bytes) -> str:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return next(line for line in out.splitlines() if line.startswith("Page size"))


class World:
    """Birth-registration dossiers (1.001193: 3 working days, 4 steps) walked through the services."""

    def __init__(self):
        User = get_user_model()
        self.u = {u.username: u for u in User.objects.all()}
        self.police = Agency.objects.get(kind="police", unit=Agency.objects.get(code=COMMUNE_PC).unit)
        cong_an, _ = User.objects.get_or_create(username="congan.xa", defaults={"first_name": "Công an"})
        StaffMembership.objects.get_or_create(user=cong_an, agency=self.police, role=Role.SPECIALIST)
        self.u["congan.xa"] = cong_an

    def act(self, d, action, who, hours, **kw):
        return services.act(d, action, user=self.u[who], now=at(hours), **kw)

    def received(self, hours: float = 0, **kw):
        d, _ = services.create_dossier(
            user=self.u["motcua.xa"],
            procedure_code="1.001193",
            channel="counter",
            applicant=CITIZEN,
            components=[{"code": "TP01", "copies": 1}, {"code": "TP02", "copies": 2}],
            fee_paid=True,
            now=at(hours),
            **kw,
        )
        return d

    def submitted(self, components=("TP01",)):
        d, _ = services.create_dossier(
            procedure_code="1.001193",
            channel="online",
            agency_code=COMMUNE_PC,
            applicant=CITIZEN,
            components=list(components),
            return_channel="online",
            now=at(0),
        )
        return d

    def in_processing(self):
        d = self.act(self.received(), "transfer", "motcua.xa", 0.5)
        return self.act(d, "acknowledge", "chuyenvien.xa", 0.75)

    def supplement_requested(self):
        return self.act(
            self.submitted(),
            "request_supplement",
            "motcua.xa",
            1,
            reason="Hồ sơ trực tuyến chưa đủ giấy tờ",
            data={"missing": ["TP02"], "items": ["Bản sao giấy chứng nhận kết hôn của cha mẹ"]},
        )

    def refused(self):
        return self.act(self.submitted(), "refuse", "motcua.xa", 0.5, reason="Không thuộc thẩm quyền giải quyết")

    def apologized(self):
        return self.act(
            self.in_processing(),
            "apologize",
            "chuyenvien.xa",
            24,  # Tuesday 08:00, more than one working day before the due date
            reason="Chờ xác minh nơi cư trú",
            data={"new_due": "10/03/2026"},
        )

    def stopped(self):
        return self.act(self.in_processing(), "stop", "lanhdao.xa", 1.5, reason="Có tranh chấp về quyền nuôi con")

    def returned(self):
        """Every hand-over: desk → specialist → leader, a consultation of the commune police,
        the result, delivery to the desk, return to the applicant."""
        d = self.act(self.received(), "transfer", "motcua.xa", 0.5)
        d = self.act(d, "acknowledge", "chuyenvien.xa", 0.6)
        d = self.act(d, "forward", "chuyenvien.xa", 2)
        d = self.act(d, "acknowledge", "lanhdao.xa", 2.2)
        d = self.act(d, "consult", "lanhdao.xa", 2.5, data={"agencies": [self.police.code]})
        d = self.act(d, "answer_consultation", "congan.xa", 3, data={"opinion": "Thống nhất, không có vướng mắc"})
        d = self.act(d, "issue_result", "lanhdao.xa", 5, data={"result_number": "15/2026"})
        d = self.act(d, "deliver", "lanhdao.xa", 5.5)
        return self.act(d, "return_result", "motcua.xa", 24, data={"received_by": CITIZEN["name"]})


@pytest.fixture
def world(province):
    return World()


def render(d, number, **kw):
    pdf = slips.render_slip(d, number, tracking_url_base=PUBLIC, **kw)
    assert pdf.startswith(b"%PDF")
    return pdf, text_of(pdf)


def common_checks(text: str, d: Dossier, title: str):
    assert d.code in text
    assert title.upper() in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "An Hòa, ngày" in text
    assert "Nguyễn Văn An" in text
    assert f"{PUBLIC}/tra-cuu/{d.code}/" in text


# ------------------------------------------------------------------------------------------------
# Slips 01–06
# ------------------------------------------------------------------------------------------------
def test_01_receipt_and_appointment(world):
    d = world.received()
    pdf, text = render(d, "01")
    common_checks(text, d, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    assert "An Hòa, ngày 02 tháng 03 năm 2026" in text
    assert "Đăng ký khai sinh" in text
    assert "Tờ khai đăng ký khai sinh theo mẫu" in text and "Giấy chứng sinh" in text
    assert "2 bản" in text  # copies received
    assert "08 giờ 00 phút, ngày 02/03/2026" in text
    assert f"Hẹn trả kết quả: {slips.format_due(d.due_at)}" in text
    assert "Hẹn trả kết quả: 08:00 ngày 05/03/2026 (buổi sáng)" in text  # 3 working days
    assert "Ngô Thị Thu" in text  # the officer who received it
    assert "Nhận trực tiếp tại bộ phận một cửa" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text


def test_01_shows_the_afternoon_session(world):
    d = world.received(hours=6)  # Monday 14:00 → due Thursday 14:00
    _, text = render(d, "01")
    assert "Hẹn trả kết quả: 14:00 ngày 05/03/2026 (buổi chiều)" in text


def test_02_supplement_lists_every_missing_item(world):
    d = world.supplement_requested()
    _, text = render(d, "02")
    common_checks(text, d, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    assert "Giấy chứng sinh" in text and "mã TP02" in text
    assert "Bản sao giấy chứng nhận kết hôn của cha mẹ" in text
    assert "Hồ sơ trực tuyến chưa đủ giấy tờ" in text
    assert "NGƯỜI HƯỚNG DẪN" in text and "Ngô Thị Thu" in text
    assert "15 ngày làm việc" in text  # online dossier: closed without a supplement


def test_03_refusal(world):
    d = world.refused()
    _, text = render(d, "03")
    common_checks(text, d, "Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    assert "Không thuộc thẩm quyền giải quyết" in text
    assert "từ chối tiếp nhận, giải quyết hồ sơ" in text


def test_04_apology_and_new_appointment(world):
    d = world.apologized()
    _, text = render(d, "04")
    common_checks(text, d, "Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    assert "Chờ xác minh nơi cư trú" in text
    assert "08:00 ngày 05/03/2026 (buổi sáng)" in text  # the old appointment
    assert "Hẹn trả kết quả: 17:00 ngày 10/03/2026 (buổi chiều)" in text  # the new one
    assert "xin lỗi Ông/Bà" in text
    assert "An Hòa, ngày 03 tháng 03 năm 2026" in text  # dated the day of the apology


def test_05_process_control_sheet(world):
    d = world.returned()
    now = at(48)
    ctx = slips.slip_context(d, "05", tracking_url_base=PUBLIC, now=now)
    rows = ctx["handovers"]
    actions = [r["action"] for r in rows]
    assert actions == [
        "receive",
        "transfer",
        "forward",
        "consult",
        "answer_consultation",
        "issue_result",
        "deliver",
        "return_result",
    ]
    transfer = rows[1]
    assert "Tiếp nhận" in transfer["from_label"] and "bước 2" in transfer["to_label"]
    assert transfer["giver"] == "Ngô Thị Thu" and transfer["receiver"] == "Bùi Thị Mai"
    assert transfer["at_text"] == "02/03/2026 08:30" and transfer["verdict"] == "Trước hạn"
    assert rows[2]["receiver"] == "Đỗ Văn Bình"  # the leader acknowledged the forward
    assert rows[3]["to_label"].startswith(world.police.name)
    # Per step: budget vs used from services.step_usage, judged on time / late.
    usage = services.step_usage(d, now)
    assert len(usage) == len(ctx["steps"]) == 5  # 4 process steps + the consultation
    for row, u in zip(ctx["steps"], usage, strict=True):
        assert (row["order"], row["used_units"], row["budget_units"]) == (
            u["step"].order,
            u["used_units"],
            u["budget_units"],
        )
    by_order = {s["order"]: s for s in ctx["steps"] if not s["parallel"]}
    assert by_order[2]["verdict"] == "Trước hạn"
    assert ctx["summary"]["verdict"] == "Trước hạn"
    assert ctx["consulted_agencies"] == [world.police.name]

    pdf, text = render(d, "05", now=now)
    common_checks(text, d, "Phiếu kiểm soát quá trình giải quyết hồ sơ")
    for needle in ["Ngô Thị Thu", "Bùi Thị Mai", "Đỗ Văn Bình", "02/03/2026 08:30", "Trước hạn", "Thống nhất"]:
        assert needle in text, needle
    assert "Quá trình giao, nhận hồ sơ" in text and "Thời gian xử lý của từng bước" in text


def test_05_marks_a_late_step(world):
    d = world.act(world.received(), "transfer", "motcua.xa", 0.5)
    # The specialist's step has 1.5 working days; forwarding on Thursday afternoon is late.
    d = world.act(d, "forward", "chuyenvien.xa", 3 * 24 + 6)
    ctx = slips.slip_context(d, "05", now=at(3 * 24 + 7))
    step2 = next(s for s in ctx["steps"] if s["order"] == 2)
    assert step2["late"] and step2["verdict"] == "Quá hạn"
    assert ctx["handovers"][-1]["verdict"] == "Quá hạn"
    assert ctx["summary"]["late"]


def test_05_replays_send_back_pauses_and_apology(world):
    d = world.act(world.received(), "transfer", "motcua.xa", 0.5)
    d = world.act(d, "forward", "chuyenvien.xa", 1)
    d = world.act(d, "send_back", "lanhdao.xa", 1.5, reason="Cần thẩm định lại")
    d = world.act(d, "request_fee", "chuyenvien.xa", 2, data={"amount": 8000})
    d = world.act(d, "pay_fee", "motcua.xa", 26, data={"receipt": "BL-001"})
    d = world.act(
        d, "request_supplement", "chuyenvien.xa", 27, reason="Thiếu bản sao", data={"items": ["Bản sao sổ hộ khẩu"]}
    )
    d = world.act(d, "supplement", "motcua.xa", 28, data={"components": []})
    d = world.act(d, "apologize", "chuyenvien.xa", 29, reason="Chờ xác minh", data={"new_due": "16/03/2026"})
    ctx = slips.slip_context(d, "05", now=at(30))
    actions = [r["action"] for r in ctx["handovers"]]
    assert actions == [
        "receive",
        "transfer",
        "forward",
        "send_back",
        "request_fee",
        "pay_fee",
        "request_supplement",
        "supplement",
        "apologize",
    ]
    back = ctx["handovers"][3]
    assert "bước 3" in back["from_label"] and "bước 2" in back["to_label"] and "Cần thẩm định lại" in back["note"]
    assert "thời gian chờ" in ctx["handovers"][5]["note"]
    assert ctx["summary"]["waited_text"]
    _, text = render(d, "05", now=at(30))
    assert "Cần thẩm định lại" in text and "16/03/2026" in text
    # Every slip that applies renders; the others are refused.
    assert slips.applicable_slips(d) == ["01", "02", "04", "05"]
    for number in slips.applicable_slips(d):
        assert slips.render_slip(d, number).startswith(b"%PDF")


def test_slips_of_a_linked_bundle(world):
    bundle, _ = services.create_bundle(
        "khai_sinh",
        user=world.u["motcua.xa"],
        channel="counter",
        applicant=CITIZEN,
        components=["TP01", "TP02"],
        now=at(0),
    )
    first = bundle.dossiers.get(bundle_order=1)
    second = bundle.dossiers.get(bundle_order=2)
    with pytest.raises(ValueError):
        slips.render_slip(second, "01")  # waiting for the first result: not received yet
    first = world.act(first, "transfer", "motcua.xa", 0.5)
    first = world.act(first, "forward", "chuyenvien.xa", 1)
    world.act(first, "issue_result", "lanhdao.xa", 2)
    ctx = slips.slip_context(second, "05", now=at(3))
    assert ctx["handovers"][0]["action"] == "start_linked"
    assert first.code in ctx["handovers"][0]["from_label"]
    _, text = render(second, "01")
    assert second.code in text and f"Hồ sơ liên thông: {bundle.code}" in text


def test_06_stop_notice(world):
    d = world.stopped()
    _, text = render(d, "06")
    common_checks(text, d, "Thông báo dừng giải quyết hồ sơ")
    assert "Có tranh chấp về quyền nuôi con" in text
    assert "dừng giải quyết hồ sơ" in text


def test_rendering_is_fast(world):
    d = world.returned()
    slips.render_slip(d, "01")  # warm-up: WeasyPrint import and font loading
    for number in ("01", "05"):
        start = time.perf_counter()
        slips.render_slip(d, number)
        assert time.perf_counter() - start < 1.5, number


# ------------------------------------------------------------------------------------------------
# QR code / tracking URL
# ------------------------------------------------------------------------------------------------
def test_qr_encodes_the_public_tracking_url(world, settings):
    d = world.received()
    ctx = slips.slip_context(d, "01", tracking_url_base=PUBLIC + "/")
    assert ctx["tracking_url"] == f"{PUBLIC}/tra-cuu/{d.code}/"
    assert ctx["qr"] == slips.qr_data_uri(ctx["tracking_url"])
    assert ctx["qr"].startswith("data:image/svg+xml")

    settings.MOTCUA_PUBLIC_URL = "https://motcua.example.vn"
    assert slips.slip_context(d, "01")["tracking_url"] == f"https://motcua.example.vn/tra-cuu/{d.code}/"
    del settings.MOTCUA_PUBLIC_URL
    assert slips.slip_context(d, "01")["tracking_url"] == f"http://localhost:8000/tra-cuu/{d.code}/"


def test_qr_payload_is_the_url(world):
    import segno

    url = f"{PUBLIC}/tra-cuu/000.01.31.H99-260302-0001"
    expected = segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)
    assert slips.qr_data_uri(url) == expected


# ------------------------------------------------------------------------------------------------
# Slips that do not apply
# ------------------------------------------------------------------------------------------------
def test_inapplicable_slips_raise(world):
    received = world.received()
    submitted = world.submitted()
    cases = [
        (received, "02", "không có yêu cầu bổ sung"),
        (received, "03", "không bị từ chối"),
        (received, "04", "không có phiếu xin lỗi"),
        (received, "06", "không bị dừng"),
        (submitted, "01", "chưa được tiếp nhận"),
        (submitted, "05", "chưa được tiếp nhận"),
        (received, "08", "Không có mẫu phiếu"),
        (received, "xx", "Không có mẫu phiếu"),
    ]
    for d, number, message in cases:
        with pytest.raises(ValueError) as err:
            slips.render_slip(d, number)
        assert message in str(err.value), (number, str(err.value))
    assert slips.applicable_slips(received) == ["01", "05"]
    assert slips.applicable_slips(submitted) == []


def test_numbers_are_normalized(world):
    d = world.received()
    assert slips.slip_context(d, 1)["slip"]["number"] == "01"
    assert slips.slip_context(d.code, "1")["code"] == d.code


# ------------------------------------------------------------------------------------------------
# Editable templates
# ------------------------------------------------------------------------------------------------
def test_slip_template_row_overrides_the_packaged_one(world):
    d = world.received()
    _, before = render(d, "01")
    assert "Thành phần hồ sơ nộp gồm" in before
    SlipTemplate.objects.create(
        code="01",
        name="Giấy tiếp nhận (mẫu của tỉnh)",
        body=(
            '{% extends "dossiers/slips/base.html" %}{% block content %}'
            "<p>Mẫu riêng của tỉnh An Hòa cho {{ applicant.name }}.</p>"
            "<p>Hẹn trả kết quả: {{ due_text }}</p>{% endblock %}"
        ),
    )
    _, after = render(d, "01")
    assert "Mẫu riêng của tỉnh An Hòa cho Nguyễn Văn An." in after
    assert "Hẹn trả kết quả: 08:00 ngày 05/03/2026 (buổi sáng)" in after
    assert "Thành phần hồ sơ nộp gồm" not in after
    assert d.code in after  # the shared layout (code box, QR) still comes from base.html
    # Other slips keep the packaged wording.
    _, sheet = render(d, "05")
    assert "Quá trình giao, nhận hồ sơ" in sheet


def test_packaged_templates_exist_for_every_slip():
    for number in slips.SLIP_TITLES:
        assert "{% extends" in slips.packaged_template_source(number)


# ------------------------------------------------------------------------------------------------
# Slip 07: tracking book
# ------------------------------------------------------------------------------------------------
def _many(world, n: int) -> list[Dossier]:
    return [world.received(hours=i * 0.05) for i in range(n)]


def test_tracking_book_xlsx(world):
    dossiers = _many(world, 3)
    d = world.act(dossiers[0], "transfer", "motcua.xa", 0.5)
    data = slips.tracking_book_xlsx(Dossier.objects.filter(pk__in=[x.pk for x in dossiers]).order_by("id"))
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    assert header == slips.BOOK_COLUMNS
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width == 45
    assert ws.max_row == 4
    first = [c.value for c in ws[2]]
    assert first[0] == 1 and first[1] == d.code and first[2] == "Đăng ký khai sinh"
    assert first[3] == "Nguyễn Văn An" and first[4] == "Thôn 1; ĐT: 0912345678"
    assert first[5] == d.agency.name
    assert first[6] == dt.datetime(2026, 3, 2, 8, 0)  # Vietnam wall-clock time
    assert first[7] == dt.datetime(2026, 3, 5, 8, 0)
    assert first[8] is None and first[9] == "Nhận trực tiếp tại bộ phận một cửa" and first[10] in (None, "")
    assert ws.cell(row=2, column=7).number_format == "dd/mm/yyyy hh:mm"


def test_tracking_book_pdf_is_landscape(world):
    dossiers = _many(world, 3)
    pdf = slips.tracking_book_pdf(dossiers, now=at(1))
    assert pdf.startswith(b"%PDF")
    assert "841.89 x 595.2" in pdf_page_size(pdf)  # A4 landscape
    text = text_of(pdf)
    assert "SỔ THEO DÕI HỒ SƠ" in text and "An Hòa, ngày 02 tháng 03 năm 2026" in text
    for d in dossiers:
        assert d.code in text
    assert "Ký nhận" in text and "02/03/2026 08:00" in text
    assert slips.render_slip(dossiers[0], "07").startswith(b"%PDF")  # one dossier's page of the book


def test_tracking_book_queries_do_not_grow(world):
    dossiers = _many(world, 30)
    qs = Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).order_by("id")
    with CaptureQueriesContext(connection) as small:
        slips.book_context(qs[:5])
    with CaptureQueriesContext(connection) as big:
        data = slips.tracking_book_xlsx(qs)
    assert len(big) == 1, [q["sql"] for q in big]
    assert len(load_workbook(io.BytesIO(data)).active["A"]) == 31
    with CaptureQueriesContext(connection) as pdf_queries:
        slips.tracking_book_pdf(qs)
    assert len(pdf_queries) <= len(small) + 1 <= 4, [q["sql"] for q in pdf_queries]
    # A plain list of dossiers (no select_related possible) is completed in a fixed number of
    # queries: one per relation (version, agency, desk, its agency, unit, parent units).
    fresh = list(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]))
    with CaptureQueriesContext(connection) as listed:
        slips.book_rows(fresh)
    assert len(listed) <= 7


def test_slip_queries_are_bounded(world):
    d = world.returned()
    with CaptureQueriesContext(connection) as q05:
        slips.slip_context(d, "05", now=at(48))
    with CaptureQueriesContext(connection) as q01:
        slips.slip_context(d, "01")
    assert len(q05) <= 12, [q["sql"] for q in q05]
    assert len(q01) <= 12, [q["sql"] for q in q01]


# ------------------------------------------------------------------------------------------------
# Admin
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def admin_client_vn(client, province):
    admin_user = get_user_model().objects.get(username="quantri")
    client.force_login(admin_user)
    return client


def test_admin_slip_template_is_editable_and_checked(world, admin_client_vn):
    add = reverse("admin:dossiers_sliptemplate_add")
    page = admin_client_vn.get(add + "?code=03")
    assert page.status_code == 200
    assert "Phiếu từ chối tiếp nhận giải quyết hồ sơ" in page.content.decode()
    bad = admin_client_vn.post(add, {"code": "03", "name": "Từ chối", "body": "{% block content %}"})
    assert bad.status_code == 200 and "lỗi cú pháp" in bad.content.decode()
    ok = admin_client_vn.post(
        add, {"code": "03", "name": "Từ chối", "body": '{% extends "dossiers/slips/base.html" %}'}
    )
    assert ok.status_code == 302 and SlipTemplate.objects.filter(code="03").exists()
    listing = admin_client_vn.get(reverse("admin:dossiers_sliptemplate_changelist"))
    assert listing.status_code == 200 and "?code=01" in listing.content.decode()
    d = world.refused()
    template = SlipTemplate.objects.get(code="03")
    preview = admin_client_vn.get(reverse("admin:dossiers_sliptemplate_preview", args=[template.pk]))
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    assert d.code in text_of(preview.content)


def test_admin_dossier_is_read_only_with_history(world, admin_client_vn):
    d = world.returned()
    page = admin_client_vn.get(reverse("admin:dossiers_dossier_change", args=[d.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert d.code in html
    assert 'name="_save"' not in html  # nothing to save
    assert "Mẫu 05" in html and "return_result" in html  # slip links, event history inline
    assert DataAccess.objects.filter(object_ref=d.code, action="read").exists()
    slip = admin_client_vn.get(reverse("admin:dossiers_dossier_slip", args=[d.pk, "01"]))
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    assert DataAccess.objects.filter(object_ref=d.code, action="print").exists()
    missing = admin_client_vn.get(reverse("admin:dossiers_dossier_slip", args=[d.pk, "03"]))
    assert missing.status_code == 302
    assert admin_client_vn.get(reverse("admin:dossiers_dossier_add")).status_code == 403
    book = admin_client_vn.post(
        reverse("admin:dossiers_dossier_changelist"),
        {"action": "export_book_xlsx", "_selected_action": [d.pk]},
    )
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxmlformats")
