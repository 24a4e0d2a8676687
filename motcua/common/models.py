from django.db import models


class ScheduledRun(models.Model):
    """One run of a periodic job (``common.scheduler.JOBS``) for one time slot: the unique row makes
    enqueuing idempotent, so two schedulers, a restart or a replay never run a slot twice."""

    job = models.CharField("công việc", max_length=60)
    slot = models.CharField("kỳ", max_length=40)  # "2026-11-25" (daily) or "2026-11-25T08:15" (interval)
    enqueued_at = models.DateTimeField("thời điểm đưa vào hàng đợi", auto_now_add=True)

    class Meta:
        verbose_name = "lần chạy định kỳ"
        verbose_name_plural = "các lần chạy định kỳ"
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot}"
