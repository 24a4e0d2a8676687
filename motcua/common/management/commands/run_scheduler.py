"""``manage.py run_scheduler [--once] [--interval 30]``: enqueue the periodic jobs when due."""

import signal
import time

from django.core.management.base import BaseCommand

from motcua.common.scheduler import JOBS, run_due


class Command(BaseCommand):
    help = "Đưa các công việc định kỳ (đối soát thanh toán, lịch hẹn không đến, …) vào hàng đợi khi đến hạn."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="chạy một lần rồi thoát")
        parser.add_argument("--interval", type=float, default=30.0, help="số giây giữa hai lần kiểm tra")

    def handle(self, *args, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        for job in JOBS:
            if job.every:
                when = f"mỗi {int(job.every.total_seconds() // 60)} phút"
            else:
                when = f"hằng ngày lúc {job.daily_at:%H:%M}"
            self.stdout.write(f"- {job.label} ({job.name}): {when}")
        while not stop:
            for started in run_due():
                self.stdout.write(f"Đã đưa vào hàng đợi: {started}")
            if options["once"]:
                break
            time.sleep(options["interval"])
