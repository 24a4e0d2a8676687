from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.interchange import export_json, export_xlsx
from motcua.catalog.models import ProcedureVersion


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục đang có hiệu lực ra tệp .json hoặc .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        qs = ProcedureVersion.objects.in_force()
        if path.endswith(".json"):
            data = export_json(qs)
        elif path.endswith(".xlsx"):
            data = export_xlsx(qs)
        else:
            raise CommandError("Tên tệp phải kết thúc bằng .json hoặc .xlsx.")
        Path(path).write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {qs.count()} thủ tục ra {path}."))
