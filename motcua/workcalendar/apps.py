from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "motcua.workcalendar"
    verbose_name = "Lịch làm việc"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import models, services

        for model in (models.DayOverride, models.OfficeHours):
            post_save.connect(services.invalidate, sender=model, dispatch_uid=f"wc-save-{model.__name__}")
            post_delete.connect(services.invalidate, sender=model, dispatch_uid=f"wc-del-{model.__name__}")
