"""Newsletter sending benchmark: messages/s for a 10,000-recipient campaign sent by one
`manage.py send_campaigns` process to a local SMTP sink (aiosmtpd), then the same campaign
again with the sender killed (SIGKILL) at 50 % and restarted: every recipient must have
exactly one message.

    .venv/bin/python bench/newsletter.py          # 10,000 recipients
    BENCH_QUICK=1 .venv/bin/python bench/newsletter.py   # 2,000

The kill happens when the sink has received half of the messages, inside its handling of
that message, before it answers: the sender is waiting for the reply to a message the server
already holds, the moment where "send, then mark as sent" would send it again.
BENCH_NEWSLETTER_KILL=async kills from another thread instead, at whatever point the sender
has reached. Figures go to stdout and bench/out/newsletter.json; nothing asserts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from run import env_flag  # bench/run.py, beside this file

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = ROOT / ".venv" / "bin" / "python"
QUICK = env_flag("BENCH_QUICK")
RECIPIENTS = 2_000 if QUICK else 10_000
KILL_MODE = os.environ.get("BENCH_NEWSLETTER_KILL", "data")
BATCH = os.environ.get("BENCH_NEWSLETTER_BATCH", "100")
GOAL = 300.0  # messages/s with one sender
SCRUBBED_ENV = ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "VAR_DIR", "DEBUG")

SEED = """
import sys
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from ketamine_association.newsletter.models import Campaign, Subscriber
call_command("migrate", verbosity=0)
count = int(sys.argv[1])
Subscriber.objects.bulk_create(
    (Subscriber(email=f"r{n:06d}@example.org", status="confirmed") for n in range(count)),
    batch_size=2000,
)
Campaign.objects.create(
    subject="Benchmark issue",
    body_markdown="# This month\\n\\nThree new studies, [explained](/blog).\\n\\n" + "Text. " * 150,
    status="scheduled",
    scheduled_at=timezone.now(),
)
"""


class Sink:
    """Counts accepted messages per recipient; can call back on the n-th message."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.total = 0
        self.first = self.last = 0.0
        self.on_message = None
        self.size = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.total += 1
            self.size = len(envelope.content)
            self.counts.update(envelope.rcpt_tos)
            now = time.perf_counter()
            self.first = self.first or now
            self.last = now
            total = self.total
        if self.on_message is not None:
            self.on_message(total)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="0",
        VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        SITE_URL="https://ketamineassociation.example",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        NEWSLETTER_SEND_RATE="0",
        NEWSLETTER_BATCH_SIZE=BATCH,
    )
    return env


def seed(env: dict) -> None:
    subprocess.run(
        [PYTHON, "-c", SEED, str(RECIPIENTS)], cwd=ROOT, env=env, check=True, timeout=600
    )


SEND = [str(PYTHON), "manage.py", "send_campaigns"]


ANCHOR_CLIENT = """
import smtplib, socket, sys, time
port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
head = b"From: a@example.org\\r\\nTo: b@example.org\\r\\nSubject: x\\r\\n\\r\\n"
data = head + (b"x" * 70 + b"\\r\\n") * (size // 72)
smtp = smtplib.SMTP("127.0.0.1", port)
smtp.ehlo()
smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
started = time.perf_counter()
for n in range(count):
    smtp.mail("a@example.org")
    smtp.rcpt(f"anchor{n}@example.org")
    smtp.docmd("data")
    smtp.send(data)
    smtp.send(b".\\r\\n")
    smtp.getreply()
print(count / (time.perf_counter() - started))
"""


def anchor_run(size: int) -> float:
    """The sink's ceiling: a bare smtplib client sending prebuilt messages of the same size,
    the same four round trips a message, with no database, no MIME and no links."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        count = min(RECIPIENTS, 5_000)
        result = subprocess.run(
            [PYTHON, "-c", ANCHOR_CLIENT, str(port), str(count), str(size)],
            check=True,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    finally:
        controller.stop()
    return round(float(result.stdout), 1)


def clean_run() -> dict:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-newsletter-") as tmp:
            env = child_env(Path(tmp), port)
            seed(env)
            started = time.perf_counter()
            subprocess.run(SEND, cwd=ROOT, env=env, check=True, capture_output=True, timeout=3600)
            wall = time.perf_counter() - started
    finally:
        controller.stop()
    steady = sink.last - sink.first
    return {
        "recipients": RECIPIENTS,
        "delivered": len(sink.counts),
        "duplicates": sum(n - 1 for n in sink.counts.values()),
        "seconds_command": round(wall, 2),
        "msgs_per_s_command": round(sink.total / wall, 1),
        "msgs_per_s_steady": round((sink.total - 1) / steady, 1) if steady else None,
        "message_bytes": sink.size,
    }


def killed_run() -> dict:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    half = RECIPIENTS // 2
    try:
        with tempfile.TemporaryDirectory(prefix="bench-newsletter-") as tmp:
            env = child_env(Path(tmp), port)
            seed(env)
            started = time.perf_counter()
            sender = subprocess.Popen(
                SEND, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            reached = threading.Event()

            def on_message(total: int) -> None:
                if total == half:
                    if KILL_MODE == "data":
                        os.kill(sender.pid, signal.SIGKILL)
                    reached.set()

            sink.on_message = on_message
            if KILL_MODE != "data":
                reached.wait(timeout=3600)
                os.kill(sender.pid, signal.SIGKILL)
            sender.wait(timeout=3600)
            killed_at = sink.total
            sink.on_message = None
            restarted = time.perf_counter()
            subprocess.run(SEND, cwd=ROOT, env=env, check=True, capture_output=True, timeout=3600)
            finished = time.perf_counter()
    finally:
        controller.stop()
    remaining = sink.total - killed_at
    return {
        "recipients": RECIPIENTS,
        "kill": KILL_MODE,
        "received_before_kill": killed_at,
        "sender_exit": sender.returncode,
        "delivered": len(sink.counts),
        "duplicates": sum(n - 1 for n in sink.counts.values()),
        "missing": RECIPIENTS - len(sink.counts),
        "seconds_total": round(finished - started, 2),
        "msgs_per_s_restart": round(remaining / (finished - restarted), 1),
    }


def main() -> None:
    load = os.getloadavg()[0]
    print(
        f"newsletter bench: {RECIPIENTS:,} recipients, one sender, batch {BATCH}, "
        f"load average {load:.2f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    clean = clean_run()
    verdict = "met" if clean["msgs_per_s_command"] >= GOAL else "NOT met"
    print(
        f"  clean run:  {clean['msgs_per_s_command']:>7.1f} msg/s (whole command, "
        f"{clean['seconds_command']} s), {clean['msgs_per_s_steady']} msg/s steady; "
        f"goal ≥ {GOAL:.0f}/s {verdict}; {clean['delivered']:,} delivered, "
        f"{clean['duplicates']} duplicates",
        flush=True,
    )
    anchor = anchor_run(clean["message_bytes"])
    print(
        f"  anchor:     {anchor:>7.1f} msg/s: a bare smtplib client, prebuilt messages of the "
        f"same size, to the same sink (no database, no MIME); ours/anchor "
        f"{clean['msgs_per_s_steady'] / anchor:.2f}",
        flush=True,
    )
    killed = killed_run()
    exact = killed["delivered"] == RECIPIENTS and killed["duplicates"] == 0
    print(
        f"  killed at 50 % ({killed['kill']}): {killed['received_before_kill']:,} before the "
        f"SIGKILL, restart {killed['msgs_per_s_restart']:.1f} msg/s; "
        f"{killed['delivered']:,} delivered, {killed['duplicates']} duplicates, "
        f"{killed['missing']} missing: {'exactly once' if exact else 'NOT exactly once'}",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    result = {
        "load_average": load,
        "clean": clean,
        "anchor_msgs_per_s": anchor,
        "killed": killed,
        "goal_msgs_per_s": GOAL,
    }
    (OUT / "newsletter.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
