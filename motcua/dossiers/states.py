"""The dossier state machine as data: states, national status codes, and the one table of
allowed transitions (action → sources, target, who may do it).

Checked in exactly one place (``services._authorize``); ``tests/dossiers/test_transitions.py``
enumerates the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class State(models.TextChoices):
    SUBMITTED = "submitted", "Mới đăng ký, chờ tiếp nhận"
    PENDING_LINKED = "pending_linked", "Chờ kết quả thủ tục liên thông trước"
    RECEIVED = "received", "Đã tiếp nhận"
    REFUSED = "refused", "Từ chối tiếp nhận"
    IN_PROCESSING = "in_processing", "Đang xử lý"
    CONSULTING = "consulting", "Đang lấy ý kiến cơ quan liên quan"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Yêu cầu bổ sung, hoàn thiện hồ sơ"
    AWAITING_FEE = "awaiting_fee", "Chờ thực hiện nghĩa vụ tài chính"
    WITHDRAWN = "withdrawn", "Đã rút hồ sơ"
    STOPPED = "stopped", "Dừng xử lý"
    RESULT_ISSUED = "result_issued", "Đã có kết quả"
    AWAITING_RETURN = "awaiting_return", "Chờ trả kết quả"
    RETURNED = "returned", "Đã trả kết quả"


# National status codes (Circular 04/2025/TT-VPCP data exchange with the national portal).
NATIONAL_STATUS = {
    State.SUBMITTED: 1,
    State.PENDING_LINKED: 1,
    State.RECEIVED: 2,
    State.REFUSED: 3,
    State.IN_PROCESSING: 4,
    State.CONSULTING: 4,
    State.SUPPLEMENT_REQUESTED: 5,
    State.AWAITING_FEE: 6,
    State.WITHDRAWN: 7,
    State.STOPPED: 8,
    State.RESULT_ISSUED: 9,
    State.AWAITING_RETURN: 9,
    State.RETURNED: 10,
}

FINAL_STATES = frozenset({State.REFUSED, State.WITHDRAWN, State.STOPPED, State.RETURNED})
# The legal clock does not run in these states (waiting for the applicant, SPEC §4).
PAUSED_STATES = frozenset({State.SUPPLEMENT_REQUESTED, State.AWAITING_FEE})
# The dossier is with the handling agency (the clock runs, steps are active).
ACTIVE_STATES = frozenset({State.RECEIVED, State.IN_PROCESSING, State.CONSULTING})


class Actor(models.TextChoices):
    """Who acts: a staff role, the applicant, or the system itself (bundles, deadlines)."""

    DESK_OFFICER = "desk_officer", "Cán bộ một cửa"
    SPECIALIST = "specialist", "Chuyên viên xử lý"
    LEADER = "leader", "Lãnh đạo phê duyệt"
    CLERK = "clerk", "Văn thư"
    POSTAL_STAFF = "postal_staff", "Nhân viên bưu chính công ích"
    APPLICANT = "applicant", "Người nộp hồ sơ"
    SYSTEM = "system", "Hệ thống"


RESUME = "resume"  # target: back to the state the dossier was in before the pause
SAME = "same"  # target: the state does not change (the action is still an event)

DESK = {Actor.DESK_OFFICER, Actor.POSTAL_STAFF}
HANDLERS = {Actor.SPECIALIST, Actor.LEADER, Actor.CLERK}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str  # a State value, or RESUME
    actors: frozenset[str]


def _t(action, label, sources, target, actors) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(actors))


S = State
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        # Online submission checked by the desk (online: within 8 working hours).
        _t("accept", "Tiếp nhận hồ sơ", {S.SUBMITTED}, S.RECEIVED, DESK),
        _t("refuse", "Từ chối tiếp nhận", {S.SUBMITTED, S.SUPPLEMENT_REQUESTED}, S.REFUSED, DESK | {Actor.SYSTEM}),
        _t(
            "request_supplement",
            "Yêu cầu bổ sung, hoàn thiện hồ sơ",
            {S.SUBMITTED, S.RECEIVED, S.IN_PROCESSING},
            S.SUPPLEMENT_REQUESTED,
            DESK | HANDLERS,
        ),
        _t("supplement", "Bổ sung hồ sơ", {S.SUPPLEMENT_REQUESTED}, RESUME, DESK | {Actor.APPLICANT}),
        # Linked bundle: the next procedure starts when the previous result is issued.
        _t("start_linked", "Bắt đầu thủ tục liên thông", {S.PENDING_LINKED}, S.RECEIVED, {Actor.SYSTEM}),
        # Hand-over from the desk to the handling agency (liên thông), then step by step.
        _t("transfer", "Chuyển hồ sơ đến cơ quan giải quyết", {S.RECEIVED}, S.IN_PROCESSING, DESK | HANDLERS),
        _t("acknowledge", "Xác nhận đã nhận hồ sơ", {S.IN_PROCESSING, S.CONSULTING}, SAME, HANDLERS),
        _t("forward", "Chuyển bước xử lý tiếp theo", {S.IN_PROCESSING}, S.IN_PROCESSING, HANDLERS),
        _t("send_back", "Trả lại bước trước", {S.IN_PROCESSING}, S.IN_PROCESSING, HANDLERS),
        _t("assign", "Phân công xử lý", {S.IN_PROCESSING, S.CONSULTING}, SAME, {Actor.LEADER, Actor.CLERK}),
        _t("consult", "Lấy ý kiến cơ quan liên quan", {S.IN_PROCESSING}, S.CONSULTING, HANDLERS),
        _t("answer_consultation", "Trả lời xin ý kiến", {S.CONSULTING}, S.CONSULTING, HANDLERS),
        _t("request_fee", "Yêu cầu thực hiện nghĩa vụ tài chính", {S.IN_PROCESSING}, S.AWAITING_FEE, HANDLERS),
        _t(
            "pay_fee",
            "Đã thực hiện nghĩa vụ tài chính",
            {S.AWAITING_FEE},
            RESUME,
            DESK | {Actor.APPLICANT, Actor.SYSTEM},
        ),
        _t("apologize", "Xin lỗi và hẹn lại ngày trả kết quả", {S.IN_PROCESSING, S.CONSULTING}, SAME, HANDLERS),
        _t(
            "stop",
            "Dừng giải quyết hồ sơ",
            {S.RECEIVED, S.IN_PROCESSING, S.CONSULTING, S.SUPPLEMENT_REQUESTED, S.AWAITING_FEE},
            S.STOPPED,
            {Actor.LEADER},
        ),
        _t(
            "withdraw",
            "Rút hồ sơ theo đề nghị của người nộp",
            {S.SUBMITTED, S.PENDING_LINKED, S.RECEIVED, S.IN_PROCESSING, S.CONSULTING, S.SUPPLEMENT_REQUESTED}
            | {S.AWAITING_FEE},
            S.WITHDRAWN,
            DESK | {Actor.APPLICANT},
        ),
        # The system: the decision of a specialized system that processes the procedure (integration).
        _t(
            "issue_result",
            "Ban hành kết quả giải quyết",
            {S.IN_PROCESSING},
            S.RESULT_ISSUED,
            {Actor.LEADER, Actor.SYSTEM},
        ),
        _t("deliver", "Chuyển kết quả về bộ phận một cửa", {S.RESULT_ISSUED}, S.AWAITING_RETURN, HANDLERS),
        _t(
            "return_result",
            "Trả kết quả cho người nộp",
            {S.RESULT_ISSUED, S.AWAITING_RETURN},
            S.RETURNED,
            DESK,
        ),
    ]
}


def target_of(transition: Transition, current: str, resume_state: str) -> str:
    """The state ``transition`` leads to from ``current`` (RESUME → the state before the pause)."""
    if transition.target == SAME:
        return current
    if transition.target == RESUME:
        return resume_state
    return transition.target


# Events that are not (only) a transition of the table: their labels for people.
EVENT_LABELS = {
    "submit": "Nộp hồ sơ",
    "receive": "Tiếp nhận hồ sơ",
    "verify_identity": "Đối chiếu CSDL quốc gia",
    "revoke_document": "Thu hồi giấy tờ đã cấp",
    "record_fee_payment": "Đã nộp phí, lệ phí trực tuyến",
}


def event_label(action: str) -> str:
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    transition = TRANSITIONS.get(action)
    return transition.label if transition else action
