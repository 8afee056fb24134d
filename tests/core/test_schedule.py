"""The daily jobs (core/schedule.py): every app's job is registered, one failing job never
stops the others, `daily_jobs --schedule` keeps exactly one run waiting in the task queue,
and that run, executed by the worker's own code, runs the jobs and queues the next day's."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ketamine_association.core import schedule
from ketamine_association.core.tasks import daily_jobs_task
from ketamine_association.directory.choices import CheckKind
from tests.directory.factories import checked, make_provider
from tests.mailqueue import deliver_queued_mail

pytestmark = pytest.mark.django_db


def runs(status=TaskResultStatus.READY):
    return DBTaskResult.objects.filter(task_path=daily_jobs_task.module_path, status=status)


def test_every_app_registers_its_daily_job():
    names = {job.name for job in schedule.daily_jobs()}
    assert {
        "core: prune finished task results",
        "directory: lapse expired licenses",
        "association: delete closed contact messages",
        "newsletter: erase unconfirmed signups",
    } <= names


def test_a_failing_job_is_logged_by_name_and_the_others_still_run(monkeypatch, caplog):
    ran = []

    def broken(now):
        raise ValueError("jane@example.org could not be handled")

    monkeypatch.setattr(schedule, "_JOBS", {})
    schedule.register_daily_job("a: broken", broken)
    schedule.register_daily_job("b: fine", lambda now: ran.append(now) or 3)
    with caplog.at_level(logging.INFO, logger="ketamine_association.core.schedule"):
        outcomes = schedule.run_daily_jobs()
    assert [(o.name, o.count, o.error) for o in outcomes] == [
        ("a: broken", None, "ValueError"),
        ("b: fine", 3, ""),
    ]
    assert len(ran) == 1
    assert "a: broken failed: ValueError" in caplog.text
    assert "jane@example.org" not in caplog.text  # never the exception's message


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-12-02T01:00:00+00:00", "2026-12-02T03:30:00+00:00"),
        ("2026-12-02T03:30:00+00:00", "2026-12-03T03:30:00+00:00"),
        ("2026-12-31T22:00:00-05:00", "2027-01-01T03:30:00+00:00"),  # 03:00 UTC: still today
    ],
)
def test_the_next_run_is_the_first_daily_time_after_now(now, expected):
    when = schedule.next_run_after(dt.datetime.fromisoformat(now))
    assert when == dt.datetime.fromisoformat(expected)


def test_scheduling_twice_leaves_one_run_waiting():
    out = StringIO()
    call_command("daily_jobs", "--schedule", stdout=out)
    call_command("daily_jobs", "--schedule", stdout=out)
    [waiting] = runs()
    assert waiting.run_after > timezone.now()
    assert f"next run {waiting.run_after:%Y-%m-%d %H:%M} UTC" in out.getvalue()
    assert deliver_queued_mail() == 0  # not due yet: the worker leaves it


def test_the_due_run_lapses_an_expired_license_and_queues_tomorrows():
    provider = checked(make_provider(), CheckKind.NPI_FORMAT, CheckKind.LICENSE)
    assert provider.is_verified
    provider.checks.filter(kind=CheckKind.LICENSE).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    schedule.daily_jobs_schedule()
    runs().update(run_after=timezone.now() - dt.timedelta(seconds=1))  # its time has come
    assert deliver_queued_mail() == 1
    provider.refresh_from_db()
    assert not provider.is_verified
    [done] = runs(TaskResultStatus.SUCCESSFUL)
    assert done.return_value["directory: lapse expired licenses"] == 1
    [tomorrow] = runs()
    assert tomorrow.run_after == schedule.next_run_after(timezone.now())


def test_a_backend_that_cannot_wait_is_told_to_use_cron(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("daily_jobs", "--schedule", stderr=err)
    assert exit_.value.code == 1 and "cron" in err.getvalue()
