"""``manage.py rebuild_rollups [--snapshot-today]``: recompute the report flows from the event history."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from motcua.reports import rollups
from motcua.workcalendar.engine import VN_TZ


class Command(BaseCommand):
    help = "Tính lại toàn bộ số liệu tổng hợp báo cáo (theo ngày, theo tháng) từ lịch sử xử lý hồ sơ."

    def add_arguments(self, parser):
        parser.add_argument("--snapshot-today", action="store_true", help="chốt cả số hồ sơ đang giải quyết hôm nay")

    def handle(self, *args, **options):
        counted = rollups.rebuild()
        self.stdout.write(f"Đã tính lại từ {counted:,} sự kiện.".replace(",", "."))
        if options["snapshot_today"]:
            rows = rollups.snapshot(timezone.now().astimezone(VN_TZ).date())
            self.stdout.write(f"Đã chốt số hồ sơ đang giải quyết hôm nay ({rows} dòng).")
