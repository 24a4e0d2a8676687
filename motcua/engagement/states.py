"""Queue ticket states and the one table of allowed transitions (checked in ``services`` only).

A ticket (số thứ tự) is issued *waiting*, called to a counter, optionally started (the officer
begins the intake), then ends *done*, *no_show* (the applicant did not come when called) or
*transferred* (sent on to another group or counter: a new waiting ticket carries the same number
and keeps its place by issue time, ``Ticket.transferred_from`` points back).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    WAITING = "waiting", "Đang chờ"
    CALLED = "called", "Đã gọi"
    SERVING = "serving", "Đang tiếp nhận"
    DONE = "done", "Đã xong"
    NO_SHOW = "no_show", "Vắng mặt"
    TRANSFERRED = "transferred", "Đã chuyển"


class Priority(models.TextChoices):
    """Who goes before the ordinary queue (ưu tiên)."""

    NONE = "none", "Không ưu tiên"
    ELDERLY = "elderly", "Người cao tuổi"
    PREGNANT = "pregnant", "Phụ nữ mang thai"
    DISABLED = "disabled", "Người khuyết tật"
    APPOINTMENT = "appointment", "Có lịch hẹn"


# Call order: lower rank first, then by issue time. Every priority kind goes before the ordinary
# queue; among them, first come first served.
PRIORITY_RANK = {
    Priority.APPOINTMENT: 0,
    Priority.ELDERLY: 0,
    Priority.PREGNANT: 0,
    Priority.DISABLED: 0,
    Priority.NONE: 1,
}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    label: str  # Vietnamese name of the action, used in refusal messages


_S = Status
TRANSITIONS: dict[str, Transition] = {
    "call": Transition(frozenset({_S.WAITING}), _S.CALLED, "gọi số"),
    "recall": Transition(frozenset({_S.CALLED}), _S.CALLED, "gọi lại"),
    "start": Transition(frozenset({_S.CALLED}), _S.SERVING, "bắt đầu tiếp nhận"),
    "no_show": Transition(frozenset({_S.CALLED}), _S.NO_SHOW, "đánh dấu vắng mặt"),
    "transfer": Transition(frozenset({_S.CALLED, _S.SERVING}), _S.TRANSFERRED, "chuyển quầy/nhóm"),
    "finish": Transition(frozenset({_S.CALLED, _S.SERVING}), _S.DONE, "kết thúc"),
}

# Tickets a counter is busy with.
ACTIVE_STATUSES = frozenset({_S.CALLED, _S.SERVING})


# ------------------------------------------------------------------------------------------------
# Appointments (đặt lịch hẹn)
# ------------------------------------------------------------------------------------------------
class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Đã đặt"
    CANCELLED = "cancelled", "Đã hủy"
    CHECKED_IN = "checked_in", "Đã đến, đã cấp số"
    NO_SHOW = "no_show", "Không đến"


_A = AppointmentStatus
# action → (sources, target, Vietnamese label for refusals)
APPOINTMENT_TRANSITIONS: dict[str, Transition] = {
    "cancel": Transition(frozenset({_A.BOOKED}), _A.CANCELLED, "hủy lịch hẹn"),
    "reschedule": Transition(frozenset({_A.BOOKED}), _A.BOOKED, "đổi lịch hẹn"),
    "check_in": Transition(frozenset({_A.BOOKED}), _A.CHECKED_IN, "xác nhận đến"),
    "no_show": Transition(frozenset({_A.BOOKED}), _A.NO_SHOW, "đánh dấu không đến"),
}
# A person holds at most one of these per desk and day (partial unique index).
ACTIVE_APPOINTMENT_STATUSES = (_A.BOOKED, _A.CHECKED_IN)


# ------------------------------------------------------------------------------------------------
# Feedback and complaints (phản ánh, kiến nghị)
# ------------------------------------------------------------------------------------------------
class FeedbackKind(models.TextChoices):
    REPORT = "phan_anh", "Phản ánh"
    PROPOSAL = "kien_nghi", "Kiến nghị"


class FeedbackStatus(models.TextChoices):
    RECEIVED = "received", "Đã tiếp nhận"
    ASSIGNED = "assigned", "Đang xử lý"
    ANSWERED = "answered", "Đã trả lời"
    PUBLISHED = "published", "Đã công khai"


_F = FeedbackStatus
FEEDBACK_TRANSITIONS: dict[str, Transition] = {
    # Re-assigning to another officer is allowed while nobody has answered yet.
    "assign": Transition(frozenset({_F.RECEIVED, _F.ASSIGNED}), _F.ASSIGNED, "phân công xử lý"),
    "answer": Transition(frozenset({_F.RECEIVED, _F.ASSIGNED}), _F.ANSWERED, "trả lời"),
    "publish": Transition(frozenset({_F.ANSWERED}), _F.PUBLISHED, "công khai"),
}
OPEN_FEEDBACK_STATUSES = (_F.RECEIVED, _F.ASSIGNED)

# Working days an agency has to answer, by kind (data; the province may change them).
FEEDBACK_HANDLING_DAYS: dict[str, int] = {FeedbackKind.REPORT: 10, FeedbackKind.PROPOSAL: 10}


# ------------------------------------------------------------------------------------------------
# Citizen evaluation of a dossier (đánh giá mức độ hài lòng)
# ------------------------------------------------------------------------------------------------
# The one-stop regulations' criteria (Decree 118/2025, Circular 03/2025), in the order of the form.
RATING_CRITERIA: list[tuple[str, str]] = [
    ("total_time", "Tổng thời gian giải quyết hồ sơ so với thời hạn quy định"),
    ("agency_time", "Thời gian giải quyết tại từng cơ quan, đơn vị"),
    ("return_visits", "Số lần phải đi lại để hoàn thiện, nhận kết quả hồ sơ"),
    ("agencies_contacted", "Số cơ quan, đơn vị phải liên hệ"),
    ("desk_service", "Việc tiếp nhận, hướng dẫn tại Bộ phận Một cửa"),
    ("publication", "Việc công khai thủ tục hành chính"),
    ("attitude", "Thái độ, tinh thần phục vụ của cán bộ, công chức"),
    ("complaints", "Việc tiếp nhận, xử lý phản ánh, kiến nghị"),
    ("online_service", "Việc cung cấp dịch vụ công trực tuyến"),
]
RATING_CRITERIA_KEYS = [key for key, _ in RATING_CRITERIA]

# Five levels on the form (the issue: "rate the service … (5 levels)").
RATING_LEVELS: list[tuple[int, str]] = [
    (5, "Rất hài lòng"),
    (4, "Hài lòng"),
    (3, "Bình thường"),
    (2, "Không hài lòng"),
    (1, "Rất không hài lòng"),
]


class Satisfaction(models.TextChoices):
    """The three levels the regulations report (SPEC §4)."""

    VERY_SATISFIED = "very_satisfied", "Rất hài lòng"
    SATISFIED = "satisfied", "Hài lòng"
    NOT_SATISFIED = "not_satisfied", "Không hài lòng"


# Five form levels → the three reported ones (data). "Bình thường" is not counted as satisfied:
# the ≥ 95 % satisfaction target counts only people who said they were (very) satisfied.
SATISFACTION_OF_LEVEL: dict[int, str] = {
    5: Satisfaction.VERY_SATISFIED,
    4: Satisfaction.SATISFIED,
    3: Satisfaction.NOT_SATISFIED,
    2: Satisfaction.NOT_SATISFIED,
    1: Satisfaction.NOT_SATISFIED,
}
SATISFACTION_TARGET_PERCENT = 95
