from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "motcua.signing"
    verbose_name = "Chữ ký số"
