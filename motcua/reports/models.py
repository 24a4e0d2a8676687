"""Aggregates the reports read (never the dossier table): flows per day and per month, maintained
from dossier events in the events' own transaction (``rollups.apply``), and the stock of open
dossiers at the end of each day (``rollups.snapshot``)."""

from django.db import models

# The counters of a flow rollup row (the one list: the upsert, the rebuild and the reports use it).
FLOW_COUNTERS = (
    "received_online",
    "received_direct",
    "received_post",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "refused",
    "supplement_requested",
    "withdrawn",
    "stopped",
    "returned",
    "apologies",
    "paid_online",
    "paid_counter",
)


class _Flow(models.Model):
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey("catalog.Field", on_delete=models.PROTECT, related_name="+")
    received_online = models.PositiveIntegerField(default=0)
    received_direct = models.PositiveIntegerField(default=0)
    received_post = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    supplement_requested = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    stopped = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    apologies = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    paid_counter = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyFlow(_Flow):
    """What happened on one day (Vietnam time) at one handling agency for one procedure."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "agency", "procedure"], name="daily_flow_key")]
        indexes = [models.Index(fields=["agency", "day"], name="daily_flow_agency")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.procedure_id}"


class MonthlyFlow(_Flow):
    """The same per month (``month`` = its first day): what year-long reports read."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "agency", "procedure"], name="monthly_flow_key")]
        indexes = [models.Index(fields=["agency", "month"], name="monthly_flow_agency")]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y} {self.agency_id} {self.procedure_id}"


class OpenSnapshot(models.Model):
    """Dossiers in progress (received, not closed, no result) at the end of ``day``: on time or late.
    Written by the nightly job (``rollups.snapshot``); carried over / in progress of the periodic report."""

    day = models.DateField()
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey("catalog.Field", on_delete=models.PROTECT, related_name="+")
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "agency", "procedure"], name="open_snapshot_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.procedure_id}"


class ReportFile(models.Model):
    """A periodic report generated on schedule (monthly, quarterly) and kept as a file: the province's
    and each agency's, in Excel and PDF (``files.generate_due``)."""

    MONTHLY, QUARTERLY = "monthly", "quarterly"
    KINDS = [(MONTHLY, "Hằng tháng"), (QUARTERLY, "Hằng quý")]

    kind = models.CharField("kỳ", max_length=10, choices=KINDS)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày")
    agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan"
    )  # null: the whole province
    fmt = models.CharField("định dạng", max_length=4)  # xlsx | pdf
    file = models.FileField("tệp", upload_to="reports/%Y/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "báo cáo định kỳ đã lập"
        verbose_name_plural = "báo cáo định kỳ đã lập"
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "agency", "fmt"], name="one_report_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"
