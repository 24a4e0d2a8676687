from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from motcua.accounts import services


class Command(BaseCommand):
    help = "Mở lại một tài khoản bị khóa (ví dụ do không đăng nhập quá 45 ngày); tính là một lần hoạt động."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có tài khoản {username}.")
        services.reactivate(user)
        self.stdout.write(self.style.SUCCESS(f"Đã mở lại tài khoản {username}."))
