"""Background tasks of the core: delivering one transactional mail (queued by core/mail.py).

The task queue (django-tasks, database backend by default) has no retries of its own, so the
task schedules its own: when the relay cannot be reached or answers with a temporary error, it
enqueues itself again with `run_after` = now + a backoff, and gives up after the last attempt.
With the defaults (MAIL_RETRY_ATTEMPTS 8, MAIL_RETRY_BASE_SECONDS 60, each wait 4 times the
one before, at most MAIL_RETRY_MAX_SECONDS 8 h) the waits are 1 min, 4 min, 16 min, 64 min,
4 h 16 min, 8 h and 8 h: eight attempts over about 22 hours. A recipient refused for good (5xx)
is not retried. Every attempt of a mail carries the same Message-ID.

A log line names the mail by its delivery id and the error by its kind and SMTP code
(core/logging.py), never by an address or a word of the content. The queue holds the message
only while it waits: once an attempt has finished, its stored arguments keep the attempt number
and the delivery id, nothing personal."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.signals import task_finished

from .logging import mail_delivery_id, mail_error_summary

logger = logging.getLogger(__name__)

BACKOFF_FACTOR = 4


class MailNotDelivered(Exception):
    """The last attempt of a mail failed (the task's result records this, without data)."""


def delivery_id(message: dict) -> str:
    """The delivery id of a queued message: its Message-ID without the domain."""
    return mail_delivery_id(SimpleNamespace(extra_headers=message["headers"]))


def retry_delay(attempt: int) -> float:
    """Seconds between failed attempt number `attempt` (from 1) and the next one."""
    delay = settings.MAIL_RETRY_BASE_SECONDS * BACKOFF_FACTOR ** (attempt - 1)
    return min(delay, settings.MAIL_RETRY_MAX_SECONDS)


def _refused_for_good(exc: BaseException) -> bool:
    """Every recipient refused with a permanent (5xx) reply: another attempt changes nothing."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in exc.recipients.values()
    )


def _email(message: dict) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        message["subject"],
        message["text"],
        message["from_email"],
        [message["to"]],
        reply_to=message["reply_to"],
        headers=message["headers"],
    )
    if message["html"]:
        email.attach_alternative(message["html"], "text/html")
    return email


@task()
def deliver_mail(*, message: dict, attempt: int = 1) -> str:
    """Send `message` (as core.mail.send_transactional queued it) with the EMAIL_BACKEND;
    on a connection or SMTP error, queue attempt `attempt + 1` after the backoff."""
    email = _email(message)
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        delivery, error = mail_delivery_id(email), mail_error_summary(exc)
        attempts = settings.MAIL_RETRY_ATTEMPTS
        backend = deliver_mail.get_backend()
        if attempt >= attempts or _refused_for_good(exc) or not backend.supports_defer:
            logger.error(
                "mail %s not sent: %s; attempt %d of %d, giving up",
                delivery,
                error,
                attempt,
                attempts,
            )
            raise MailNotDelivered(f"{error} at attempt {attempt} of {attempts}") from None
        delay = retry_delay(attempt)
        deliver_mail.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(
            message=message, attempt=attempt + 1
        )
        logger.warning(
            "mail %s not sent: %s; attempt %d of %d, next in %d s",
            delivery,
            error,
            attempt,
            attempts,
            delay,
        )
        return f"not sent: {error}; attempt {attempt + 1} queued"
    return "sent"


@receiver(task_finished, dispatch_uid="core.tasks.forget_finished_mail")
def forget_finished_mail(sender, task_result, **kwargs) -> None:
    """A finished attempt of `deliver_mail` in the database queue keeps no address and no
    content: its row's arguments become the attempt number and the delivery id."""
    try:
        if task_result.task.module_path != deliver_mail.module_path:
            return
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult

        if not isinstance(task_backends[task_result.backend], DatabaseBackend):
            return
        kwargs = task_result.kwargs
        DBTaskResult.objects.filter(pk=task_result.id).update(
            args_kwargs={
                "args": [],
                "kwargs": {
                    "attempt": kwargs.get("attempt", 1),
                    "delivery": delivery_id(kwargs.get("message", {"headers": {}})),
                },
            }
        )
    except Exception as exc:  # the mail's own outcome stands whatever happens here
        logger.error("mail task %s: arguments not cleared: %s", task_result.id, type(exc).__name__)


@task()
def daily_jobs_task() -> dict[str, int | None]:
    """Run the registered daily jobs (core/schedule.py), then wait in the queue for the next
    day's run. Returns {job: count, or None when it failed} (no personal data)."""
    from .schedule import daily_jobs_schedule, run_daily_jobs

    outcomes = run_daily_jobs()
    daily_jobs_schedule()
    return {outcome.name: outcome.count for outcome in outcomes}
