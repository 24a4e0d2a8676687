from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "motcua.accounts"
    label = "accounts"
    verbose_name = "Tài khoản và xác thực"

    def ready(self):
        from . import signals  # noqa: F401
