"""Daily jobs: what must happen once a day (purges past their retention, licenses lapsing,
reminders) without anyone remembering a cron line.

Apps register each job in their AppConfig.ready() with `register_daily_job(name, run)`, where
`run(now)` does the work and returns how many things it touched. One task in the queue,
`core.tasks.daily_jobs_task`, runs them all and enqueues itself again for the next
`DAILY_JOBS_AT` (UTC), so the worker that sends the mail (`manage.py db_worker`) is also the
scheduler. `manage.py daily_jobs --schedule` starts the chain (idempotent: at most one run
waits); `manage.py daily_jobs` runs every job now (for cron, a queue backend that cannot
delay a task, or by hand). A job that fails is logged by its name and the error's type and
the others still run."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailyJob:
    name: str
    run: Callable[[dt.datetime], int]


_JOBS: dict[str, DailyJob] = {}


def register_daily_job(name: str, run: Callable[[dt.datetime], int]) -> None:
    _JOBS[name] = DailyJob(name=name, run=run)


def daily_jobs() -> list[DailyJob]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


@dataclass(frozen=True)
class JobOutcome:
    name: str
    count: int | None  # None: the job failed
    error: str = ""  # the exception's type, never its message (it may hold personal data)


def run_daily_jobs(*, now: dt.datetime | None = None) -> list[JobOutcome]:
    """Run every registered job once; one that fails does not stop the others."""
    now = now or timezone.now()
    outcomes = []
    for job in daily_jobs():
        try:
            count = int(job.run(now) or 0)
        except Exception as exc:  # noqa: BLE001 - isolated, logged without its message
            logger.error("daily job %s failed: %s", job.name, type(exc).__name__)
            outcomes.append(JobOutcome(job.name, None, type(exc).__name__))
            continue
        logger.info("daily job %s: %d", job.name, count)
        outcomes.append(JobOutcome(job.name, count))
    return outcomes


def next_run_after(now: dt.datetime) -> dt.datetime:
    """The first DAILY_JOBS_AT ("HH:MM", UTC) strictly after `now`."""
    hour, minute = (int(part) for part in settings.DAILY_JOBS_AT.split(":"))
    now = now.astimezone(dt.UTC)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + dt.timedelta(days=1)


def can_schedule() -> bool:
    """Only a queue that keeps a task until its time (the database backend) can chain days."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def waiting_run():
    """The daily run waiting in the queue, or None."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .tasks import daily_jobs_task

    return (
        DBTaskResult.objects.filter(
            task_path=daily_jobs_task.module_path, status=TaskResultStatus.READY
        )
        .order_by("run_after")
        .first()
    )


def daily_jobs_schedule(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """Make sure one daily run waits in the queue; when it runs (None if it cannot)."""
    if not can_schedule():
        return None
    if (waiting := waiting_run()) is not None:
        return waiting.run_after
    from .tasks import daily_jobs_task

    run_after = next_run_after(now or timezone.now())
    daily_jobs_task.using(run_after=run_after).enqueue()
    return run_after
