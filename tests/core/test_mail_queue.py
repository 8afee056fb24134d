"""Transactional mail through the task queue (core/mail.py, core/tasks.py), end to end: a child
process queues a mail as a web request would, a real `manage.py db_worker` process sends it to
a real SMTP server (aiosmtpd on localhost), and retries it with backoff while that server is
down. The children share the test database on PostgreSQL (committed, flushed after the test),
or a migrated SQLite file of their own."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from ketamine_association.core import tasks
from ketamine_association.core.mail import send_transactional
from tests.mailqueue import ROOT, deliver_queued_mail, running_worker
from tests.newsletter.smtp import SmtpSink
from tests.security.servers import local_child_env

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "quiet.patient@example.org"
SUBJECT = "Your appointment notes 7731"
RETRY_BASE = 3  # seconds before the second attempt in the worker process (then 12, 48)


@pytest.fixture
def database_url(tmp_path) -> str:
    """A database the child processes and, on PostgreSQL, this test share."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    migrated = child(["manage.py", "migrate", "--noinput", "-v0"], child_env(url, 9, tmp_path))
    assert migrated.returncode == 0, migrated.stderr
    return url


def child_env(database_url: str, smtp_port: int, var_dir: Path) -> dict[str, str]:
    return local_child_env(
        database_url, smtp_port, var_dir, EMAIL_TIMEOUT="5", MAIL_RETRY_BASE_SECONDS=str(RETRY_BASE)
    )


def child(args: list[str], env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def enqueue(env: dict, **mail) -> str:
    mail = {"to": ADDRESS, "subject": SUBJECT, "text": "Notes: see attached.", **mail}
    queued = child(["-m", "tests.core.mail_child", "enqueue"], env, json.dumps(mail))
    assert queued.returncode == 0, queued.stderr
    return queued.stdout.strip()


def report(env: dict) -> list[dict]:
    result = child(["-m", "tests.core.mail_child", "report"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_queued_mail_reaches_the_smtp_server_with_its_headers(database_url, tmp_path):
    with SmtpSink() as sink:
        env = child_env(database_url, sink.port, tmp_path)
        delivery = enqueue(
            env,
            html="<p>Notes: see attached.</p>",
            reply_to=["Front desk <desk@example.org>"],
            headers={
                "List-Unsubscribe": "<https://example.org/u/1>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        assert sink.recorder.received == []  # queued, not sent by the request
        with running_worker(env=env, log=tmp_path / "worker.log"):
            wait_for(lambda: sink.recorder.received, "the mail at the SMTP server")
            wait_for(lambda: report(env)[0]["status"] == "SUCCESSFUL", "the task's result")
    [received] = sink.recorder.received
    assert received.rcpt_tos == [ADDRESS]
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["To"] == ADDRESS
    assert message["Reply-To"] == "Front desk <desk@example.org>"
    assert message["List-Unsubscribe"] == "<https://example.org/u/1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].strip(" <>").startswith(delivery + "@")
    assert received.part("plain").strip() == "Notes: see attached."
    assert received.part("html").strip() == "<p>Notes: see attached.</p>"
    assert report(env) == [
        {"attempt": 1, "status": "SUCCESSFUL", "due_in": None, "return_value": "sent",
         "exception": "", "holds_message": False},
    ]  # fmt: skip


def test_relay_down_the_attempt_is_rescheduled_and_the_mail_arrives_once_it_is_back(
    database_url, tmp_path
):
    sink = SmtpSink()  # its port is chosen, nothing listens on it yet
    env = child_env(database_url, sink.port, tmp_path)
    log = tmp_path / "worker.log"
    with running_worker(env=env, log=log):
        delivery = enqueue(env)  # the request's part succeeds with the relay away

        def rescheduled():
            rows = report(env)
            return len(rows) >= 2 and rows

        first, second, *_ = wait_for(rescheduled, "the second attempt to be queued")
        assert first["attempt"] == 1 and first["status"] == "SUCCESSFUL"
        assert first["return_value"] == "not sent: ConnectionRefusedError; attempt 2 queued"
        assert second["attempt"] == 2 and second["due_in"] is not None
        assert not first["holds_message"] and second["holds_message"]  # the retry needs it
        assert sink.recorder.received == []

        with sink:  # the relay is back
            wait_for(lambda: sink.recorder.received, "the mail once the relay is back")
            rows = wait_for(
                lambda: (rows := report(env))[-1]["status"] == "SUCCESSFUL" and rows,
                "the successful attempt's result",
            )
            time.sleep(4 * 0.2 + 1)  # a few more polls of the worker: nothing more is sent
            assert len(sink.recorder.received) == 1
    [received] = sink.recorder.received
    assert received.rcpt_tos == [ADDRESS] and received.message["Subject"] == SUBJECT
    assert received.message["Message-ID"].strip(" <>").startswith(delivery + "@")
    assert [row["status"] for row in rows] == ["SUCCESSFUL"] * len(rows)
    assert rows[-1]["return_value"] == "sent"
    assert [row["attempt"] for row in rows] == list(range(1, len(rows) + 1))
    assert all(r["return_value"].startswith("not sent: ConnectionRefusedError") for r in rows[:-1])

    # The worker's log names each failed attempt by the mail's id, never by what it holds.
    logged = log.read_text()
    assert f"mail {delivery} not sent: ConnectionRefusedError; attempt 1 of 8" in logged
    for secret in (ADDRESS, "quiet.patient", SUBJECT, "7731", "Notes"):
        assert secret not in logged


# Header injection: refused before anything is queued -----------------------------------------

INJECTIONS = [
    {"to": "a@example.org\r\nBcc: victim@example.net"},
    {"to": "a@example.org\nBcc: victim@example.net"},
    {"to": "a@example.org, victim@example.net"},
    {"to": "A <a@example.org>, victim@example.net"},
    {"to": "not an address"},
    {"subject": "Hello\r\nBcc: victim@example.net"},
    {"subject": "Hello\nX-Injected: yes"},
    {"headers": {"X-Note": "fine\r\nBcc: victim@example.net"}},
    {"headers": {"Bcc": "victim@example.net"}},
    {"headers": {"X-Bad\r\nBcc": "victim@example.net"}},
    {"reply_to": ["a@example.org\r\nBcc: victim@example.net"]},
    {"from_email": "a@example.org\r\nBcc: victim@example.net"},
]


@pytest.mark.parametrize("bad", INJECTIONS, ids=lambda bad: repr(bad)[:50])
def test_header_injection_is_refused_and_nothing_is_queued(bad):
    mail = {"to": ADDRESS, "subject": SUBJECT, "text": "Hello", **bad}
    with transaction.atomic(), pytest.raises(ValueError):
        send_transactional(**mail)
    assert DBTaskResult.objects.count() == 0


def test_a_good_mail_is_queued_once_the_transaction_commits_and_not_on_rollback():
    with transaction.atomic():
        send_transactional(to=f"Pat Lee <{ADDRESS}>", subject=SUBJECT, text="Hello")
        assert DBTaskResult.objects.count() == 0  # not before the commit
    assert DBTaskResult.objects.count() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        send_transactional(to=ADDRESS, subject=SUBJECT, text="Hello")
        raise RuntimeError("the request failed")
    assert DBTaskResult.objects.count() == 1


# Logs and giving up -------------------------------------------------------------------------


@pytest.fixture
def raw_log():
    """What core's task logs, as it logs it: a handler on its own logger, which sees each
    record before the redaction filter of the configured handlers does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(tasks.__name__)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_failed_attempts_log_no_address_or_subject_and_the_last_one_gives_up(settings, raw_log):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.MAIL_RETRY_ATTEMPTS, settings.MAIL_RETRY_BASE_SECONDS = 3, 0  # due at once
    delivery = send_transactional(to=ADDRESS, subject=SUBJECT, text="Notes: see attached.")
    assert deliver_queued_mail() == 3
    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [(r.args_kwargs["kwargs"]["attempt"], r.status) for r in rows] == [
        (1, "SUCCESSFUL"), (2, "SUCCESSFUL"), (3, "FAILED"),
    ]  # fmt: skip
    assert rows[-1].exception_class_path == "ketamine_association.core.tasks.MailNotDelivered"
    logged = raw_log.getvalue()
    assert logged.splitlines() == [
        f"mail {delivery} not sent: ConnectionRefusedError; attempt 1 of 3, next in 0 s",
        f"mail {delivery} not sent: ConnectionRefusedError; attempt 2 of 3, next in 0 s",
        f"mail {delivery} not sent: ConnectionRefusedError; attempt 3 of 3, giving up",
    ]
    # Once an attempt has finished, its row keeps the attempt and the id, nothing personal.
    assert [r.args_kwargs for r in rows] == [
        {"args": [], "kwargs": {"attempt": n, "delivery": delivery}} for n in (1, 2, 3)
    ]
    stored = rows[-1].traceback + json.dumps([(r.return_value, r.args_kwargs) for r in rows])
    for secret in (ADDRESS, "quiet.patient", SUBJECT, "7731", "Notes"):
        assert secret not in logged
        assert secret not in stored  # the task's recorded error names no one either


def test_a_recipient_refused_for_good_is_not_retried(smtp, raw_log):
    smtp.refuse[ADDRESS] = ["550 5.1.1 No such user"]
    delivery = send_transactional(to=ADDRESS, subject=SUBJECT, text="Hello")
    assert deliver_queued_mail() == 1
    [row] = DBTaskResult.objects.all()
    assert row.status == "FAILED"
    assert raw_log.getvalue().strip() == (
        f"mail {delivery} not sent: SMTPRecipientsRefused (SMTP 550); attempt 1 of 8, giving up"
    )


def test_the_backoff_spreads_eight_attempts_over_about_a_day():
    waits = [tasks.retry_delay(attempt) for attempt in range(1, 8)]
    assert waits == [60, 240, 960, 3840, 15360, 28800, 28800]
    assert 20 * 3600 < sum(waits) < 24 * 3600


def test_a_queue_that_refuses_the_task_is_logged_and_the_signup_page_still_answers(
    client, settings, caplog
):
    # A misconfigured queue: the backend serves no queue the task is sent to.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["elsewhere"]}
    }
    settings.NEWSLETTER_IP_SALT = "test-salt"
    with caplog.at_level(logging.ERROR, logger="ketamine_association.core.mail"):
        response = client.post("/newsletter", {"email": ADDRESS, "first_name": "Pat"})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert DBTaskResult.objects.count() == 0
    [record] = caplog.records
    assert record.getMessage().endswith(" not queued: InvalidTaskError")
    assert ADDRESS not in record.getMessage()


def test_another_backend_is_a_setting_the_immediate_one_sends_at_the_commit(settings, smtp):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with transaction.atomic():
        send_transactional(to=ADDRESS, subject=SUBJECT, text="Hello")
        assert smtp.received == []
    [received] = smtp.received
    assert received.rcpt_tos == [ADDRESS] and received.message["Subject"] == SUBJECT
    assert DBTaskResult.objects.count() == 0  # nothing went through the database queue
