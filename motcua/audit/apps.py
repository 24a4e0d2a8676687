from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


def _install_guards(sender, using="default", **kwargs):
    from django.db import connections

    from . import guards

    guards.install(connections[using])


def check_retention(app_configs=None, **kwargs):
    from django.conf import settings

    errors = []
    days = getattr(settings, "AUDIT_RETENTION_DAYS", 1095)
    if not isinstance(days, int) or days < 365:
        errors.append(
            checks.Error(
                "Nhật ký kiểm toán phải được lưu ít nhất 12 tháng (AUDIT_RETENTION_DAYS ≥ 365).",
                hint=f"AUDIT_RETENTION_DAYS = {days!r}",
                id="audit.E001",
            )
        )
    return errors


class AuditConfig(AppConfig):
    name = "motcua.audit"
    verbose_name = "Nhật ký truy cập, kiểm toán"

    def ready(self):
        from . import signals

        signals.connect()
        post_migrate.connect(_install_guards, sender=self, dispatch_uid="audit:guards")
        checks.register(check_retention, checks.Tags.security)
