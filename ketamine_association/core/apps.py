from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ketamine_association.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from .schedule import register_daily_job

        register_daily_job("core: prune finished task results", task_results_prune)


def task_results_prune(now) -> int:
    """Finished tasks of the queue older than 14 days (django-tasks-db's own pruning)."""
    import datetime as dt

    from django_tasks_db.models import DBTaskResult

    from .schedule import can_schedule

    if not can_schedule():
        return 0
    old = DBTaskResult.objects.finished().filter(finished_at__lte=now - dt.timedelta(days=14))
    return old.delete()[0]
