"""Dossier lifecycle services: the only code that writes dossiers, steps and events.

Every state change is one call — ``create_dossier`` / ``create_bundle`` / ``act`` — in one
transaction that writes the event row too. ``act`` checks, in this order: the action exists,
the version the caller saw (optimistic lock), the transition table (409), who may do it (403),
then the action's own input (400). Nothing is written unless everything passes.

Rules kept here (each in one function):
* dossier code: ``next_code`` (gap-free daily sequence per receiving agency);
* the legal clock: ``_start_clock`` (due from receipt, the 15:00 cut-off of the linked bundles),
  ``_pause`` / ``_resume`` (waiting for the applicant does not count);
* hand-overs after 15:00 start the next working morning: ``handover_start``;
* late handling (apology slip): ``_do_apologize``;
* which agency handles a step: ``_step_agency``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from motcua.catalog.models import ApplicantType, ProcedureVersion
from motcua.catalog.services import version_in_force
from motcua.common.inputs import as_int
from motcua.identity.ids import IdError, validate_id_number
from motcua.org.models import Agency, Desk, StaffMembership
from motcua.org.roles import Role
from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ, OutOfCalendarRange, days_to_units
from motcua.workcalendar.services import get_calendar

from .bundles import BUNDLES, CUTOFF, chain_for
from .models import (
    Bundle,
    Channel,
    DailySequence,
    Dossier,
    DossierComponent,
    Event,
    FeeStatus,
    IdentityStatus,
    Outcome,
    ReturnChannel,
    Step,
    StepStatus,
)
from .states import DESK, FINAL_STATES, HANDLERS, TRANSITIONS, Actor, State, Transition, target_of

HANDOVER_CUTOFF = dt.time(15, 0)


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------
class DossierError(Exception):
    """A refused request: Vietnamese ``message``, machine ``code``, HTTP ``status``."""

    status = 400

    def __init__(self, message: str, code: str = "invalid", details=None):
        super().__init__(message)
        self.message, self.code, self.details = message, code, details


class InvalidInput(DossierError):
    status = 400


class NotAllowed(DossierError):
    status = 403


class NotFound(DossierError):
    status = 404


class InvalidTransition(DossierError):
    status = 409


class StaleVersion(DossierError):
    status = 412


# ------------------------------------------------------------------------------------------------
# Pure rules
# ------------------------------------------------------------------------------------------------
def format_code(agency_code: str, day: dt.date, number: int) -> str:
    """``{agency e-ID}-{YYMMDD}-{NNNN}`` (at least 4 digits)."""
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(VN_TZ).date()


def handover_start(instant: dt.datetime) -> dt.datetime:
    """A hand-over after 15:00 goes out (and its step starts counting) the next working morning."""
    cal = get_calendar()
    local = instant.astimezone(VN_TZ)
    if local.time() > HANDOVER_CUTOFF:
        offset = cal.to_offset(local)
        if offset % UNITS_PER_DAY:  # still inside today's office hours: tomorrow's first session
            return cal.next_working_instant(cal.from_offset((offset // UNITS_PER_DAY + 1) * UNITS_PER_DAY))
    return instant


def _due(start: dt.datetime, units: int) -> dt.datetime:
    """``start`` + ``units`` of working time; 0 = the end of the working day (as ``due_date``)."""
    cal = get_calendar()
    offset = cal.to_offset(start)
    if units == 0:
        return cal.from_offset((offset // UNITS_PER_DAY + 1) * UNITS_PER_DAY)
    return cal.from_offset(offset + units)


def working_units(start: dt.datetime, end: dt.datetime) -> int:
    return get_calendar().working_units_between(start, end)


# ------------------------------------------------------------------------------------------------
# Code sequence
# ------------------------------------------------------------------------------------------------
def next_code(agency: Agency, day: dt.date) -> str:
    """Take the next number of ``agency`` for ``day``. Must run inside the creating transaction:
    the upsert locks the counter row until commit, and a rollback gives the number back (no gaps).
    One statement (PostgreSQL and SQLite ≥ 3.35 both speak INSERT … ON CONFLICT … RETURNING)."""
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [agency.pk, day],
        )
        (number,) = cursor.fetchone()
    return format_code(agency.code, day, number)


# ------------------------------------------------------------------------------------------------
# Who acts
# ------------------------------------------------------------------------------------------------
@dataclass
class Acting:
    """The resolved actor of an action: the user (None for applicant/system), as which role, where."""

    user: object | None
    role: str
    agency: Agency | None
    name: str


def _memberships(user) -> list[StaffMembership]:
    if user is None or not user.is_authenticated:
        return []
    return list(StaffMembership.objects.filter(user=user, active=True).select_related("agency", "desk__agency"))


def _user_name(user) -> str:
    return user.get_full_name() or user.get_username()


# Actions done *as* the current step: only its own role (or a leader) may do them.
STEP_ROLE_BOUND = frozenset({"forward", "issue_result"})


def _authorize(user, by: str | None, dossier: Dossier, transition: Transition, step: Step | None) -> Acting:
    """Decide whether ``user`` (or the applicant/system, ``by``) may do ``transition`` now."""
    if user is None:
        if by in (Actor.APPLICANT, Actor.SYSTEM) and by in transition.actors:
            name = dossier.applicant_name if by == Actor.APPLICANT else "Hệ thống MotCua"
            return Acting(None, by, None, name)
        raise NotAllowed(f"Thao tác “{transition.label}” phải do cán bộ có thẩm quyền thực hiện.", "not_allowed")
    roles = set(transition.actors) & {r.value for r in Role}
    wrong_role = None  # the step's own role refused a member of the right agency
    for m in _memberships(user):
        if m.role not in roles:
            continue
        if m.role in DESK and (m.desk_id == dossier.desk_id or m.agency_id == dossier.receiving_agency_id):
            if m.role == Actor.POSTAL_STAFF and not dossier.desk.postal_allows(transition.action):
                raise NotAllowed(
                    f"Bưu chính công ích không được {dossier.desk.name} giao thực hiện “{transition.label}”.",
                    "postal_not_contracted",
                )
            return Acting(user, m.role, m.agency, _user_name(user))
        if m.role in HANDLERS:
            where = {dossier.agency_id}
            if step is not None:
                # A consultation (parallel step) is answered by the consulted agency alone.
                where = {step.agency_id} if step.parallel else where | {step.agency_id}
            if m.agency_id not in where:
                continue
            if transition.action in STEP_ROLE_BOUND and step is not None and m.role not in (step.role, Role.LEADER):
                wrong_role = f"Bước “{step.name}” do {Role(step.role).label.lower()} thực hiện."
                continue
            return Acting(user, m.role, m.agency, _user_name(user))
    if user.is_superuser:
        role = sorted(roles)[0] if roles else Actor.SYSTEM
        return Acting(user, role, None, _user_name(user))
    if wrong_role:
        raise NotAllowed(wrong_role, "not_allowed")
    raise NotAllowed(
        f"Bạn không có quyền thực hiện thao tác “{transition.label}” đối với hồ sơ {dossier.code}.", "not_allowed"
    )


# ------------------------------------------------------------------------------------------------
# Creation
# ------------------------------------------------------------------------------------------------
@dataclass
class Party:
    name: str
    id_number: str
    type: str = ApplicantType.CITIZEN
    phone: str = ""
    email: str = ""
    address: str = ""

    @classmethod
    def parse(cls, data: dict | None, label: str) -> Party:
        if not isinstance(data, dict):
            raise InvalidInput(f"Thiếu thông tin {label}.", "invalid_party")
        kind = data.get("type") or ApplicantType.CITIZEN
        if kind not in ApplicantType.values:
            raise InvalidInput(f"Loại {label} phải là 'citizen' hoặc 'organization'.", "invalid_party")
        name = " ".join(str(data.get("name") or "").split())
        if not name or len(name) > 255:
            raise InvalidInput(f"Họ tên/tên {label} không được để trống (tối đa 255 ký tự).", "invalid_party")
        try:
            number = validate_id_number(str(data.get("id_number") or ""), kind)
        except IdError as exc:
            raise InvalidInput(f"{label.capitalize()}: {exc}", "invalid_id_number") from None
        return cls(
            name=name,
            id_number=number,
            type=kind,
            phone=str(data.get("phone") or "")[:30],
            email=str(data.get("email") or "")[:254],
            address=str(data.get("address") or "")[:500],
        )


@dataclass
class Intake:
    """Everything a new dossier needs, validated before anything is written."""

    version: ProcedureVersion
    channel: str
    desk: Desk
    agency: Agency
    applicant: Party
    owner: Party
    provided: dict[str, int]  # component code → copies
    return_channel: str
    return_address: str
    missing: list[str] = field(default_factory=list)
    memberships: list[StaffMembership] = field(default_factory=list)
    foreign: bool = False  # received outside the competent agency's own desks
    step_agencies: list[Agency] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # component code → where it came from, if not the applicant
    # The applicant already checked against the national databases at the desk ({"status", "detail",
    # "checked_at"}); None: checked by a background task once the dossier is committed.
    identity: dict | None = None
    form_data: dict = field(default_factory=dict)  # the online e-form, validated by ``eforms``
    fee_claims: list[str] = field(default_factory=list)  # exemption conditions declared (the desk checks proof)


def _version_for(procedure_code: str, day: dt.date) -> ProcedureVersion:
    version = version_in_force(procedure_code, day)
    if version is None:
        raise InvalidInput(f"Không tìm thấy thủ tục có mã '{procedure_code}' đang có hiệu lực.", "unknown_procedure")
    return version


def _desk_for_user(memberships: list[StaffMembership], desk_code: str | None) -> Desk:
    if desk_code:
        for m in memberships:  # the officer's own desk: no query
            if m.desk_id and m.desk.code == desk_code and m.desk.active:
                return m.desk
        desk = Desk.objects.select_related("agency").filter(code=desk_code, active=True).first()
        if desk is None:
            raise InvalidInput(f"Không tìm thấy bộ phận một cửa '{desk_code}'.", "unknown_desk")
        return desk
    desks = {m.desk for m in memberships if m.desk_id and m.role in DESK}
    if len(desks) != 1:
        raise InvalidInput("Vui lòng chọn bộ phận một cửa tiếp nhận hồ sơ (desk).", "missing_desk")
    return desks.pop()


def _competent_agency(
    version: ProcedureVersion, desk: Desk, served: set[int], agency_code: str | None, linked: bool = False
) -> Agency:
    """The agency that decides: given, or the one of the procedure the desk serves.

    A desk may receive for an agency it does not serve only when the procedure is flagged
    location-independent (tiếp nhận không phụ thuộc địa giới hành chính), or for the later
    procedures of a linked bundle (``linked``), which go to the nearest competent agency."""
    listed = list(version.agencies.all())
    level_codes = {lv.code for lv in version.levels.all()}

    def competent(a: Agency) -> bool:
        if listed:
            return a in listed
        return a.kind == version.agency_kind and a.unit.level.code in level_codes

    if agency_code:
        agency = Agency.objects.active_on().select_related("unit__level").filter(code=agency_code).first()
        if agency is None:
            raise InvalidInput(f"Không tìm thấy cơ quan có mã '{agency_code}'.", "unknown_agency")
        if not competent(agency):
            raise InvalidInput(f"{agency.name} không có thẩm quyền giải quyết thủ tục này.", "agency_not_competent")
        foreign = agency.id not in served and agency.id != desk.agency_id
        if foreign and not (version.location_independent or linked):
            raise InvalidInput(
                "Thủ tục này không được tiếp nhận không phụ thuộc địa giới hành chính: "
                f"{desk.name} không tiếp nhận hồ sơ cho {agency.name}.",
                "not_location_independent",
            )
        return agency
    candidates = listed or list(
        Agency.objects.active_on()
        .select_related("unit__level")
        .filter(kind=version.agency_kind, id__in=served | {desk.agency_id})
    )
    for a in candidates:
        if (a.id in served or a.id == desk.agency_id) and competent(a):
            return a
    if linked:
        unit = desk.agency.unit
        while unit is not None:
            near = [a for a in listed if a.unit_id == unit.id] if listed else []
            near = near or list(
                Agency.objects.active_on().select_related("unit__level").filter(kind=version.agency_kind, unit=unit)
            )
            for a in near:
                if competent(a):
                    return a
            unit = unit.parent
        if listed:
            return listed[0]
    raise InvalidInput(
        f"{desk.name} không tiếp nhận thủ tục này; vui lòng chọn cơ quan giải quyết (agency).",
        "agency_required",
    )


# Where a provided component came from. Anything but "applicant" is the "only once" principle at
# work: the paper was not handed in again (wallet.services records which document, or which database).
COMPONENT_SOURCES = {
    "applicant": "Người nộp hồ sơ nộp",
    "linked": "Chuyển từ thủ tục liên thông",
    "data_store": "Tái sử dụng từ kho dữ liệu điện tử",
    "population_db": "Khai thác từ CSDL quốc gia về dân cư",
    "business_registry": "Khai thác từ CSDL quốc gia về đăng ký doanh nghiệp",
    "eform": "Tờ khai điện tử nộp trực tuyến",
}
REUSE_SOURCES = ("data_store", "population_db", "business_registry")


def _parse_components(version: ProcedureVersion, components) -> tuple[dict[str, int], dict[str, str]]:
    """(component code → copies, component code → source for those not handed in by the applicant)."""
    known = {c.code: c for c in version.components.all()}
    provided: dict[str, int] = {}
    sources: dict[str, str] = {}
    for item in components or []:
        code, copies = (item, None) if isinstance(item, str) else (item.get("code"), item.get("copies"))
        if code not in known:
            raise InvalidInput(f"Thủ tục không có thành phần hồ sơ mã '{code}'.", "unknown_component")
        try:
            provided[code] = int(copies or known[code].copies)
        except (TypeError, ValueError):
            raise InvalidInput(f"Số bản của thành phần '{code}' phải là số nguyên.", "invalid_component") from None
        source = "applicant" if isinstance(item, str) else str(item.get("source") or "applicant")
        if source not in COMPONENT_SOURCES or source == "linked":
            raise InvalidInput(f"Nguồn của thành phần '{code}' không hợp lệ.", "invalid_component")
        if source != "applicant":
            sources[code] = source
    return provided, sources


def prepare_intake(
    *,
    user,
    procedure_code: str,
    channel: str,
    applicant: dict,
    owner: dict | None = None,
    desk_code: str | None = None,
    agency_code: str | None = None,
    components=None,
    return_channel: str = ReturnChannel.COUNTER,
    return_address: str = "",
    now: dt.datetime,
    linked: bool = False,
    identity: dict | None = None,
    form_data: dict | None = None,
    fee_exemptions=None,
) -> Intake:
    if channel not in Channel.values:
        raise InvalidInput("Kênh tiếp nhận không hợp lệ.", "invalid_channel")
    if return_channel not in ReturnChannel.values:
        raise InvalidInput("Hình thức nhận kết quả không hợp lệ.", "invalid_return_channel")
    if return_channel == ReturnChannel.POST and not str(return_address or "").strip():
        raise InvalidInput("Nhận kết quả qua bưu chính cần có địa chỉ nhận.", "missing_return_address")
    claims = _fee_claims(fee_exemptions)
    version = _version_for(str(procedure_code or ""), local_day(now))
    if channel == Channel.ONLINE and version.online_level == "none":
        raise InvalidInput("Thủ tục này chưa cung cấp dịch vụ công trực tuyến.", "not_online")
    memberships = _memberships(user)
    applicant_party = Party.parse(applicant, "người nộp hồ sơ")
    owner_party = Party.parse(owner, "chủ hồ sơ") if owner else applicant_party
    if channel == Channel.ONLINE and not desk_code and agency_code:
        agency = Agency.objects.filter(code=agency_code).first()
        desk = agency and Desk.objects.filter(served_agencies=agency, active=True).select_related("agency").first()
        if not desk:
            raise InvalidInput("Không tìm thấy bộ phận một cửa tiếp nhận cho cơ quan này.", "unknown_desk")
    else:
        desk = _desk_for_user(memberships if channel != Channel.ONLINE else [], desk_code)
    served = set(desk.served_agencies.values_list("id", flat=True))
    agency = _competent_agency(version, desk, served, agency_code, linked)
    provided, sources = _parse_components(version, components)
    missing = [c.code for c in version.components.all() if c.required and c.code not in provided]
    cache: dict = {}
    return Intake(
        version,
        channel,
        desk,
        agency,
        applicant_party,
        owner_party,
        provided,
        return_channel,
        return_address,
        missing,
        memberships,
        foreign=agency.id != desk.agency_id and agency.id not in served,
        step_agencies=[_step_agency(s.agency_kind, s.role, desk, agency, cache) for s in version.steps.all()],
        sources=sources,
        identity=identity,
        form_data=form_data or {},
        fee_claims=claims,
    )


def _fee_claims(value) -> list[str]:
    from motcua.payments.fees import DECLARED

    if value in (None, "", []):
        return []
    if not isinstance(value, list | tuple) or any(str(c) not in DECLARED for c in value):
        allowed = ", ".join(DECLARED)
        raise InvalidInput(
            f"Đối tượng miễn, giảm phí, lệ phí không hợp lệ (chỉ gồm: {allowed}).", "invalid_fee_exemptions"
        )
    return sorted({str(c) for c in value})


def _step_agency(kind: str, role: str, desk: Desk, agency: Agency, cache: dict) -> Agency:
    """Desk steps are the receiving desk's; others go to the competent agency when of the same
    kind, else to the nearest agency of that kind up the administrative hierarchy."""
    if role == Role.DESK_OFFICER:
        return desk.agency
    if kind == agency.kind:
        return agency
    if kind not in cache:
        unit = agency.unit
        found = None
        while unit is not None and found is None:
            found = Agency.objects.active_on().filter(kind=kind, unit=unit).order_by("code").first()
            unit = unit.parent
        cache[kind] = found or Agency.objects.active_on().filter(kind=kind).order_by("code").first() or agency
    return cache[kind]


def _instantiate(dossier: Dossier, intake: Intake, source: str = "applicant", start: dt.datetime | None = None):
    """Create the dossier's steps and components (bulk). With ``start`` the first sequential step
    is active from then (a received dossier); returns (that step or None, the steps, the components)."""
    steps = [
        Step(
            dossier=dossier,
            order=s.order,
            name=s.name,
            role=s.role,
            agency=agency,
            parallel=s.parallel,
            budget_units=days_to_units(s.budget_days),
        )
        for s, agency in zip(intake.version.steps.all(), intake.step_agencies, strict=True)
    ]
    first = next((s for s in steps if not s.parallel), None) if start is not None else None
    if first is not None:
        _activate(first, start, handover=False)
    Step.objects.bulk_create(steps)
    components = DossierComponent.objects.bulk_create(
        [
            DossierComponent(
                dossier=dossier,
                component=c,
                code=c.code,
                name=c.name,
                required=c.required,
                provided=c.code in intake.provided,
                copies=intake.provided.get(c.code, c.copies),
                source=intake.sources.get(c.code, source),
            )
            for c in intake.version.components.all()
        ]
    )
    if first is not None:
        Dossier.objects.filter(pk=dossier.pk).update(current_step=first)
        dossier.current_step = first
    return first, steps, components


def _loaded(dossier: Dossier, **related) -> None:
    """Attach rows just written as ``dossier``'s prefetched relations (as ``prefetch_related``
    does), so the caller can show the new dossier without reading it back."""
    cache = {}
    for name, rows in related.items():
        qs = getattr(dossier, name).all()
        qs._result_cache, qs._prefetch_done = list(rows), True
        cache[name] = qs
    dossier._prefetched_objects_cache = cache


def fee_quote(intake: Intake, now: dt.datetime):
    """The fees of a new dossier with the exemptions its facts meet (``payments.fees``)."""
    from motcua.dossiers.eforms import schema_of
    from motcua.payments import fees

    schema = schema_of(intake.version) if intake.form_data else {}
    facts = fees.facts_for(
        schema, intake.form_data, channel=intake.channel, on=local_day(now), claims=intake.fee_claims
    )
    return fees.compute(intake.version, facts)


def _fee_of(intake: Intake, now: dt.datetime) -> tuple[str, int, dict]:
    quote = fee_quote(intake, now)
    detail = {**quote.as_dict(), "claims": intake.fee_claims} if quote.has_fees else {}
    if quote.fully_exempt:
        return FeeStatus.EXEMPT, 0, detail
    return (FeeStatus.UNPAID, quote.total, detail) if quote.total else (FeeStatus.NONE, 0, detail)


def must_pay_first(dossier: Dossier) -> bool:
    """The procedure is paid before processing and the fees are still due: the received dossier waits
    (state "awaiting_fee", clock not running) until they are paid."""
    return bool(dossier.version.pay_before_processing) and dossier.fee_status == FeeStatus.UNPAID


def _await_fee(dossier: Dossier, now: dt.datetime) -> None:
    """A just-received dossier waits for the fees: its clock starts again from the payment (``_resume``
    with ``resume_state`` received)."""
    dossier.state, dossier.resume_state = State.AWAITING_FEE, State.RECEIVED
    dossier.paused_at = now
    dossier.remaining_units = working_units(now, dossier.due_at) if dossier.due_at else None


def _new_dossier(
    intake: Intake, *, user, now: dt.datetime, state: str, key: str | None, bundle=None, order=None, fee_paid=False
):
    fee_status, fee_amount, fee_detail = _fee_of(intake, now)
    dossier = Dossier(
        code=next_code(intake.desk.agency, local_day(now)),
        bundle=bundle,
        bundle_order=order,
        version=intake.version,
        confidential=intake.version.procedure.confidential,
        applicant_type=intake.applicant.type,
        applicant_name=intake.applicant.name,
        applicant_id_number=intake.applicant.id_number,
        applicant_phone=intake.applicant.phone,
        applicant_email=intake.applicant.email,
        applicant_address=intake.applicant.address,
        owner_type=intake.owner.type,
        owner_name=intake.owner.name,
        owner_id_number=intake.owner.id_number,
        channel=intake.channel,
        desk=intake.desk,
        receiving_agency=intake.desk.agency,
        agency=intake.agency,
        state=state,
        submitted_at=now,
        return_channel=intake.return_channel,
        return_address=intake.return_address,
        fee_status=fee_status,
        fee_amount=fee_amount,
        fee_detail=fee_detail,
        idempotency_key=key,
        created_by=user if user is not None and user.is_authenticated else None,
        form_data=intake.form_data,
    )
    if fee_paid and fee_status == FeeStatus.UNPAID:
        dossier.fee_status = FeeStatus.PAID
    if state == State.RECEIVED:
        _start_clock(dossier, now)
        if must_pay_first(dossier):
            _await_fee(dossier, now)
    if intake.identity:
        dossier.identity_status = intake.identity["status"]
        dossier.identity_detail = intake.identity.get("detail") or {}
        dossier.identity_checked_at = intake.identity.get("checked_at") or now
    dossier.save()
    if not intake.identity:
        transaction.on_commit(lambda: _queue_identity_check(dossier.pk))
    return dossier


def _queue_identity_check(dossier_id: int) -> None:
    from motcua.identity.tasks import verify_applicant_task

    verify_applicant_task.enqueue(dossier_id, 1)


def record_fee_payment(dossier_id: int, *, receipt: str, amount: int, now: dt.datetime | None = None) -> Event:
    """Fees due with the dossier, paid online (``payments``): fee status paid and a system event, one
    transaction; the legal clock is not touched (it was not waiting for this payment)."""
    now = now or timezone.now()
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier_id)
        if d.fee_status != FeeStatus.UNPAID:
            raise InvalidTransition(f"Hồ sơ {d.code} không còn khoản phí, lệ phí phải nộp.", "fee_not_due")
        d.fee_status = FeeStatus.PAID
        d.lock_version += 1
        d.save(update_fields=["fee_status", "lock_version"])
        acting = Acting(None, Actor.SYSTEM, None, "Hệ thống")
        payload = {"amount": amount, "receipt": str(receipt)[:100]}
        event = _event(d, "record_fee_payment", acting, now, d.state, d.state, payload=payload)
        save_events([event])
    return event


def record_identity_check(dossier_id: int, status: str, detail: dict, *, now: dt.datetime | None = None) -> Event:
    """The applicant checked (again) against the national databases, by the background task or an
    officer's "check again": the dossier's identity fields and a ``verify_identity`` event, one transaction."""
    if status not in IdentityStatus.values or not status:
        raise InvalidInput("Kết quả đối chiếu không hợp lệ.", "invalid_identity_status")
    now = now or timezone.now()
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier_id)
        d.identity_status, d.identity_detail, d.identity_checked_at = status, detail, now
        d.save(update_fields=["identity_status", "identity_detail", "identity_checked_at"])
        acting = Acting(None, Actor.SYSTEM, None, "Hệ thống")
        reason = str(detail.get("message", ""))[:500]
        event = _event(d, "verify_identity", acting, now, d.state, d.state, reason=reason, payload={"status": status})
        save_events([event])
    return event


def _creation_actor(user, intake: Intake, via: str = "") -> Acting:
    if via and user is None:  # another system submitting through the API (a machine client)
        return Acting(None, Actor.SYSTEM, None, via[:255])
    if intake.channel == Channel.ONLINE and (user is None or not user.is_authenticated):
        return Acting(None, Actor.APPLICANT, None, intake.applicant.name)
    if intake.channel == Channel.ONLINE and not intake.memberships:  # a citizen submitting for themselves
        return Acting(user, Actor.APPLICANT, None, intake.applicant.name)
    for m in intake.memberships:
        if m.role in DESK and (m.desk_id == intake.desk.id or m.agency_id == intake.desk.agency_id):
            if m.role == Actor.POSTAL_STAFF and not intake.desk.postal_allows("receive"):
                raise NotAllowed(
                    f"Bưu chính công ích không được {intake.desk.name} giao tiếp nhận hồ sơ thay.",
                    "postal_not_contracted",
                )
            return Acting(user, m.role, m.agency, _user_name(user))
    if user is not None and user.is_superuser:
        return Acting(user, Actor.DESK_OFFICER, intake.desk.agency, _user_name(user))
    raise NotAllowed(f"Bạn không phải cán bộ tiếp nhận của {intake.desk.name}.", "not_allowed")


def _event(dossier, action, acting: Acting, now, from_state, to_state, step=None, reason="", payload=None):
    return Event(
        dossier=dossier,
        action=action,
        at=now,
        actor=acting.user,
        actor_name=acting.name,
        actor_role=acting.role,
        agency=acting.agency,
        from_state=from_state,
        to_state=to_state,
        step=step,
        reason=reason,
        payload=payload or {},
    )


def save_events(events: list[Event]) -> list[Event]:
    """Write dossier events and, in the same transaction, their outbox messages for the national
    portal and the webhook subscribers (``integration.outbox``) and the report rollups
    (``reports.rollups``): the one way events are written."""
    from motcua.audit.services import log_events
    from motcua.integration.outbox import enqueue  # lazy: integration and reports import dossiers
    from motcua.reports.rollups import apply as add_to_rollups

    Event.objects.bulk_create(events)
    log_events(events)  # the audit log's change rows: one bulk insert, same transaction
    enqueue(events)
    add_to_rollups(events)  # the day's and month's report counters, same transaction
    return events


def create_dossier(
    *,
    user=None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    fee_paid: bool = False,
    via: str = "",
    **intake_args,
):
    """Receive a dossier (counter, post, postal service, kiosk) or register an online submission.

    Returns ``(dossier, created)``; the same ``idempotency_key`` from the same caller returns the
    dossier created the first time. At a counter every required component must be present (the
    officer guides the applicant otherwise); an online submission may be incomplete — the desk
    then requests a supplement listing every missing item at once. ``fee_paid``: the fees were
    collected at the counter with the dossier (online payment comes through ``pay_fee``).
    """
    now = now or timezone.now()
    key = _scoped_key(user, idempotency_key)
    if key and (existing := Dossier.objects.filter(idempotency_key=key).first()):
        return existing, False
    intake = prepare_intake(user=user, now=now, **intake_args)
    acting = _creation_actor(user, intake, via)
    online = intake.channel == Channel.ONLINE
    if intake.missing and not online:
        raise InvalidInput(
            "Hồ sơ chưa đủ thành phần bắt buộc, chưa thể tiếp nhận: " + ", ".join(intake.missing) + ".",
            "missing_components",
            intake.missing,
        )
    try:
        with transaction.atomic():
            state = State.SUBMITTED if online else State.RECEIVED
            dossier = _new_dossier(intake, user=user, now=now, state=state, key=key, fee_paid=fee_paid)
            first, steps, components = _instantiate(dossier, intake, start=None if online else now)
            events = [_event(dossier, "submit", acting, now, "", State.SUBMITTED, payload=_intake_payload(intake))]
            if not online:
                events.append(_receipt_event(dossier, acting, now, "receive", State.SUBMITTED, first))
                if dossier.state == State.AWAITING_FEE:  # paid before processing: received, waiting for the fees
                    events[-1].to_state = State.AWAITING_FEE
                    events[-1].payload = {"awaiting_fee": True, "amount": dossier.fee_amount}
            save_events(events)
            from motcua.engagement.notifications import notify_on_commit  # lazy: no import cycle

            notify_on_commit(*events)  # the "receive" event → the applicant is told on commit
            _loaded(dossier, steps=steps, components=components, events=events)
    except IntegrityError:
        if key and (existing := Dossier.objects.filter(idempotency_key=key).first()):
            return existing, False
        raise
    return dossier, True


def register_incomplete(
    *,
    user,
    reason: str,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    **intake_args,
) -> tuple[Dossier, bool]:
    """At the counter, an incomplete dossier is not received: it is registered and the supplement
    request (slip 02) lists every missing item at once. When the applicant brings them,
    ``supplement`` puts it back to the desk check and ``accept`` receives it (the clock starts then).
    One transaction: the dossier, its ``submit`` and ``request_supplement`` events."""
    now = now or timezone.now()
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput("Vui lòng nhập nội dung yêu cầu bổ sung, hoàn thiện hồ sơ.", "missing_reason")
    key = _scoped_key(user, idempotency_key)
    if key and (existing := Dossier.objects.filter(idempotency_key=key).first()):
        return existing, False
    intake = prepare_intake(user=user, now=now, **intake_args)
    acting = _creation_actor(user, intake)
    if not intake.missing:
        raise InvalidInput("Hồ sơ đã đủ thành phần bắt buộc: hãy tiếp nhận hồ sơ.", "dossier_complete")
    try:
        with transaction.atomic():
            dossier = _new_dossier(intake, user=user, now=now, state=State.SUBMITTED, key=key)
            _instantiate(dossier, intake)
            dossier.state, dossier.resume_state = State.SUPPLEMENT_REQUESTED, State.SUBMITTED
            dossier.save(update_fields=["state", "resume_state"])
            payload = {"missing": sorted(intake.missing), "items": []}
            save_events(
                [
                    _event(dossier, "submit", acting, now, "", State.SUBMITTED, payload=_intake_payload(intake)),
                    _event(
                        dossier,
                        "request_supplement",
                        acting,
                        now,
                        State.SUBMITTED,
                        State.SUPPLEMENT_REQUESTED,
                        reason=reason,
                        payload=payload,
                    ),
                ]
            )
    except IntegrityError:
        if key and (existing := Dossier.objects.filter(idempotency_key=key).first()):
            return existing, False
        raise
    return dossier, True


def _scoped_key(user, key: str | None) -> str | None:
    if not key:
        return None
    key = str(key)[:80]
    owner = user.pk if user is not None and user.is_authenticated else "public"
    return f"{owner}:{key}"


def _intake_payload(intake: Intake) -> dict:
    return {
        "procedure": intake.version.procedure.code,
        "version": intake.version.number,
        "channel": intake.channel,
        "desk": intake.desk.code,
        "agency": intake.agency.code,
        "components": intake.provided,
        "component_sources": intake.sources,
        "missing": intake.missing,
        "location_independent": intake.foreign,
    }


def _receive(dossier: Dossier, acting: Acting, now: dt.datetime, action: str) -> Event:
    """Receipt of a complete dossier: the legal clock starts, the intake step is active."""
    before = dossier.state
    dossier.state = State.RECEIVED
    _start_clock(dossier, now)
    first = dossier.steps.filter(parallel=False).order_by("order").first()
    if first is not None:
        _start_step(dossier, first, now, handover=False)
    return _receipt_event(dossier, acting, now, action, before, first)


def _receipt_event(dossier, acting, now, action, before, step) -> Event:
    payload = {"due_at": dossier.due_at.isoformat()}
    return _event(dossier, action, acting, now, before, State.RECEIVED, step=step, payload=payload)


def _start_clock(dossier: Dossier, now: dt.datetime) -> None:
    cutoff = CUTOFF if dossier.bundle_id else None  # linked bundles: after 15:00, next morning
    dossier.received_at = now
    dossier.due_at = get_calendar().due_date(now, dossier.version.time_limit_days, cutoff=cutoff)
    dossier.original_due_at = dossier.due_at
    dossier.paused_at = None
    dossier.remaining_units = None


def _start_step(dossier: Dossier, step: Step, now: dt.datetime, handover: bool = True) -> None:
    _activate(step, now, handover)
    step.save()
    if not step.parallel:
        dossier.current_step = step


def _activate(step: Step, now: dt.datetime, handover: bool) -> None:
    """A hand-over waits for the receiver's acknowledgement; its time counts from ``handover_start``."""
    start = handover_start(now) if handover else now
    step.status = StepStatus.ACTIVE
    step.started_at = start
    step.due_at = _due(start, max(step.budget_units - step.used_units, 0))
    step.finished_at = None
    step.paused_units = 0
    step.acknowledged_at = None if handover else now


def _finish_step(step: Step, now: dt.datetime, status: str = StepStatus.DONE) -> None:
    if step.started_at is not None and now > step.started_at:
        step.used_units += max(working_units(step.started_at, now) - step.paused_units, 0)
    step.status = status
    step.finished_at = now
    step.save()


# ------------------------------------------------------------------------------------------------
# Bundles
# ------------------------------------------------------------------------------------------------
def create_bundle(
    kind: str,
    *,
    user=None,
    choices: list[str] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    agencies: dict[str, str] | None = None,
    via: str = "",
    **intake_args,
) -> tuple[Bundle, bool]:
    """One submission, several procedures: the first dossier is received (or submitted online),
    the others wait (``pending_linked``) and start when the previous result is issued. The bundle
    is tracked with the first dossier's code. ``agencies`` optionally maps a procedure code to the
    competent agency's code."""
    now = now or timezone.now()
    try:
        codes = chain_for(kind, choices)
    except ValueError as exc:
        raise InvalidInput(str(exc), "invalid_bundle") from None
    key = _scoped_key(user, idempotency_key)
    if key and (existing := Dossier.objects.filter(idempotency_key=key).select_related("bundle").first()):
        return existing.bundle, False
    agencies = agencies or {}
    base = {k: v for k, v in intake_args.items() if k not in ("procedure_code", "agency_code")}
    intakes = [
        prepare_intake(user=user, now=now, procedure_code=code, agency_code=agencies.get(code), linked=i > 0, **base)
        for i, code in enumerate(codes)
    ]
    # The e-form is filled once: later procedures take the components as linked data.
    for intake in intakes[1:]:
        intake.provided = {c.code: c.copies for c in intake.version.components.all() if c.required}
        intake.missing = []
    first = intakes[0]
    acting = _creation_actor(user, first, via)
    online = first.channel == Channel.ONLINE
    if first.missing and not online:
        raise InvalidInput(
            "Hồ sơ chưa đủ thành phần bắt buộc, chưa thể tiếp nhận: " + ", ".join(first.missing) + ".",
            "missing_components",
            first.missing,
        )
    with transaction.atomic():
        events = []
        bundle = None
        for order, intake in enumerate(intakes, start=1):
            state = State.SUBMITTED if order == 1 else State.PENDING_LINKED
            dossier = _new_dossier(
                intake, user=user, now=now, state=state, key=key if order == 1 else None, bundle=bundle, order=order
            )
            if bundle is None:
                bundle = Bundle.objects.create(kind=kind, code=dossier.code, created_at=now)
                dossier.bundle, dossier.bundle_order = bundle, 1
            _instantiate(dossier, intake, source="applicant" if order == 1 else "linked")
            payload = {**_intake_payload(intake), "bundle": bundle.code, "bundle_kind": kind}
            events.append(_event(dossier, "submit", acting, now, "", state, payload=payload))
            if order == 1 and not online:
                events.append(_receive(dossier, acting, now, "receive"))
            dossier.save()
        save_events(events)
    return bundle, True


def bundle_summary(bundle: Bundle) -> dict:
    kind = BUNDLES.get(bundle.kind)
    return {"code": bundle.code, "kind": bundle.kind, "name": kind.name if kind else bundle.kind}


# ------------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    dossier: Dossier
    acting: Acting
    now: dt.datetime
    reason: str
    data: dict
    transition: Transition
    step: Step | None  # the step the action is about (current one by default)
    target: str = ""
    event_step: Step | None = None
    payload: dict = field(default_factory=dict)
    extra_events: list = field(default_factory=list)


def act(
    dossier: Dossier | str | int,
    action: str,
    *,
    user=None,
    by: str | None = None,
    expected_version: int | None = None,
    reason: str = "",
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> Dossier:
    """Do ``action`` on a dossier: one transaction, one event (plus the events of dossiers a linked
    bundle starts). ``user`` is the staff member; without one, ``by`` is "applicant" or "system"."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise NotFound(f"Không có thao tác '{action}'.", "unknown_action")
    now = now or timezone.now()
    data = data if isinstance(data, dict) else {}
    reason = str(reason or data.get("reason") or "").strip()
    with transaction.atomic():
        d = _locked(dossier)
        if expected_version is not None and d.lock_version != expected_version:
            raise StaleVersion(
                f"Hồ sơ {d.code} vừa được người khác cập nhật; vui lòng tải lại trước khi thao tác.", "stale_version"
            )
        if d.state not in transition.sources:
            raise InvalidTransition(
                f"Không thể thực hiện “{transition.label}” khi hồ sơ {d.code} đang ở trạng thái “{d.state_label}”.",
                "invalid_transition",
                {"state": d.state, "action": action},
            )
        step = _subject_step(d, action, data)
        acting = _authorize(user, by, d, transition, step)
        before = d.state
        ctx = Ctx(d, acting, now, reason, data, transition, step, target=target_of(transition, d.state, d.resume_state))
        ACTIONS[action](ctx)
        d.state = ctx.target
        if d.state in FINAL_STATES and d.closed_at is None:
            d.closed_at = now
            for s in d.steps.filter(status=StepStatus.ACTIVE):
                _finish_step(s, now, StepStatus.SKIPPED if d.state != State.RETURNED else StepStatus.DONE)
        d.lock_version += 1
        d.save()
        main = _event(d, action, acting, now, before, d.state, ctx.event_step or step, reason, ctx.payload)
        save_events([main, *ctx.extra_events])
        from motcua.engagement.notifications import notify_on_commit  # lazy: no import cycle

        notify_on_commit(main)  # received, supplement requested, result ready, late → the applicant
        if action == "issue_result" and ctx.payload.get("outcome") == Outcome.APPROVED:
            # The signed e-result is made by a background task once this transaction commits.
            from motcua.documents.results import queue_result_document

            queue_result_document(d.pk, main.pk)  # bulk_create returns ids (PostgreSQL, SQLite ≥ 3.35)
    return d


def _locked(dossier) -> Dossier:
    qs = Dossier.objects.select_for_update().select_related("version__procedure", "desk__agency", "agency__unit")
    if isinstance(dossier, Dossier):
        key = {"pk": dossier.pk}
    elif isinstance(dossier, int):
        key = {"pk": dossier}
    else:
        key = {"code": dossier}
    d = qs.filter(**key).first()
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ.", "not_found")
    return d


def _subject_step(d: Dossier, action: str, data: dict) -> Step | None:
    if action == "answer_consultation":
        open_ = d.steps.filter(parallel=True, status=StepStatus.ACTIVE)
        if data.get("step"):
            open_ = open_.filter(pk=as_int(data["step"])) if as_int(data["step"]) is not None else open_.none()
        return open_.order_by("order", "id").first()
    if d.current_step_id:
        return Step.objects.select_related("agency").get(pk=d.current_step_id)
    return None


def _need_reason(ctx: Ctx, what: str = "lý do") -> None:
    if not ctx.reason:
        raise InvalidInput(f"Vui lòng nhập {what}.", "missing_reason")


def _next_sequential(d: Dossier, after: Step | None) -> Step | None:
    qs = d.steps.filter(parallel=False).order_by("order", "id")
    if after is not None:
        qs = qs.filter(order__gt=after.order)
    return qs.first()


def _pause(ctx: Ctx) -> None:
    d = ctx.dossier
    d.resume_state = d.state
    if d.due_at is not None:
        d.paused_at = ctx.now
        d.remaining_units = working_units(ctx.now, d.due_at)


def _resume(ctx: Ctx) -> None:
    """End a wait for the applicant. Before processing started the time limit restarts from the
    completed dossier; during processing the clock resumes where it stopped."""
    d = ctx.dossier
    if d.paused_at is None:
        return
    if d.resume_state == State.RECEIVED:
        _start_clock(d, ctx.now)
        if d.current_step_id:
            _start_step(d, d.current_step, ctx.now, handover=False)
        ctx.payload["due_at"] = d.due_at.isoformat()
        return
    cal = get_calendar()
    waited = max(working_units(d.paused_at, ctx.now), 0)
    d.paused_units += waited
    d.due_at = cal.from_offset(cal.to_offset(d.due_at) + waited)
    for s in d.steps.filter(status=StepStatus.ACTIVE):
        s.paused_units += waited
        s.due_at = cal.from_offset(cal.to_offset(s.due_at) + waited)
        s.save()
    d.paused_at = None
    d.remaining_units = None
    ctx.payload.update({"waited_units": waited, "due_at": d.due_at.isoformat()})


def _do_accept(ctx: Ctx) -> None:
    d = ctx.dossier
    missing = list(d.components.filter(required=True, provided=False).values_list("code", flat=True))
    if missing:
        raise InvalidInput(
            "Hồ sơ còn thiếu thành phần bắt buộc; hãy yêu cầu bổ sung: " + ", ".join(missing) + ".",
            "missing_components",
            missing,
        )
    event = _receive(d, ctx.acting, ctx.now, "accept")
    ctx.event_step, ctx.payload = event.step, event.payload
    if must_pay_first(d):  # received; processing (and the clock) waits for the fees
        _await_fee(d, ctx.now)
        ctx.target = State.AWAITING_FEE
        ctx.payload = {"awaiting_fee": True, "amount": d.fee_amount}


def _do_refuse(ctx: Ctx) -> None:
    _need_reason(ctx, "lý do từ chối tiếp nhận")


def _do_request_supplement(ctx: Ctx) -> None:
    _need_reason(ctx, "nội dung yêu cầu bổ sung")
    d = ctx.dossier
    missing = ctx.data.get("missing") or []
    if not isinstance(missing, list):
        raise InvalidInput("Danh sách thành phần cần bổ sung phải là một mảng mã.", "invalid_missing")
    known = set(d.components.values_list("code", flat=True))
    unknown = [c for c in missing if c not in known]
    if unknown:
        raise InvalidInput(f"Không có thành phần hồ sơ mã {', '.join(map(str, unknown))}.", "unknown_component")
    d.components.filter(code__in=missing).update(provided=False)
    all_missing = list(d.components.filter(required=True, provided=False).values_list("code", flat=True))
    requested = sorted(set(missing) | set(all_missing))
    if not requested and not ctx.data.get("items"):
        raise InvalidInput("Vui lòng liệt kê đầy đủ các thành phần cần bổ sung một lần.", "missing_items")
    _pause(ctx)
    ctx.payload = {"missing": requested, "items": ctx.data.get("items") or []}


def _do_supplement(ctx: Ctx) -> None:
    d = ctx.dossier
    given = ctx.data.get("components") or []
    if not isinstance(given, list):
        raise InvalidInput("Danh sách thành phần bổ sung phải là một mảng mã.", "invalid_components")
    d.components.filter(code__in=[str(c) for c in given]).update(provided=True)
    still = list(d.components.filter(required=True, provided=False).values_list("code", flat=True))
    if still:
        raise InvalidInput(
            "Hồ sơ vẫn còn thiếu thành phần bắt buộc: " + ", ".join(still) + ".", "missing_components", still
        )
    ctx.payload = {"components": given}
    _resume(ctx)


def _do_start_linked(ctx: Ctx) -> None:
    event = _receive(ctx.dossier, ctx.acting, ctx.now, "start_linked")
    ctx.event_step, ctx.payload = event.step, {**event.payload, **ctx.data}


def _handover(ctx: Ctx, to: Step) -> None:
    d = ctx.dossier
    if ctx.step is not None and ctx.step.status == StepStatus.ACTIVE:
        _finish_step(ctx.step, ctx.now)
    _start_step(d, to, ctx.now)
    assignee = ctx.data.get("assignee")
    if assignee:
        to.assignee = _member_user(assignee, to)
        to.save(update_fields=["assignee"])
    ctx.event_step = to
    ctx.payload.update(
        {
            "from_step": ctx.step.order if ctx.step else None,
            "to_step": to.order,
            "to_agency": to.agency.code,
            "step_due_at": to.due_at.isoformat(),
            "used_units": ctx.step.used_units if ctx.step else 0,
            "budget_units": ctx.step.budget_units if ctx.step else 0,
        }
    )


def _member_user(username: str, step: Step):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not StaffMembership.objects.filter(user=user, agency=step.agency, active=True).exists():
        raise InvalidInput(f"Cán bộ '{username}' không thuộc {step.agency.name}.", "invalid_assignee")
    return user


def _do_transfer(ctx: Ctx) -> None:
    nxt = _next_sequential(ctx.dossier, ctx.step)
    if nxt is None or _is_return_step(ctx.dossier, nxt):
        raise InvalidInput("Quy trình không có bước xử lý tiếp theo.", "no_next_step")
    _handover(ctx, nxt)


def _is_return_step(d: Dossier, step: Step) -> bool:
    last = d.steps.filter(parallel=False).order_by("-order").first()
    return step.role == Role.DESK_OFFICER and last is not None and step.pk == last.pk and step.order > 1


def _do_acknowledge(ctx: Ctx) -> None:
    step = ctx.step
    if step is None or step.acknowledged_at is not None:
        raise InvalidTransition("Bước hiện tại đã được xác nhận nhận hồ sơ.", "already_acknowledged")
    step.acknowledged_at, step.acknowledged_by = ctx.now, ctx.acting.user
    step.save(update_fields=["acknowledged_at", "acknowledged_by"])
    ctx.payload = {"within_units": working_units(step.started_at, ctx.now) if step.started_at <= ctx.now else 0}


def _do_forward(ctx: Ctx) -> None:
    _check_step_role(ctx)
    nxt = _next_sequential(ctx.dossier, ctx.step)
    if nxt is None or _is_return_step(ctx.dossier, nxt):
        raise InvalidTransition(
            "Đây là bước xử lý cuối cùng: lãnh đạo ban hành kết quả thay vì chuyển bước.", "result_required"
        )
    _handover(ctx, nxt)


def _check_step_role(ctx: Ctx) -> None:
    """The step's role itself is checked by ``_authorize`` (STEP_ROLE_BOUND), so offered actions are exact."""
    if ctx.step is None:
        raise InvalidTransition("Hồ sơ không có bước đang xử lý.", "no_active_step")


def _do_send_back(ctx: Ctx) -> None:
    _need_reason(ctx, "lý do trả lại")
    d = ctx.dossier
    prev = d.steps.filter(parallel=False, order__lt=ctx.step.order if ctx.step else 0).order_by("-order").first()
    if prev is None or prev.order == 1:
        raise InvalidTransition("Không có bước xử lý trước để trả lại.", "no_previous_step")
    _finish_step(ctx.step, ctx.now, StepStatus.SENT_BACK)
    _start_step(d, prev, ctx.now)
    ctx.event_step = prev
    ctx.payload = {"from_step": ctx.step.order, "to_step": prev.order, "to_agency": prev.agency.code}


def _do_assign(ctx: Ctx) -> None:
    step = ctx.step
    if step is None or not ctx.data.get("assignee"):
        raise InvalidInput("Vui lòng chọn cán bộ được phân công (assignee).", "missing_assignee")
    step.assignee = _member_user(str(ctx.data["assignee"]), step)
    step.save(update_fields=["assignee"])
    ctx.payload = {"assignee": step.assignee.get_username(), "step": step.order}


def _do_consult(ctx: Ctx) -> None:
    """Open the process's parallel consultation steps, or ad-hoc ones for ``data.agencies``."""
    d = ctx.dossier
    codes = ctx.data.get("agencies") or []
    if codes:
        agencies = list(Agency.objects.active_on().filter(code__in=codes))
        if len(agencies) != len(set(codes)):
            raise InvalidInput("Có mã cơ quan được xin ý kiến không tồn tại.", "unknown_agency")
        try:
            budget = days_to_units(ctx.data.get("budget_days", 1), max_days=int(d.version.time_limit_days) or 1)
        except ValueError as exc:
            raise InvalidInput(str(exc), "invalid_budget") from None
        order = (ctx.step.order if ctx.step else 0) or 0
        steps = [
            Step.objects.create(
                dossier=d,
                order=order,
                name=f"Xin ý kiến {a.name}",
                role=Role.SPECIALIST,
                agency=a,
                parallel=True,
                budget_units=budget,
            )
            for a in agencies
        ]
    else:
        steps = list(d.steps.filter(parallel=True, status=StepStatus.PENDING).select_related("agency"))
    if not steps:
        raise InvalidInput("Quy trình không có bước xin ý kiến; hãy chọn cơ quan cần xin ý kiến.", "no_consultation")
    for s in steps:
        _start_step(d, s, ctx.now)
    d.current_step = ctx.step
    ctx.payload = {"consulted": [{"step": s.pk, "agency": s.agency.code} for s in steps]}


def _do_answer_consultation(ctx: Ctx) -> None:
    step = ctx.step
    if step is None or not step.parallel:
        raise InvalidInput("Không có yêu cầu xin ý kiến đang chờ trả lời.", "no_consultation")
    if ctx.acting.agency is not None and ctx.acting.agency.pk != step.agency_id:
        raise NotAllowed(f"Ý kiến này do {step.agency.name} trả lời.", "not_allowed")
    opinion = str(ctx.data.get("opinion") or ctx.reason).strip()
    if not opinion:
        raise InvalidInput("Vui lòng nhập nội dung ý kiến.", "missing_opinion")
    step.opinion = opinion
    _finish_step(step, ctx.now)
    ctx.event_step = step
    ctx.payload = {"agency": step.agency.code, "used_units": step.used_units, "budget_units": step.budget_units}
    if not ctx.dossier.steps.filter(parallel=True, status=StepStatus.ACTIVE).exists():
        ctx.target = State.IN_PROCESSING


def _do_request_fee(ctx: Ctx) -> None:
    d = ctx.dossier
    amount = ctx.data.get("amount", d.fee_amount)
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise InvalidInput("Số tiền phải là số nguyên (đồng).", "invalid_amount") from None
    if amount <= 0:
        raise InvalidInput("Số tiền nghĩa vụ tài chính phải lớn hơn 0.", "invalid_amount")
    d.fee_amount, d.fee_status = amount, FeeStatus.UNPAID
    _pause(ctx)
    ctx.payload = {"amount": amount}


def _do_pay_fee(ctx: Ctx) -> None:
    ctx.dossier.fee_status = FeeStatus.PAID
    ctx.payload = {"amount": ctx.dossier.fee_amount, "receipt": str(ctx.data.get("receipt") or "")[:100]}
    _resume(ctx)


def _parse_new_due(value) -> dt.datetime:
    if not value:
        raise InvalidInput("Vui lòng nhập ngày hẹn trả kết quả mới (new_due).", "missing_new_due")
    text = str(value).strip()
    try:
        if len(text) == 10 and "/" in text:
            day = dt.datetime.strptime(text, "%d/%m/%Y").date()
        elif len(text) == 10:
            day = dt.date.fromisoformat(text)
        else:
            instant = dt.datetime.fromisoformat(text)
            return instant if instant.tzinfo else instant.replace(tzinfo=VN_TZ)
    except ValueError:
        raise InvalidInput("Ngày hẹn mới không đúng định dạng (dd/mm/yyyy).", "invalid_new_due") from None
    cal = get_calendar()
    try:
        # A date means the end of that working day (or of the next working day).
        return cal.due_date(dt.datetime(day.year, day.month, day.day, 7, tzinfo=VN_TZ), 0)
    except OutOfCalendarRange as exc:
        raise InvalidInput(str(exc), "invalid_new_due") from None


def _do_apologize(ctx: Ctx) -> None:
    """Late handling: the agency apologizes and sets a new date, at least one working day before
    the current due instant, once; any other time needs a leader's override with a reason."""
    _need_reason(ctx, "lý do chậm trễ")
    d = ctx.dossier
    new_due = _parse_new_due(ctx.data.get("new_due"))
    if d.due_at is None or new_due <= d.due_at:
        raise InvalidInput("Ngày hẹn mới phải sau hạn trả kết quả hiện tại.", "invalid_new_due")
    in_time = working_units(ctx.now, d.due_at) >= UNITS_PER_DAY
    override = bool(ctx.data.get("override"))
    if d.apology_count == 0 and in_time:
        pass
    elif override and ctx.acting.role == Role.LEADER and str(ctx.data.get("override_reason") or "").strip():
        pass
    else:
        why = "đã hẹn lại một lần" if d.apology_count else "không còn ít nhất 1 ngày làm việc trước hạn"
        raise InvalidTransition(
            f"Không thể hẹn lại: hồ sơ {why}. Cần lãnh đạo phê duyệt (override) kèm lý do.", "apology_not_allowed"
        )
    ctx.payload = {
        "old_due": d.due_at.isoformat(),
        "new_due": new_due.isoformat(),
        "override": override and d.apology_count > 0 or (override and not in_time),
        "override_reason": str(ctx.data.get("override_reason") or ""),
    }
    d.due_at = new_due
    d.apology_count += 1


def _do_stop(ctx: Ctx) -> None:
    _need_reason(ctx, "lý do dừng giải quyết")


def _do_withdraw(ctx: Ctx) -> None:
    ctx.payload = {"requested_by": ctx.dossier.applicant_name}


def _do_issue_result(ctx: Ctx) -> None:
    d = ctx.dossier
    _check_step_role(ctx)
    outcome = ctx.data.get("outcome", Outcome.APPROVED)
    if outcome not in Outcome.values:
        raise InvalidInput("Kết quả phải là 'approved' hoặc 'rejected'.", "invalid_outcome")
    if outcome == Outcome.REJECTED:
        _need_reason(ctx, "lý do không giải quyết")
    if d.steps.filter(parallel=True, status=StepStatus.ACTIVE).exists():
        raise InvalidTransition("Còn ý kiến của cơ quan liên quan chưa trả lời.", "consultation_open")
    _finish_step(ctx.step, ctx.now)
    d.steps.filter(status=StepStatus.PENDING, order__lt=_last_order(d)).update(status=StepStatus.SKIPPED)
    last = _next_sequential(d, ctx.step)
    if last is not None:
        _start_step(d, last, ctx.now)
    else:
        d.current_step = None
    d.finished_at = ctx.now
    d.outcome, d.outcome_reason = outcome, ctx.reason
    ctx.payload = {"outcome": outcome, "result_number": str(ctx.data.get("result_number") or "")[:60]}
    if ctx.acting.role == Actor.SYSTEM:  # decided in a specialized system (integration.specialized)
        ctx.payload["external_system"] = str(ctx.data.get("external_system") or "")[:40]
    if d.bundle_id:
        _advance_bundle(ctx, approved=outcome == Outcome.APPROVED)


def _last_order(d: Dossier) -> int:
    last = d.steps.filter(parallel=False).order_by("-order").first()
    return last.order if last else 0


def _advance_bundle(ctx: Ctx, approved: bool) -> None:
    """The next procedure of the bundle starts with this result as one of its components; a refusal
    stops the rest of the chain."""
    d = ctx.dossier
    nxt = d.bundle.dossiers.filter(bundle_order=d.bundle_order + 1, state=State.PENDING_LINKED).first()
    if nxt is None:
        return
    system = Acting(None, Actor.SYSTEM, None, "Hệ thống MotCua")
    if approved:
        DossierComponent.objects.create(
            dossier=nxt,
            code=f"KQ-{d.code}",
            name=f"Kết quả {d.version.name} (hồ sơ {d.code})",
            required=False,
            provided=True,
            source="linked",
        )
        before = nxt.state
        event = _receive(nxt, system, ctx.now, "start_linked")
        event.from_state = before
        event.payload.update({"previous": d.code})
    else:
        before, nxt.state, nxt.closed_at = nxt.state, State.STOPPED, ctx.now
        event = _event(
            nxt, "stop", system, ctx.now, before, State.STOPPED, reason=f"Hồ sơ {d.code} không được giải quyết."
        )
        rest = d.bundle.dossiers.filter(bundle_order__gt=nxt.bundle_order, state=State.PENDING_LINKED)
        for other in rest:
            ctx.extra_events.append(
                _event(other, "stop", system, ctx.now, other.state, State.STOPPED, reason=event.reason)
            )
        rest.update(state=State.STOPPED, closed_at=ctx.now)
    nxt.lock_version += 1
    nxt.save()
    ctx.extra_events.append(event)


def _do_deliver(ctx: Ctx) -> None:
    step = ctx.dossier.current_step
    if step is not None and step.acknowledged_at is None:
        step.acknowledged_at = ctx.now
        step.save(update_fields=["acknowledged_at"])
    ctx.event_step = step


def _do_return_result(ctx: Ctx) -> None:
    d = ctx.dossier
    channel = ctx.data.get("channel") or d.return_channel
    if channel not in ReturnChannel.values:
        raise InvalidInput("Hình thức trả kết quả không hợp lệ.", "invalid_return_channel")
    if d.fee_status == FeeStatus.UNPAID and d.outcome == Outcome.APPROVED:
        if not ctx.data.get("fee_collected"):
            raise InvalidTransition(
                "Người nộp chưa hoàn thành phí, lệ phí; thu phí (fee_collected) trước khi trả kết quả.", "fee_unpaid"
            )
        d.fee_status = FeeStatus.PAID
    d.returned_at = ctx.now
    d.return_channel = channel
    ctx.payload = {
        "channel": channel,
        "received_by": str(ctx.data.get("received_by") or "")[:255],
        "tracking_number": str(ctx.data.get("tracking_number") or "")[:60],
    }
    if channel == ReturnChannel.POST and not ctx.payload["tracking_number"] and ctx.acting.user is not None:
        raise InvalidInput(
            "Vui lòng nhập số hiệu bưu gửi (tracking_number) khi gửi kết quả qua bưu chính.", "missing_tracking_number"
        )


ACTIONS = {
    "accept": _do_accept,
    "refuse": _do_refuse,
    "request_supplement": _do_request_supplement,
    "supplement": _do_supplement,
    "start_linked": _do_start_linked,
    "transfer": _do_transfer,
    "acknowledge": _do_acknowledge,
    "forward": _do_forward,
    "send_back": _do_send_back,
    "assign": _do_assign,
    "consult": _do_consult,
    "answer_consultation": _do_answer_consultation,
    "request_fee": _do_request_fee,
    "pay_fee": _do_pay_fee,
    "apologize": _do_apologize,
    "stop": _do_stop,
    "withdraw": _do_withdraw,
    "issue_result": _do_issue_result,
    "deliver": _do_deliver,
    "return_result": _do_return_result,
}
assert set(ACTIONS) == set(TRANSITIONS), "every transition has exactly one handler"


# ------------------------------------------------------------------------------------------------
# Deadlines read from the data (never stored as a guess)
# ------------------------------------------------------------------------------------------------
def step_usage(dossier: Dossier, now: dt.datetime | None = None) -> list[dict]:
    """Per step: budget vs working time used (active steps counted up to ``now``, or up to the
    result for a finished dossier: returning the result is not processing time)."""
    now = now or timezone.now()
    if dossier.finished_at is not None:
        now = min(now, dossier.finished_at)
    rows = []
    for s in dossier.steps.all():
        used = s.used_units
        if s.status == StepStatus.ACTIVE and s.started_at and now > s.started_at and not dossier.paused_at:
            used += max(working_units(s.started_at, now) - s.paused_units, 0)
        rows.append(
            {
                "step": s,
                "used_units": used,
                "budget_units": s.budget_units,
                "overrun_units": max(used - s.budget_units, 0),
            }
        )
    return rows


def overrun_steps(dossier: Dossier, now: dt.datetime | None = None) -> list[dict]:
    """For a late dossier: the steps that used more than their budget, largest overrun first."""
    if not dossier.is_late(now):
        return []
    rows = [r for r in step_usage(dossier, now) if r["overrun_units"] > 0]
    return sorted(rows, key=lambda r: (-r["overrun_units"], r["step"].order))
