from django.core.management.base import BaseCommand

from motcua.audit import retention


class Command(BaseCommand):
    help = "Delete what is past its retention: audit rows, API calls, delivered outbox messages."

    def handle(self, *args, **options):
        done = retention.purge_all()
        self.stdout.write(
            f"Đã xóa theo thời hạn lưu / purged: nhật ký kiểm toán {done['audit']}, "
            f"lượt gọi API {done['api_calls']}, tin đã gửi {done['outbox']}."
        )
