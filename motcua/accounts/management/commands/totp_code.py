from django.core.management.base import BaseCommand, CommandError

from motcua.accounts import services


class Command(BaseCommand):
    help = "In mã xác thực hai lớp hiện tại của một tài khoản mẫu (chỉ thiết bị mẫu do load_demo tạo)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            self.stdout.write(services.demo_code(username))
        except services.AuthError as exc:
            raise CommandError(exc.message) from None
