from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "motcua.identity"
    verbose_name = "Định danh công dân, tổ chức"
