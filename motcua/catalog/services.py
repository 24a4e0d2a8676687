"""Catalog services: validation of procedure data, publishing versions, search.

The canonical shape of a procedure is the JSON interchange format (``motcua.catalog.v1``, see
``interchange.py``); the importers, the demo loader and the tests all publish through here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from motcua.common.text import tokens
from motcua.org.models import AdministrativeLevel, Agency, AgencyKind
from motcua.org.roles import Role

from .models import (
    PROCEDURE_CODE_VALIDATOR,
    ApplicantType,
    Component,
    ComponentForm,
    DataSource,
    ExemptionCondition,
    Fee,
    FeeKind,
    Field,
    OnlineLevel,
    Procedure,
    ProcedureVersion,
    ProcessStep,
    ResultType,
    validate_doc_types,
)

PROCEDURE_KEYS = {
    "code",
    "name",
    "field_code",
    "field_name",
    "levels",
    "agency_kind",
    "agencies",
    "time_limit_days",
    "online_level",
    "location_independent",
    "essential",
    "applicant_types",
    "effective_from",
    "description",
    "legal_basis",
    "components",
    "results",
    "fees",
    "steps",
    "form_schema",
    "pay_before_processing",
}
COMPONENT_KEYS = {"code", "name", "required", "form", "copies", "reusable", "reuse_from", "data_source", "template"}
RESULT_KEYS = {"code", "name", "validity_days"}
FEE_KEYS = {"kind", "name", "amount", "exemptions"}
STEP_KEYS = {"order", "name", "role", "agency_kind", "budget_days", "parallel"}
LOCATION_KEY = "_at"  # where an item came from (e.g. "Sheet 'Thành phần', dòng 7"), for messages


class CatalogError(ValueError):
    """Procedure data rejected; ``errors`` lists every problem in Vietnamese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Checker:
    errors: list[str]
    where: str

    def add(self, item: dict, message: str) -> None:
        at = item.get(LOCATION_KEY) or self.where
        self.errors.append(f"{at}: {message}")


def _half_days(value, label: str, ck: _Checker, item: dict) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        ck.add(item, f"{label} phải là một số (nhận được {value!r}).")
        return None
    if not number.is_finite() or number < 0 or (number * 2) % 1 != 0:
        ck.add(item, f"{label} phải là bội số của 0,5 và không âm (nhận được {value}).")
        return None
    return number


def _unknown_keys(item: dict, allowed: set[str], ck: _Checker, what: str) -> None:
    extra = sorted(set(item) - allowed - {LOCATION_KEY})
    if extra:
        ck.add(item, f"{what} có trường không hợp lệ: {', '.join(extra)}.")


def _bool(item: dict, key: str, ck: _Checker, label: str, default: bool | None = None) -> None:
    if key not in item and default is not None:
        item[key] = default
    if not isinstance(item.get(key), bool):
        ck.add(item, f"{label} phải là true/false (Có/Không).")


def check_budgets(limit: Decimal, budgets: list[tuple[Decimal, bool]]) -> str | None:
    """The rule on step budgets (one place): sequential budgets sum to at most the legal limit;
    a parallel consultation runs alongside the sequence, so it only has to fit within the limit."""
    sequential = sum((b for b, parallel in budgets if not parallel), Decimal(0))
    if sequential > limit:
        return f"Tổng thời gian các bước ({_fmt(sequential)} ngày) vượt thời hạn giải quyết ({_fmt(limit)} ngày)."
    if any(b > limit for b, parallel in budgets if parallel):
        return "Thời gian bước xin ý kiến song song vượt thời hạn giải quyết."
    return None


def _fmt(d: Decimal) -> str:
    return f"{d.normalize():f}".replace(".", ",")


def validate_procedure(data: dict, where: str, known_levels: set[str], known_agencies: set[str]) -> list[str]:
    """Every problem with one procedure dict, as Vietnamese messages. Normalizes ``data`` in place."""
    ck = _Checker([], where)
    if not isinstance(data, dict):
        return [f"{where}: thủ tục phải là một đối tượng JSON."]
    _unknown_keys(data, PROCEDURE_KEYS, ck, "Thủ tục")
    code = str(data.get("code") or "").strip()
    data["code"] = code
    try:
        PROCEDURE_CODE_VALIDATOR(code)
    except Exception:
        ck.add(data, f"Mã thủ tục {code!r} không đúng định dạng (ví dụ 1.001193).")
    for key, label in (("name", "Tên thủ tục"), ("field_code", "Mã lĩnh vực"), ("field_name", "Tên lĩnh vực")):
        if not str(data.get(key) or "").strip():
            ck.add(data, f"{label} không được để trống.")
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels:
        ck.add(data, "Phải có ít nhất một cấp thực hiện.")
    else:
        for level in levels:
            if level not in known_levels:
                ck.add(data, f"Cấp thực hiện không hợp lệ: {level!r}.")
    data.setdefault("agency_kind", "")
    if data["agency_kind"] and data["agency_kind"] not in AgencyKind.values:
        ck.add(data, f"Loại cơ quan thực hiện không hợp lệ: {data['agency_kind']!r}.")
    agencies = data.setdefault("agencies", [])
    if not isinstance(agencies, list):
        ck.add(data, "Danh sách cơ quan thực hiện phải là một mảng mã định danh.")
    else:
        for code_ in agencies:
            if code_ not in known_agencies:
                ck.add(data, f"Không tìm thấy cơ quan có mã định danh {code_!r}.")
    if not data["agency_kind"] and not agencies:
        ck.add(data, "Phải có loại cơ quan thực hiện hoặc danh sách cơ quan thực hiện.")
    limit = _half_days(data.get("time_limit_days"), "Thời hạn giải quyết", ck, data)
    if data.get("online_level") not in OnlineLevel.values:
        ck.add(data, f"Mức độ trực tuyến không hợp lệ: {data.get('online_level')!r} (full, partial, none).")
    _bool(data, "location_independent", ck, "Tiếp nhận không phụ thuộc địa giới", False)
    _bool(data, "essential", ck, "Dịch vụ công thiết yếu", False)
    _bool(data, "pay_before_processing", ck, "Nộp phí, lệ phí trước khi giải quyết", False)
    applicants = data.setdefault("applicant_types", ["citizen"])
    if not isinstance(applicants, list) or not applicants or set(applicants) - set(ApplicantType.values):
        ck.add(data, "Đối tượng thực hiện phải gồm citizen và/hoặc organization.")
    try:
        data["effective_from"] = dt.date.fromisoformat(str(data.get("effective_from")))
    except ValueError:
        ck.add(data, f"Ngày hiệu lực không hợp lệ: {data.get('effective_from')!r} (YYYY-MM-DD).")
    data.setdefault("description", "")
    data.setdefault("legal_basis", "")
    form_schema = data.setdefault("form_schema", {})
    if form_schema:
        from jsonschema import Draft202012Validator, SchemaError

        try:
            if not isinstance(form_schema, dict) or form_schema.get("type") != "object":
                raise SchemaError("not an object schema")
            Draft202012Validator.check_schema(form_schema)
        except SchemaError:
            ck.add(data, "Biểu mẫu điện tử (form_schema) phải là JSON Schema hợp lệ kiểu object.")

    components = data.get("components")
    if not isinstance(components, list) or not components:
        ck.add(data, "Phải có ít nhất một thành phần hồ sơ.")
        components = []
    seen: set[str] = set()
    for c in components:
        _unknown_keys(c, COMPONENT_KEYS, ck, "Thành phần hồ sơ")
        c_code = str(c.get("code") or "").strip()
        if not c_code:
            ck.add(c, "Mã thành phần hồ sơ không được để trống.")
        elif c_code in seen:
            ck.add(c, f"Mã thành phần hồ sơ {c_code!r} bị trùng.")
        seen.add(c_code)
        if not str(c.get("name") or "").strip():
            ck.add(c, "Tên thành phần hồ sơ không được để trống.")
        _bool(c, "required", ck, "Bắt buộc", True)
        _bool(c, "reusable", ck, "Tái sử dụng", False)
        c.setdefault("form", ComponentForm.ORIGINAL)
        if c["form"] not in ComponentForm.values:
            ck.add(c, f"Hình thức thành phần không hợp lệ: {c['form']!r}.")
        c.setdefault("copies", 1)
        if not isinstance(c["copies"], int) or c["copies"] < 1:
            ck.add(c, "Số bản phải là số nguyên dương.")
        c.setdefault("template", "")
        c.setdefault("reuse_from", [])
        try:
            validate_doc_types(c["reuse_from"])
        except ValidationError as exc:
            ck.add(c, exc.messages[0])
        c.setdefault("data_source", "")
        if c["data_source"] not in DataSource.values:
            ck.add(c, f"Cơ sở dữ liệu khai thác không hợp lệ: {c['data_source']!r}.")

    results = data.get("results")
    if not isinstance(results, list) or not results:
        ck.add(data, "Phải có ít nhất một kết quả giải quyết.")
        results = []
    seen = set()
    for r in results:
        _unknown_keys(r, RESULT_KEYS, ck, "Kết quả")
        r_code = str(r.get("code") or "").strip()
        if not r_code:
            ck.add(r, "Mã kết quả không được để trống.")
        elif r_code in seen:
            ck.add(r, f"Mã kết quả {r_code!r} bị trùng.")
        seen.add(r_code)
        if not str(r.get("name") or "").strip():
            ck.add(r, "Tên kết quả không được để trống.")
        r.setdefault("validity_days", None)
        if r["validity_days"] is not None and (not isinstance(r["validity_days"], int) or r["validity_days"] < 1):
            ck.add(r, "Thời hạn hiệu lực phải là số ngày nguyên dương hoặc để trống.")

    for f in data.setdefault("fees", []):
        _unknown_keys(f, FEE_KEYS, ck, "Phí, lệ phí")
        if f.get("kind") not in FeeKind.values:
            ck.add(f, f"Loại phí không hợp lệ: {f.get('kind')!r} (fee = phí, charge = lệ phí).")
        if not str(f.get("name") or "").strip():
            ck.add(f, "Tên phí, lệ phí không được để trống.")
        if not isinstance(f.get("amount"), int) or f["amount"] < 0:
            ck.add(f, "Mức thu phải là số nguyên không âm (đồng).")
        for e in f.setdefault("exemptions", []):
            if not isinstance(e, dict) or e.get("condition") not in ExemptionCondition.values:
                ck.add(f, f"Điều kiện miễn, giảm không hợp lệ: {e!r}.")
            elif not isinstance(e.get("percent"), int) or not 0 < e["percent"] <= 100:
                ck.add(f, "Tỷ lệ miễn, giảm phải là số nguyên từ 1 đến 100.")
            else:
                e.setdefault("description", ExemptionCondition(e["condition"]).label)

    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        ck.add(data, "Phải có ít nhất một bước trong quy trình nội bộ.")
        steps = []
    budgets = []
    for index, s in enumerate(steps, start=1):
        _unknown_keys(s, STEP_KEYS, ck, "Bước xử lý")
        if s.get("order") != index:
            ck.add(s, f"Thứ tự bước phải liên tục 1, 2, 3…; bước thứ {index} có thứ tự {s.get('order')!r}.")
        if not str(s.get("name") or "").strip():
            ck.add(s, "Tên bước không được để trống.")
        if s.get("role") not in Role.values:
            ck.add(s, f"Vai trò không hợp lệ: {s.get('role')!r}.")
        if s.get("agency_kind") not in AgencyKind.values:
            ck.add(s, f"Loại cơ quan của bước không hợp lệ: {s.get('agency_kind')!r}.")
        _bool(s, "parallel", ck, "Song song", False)
        budget = _half_days(s.get("budget_days"), "Thời gian của bước", ck, s)
        if budget is not None:
            s["budget_days"] = budget
            budgets.append((budget, bool(s.get("parallel"))))
    if limit is not None:
        data["time_limit_days"] = limit
        problem = check_budgets(limit, budgets)
        if problem:
            ck.add(data, problem)
    return ck.errors


# Keys added after versions were first hashed: left out while empty, so a version published before
# they existed still matches its unchanged re-import (no spurious new version).
LATER_KEYS = {"form_schema", "reuse_from", "data_source", "pay_before_processing"}


def content_hash(data: dict) -> str:
    clean = {k: v for k, v in data.items() if k != LOCATION_KEY}

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k != LOCATION_KEY and not (k in LATER_KEYS and not v)}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    payload = json.dumps(strip(clean), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def validate_all(items: list[dict], where_of=lambda i, d: f"Thủ tục thứ {i}") -> list[str]:
    known_levels = set(AdministrativeLevel.objects.values_list("code", flat=True))
    known_agencies = set(Agency.objects.values_list("code", flat=True))
    errors: list[str] = []
    codes: dict[str, int] = {}
    for i, data in enumerate(items, start=1):
        where = where_of(i, data) if isinstance(data, dict) else f"Thủ tục thứ {i}"
        errors += validate_procedure(data, where, known_levels, known_agencies)
        if isinstance(data, dict) and data.get("code"):
            if data["code"] in codes:
                errors.append(f"{where}: mã thủ tục {data['code']} bị trùng với thủ tục thứ {codes[data['code']]}.")
            codes.setdefault(data["code"], i)
    return errors


@dataclass
class PublishOutcome:
    created: int = 0
    unchanged: int = 0
    new_versions: int = 0


@transaction.atomic
def publish_all(items: list[dict], where_of=lambda i, d: f"Thủ tục thứ {i}") -> PublishOutcome:
    """Validate every procedure, then publish all of them — or nothing (CatalogError)."""
    errors = validate_all(items, where_of)
    if errors:
        raise CatalogError(errors)
    outcome = PublishOutcome()
    levels = {lv.code: lv for lv in AdministrativeLevel.objects.all()}
    agencies = {a.code: a for a in Agency.objects.all()}
    for i, data in enumerate(items, start=1):
        status = _publish(data, levels, agencies, where_of(i, data))
        setattr(outcome, status, getattr(outcome, status) + 1)
    return outcome


def _publish(data: dict, levels: dict, agencies: dict, where: str) -> str:
    digest = content_hash(data)
    procedure, created = Procedure.objects.get_or_create(code=data["code"])
    latest = procedure.versions.order_by("-number").first()
    if latest and latest.content_hash == digest:
        return "unchanged"
    effective = data["effective_from"]
    if latest:
        if effective <= latest.effective_from:
            raise CatalogError(
                [
                    f"{where}: thủ tục {data['code']} đã có phiên bản {latest.number} hiệu lực từ "
                    f"{latest.effective_from:%d/%m/%Y}; phiên bản mới phải có ngày hiệu lực sau ngày đó."
                ]
            )
        latest.effective_until = effective - dt.timedelta(days=1)
        latest.save(update_fields=["effective_until"])
    field, _ = Field.objects.get_or_create(code=data["field_code"], defaults={"name": data["field_name"]})
    if field.name != data["field_name"]:
        field.name = data["field_name"]
        field.save(update_fields=["name"])
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=(latest.number + 1) if latest else 1,
        effective_from=effective,
        name=data["name"].strip(),
        field=field,
        agency_kind=data["agency_kind"],
        time_limit_days=data["time_limit_days"],
        online_level=data["online_level"],
        location_independent=data["location_independent"],
        essential=data["essential"],
        applicant_types=data["applicant_types"],
        description=data["description"],
        legal_basis=data["legal_basis"],
        form_schema=data["form_schema"],
        pay_before_processing=data["pay_before_processing"],
        content_hash=digest,
    )
    version.levels.set([levels[c] for c in data["levels"]])
    version.agencies.set([agencies[c] for c in data["agencies"]])
    Component.objects.bulk_create(
        Component(
            version=version,
            order=i,
            code=c["code"].strip(),
            name=c["name"].strip(),
            required=c["required"],
            form=c["form"],
            copies=c["copies"],
            reusable=c["reusable"],
            reuse_from=c["reuse_from"],
            data_source=c["data_source"],
            template=c["template"],
        )
        for i, c in enumerate(data["components"], start=1)
    )
    ResultType.objects.bulk_create(
        ResultType(version=version, code=r["code"].strip(), name=r["name"].strip(), validity_days=r["validity_days"])
        for r in data["results"]
    )
    Fee.objects.bulk_create(
        Fee(version=version, kind=f["kind"], name=f["name"].strip(), amount=f["amount"], exemptions=f["exemptions"])
        for f in data["fees"]
    )
    ProcessStep.objects.bulk_create(
        ProcessStep(
            version=version,
            order=s["order"],
            name=s["name"].strip(),
            role=s["role"],
            agency_kind=s["agency_kind"],
            budget_days=s["budget_days"],
            parallel=s["parallel"],
        )
        for s in data["steps"]
    )
    return "created" if created else "new_versions"


# --- New version (staff) ----------------------------------------------------------------------

VERSION_COPY_EXCLUDE = {"id", "procedure", "number", "effective_from", "effective_until", "content_hash", "created_at"}


@transaction.atomic
def new_version(version: ProcedureVersion, effective_from: dt.date, user=None) -> ProcedureVersion:
    """A new version of ``version``'s procedure: a created of ``version`` (with its components,
    results, fees, steps, levels and agencies) numbered max + 1 and in force from ``effective_from``;
    the version(s) still open on that day close the day before. One transaction; CatalogError
    (Vietnamese) if the date is in the past or not after every existing version's start.

    Published versions are never edited: staff change a procedure by creating a new version here
    and editing it while it is still in the future. ``user`` is the staff member acting (the admin
    records it in its own log); the catalog keeps no author column.
    """
    if not isinstance(effective_from, dt.date) or isinstance(effective_from, dt.datetime):
        raise CatalogError([f"Ngày hiệu lực không hợp lệ: {effective_from!r}."])
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    source = ProcedureVersion.objects.select_related("procedure", "field").get(pk=version.pk)
    today = timezone.localdate()
    errors = []
    if effective_from < today:
        errors.append(
            f"Ngày hiệu lực {effective_from:%d/%m/%Y} đã qua; phiên bản mới phải có hiệu lực "
            f"từ hôm nay ({today:%d/%m/%Y}) trở đi."
        )
    latest = procedure.versions.order_by("-effective_from", "-number").first()
    if effective_from <= source.effective_from:
        errors.append(
            f"Phiên bản {source.number} của thủ tục {procedure.code} hiệu lực từ {source.effective_from:%d/%m/%Y}; "
            "phiên bản mới phải có ngày hiệu lực sau ngày đó."
        )
    elif latest and effective_from <= latest.effective_from:
        errors.append(
            f"Thủ tục {procedure.code} đã có phiên bản {latest.number} hiệu lực từ "
            f"{latest.effective_from:%d/%m/%Y}; phiên bản mới phải có ngày hiệu lực sau ngày đó."
        )
    if errors:
        raise CatalogError(errors)

    # Close what is still open on the new date (normally the one open-ended latest version).
    procedure.versions.filter(effective_from__lt=effective_from).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=effective_from)
    ).update(effective_until=effective_from - dt.timedelta(days=1))

    number = (procedure.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    created = ProcedureVersion(
        procedure=procedure,
        number=number,
        effective_from=effective_from,
        **{
            f.attname: getattr(source, f.attname)
            for f in ProcedureVersion._meta.concrete_fields
            if f.name not in VERSION_COPY_EXCLUDE
        },
    )
    created.save()
    created.levels.set(source.levels.all())
    created.agencies.set(source.agencies.all())
    for model in (Component, ResultType, Fee, ProcessStep):
        children = list(model.objects.filter(version=source).order_by("pk"))
        for child in children:
            child.pk = None
            child.version = created
        model.objects.bulk_create(children)
    created.content_hash = _hash_of(created)
    if created.content_hash:
        created.save(update_fields=["content_hash"])
    return created


def _hash_of(version: ProcedureVersion) -> str:
    """The hash ``_publish`` would store for this version's content (the interchange dict, validated
    and normalized the same way), so re-importing its export is a no-op; "" if the copied data
    would not pass import validation (then no import can ever match it by hash)."""
    from .interchange import version_to_dict  # interchange imports this module

    data = version_to_dict(version)
    known_levels = set(AdministrativeLevel.objects.values_list("code", flat=True))
    known_agencies = set(Agency.objects.values_list("code", flat=True))
    if validate_procedure(data, "", known_levels, known_agencies):
        return ""
    return content_hash(data)


# --- Search ----------------------------------------------------------------------------------


def search_versions(
    q: str = "",
    *,
    field: str | None = None,
    agency: Agency | None = None,
    level: str | None = None,
    online_level: str | None = None,
    day: dt.date | None = None,
) -> QuerySet[ProcedureVersion]:
    """Versions in force, matching every word of ``q`` ignoring case and diacritics, best first.

    Ranking: exact name or code > name starts with the query > name contains the phrase >
    all words found anywhere (name, code, field).
    """
    qs = ProcedureVersion.objects.in_force(day).select_related("procedure", "field")
    if field:
        qs = qs.filter(field__code=field)
    if level:
        qs = qs.filter(levels__code=level)
    if online_level:
        qs = qs.filter(online_level=online_level)
    if agency is not None:
        qs = qs.filter(Q(agencies=agency) | Q(agency_kind=agency.kind, levels=agency.unit.level_id))
    words = tokens(q)
    if not words:
        if field or level or agency:
            qs = qs.distinct()
        return qs.annotate(rank=Value(0, output_field=IntegerField())).order_by("name_folded", "id")
    for word in words:
        qs = qs.filter(search_text__contains=word)
    phrase = " ".join(words)
    raw = q.strip()
    qs = qs.annotate(
        rank=Case(
            When(Q(name_folded=phrase) | Q(procedure__code=raw), then=Value(100)),
            When(name_folded__startswith=phrase, then=Value(80)),
            When(name_folded__contains=phrase, then=Value(60)),
            When(search_text__contains=phrase, then=Value(40)),
            default=Value(20),
            output_field=IntegerField(),
        )
    )
    if agency is not None or level:
        qs = qs.distinct()
    return qs.order_by("-rank", "name_folded", "id")


# --- Version in force (cached) ----------------------------------------------------------------
# Intake reads the same few procedure versions thousands of times a day; a published version's
# content does not change (a change is a new version), so each process keeps the loaded version
# with its components, steps, fees, levels and agencies for VERSION_CACHE_SECONDS. A change in this
# process drops the cache at once (signals, see apps.py); other processes see it within the TTL.
VERSION_CACHE_SECONDS = 30.0
_version_lock = threading.Lock()
_version_cache: dict[tuple[str, dt.date], tuple[ProcedureVersion | None, float]] = {}


def version_in_force(procedure_code: str, day: dt.date) -> ProcedureVersion | None:
    """The version of ``procedure_code`` in force on ``day`` (latest start wins), fully loaded.
    Treat the result as read-only: it is shared by the requests of this process."""
    key = (procedure_code, day)
    now = time.monotonic()
    entry = _version_cache.get(key)
    if entry is not None and now - entry[1] < VERSION_CACHE_SECONDS:
        return entry[0]
    version = (
        ProcedureVersion.objects.in_force(day)
        .filter(procedure__code=procedure_code)
        .select_related("procedure", "field")
        .prefetch_related("components", "steps", "agencies", "levels", "fees")
        .order_by("-effective_from")
        .first()
    )
    with _version_lock:
        if len(_version_cache) > 20_000:  # unbounded codes from callers: keep memory bounded
            _version_cache.clear()
        _version_cache[key] = (version, now)
    return version


def _clear_versions() -> None:
    with _version_lock:
        _version_cache.clear()


def invalidate_versions(**_kwargs) -> None:
    """Drop the cache now and again when the changing transaction commits (a request of another
    thread may have cached the old content in between)."""
    _clear_versions()
    transaction.on_commit(_clear_versions)
