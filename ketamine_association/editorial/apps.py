from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "ketamine_association.editorial"
    label = "editorial"
    verbose_name = "Editorial workflow"

    def ready(self) -> None:
        from ketamine_association.articles.hooks import register_import_hook
        from ketamine_association.core.schedule import register_daily_job

        from . import services

        register_import_hook(services.IMPORT_HOOK)
        # The safety net of scheduled publishing (each approval also queues its own task).
        register_daily_job("publish-scheduled", lambda now: len(services.publish_due(now=now)))
