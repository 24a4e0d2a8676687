from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "motcua.catalog"
    verbose_name = "Danh mục thủ tục hành chính"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models, services

        for model in (
            models.Procedure,
            models.ProcedureVersion,
            models.Component,
            models.ResultType,
            models.Fee,
            models.ProcessStep,
        ):
            name = model.__name__
            post_save.connect(services.invalidate_versions, sender=model, dispatch_uid=f"cat-save-{name}")
            post_delete.connect(services.invalidate_versions, sender=model, dispatch_uid=f"cat-del-{name}")
        for through in (models.ProcedureVersion.levels.through, models.ProcedureVersion.agencies.through):
            uid = f"cat-m2m-{through.__name__}"
            m2m_changed.connect(services.invalidate_versions, sender=through, dispatch_uid=uid)
