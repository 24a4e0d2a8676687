"""Import/export as JSON and XLSX; bad files rejected whole with row-numbered Vietnamese errors."""

import io
import json

import openpyxl
import pytest

from motcua.catalog.interchange import FORMAT, export_json, export_xlsx, import_file, parse_xlsx
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import CatalogError, publish_all

pytestmark = pytest.mark.django_db


def _json(*procs) -> bytes:
    return json.dumps({"format": FORMAT, "procedures": list(procs)}, ensure_ascii=False).encode()


def test_json_import_then_export_round_trips(demo_org, procedure_data):
    import_file("tt.json", _json(procedure_data))
    exported = json.loads(export_json(ProcedureVersion.objects.all()))
    assert exported["format"] == FORMAT
    (p,) = exported["procedures"]
    assert p["code"] == "1.001193" and p["name"] == "Đăng ký khai sinh"
    assert [c["code"] for c in p["components"]] == ["TP01", "TP02"]
    # Importing the export again changes nothing.
    outcome = import_file("tt.json", json.dumps(exported).encode())
    assert outcome.unchanged == 1


def test_xlsx_export_then_import_round_trips(demo_org, procedure_data):
    fees = procedure_data["fees"]
    fees[0].update(amount=50000, exemptions=[{"condition": "online", "percent": 50, "description": "Giảm 50%"}])
    publish_all([procedure_data])
    raw = export_xlsx(ProcedureVersion.objects.all())
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    assert wb.sheetnames[:3] == ["Thủ tục", "Thành phần", "Quy trình"]
    assert wb["Thủ tục"]["B2"].value == "Đăng ký khai sinh"
    items = parse_xlsx(raw)
    assert len(items) == 1
    item = items[0]
    assert item["levels"] == ["commune"] and item["online_level"] == "full"
    assert item["fees"][0]["exemptions"] == [{"condition": "online", "percent": 50, "description": "Giảm 50%"}]
    assert import_file("tt.xlsx", raw).unchanged == 1


def _workbook_with_errors() -> bytes:
    from motcua.catalog.interchange import COLUMNS

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, cols in COLUMNS.items():
        ws = wb.create_sheet(sheet)
        ws.append([title for _, title in cols])
    wb["Thủ tục"].append(
        [
            "1.000100",
            "Cấp phiếu lý lịch tư pháp",
            "LLTP",
            "Lý lịch tư pháp",
            "Tỉnh",
            "",
            "000.00.06.H99",
            10,
            "Toàn trình",
            "Có",
            "Có",
            "Công dân",
            "01/07/2025",
            "",
            "",
        ]
    )
    wb["Thủ tục"].append(
        [
            "1.000101",
            "Thủ tục lỗi",
            "X",
            "X",
            "Tỉnh",
            "",
            "000.00.06.H99",
            2,
            "Nửa vời",
            "Có",
            "Không",
            "Công dân",
            "01/07/2025",
            "",
            "",
        ]
    )
    wb["Thành phần"].append(["1.000100", "TP01", "Tờ khai", "Có", "Bản chính", 1, "Không", ""])
    wb["Thành phần"].append(["1.000101", "TP01", "Tờ khai", "Có", "Bản chính", 1, "Không", ""])
    wb["Thành phần"].append(["9.999999", "TP01", "Mồ côi", "Có", "Bản chính", 1, "Không", ""])
    wb["Quy trình"].append(["1.000100", 1, "Xử lý", "Chuyên viên xử lý", "Sở, ban, ngành cấp tỉnh", 10, "Không"])
    wb["Quy trình"].append(["1.000101", 1, "Xử lý", "Chuyên viên xử lý", "Sở, ban, ngành cấp tỉnh", 5, "Không"])
    wb["Kết quả"].append(["1.000100", "KQ01", "Phiếu lý lịch tư pháp", None])
    wb["Kết quả"].append(["1.000101", "KQ01", "Kết quả", None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_bad_xlsx_is_rejected_whole_with_row_numbers(demo_org):
    with pytest.raises(CatalogError) as err:
        import_file("bad.xlsx", _workbook_with_errors())
    errors = err.value.errors
    assert "Sheet 'Thủ tục', dòng 3: Mức độ trực tuyến không hợp lệ: 'Nửa vời'." in errors
    assert any(e.startswith("Sheet 'Thành phần', dòng 4:") and "9.999999" in e for e in errors)
    assert Procedure.objects.count() == 0  # the good row was not imported either


def test_budget_error_points_at_the_procedure_row(demo_org):
    raw = _workbook_with_errors()
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    wb["Thủ tục"].delete_rows(3)
    wb["Thành phần"].delete_rows(3, 2)
    wb["Quy trình"].delete_rows(3)
    wb["Kết quả"].delete_rows(3)
    wb["Quy trình"]["F2"] = 12
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(CatalogError) as err:
        import_file("bad.xlsx", out.getvalue())
    assert err.value.errors == [
        "Sheet 'Thủ tục', dòng 2: Tổng thời gian các bước (12 ngày) vượt thời hạn giải quyết (10 ngày)."
    ]


@pytest.mark.parametrize(
    "name, raw, fragment",
    [
        ("x.json", b"{not json", "Tệp JSON không hợp lệ"),
        ("x.json", b'{"procedures": []}', "format"),
        ("x.xlsx", b"PK not a workbook", "Không đọc được tệp Excel"),
        ("x.csv", b"a,b", "Chỉ nhận tệp .json hoặc .xlsx"),
    ],
)
def test_unreadable_files(demo_org, name, raw, fragment):
    with pytest.raises(CatalogError) as err:
        import_file(name, raw)
    assert fragment in err.value.errors[0]


def test_missing_sheet_is_reported(demo_org):
    wb = openpyxl.Workbook()
    wb.active.title = "Thủ tục"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(CatalogError) as err:
        import_file("x.xlsx", out.getvalue())
    assert "Tệp Excel thiếu sheet 'Thành phần'." in err.value.errors
