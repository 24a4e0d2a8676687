"""The periodic-job scheduler: each job's latest slot is enqueued exactly once (restarts, two
schedulers), daily jobs after their time of day (Vietnam time), interval jobs per interval."""

import datetime as dt

from django.core.management import call_command
from django_tasks import default_task_backend

from motcua.common import scheduler
from motcua.common.models import ScheduledRun
from motcua.common.scheduler import JOBS
from motcua.workcalendar.engine import VN_TZ

TWO = tuple(j for j in JOBS if j.name in ("reconcile_payments", "mark_no_shows"))


def run_due(now):
    return scheduler.run_due(now, TWO)


def names() -> list[str]:
    return sorted(r.task.name for r in default_task_backend.results)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=VN_TZ)


def test_each_slot_is_enqueued_once(db):
    assert run_due(at(25, 1, 20)) == ["reconcile_payments@2026-11-24", "mark_no_shows@2026-11-25T01:15"]
    assert names() == ["no_shows_task", "reconcile_task"]
    assert run_due(at(25, 1, 25)) == []  # same slots: nothing new
    # 01:30 Vietnam time: the daily job's new day begins; the interval job's next quarter too.
    assert run_due(at(25, 1, 30)) == ["reconcile_payments@2026-11-25", "mark_no_shows@2026-11-25T01:30"]
    assert run_due(at(25, 1, 31)) == []
    assert ScheduledRun.objects.count() == 2 * len(TWO) and len(names()) == 4


def test_a_slot_taken_by_another_scheduler_is_skipped(db):
    ScheduledRun.objects.create(job="reconcile_payments", slot="2026-11-25")
    assert run_due(at(25, 9)) == ["mark_no_shows@2026-11-25T09:00"]
    assert names() == ["no_shows_task"]


def test_after_downtime_only_the_latest_slot_runs(db):
    run_due(at(20, 8))
    assert run_due(at(25, 8, 7)) == ["reconcile_payments@2026-11-25", "mark_no_shows@2026-11-25T08:00"]


def test_jobs_point_at_real_tasks_and_the_command_runs_once(db, capsys):
    for job in JOBS:
        assert job.resolve().name == job.task.rsplit(".", 1)[1]
    assert {"reconcile_payments", "open_snapshot", "report_files", "mark_no_shows"} <= {j.name for j in JOBS}
    call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    assert "Đối soát thanh toán trực tuyến" in out and "hằng ngày lúc 01:30" in out and "23:55" in out
    assert ScheduledRun.objects.count() == len(JOBS)
