"""50 patients send a consultation request at the same instant to a real granian server under
the production settings (5 workers × 10 threads): every one answers "sent", 50 requests are
stored (encrypted: the raw table holds no name), none is lost or doubled, and the worker
sends each owner notice and patient confirmation. On SQLite (the embedded file with WAL and
IMMEDIATE transactions) and, when DATABASE_URL names one, on PostgreSQL."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.mailqueue import worker_batch
from tests.newsletter.smtp import SmtpSink
from tests.security.servers import running_server
from tests.security.test_concurrent_writers import (
    ROOT,
    SERVER_ERRORS,
    THREADS,
    TOKEN,
    WORKERS,
    database,
    deploy,
    server_env,
)

PATIENTS = 50
SENT = "Your request was sent"

# Run in the server's environment: two demo listings with an owner (seed_providers gives one
# in twenty the demo clinics' owner), and afterwards what was stored, decrypted by the model.
SETUP = """
from django.core.management import call_command
from ketamine_association.practitioners.models import ListingOwner
call_command("seed_providers", "--count", "40", "--seed", "5", verbosity=0)
owned = ListingOwner.objects.select_related("provider").order_by("provider__id")
print(json.dumps([o.provider.slug for o in owned if o.provider.accepting_new_patients]))
"""
STORED = """
from ketamine_association.consultations.models import ConsultationRequest as R
print(json.dumps(sorted([r.name, r.email, r.provider.slug] for r in R.objects.all())))
"""


def manage_shell(env: dict[str, str], code: str) -> object:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", "import json\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def form(email: str, name: str) -> dict[str, str | list[str]]:
    return {
        "in_crisis": "no",
        "name": name,
        "email": email,
        "contact_method": "email",
        "contact_times": ["evening"],
        "state": "TX",
        "treatment": "kap",
        "for_whom": "self",
        "payment": "self-pay",
        "consent": "on",
        "website": "",
    }


def send_together(port: int, jobs: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    """Each patient loads the form (its own CSRF cookie and token), then all post at once."""
    ready = threading.Barrier(len(jobs))
    results: list[tuple[int, str] | None] = [None] * len(jobs)

    def patient(index: int, path: str, data: dict) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", path)
            page = connection.getresponse()
            html = page.read().decode()
            cookie = page.getheader("Set-Cookie").split(";", 1)[0]
            body = urlencode({"csrfmiddlewaretoken": TOKEN.search(html)[1], **data}, doseq=True)
            ready.wait(timeout=120)
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            connection.request("POST", path, body=body, headers=headers)
            answer = connection.getresponse()
            results[index] = (answer.status, answer.read().decode())
        except Exception as exc:  # a patient whose request broke is an error of the run
            results[index] = (0, repr(exc))
            ready.abort()

    threads = [
        threading.Thread(target=patient, args=(n, path, data))
        for n, (path, data) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return [r if r is not None else (0, "no answer") for r in results]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_fifty_simultaneous_requests_are_all_stored_once(engine, tmp_path: Path):
    with SmtpSink() as smtp, database(engine, tmp_path) as (url, _where):
        env = server_env(tmp_path, smtp.port, url)
        env.update(CONSULTATION_RATE_PER_IP="1000", CONSULTATION_RATE_PER_PROVIDER="1000")
        deploy(env)
        slugs = manage_shell(env, SETUP)
        assert len(slugs) >= 2, slugs
        patients = [(f"patient-{n:02d}@example.org", f"Patient Number{n:02d}") for n in range(50)]
        jobs = [
            (f"/providers/{slugs[n % len(slugs)]}/request", form(email, name))
            for n, (email, name) in enumerate(patients)
        ]
        log = tmp_path / "granian.log"
        with running_server(
            "granian", env=env, inherit=False, workers=WORKERS, threads=THREADS, log=log
        ) as port:
            answers = send_together(port, jobs)
        output = log.read_text(errors="replace")

        failed = [(s, b[-300:]) for s, b in answers if s != 200 or SENT not in b]
        assert not failed, f"{len(failed)} of {PATIENTS} requests failed: {failed[:3]}"
        assert not [word for word in SERVER_ERRORS if word in output], output[-3000:]
        assert "Patient Number" not in output  # nothing of a request in the server's log
        stored = manage_shell(env, STORED)
        expected = sorted(
            [name, email, slugs[n % len(slugs)]] for n, (email, name) in enumerate(patients)
        )
        assert stored == expected  # 50, each once, each to its provider
        worker = worker_batch(env)
        assert worker.returncode == 0, worker.stderr[-3000:]
        counts = smtp.recorder.counts()
        assert sorted(email for email, _ in patients) == sorted(
            address for address in counts if address.startswith("patient-")
        )
        assert sum(counts.values()) == 2 * PATIENTS  # a confirmation and an owner notice each
