"""Run the mail queue for real inside a test: what the commit and the task worker would do.

Transactional mail leaves through the task queue once the transaction commits (core/mail.py).
A pytest-django test runs in a transaction that is rolled back, never committed, so
`deliver_queued_mail()` first runs the mail queue's commit callbacks (what the commit would
have run), then the database worker's own code (django_tasks_db's Worker.run_task on each
claimed task) until no task is ready; a retry scheduled for later stays queued, as it would.

tests/conftest.py calls it after every request of Django's test client, as a prompt worker
would; a test that calls a service directly, or drives the live server, calls it itself.
The worker *process* (`manage.py db_worker`) is tested in tests/core/test_mail_queue.py."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.db import connections, transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ketamine_association.core.mail import enqueue_delivery

ROOT = Path(__file__).resolve().parents[1]
WORKER_ID = "pytest-in-process"


def is_mail_callback(func) -> bool:
    return getattr(func, "func", None) is enqueue_delivery


def commit_mail_callbacks(using: str = "default") -> int:
    """Run the queued-mail callbacks waiting for the test transaction's commit; leave others."""
    connection = connections[using]
    ran = 0
    while True:
        pending = [entry for entry in connection.run_on_commit if is_mail_callback(entry[1])]
        if not pending:
            return ran
        connection.run_on_commit = [e for e in connection.run_on_commit if e not in pending]
        for _savepoints, func, _robust in pending:
            func()
            ran += 1


def deliver_queued_mail(using: str = "default", limit: int = 1000) -> int:
    """Commit the queued mail, then run every ready task as `db_worker --batch` would.
    Returns the number of tasks run."""
    commit_mail_callbacks(using)
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=WORKER_ID,
        excluded_queue_names=[],
    )
    for ran in range(limit):
        # Worker.run() would also close "old" connections, which inside a test's transaction
        # would end it; the claim below is its own, line for line.
        with transaction.atomic(using=using):
            task = DBTaskResult.objects.using(using).ready().filter(backend_name="default")
            task = task.get_locked()
            if task is None:
                return ran
            task.claim(worker.worker_id)
        worker.run_task(task)
    raise RuntimeError(f"the mail queue still has ready tasks after {limit}")


@contextlib.contextmanager
def running_worker(*, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`manage.py db_worker` in a child process with exactly `env`, its output in `log`;
    stopped with SIGTERM (its graceful stop) when the block ends."""
    command = [
        sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
        "--interval", "0.2",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_batch(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py db_worker --batch` in a child process with `env`: runs every ready task,
    then exits. The caller asserts on its return code."""
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
