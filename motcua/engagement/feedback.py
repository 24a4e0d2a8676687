"""Feedback and complaints (phản ánh, kiến nghị) about the handling of administrative procedures.

A citizen (logged in, or anonymous with a phone number or e-mail to answer to) sends a report or
a proposal about an agency, optionally about one dossier. The agency answers within
``states.FEEDBACK_HANDLING_DAYS`` working days of the province's calendar: received → assigned
(to one of its officers) → answered → published (the answer is shown on the public list, without
the sender's personal data). Every change is one transaction that checks
``states.FEEDBACK_TRANSITIONS`` and writes its ``FeedbackEvent`` (append-only). Who may handle a
feedback is ``Feedback.objects.handled_by(user)`` (staff of the subject agency); ``visible_to``
adds read-only oversight (inspectors, provincial office). Refusals raise ``FeedbackError`` with
Vietnamese messages (per form field in ``errors``).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from motcua.org.models import Agency, StaffMembership
from motcua.workcalendar.engine import VN_TZ, OutOfCalendarRange
from motcua.workcalendar.services import get_calendar

from .models import Feedback, FeedbackEvent
from .states import FEEDBACK_HANDLING_DAYS, FEEDBACK_TRANSITIONS, FeedbackKind, FeedbackStatus

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_PREFIX = {FeedbackKind.REPORT: "PA", FeedbackKind.PROPOSAL: "KN"}
PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")
SUBJECT_MAX, CONTENT_MIN, CONTENT_MAX, ANSWER_MAX = 255, 10, 5000, 10000


class FeedbackError(Exception):
    """A refused submission or action; ``message`` (and ``errors`` per field) are Vietnamese."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def due_date(received_at: dt.datetime, kind: str) -> dt.datetime:
    """Received + N working days (``FEEDBACK_HANDLING_DAYS``) in the province's calendar."""
    return get_calendar().add_working_days(received_at, FEEDBACK_HANDLING_DAYS[kind])


def _new_code(kind: str, now: dt.datetime) -> str:
    # Random, not sequential: the code alone opens the tracking page.
    while True:
        tail = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        code = f"{CODE_PREFIX[kind]}{now.astimezone(VN_TZ):%y%m%d}-{tail}"
        if not Feedback.objects.filter(code=code).exists():
            return code


# What a typed code may look like once normalized (the track URL takes it as one path segment).
CODE_SHAPE = re.compile(r"[A-Z0-9-]{1,20}")


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()[:20]


def _event(feedback: Feedback, action: str, at, actor, from_status: str, note: str = "", payload=None):
    FeedbackEvent.objects.create(
        feedback=feedback,
        action=action,
        at=at,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=feedback.status,
        note=note,
        payload=payload or {},
    )


# ------------------------------------------------------------------------------------------------
# Submission
# ------------------------------------------------------------------------------------------------
def submit(
    *,
    kind: str,
    agency: Agency | int | str | None,
    subject: str,
    content: str,
    person=None,
    sender_name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    dossier_code: str = "",
    now: dt.datetime | None = None,
) -> Feedback:
    """Receive a feedback. ``person``: the logged-in citizen (None: anonymous, then a phone number
    or an e-mail is required). ``agency``: the agency (or its id) the feedback is about; with a
    ``dossier_code`` and no agency, the dossier's handling agency."""
    from motcua.dossiers.models import Dossier

    now = now or timezone.now()
    errors: dict[str, str] = {}
    subject, content = (subject or "").strip(), (content or "").strip()
    sender_name, address = (sender_name or "").strip()[:255], (address or "").strip()[:500]
    phone = re.sub(r"[\s.\-()]", "", phone or "")
    email = (email or "").strip()
    if kind not in FeedbackKind.values:
        errors["kind"] = "Vui lòng chọn loại: phản ánh hoặc kiến nghị."
    if not subject:
        errors["subject"] = "Vui lòng nhập tiêu đề."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Tiêu đề không được dài quá {SUBJECT_MAX} ký tự."
    if len(content) < CONTENT_MIN:
        errors["content"] = f"Vui lòng nêu nội dung phản ánh, kiến nghị (ít nhất {CONTENT_MIN} ký tự)."
    elif len(content) > CONTENT_MAX:
        errors["content"] = f"Nội dung không được dài quá {CONTENT_MAX} ký tự."
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "Số điện thoại không hợp lệ (ví dụ 0912345678)."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Địa chỉ thư điện tử không hợp lệ."
    if person is None:
        if not sender_name:
            errors["sender_name"] = "Vui lòng nhập họ và tên người gửi."
        if not phone and not email and "phone" not in errors and "email" not in errors:
            errors["contact"] = "Bạn chưa đăng nhập: vui lòng để lại số điện thoại hoặc thư điện tử để cơ quan trả lời."
    dossier = None
    dossier_code = (dossier_code or "").strip()
    if dossier_code:
        dossier = Dossier.objects.filter(code=dossier_code).select_related("agency").first()
        if dossier is None:
            errors["dossier_code"] = f"Không tìm thấy hồ sơ có mã “{dossier_code[:40]}”."
    agency_obj = _agency(agency)
    if agency_obj is None:
        if dossier is not None and agency in (None, ""):
            agency_obj = dossier.agency
        elif agency in (None, ""):
            errors["agency"] = "Vui lòng chọn cơ quan bị phản ánh, kiến nghị."
        else:
            errors["agency"] = "Cơ quan được chọn không tồn tại."
    if errors:
        raise FeedbackError("Vui lòng kiểm tra lại các thông tin được đánh dấu.", errors)
    try:
        due = due_date(now, kind)
    except OutOfCalendarRange:
        raise FeedbackError("Không tính được hạn trả lời theo lịch làm việc.") from None
    with transaction.atomic():
        feedback = Feedback.objects.create(
            code=_new_code(kind, now),
            kind=kind,
            id_number=person.id_number if person is not None else "",
            sender_name=(person.full_name if person is not None else sender_name)[:255],
            phone=phone or (person.phone if person is not None else ""),
            email=email,
            address=address,
            agency=agency_obj,
            dossier=dossier,
            subject=subject,
            content=content,
            status=FeedbackStatus.RECEIVED,
            received_at=now,
            due_at=due,
        )
        _event(feedback, "submit", now, None, "", payload={"anonymous": person is None})
    return feedback


def _agency(value) -> Agency | None:
    if isinstance(value, Agency):
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return Agency.objects.filter(pk=pk).first()


# ------------------------------------------------------------------------------------------------
# Handling (staff)
# ------------------------------------------------------------------------------------------------
def _locked(feedback: Feedback, actor) -> Feedback:
    """Re-read under a row lock, only if ``actor`` may handle it (else: not found)."""
    try:
        return Feedback.objects.handled_by(actor).select_for_update(of=("self",)).get(pk=feedback.pk)
    except Feedback.DoesNotExist:
        raise FeedbackError("Không tìm thấy phản ánh, kiến nghị.") from None


def _check(feedback: Feedback, action: str) -> None:
    transition = FEEDBACK_TRANSITIONS[action]
    if feedback.status not in transition.sources:
        label = FeedbackStatus(feedback.status).label
        raise FeedbackError(f"Không thể {transition.label} {feedback.code}: đang ở trạng thái “{label}”.")


def handlers(agency: Agency):
    """Officers who may be assigned a feedback about ``agency``: its active staff."""
    ids = StaffMembership.objects.filter(agency=agency, active=True).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("last_name", "first_name", "username")


def assign(feedback: Feedback, actor, assignee, *, note: str = "", now: dt.datetime | None = None) -> Feedback:
    now = now or timezone.now()
    with transaction.atomic():
        feedback = _locked(feedback, actor)
        _check(feedback, "assign")
        if assignee is None or not handlers(feedback.agency).filter(pk=assignee.pk).exists():
            raise FeedbackError(
                "Vui lòng chọn cán bộ xử lý thuộc cơ quan bị phản ánh, kiến nghị.",
                {"assignee": "Cán bộ được chọn không thuộc cơ quan này."},
            )
        before = feedback.status
        feedback.status = FeedbackStatus.ASSIGNED
        feedback.assignee = assignee
        feedback.assigned_at = now
        feedback.save(update_fields=["status", "assignee", "assigned_at"])
        _event(feedback, "assign", now, actor, before, (note or "").strip()[:2000], {"assignee": assignee.username})
    return feedback


def answer(feedback: Feedback, actor, text: str, *, now: dt.datetime | None = None) -> Feedback:
    now = now or timezone.now()
    text = (text or "").strip()
    if len(text) < CONTENT_MIN:
        raise FeedbackError(
            "Vui lòng nhập nội dung trả lời.", {"answer": f"Nội dung trả lời cần ít nhất {CONTENT_MIN} ký tự."}
        )
    if len(text) > ANSWER_MAX:
        raise FeedbackError(
            "Nội dung trả lời quá dài.", {"answer": f"Nội dung trả lời không được dài quá {ANSWER_MAX} ký tự."}
        )
    with transaction.atomic():
        feedback = _locked(feedback, actor)
        _check(feedback, "answer")
        before = feedback.status
        feedback.status = FeedbackStatus.ANSWERED
        feedback.answer = text
        feedback.answered_at = now
        feedback.answered_by = actor
        if feedback.assignee_id is None:
            feedback.assignee = actor
            feedback.assigned_at = now
        feedback.save(update_fields=["status", "answer", "answered_at", "answered_by", "assignee", "assigned_at"])
        _event(feedback, "answer", now, actor, before, payload={"late": now > feedback.due_at})
    return feedback


def publish(feedback: Feedback, actor, *, now: dt.datetime | None = None) -> Feedback:
    now = now or timezone.now()
    with transaction.atomic():
        feedback = _locked(feedback, actor)
        _check(feedback, "publish")
        before = feedback.status
        feedback.status = FeedbackStatus.PUBLISHED
        feedback.published = True
        feedback.published_at = now
        feedback.save(update_fields=["status", "published", "published_at"])
        _event(feedback, "publish", now, actor, before)
    return feedback
