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
