"""Periodic jobs (the one table of them) and the scheduler that enqueues them as django-tasks.

``manage.py run_scheduler`` (started by ``scripts/run`` next to the worker) wakes up every
``--interval`` seconds and calls ``run_due``: for each job, the latest slot that has begun (an
interval slot, or a day whose time of day has passed, Vietnam time) is enqueued once — a
``ScheduledRun`` row unique per (job, slot), written in the same transaction as the task row, makes
that idempotent across restarts and several schedulers. A scheduler that was down catches up with
the latest missed slot only (the jobs themselves cover what an earlier slot would have done).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module

from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.workcalendar.engine import VN_TZ

from .models import ScheduledRun


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks Task
    label: str  # Vietnamese, for the admin and the logs
    every: dt.timedelta | None = None  # an interval job …
    daily_at: dt.time | None = None  # … or a daily one, at this Vietnam time

    def slot(self, now: dt.datetime) -> str:
        """The latest slot that has begun at ``now``."""
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=VN_TZ)
            return start.strftime("%Y-%m-%dT%H:%M")
        local = now.astimezone(VN_TZ)
        day = local.date() if local.time() >= self.daily_at else local.date() - dt.timedelta(days=1)
        return day.isoformat()

    def resolve(self):
        module, _, attr = self.task.rpartition(".")
        return getattr(import_module(module), attr)


JOBS: tuple[Job, ...] = (
    Job(
        "reconcile_payments",
        "motcua.payments.reconciliation.reconcile_task",
        "Đối soát thanh toán trực tuyến của ngày hôm trước",
        daily_at=dt.time(1, 30),
    ),
    Job(
        "open_snapshot",
        "motcua.reports.tasks.snapshot_task",
        "Chốt số hồ sơ đang giải quyết cuối ngày (báo cáo)",
        daily_at=dt.time(23, 55),
    ),
    Job(
        "report_files",
        "motcua.reports.files.generate_due_task",
        "Lập báo cáo định kỳ tháng, quý (Excel, PDF)",
        daily_at=dt.time(0, 30),
    ),
    Job(
        "disable_idle_accounts",
        "motcua.accounts.tasks.disable_idle_accounts_task",
        "Khóa tài khoản cán bộ không đăng nhập quá 45 ngày",
        daily_at=dt.time(2, 0),
    ),
    Job(
        "mark_no_shows",
        "motcua.engagement.appointments.no_shows_task",
        "Đánh dấu lịch hẹn không đến",
        every=dt.timedelta(minutes=15),
    ),
    Job(
        "seal_audit",
        "motcua.audit.tasks.seal_task",
        "Niêm phong nhật ký kiểm toán (chuỗi băm)",
        every=dt.timedelta(minutes=1),
    ),
    Job(
        "audit_retention",
        "motcua.audit.tasks.retention_task",
        "Xóa nhật ký quá thời hạn lưu (kiểm toán, gọi API, tin đã gửi, phiên hết hạn, hồ sơ nháp bỏ dở)",
        daily_at=dt.time(2, 30),
    ),
)


def run_due(now: dt.datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; returns "job@slot" of those."""
    now = now or timezone.now()
    started = []
    for job in jobs:
        slot = job.slot(now)
        if ScheduledRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=slot)
                job.resolve().enqueue()
        except IntegrityError:  # another scheduler took this slot meanwhile
            continue
        started.append(f"{job.name}@{slot}")
    return started
