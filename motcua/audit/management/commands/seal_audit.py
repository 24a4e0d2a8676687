from django.core.management.base import BaseCommand

from motcua.audit import chain


class Command(BaseCommand):
    help = "Seal the unsealed audit rows into the hash chain (the scheduler does it every minute)."

    def handle(self, *args, **options):
        count = chain.seal()
        self.stdout.write(f"Đã niêm phong {count} dòng nhật ký / sealed {count} rows.")
