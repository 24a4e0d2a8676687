"""Catalog import/export as JSON (``motcua.catalog.v1``) and XLSX (the shape provinces publish).

XLSX workbook: sheet "Thủ tục" (one row per procedure), "Thành phần" (components), "Quy trình"
(internal process steps), plus "Kết quả" and "Phí, lệ phí". Cells take either the code or the
Vietnamese label of a choice ("Toàn trình" or "full"). Every parser turns its input into the
canonical JSON shape and hands it to ``services.publish_all``, which accepts all or nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from motcua.common.text import fold
from motcua.org.models import AdministrativeLevel, AgencyKind
from motcua.org.roles import Role

from .models import ComponentForm, ExemptionCondition, FeeKind, OnlineLevel, ProcedureVersion
from .services import LOCATION_KEY, CatalogError, PublishOutcome, publish_all

FORMAT = "motcua.catalog.v1"

# (sheet, [(key, header)]) — headers are what provinces see; keys are the JSON names.
SHEET_PROCEDURES = "Thủ tục"
SHEET_COMPONENTS = "Thành phần"
SHEET_STEPS = "Quy trình"
SHEET_RESULTS = "Kết quả"
SHEET_FEES = "Phí, lệ phí"
COLUMNS = {
    SHEET_PROCEDURES: [
        ("code", "Mã thủ tục"),
        ("name", "Tên thủ tục"),
        ("field_code", "Mã lĩnh vực"),
        ("field_name", "Tên lĩnh vực"),
        ("levels", "Cấp thực hiện"),
        ("agency_kind", "Loại cơ quan thực hiện"),
        ("agencies", "Mã cơ quan thực hiện"),
        ("time_limit_days", "Thời hạn giải quyết (ngày làm việc)"),
        ("online_level", "Mức độ trực tuyến"),
        ("location_independent", "Không phụ thuộc địa giới hành chính"),
        ("essential", "Dịch vụ công thiết yếu"),
        ("applicant_types", "Đối tượng thực hiện"),
        ("effective_from", "Hiệu lực từ ngày"),
        ("description", "Mô tả"),
        ("legal_basis", "Căn cứ pháp lý"),
    ],
    SHEET_COMPONENTS: [
        ("procedure", "Mã thủ tục"),
        ("code", "Mã thành phần"),
        ("name", "Tên thành phần"),
        ("required", "Bắt buộc"),
        ("form", "Hình thức"),
        ("copies", "Số bản"),
        ("reusable", "Được tái sử dụng"),
        ("template", "Mẫu đơn, tờ khai"),
        ("reuse_from", "Giấy tờ đã cấp được tái sử dụng"),
        ("data_source", "Khai thác từ CSDL"),
    ],
    SHEET_STEPS: [
        ("procedure", "Mã thủ tục"),
        ("order", "Bước"),
        ("name", "Tên bước"),
        ("role", "Vai trò thực hiện"),
        ("agency_kind", "Loại cơ quan thực hiện"),
        ("budget_days", "Thời gian (ngày làm việc)"),
        ("parallel", "Xin ý kiến song song"),
    ],
    SHEET_RESULTS: [
        ("procedure", "Mã thủ tục"),
        ("code", "Mã kết quả"),
        ("name", "Tên kết quả"),
        ("validity_days", "Thời hạn hiệu lực (ngày)"),
    ],
    SHEET_FEES: [
        ("procedure", "Mã thủ tục"),
        ("kind", "Loại"),
        ("name", "Tên phí, lệ phí"),
        ("amount", "Mức thu (đồng)"),
        ("exemptions", "Miễn, giảm (điều kiện=phần trăm: mô tả; …)"),
    ],
}
REQUIRED_SHEETS = (SHEET_PROCEDURES, SHEET_COMPONENTS, SHEET_STEPS)
CHILD_KEY = {SHEET_COMPONENTS: "components", SHEET_STEPS: "steps", SHEET_RESULTS: "results", SHEET_FEES: "fees"}

TRUE_WORDS = {"co", "x", "true", "1", "yes", "dung"}
FALSE_WORDS = {"khong", "", "false", "0", "no", "sai"}


# --- JSON -------------------------------------------------------------------------------------


def parse_json(raw: bytes | str) -> list[dict]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogError([f"Tệp JSON không hợp lệ: {exc}."]) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("procedures"), list):
        raise CatalogError([f'Tệp JSON phải có "format": "{FORMAT}" và danh sách "procedures".'])
    return doc["procedures"]


def version_to_dict(v: ProcedureVersion) -> dict:
    return {
        "code": v.procedure.code,
        "name": v.name,
        "field_code": v.field.code,
        "field_name": v.field.name,
        "levels": [lv.code for lv in v.levels.all()],
        "agency_kind": v.agency_kind,
        "agencies": [a.code for a in v.agencies.all()],
        "time_limit_days": _number(v.time_limit_days),
        "online_level": v.online_level,
        "location_independent": v.location_independent,
        "essential": v.essential,
        "applicant_types": v.applicant_types,
        "effective_from": v.effective_from.isoformat(),
        "description": v.description,
        "legal_basis": v.legal_basis,
        **({"form_schema": v.form_schema} if v.form_schema else {}),
        **({"pay_before_processing": True} if v.pay_before_processing else {}),
        "components": [
            {
                "code": c.code,
                "name": c.name,
                "required": c.required,
                "form": c.form,
                "copies": c.copies,
                "reusable": c.reusable,
                "reuse_from": c.reuse_from,
                "data_source": c.data_source,
                "template": c.template,
            }
            for c in v.components.all()
        ],
        "results": [{"code": r.code, "name": r.name, "validity_days": r.validity_days} for r in v.results.all()],
        "fees": [
            {"kind": f.kind, "name": f.name, "amount": f.amount, "exemptions": f.exemptions} for f in v.fees.all()
        ],
        "steps": [
            {
                "order": s.order,
                "name": s.name,
                "role": s.role,
                "agency_kind": s.agency_kind,
                "budget_days": _number(s.budget_days),
                "parallel": s.parallel,
            }
            for s in v.steps.all()
        ],
    }


def _number(d: Decimal):
    return int(d) if d == int(d) else float(d)


def export_queryset(qs):
    return (
        qs.select_related("procedure", "field")
        .prefetch_related("levels", "agencies", "components", "results", "fees", "steps")
        .order_by("procedure__code")
    )


def export_json(qs) -> bytes:
    doc = {"format": FORMAT, "procedures": [version_to_dict(v) for v in export_queryset(qs)]}
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


# --- XLSX -------------------------------------------------------------------------------------


def _choice_map(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    mapping = {}
    for value, label in choices:
        mapping[fold(value)] = value
        mapping[fold(label)] = value
    for k, v in (extra or {}).items():
        mapping[fold(k)] = v
    return mapping


def _choices():
    levels = {fold(lv.code): lv.code for lv in AdministrativeLevel.objects.all()}
    levels.update({fold(lv.name): lv.code for lv in AdministrativeLevel.objects.all()})
    return {
        "levels": levels,
        "online_level": _choice_map(OnlineLevel.choices, {"Không": "none", "Toàn trình": "full"}),
        "agency_kind": _choice_map(AgencyKind.choices),
        "form": _choice_map(ComponentForm.choices),
        "role": _choice_map(Role.choices),
        "kind": _choice_map(FeeKind.choices),
        "applicant_types": _choice_map(
            [("citizen", "Công dân"), ("organization", "Tổ chức"), ("organization", "Doanh nghiệp")]
        ),
        "condition": _choice_map(ExemptionCondition.choices),
    }


class _Row:
    def __init__(self, sheet: str, number: int, values: dict, errors: list[str]):
        self.at = f"Sheet '{sheet}', dòng {number}"
        self.values = values
        self.errors = errors

    def err(self, message: str) -> None:
        self.errors.append(f"{self.at}: {message}")

    def text(self, key: str) -> str:
        v = self.values.get(key)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def boolean(self, key: str, label: str, default: bool):
        word = fold(self.text(key))
        if not word:
            return default
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.err(f"{label} phải là 'Có' hoặc 'Không' (nhận được {self.text(key)!r}).")
        return default

    def choice(self, key: str, mapping: dict[str, str], label: str, blank_ok: bool = False):
        raw = self.text(key)
        if not raw and blank_ok:
            return ""
        value = mapping.get(fold(raw))
        if value is None:
            self.err(f"{label} không hợp lệ: {raw!r}.")
            return raw
        return value

    def choices(self, key: str, mapping: dict[str, str], label: str) -> list[str]:
        out = []
        for part in self.text(key).replace(";", ",").split(","):
            if part.strip():
                value = mapping.get(fold(part))
                if value is None:
                    self.err(f"{label} không hợp lệ: {part.strip()!r}.")
                elif value not in out:
                    out.append(value)
        return out

    def integer(self, key: str, label: str, blank=None):
        v = self.values.get(key)
        if v is None or v == "":
            return blank
        try:
            f = float(str(v).replace(",", "."))
        except ValueError:
            self.err(f"{label} phải là số nguyên (nhận được {v!r}).")
            return blank
        if not f.is_integer():
            self.err(f"{label} phải là số nguyên (nhận được {v!r}).")
            return blank
        return int(f)

    def number(self, key: str, label: str):
        v = self.values.get(key)
        if v is None or v == "":
            self.err(f"{label} không được để trống.")
            return None
        try:
            return Decimal(str(v).replace(",", "."))
        except Exception:
            self.err(f"{label} phải là một số (nhận được {v!r}).")
            return None

    def date(self, key: str, label: str):
        v = self.values.get(key)
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        raw = self.text(key)
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(raw, fmt).date().isoformat()
            except ValueError:
                pass
        self.err(f"{label} không hợp lệ: {raw!r} (dd/mm/yyyy).")
        return raw


def _read_sheet(wb, sheet: str, errors: list[str]):
    ws = wb[sheet]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    expected = COLUMNS[sheet]
    if header is None:
        errors.append(f"Sheet '{sheet}' trống.")
        return
    by_header = {fold(str(h or "")): idx for idx, h in enumerate(header)}
    positions = {}
    for key, title in expected:
        idx = by_header.get(fold(title))
        if idx is None:
            errors.append(f"Sheet '{sheet}', dòng 1: thiếu cột '{title}'.")
        positions[key] = idx
    if any(v is None for v in positions.values()):
        return
    for number, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        yield _Row(sheet, number, {k: (values[i] if i < len(values) else None) for k, i in positions.items()}, errors)


def parse_xlsx(raw: bytes) -> list[dict]:
    """Workbook → canonical procedure dicts, each item tagged with its sheet and row."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:
        raise CatalogError([f"Không đọc được tệp Excel (.xlsx): {exc.__class__.__name__}."]) from exc
    errors: list[str] = []
    missing = [s for s in REQUIRED_SHEETS if s not in wb.sheetnames]
    if missing:
        raise CatalogError([f"Tệp Excel thiếu sheet '{s}'." for s in missing])
    ch = _choices()
    procedures: dict[str, dict] = {}
    for row in _read_sheet(wb, SHEET_PROCEDURES, errors):
        code = row.text("code")
        if code in procedures:
            row.err(f"Mã thủ tục {code} bị trùng.")
            continue
        procedures[code] = {
            LOCATION_KEY: row.at,
            "code": code,
            "name": row.text("name"),
            "field_code": row.text("field_code"),
            "field_name": row.text("field_name"),
            "levels": row.choices("levels", ch["levels"], "Cấp thực hiện"),
            "agency_kind": row.choice("agency_kind", ch["agency_kind"], "Loại cơ quan thực hiện", blank_ok=True),
            "agencies": [a.strip() for a in row.text("agencies").replace(";", ",").split(",") if a.strip()],
            "time_limit_days": row.number("time_limit_days", "Thời hạn giải quyết"),
            "online_level": row.choice("online_level", ch["online_level"], "Mức độ trực tuyến"),
            "location_independent": row.boolean("location_independent", "Không phụ thuộc địa giới", False),
            "essential": row.boolean("essential", "Dịch vụ công thiết yếu", False),
            "applicant_types": row.choices("applicant_types", ch["applicant_types"], "Đối tượng thực hiện")
            or ["citizen"],
            "effective_from": row.date("effective_from", "Ngày hiệu lực"),
            "description": row.text("description"),
            "legal_basis": row.text("legal_basis"),
            "components": [],
            "results": [],
            "fees": [],
            "steps": [],
        }
    for sheet in (SHEET_COMPONENTS, SHEET_STEPS, SHEET_RESULTS, SHEET_FEES):
        if sheet not in wb.sheetnames:
            continue
        for row in _read_sheet(wb, sheet, errors):
            owner = procedures.get(row.text("procedure"))
            if owner is None:
                row.err(f"Mã thủ tục {row.text('procedure')!r} không có trong sheet '{SHEET_PROCEDURES}'.")
                continue
            owner[CHILD_KEY[sheet]].append(_child(sheet, row, ch))
    wb.close()
    if errors:
        raise CatalogError(errors)
    return list(procedures.values())


def _child(sheet: str, row: _Row, ch) -> dict:
    if sheet == SHEET_COMPONENTS:
        return {
            LOCATION_KEY: row.at,
            "code": row.text("code"),
            "name": row.text("name"),
            "required": row.boolean("required", "Bắt buộc", True),
            "form": row.choice("form", ch["form"], "Hình thức"),
            "copies": row.integer("copies", "Số bản", 1),
            "reusable": row.boolean("reusable", "Được tái sử dụng", False),
            "template": row.text("template"),
            "reuse_from": [v.strip() for v in row.text("reuse_from").replace(";", ",").split(",") if v.strip()],
            "data_source": row.text("data_source"),
        }
    if sheet == SHEET_STEPS:
        return {
            LOCATION_KEY: row.at,
            "order": row.integer("order", "Bước"),
            "name": row.text("name"),
            "role": row.choice("role", ch["role"], "Vai trò"),
            "agency_kind": row.choice("agency_kind", ch["agency_kind"], "Loại cơ quan"),
            "budget_days": row.number("budget_days", "Thời gian của bước"),
            "parallel": row.boolean("parallel", "Xin ý kiến song song", False),
        }
    if sheet == SHEET_RESULTS:
        return {
            LOCATION_KEY: row.at,
            "code": row.text("code"),
            "name": row.text("name"),
            "validity_days": row.integer("validity_days", "Thời hạn hiệu lực"),
        }
    exemptions = []
    for part in row.text("exemptions").split(";"):
        if not part.strip():
            continue
        head, _, description = part.partition(":")
        condition, _, percent = head.partition("=")
        value = ch["condition"].get(fold(condition))
        try:
            pct = int(percent.strip())
        except ValueError:
            pct = None
        if value is None or pct is None:
            row.err(f"Miễn, giảm không hợp lệ: {part.strip()!r} (dạng điều_kiện=phần_trăm: mô tả).")
            continue
        exemptions.append(
            {"condition": value, "percent": pct, "description": description.strip() or ExemptionCondition(value).label}
        )
    return {
        LOCATION_KEY: row.at,
        "kind": row.choice("kind", ch["kind"], "Loại phí"),
        "name": row.text("name"),
        "amount": row.integer("amount", "Mức thu"),
        "exemptions": exemptions,
    }


def export_xlsx(qs) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in COLUMNS}
    for name, ws in sheets.items():
        ws.append([title for _, title in COLUMNS[name]])
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1A4480")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.freeze_panes = "A2"
        for i in range(1, len(COLUMNS[name]) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 22
    yes = lambda b: "Có" if b else "Không"  # noqa: E731
    for v in export_queryset(qs):
        d = version_to_dict(v)
        sheets[SHEET_PROCEDURES].append(
            [
                d["code"],
                d["name"],
                d["field_code"],
                d["field_name"],
                ", ".join(lv.name for lv in v.levels.all()),
                v.get_agency_kind_display() if v.agency_kind else "",
                ", ".join(d["agencies"]),
                d["time_limit_days"],
                v.get_online_level_display(),
                yes(d["location_independent"]),
                yes(d["essential"]),
                ", ".join(d["applicant_types"]),
                v.effective_from.strftime("%d/%m/%Y"),
                d["description"],
                d["legal_basis"],
            ]
        )
        for c in v.components.all():
            sheets[SHEET_COMPONENTS].append(
                [
                    d["code"],
                    c.code,
                    c.name,
                    yes(c.required),
                    c.get_form_display(),
                    c.copies,
                    yes(c.reusable),
                    c.template,
                    ", ".join(c.reuse_from),
                    c.data_source,
                ]
            )
        for s in v.steps.all():
            sheets[SHEET_STEPS].append(
                [
                    d["code"],
                    s.order,
                    s.name,
                    s.get_role_display(),
                    s.get_agency_kind_display(),
                    _number(s.budget_days),
                    yes(s.parallel),
                ]
            )
        for r in v.results.all():
            sheets[SHEET_RESULTS].append([d["code"], r.code, r.name, r.validity_days])
        for f in v.fees.all():
            ex = "; ".join(f"{e['condition']}={e['percent']}: {e.get('description', '')}" for e in f.exemptions)
            sheets[SHEET_FEES].append([d["code"], f.get_kind_display(), f.name, f.amount, ex])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_file(name: str, raw: bytes) -> PublishOutcome:
    """Import a .json or .xlsx catalog file; all procedures or none (CatalogError)."""
    lower = name.lower()
    if lower.endswith(".json"):
        items = parse_json(raw)
        where = lambda i, d: f"Thủ tục thứ {i} (mã {d.get('code', '?')})"  # noqa: E731
    elif lower.endswith(".xlsx"):
        items = parse_xlsx(raw)
        where = lambda i, d: d.get(LOCATION_KEY, f"Thủ tục thứ {i}")  # noqa: E731
    else:
        raise CatalogError(["Chỉ nhận tệp .json hoặc .xlsx."])
    return publish_all(items, where)
