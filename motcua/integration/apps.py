from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "motcua.integration"
    verbose_name = "Kết nối, tích hợp"
