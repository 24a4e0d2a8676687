"""Periodic report jobs (enqueued by ``common.scheduler``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from motcua.workcalendar.engine import VN_TZ

from . import rollups

SNAPSHOT_AT = dt.time(23, 55)


@task()
def snapshot_task() -> int:
    """The open dossiers at the end of the day. Run at 23:55; a late run (the scheduler was down)
    records them for the previous day — approximately: the stock as it is now."""
    now = timezone.now().astimezone(VN_TZ)
    day = now.date() if now.time() >= SNAPSHOT_AT else now.date() - dt.timedelta(days=1)
    return rollups.snapshot(day)
