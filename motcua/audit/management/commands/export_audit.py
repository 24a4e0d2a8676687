import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from motcua.audit import export
from motcua.audit.services import log_export


def _day(text):
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError as exc:
        raise CommandError(f"Ngày không hợp lệ (dd/mm/yyyy): {text}") from exc


class Command(BaseCommand):
    help = "Export the audit log of a period (Vietnam days, both included) as JSON lines or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_day, help="dd/mm/yyyy")
        parser.add_argument("--to", dest="end", type=_day, help="dd/mm/yyyy")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--output", "-o", help="file (default: standard output)")

    def handle(self, *args, start=None, end=None, format="jsonl", output=None, **options):
        if start and end and end < start:
            raise CommandError("Ngày kết thúc trước ngày bắt đầu.")
        qs = export.base_queryset().filter(export.day_range(start, end))
        out = (
            open(output, "w", encoding="utf-8-sig" if format == "csv" else "utf-8", newline="")
            if output
            else sys.stdout
        )
        count = 0
        try:
            if format == "csv":
                out.write(export.csv_header())
            for row in export.iter_rows(qs):
                out.write(export.jsonl_line(row) if format == "jsonl" else export.csv_line(row))
                count += 1
        finally:
            if output:
                out.close()
        log_export(
            user=None,
            what=f"manage.py export_audit {format}",
            filters={"from": start, "to": end},
            count=count,
        )
        self.stderr.write(f"Đã xuất {count} dòng / exported {count} rows.")
