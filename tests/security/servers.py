"""A real server of the project on a free loopback port, for the tests whose answer depends on
how the server itself normalises a path or a header (granian in production, runserver in
development)."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).with_name("granian")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(kind: str, port: int) -> list[str]:
    if kind == "granian":
        return [
            str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "config.wsgi:application",
        ]  # fmt: skip
    return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]


@contextlib.contextmanager
def running_server(kind: str, *, env: dict[str, str | None]) -> Iterator[int]:
    """Start `kind` ("granian" or "runserver") with `env` added (a None value removes the
    variable); yield its port."""
    port = free_port()
    merged = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    full_env = {name: value for name, value in merged.items() if value is not None}
    process = subprocess.Popen(
        _command(kind, port),
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{kind} did not start: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
