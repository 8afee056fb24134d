"""Security checklist, 50 concurrent writers with 0 errors and 0 lost rows: a real granian
server under the production settings, with 50 request threads (5 workers × 10 threads), takes
50 newsletter signups posted at the same instant by 50 clients, and every one of them answers
200 with every row stored: 50 subscribers, 50 consent events, 50 confirmation emails received
by a real SMTP server.

On SQLite this is the embedded file database with the project's own options (WAL, IMMEDIATE
transactions, a busy timeout: config/settings/base.py sqlite_options), which is where
concurrent writers fail with "database is locked" when those options are missing. The same
test runs on PostgreSQL when DATABASE_URL names a PostgreSQL server, in a database of its own.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import sqlite3
import string
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet

from tests.mailqueue import worker_batch
from tests.newsletter.smtp import SmtpSink

from .servers import running_server

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 50
WORKERS, THREADS = 5, 10
SETTINGS = "config.settings.production"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVER_ERRORS = ("Traceback", "database is locked", "OperationalError", "Internal Server Error")


def server_env(tmp_path: Path, smtp_port: int, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        SECRET_KEY="".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60)),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://ketamineassociation.test",
        SECURE_SSL_REDIRECT="0",
        VAR_DIR=str(tmp_path / "var"),
        CACHE_URL=os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        NEWSLETTER_RATE_PER_IP=str(10 * WRITERS),  # one address, 50 clients: not a flood
        NEWSLETTER_IP_SALT=uuid.uuid4().hex,
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def sign_up_together(port: int, emails: list[str]) -> list[tuple[int, str]]:
    """Each client loads the form (its own CSRF cookie and token), then all post at once."""
    ready = threading.Barrier(len(emails))
    results: list[tuple[int, str] | None] = [None] * len(emails)

    def client(index: int, email: str) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", "/newsletter")
            page = connection.getresponse()
            html = page.read().decode()
            cookie = page.getheader("Set-Cookie").split(";", 1)[0]
            token = TOKEN.search(html)[1]
            body = f"csrfmiddlewaretoken={token}&email={email}"
            ready.wait(timeout=120)
            connection.request(
                "POST",
                "/newsletter",
                body=body,
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            answer = connection.getresponse()
            results[index] = (answer.status, answer.read().decode())
        except Exception as exc:  # a client that broke is an error of the run
            results[index] = (0, repr(exc))
            ready.abort()

    threads = [threading.Thread(target=client, args=pair) for pair in enumerate(emails)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return [r if r is not None else (0, "no answer") for r in results]


def deploy(env: dict[str, str]) -> None:
    """What a deployment runs before it starts the server."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server DATABASE_URL names, dropped afterwards."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL: run with DATABASE_URL=postgres://… to test it there too")
    name = f"ka_writers_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored(engine: str, database: str) -> tuple[set[str], int, str]:
    """(subscriber emails, requested consent events, journal mode or server version)."""
    emails = "SELECT email FROM newsletter_subscriber"
    events = "SELECT count(*) FROM newsletter_consentevent WHERE kind = 'requested'"
    if engine == "sqlite":
        with contextlib.closing(sqlite3.connect(database)) as connection:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            return (
                {row[0] for row in connection.execute(emails)},
                connection.execute(events).fetchone()[0],
                mode,
            )
    import psycopg

    with psycopg.connect(database) as connection:
        return (
            {row[0] for row in connection.execute(emails)},
            connection.execute(events).fetchone()[0],
            connection.execute("SHOW server_version").fetchone()[0],
        )


@contextlib.contextmanager
def database(engine: str, tmp_path: Path) -> Iterator[tuple[str | None, str]]:
    """(DATABASE_URL for the server or None for the default SQLite file, what to read)."""
    if engine == "sqlite":
        yield None, str(tmp_path / "var" / "db.sqlite3")  # VAR_DIR/db.sqlite3, base.py's default
    else:
        with postgres_database() as url:
            yield url, url


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_fifty_concurrent_signups_lose_nothing(engine, tmp_path):
    emails = [f"writer-{n:02d}@example.org" for n in range(WRITERS)]
    with SmtpSink() as smtp, database(engine, tmp_path) as (url, where):
        env = server_env(tmp_path, smtp.port, url)
        deploy(env)
        log = tmp_path / "granian.log"
        with running_server(
            "granian", env=env, inherit=False, workers=WORKERS, threads=THREADS, log=log
        ) as port:
            started = time.monotonic()
            answers = sign_up_together(port, emails)
            elapsed = time.monotonic() - started
        output = log.read_text(errors="replace")

        failures = [
            (email, status, body[-300:])
            for email, (status, body) in zip(emails, answers, strict=True)
            if status != 200 or "Check your inbox" not in body
        ]
        causes = sorted({line for line in output.splitlines() if "Error:" in line})
        assert not failures, f"{len(failures)} of {WRITERS} signups failed: {causes or failures}"
        assert not [word for word in SERVER_ERRORS if word in output], output[-3000:]
        subscribers, events, detail = stored(engine, where)
        assert subscribers == set(emails), set(emails) - subscribers
        assert events == WRITERS
        if engine == "sqlite":
            assert detail == "wal"
        # The confirmation emails wait in the task queue: a real worker sends them.
        worker = worker_batch(env)
        assert worker.returncode == 0, worker.stderr[-3000:]
        assert sorted(smtp.recorder.counts()) == emails
        print(f"{engine}: {WRITERS} concurrent signups in {elapsed:.1f} s ({detail})")
