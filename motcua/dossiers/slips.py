"""Printed slips of a dossier (Circular 01/2018/TT-VPCP forms, as replaced by Circular 03/2025/TT-VPCP).

=====  ===============================================  ==========================================
 no.   slip                                             applies when
=====  ===============================================  ==========================================
 01    Giấy tiếp nhận hồ sơ và hẹn trả kết quả           the dossier was received (clock started)
 02    Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ           a ``request_supplement`` event exists
 03    Phiếu từ chối tiếp nhận giải quyết hồ sơ          a ``refuse`` event exists
 04    Phiếu xin lỗi và hẹn lại ngày trả kết quả         an ``apologize`` event exists
 05    Phiếu kiểm soát quá trình giải quyết hồ sơ        the dossier was received
 06    Thông báo dừng giải quyết hồ sơ                   a ``stop`` event exists
 07    Sổ theo dõi hồ sơ                                 many dossiers: ``tracking_book_pdf/_xlsx``
=====  ===============================================  ==========================================

Every slip is read from the data (dossier, steps, append-only events), never from a guess: a slip
that does not apply raises ``ValueError`` with a Vietnamese message.

Wording and layout are data a province can adjust: a ``SlipTemplate`` row with the slip's number
is rendered (a Django template string, usually ``{% extends "dossiers/slips/base.html" %}``)
instead of the packaged ``dossiers/slips/<no>.html``. Both get the same context,
``slip_context(dossier, number)``; the keys are listed in ``CONTEXT_HELP`` (shown in the admin).
Every text the slip prints is pre-formatted in Vietnam time (dates dd/mm/yyyy) so that a template
author never has to deal with time zones.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from urllib.parse import quote

import segno
from django.conf import settings
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone

from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ, OutOfCalendarRange, format_due
from motcua.workcalendar.services import get_calendar

from .models import (
    Channel,
    Dossier,
    DossierComponent,
    Event,
    FeeStatus,
    ReturnChannel,
    SlipTemplate,
    Step,
    StepStatus,
)
from .services import handover_start, step_usage
from .states import Actor

# WeasyPrint logs every layout step at INFO; the project's root logger is INFO. Quiet it unless the
# deployment configured that logger itself.
if logging.getLogger("weasyprint.progress").level == logging.NOTSET:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

DEFAULT_PUBLIC_URL = "http://localhost:8000"
BOOK = "07"
SLIP_TITLES = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "06": "Thông báo dừng giải quyết hồ sơ",
    BOOK: "Sổ theo dõi hồ sơ",
}
BOOK_COLUMNS = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục",
    "Người nộp",
    "Địa chỉ/Số điện thoại",
    "Cơ quan giải quyết",
    "Ngày nhận",
    "Hẹn trả",
    "Ngày trả",
    "Hình thức nhận kết quả",
    "Ký nhận",
]
BOOK_WIDTHS = [6, 28, 45, 24, 38, 32, 17, 17, 17, 26, 14]

# Events that move the dossier from one holder to another (rows of slip 05).
RECEIPT_ACTIONS = ("receive", "accept", "start_linked")
PLACE_PREFIXES = ("Thành phố ", "Tỉnh ", "TP. ", "Huyện ", "Phường ", "Xã ", "Thị xã ")

CONTEXT_HELP = """\
Chung (mẫu 01–06): slip.number, slip.title, code, d (hồ sơ), procedure_code, procedure_name,
applicant.name/.id_number/.phone/.email/.address, owner_name, header.parent, header.name,
place, date_line ("An Hòa, ngày 02 tháng 03 năm 2026"), desk_name, desk_address, desk_phone,
agency_name, receiving_agency_name, received_at_text, received_date, due_text, original_due_text,
time_limit_days, components (code, name, form, copies, provided, required), components_received,
return_channel_text, return_address, fee_text, officer, tracking_url, qr (ảnh mã QR, data URI).
Mẫu 02: request.at_text, .date, .reason, .items, .officer, .agency_name, .deadline_text.
Mẫu 03: refusal.at_text, .date, .reason, .officer.
Mẫu 04: apology.at_text, .date, .reason, .old_due_text, .new_due_text, .new_due_date, .officer, .agency_name.
Mẫu 05: handovers (no, from_label, to_label, giver, receiver, at_text, used_text, budget_text, verdict, note),
steps (order, name, agency_name, assignee, budget_text, used_text, verdict, late), consulted_agencies,
summary.received_text, .due_text, .original_due_text, .finished_text, .returned_text, .waited_text, .verdict.
Mẫu 06: stop.at_text, .date, .reason, .officer, .agency_name.
Mẫu 07: rows (no, code, procedure, applicant, contact, agency, received, due, returned, return_channel), count.
"""


# ------------------------------------------------------------------------------------------------
# Formatting (Vietnam time)
# ------------------------------------------------------------------------------------------------
def _local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(VN_TZ) if instant.tzinfo else instant.replace(tzinfo=VN_TZ)


def fmt_date(instant: dt.datetime | None) -> str:
    """dd/mm/yyyy in Vietnam time ('' for None)."""
    return f"{_local(instant):%d/%m/%Y}" if instant else ""


def fmt_datetime(instant: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time ('' for None)."""
    return f"{_local(instant):%d/%m/%Y %H:%M}" if instant else ""


def fmt_moment(instant: dt.datetime | None) -> str:
    """'08 giờ 05 phút, ngày 02/03/2026' — the wording of the forms."""
    if not instant:
        return ""
    local = _local(instant)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def fmt_long_date(day: dt.date) -> str:
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def fmt_due(instant: dt.datetime | None) -> str:
    return format_due(instant) if instant else ""


def fmt_units(units: int | None) -> str:
    """Working time (UNITS_PER_DAY units = one working day) as 'x ngày y giờ z phút'."""
    units = max(int(units or 0), 0)
    days, rest = divmod(units, UNITS_PER_DAY)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} ngày"] if days else []
    if hours:
        parts.append(f"{hours} giờ")
    if minutes:
        parts.append(f"{minutes} phút")
    if parts:
        return " ".join(parts)
    return "0 giờ" if units == 0 else "dưới 1 phút"


def fmt_budget(units: int) -> str:
    return fmt_units(units) if units > 0 else "Trong ngày làm việc"


def _days_text(value) -> str:
    text = f"{value:f}".rstrip("0").rstrip(".") if value is not None else ""
    return text.replace(".", ",")


def _label(choices, value) -> str:
    """The Vietnamese label of a stored choice (the raw value if unknown: printing never fails
    on data, and a ``ValueError`` here would read as 'slip does not apply')."""
    return dict(choices.choices).get(value, str(value or ""))


def _parse_instant(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=VN_TZ)


# ------------------------------------------------------------------------------------------------
# Tracking URL and QR code
# ------------------------------------------------------------------------------------------------
def public_url_base(base: str | None = None) -> str:
    base = base or getattr(settings, "MOTCUA_PUBLIC_URL", None) or DEFAULT_PUBLIC_URL
    return str(base).rstrip("/")


def tracking_url(code: str, base: str | None = None) -> str:
    """The public tracking page of a dossier: ``{base}/tra-cuu/{code}/`` (the portal's page)."""
    return f"{public_url_base(base)}/tra-cuu/{quote(code, safe='')}/"


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data URI (error correction M, no quiet-zone surprises)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=2)


# ------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------
def _normalize(number) -> str:
    text = str(number).strip()
    if text.isdigit():
        text = text.zfill(2)
    if text not in SLIP_TITLES:
        raise ValueError(f"Không có mẫu phiếu số '{number}' (các mẫu: {', '.join(SLIP_TITLES)}).")
    return text


def _load(dossier) -> Dossier:
    """The dossier with everything a slip reads, in a fixed number of queries."""
    qs = Dossier.objects.select_related(
        "version__procedure",
        "desk__agency__unit__parent__parent",
        "agency__parent",
        "receiving_agency",
        "bundle",
    ).prefetch_related(
        Prefetch("steps", queryset=Step.objects.select_related("agency", "assignee")),
        Prefetch("components", queryset=DossierComponent.objects.select_related("component")),
        Prefetch("events", queryset=Event.objects.select_related("agency", "step__agency", "actor").order_by("id")),
    )
    if isinstance(dossier, Dossier):
        key = {"pk": dossier.pk}
    elif isinstance(dossier, int):
        key = {"pk": dossier}
    else:
        key = {"code": str(dossier)}
    found = qs.filter(**key).first()
    if found is None:
        raise ValueError("Không tìm thấy hồ sơ.")
    return found


def vn_name(user) -> str:
    """A staff member's name in Vietnamese order (family, middle, given): Django's
    ``get_full_name`` puts ``first_name`` (the given name) first."""
    if user is None:
        return ""
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


def actor_of(event: Event) -> str:
    """Who did ``event``, as recorded; a name recorded in Django's given-name-first order for the
    same user is printed in Vietnamese order."""
    user = event.actor if event.actor_id else None
    if user is not None and event.actor_name == f"{user.first_name} {user.last_name}".strip():
        return vn_name(user)
    return event.actor_name


def _last_event(d: Dossier, *actions: str) -> Event | None:
    found = [e for e in d.events.all() if e.action in actions]
    return found[-1] if found else None


def place_name(d: Dossier | None = None) -> str:
    """The place printed before the date (địa danh): ``settings.MOTCUA_PLACE_NAME`` if set, else
    the province the receiving desk belongs to, without its level word ('Tỉnh An Hòa' → 'An Hòa')."""
    configured = getattr(settings, "MOTCUA_PLACE_NAME", None)
    if configured:
        return str(configured)
    if d is None:
        return ""
    unit = d.desk.agency.unit
    for _ in range(10):  # province → (district) → commune; bounded against bad data
        if unit.parent_id is None:
            break
        unit = unit.parent
    name = unit.name
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _date_line(place: str, instant: dt.datetime) -> str:
    day = _local(instant).date()
    return f"{place}, {fmt_long_date(day)}" if place else fmt_long_date(day).capitalize()


def _agency_name(agency, day: dt.date) -> str:
    return agency.name_on(day) if agency is not None else ""


# ------------------------------------------------------------------------------------------------
# Context
# ------------------------------------------------------------------------------------------------
def slip_context(
    dossier,
    number,
    *,
    tracking_url_base: str | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Everything a slip template prints (see ``CONTEXT_HELP``). Raises ``ValueError`` when the
    slip does not apply to the dossier. Slip 07 gives the tracking book of this one dossier."""
    number = _normalize(number)
    if number == BOOK:
        return book_context([dossier] if isinstance(dossier, Dossier) else [_load(dossier)], now=now)
    now = now or timezone.now()
    d = _load(dossier)
    builder = _BUILDERS[number]
    extra, issued_at, issuer = builder(d, now)
    day = _local(issued_at).date()
    if issuer == "desk":
        header = {"parent": _agency_name(d.desk.agency, day), "name": d.desk.name}
    else:
        header = {"parent": _agency_name(d.agency.parent, day), "name": _agency_name(d.agency, day)}
    url = tracking_url(d.code, tracking_url_base)
    ctx = _common(d, day)
    ctx.update(
        {
            "slip": {"number": number, "title": SLIP_TITLES[number]},
            "header": header,
            "issued_at": issued_at,
            "date_line": _date_line(ctx["place"], issued_at),
            "tracking_url": url,
            "qr": qr_data_uri(url),
        }
    )
    ctx.update(extra)
    return ctx


def _common(d: Dossier, day: dt.date) -> dict:
    version = d.version
    receipt = _last_event(d, *RECEIPT_ACTIONS)
    components = [
        {
            "code": c.code,
            "name": c.name,
            "form": c.component.get_form_display() if c.component_id else "",
            "copies": c.copies,
            "provided": c.provided,
            "required": c.required,
            "source": c.source,
        }
        for c in d.components.all()
    ]
    return_text = _label(ReturnChannel, d.return_channel)
    if d.return_channel == ReturnChannel.POST and d.return_address:
        return_text = f"{return_text} – địa chỉ: {d.return_address}"
    fee_text = _label(FeeStatus, d.fee_status)
    if d.fee_amount:
        fee_text = f"{d.fee_amount:,} đồng ({fee_text.lower()})".replace(",", ".")
    return {
        "d": d,
        "code": d.code,
        "procedure_code": version.procedure.code,
        "procedure_name": version.name,
        "applicant": {
            "name": d.applicant_name,
            "id_number": d.applicant_id_number,
            "phone": d.applicant_phone,
            "email": d.applicant_email,
            "address": d.applicant_address,
            "type": d.applicant_type,
        },
        "owner_name": d.owner_name,
        "place": place_name(d),
        "desk": d.desk,
        "desk_name": d.desk.name,
        "desk_address": d.desk.address,
        "desk_phone": d.desk.phone,
        "agency_name": _agency_name(d.agency, day),
        "receiving_agency_name": d.receiving_agency.name,
        "channel_text": _label(Channel, d.channel),
        "received_at_text": fmt_moment(d.received_at),
        "received_date": fmt_date(d.received_at),
        # The appointment made at receipt; a later apology moves ``due_at`` (slip 04).
        "due_text": fmt_due(d.original_due_at or d.due_at),
        "current_due_text": fmt_due(d.due_at),
        "original_due_text": fmt_due(d.original_due_at),
        "time_limit_days": _days_text(version.time_limit_days),
        "components": components,
        "components_received": [c for c in components if c["provided"]],
        "return_channel_text": return_text,
        "return_address": d.return_address,
        "fee_text": fee_text,
        "officer": actor_of(receipt) if receipt else "",
        "bundle_code": d.bundle.code if d.bundle_id else "",
    }


def _need(condition, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _slip_01(d: Dossier, now):
    _need(
        d.received_at is not None, f"Hồ sơ {d.code} chưa được tiếp nhận nên chưa có giấy tiếp nhận và hẹn trả kết quả."
    )
    return {}, d.received_at, "desk"


def _items_of(event: Event, d: Dossier) -> list[str]:
    names = {c.code: c for c in d.components.all()}
    items = []
    for code in event.payload.get("missing") or []:
        c = names.get(code)
        if c is None:
            items.append(str(code))
            continue
        form = f" ({c.component.get_form_display().lower()}, {c.copies} bản)" if c.component_id else ""
        items.append(f"{c.name}{form} – mã {c.code}")
    for item in event.payload.get("items") or []:
        if isinstance(item, dict):
            text = item.get("name") or item.get("text") or item.get("content") or ""
            note = item.get("note") or item.get("reason") or ""
            text = f"{text}: {note}" if text and note else text or note
        else:
            text = str(item)
        if text.strip():
            items.append(text.strip())
    return items


def _slip_02(d: Dossier, now):
    event = _last_event(d, "request_supplement")
    _need(event is not None, f"Hồ sơ {d.code} không có yêu cầu bổ sung, hoàn thiện hồ sơ.")
    deadline = ""
    if d.channel == Channel.ONLINE:
        try:
            deadline = fmt_date(get_calendar().add_working_days(event.at, 15))
        except OutOfCalendarRange:
            deadline = ""
    request = {
        "at": event.at,
        "at_text": fmt_moment(event.at),
        "date": fmt_date(event.at),
        "reason": event.reason,
        "items": _items_of(event, d),
        "officer": actor_of(event),
        "agency_name": event.agency.name if event.agency_id else "",
        "deadline_text": deadline,
    }
    issuer = "desk" if event.actor_role in (Actor.DESK_OFFICER, Actor.POSTAL_STAFF) else "agency"
    return {"request": request}, event.at, issuer


def _slip_03(d: Dossier, now):
    event = _last_event(d, "refuse")
    _need(event is not None, f"Hồ sơ {d.code} không bị từ chối tiếp nhận.")
    refusal = {
        "at": event.at,
        "at_text": fmt_moment(event.at),
        "date": fmt_date(event.at),
        "reason": event.reason,
        "officer": actor_of(event),
    }
    return {"refusal": refusal}, event.at, "desk"


def _slip_04(d: Dossier, now):
    event = _last_event(d, "apologize")
    _need(event is not None, f"Hồ sơ {d.code} không có phiếu xin lỗi và hẹn lại ngày trả kết quả.")
    old_due = _parse_instant(event.payload.get("old_due"))
    new_due = _parse_instant(event.payload.get("new_due"))
    apology = {
        "at": event.at,
        "at_text": fmt_moment(event.at),
        "date": fmt_date(event.at),
        "reason": event.reason,
        "old_due_text": fmt_due(old_due),
        "new_due_text": fmt_due(new_due),
        "new_due_date": fmt_long_date(_local(new_due).date()) if new_due else "",
        "officer": actor_of(event),
        "agency_name": event.agency.name if event.agency_id else "",
        "override_reason": event.payload.get("override_reason") or "",
    }
    return {"apology": apology}, event.at, "agency"


def _slip_06(d: Dossier, now):
    event = _last_event(d, "stop")
    _need(event is not None, f"Hồ sơ {d.code} không bị dừng giải quyết.")
    stop = {
        "at": event.at,
        "at_text": fmt_moment(event.at),
        "date": fmt_date(event.at),
        "reason": event.reason,
        "officer": actor_of(event),
        "agency_name": event.agency.name if event.agency_id else d.agency.name,
    }
    return {"stop": stop}, event.at, "agency"


# ------------------------------------------------------------------------------------------------
# Slip 05: the process control sheet
# ------------------------------------------------------------------------------------------------
def _step_label(step: Step | None) -> str:
    if step is None:
        return ""
    if step.parallel:
        return f"{step.agency.name} (xin ý kiến)"
    return f"{step.agency.name} – bước {step.order}: {step.name}"


def _judge(used: int, budget: int, *, within_day: bool | None = None) -> tuple[str, bool]:
    """(verdict, late) of a finished piece of work: before / on / past its time budget.
    A budget of 0 means 'within the working day' (``within_day`` says whether it was)."""
    if budget <= 0:
        late = within_day is False
        return ("Quá hạn" if late else "Đúng hạn"), late
    if used > budget:
        return "Quá hạn", True
    return ("Trước hạn" if used < budget else "Đúng hạn"), False


def _end_of_day(start: dt.datetime | None) -> dt.datetime | None:
    if start is None:
        return None
    try:
        return get_calendar().due_date(start, 0)
    except OutOfCalendarRange:
        return None


def _step_rows(d: Dossier, now: dt.datetime, usages: list[dict]) -> list[dict]:
    """Per step (``services.step_usage``): budget vs working time used, judged on time / late."""
    rows = []
    for usage in usages:
        s: Step = usage["step"]
        used, budget = usage["used_units"], usage["budget_units"]
        returning = d.finished_at is not None and s.started_at is not None and s.started_at >= d.finished_at
        if s.status == StepStatus.PENDING:
            verdict, late = "Chưa đến lượt", False
        elif s.status == StepStatus.SKIPPED and s.started_at is None:
            verdict, late = "Không thực hiện", False
        elif returning:
            verdict, late = ("Đã trả kết quả" if s.status == StepStatus.DONE else "Chờ trả kết quả"), False
        else:
            end = s.finished_at or now
            within = s.due_at is None or end <= s.due_at
            verdict, late = _judge(used, budget, within_day=within)
            if s.status == StepStatus.ACTIVE:
                verdict = "Đang xử lý, quá hạn" if late else "Đang xử lý, trong hạn"
        rows.append(
            {
                "order": s.order,
                "name": s.name,
                "agency_name": s.agency.name,
                "parallel": s.parallel,
                "status": s.get_status_display(),
                "assignee": vn_name(s.assignee) if s.assignee_id else "",
                "started_text": fmt_datetime(s.started_at),
                "finished_text": fmt_datetime(s.finished_at),
                "due_text": fmt_datetime(s.due_at),
                "budget_units": budget,
                "used_units": used,
                "budget_text": fmt_budget(budget),
                "used_text": fmt_units(used) if s.started_at else "",
                "verdict": verdict,
                "late": late,
            }
        )
    return rows


def _handover_rows(d: Dossier, usage_by_step: dict[int, dict]) -> list[dict]:
    """One row per hand-over of the dossier, replayed from the event history.

    The holder is tracked while replaying; the receiver of a hand-over is whoever acknowledged the
    step it went to (the "người nhận" of the form). Time used is the giving step's working time at
    that moment when the event recorded it, else the step's total."""
    steps = list(d.steps.all())
    by_pk = {s.pk: s for s in steps}
    by_order = {s.order: s for s in steps if not s.parallel}
    last_seq = max((s for s in steps if not s.parallel), key=lambda s: s.order, default=None)
    events = list(d.events.all())
    applicant = f"Người nộp hồ sơ: {d.applicant_name}"
    desk = f"{d.desk.name}"
    started: dict[int, dt.datetime] = {}
    rows: list[dict] = []
    holder: Step | None = None

    def receiver_of(index: int, step: Step | None) -> tuple[str, str]:
        if step is None:
            return "", ""
        for later in events[index + 1 :]:
            if later.action == "acknowledge" and later.step_id == step.pk:
                return actor_of(later), fmt_datetime(later.at)
            if later.step_id == step.pk and later.action in ("forward", "send_back", "issue_result"):
                break
        return "", ""

    def add(e: Event, index: int, from_label: str, to_label: str, *, giver=None, src=None, dst=None, note=""):
        used = budget = None
        verdict = ""
        if src is not None:
            payload = e.payload or {}
            if "used_units" in payload and "budget_units" in payload:
                used, budget = int(payload["used_units"] or 0), int(payload["budget_units"] or 0)
            else:
                usage = usage_by_step.get(src.pk, {})
                used, budget = usage.get("used_units", src.used_units), src.budget_units
            end = _end_of_day(started.get(src.pk))
            verdict, _ = _judge(used, budget, within_day=None if end is None else e.at <= end)
        receiver, received_at = receiver_of(index, dst)
        rows.append(
            {
                "no": len(rows) + 1,
                "action": e.action,
                "from_label": from_label,
                "to_label": to_label,
                "giver": giver if giver is not None else actor_of(e),
                "receiver": receiver,
                "received_text": received_at,
                "at": e.at,
                "at_text": fmt_datetime(e.at),
                "used_text": "" if used is None else fmt_units(used),
                "budget_text": "" if budget is None else fmt_budget(budget),
                "verdict": verdict,
                "note": note,
            }
        )

    for i, e in enumerate(events):
        a, payload = e.action, e.payload or {}
        if a in RECEIPT_ACTIONS:
            holder = e.step
            if holder is not None:
                started[holder.pk] = e.at
            source = f"Hồ sơ liên thông {payload['previous']}" if payload.get("previous") else applicant
            giver = "Hệ thống MotCua" if a == "start_linked" else d.applicant_name
            note = f"Hẹn trả: {fmt_due(_parse_instant(payload.get('due_at')))}" if payload.get("due_at") else ""
            add(e, i, source, _step_label(holder) or desk, giver=giver, dst=None, note=note)
            rows[-1]["receiver"], rows[-1]["received_text"] = actor_of(e), fmt_datetime(e.at)
        elif a in ("transfer", "forward", "send_back"):
            src = by_order.get(payload.get("from_step")) or holder
            dst = e.step
            if dst is not None:
                started[dst.pk] = handover_start(e.at)
            note = f"Trả lại: {e.reason}" if a == "send_back" else ""
            add(e, i, _step_label(src), _step_label(dst), src=src, dst=dst, note=note)
            holder = dst
        elif a == "consult":
            for item in payload.get("consulted") or []:
                dst = by_pk.get(item.get("step"))
                if dst is not None:
                    started[dst.pk] = handover_start(e.at)
                add(e, i, _step_label(holder), _step_label(dst) or str(item.get("agency")), note="Xin ý kiến")
        elif a == "answer_consultation":
            src = e.step
            add(e, i, _step_label(src), _step_label(holder), src=src, note=f"Ý kiến: {src.opinion}" if src else "")
        elif a in ("request_supplement", "request_fee"):
            what = "Yêu cầu bổ sung" if a == "request_supplement" else "Yêu cầu thực hiện nghĩa vụ tài chính"
            note = f"{what}: {e.reason}" if e.reason else what
            add(e, i, _step_label(holder) or desk, applicant, note=note + " (không tính thời gian chờ)")
        elif a in ("supplement", "pay_fee"):
            what = "Đã bổ sung hồ sơ" if a == "supplement" else "Đã thực hiện nghĩa vụ tài chính"
            if payload.get("waited_units"):
                what += f"; thời gian chờ: {fmt_units(payload['waited_units'])}"
            add(e, i, applicant, _step_label(holder) or desk, note=what)
        elif a == "issue_result":
            src = e.step or holder
            dst = last_seq if last_seq is not None and src is not None and last_seq.order > src.order else None
            if dst is not None:
                started[dst.pk] = e.at
            result = "Ban hành kết quả" + (f" số {payload['result_number']}" if payload.get("result_number") else "")
            if e.reason:
                result += f" (không giải quyết: {e.reason})"
            add(e, i, _step_label(src), _step_label(dst) or desk, src=src, dst=dst, note=result)
            holder = dst
        elif a == "deliver":
            add(e, i, d.agency.name, _step_label(e.step) or desk, note="Chuyển kết quả về bộ phận một cửa")
        elif a == "return_result":
            channel = _label(ReturnChannel, payload.get("channel") or d.return_channel)
            received_by = payload.get("received_by") or d.applicant_name
            add(e, i, _step_label(e.step or holder) or desk, applicant, note=f"Trả kết quả: {channel}")
            rows[-1]["receiver"], rows[-1]["received_text"] = received_by, fmt_datetime(e.at)
        elif a in ("refuse", "withdraw", "stop", "apologize"):
            notes = {
                "refuse": "Từ chối tiếp nhận",
                "withdraw": "Rút hồ sơ theo đề nghị của người nộp",
                "stop": "Dừng giải quyết hồ sơ",
                "apologize": "Xin lỗi, hẹn lại ngày trả kết quả: " + fmt_due(_parse_instant(payload.get("new_due"))),
            }
            note = notes[a] + (f" – lý do: {e.reason}" if e.reason else "")
            add(e, i, e.agency.name if e.agency_id else (_step_label(holder) or desk), applicant, note=note)
    return rows


def _slip_05(d: Dossier, now):
    _need(d.received_at is not None, f"Hồ sơ {d.code} chưa được tiếp nhận nên chưa có quá trình giải quyết.")
    usages = step_usage(d, now)
    usage = {u["step"].pk: u for u in usages}
    steps = _step_rows(d, now, usages)
    consulted = sorted({s["agency_name"] for s in steps if s["parallel"]})
    finished = d.finished_at
    if finished is not None:
        verdict = "Quá hạn" if d.is_late(now) else ("Trước hạn" if finished < d.due_at else "Đúng hạn")
    elif d.closed_at is not None:
        verdict = d.state_label
    else:
        verdict = "Đang giải quyết, quá hạn" if d.is_late(now) else "Đang giải quyết, trong hạn"
    summary = {
        "received_text": fmt_datetime(d.received_at),
        "due_text": fmt_due(d.due_at),
        "original_due_text": fmt_due(d.original_due_at),
        "finished_text": fmt_datetime(d.finished_at),
        "returned_text": fmt_datetime(d.returned_at),
        "waited_text": fmt_units(d.paused_units) if d.paused_units else "",
        "state": d.state_label,
        "verdict": verdict,
        "late": d.is_late(now),
        "as_of": fmt_datetime(now),
    }
    extra = {
        "handovers": _handover_rows(d, usage),
        "steps": steps,
        "consulted_agencies": consulted,
        "summary": summary,
    }
    return extra, now, "desk"


_BUILDERS = {"01": _slip_01, "02": _slip_02, "03": _slip_03, "04": _slip_04, "05": _slip_05, "06": _slip_06}


def applicable_slips(dossier: Dossier) -> list[str]:
    """The single-dossier slips (01–06) that apply to ``dossier`` now (one query)."""
    actions = set(dossier.events.values_list("action", flat=True))
    found = []
    if dossier.received_at is not None:
        found.append("01")
    for number, action in (("02", "request_supplement"), ("03", "refuse"), ("04", "apologize")):
        if action in actions:
            found.append(number)
    if dossier.received_at is not None:
        found.append("05")
    if "stop" in actions:
        found.append("06")
    return found


# ------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------
def packaged_template_name(number) -> str:
    return f"dossiers/slips/{_normalize(number)}.html"


def packaged_template_source(number) -> str:
    """The packaged template's text (the starting point of a province's own wording)."""
    template = get_template(packaged_template_name(number))
    return template.template.source


def _template(number: str):
    row = SlipTemplate.objects.filter(code=number).only("body").first()
    if row is not None and row.body.strip():
        return engines["django"].from_string(row.body)
    return get_template(packaged_template_name(number))


def render_html(context: dict) -> str:
    """The slip's HTML from ``context`` (``slip_context`` / ``book_context``)."""
    return _template(context["slip"]["number"]).render(context)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: heavy, and only the printing paths need it

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_slip(
    dossier,
    number: str,
    *,
    tracking_url_base: str | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The PDF (A4) of slip ``number`` ('01'–'07') for ``dossier``.

    ``tracking_url_base``: where the QR code points (default ``settings.MOTCUA_PUBLIC_URL`` or
    http://localhost:8000). Raises ``ValueError`` (Vietnamese message) for an unknown number or a
    slip that does not apply to the dossier."""
    context = slip_context(dossier, number, tracking_url_base=tracking_url_base, now=now)
    return html_to_pdf(render_html(context))


# ------------------------------------------------------------------------------------------------
# Slip 07: the tracking book (many dossiers)
# ------------------------------------------------------------------------------------------------
BOOK_RELATIONS = ("version", "agency", "desk__agency__unit__parent__parent")


def _with_relations(dossiers: Iterable[Dossier]) -> list[Dossier]:
    """The dossiers with what the book prints, in a fixed number of queries (no N+1)."""
    if isinstance(dossiers, QuerySet):
        return list(dossiers.select_related(*BOOK_RELATIONS))
    items = list(dossiers)
    prefetch_related_objects(items, *BOOK_RELATIONS)
    return items


def _contact(d: Dossier) -> str:
    parts = [d.applicant_address.strip()]
    if d.applicant_phone:
        parts.append(f"ĐT: {d.applicant_phone}")
    return "; ".join(p for p in parts if p)


def _return_text(d: Dossier) -> str:
    text = _label(ReturnChannel, d.return_channel)
    if d.return_channel == ReturnChannel.POST and d.return_address:
        text += f" ({d.return_address})"
    return text


def book_rows(dossiers: Iterable[Dossier]) -> list[dict]:
    """The book's rows (one per dossier, in the given order); instants stay datetimes."""
    rows = []
    for no, d in enumerate(_with_relations(dossiers), start=1):
        rows.append(
            {
                "no": no,
                "code": d.code,
                "procedure": d.version.name,
                "applicant": d.applicant_name,
                "contact": _contact(d),
                "agency": d.agency.name,
                "received_at": d.received_at or d.submitted_at,
                "due_at": d.due_at,
                "returned_at": d.returned_at,
                "return_channel": _return_text(d),
                "dossier": d,
            }
        )
    return rows


def book_context(dossiers: Iterable[Dossier], *, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    rows = book_rows(dossiers)
    for row in rows:
        row["received"] = fmt_datetime(row["received_at"])
        row["due"] = fmt_datetime(row["due_at"])
        row["returned"] = fmt_datetime(row["returned_at"])
    desks = {row["dossier"].desk_id: row["dossier"].desk for row in rows}
    desk = next(iter(desks.values())) if len(desks) == 1 else None
    place = place_name(rows[0]["dossier"] if rows else None)
    received = [r["received_at"] for r in rows if r["received_at"]]
    return {
        "slip": {"number": BOOK, "title": SLIP_TITLES[BOOK]},
        "header": {"parent": desk.agency.name if desk else "", "name": desk.name if desk else ""},
        "place": place,
        "date_line": _date_line(place, now),
        "issued_at": now,
        "columns": BOOK_COLUMNS,
        "rows": rows,
        "count": len(rows),
        "period_text": f"{fmt_date(min(received))} – {fmt_date(max(received))}" if received else "",
    }


def tracking_book_pdf(dossiers: Iterable[Dossier], *, now: dt.datetime | None = None) -> bytes:
    """Sổ theo dõi hồ sơ (slip 07) as a PDF, A4 landscape, header row repeated on every page."""
    return html_to_pdf(render_html(book_context(dossiers, now=now)))


def tracking_book_xlsx(dossiers: Iterable[Dossier]) -> bytes:
    """Sổ theo dõi hồ sơ as an Excel workbook: bold frozen header, dates dd/mm/yyyy HH:MM."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ theo dõi hồ sơ"
    ws.append(BOOK_COLUMNS)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.border = border
    date_columns = {7, 8, 9}

    def naive(instant):  # Excel has no time zones: Vietnam wall-clock time
        return _local(instant).replace(tzinfo=None) if instant else None

    for row in book_rows(dossiers):
        ws.append(
            [
                row["no"],
                row["code"],
                row["procedure"],
                row["applicant"],
                row["contact"],
                row["agency"],
                naive(row["received_at"]),
                naive(row["due_at"]),
                naive(row["returned_at"]),
                row["return_channel"],
                "",
            ]
        )
        for col, cell in enumerate(ws[ws.max_row], start=1):
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=col not in date_columns)
            if col in date_columns:
                cell.number_format = "dd/mm/yyyy hh:mm"
    for col, width in enumerate(BOOK_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(BOOK_COLUMNS))}{ws.max_row}"
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = "1:1"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
