"""``manage.py backup PATH [--database default] [--pg-bin DIR]``: database + media at one consistent point.

PATH is a new directory, or a file ending in ``.tar``. See ``motcua.common.backup`` for what is in it and
why the database snapshot and the media copy are consistent.
"""

from django.core.management.base import BaseCommand, CommandError

from motcua.common.backup import BackupError, backup


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và tệp media (một thời điểm nhất quán) vào một thư mục mới hoặc tệp .tar."

    def add_arguments(self, parser):
        parser.add_argument("path", help="thư mục mới hoặc tệp .tar / a new directory or a .tar file")
        parser.add_argument("--database", default="default", help="bí danh cơ sở dữ liệu (mặc định: default)")
        parser.add_argument("--pg-bin", default="", help="thư mục chứa pg_dump đúng phiên bản máy chủ")

    def handle(self, *args, **options):
        try:
            result = backup(options["path"], using=options["database"], pg_bin=options["pg_bin"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        self.stdout.write(f"Đã sao lưu / backed up: {result.path} ({m['vendor']}, {m['created_at']})")
        for label, n in m["counts"].items():
            self.stdout.write(f"  {label}: {n}")
        self.stdout.write(f"  tệp media / media files: {m['media_files']}")
