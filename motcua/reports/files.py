"""Scheduled periodic reports kept as files: after each month (and quarter) ends, the periodic
report of the province (by agency) and of each agency with dossiers (by field), in Excel and PDF.
``generate_due`` is idempotent (one file per kind, period, scope and format), so the daily job can
run every day and catch up after downtime."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from motcua.org.models import Agency
from motcua.workcalendar.engine import VN_TZ

from . import exports, periodic
from .models import DailyFlow, ReportFile


def last_periods(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The month (and, at a quarter's end, the quarter) that ended before ``today``."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    out = [(ReportFile.MONTHLY, end.replace(day=1), end)]
    if end.month % 3 == 0:
        out.append((ReportFile.QUARTERLY, end.replace(month=end.month - 2, day=1), end))
    return out


def _label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == ReportFile.QUARTERLY:
        return f"Quý {(start.month - 1) // 3 + 1} năm {start.year}"
    return f"Tháng {start.month:02d} năm {start.year}"


def _write(kind, start, end, agency, report) -> int:
    made = 0
    unit = agency.name if agency else "Ủy ban nhân dân tỉnh"
    for fmt, render in (("xlsx", exports.periodic_xlsx), ("pdf", exports.periodic_pdf)):
        if ReportFile.objects.filter(kind=kind, start=start, agency=agency, fmt=fmt).exists():
            continue
        content = render(report, unit_name=unit, period_label=_label(kind, start, end))
        scope = agency.code if agency else "tinh"
        name = f"bao-cao-{kind}-{scope}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
        try:
            with transaction.atomic():
                row = ReportFile(kind=kind, start=start, end=end, agency=agency, fmt=fmt)
                row.file.save(name, ContentFile(content), save=False)
                row.save()
                made += 1
        except IntegrityError:
            continue  # another worker made it meanwhile
    return made


def generate_due(today: dt.date | None = None) -> int:
    """Files for the periods that just ended and are missing; returns how many were written."""
    today = today or timezone.now().astimezone(VN_TZ).date()
    made = 0
    for kind, start, end in last_periods(today):
        made += _write(kind, start, end, None, periodic.periodic(start, end, by="agency"))
        ids = set(DailyFlow.objects.filter(day__range=(start, end)).values_list("agency_id", flat=True))
        for agency in Agency.objects.filter(pk__in=ids).order_by("code"):
            made += _write(kind, start, end, agency, periodic.periodic(start, end, by="field", agency_ids={agency.pk}))
    return made


@task()
def generate_due_task() -> int:
    return generate_due()
