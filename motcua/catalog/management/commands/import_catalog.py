from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.interchange import import_file
from motcua.catalog.services import CatalogError


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục từ tệp .json hoặc .xlsx (nhập toàn bộ hoặc không nhập gì)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        file = Path(path)
        try:
            outcome = import_file(file.name, file.read_bytes())
        except CatalogError as exc:
            raise CommandError("Tệp bị từ chối, không có thủ tục nào được nhập:\n" + "\n".join(exc.errors)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nhập: {outcome.created} thủ tục mới, {outcome.new_versions} phiên bản mới, "
                f"{outcome.unchanged} không thay đổi."
            )
        )
