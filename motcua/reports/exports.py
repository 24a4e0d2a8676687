"""Exports of the periodic report (``periodic.Report``) laid out like the reporting form of
Circular 01/2020/TT-VPCP, "Tình hình, kết quả giải quyết thủ tục hành chính": an Excel workbook
(``periodic_xlsx``) and an A4 landscape PDF (``periodic_pdf``, WeasyPrint, template
``reports/export/periodic.html``).

Both print the same page, from ``export_context``:

* the issuing unit (left) and the national motto (right), the title, the period label, the period
  (``Kỳ báo cáo: từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy``) and the unit of count;
* the table: a three-level merged header (``HEADER``), a row of column numbers (1)…(18), one row
  per report row, a bold total row;
* the signatures: "Người lập biểu" on the left, the place and date, the signer's title and
  "(Ký, ghi rõ họ tên, đóng dấu)" on the right.

The column list is ``HEADER`` (leaves in order) and ``row_values`` (one value per leaf): change
them together.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from io import BytesIO

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from motcua.workcalendar.engine import VN_TZ

from .periodic import Report, Row

# WeasyPrint logs every layout step at INFO (see ``motcua.dossiers.slips``).
if logging.getLogger("weasyprint.progress").level == logging.NOTSET:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

TEMPLATE = "reports/export/periodic.html"
COUNTRY = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
UNIT_OF_COUNT = "Đơn vị tính: hồ sơ"
TOTAL_LABEL = "Tổng cộng"
EMPTY_TEXT = "Không có số liệu trong kỳ báo cáo."
SIGN_HINT = "(Ký, ghi rõ họ tên, đóng dấu)"
PREPARER = "Người lập biểu"
PREPARER_HINT = "(Ký, ghi rõ họ tên)"
PLACE_FILLER = "......"  # the place is written by hand when settings.MOTCUA_PLACE_NAME is unset

GROUP_LABELS = {"agency": "Đơn vị", "field": "Lĩnh vực", "procedure": "Thủ tục"}
GROUP = object()  # placeholder in HEADER for the second column (its text depends on ``by``)

# The header as a tree: (text, children). Leaves span down to the last header row.
HEADER = [
    ("STT", []),
    (GROUP, []),
    (
        "Số hồ sơ nhận giải quyết",
        [
            ("Tổng số", []),
            ("Kỳ trước chuyển qua", []),
            ("Mới tiếp nhận", [("Trực tuyến", []), ("Trực tiếp", []), ("Dịch vụ bưu chính", [])]),
        ],
    ),
    (
        "Kết quả giải quyết",
        [
            (
                "Số hồ sơ đã giải quyết",
                [("Tổng số", []), ("Trước hạn", []), ("Đúng hạn", []), ("Quá hạn", [])],
            ),
            ("Số hồ sơ đang giải quyết", [("Tổng số", []), ("Trong hạn", []), ("Quá hạn", [])]),
        ],
    ),
    ("Hồ sơ yêu cầu bổ sung", []),
    ("Từ chối", []),
    ("Rút hồ sơ", []),
    ("Tỷ lệ đúng hạn (%)", []),
]
RATE_COLUMN = 18  # 1-based: the only non-integer column
# Excel column widths (characters), one per leaf.
WIDTHS = [5, 34, 9, 10, 10, 10, 10, 9, 9, 9, 9, 9, 9, 9, 11, 9, 9, 10]
# PDF column widths (mm), one per leaf; the label column takes the rest of the page.
PDF_WIDTHS = [8, None, 13, 14, 14, 14, 14, 13, 13, 13, 13, 13, 13, 13, 15, 12, 12, 14]


def _depth(nodes) -> int:
    return 1 + max((_depth(children) for _, children in nodes if children), default=0)


def _width(node) -> int:
    _, children = node
    return sum(_width(c) for c in children) if children else 1


def header_cells(by: str) -> list[dict]:
    """The header's cells, in reading order: text, row and col (0-based), rowspan, colspan."""
    levels = _depth(HEADER)
    cells: list[dict] = []

    def walk(nodes, row: int, col: int) -> None:
        for node in nodes:
            text, children = node
            span = _width(node)
            cells.append(
                {
                    "text": GROUP_LABELS.get(by, "Đơn vị") if text is GROUP else text,
                    "row": row,
                    "col": col,
                    "rowspan": 1 if children else levels - row,
                    "colspan": span,
                }
            )
            if children:
                walk(children, row + 1, col)
            col += span

    walk(HEADER, 0, 0)
    cells.sort(key=lambda c: (c["row"], c["col"]))
    return cells


def column_count() -> int:
    return sum(_width(n) for n in HEADER)


def row_values(row: Row) -> list:
    """The values of ``row`` from the third column on (after STT and the label), in ``HEADER`` order."""
    f = row.flows
    return [
        row.received_total,
        row.carried_over,
        f["received_online"],
        f["received_direct"],
        f["received_post"],
        row.resolved,
        f["resolved_early"],
        f["resolved_on_time"],
        f["resolved_late"],
        row.in_progress,
        row.open_on_time,
        row.open_late,
        f["supplement_requested"],
        f["refused"],
        f["withdrawn"],
        row.on_time_rate,
    ]


# ------------------------------------------------------------------------------------------------
# Formatting
# ------------------------------------------------------------------------------------------------
def fmt_int(value: int) -> str:
    """1234567 → '1.234.567' (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def fmt_rate(value: float | None) -> str:
    """95.238 → '95,24'; '' when there is no rate (nothing resolved)."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def period_text(start: dt.date, end: dt.date) -> str:
    return f"Kỳ báo cáo: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def date_line(place: str | None, day: dt.date) -> str:
    """'An Hòa, ngày 05 tháng 04 năm 2026'."""
    return f"{place or PLACE_FILLER}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def _label(row: Row) -> str:
    return row.label or "(Chưa xác định)"


def export_context(
    report: Report,
    *,
    unit_name: str,
    period_label: str,
    signer_title: str = "THỦ TRƯỞNG CƠ QUAN",
    prepared_by: str = "",
    place: str | None = None,
    issued_on: dt.date | None = None,
) -> dict:
    """Everything both exports print. ``place`` defaults to ``settings.MOTCUA_PLACE_NAME`` (else a
    dotted blank), ``issued_on`` to today (Vietnam time)."""
    if place is None:
        place = getattr(settings, "MOTCUA_PLACE_NAME", None) or ""
    issued_on = issued_on or timezone.now().astimezone(VN_TZ).date()
    header = header_cells(report.by)
    header_rows = [[c for c in header if c["row"] == r] for r in range(_depth(HEADER))]
    rows = [
        {
            "no": no,
            "label": _label(row),
            "values": [fmt_int(v) for v in row_values(row)[:-1]] + [fmt_rate(row.on_time_rate)],
        }
        for no, row in enumerate(report.rows, start=1)
    ]
    total = report.total
    widths = [f"{w}mm" if w else "auto" for w in PDF_WIDTHS]
    return {
        "unit_name": unit_name,
        "country": COUNTRY,
        "motto": MOTTO,
        "title": TITLE,
        "period_label": period_label,
        "period_text": period_text(report.start, report.end),
        "unit_of_count": UNIT_OF_COUNT,
        "group_label": GROUP_LABELS.get(report.by, "Đơn vị"),
        "header_rows": header_rows,
        "column_numbers": [f"({i})" for i in range(1, column_count() + 1)],
        "column_widths": widths,
        "columns": column_count(),
        "rows": rows,
        "empty_text": EMPTY_TEXT,
        "total": {
            "label": TOTAL_LABEL,
            "values": [fmt_int(v) for v in row_values(total)[:-1]] + [fmt_rate(total.on_time_rate)],
        },
        "date_line": date_line(place, issued_on),
        "signer_title": signer_title,
        "sign_hint": SIGN_HINT,
        "preparer": PREPARER,
        "preparer_hint": PREPARER_HINT,
        "prepared_by": prepared_by,
    }


# ------------------------------------------------------------------------------------------------
# PDF
# ------------------------------------------------------------------------------------------------
def periodic_html(report: Report, **kwargs) -> str:
    return render_to_string(TEMPLATE, export_context(report, **kwargs))


def periodic_pdf(
    report: Report,
    *,
    unit_name: str,
    period_label: str,
    signer_title: str = "THỦ TRƯỞNG CƠ QUAN",
    prepared_by: str = "",
    place: str | None = None,
    issued_on: dt.date | None = None,
) -> bytes:
    """The report as a PDF (A4 landscape, header rows repeated on every page)."""
    from weasyprint import HTML  # imported lazily: heavy, and only the printing paths need it

    html = periodic_html(
        report,
        unit_name=unit_name,
        period_label=period_label,
        signer_title=signer_title,
        prepared_by=prepared_by,
        place=place,
        issued_on=issued_on,
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# ------------------------------------------------------------------------------------------------
# Excel
# ------------------------------------------------------------------------------------------------
# Fixed rows of the sheet (1-based). The header takes HEADER_ROW .. HEADER_ROW + depth - 1, then
# the column numbers, then the data.
UNIT_ROW, MOTTO_ROW, TITLE_ROW, LABEL_ROW, PERIOD_ROW, COUNT_ROW, HEADER_ROW = 1, 2, 4, 5, 6, 7, 8
FONT = "Times New Roman"


def periodic_xlsx(
    report: Report,
    *,
    unit_name: str,
    period_label: str,
    signer_title: str = "THỦ TRƯỞNG CƠ QUAN",
    prepared_by: str = "",
    place: str | None = None,
    issued_on: dt.date | None = None,
) -> bytes:
    """The report as an Excel workbook (one sheet, printable on A4 landscape, fit to width)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    ctx = export_context(
        report,
        unit_name=unit_name,
        period_label=period_label,
        signer_title=signer_title,
        prepared_by=prepared_by,
        place=place,
        issued_on=issued_on,
    )
    ncols = ctx["columns"]
    last = get_column_letter(ncols)
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo giải quyết TTHC"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def put(row: int, col1: int, col2: int, text, *, bold=False, italic=False, size=12, align="center", **font):
        cell = ws.cell(row=row, column=col1, value=text)
        cell.font = Font(name=FONT, size=size, bold=bold, italic=italic, **font)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if col2 > col1:
            ws.merge_cells(start_row=row, start_column=col1, end_row=row, end_column=col2)
        return cell

    # Unit (left) and national motto (right).
    put(UNIT_ROW, 1, 5, unit_name.upper(), bold=True)
    ws.row_dimensions[UNIT_ROW].height = 16 * max(1, math.ceil(len(unit_name) / 50))
    put(UNIT_ROW, 8, ncols, COUNTRY, bold=True)
    put(MOTTO_ROW, 8, ncols, MOTTO, bold=True, size=13, underline="single")
    # Title, period, unit of count.
    put(TITLE_ROW, 1, ncols, TITLE, bold=True, size=14)
    ws.row_dimensions[TITLE_ROW].height = 22
    put(LABEL_ROW, 1, ncols, period_label, bold=True)
    put(PERIOD_ROW, 1, ncols, ctx["period_text"], italic=True)
    put(COUNT_ROW, ncols - 2, ncols, UNIT_OF_COUNT, italic=True, align="right")

    # Header (merged), then the column numbers.
    levels = len(ctx["header_rows"])
    for cell in header_cells(report.by):
        r, c = HEADER_ROW + cell["row"], 1 + cell["col"]
        r2, c2 = r + cell["rowspan"] - 1, c + cell["colspan"] - 1
        ws.cell(row=r, column=c, value=cell["text"])
        if r2 > r or c2 > c:
            ws.merge_cells(start_row=r, start_column=c, end_row=r2, end_column=c2)
    numbers_row = HEADER_ROW + levels
    for col, text in enumerate(ctx["column_numbers"], start=1):
        ws.cell(row=numbers_row, column=col, value=text)
    for r in range(HEADER_ROW, numbers_row + 1):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)  # also the cells hidden by a merge: their borders show
            cell.border = border
            cell.alignment = center
            cell.font = Font(name=FONT, size=11, bold=r < numbers_row, italic=r == numbers_row)
    for r, height in zip(range(HEADER_ROW, numbers_row), (32, 45, 45), strict=False):
        ws.row_dimensions[r].height = height

    # Data rows and the total row.
    def data_row(r: int, no, label: str, row: Row, *, bold: bool) -> None:
        values = [no, label, *row_values(row)]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = border
            cell.font = Font(name=FONT, size=11, bold=bold)
            if col == 2:
                cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
            else:
                cell.alignment = Alignment(horizontal="center" if col == 1 else "right", vertical="center")
            if col == RATE_COLUMN:
                cell.number_format = "0.00"
            elif col > 2:
                cell.number_format = "#,##0"
        lines = max(1, math.ceil(len(label) / (WIDTHS[1] - 2)))
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines

    r = numbers_row + 1
    first_data = r
    for no, row in enumerate(report.rows, start=1):
        data_row(r, no, _label(row), row, bold=False)
        r += 1
    if not report.rows:
        put(r, 1, ncols, EMPTY_TEXT, italic=True, size=11)
        for c in range(1, ncols + 1):
            ws.cell(row=r, column=c).border = border
        r += 1
    data_row(r, None, TOTAL_LABEL, report.total, bold=True)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    ws.cell(row=r, column=1, value=TOTAL_LABEL).alignment = center
    total_row = r

    # Signatures: the preparer on the left, the head of the unit on the right.
    s = total_row + 2
    right = ncols - 6
    put(s, right, ncols, ctx["date_line"], italic=True)
    put(s + 1, 1, 5, PREPARER, bold=True)
    put(s + 1, right, ncols, signer_title, bold=True)
    put(s + 2, 1, 5, PREPARER_HINT, italic=True, size=11)
    put(s + 2, right, ncols, SIGN_HINT, italic=True, size=11)
    if prepared_by:
        put(s + 7, 1, 5, prepared_by, bold=True)

    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"C{first_data}"
    ws.sheet_view.showGridLines = False
    ws.print_title_rows = f"{HEADER_ROW}:{numbers_row}"
    ws.print_area = f"A1:{last}{s + 7}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.right.text = "Trang &P/&N"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
