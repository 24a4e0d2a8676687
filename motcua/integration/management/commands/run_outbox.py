"""``manage.py run_outbox [--once] [--batch N] [--threads N] [--idle S]``: deliver the outbox."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from motcua.integration.outbox import drain


class Command(BaseCommand):
    help = "Gửi các sự kiện hồ sơ trong hộp thư đi (outbox) tới Cổng DVC quốc gia và các hệ thống đăng ký nhận."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="gửi hết những gì đến hạn rồi thoát")
        parser.add_argument("--batch", type=int, default=None, help="số thông điệp mỗi lượt")
        parser.add_argument("--threads", type=int, default=None, help="số luồng gửi song song")
        parser.add_argument("--idle", type=float, default=0.5, help="số giây chờ khi không có gì để gửi")

    def handle(self, *args, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        while not stop:
            close_old_connections()  # a worker runs for days: drop connections past their age or broken
            try:
                counts = drain(limit=options["batch"], threads=options["threads"], max_seconds=30)
            except Exception as exc:  # noqa: BLE001 (e.g. the database restarting: wait, reconnect, go on)
                self.stderr.write(f"Lỗi khi gửi: {exc}")
                close_old_connections()
                counts = {"delivered": 0, "failed": 0}
                time.sleep(options["idle"])
            if options["verbosity"] > 1 and (counts["delivered"] or counts["failed"]):
                self.stdout.write(f"đã gửi {counts['delivered']}, lỗi {counts['failed']}")
            if options["once"]:
                break
            if not counts["delivered"] and not counts["failed"]:
                time.sleep(options["idle"])
