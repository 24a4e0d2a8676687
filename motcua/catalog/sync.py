"""Catalog sync from the national procedure database (Cơ sở dữ liệu quốc gia về thủ tục hành chính).

Three steps, used by the ``sync_catalog`` command and the backoffice page:

1. **Source**: ``fetch()`` reads ``{NATIONAL_CATALOG_URL}/api/v1/procedures`` (the same
   ``motcua.catalog.v1`` document as our JSON interchange file); ``from_file()`` reads a downloaded
   ``.json`` or ``.xlsx`` interchange file.
2. **Diff**: ``diff(incoming, day)`` compares every incoming procedure with our *reference version*
   of the same code — the newest version (by number) of the procedure, i.e. the version in force on
   ``day`` or, when one is already scheduled, the scheduled one (that is what a new version has to
   follow). Kinds: ``new``, ``changed`` (with the changed parts in Vietnamese), ``unchanged`` and
   ``missing`` (ours, not in the national list: shown, never deleted). Each incoming procedure is
   validated as it would be published; an invalid one carries its errors and cannot be applied.
3. **Apply**: ``apply(incoming, codes, user=..., effective_from=None)`` publishes the chosen codes as
   new versions through ``services.publish_all`` (all or nothing).

What counts as a change: the content of the procedure as published (``services.validate_procedure``
normalized), compared without the effective date, ignoring surrounding whitespace and the order of
unordered lists (levels, agencies, applicant types, results by code, fees). Component and step order
do count. A national record that only moves the effective date is ``unchanged``.

Local enrichments: the province adds data the national database does not hold. When the incoming
record lacks one of these (key absent or empty), the value of our reference version is carried over,
so a sync never wipes them: ``form_schema``, ``pay_before_processing``, ``agencies`` (our agency
identifiers) and ``steps`` (the internal process, quy trình nội bộ, is approved by the province); for
each component with the same code, ``reuse_from`` and ``data_source``. An uploaded template file
(``Component.template_file``, not part of the interchange format) is carried over to the new version
when the component keeps its code and template name.

Effective dates (``effective_for``): a new procedure keeps the national effective date, even a past
one (no dossier of ours depends on it). A new version of an existing procedure never starts in the
past or today — dossiers received today were received under the version in force today, which must
not end before them — so it starts on the national date if that is later, otherwise tomorrow, and in
any case after the reference version's start. An explicit ``effective_from`` (the page's and the
command's option) applies to every chosen procedure and must be today or later.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from motcua.org.models import AdministrativeLevel, Agency, AgencyKind
from motcua.org.roles import Role

from .interchange import parse_json, parse_xlsx, version_to_dict
from .models import (
    ApplicantType,
    Component,
    ComponentForm,
    DataSource,
    FeeKind,
    OnlineLevel,
    Procedure,
    ProcedureVersion,
)
from .services import LATER_KEYS, LOCATION_KEY, CatalogError, publish_all, validate_procedure

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8106"
DEFAULT_API_KEY = "motcua-sim"  # the simulators' default key (simulators.common.DEFAULT_API_KEY)
ENDPOINT = "/api/v1/procedures"
MAX_RESPONSE = 50 * 1024 * 1024

NEW, CHANGED, UNCHANGED, MISSING = "new", "changed", "unchanged", "missing"
KIND_LABELS = {
    NEW: "Thủ tục mới",
    CHANGED: "Có thay đổi",
    UNCHANGED: "Không thay đổi",
    MISSING: "Không có trong CSDL quốc gia",
}

# Carried over from our reference version when the incoming record lacks them (absent or empty).
PROCEDURE_LOCAL_KEYS = {
    "form_schema": "biểu mẫu điện tử",
    "pay_before_processing": "nộp phí, lệ phí trước khi giải quyết",
    "agencies": "cơ quan thực hiện",
    "steps": "quy trình nội bộ",
}
COMPONENT_LOCAL_KEYS = {"reuse_from": "giấy tờ được tái sử dụng", "data_source": "khai thác từ CSDL"}


class SyncError(CatalogError):
    """A sync step failed; ``errors`` lists the problems in Vietnamese (``str(exc)`` joins them)."""

    def __init__(self, errors: str | list[str]):
        super().__init__([errors] if isinstance(errors, str) else list(errors))


# --- Sources ------------------------------------------------------------------------------------


def _settings_url() -> str:
    return getattr(settings, "NATIONAL_CATALOG_URL", "") or DEFAULT_URL


def endpoint_of(url: str | None = None) -> str:
    """``url`` (a base URL or the full endpoint; default the setting) → the procedures endpoint."""
    base = (url or _settings_url()).strip().rstrip("/")
    return base if base.endswith(ENDPOINT) else base + ENDPOINT


def fetch(url: str | None = None) -> list[dict]:
    """Every procedure of the national database, as interchange dicts (SyncError in Vietnamese)."""
    endpoint = endpoint_of(url)
    key = getattr(settings, "NATIONAL_PORTAL_API_KEY", "") or DEFAULT_API_KEY
    timeout = float(getattr(settings, "NATIONAL_CATALOG_TIMEOUT", 30.0))
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            timeout=(min(timeout, 5.0), timeout),
        )
    except requests.Timeout as exc:
        raise SyncError(
            "CSDL quốc gia về thủ tục hành chính không phản hồi (quá thời gian chờ). Vui lòng thử lại sau "
            "hoặc tải tệp danh mục về và nhập từ tệp."
        ) from exc
    except requests.RequestException as exc:
        raise SyncError(
            f"Không kết nối được CSDL quốc gia về thủ tục hành chính ({endpoint}). Vui lòng thử lại sau "
            "hoặc tải tệp danh mục về và nhập từ tệp."
        ) from exc
    if response.status_code in (401, 403):
        raise SyncError(
            "CSDL quốc gia về thủ tục hành chính từ chối truy cập: khóa truy cập (NATIONAL_PORTAL_API_KEY) "
            "không hợp lệ."
        )
    if response.status_code != 200:
        detail = ""
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("message"), str):
                detail = f": {body['message']}"
        except ValueError:
            pass
        raise SyncError(f"CSDL quốc gia về thủ tục hành chính trả lỗi HTTP {response.status_code}{detail}")
    if len(response.content) > MAX_RESPONSE:
        raise SyncError("Dữ liệu trả về từ CSDL quốc gia quá lớn (trên 50 MB).")
    try:
        return parse_json(response.content)
    except CatalogError as exc:
        raise SyncError(["Dữ liệu trả về từ CSDL quốc gia không đúng định dạng.", *exc.errors]) from exc


def from_file(raw: bytes, filename: str) -> list[dict]:
    """A downloaded ``.json`` or ``.xlsx`` interchange file → procedure dicts (SyncError)."""
    lower = (filename or "").lower()
    try:
        if lower.endswith(".json"):
            return parse_json(raw)
        if lower.endswith(".xlsx"):
            return parse_xlsx(raw)
    except CatalogError as exc:
        raise SyncError(exc.errors) from exc
    raise SyncError("Chỉ nhận tệp .json hoặc .xlsx.")


def jsonable(items: list[dict]) -> list[dict]:
    """``items`` with Decimals and dates as plain JSON values (for a session or a signed payload)."""

    def conv(o):
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [conv(v) for v in o]
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        if isinstance(o, dt.date):
            return o.isoformat()
        return o

    return conv(items)


# --- Diff ---------------------------------------------------------------------------------------


@dataclass
class Change:
    code: str
    kind: str
    name: str = ""
    details: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # local enrichments carried over
    current: ProcedureVersion | None = None  # our reference version
    effective_from: dt.date | None = None  # the date ``apply`` uses by default
    data: dict | None = None  # the merged, validated procedure that would be published

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def applicable(self) -> bool:
        return self.kind in (NEW, CHANGED) and not self.errors

    @property
    def valid(self) -> bool:
        return not self.errors


def _lacks(item: dict, key: str) -> bool:
    return key not in item or item[key] in (None, "", [], {}, False)


def _carry_local(item: dict, ours: dict) -> list[str]:
    """Fill in ``item`` (in place) the local enrichments it lacks from ``ours``; what was kept."""
    kept = []
    for key, label in PROCEDURE_LOCAL_KEYS.items():
        if _lacks(item, key) and ours.get(key):
            item[key] = copy.deepcopy(ours[key])
            kept.append(label)
    components = item.get("components")
    if isinstance(components, list):
        our_components = {c["code"]: c for c in ours.get("components", [])}
        for c in components:
            if not isinstance(c, dict):
                continue
            code = str(c.get("code") or "").strip()
            mine = our_components.get(code)
            if not mine:
                continue
            for key, label in COMPONENT_LOCAL_KEYS.items():
                if _lacks(c, key) and mine.get(key):
                    c[key] = copy.deepcopy(mine[key])
                    kept.append(f"{label} ({code})")
    return kept


def _canonical(data: dict) -> dict:
    """The comparable content of a validated procedure dict (see the module docstring)."""

    def clean(o):
        if isinstance(o, dict):
            return {
                k: clean(v)
                for k, v in o.items()
                if k != LOCATION_KEY and not (k in LATER_KEYS and v in (None, "", [], {}, False))
            }
        if isinstance(o, list):
            return [clean(v) for v in o]
        if isinstance(o, Decimal):
            return f"{o.normalize():f}"
        if isinstance(o, float):
            return f"{Decimal(str(o)).normalize():f}"
        if isinstance(o, str):
            return o.strip()
        return o

    out = clean({k: v for k, v in data.items() if k != "effective_from"})
    for key in ("levels", "agencies", "applicant_types"):
        if isinstance(out.get(key), list):
            out[key] = sorted(out[key])
    out["results"] = sorted(out.get("results", []), key=lambda r: r.get("code", ""))
    out["fees"] = sorted(out.get("fees", []), key=lambda f: (f.get("kind", ""), f.get("name", ""), f.get("amount", 0)))
    return out


def _reference_versions() -> dict[str, ProcedureVersion]:
    """The newest version (by number) of each procedure, fully loaded."""
    newest = ProcedureVersion.objects.filter(procedure=OuterRef("procedure")).order_by("-number").values("pk")[:1]
    qs = (
        ProcedureVersion.objects.filter(pk=Subquery(newest))
        .select_related("procedure", "field")
        .prefetch_related("levels", "agencies", "components", "results", "fees", "steps")
        .order_by("procedure__code")
    )
    return {v.procedure.code: v for v in qs}


def effective_for(change_kind: str, incoming: dt.date, current: ProcedureVersion | None, today: dt.date) -> dt.date:
    """The default effective date of a sync (see the module docstring)."""
    if change_kind == NEW or current is None:
        return incoming
    return max(incoming, today + dt.timedelta(days=1), current.effective_from + dt.timedelta(days=1))


def diff(incoming: list[dict], day: dt.date | None = None) -> list[Change]:
    """Incoming procedures vs our catalog, in incoming order, then ``missing`` ones by code."""
    day = day or timezone.localdate()
    known_levels = set(AdministrativeLevel.objects.values_list("code", flat=True))
    known_agencies = set(Agency.objects.values_list("code", flat=True))
    refs = _reference_versions()
    level_names = dict(AdministrativeLevel.objects.values_list("code", "name"))

    counts: dict[str, int] = {}
    for item in incoming:
        if isinstance(item, dict):
            code = str(item.get("code") or "").strip()
            counts[code] = counts.get(code, 0) + 1

    changes: list[Change] = []
    seen: set[str] = set()
    for index, item in enumerate(incoming, start=1):
        if not isinstance(item, dict):
            changes.append(
                Change(code=f"?{index}", kind=NEW, errors=[f"Thủ tục thứ {index}: không phải đối tượng JSON."])
            )
            continue
        code = str(item.get("code") or "").strip()
        if code in seen:
            continue
        seen.add(code)
        where = f"Thủ tục {code}" if code else f"Thủ tục thứ {index}"
        current = refs.get(code)
        data = copy.deepcopy(item)
        kept: list[str] = []
        ours = None
        if current is not None:
            ours = version_to_dict(current)
            kept = _carry_local(data, ours)
        errors = validate_procedure(data, where, known_levels, known_agencies)
        if counts.get(code, 0) > 1:
            errors.append(f"{where}: mã thủ tục xuất hiện {counts[code]} lần trong dữ liệu nguồn.")
        change = Change(
            code=code or f"?{index}",
            kind=NEW if current is None else CHANGED,
            name=str(data.get("name") or "").strip() or (current.name if current else ""),
            errors=errors,
            current=current,
            data=data,
        )
        if current is not None:
            validate_procedure(ours, "", known_levels, known_agencies)  # normalize the same way
            if not errors and _canonical(ours) == _canonical(data):
                change.kind = UNCHANGED
            elif not errors:
                change.details = describe(ours, data, level_names) or ["Nội dung khác thay đổi."]
                change.kept = kept
        if change.kind in (NEW, CHANGED) and isinstance(data.get("effective_from"), dt.date):
            change.effective_from = effective_for(change.kind, data["effective_from"], current, day)
        changes.append(change)

    for code, current in sorted(refs.items()):
        if code in seen or (current.effective_until is not None and current.effective_until < day):
            continue
        changes.append(Change(code=code, kind=MISSING, name=current.name, current=current))
    return changes


# --- Describing a change ----------------------------------------------------------------------


def _q(text) -> str:
    return f"«{text}»"


def _days(value: str) -> str:
    return f"{str(value).replace('.', ',')} ngày làm việc"


def _money(amount) -> str:
    return f"{int(amount):,} đồng".replace(",", ".")


def _yes(value) -> str:
    return "Có" if value else "Không"


def _label(choices, value) -> str:
    return dict(choices).get(value, value or "—")


def _labels(choices, values) -> str:
    return ", ".join(_label(choices, v) for v in values) or "—"


def describe(old: dict, new: dict, level_names: dict[str, str] | None = None) -> list[str]:
    """The parts of a procedure that differ between two validated dicts, in Vietnamese."""
    a, b = _canonical(old), _canonical(new)
    level_names = level_names or {}
    out: list[str] = []
    if a["name"] != b["name"]:
        out.append(f"Tên thủ tục: {_q(a['name'])} → {_q(b['name'])}")
    if (a["field_code"], a["field_name"]) != (b["field_code"], b["field_name"]):
        out.append(f"Lĩnh vực: {a['field_name']} ({a['field_code']}) → {b['field_name']} ({b['field_code']})")
    if a["time_limit_days"] != b["time_limit_days"]:
        out.append(f"Thời hạn giải quyết: {_days(a['time_limit_days'])} → {_days(b['time_limit_days'])}")
    if a["online_level"] != b["online_level"]:
        out.append(
            f"Mức độ trực tuyến: {_label(OnlineLevel.choices, a['online_level'])} → "
            f"{_label(OnlineLevel.choices, b['online_level'])}"
        )
    if a["levels"] != b["levels"]:
        names = lambda codes: ", ".join(level_names.get(c, c) for c in codes) or "—"  # noqa: E731
        out.append(f"Cấp thực hiện: {names(a['levels'])} → {names(b['levels'])}")
    if a["agency_kind"] != b["agency_kind"]:
        out.append(
            f"Loại cơ quan thực hiện: {_label(AgencyKind.choices, a['agency_kind'])} → "
            f"{_label(AgencyKind.choices, b['agency_kind'])}"
        )
    if a["agencies"] != b["agencies"]:
        out.append(f"Cơ quan thực hiện: {', '.join(a['agencies']) or '—'} → {', '.join(b['agencies']) or '—'}")
    if a["applicant_types"] != b["applicant_types"]:
        out.append(
            f"Đối tượng thực hiện: {_labels(ApplicantType.choices, a['applicant_types'])} → "
            f"{_labels(ApplicantType.choices, b['applicant_types'])}"
        )
    for key, label in (
        ("location_independent", "Tiếp nhận không phụ thuộc địa giới hành chính"),
        ("essential", "Dịch vụ công thiết yếu"),
        ("pay_before_processing", "Nộp phí, lệ phí trước khi giải quyết"),
    ):
        if bool(a.get(key)) != bool(b.get(key)):
            out.append(f"{label}: {_yes(a.get(key))} → {_yes(b.get(key))}")
    for key, label in (
        ("description", "Mô tả"),
        ("legal_basis", "Căn cứ pháp lý"),
        ("form_schema", "Biểu mẫu điện tử"),
    ):
        if a.get(key) != b.get(key):
            out.append(f"{label} thay đổi.")
    out += _describe_components(a["components"], b["components"])
    out += _describe_results(a["results"], b["results"])
    out += _describe_fees(a["fees"], b["fees"])
    out += _describe_steps(a["steps"], b["steps"])
    return out


COMPONENT_ATTRS = {
    "required": ("bắt buộc", _yes),
    "form": ("hình thức", lambda v: _label(ComponentForm.choices, v)),
    "copies": ("số bản", str),
    "reusable": ("được tái sử dụng", _yes),
    "template": ("mẫu đơn, tờ khai", lambda v: _q(v) if v else "—"),
    "reuse_from": ("giấy tờ được tái sử dụng", lambda v: ", ".join(v or []) or "—"),
    "data_source": ("khai thác từ CSDL", lambda v: _label(DataSource.choices, v or "")),
}


def _attr_changes(old: dict, new: dict, attrs: dict) -> list[str]:
    parts = []
    for key, (label, fmt) in attrs.items():
        if old.get(key) != new.get(key):
            parts.append(f"{label} {fmt(old.get(key))} → {fmt(new.get(key))}")
    return parts


def _describe_components(old: list[dict], new: list[dict]) -> list[str]:
    out = []
    a = {c["code"]: c for c in old}
    b = {c["code"]: c for c in new}
    for code, c in b.items():
        if code not in a:
            out.append(f"Thêm thành phần hồ sơ {code} – {c['name']}")
    for code, c in a.items():
        if code not in b:
            out.append(f"Bỏ thành phần hồ sơ {code} – {c['name']}")
    for code in (c for c in b if c in a):
        if a[code]["name"] != b[code]["name"]:
            out.append(f"Đổi tên thành phần hồ sơ {code}: {_q(a[code]['name'])} → {_q(b[code]['name'])}")
        parts = _attr_changes(a[code], b[code], COMPONENT_ATTRS)
        if parts:
            out.append(f"Thành phần hồ sơ {code}: {'; '.join(parts)}")
    common_a = [c for c in a if c in b]
    common_b = [c for c in b if c in a]
    if common_a != common_b:
        out.append(f"Thứ tự thành phần hồ sơ: {', '.join(common_a)} → {', '.join(common_b)}")
    return out


def _validity(v) -> str:
    return f"{v} ngày" if v else "không thời hạn"


def _describe_results(old: list[dict], new: list[dict]) -> list[str]:
    out = []
    a = {r["code"]: r for r in old}
    b = {r["code"]: r for r in new}
    for code, r in b.items():
        if code not in a:
            out.append(f"Thêm kết quả {code} – {r['name']}")
    for code, r in a.items():
        if code not in b:
            out.append(f"Bỏ kết quả {code} – {r['name']}")
    for code in (c for c in b if c in a):
        if a[code]["name"] != b[code]["name"]:
            out.append(f"Đổi tên kết quả {code}: {_q(a[code]['name'])} → {_q(b[code]['name'])}")
        if a[code].get("validity_days") != b[code].get("validity_days"):
            out.append(
                f"Kết quả {code}: thời hạn hiệu lực {_validity(a[code].get('validity_days'))} → "
                f"{_validity(b[code].get('validity_days'))}"
            )
    return out


def _describe_fees(old: list[dict], new: list[dict]) -> list[str]:
    out = []
    a = {(f["kind"], f["name"]): f for f in old}
    b = {(f["kind"], f["name"]): f for f in new}
    kind = lambda k: _label(FeeKind.choices, k)  # noqa: E731
    for (k, name), f in b.items():
        if (k, name) not in a:
            out.append(f"Thêm {kind(k).lower()} {_q(name)}: {_money(f['amount'])}")
    for (k, name), f in a.items():
        if (k, name) not in b:
            out.append(f"Bỏ {kind(k).lower()} {_q(name)}: {_money(f['amount'])}")
    for key in (k for k in b if k in a):
        if a[key]["amount"] != b[key]["amount"]:
            out.append(f"{kind(key[0])} {_q(key[1])}: {_money(a[key]['amount'])} → {_money(b[key]['amount'])}")
        if a[key].get("exemptions") != b[key].get("exemptions"):
            out.append(f"{kind(key[0])} {_q(key[1])}: thay đổi miễn, giảm")
    return out


STEP_ATTRS = {
    "name": ("tên", _q),
    "role": ("vai trò", lambda v: _label(Role.choices, v)),
    "agency_kind": ("cơ quan", lambda v: _label(AgencyKind.choices, v)),
    "budget_days": ("thời gian", _days),
    "parallel": ("song song", _yes),
}


def _describe_steps(old: list[dict], new: list[dict]) -> list[str]:
    out = []
    if len(old) != len(new):
        out.append(f"Quy trình nội bộ: {len(old)} bước → {len(new)} bước")
    for i, s in enumerate(new):
        if i >= len(old):
            out.append(f"Thêm bước {s['order']} – {s['name']} ({_days(s['budget_days'])})")
            continue
        parts = _attr_changes(old[i], s, STEP_ATTRS)
        if parts:
            out.append(f"Bước {s['order']}: {'; '.join(parts)}")
    for s in old[len(new) :]:
        out.append(f"Bỏ bước {s['order']} – {s['name']}")
    return out


# --- Apply --------------------------------------------------------------------------------------


def apply(
    incoming: list[dict],
    codes,
    *,
    user,
    effective_from: dt.date | None = None,
) -> list[ProcedureVersion]:
    """Publish the chosen procedures (new ones and changed ones) as new versions, all or nothing.

    Chosen codes that are unchanged (for instance already applied) are skipped, so applying the same
    data twice publishes nothing the second time. A code not in ``incoming``, an invalid procedure or
    an explicit ``effective_from`` in the past raises SyncError and nothing is published. ``user`` is
    who applies it (logged; None from the command line). Returns the versions created, by code.
    """
    codes = list(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
    if not codes:
        raise SyncError("Chưa chọn thủ tục nào để áp dụng.")
    today = timezone.localdate()
    if effective_from is not None and effective_from < today:
        raise SyncError(
            f"Ngày hiệu lực {effective_from:%d/%m/%Y} đã qua; phiên bản mới phải có hiệu lực "
            f"từ hôm nay ({today:%d/%m/%Y}) trở đi."
        )
    with transaction.atomic():
        # Serialize concurrent syncs of the same procedures (no-op on SQLite).
        list(Procedure.objects.select_for_update().filter(code__in=codes).values_list("pk", flat=True))
        changes = {c.code: c for c in diff(incoming, today) if c.kind != MISSING}
        errors = []
        chosen: list[Change] = []
        for code in codes:
            change = changes.get(code)
            if change is None:
                errors.append(f"Thủ tục {code} không có trong dữ liệu đồng bộ.")
            elif change.errors:
                errors.append(f"Thủ tục {code} có lỗi, không thể áp dụng:")
                errors += [f"  {e}" for e in change.errors]
            elif change.applicable:
                chosen.append(change)
        if errors:
            raise SyncError(errors)
        if not chosen:
            return []
        items = []
        for change in chosen:
            item = copy.deepcopy(change.data)
            item["effective_from"] = effective_from or change.effective_from
            items.append(item)
        before = {c.code: c.current.number for c in chosen if c.current is not None}
        try:
            publish_all(items, lambda i, d: f"Thủ tục {d.get('code')}")
        except CatalogError as exc:
            raise SyncError(exc.errors) from exc
        created = []
        for change in chosen:
            version = (
                ProcedureVersion.objects.select_related("procedure")
                .filter(procedure__code=change.code, number__gt=before.get(change.code, 0))
                .order_by("-number")
                .first()
            )
            if version is None:  # publish_all found it unchanged after all
                continue
            if change.current is not None:
                _keep_earlier_end(change.current)
                _carry_template_files(change.current, version)
            created.append(version)
    who = user.get_username() if user is not None else "command line"
    for v in created:
        log.info(
            "catalog sync: %s published %s version %s effective from %s",
            who,
            v.procedure.code,
            v.number,
            v.effective_from.isoformat(),
        )
    return created


def _keep_earlier_end(old: ProcedureVersion) -> None:
    """``publish_all`` ends the previous version the day before the new one; a version our province
    had already ended earlier (a withdrawn procedure the national list brings back) keeps its end."""
    if old.effective_until is not None:
        ProcedureVersion.objects.filter(pk=old.pk, effective_until__gt=old.effective_until).update(
            effective_until=old.effective_until
        )


def _carry_template_files(old: ProcedureVersion, new: ProcedureVersion) -> None:
    """Uploaded template files follow a component that keeps its code and template name."""
    files = {c.code: c for c in old.components.all() if c.template_file}
    for c in Component.objects.filter(version=new, template_file=""):
        mine = files.get(c.code)
        if mine is not None and mine.template == c.template:
            c.template_file = mine.template_file.name
            c.save(update_fields=["template_file"])
