"""Citizen evaluation of a returned dossier (đánh giá mức độ hài lòng) and the satisfaction rate.

The applicant of a dossier rates it once, after its result was returned, on the one-stop
regulations' criteria (``states.RATING_CRITERIA``) and overall, each on five levels
(``states.RATING_LEVELS``). Reports use three levels — very satisfied / satisfied / not
satisfied — through the mapping ``states.SATISFACTION_OF_LEVEL`` (data).
``satisfaction_rate`` aggregates in SQL for the reports and the service-quality index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Rating
from .states import (
    RATING_CRITERIA_KEYS,
    RATING_LEVELS,
    SATISFACTION_OF_LEVEL,
    SATISFACTION_TARGET_PERCENT,
    Satisfaction,
)

LEVEL_VALUES = {value for value, _ in RATING_LEVELS}
COMMENT_MAX = 2000


class RatingError(Exception):
    """A refused evaluation; ``message`` is Vietnamese, shown as is. ``code``: ``not_yours``,
    ``not_returned``, ``already_rated`` or ``invalid``."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


def refusal(dossier, person) -> RatingError | None:
    """Why ``person`` may not rate ``dossier`` now, or None when they may."""
    if person is None or dossier.applicant_id_number != person.id_number:
        return RatingError("Chỉ người nộp hồ sơ mới được đánh giá hồ sơ này.", "not_yours")
    if Rating.objects.filter(dossier=dossier).exists():
        return RatingError(
            f"Hồ sơ {dossier.code} đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần.", "already_rated"
        )
    if dossier.returned_at is None:
        return RatingError(
            f"Hồ sơ {dossier.code} chưa được trả kết quả. Bạn có thể đánh giá sau khi nhận kết quả.", "not_returned"
        )
    return None


def _level(value, label: str, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise RatingError(f"Vui lòng chọn mức độ hài lòng cho mục “{label}”.")
        return None
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = None
    if level not in LEVEL_VALUES:
        raise RatingError(f"Mức đánh giá cho mục “{label}” không hợp lệ.")
    return level


def clean_scores(scores: Mapping | None) -> dict[str, int]:
    """Known criteria with a level 1–5; criteria left blank are "not rated" (they may not apply,
    e.g. online service for a counter dossier)."""
    from .states import RATING_CRITERIA

    labels = dict(RATING_CRITERIA)
    out = {}
    for key, value in (scores or {}).items():
        if key not in labels:
            raise RatingError("Tiêu chí đánh giá không hợp lệ.")
        level = _level(value, labels[key], required=False)
        if level is not None:
            out[key] = level
    return out


def rate(
    dossier, person, *, overall, scores: Mapping | None = None, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """Record the applicant's evaluation of ``dossier`` (once, after the result was returned)."""
    now = now or timezone.now()
    reason = refusal(dossier, person)
    if reason is not None:
        raise reason
    overall_level = _level(overall, "Mức độ hài lòng chung", required=True)
    cleaned = clean_scores(scores)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise RatingError(f"Ý kiến khác không được dài quá {COMMENT_MAX} ký tự.")
    try:
        with transaction.atomic():
            return Rating.objects.create(
                dossier=dossier,
                id_number=person.id_number,
                scores=cleaned,
                overall=overall_level,
                comment=comment,
                created_at=now,
            )
    except IntegrityError:  # a concurrent second submission of the same dossier
        raise RatingError(
            f"Hồ sơ {dossier.code} đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần.", "already_rated"
        ) from None


# ------------------------------------------------------------------------------------------------
# Satisfaction rate (for reports)
# ------------------------------------------------------------------------------------------------
def levels_of(bucket: str) -> list[int]:
    return sorted(level for level, b in SATISFACTION_OF_LEVEL.items() if b == bucket)


@dataclass
class SatisfactionFigures:
    """Counts per reported level and the satisfaction rate (very satisfied + satisfied, percent)."""

    key: object = None
    label: str = ""
    total: int = 0
    very_satisfied: int = 0
    satisfied: int = 0
    not_satisfied: int = 0

    @property
    def rate(self) -> float | None:
        if not self.total:
            return None
        return round(100 * (self.very_satisfied + self.satisfied) / self.total, 1)

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate is None else self.rate >= SATISFACTION_TARGET_PERCENT


_BY = {
    "agency": ("dossier__agency_id", "dossier__agency__name"),
    "desk": ("dossier__desk_id", "dossier__desk__name"),
    "procedure": ("dossier__version__procedure__code", "dossier__version__name"),
}


def satisfaction_rate(
    ratings: QuerySet[Rating] | None = None,
    *,
    agency=None,
    desk=None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    criterion: str | None = None,
    by: str | None = None,
) -> SatisfactionFigures | list[SatisfactionFigures]:
    """Satisfaction of ``ratings`` (all by default) narrowed by the dossier's handling ``agency``
    (one or several), receiving ``desk``, and the evaluation time [``since``, ``until``); on the
    overall level or on one ``criterion`` (only ratings that rated it). One SQL aggregate; with
    ``by`` ("agency", "desk", "procedure") a list of figures, one per group."""
    qs = Rating.objects.all() if ratings is None else ratings
    if agency is not None:
        qs = (
            qs.filter(dossier__agency__in=agency)
            if isinstance(agency, list | tuple | QuerySet)
            else qs.filter(dossier__agency=agency)
        )
    if desk is not None:
        qs = (
            qs.filter(dossier__desk__in=desk)
            if isinstance(desk, list | tuple | QuerySet)
            else qs.filter(dossier__desk=desk)
        )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if criterion is None:
        field = "overall"
    else:
        if criterion not in RATING_CRITERIA_KEYS:
            raise ValueError(criterion)
        field = f"scores__{criterion}"
        qs = qs.filter(scores__has_key=criterion)
    aggregates = {
        "total": Count("id"),
        **{bucket.value: Count("id", filter=Q(**{f"{field}__in": levels_of(bucket)})) for bucket in Satisfaction},
    }
    if by is None:
        return SatisfactionFigures(**qs.aggregate(**aggregates))
    if by not in _BY:
        raise ValueError(by)
    key, label = _BY[by]
    rows = qs.values(key, label).annotate(**aggregates).order_by(label)
    return [
        SatisfactionFigures(
            key=row[key],
            label=row[label],
            total=row["total"],
            very_satisfied=row[Satisfaction.VERY_SATISFIED.value],
            satisfied=row[Satisfaction.SATISFIED.value],
            not_satisfied=row[Satisfaction.NOT_SATISFIED.value],
        )
        for row in rows
    ]
