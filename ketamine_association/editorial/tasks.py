"""Scheduled publishing through the task queue: an approval with a future publishedAt
queues this task for that moment; it publishes whatever is due and still approved."""

from django_tasks import task


@task()
def publish_scheduled_task() -> int:
    from .services import publish_due

    return len(publish_due())
