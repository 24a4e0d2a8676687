from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "motcua.common"
    verbose_name = "Dùng chung"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
