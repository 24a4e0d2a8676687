import sys
import time

from django.core.management.base import BaseCommand

from motcua.audit import chain

SHOWN = 50  # findings printed per kind (all are counted)


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain: altered, deleted, re-ordered rows, a truncated tail, "
        "rows left unsealed, missing guard triggers. Exit code 1 on any finding."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seal-first", action="store_true", help="seal pending rows before verifying")

    def handle(self, *args, **options):
        if options["seal_first"]:
            chain.seal()
        started = time.perf_counter()
        report = chain.verify()
        elapsed = time.perf_counter() - started
        rate = report.checked / elapsed if elapsed else 0
        span = f"{report.first_seq}–{report.last_seq}" if report.checked else "—"
        self.stdout.write(
            f"Đã kiểm tra {report.checked} dòng (số {span}) trong {elapsed:.1f} giây ({rate:,.0f} dòng/giây); "
            f"chưa niêm phong: {report.unsealed}.\n"
            f"Checked {report.checked} rows (seq {span}) in {elapsed:.1f} s; unsealed: {report.unsealed}."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Chuỗi nhật ký toàn vẹn / audit chain intact."))
            return
        by_code: dict[str, list] = {}
        for f in report.findings:
            by_code.setdefault(f.code, []).append(f)
        self.stdout.write(
            self.style.ERROR(f"PHÁT HIỆN {len(report.findings)} BẤT THƯỜNG / {len(report.findings)} FINDINGS:")
        )
        for code, items in by_code.items():
            self.stdout.write(f"[{code}] {len(items)}")
            for f in items[:SHOWN]:
                self.stdout.write(f"  - {f.message}")
            if len(items) > SHOWN:
                self.stdout.write(f"  … và {len(items) - SHOWN} dòng khác / and {len(items) - SHOWN} more")
        sys.exit(1)
