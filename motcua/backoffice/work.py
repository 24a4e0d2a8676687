"""Officers' work screens (back office): the work inbox, the dossier page, printing slips, notes and
the return desk.

Thin: parse the request, call ``motcua.dossiers`` (``services.act`` for every state change,
``actions.allowed_actions`` for what to offer, ``notes`` for notes and saved filters), render.
Access is ``Dossier.objects.visible_to`` (an invisible dossier is a 404, as an unknown one), and
every page that shows personal data logs the read (``motcua.audit.services.log_access``).

Lists are keyset-paginated (no OFFSET) and read a constant number of SQL queries per page: the
rows come with everything a row shows (``select_related`` + ``only``) and the working-time
countdown is computed in Python from the cached calendar.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from motcua.audit.services import log_access
from motcua.catalog.models import Field
from motcua.common.inputs import as_int
from motcua.common.text import fold
from motcua.documents.models import Document
from motcua.dossiers import actions, notes, services, slips
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierComponent,
    DossierNote,
    Event,
    FeeStatus,
    Outcome,
    ReturnChannel,
    SavedFilter,
    Step,
    StepStatus,
)
from motcua.dossiers.states import DESK, FINAL_STATES, HANDLERS, TRANSITIONS, Actor, State, event_label
from motcua.identity.tasks import verify_applicant
from motcua.integration.outbox import national_sync_state
from motcua.org.models import Agency, StaffMembership
from motcua.org.roles import Role
from motcua.privacy import purpose as privacy_purpose
from motcua.wallet.models import Reuse
from motcua.workcalendar.engine import UNITS_PER_DAY, OutOfCalendarRange
from motcua.workcalendar.services import get_calendar

PAGE_SIZE = 50
MAX_BULK = 100
OPEN_STATES = [s for s in State.values if s not in FINAL_STATES]
RETURN_STATES = [State.RESULT_ISSUED, State.AWAITING_RETURN]
WORK_ROLES = DESK | HANDLERS
# The step role an officer's membership works on ("desk steps" are done by desk officers and by
# postal staff acting for the desk).
STEP_ROLE = {
    Role.DESK_OFFICER: Role.DESK_OFFICER,
    Role.POSTAL_STAFF: Role.DESK_OFFICER,
    Role.SPECIALIST: Role.SPECIALIST,
    Role.LEADER: Role.LEADER,
    Role.CLERK: Role.CLERK,
}
# Actions offered in bulk: the ones that need no per-dossier input.
BULK_ACTIONS = ("acknowledge", "transfer", "forward", "send_back", "assign", "issue_result", "deliver")
# Event actions that are not transitions of the table (intake).
REASON_REQUIRED = {"refuse", "request_supplement", "send_back", "apologize", "stop"}
REASON_LABELS = {
    "refuse": "Lý do từ chối tiếp nhận",
    "request_supplement": "Nội dung yêu cầu bổ sung, hoàn thiện",
    "send_back": "Lý do trả lại",
    "apologize": "Lý do chậm trễ",
    "stop": "Lý do dừng giải quyết",
    "withdraw": "Lý do rút hồ sơ",
    "issue_result": "Lý do (bắt buộc khi không giải quyết)",
}
# A service error about one input is shown next to that input.
ERROR_FIELDS = {
    "missing_reason": "reason",
    "missing_new_due": "new_due",
    "invalid_new_due": "new_due",
    "apology_not_allowed": "new_due",
    "missing_assignee": "assignee",
    "invalid_assignee": "assignee",
    "invalid_amount": "amount",
    "missing_opinion": "opinion",
    "invalid_outcome": "outcome",
    "invalid_missing": "missing",
    "unknown_component": "missing",
    "missing_items": "missing",
    "missing_components": "components",
    "invalid_components": "components",
    "invalid_return_channel": "channel",
    "missing_tracking_number": "tracking_number",
    "fee_unpaid": "fee_collected",
    "unknown_agency": "agencies",
    "invalid_budget": "budget_days",
    "no_consultation": "agencies",
}
DATE_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------
def _memberships(user) -> list[StaffMembership]:
    return list(StaffMembership.objects.filter(user=user, active=True).select_related("agency", "desk"))


def _is_htmx(request, target: str | None = None) -> bool:
    if request.headers.get("HX-Request") != "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


def _int(value) -> int | None:
    return as_int(value)


def _parse_day(text: str) -> dt.date:
    """dd/mm/yyyy → date (ValueError with a Vietnamese message)."""
    text = text.strip()
    if not DATE_RE.match(text):
        raise ValueError("Ngày phải theo định dạng dd/mm/yyyy, ví dụ 05/03/2026.")
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"Ngày {text} không tồn tại.") from None


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


def _duration(units: int) -> str:
    """Working time as 'x ngày y giờ' (minutes only under a day)."""
    units = abs(int(units))
    days, rest = divmod(units, UNITS_PER_DAY)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} ngày"] if days else []
    if hours:
        parts.append(f"{hours} giờ")
    if minutes and not days:
        parts.append(f"{minutes} phút")
    return " ".join(parts) or "dưới 1 phút"


@dataclass
class Countdown:
    kind: str  # late | soon | ok | paused | unknown
    label: str  # the status in words (never colour only)
    text: str  # remaining working time

    @property
    def css(self) -> str:
        return f"mc-due--{self.kind}"


def countdown(step: Step | None, d: Dossier, now: dt.datetime, cal) -> Countdown:
    """Remaining working time to the nearer of the step's and the dossier's due instants.

    A dossier waiting for the applicant has its clock stopped (late only if it already was);
    a dossier with a result is judged on its step alone (returning is not processing time)."""
    if d.paused_at is not None:
        if (d.remaining_units or 0) < 0:
            return Countdown("late", "Quá hạn", f"quá hạn {_duration(d.remaining_units)} (đang tạm dừng)")
        return Countdown("paused", "Tạm dừng", "chờ người nộp, không tính thời gian")
    deadlines = [step.due_at] if step is not None and step.due_at else []
    if d.due_at and d.finished_at is None:
        deadlines.append(d.due_at)
    if not deadlines:
        return Countdown("unknown", "Chưa có hạn", "—")
    deadline = min(deadlines)
    try:
        units = cal.working_units_between(now, deadline)
    except OutOfCalendarRange:
        return Countdown("unknown", "Ngoài lịch làm việc", "—")
    if now > deadline:
        return Countdown("late", "Quá hạn", f"quá hạn {_duration(units)}" if units else "đã quá hạn")
    if units < UNITS_PER_DAY:
        return Countdown("soon", "Sắp đến hạn", f"còn {_duration(units)}")
    return Countdown("ok", "Trong hạn", f"còn {_duration(units)}")


def _log(request, dossiers, purpose: str, action: str = "read") -> None:
    log_access(
        user=request.user, objects=dossiers, object_type="dossier", action=action, purpose=purpose, request=request
    )


# ------------------------------------------------------------------------------------------------
# Keyset cursors
# ------------------------------------------------------------------------------------------------
def encode_cursor(*parts) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, dt.datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_step_cursor(text: str) -> tuple[dt.datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        due, _, pk = raw.partition("|")
        instant = dt.datetime.fromisoformat(due)
        if instant.tzinfo is None or as_int(pk) is None:
            raise ValueError
        return instant, as_int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def decode_id_cursor(text: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return as_int(raw)


def _with_param(params: QueryDict, **changes) -> str:
    q = params.copy()
    for key, value in changes.items():
        q.pop(key, None)
        if value not in (None, ""):
            q[key] = value
    return q.urlencode()


# ------------------------------------------------------------------------------------------------
# Work inbox
# ------------------------------------------------------------------------------------------------
INBOX_FIELDS = (
    "id",
    "order",
    "name",
    "role",
    "status",
    "parallel",
    "agency_id",
    "assignee_id",
    "started_at",
    "due_at",
    "acknowledged_at",
    "dossier",
    "dossier__id",
    "dossier__code",
    "dossier__state",
    "dossier__channel",
    "dossier__applicant_name",
    "dossier__owner_id_number",
    "dossier__due_at",
    "dossier__finished_at",
    "dossier__paused_at",
    "dossier__remaining_units",
    "dossier__lock_version",
    "dossier__version",
    "dossier__version__name",
    "dossier__version__procedure",
    "dossier__version__procedure__code",
)
FILTER_KEYS = ("tab", "procedure", "field", "state", "channel", "due_from", "due_to", "late")


@dataclass
class InboxFilters:
    values: dict
    errors: dict

    def apply(self, qs, now: dt.datetime):
        v = self.values
        if v.get("procedure"):
            qs = qs.filter(dossier__version__procedure__code=v["procedure"])
        if v.get("field"):
            qs = qs.filter(dossier__version__field__code=v["field"])
        if v.get("state"):
            qs = qs.filter(dossier__state=v["state"])
        if v.get("channel"):
            qs = qs.filter(dossier__channel=v["channel"])
        if v.get("due_from_day"):
            qs = qs.filter(due_at__gte=_local_midnight(v["due_from_day"]))
        if v.get("due_to_day"):
            qs = qs.filter(due_at__lt=_local_midnight(v["due_to_day"] + dt.timedelta(days=1)))
        if v.get("late"):
            running = Q(dossier__paused_at__isnull=True) & (
                Q(due_at__lt=now) | Q(dossier__finished_at__isnull=True, dossier__due_at__lt=now)
            )
            qs = qs.filter(running | Q(dossier__paused_at__isnull=False, dossier__remaining_units__lt=0))
        return qs


def parse_filters(params) -> InboxFilters:
    values: dict = {k: str(params.get(k, "")).strip()[:40] for k in FILTER_KEYS}
    errors: dict = {}
    if values["state"] and values["state"] not in OPEN_STATES:
        errors["state"] = "Trạng thái không hợp lệ."
        values["state"] = ""
    if values["channel"] and values["channel"] not in Channel.values:
        errors["channel"] = "Kênh tiếp nhận không hợp lệ."
        values["channel"] = ""
    for key in ("due_from", "due_to"):
        if values[key]:
            try:
                values[f"{key}_day"] = _parse_day(values[key])
            except ValueError as exc:
                errors[key] = str(exc)
    if values.get("due_from_day") and values.get("due_to_day") and values["due_from_day"] > values["due_to_day"]:
        errors["due_to"] = "“Đến ngày” phải sau hoặc bằng “Từ ngày”."
        values.pop("due_to_day")
    values["late"] = "1" if values["late"] in ("1", "on", "true") else ""
    values["tab"] = "unit" if values["tab"] == "unit" else "mine"
    return InboxFilters(values, errors)


def inbox_rows(user, memberships, tab: str, filters: InboxFilters, after, now: dt.datetime, size: int):
    """One page of active steps (``size`` + 1 rows to know whether there is a next page).

    "Việc của tôi": steps assigned to me, plus unassigned steps of my role at my agency.
    "Việc của đơn vị": every active step at my agencies. Each part is one index range scan in due
    order (``step_inbox_assignee``, ``step_inbox_unassigned``, ``step_inbox_agency``) stopped by the
    LIMIT; "mine" merges its two parts in Python (two queries, whatever the number of rows)."""
    work = [m for m in memberships if m.role in WORK_ROLES]
    # No filter on the dossier's state: a step is active only while its dossier is open (``act``
    # finishes the active steps of a dossier reaching a final state), and a condition on the joined
    # table would make PostgreSQL underestimate the rows and sort them all instead of reading the
    # index in due order up to the LIMIT.
    base = Step.objects.filter(status=StepStatus.ACTIVE, due_at__isnull=False)
    base = filters.apply(base, now)
    if after is not None:  # (due_at, id) > cursor, written so that due_at >= … is an index bound
        due, pk = after
        base = base.filter(due_at__gte=due).filter(Q(due_at__gt=due) | Q(id__gt=pk))
    base = base.select_related("dossier__version__procedure").only(*INBOX_FIELDS).order_by("due_at", "id")
    if tab == "unit":
        agencies = sorted({m.agency_id for m in work})
        return list(base.filter(agency_id__in=agencies)[: size + 1]) if agencies else []
    rows = list(base.filter(assignee=user)[: size + 1])
    pairs = sorted({(m.agency_id, STEP_ROLE[m.role]) for m in work})
    if pairs:
        mine = Q()
        for agency_id, role in pairs:
            mine |= Q(agency_id=agency_id, role=role)
        rows += list(base.filter(mine, assignee__isnull=True)[: size + 1])
        rows.sort(key=lambda s: (s.due_at, s.pk))
    return rows[: size + 1]


def bulk_candidates(rows: list[Step], memberships) -> list:
    """Bulk actions the table allows some row's state for one of my roles (the select's options
    before anything is ticked; with JS it narrows to what ``allowed_for_all`` says for the ticks)."""
    roles = {m.role for m in memberships}
    states = {s.dossier.state for s in rows}
    return [TRANSITIONS[a] for a in BULK_ACTIONS if TRANSITIONS[a].sources & states and TRANSITIONS[a].actors & roles]


@login_required
@require_GET
def inbox(request):
    user = request.user
    memberships = _memberships(user)
    filters = parse_filters(request.GET)
    tab = filters.values["tab"]
    after = None
    cursor_error = ""
    if request.GET.get("cursor"):
        after = decode_step_cursor(request.GET["cursor"])
        if after is None:
            cursor_error = "Liên kết trang không hợp lệ; đang hiển thị trang đầu."
    now = timezone.now()
    size = PAGE_SIZE
    rows = inbox_rows(user, memberships, tab, filters, after, now, size)
    has_next = len(rows) > size
    rows = rows[:size]
    cal = get_calendar()
    items = [{"step": s, "d": s.dossier, "due": countdown(s, s.dossier, now, cal)} for s in rows]
    _log(request, [s.dossier for s in rows], "hộp việc")
    params = request.GET
    next_qs = _with_param(params, cursor=encode_cursor(rows[-1].due_at, rows[-1].pk)) if has_next else ""
    filter_qs = _with_param(params, cursor=None)
    context = {
        "items": items,
        "tab": tab,
        "f": filters.values,
        "errors": filters.errors,
        "cursor_error": cursor_error,
        "next_qs": next_qs,
        "first_qs": filter_qs,
        "later_page": after is not None,
        "filter_qs": filter_qs,
        "tab_qs": {t: _with_param(params, cursor=None, tab=t) for t in ("mine", "unit")},
        "states": [(s, State(s).label) for s in OPEN_STATES],
        "channels": Channel.choices,
        "fields": Field.objects.order_by("name").only("code", "name"),
        "saved": SavedFilter.objects.filter(user=user).order_by("name"),
        "candidates": bulk_candidates(rows, memberships),
        "has_work_role": any(m.role in WORK_ROLES for m in memberships) or user.is_superuser,
    }
    if _is_htmx(request, "inbox-results"):
        return render(request, "backoffice/work/_inbox_results.html", {**context, "oob": True})
    return render(request, "backoffice/work/inbox.html", context)


# ------------------------------------------------------------------------------------------------
# Saved filters
# ------------------------------------------------------------------------------------------------
def _clean_querystring(text: str) -> str:
    """Keep only the inbox's own filter keys (never a cursor or anything else)."""
    q = QueryDict(str(text or "").lstrip("?"))
    return urlencode([(k, q.get(k)) for k in FILTER_KEYS if q.get(k)])


@login_required
@require_POST
def save_filter(request):
    querystring = _clean_querystring(request.POST.get("querystring", ""))
    try:
        saved = notes.save_filter(request.user, request.POST.get("name", ""), querystring)
    except services.DossierError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('work:inbox')}?{querystring}")
    messages.success(request, f"Đã lưu bộ lọc “{saved.name}”.")
    return redirect(f"{reverse('work:inbox')}?{saved.querystring}")


@login_required
@require_POST
def delete_filter(request, pk: int):
    if not notes.delete_filter(request.user, pk):  # only one's own filters
        raise Http404("Không tìm thấy bộ lọc.")
    messages.success(request, "Đã xóa bộ lọc.")
    return redirect("work:inbox")


# ------------------------------------------------------------------------------------------------
# Bulk actions
# ------------------------------------------------------------------------------------------------
def _picked(values) -> list[tuple[str, int | None]]:
    """Ticked rows: 'code@lock_version' (the version the officer saw), de-duplicated, in order."""
    seen: dict[str, int | None] = {}
    for raw in values[:MAX_BULK]:
        code, _, version = str(raw).rpartition("@")
        if not code:
            code, version = str(raw), ""
        seen.setdefault(code.strip(), _int(version))
    return [(c, v) for c, v in seen.items() if c]


def _visible_by_code(user, codes: list[str]) -> dict[str, Dossier]:
    qs = Dossier.objects.visible_to(user).filter(code__in=codes)
    qs = qs.select_related("version__procedure").prefetch_related("steps")
    return {d.code: d for d in qs}


@login_required
@require_GET
def bulk_options(request):
    """The ``<option>``s of the bulk select for the ticked rows (HTMX; also a plain fragment)."""
    picked = _picked(request.GET.getlist("d"))
    found = _visible_by_code(request.user, [c for c, _ in picked])
    dossiers = [found[c] for c, _ in picked if c in found]
    allowed = [t for t in actions.allowed_for_all(dossiers, request.user) if t.action in BULK_ACTIONS]
    context = {"allowed": allowed, "picked": bool(picked), "chosen": request.GET.get("action", "")}
    return render(request, "backoffice/work/_bulk_options.html", context)


def _bulk_data(action: str, post) -> dict:
    data: dict = {}
    if action == "issue_result":
        data["outcome"] = post.get("outcome") or Outcome.APPROVED
    if action in ("assign", "transfer", "forward") and post.get("assignee", "").strip():
        data["assignee"] = post["assignee"].strip()
    return data


def _back_to_inbox(post) -> str:
    """The inbox with the filter the officer came from (only the inbox's own keys: no open redirect)."""
    qs = _clean_querystring(post.get("next", ""))
    return f"{reverse('work:inbox')}?{qs}" if qs else reverse("work:inbox")


@login_required
@require_POST
def bulk(request):
    picked = _picked(request.POST.getlist("d"))
    action = request.POST.get("action", "").strip()
    if not picked:
        messages.error(request, "Vui lòng chọn ít nhất một hồ sơ.")
        return redirect(_back_to_inbox(request.POST))
    found = _visible_by_code(request.user, [c for c, _ in picked])
    if not action:
        # Without JS the select could not narrow yet: confirm with what is allowed for all of them.
        dossiers = [found[c] for c, _ in picked if c in found]
        allowed = [t for t in actions.allowed_for_all(dossiers, request.user) if t.action in BULK_ACTIONS]
        _log(request, dossiers, "thao tác hàng loạt")
        context = {
            "picked": [(found.get(c), c, v) for c, v in picked],
            "allowed": allowed,
            "outcomes": Outcome.choices,
            "next": _clean_querystring(request.POST.get("next", "")),
            "back": _back_to_inbox(request.POST),
        }
        return render(request, "backoffice/work/bulk.html", context)
    if action not in BULK_ACTIONS:
        messages.error(request, "Thao tác này không thực hiện hàng loạt được; hãy mở từng hồ sơ.")
        return redirect(_back_to_inbox(request.POST))
    transition = TRANSITIONS[action]
    reason = request.POST.get("reason", "").strip()
    data = _bulk_data(action, request.POST)
    done, failed = [], []
    for code, version in picked:
        d = found.get(code)
        if d is None:
            failed.append({"code": code, "d": None, "message": f"Không tìm thấy hồ sơ có mã {code}."})
            continue
        try:  # one transaction per dossier (``act``): one failure does not undo the others
            after = services.act(d, action, user=request.user, expected_version=version, reason=reason, data=data)
        except services.DossierError as exc:
            failed.append({"code": code, "d": d, "message": exc.message})
        except OutOfCalendarRange as exc:
            failed.append({"code": code, "d": d, "message": str(exc)})
        else:
            done.append({"code": code, "d": d, "state": after.state_label})
    _log(request, [x["d"] for x in done + failed if x["d"] is not None], "thao tác hàng loạt")
    context = {"transition": transition, "done": done, "failed": failed, "back": _back_to_inbox(request.POST)}
    return render(request, "backoffice/work/bulk_result.html", context)


# ------------------------------------------------------------------------------------------------
# Dossier page
# ------------------------------------------------------------------------------------------------
def load_dossier(user, code: str) -> Dossier:
    """The dossier with what its page shows, if ``user`` may read it (else 404)."""
    qs = (
        Dossier.objects.visible_to(user)
        .select_related("version__procedure", "version__field", "desk", "receiving_agency", "agency", "bundle")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.select_related("agency", "assignee").order_by("order", "id")),
            Prefetch("components", queryset=DossierComponent.objects.order_by("id")),
            Prefetch("events", queryset=Event.objects.select_related("agency", "actor", "step").order_by("id")),
            Prefetch("notes", queryset=DossierNote.objects.select_related("author", "agency").order_by("id")),
            Prefetch("reuses", queryset=Reuse.objects.select_related("document").order_by("component_code", "id")),
            Prefetch(
                "documents",
                queryset=Document.objects.select_related("current__blob", "current__pdf").order_by(
                    "kind", "component_code", "id"
                ),
            ),
        )
    )
    d = qs.filter(code=code).first()
    if d is None:
        raise Http404("Không tìm thấy hồ sơ.")
    return d


def _role_label(value: str) -> str:
    try:
        return Actor(value).label
    except ValueError:
        return value


def _action_forms(d: Dossier, allowed, failed: str, errors: dict, values: dict) -> tuple[list[dict], dict]:
    """Each offered action's form (its errors and posted values when it just failed) and the
    choices the forms need (read only for the actions offered)."""
    names = {t.action for t in allowed}
    agencies = list(Agency.objects.active_on().order_by("name").only("code", "name")) if "consult" in names else []
    staff = []
    if "assign" in names and d.current_step_id:
        step = next((s for s in d.steps.all() if s.pk == d.current_step_id), None)
        if step is not None:
            staff = list(
                get_user_model()
                .objects.filter(memberships__agency_id=step.agency_id, memberships__active=True, is_active=True)
                .distinct()
                .order_by("last_name", "first_name", "username")
            )
    components = list(d.components.all())
    consultations = actions.consultation_steps(d)
    forms = []
    for t in allowed:
        mine = t.action == failed
        forms.append(
            {
                "t": t,
                "reason_label": REASON_LABELS.get(t.action, "Ghi chú (không bắt buộc)"),
                "reason_required": t.action in REASON_REQUIRED,
                "values": values if mine else {},
                "errors": errors if mine else {},
                "missing_checked": values.get("_missing", []) if mine else [],
                "open": mine,
            }
        )
    return forms, {"agencies": agencies, "staff": staff, "components": components, "consultations": consultations}


def render_dossier(
    request,
    d: Dossier,
    *,
    status: int = 200,
    failed: str = "",
    errors: dict | None = None,
    values: dict | None = None,
    note_error: str = "",
    note: str = "",
):
    """The dossier page; after a refused action, ``failed`` names it and ``errors`` (field → message,
    ``general`` for the form as a whole) are shown next to its form (or on top when it is no longer offered)."""
    if (ask := privacy_purpose.gate(request, "ho-so", dossier=d)) is not None:
        return ask  # an oversight read: a purpose first
    now = timezone.now()
    user = request.user
    errors = errors or {}
    allowed = actions.allowed_actions(d, user)
    forms, choices = _action_forms(d, allowed, failed, errors, values or {})
    orphan = ""
    if failed and failed not in {t.action for t in allowed}:
        label = TRANSITIONS[failed].label if failed in TRANSITIONS else failed
        orphan = f"{label}: " + " ".join(errors.values())
    usage = services.step_usage(d, now)
    cal = get_calendar()
    current = next((s for s in d.steps.all() if s.pk == d.current_step_id), None)
    events = [
        {"e": e, "label": event_label(e.action), "role": _role_label(e.actor_role), "who": slips.actor_of(e)}
        for e in d.events.all()
    ]
    timeline = [
        {
            **row,
            "used_text": slips.fmt_units(row["used_units"]),
            "budget_text": slips.fmt_budget(row["budget_units"]),
            "overrun_text": slips.fmt_units(row["overrun_units"]) if row["overrun_units"] else "",
            "late": row["overrun_units"] > 0,
            "assignee": slips.vn_name(row["step"].assignee) if row["step"].assignee_id else "",
        }
        for row in usage
    ]
    applicable = slips.applicable_slips(d)
    _log(request, [d], privacy_purpose.with_purpose(request, "xem hồ sơ"))
    context = {
        "d": d,
        "now": now,
        "due": countdown(current, d, now, cal) if d.state not in FINAL_STATES else None,
        "late": d.is_late(now),
        "forms": forms,
        "choices": choices,
        "failed_elsewhere": orphan,
        "timeline": timeline,
        "events": events,
        "notes": list(d.notes.all()),
        "note_error": note_error,
        "note_text": note,
        "slips": [(n, slips.SLIP_TITLES[n]) for n in applicable],
        "outcomes": Outcome.choices,
        "return_channels": ReturnChannel.choices,
        "fee_unpaid": d.fee_status == FeeStatus.UNPAID,
        "national_sync": national_sync_state(d),
    }
    return render(request, "backoffice/work/dossier.html", context, status=status)


@login_required
@require_GET
def dossier_page(request, code: str):
    return render_dossier(request, load_dossier(request.user, code))


@login_required
@require_POST
def verify_identity(request, code: str):
    """ "Check again": ask the national database now (not the cache) and record the outcome."""
    d = load_dossier(request.user, code)
    check = verify_applicant(d.pk, fresh=True)
    level = messages.SUCCESS if check and check.status == "verified" else messages.WARNING
    messages.add_message(request, level, check.message if check else "Không đối chiếu được.")
    return redirect("work:dossier", code=d.code)


def action_input(action: str, post) -> tuple[dict, str, dict]:
    """The form's fields → (``data`` for ``act``, reason, field errors of the form itself)."""
    data: dict = {}
    errors: dict = {}
    reason = post.get("reason", "").strip()

    def text(key: str) -> str:
        return str(post.get(key, "")).strip()

    if action == "request_supplement":
        data["missing"] = post.getlist("missing")
        items = [line.strip() for line in post.get("items", "").splitlines() if line.strip()]
        if items:
            data["items"] = items
    elif action == "supplement":
        data["components"] = post.getlist("components")
    elif action == "consult":
        data["agencies"] = post.getlist("agencies")
        if text("budget_days"):
            data["budget_days"] = text("budget_days").replace(",", ".")
    elif action == "answer_consultation":
        data["opinion"] = text("opinion")
        if text("step"):
            data["step"] = text("step")
    elif action in ("assign", "transfer", "forward"):
        if text("assignee"):
            data["assignee"] = text("assignee")
        elif action == "assign":
            errors["assignee"] = "Vui lòng chọn cán bộ được phân công."
    elif action == "request_fee":
        amount = text("amount").replace(".", "").replace(",", "").replace(" ", "")
        if as_int(amount) is None:
            errors["amount"] = "Số tiền phải là số nguyên (đồng), ví dụ 50000."
        else:
            data["amount"] = as_int(amount)
    elif action == "pay_fee":
        data["receipt"] = text("receipt")
    elif action == "apologize":
        try:
            _parse_day(text("new_due"))
        except ValueError as exc:
            errors["new_due"] = str(exc) if text("new_due") else "Vui lòng nhập ngày hẹn trả kết quả mới."
        data["new_due"] = text("new_due")
        if post.get("override"):
            data["override"] = True
            data["override_reason"] = text("override_reason")
    elif action == "issue_result":
        data["outcome"] = text("outcome") or Outcome.APPROVED
        data["result_number"] = text("result_number")
    elif action == "return_result":
        data["channel"] = text("channel")
        data["received_by"] = text("received_by")
        data["tracking_number"] = text("tracking_number")
        if post.get("fee_collected"):
            data["fee_collected"] = True
    if action in REASON_REQUIRED and not reason:
        errors["reason"] = f"Vui lòng nhập {REASON_LABELS[action].lower()}."
    return data, reason, errors


@login_required
@require_POST
def act(request, code: str, action: str):
    d = load_dossier(request.user, code)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Http404("Không có thao tác này.")
    data, reason, errors = action_input(action, request.POST)
    status = 400
    if not errors:
        try:
            services.act(
                d,
                action,
                user=request.user,
                expected_version=_int(request.POST.get("expected_version")),
                reason=reason,
                data=data,
            )
        except services.DossierError as exc:
            errors = {ERROR_FIELDS.get(exc.code, "general"): exc.message}
            status = exc.status
        except OutOfCalendarRange as exc:
            errors = {"general": str(exc)}
        else:
            messages.success(request, f"Đã thực hiện “{transition.label}” đối với hồ sơ {d.code}.")
            if Dossier.objects.visible_to(request.user).filter(pk=d.pk).exists():
                return redirect("work:dossier", code=d.code)
            return redirect("work:inbox")
    values = {k: request.POST.get(k, "") for k in request.POST}
    values["_action"] = action
    values["_missing"] = request.POST.getlist("missing")
    d = load_dossier(request.user, code)  # as it is now (a stale page shows the current data)
    return render_dossier(request, d, status=status, failed=action, errors=errors, values=values)


@login_required
@require_POST
def note(request, code: str):
    text = request.POST.get("text", "")
    try:
        notes.add_note(code, request.user, text)
    except services.NotFound:
        raise Http404("Không tìm thấy hồ sơ.") from None
    except services.DossierError as exc:
        return render_dossier(request, load_dossier(request.user, code), status=400, note_error=exc.message, note=text)
    messages.success(request, "Đã thêm ghi chú.")
    return redirect(reverse("work:dossier", kwargs={"code": code}) + "#ghi-chu")


@login_required
@require_GET
def slip(request, code: str, number: str):
    d = Dossier.objects.visible_to(request.user).filter(code=code).first()
    if d is None or number not in slips.applicable_slips(d):
        raise Http404("Phiếu này không áp dụng cho hồ sơ.")
    if (ask := privacy_purpose.gate(request, "ho-so", dossier=d)) is not None:
        return ask
    try:
        pdf = slips.render_slip(d, number)
    except (ValueError, OutOfCalendarRange):  # does not apply (any more) / outside the calendar
        raise Http404("Phiếu này không áp dụng cho hồ sơ.") from None
    _log(request, [d], privacy_purpose.with_purpose(request, f"in mẫu {number}"), action="print")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{d.code}-mau-{number}.pdf"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a shared cache
    return response


# ------------------------------------------------------------------------------------------------
# Return desk
# ------------------------------------------------------------------------------------------------
RETURN_FIELDS = (
    "id",
    "code",
    "state",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "owner_name",
    "owner_id_number",
    "finished_at",
    "due_at",
    "return_channel",
    "return_address",
    "fee_status",
    "fee_amount",
    "outcome",
    "lock_version",
    "version",
    "version__name",
    "version__procedure",
    "version__procedure__code",
)
ID_NUMBER_RE = re.compile(r"^\d{9,13}$")


def _return_queryset(memberships):
    desks = sorted({m.desk_id for m in memberships if m.role in DESK and m.desk_id})
    return Dossier.objects.filter(desk_id__in=desks, state__in=RETURN_STATES), bool(desks)


def return_rows(memberships, q: str, after: int | None, size: int) -> list[Dossier]:
    """A page (``size`` + 1) of results waiting at my desks, oldest first (keyset on id).

    ``q``: an ID number (exact, applicant or owner), a dossier code (part of it), or a name
    (diacritics- and case-insensitive: the desk's waiting names are folded in Python — one short
    query over the desk's pending returns, never a scan of the dossier table)."""
    qs, any_desk = _return_queryset(memberships)
    if not any_desk:
        return []
    q = q.strip()
    if q:
        if ID_NUMBER_RE.match(q):
            qs = qs.filter(Q(applicant_id_number=q) | Q(owner_id_number=q) | Q(code__icontains=q))
        elif "-" in q or "." in q or q.isdigit():
            qs = qs.filter(code__icontains=q)
        else:
            words = fold(q).split()
            names = qs.values_list("id", "applicant_name", "owner_name")
            ids = [pk for pk, a, o in names if all(w in fold(f"{a} {o}") for w in words)]
            qs = qs.filter(id__in=ids[:5000])
    if after is not None:
        qs = qs.filter(id__gt=after)
    return list(qs.select_related("version__procedure").only(*RETURN_FIELDS).order_by("id")[: size + 1])


def render_returns(request, *, status: int = 200, errors=None, values=None):
    memberships = _memberships(request.user)
    q = request.GET.get("q", "")[:100]
    after = None
    cursor_error = ""
    if request.GET.get("cursor"):
        after = decode_id_cursor(request.GET["cursor"])
        if after is None:
            cursor_error = "Liên kết trang không hợp lệ; đang hiển thị trang đầu."
    size = PAGE_SIZE
    rows = return_rows(memberships, q, after, size)
    has_next = len(rows) > size
    rows = rows[:size]
    _log(request, rows, "trả kết quả")
    params = request.GET
    errors, values = errors or {}, values or {}
    items = [
        {
            "d": d,
            "errors": errors.get(d.code, {}),
            "values": values if values.get("code") == d.code else {},
            "online": d.return_channel == ReturnChannel.ONLINE,
            "fee_unpaid": d.fee_status == FeeStatus.UNPAID and d.outcome == Outcome.APPROVED,
        }
        for d in rows
    ]
    context = {
        "items": items,
        "q": q,
        "orphan_errors": [m for code, e in errors.items() if code not in {d.code for d in rows} for m in e.values()],
        "cursor_error": cursor_error,
        "next_qs": _with_param(params, cursor=encode_cursor(rows[-1].pk)) if has_next else "",
        "first_qs": _with_param(params, cursor=None),
        "later_page": after is not None,
        "here_qs": params.urlencode(),
        "is_desk": any(m.role in DESK and m.desk_id for m in memberships),
        "desks": sorted({m.desk.name for m in memberships if m.role in DESK and m.desk_id}),
    }
    return render(request, "backoffice/work/returns.html", context, status=status)


@login_required
@require_GET
def returns(request):
    return render_returns(request)


RETURN_KINDS = ("counter", "post", "online")


@login_required
@require_POST
def return_result(request, code: str):
    """Hand the result over: at the counter (who collected it), by post (tracking number) or close
    a dossier whose e-result went to the applicant online."""
    memberships = _memberships(request.user)
    qs, _ = _return_queryset(memberships)
    d = qs.filter(code=code).select_related("version__procedure").first()
    if d is None:
        other = Dossier.objects.visible_to(request.user).filter(code=code).only("code", "state").first()
        if other is None or other.state in RETURN_STATES:  # unknown, or waiting at another desk
            raise Http404("Không tìm thấy hồ sơ chờ trả kết quả tại bộ phận của bạn.")
        messages.error(request, f"Hồ sơ {code} không còn chờ trả kết quả tại bộ phận của bạn ({other.state_label}).")
        return redirect(reverse("work:returns"))
    kind = request.POST.get("kind", "")
    received_by = request.POST.get("received_by", "").strip()
    tracking = request.POST.get("tracking_number", "").strip()
    errors: dict = {}
    if kind not in RETURN_KINDS:
        errors["general"] = "Hình thức trả kết quả không hợp lệ."
    elif kind == "counter" and not received_by:
        errors["received_by"] = "Vui lòng nhập họ tên người nhận kết quả."
    elif kind == "post" and not tracking:
        errors["tracking_number"] = "Vui lòng nhập số hiệu bưu gửi."
    status = 400
    if not errors:
        data = {"channel": kind}
        if kind == "counter":
            data["received_by"] = received_by
        elif kind == "post":
            data["tracking_number"] = tracking
            data["received_by"] = received_by
        if request.POST.get("fee_collected"):
            data["fee_collected"] = True
        try:
            services.act(
                d,
                "return_result",
                user=request.user,
                expected_version=_int(request.POST.get("expected_version")),
                data=data,
            )
        except services.DossierError as exc:
            errors = {ERROR_FIELDS.get(exc.code, "general"): exc.message}
            status = exc.status
        except OutOfCalendarRange as exc:
            errors = {"general": str(exc)}
        else:
            done = {
                "counter": f"Đã trả kết quả hồ sơ {d.code} cho {received_by}.",
                "post": f"Đã gửi kết quả hồ sơ {d.code} qua bưu chính (số hiệu {tracking}).",
                "online": f"Đã kết thúc hồ sơ {d.code}: kết quả điện tử đã trả trực tuyến.",
            }[kind]
            messages.success(request, done)
            back = request.GET.urlencode()  # the list as the officer saw it (search, page)
            return redirect(f"{reverse('work:returns')}?{back}" if back else reverse("work:returns"))
    values = {"code": code, "kind": kind, "received_by": received_by, "tracking_number": tracking}
    return render_returns(request, status=status, errors={code: errors}, values=values)
