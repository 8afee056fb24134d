"""A sender killed with SIGKILL mid-campaign and started again delivers every message exactly
once, counted by recipient at the SMTP server. Runs `manage.py send_campaigns` in a child
process against a file SQLite database, or against the PostgreSQL test database when the
suite runs on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.security.servers import local_child_env

from .smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 60
KILL_AT = 23


# transaction=True: on PostgreSQL the children write to the test database itself, committed,
# and the flush after the test empties it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_url(tmp_path) -> str:
    """A database the child processes share with nothing else."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{tmp_path / 'crash.sqlite3'}"


def child_env(database_url: str, smtp_port: int, var_dir: Path) -> dict[str, str]:
    return local_child_env(
        database_url, smtp_port, var_dir, NEWSLETTER_SEND_RATE="0", NEWSLETTER_BATCH_SIZE="10"
    )


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


SEND = ["manage.py", "send_campaigns"]
CHILD = ["-m", "tests.newsletter.crash_child"]


@pytest.mark.parametrize("kill_point", ["message-received", "mid-transaction"])
def test_sigkill_mid_campaign_then_restart_delivers_each_message_once(
    database_url, tmp_path, kill_point
):
    with SmtpSink() as sink:
        env = child_env(database_url, sink.port, tmp_path)
        seeded = run([*CHILD, "seed", str(RECIPIENTS)], env)
        assert seeded.returncode == 0, seeded.stderr

        sender = subprocess.Popen(
            [sys.executable, *SEND], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        recorder = sink.recorder

        def kill(count: int) -> None:
            if count == KILL_AT and sender.returncode is None:
                os.kill(sender.pid, signal.SIGKILL)
                sender.wait()

        if kill_point == "message-received":
            # The server holds message 23 and the sender waits for its reply: the classic
            # window where "send, then mark" would send it again after a restart.
            recorder.on_data = kill
        else:
            # The sender is inside the SMTP transaction of message 24 (RCPT sent).
            original = recorder.handle_RCPT

            async def handle_rcpt(server, session, envelope, address, options):
                kill(len(recorder.received))
                return await original(server, session, envelope, address, options)

            recorder.handle_RCPT = handle_rcpt
        sender.communicate(timeout=120)
        assert sender.returncode == -signal.SIGKILL
        recorder.on_data = None
        assert len(recorder.received) == KILL_AT

        restarted = run(SEND, env)
        assert restarted.returncode == 0, restarted.stderr

        counts = recorder.counts()
        assert len(counts) == RECIPIENTS
        assert set(counts.values()) == {1}, [a for a, n in counts.items() if n > 1]
        report = json.loads(run([*CHILD, "report"], env).stdout)
        assert report == {"states": {"sent": RECIPIENTS}, "campaigns": ["sent"]}
