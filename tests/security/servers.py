"""A real server of the project on a free loopback port, for the tests whose answer depends on
how the server itself normalises a path or a header (granian in production, runserver in
development)."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.newsletter.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).with_name("granian")


def _command(kind: str, port: int, workers: int, threads: int | None) -> list[str]:
    if kind == "granian":
        threads_option = ["--blocking-threads", str(threads)] if threads else []
        return [
            str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), *threads_option, "--no-access-log",
            "config.wsgi:application",
        ]  # fmt: skip
    return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]


@contextlib.contextmanager
def running_server(
    kind: str,
    *,
    env: dict[str, str | None],
    inherit: bool = True,
    workers: int = 1,
    threads: int | None = None,
    log: Path | None = None,
) -> Iterator[int]:
    """Start `kind` ("granian" or "runserver") with `env` (added to this process's environment
    when `inherit`; a None value removes a variable), its output in `log`; yield its port once
    it answers HTTP."""
    port = free_port()
    merged = {**(os.environ if inherit else {}), "PYTHONUNBUFFERED": "1", **env}
    full_env = {name: value for name, value in merged.items() if value is not None}
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / f"{kind}.log"
        output = stack.enter_context(log.open("wb"))
        command = _command(kind, port, workers, threads)
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=output, stderr=output)
        try:
            deadline = time.monotonic() + 90
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(port: int) -> bool:
    """Any HTTP answer at all: the server is up (its status is the test's business)."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def raw_get(port: int, path: str, headers: dict[str, str] | None = None):
    """GET `path` exactly as written (no client-side normalisation); (status, headers, body),
    with the header names in lower case."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{port}", **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def local_child_env(database_url: str, smtp_port: int, var_dir: Path, **extra: str) -> dict:
    """The environment of a child process (a worker, a command) on the local settings, the
    test's database and a real SMTP server on loopback; `extra` adds settings."""
    drop = ("DJANGO_", "MAIL_", "NEWSLETTER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="0",
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        SITE_URL="https://ketamineassociation.test",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env
