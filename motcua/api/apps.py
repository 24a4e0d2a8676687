from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "motcua.api"
    verbose_name = "API"

    def ready(self):
        from . import schema  # noqa: F401  (registers the OpenAPI extension of the OAuth2 scheme)
