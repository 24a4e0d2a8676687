"""Exports of the periodic report (Circular 01/2020/TT-VPCP layout): the Excel workbook read back
with openpyxl, the PDF read back with pdfminer. Reports are built by hand: no database."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from motcua.reports import exports
from motcua.reports.periodic import Report, Row
from motcua.workcalendar.engine import VN_TZ

KW = {
    "unit_name": "Ủy ban nhân dân tỉnh An Hòa",
    "period_label": "Quý I năm 2026",
    "prepared_by": "Nguyễn Thị Bình",
    "place": "An Hòa",
    "issued_on": dt.date(2026, 4, 5),
}
HEADER = exports.HEADER_ROW  # 8: three header rows, then the column numbers (row 11), data from 12


def row(label: str, carried: int = 0, open_on_time: int = 0, open_late: int = 0, **flows) -> Row:
    r = Row(None, label, carried, open_on_time=open_on_time, open_late=open_late)
    r.flows.update(flows)
    return r


def report(by: str = "agency", rows: list[Row] | None = None) -> Report:
    if rows is None:
        rows = [
            row(
                "UBND xã An Phú",
                5,
                3,
                1,
                received_online=40,
                received_direct=12,
                received_post=2,
                resolved_early=20,
                resolved_on_time=15,
                resolved_late=5,
                supplement_requested=3,
                refused=1,
                withdrawn=2,
            ),
            row("Sở Tư pháp", 0, 1199, 1, received_direct=1200),
        ]
    total = Row(None, "Tổng cộng")
    for r in rows:
        total.add(r)
    return Report(dt.date(2026, 1, 1), dt.date(2026, 3, 31), by, rows, total)


def values(ws, r: int) -> list:
    return [ws.cell(row=r, column=c).value for c in range(1, 19)]


@pytest.fixture(scope="module")
def sheet():
    wb = load_workbook(io.BytesIO(exports.periodic_xlsx(report(), **KW)))
    return wb.active


def test_xlsx_top_block_and_title(sheet):
    ws = sheet
    assert ws["A1"].value == "ỦY BAN NHÂN DÂN TỈNH AN HÒA" and ws["A1"].font.b
    assert ws["H1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert ws["H2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert ws["A4"].value == "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" and ws["A4"].font.b
    assert ws["A5"].value == "Quý I năm 2026"
    assert ws["A6"].value == "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026"
    assert ws["P7"].value == "Đơn vị tính: hồ sơ"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A1:E1", "H1:R1", "H2:R2", "A4:R4", "A6:R6", "P7:R7"} <= merged


def test_xlsx_header(sheet):
    ws = sheet
    expected = {
        "A8": "STT",
        "B8": "Đơn vị",
        "C8": "Số hồ sơ nhận giải quyết",
        "C9": "Tổng số",
        "D9": "Kỳ trước chuyển qua",
        "E9": "Mới tiếp nhận",
        "E10": "Trực tuyến",
        "F10": "Trực tiếp",
        "G10": "Dịch vụ bưu chính",
        "H8": "Kết quả giải quyết",
        "H9": "Số hồ sơ đã giải quyết",
        "H10": "Tổng số",
        "I10": "Trước hạn",
        "J10": "Đúng hạn",
        "K10": "Quá hạn",
        "L9": "Số hồ sơ đang giải quyết",
        "L10": "Tổng số",
        "M10": "Trong hạn",
        "N10": "Quá hạn",
        "O8": "Hồ sơ yêu cầu bổ sung",
        "P8": "Từ chối",
        "Q8": "Rút hồ sơ",
        "R8": "Tỷ lệ đúng hạn (%)",
    }
    assert {ref: ws[ref].value for ref in expected} == expected
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {
        "A8:A10",
        "B8:B10",
        "C8:G8",
        "C9:C10",
        "D9:D10",
        "E9:G9",
        "H8:N8",
        "H9:K9",
        "L9:N9",
        "O8:O10",
        "R8:R10",
    } <= merged
    assert values(ws, 11) == [f"({i})" for i in range(1, 19)]
    assert ws["A8"].font.b and ws["A8"].border.top.style == "thin"
    assert ws.freeze_panes == "C12"
    assert ws.print_title_rows == "$8:$11"


def test_xlsx_rows_and_total(sheet):
    ws = sheet
    first = [1, "UBND xã An Phú", 59, 5, 40, 12, 2, 40, 20, 15, 5, 4, 3, 1, 3, 1, 2, 87.5]
    assert values(ws, 12) == first
    assert values(ws, 13) == [2, "Sở Tư pháp", 1200, 0, 0, 1200, 0, 0, 0, 0, 0, 1200, 1199, 1, 0, 0, 0, None]
    total = values(ws, 14)
    assert total[0] == "Tổng cộng" and "A14:B14" in {str(m) for m in ws.merged_cells.ranges}
    assert total[2:] == [1259, 5, 40, 1212, 2, 40, 20, 15, 5, 1204, 1202, 2, 3, 1, 2, 87.5]
    assert all(ws.cell(row=14, column=c).font.b for c in (1, 3, 18))
    assert ws["C12"].number_format == "#,##0" and ws["R12"].number_format == "0.00"
    assert ws["R14"].border.bottom.style == "thin"


def test_xlsx_signatures_and_print_setup(sheet):
    ws = sheet
    assert ws["L16"].value == "An Hòa, ngày 05 tháng 04 năm 2026"
    assert ws["L17"].value == "THỦ TRƯỞNG CƠ QUAN" and ws["L17"].font.b
    assert ws["L18"].value == "(Ký, ghi rõ họ tên, đóng dấu)"
    assert ws["A17"].value == "Người lập biểu" and ws["A18"].value == "(Ký, ghi rõ họ tên)"
    assert ws["A23"].value == "Nguyễn Thị Bình"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.column_dimensions["B"].width > ws.column_dimensions["C"].width


@pytest.mark.parametrize(("by", "label"), [("field", "Lĩnh vực"), ("procedure", "Thủ tục")])
def test_xlsx_group_column_and_empty_report(by, label):
    ws = load_workbook(io.BytesIO(exports.periodic_xlsx(report(by, rows=[]), **KW))).active
    assert ws["B8"].value == label
    assert ws["A12"].value == "Không có số liệu trong kỳ báo cáo."
    assert ws["A13"].value == "Tổng cộng" and ws["C13"].value == 0 and ws["R13"].value is None


def test_xlsx_defaults(settings):
    settings.MOTCUA_PLACE_NAME = ""
    ws = load_workbook(io.BytesIO(exports.periodic_xlsx(report(), unit_name="Sở Tư pháp", period_label=""))).active
    today = timezone.now().astimezone(VN_TZ).date()
    assert ws["L16"].value == f"......, ngày {today:%d} tháng {today:%m} năm {today:%Y}"
    assert ws["L17"].value == "THỦ TRƯỞNG CƠ QUAN"
    assert ws["A5"].value is None and ws["A23"].value is None


def test_formatting():
    assert exports.fmt_int(1234567) == "1.234.567"
    assert exports.fmt_rate(87.5) == "87,50" and exports.fmt_rate(None) == ""
    assert exports.date_line("", dt.date(2026, 1, 9)) == "......, ngày 09 tháng 01 năm 2026"


def test_pdf():
    pdf = exports.periodic_pdf(report(), **KW)
    assert pdf.startswith(b"%PDF")
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    text = unicodedata.normalize("NFC", " ".join(extract_text(io.BytesIO(pdf)).split()))
    for expected in (
        "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "ỦY BAN NHÂN DÂN TỈNH AN HÒA",
        "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026",
        "UBND xã An Phú",
        "Sở Tư pháp",
        "Tổng cộng",
        "1.259",
        "87,50",
        "An Hòa, ngày 05 tháng 04 năm 2026",
        "(Ký, ghi rõ họ tên, đóng dấu)",
    ):
        assert expected in text, expected
    pages = list(PDFPage.get_pages(io.BytesIO(pdf)))
    assert len(pages) == 1
    x0, y0, x1, y1 = pages[0].mediabox
    assert x1 - x0 > y1 - y0  # landscape


def test_pdf_empty_report_by_field():
    from pdfminer.high_level import extract_text

    pdf = exports.periodic_pdf(report("field", rows=[]), **KW)
    text = unicodedata.normalize("NFC", " ".join(extract_text(io.BytesIO(pdf)).split()))
    assert "Lĩnh vực" in text and "Không có số liệu trong kỳ báo cáo." in text and "Tổng cộng" in text
