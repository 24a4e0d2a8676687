"""``manage.py restore PATH [--force] [--database default] [--pg-bin DIR]``: a backup into an empty database.

Checks every checksum of the manifest before touching anything; refuses a database that already has
tables unless ``--force``; copies media into the default storage; compares the key tables' counts.
"""

from django.core.management.base import BaseCommand, CommandError

from motcua.common.backup import BackupError, restore


class Command(BaseCommand):
    help = "Khôi phục bản sao lưu (cơ sở dữ liệu + tệp media) vào một cơ sở dữ liệu rỗng."

    def add_arguments(self, parser):
        parser.add_argument("path", help="thư mục hoặc tệp .tar do `manage.py backup` tạo")
        parser.add_argument("--force", action="store_true", help="ghi đè cơ sở dữ liệu không rỗng / overwrite")
        parser.add_argument("--database", default="default", help="bí danh cơ sở dữ liệu (mặc định: default)")
        parser.add_argument("--pg-bin", default="", help="thư mục chứa pg_restore đúng phiên bản máy chủ")

    def handle(self, *args, **options):
        try:
            result = restore(
                options["path"], using=options["database"], force=options["force"], pg_bin=options["pg_bin"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        self.stdout.write(f"Đã khôi phục / restored: bản sao lưu lúc {m['created_at']} ({m['vendor']})")
        for label, n in m["counts"].items():
            self.stdout.write(f"  {label}: {n}")
        for note in result.notes:
            self.stdout.write(f"  {note}")
