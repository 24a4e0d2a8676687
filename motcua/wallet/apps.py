from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "motcua.wallet"
    verbose_name = "Kho quản lý dữ liệu điện tử của tổ chức, cá nhân"
