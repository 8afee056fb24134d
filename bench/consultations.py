"""Consultation requests benchmark (issue 15): requests stored per second through the whole
HTTP path with field encryption, beside the same server code with encryption replaced by the
identity (bench/plain_wsgi.py), in the same run; then the purge of 100,000 expired requests.

    .venv/bin/python bench/consultations.py
    BENCH_QUICK=1 .venv/bin/python bench/consultations.py   # 500 requests a run, 10,000 purged

1. granian (run.py's command line, 2 workers) with config.settings.production, a fresh SQLite
   database for each run (a copy of one seeded site: migrate, seed_providers, the owned demo
   listings set to accept new patients, collectstatic), Redis for the rate-limit counters.
   Client threads, each with its own connection and CSRF cookie (one GET of a form page, not
   timed), POST the profile form /providers/<slug>/request with a new email address each,
   round-robin over the listings that accept requests. Rounds of two runs: plain then
   encrypted, encrypted then plain, ...; the medians are compared. Stored rows are counted in
   the database after each run.
2. purge_expired(now=...) timed alone in a child process, on SQLite and on PostgreSQL when one
   answers, over EXPIRED requests past retention (bulk_create, encrypted as normal) plus
   1,000 that are not, which must remain.

Figures go to stdout and bench/out/consultations.json; nothing asserts. See README.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from cryptography.fernet import Fernet
from load import Client  # bench/load.py, beside this file
from run import (  # bench/run.py, beside this file
    OUT,
    PYTHON,
    ROOT,
    SERVER_WORKERS,
    Server,
    child_env,
    env_flag,
    free_port,
    git_head,
    granian_cmd,
    manage,
    postgres_database,
    redis_reachable,
    tool_version,
)

QUICK = env_flag("BENCH_QUICK")
KEEP = env_flag("BENCH_KEEP")
REQUESTS = int(os.environ.get("BENCH_CONSULTATIONS_REQUESTS", 500 if QUICK else 2_000))
ROUNDS = int(os.environ.get("BENCH_CONSULTATIONS_ROUNDS", 2 if QUICK else 3))
THREADS = int(os.environ.get("BENCH_CONSULTATIONS_THREADS", 8))
WARM_UP = 2  # untimed POSTs per client thread before the clock starts
SEEDED = 1_000  # demo providers; every 20th gets the demo owner (practitioners/services/demo.py)
EXPIRED = int(os.environ.get("BENCH_CONSULTATIONS_EXPIRED", 10_000 if QUICK else 100_000))
KEPT = 1_000
# Redis database of its own (run.py 15, blog.py 14, load.py 13): flushed before each run.
REDIS_URL = os.environ.get("BENCH_CONSULTATIONS_REDIS_URL", "redis://127.0.0.1:6379/12")
PG_URL = os.environ.get(
    "BENCH_CONSULTATIONS_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_consultations"
)
GOAL_RATIO = 0.8  # encrypted / plain requests stored per second
TABLE = "consultations_consultationrequest"
SENT_MARK = b"Your request was sent"
BENCH_DIR = Path(__file__).resolve().parent
PLAIN_APP = "plain_wsgi:application"  # bench/plain_wsgi.py, on PYTHONPATH for that variant

# Run once in the seeded site: the owned demo listings accept new patients; their slugs.
ACCEPTING = """
import json
import django
django.setup()
from ketamine_association.consultations.selectors import providers_accepting_requests
from ketamine_association.directory.models import Provider
Provider.objects.filter(owner__isnull=False).update(accepting_new_patients=True)
accepting = providers_accepting_requests().order_by("pk")
print(json.dumps(list(accepting.values_list("slug", flat=True))))
"""

# The purge, timed alone: argv = expired, kept. Prints one JSON line.
PURGE = r"""
import datetime as dt
import io
import json
import sys
import time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from ketamine_association.consultations.choices import AccessKind, RequestStatus
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.consultations.services.requests import contact_digest
from ketamine_association.consultations.services.retention import purge_expired
from ketamine_association.directory.models import Provider
from django.conf import settings

expired, kept = int(sys.argv[1]), int(sys.argv[2])
call_command("migrate", verbosity=0)
call_command("seed_providers", count=50, seed=1, stdout=io.StringIO(), stderr=io.StringIO())
providers = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
now = timezone.now()
day = dt.timedelta(days=1)
after_finished = settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED
after_created = settings.CONSULTATION_RETENTION_DAYS
CLOSED = (RequestStatus.BOOKED, RequestStatus.NOT_A_FIT, RequestStatus.CLOSED)


def row(n, *, old):
    # Half never finished (expired: created past CONSULTATION_RETENTION_DAYS), half finished
    # (expired: finished past ..._AFTER_FINISHED days, created within the other limit).
    if n % 2:
        created = now - (after_created + 1 + n % 150) * day if old else now - (1 + n % 150) * day
        status, finished = RequestStatus.NEW if n % 4 == 1 else RequestStatus.CONTACTED, None
    else:
        back = (after_finished + 1 + n % 20) if old else (n % after_finished)
        finished = now - back * day - dt.timedelta(minutes=1)
        created = finished - (n % 60) * day
        status = CLOSED[n % 3]
    return ConsultationRequest(
        provider_id=providers[n % len(providers)],
        created_at=created,
        status=status,
        status_changed_at=finished or created,
        finished_at=finished,
        submission="00000000-0000-4000-8000-%012d" % n,
        name=f"Bench Patient {n}",
        email=f"purge-{n}@example.org",
        phone="(555) 555-%04d" % (n % 10000),
        contact_method="email",
        contact_times="morning,evening",
        state="TX",
        treatment="iv-infusion",
        for_whom="self",
        payment="self-pay",
        note="Mornings are best. Thank you for getting back to me." if n % 3 else "",
        in_crisis="no",
        consent_text="I agree that Dr Bench may contact me about this request. " * 3,
        consented_at=created,
        contact_digest=contact_digest(email=f"purge-{n}@example.org", phone=""),
    )


started = time.perf_counter()
chunk = 5000
for old, total, offset in ((True, expired, 0), (False, kept, expired)):
    for start in range(0, total, chunk):
        rows = [row(offset + n, old=old) for n in range(start, min(total, start + chunk))]
        made = ConsultationRequest.objects.bulk_create(rows, batch_size=1000)
        # Every 10th request was opened once: its access-log row goes with it.
        RequestAccess.objects.bulk_create(
            [RequestAccess(request_id=r.pk, provider_id=r.provider_id, kind=AccessKind.OPENED,
                           at=r.created_at) for r in made[::10]],
            batch_size=1000,
        )
insert_seconds = time.perf_counter() - started
access_before = RequestAccess.objects.count()
with connection.cursor() as cursor:
    cursor.execute("SELECT name FROM consultations_consultationrequest LIMIT 1")
    sample = cursor.fetchone()[0]
started = time.perf_counter()
deleted = purge_expired(now=now)
seconds = time.perf_counter() - started
remaining = set(ConsultationRequest.objects.values_list("pk", flat=True))
print(json.dumps({
    "vendor": connection.vendor,
    "inserted": expired + kept,
    "insert_seconds": round(insert_seconds, 2),
    "encrypted_at_rest": sample.startswith("gAAAAA"),
    "access_rows_before": access_before,
    "deleted": deleted,
    "seconds": round(seconds, 3),
    "remaining": len(remaining),
    "kept_all_remain": len(remaining) == kept and ConsultationRequest.objects.filter(
        created_at__gte=now - after_created * day).count() == kept,
    "access_rows_after": RequestAccess.objects.count(),
    "access_rows_orphaned": RequestAccess.objects.exclude(request_id__in=remaining).count(),
}))
"""


def log(message: str) -> None:
    print(f"[bench consultations] {message}", flush=True)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


# --------------------------------------------------------------------------- 1. the form


def site_env(var_dir: Path, port: int, secret: str, key: str) -> dict[str, str]:
    return dict(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secret,
        FIELD_ENCRYPTION_KEYS=key,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        VAR_DIR=str(var_dir),
        CACHE_URL=REDIS_URL,
        CONSULTATION_RATE_PER_IP="1000000000",
        CONSULTATION_RATE_PER_PROVIDER="1000000000",
    )


def prepare_site(var_dir: Path, site: dict[str, str]) -> list[str]:
    """The seeded site every run copies: migrate, providers, owners accepting, static files."""
    settings = site["DJANGO_SETTINGS_MODULE"]
    extra = {k: v for k, v in site.items() if k not in ("VAR_DIR", "DJANGO_SETTINGS_MODULE")}
    manage(var_dir, "migrate", "--noinput", "-v0", settings=settings, **extra)
    manage(var_dir, "seed_providers", "--count", str(SEEDED), "--seed", "1", settings=settings,
           **extra)  # fmt: skip
    manage(var_dir, "collectstatic", "--noinput", "-v0", settings=settings, **extra)
    proc = subprocess.run(
        [str(PYTHON), "-c", ACCEPTING],
        env=child_env(**site),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"setting the owned listings to accept failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def form_data(token: str, email: str, n: int) -> str:
    return urlencode(
        [
            ("csrfmiddlewaretoken", token),
            ("in_crisis", "no"),
            ("name", f"Bench Patient {n}"),
            ("email", email),
            ("phone", "(555) 555-0100"),
            ("contact_method", "email"),
            ("contact_times", "morning"),
            ("contact_times", "evening"),
            ("state", "TX"),
            ("treatment", "iv-infusion"),
            ("for_whom", "self"),
            ("payment", "self-pay"),
            ("note", "Mornings are best. Thank you for getting back to me."),
            ("consent", "on"),
            ("website", ""),
        ]
    )


def csrf_pair(client: Client, path: str) -> tuple[str, str]:
    status, headers, body = client.request("GET", path)
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not cookie or not token:
        raise RuntimeError(f"GET {path} answered {status} without a CSRF cookie and token")
    return cookie.group(1), token.group(1).decode()


def drive(port: int, slugs: list[str], label: str) -> dict:
    """THREADS clients POST REQUESTS forms in all, round-robin over `slugs`; timed from the
    moment every client holds its CSRF cookie and token to the last answer."""
    origin = f"https://127.0.0.1:{port}"

    def post_headers(cookie: str, path: str) -> dict[str, str]:
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": origin,
            "Referer": f"{origin}{path}",
        }

    results = [None] * THREADS
    ready = threading.Barrier(THREADS + 1)
    go = threading.Event()

    def worker(t: int) -> None:
        client = Client(port)
        statuses: dict[str, int] = {}
        latencies, sent, warmed = [], 0, 0
        try:
            cookie, token = csrf_pair(client, f"/providers/{slugs[t % len(slugs)]}/request")
            for n in range(WARM_UP):  # untimed: each worker's first POST costs pay here
                path = f"/providers/{slugs[(t + n) % len(slugs)]}/request"
                body = form_data(token, f"bench-{label}-warm-{t}-{n}@example.org", n)
                status, _, answer = client.request(
                    "POST", path, body=body, headers=post_headers(cookie, path)
                )
                if status != 200 or SENT_MARK not in answer:
                    raise RuntimeError(f"a warm-up POST answered {status}: {answer[:200]!r}")
                warmed += 1
        except Exception as exc:  # noqa: BLE001 - reported, the others go on
            results[t] = {"error": str(exc)[:300], "statuses": {}, "latencies": [], "sent": 0}
            results[t]["warmed"] = warmed
            ready.wait()
            return
        ready.wait()
        go.wait()
        for n in range(t, REQUESTS, THREADS):
            path = f"/providers/{slugs[n % len(slugs)]}/request"
            body = form_data(token, f"bench-{label}-{n}@example.org", n)
            started = time.perf_counter()
            try:
                status, _, answer = client.request(
                    "POST", path, body=body, headers=post_headers(cookie, path)
                )
            except Exception as exc:  # noqa: BLE001 - counted as an error
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
            key = str(status)
            if status == 200 and SENT_MARK in answer:
                sent += 1
            elif status == 200:
                key = "200 not sent"
            statuses[key] = statuses.get(key, 0) + 1
        client.close()
        results[t] = {
            "statuses": statuses,
            "latencies": latencies,
            "sent": sent,
            "warmed": warmed,
        }

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for result in results:
        for key, value in result["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
    latencies = sorted(x for r in results for x in r["latencies"])
    sent = sum(r["sent"] for r in results)
    warmed = sum(r["warmed"] for r in results)
    errors = [r["error"] for r in results if "error" in r]
    return {
        "seconds": round(seconds, 3),
        "sent": sent,
        "warm_up_sent": warmed,
        "stored_per_s": round(sent / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None,
        "other_answers": {k: v for k, v in statuses.items() if k != "200"},
        "client_errors": errors,
    }


def stored_rows(var_dir: Path) -> tuple[int, int]:
    """Rows in the request table and how many of them hold a Fernet token as the name."""
    with sqlite3.connect(var_dir / "db.sqlite3") as db:
        return db.execute(
            f"SELECT count(*), coalesce(sum(name LIKE 'gAAAAA%'), 0) FROM {TABLE}"  # noqa: S608
        ).fetchone()


def one_run(variant: str, template: Path, tmp: Path, n: int, secret: str, key: str, slugs):
    var_dir = tmp / f"run-{n}-{variant}"
    shutil.copytree(template, var_dir)
    port = free_port()
    env = child_env(**site_env(var_dir, port, secret, key))
    cmd = granian_cmd(port)
    if variant == "plain":
        cmd[-1] = PLAIN_APP
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))
    if redis_reachable(REDIS_URL):
        flush_redis()
    log_path = tmp / f"granian-{n}-{variant}.log"
    with Server(f"granian ({variant})", cmd, env=env, log_path=log_path) as server:
        status, _ = server.wait_ready(port, f"/providers/{slugs[0]}/request")
        if status != 200:
            raise RuntimeError(f"{variant}: the form page answered {status}")
        log(f"run {n} {variant}: {REQUESTS:,} requests, {THREADS} client threads")
        row = drive(port, slugs, f"{n}{variant}")
        row["server_rss_mb"] = round(server.rss_mb(), 1)
    row["variant"] = variant
    row["stored"], row["ciphertext_rows"] = stored_rows(var_dir)
    log_text = log_path.read_text(errors="replace")
    row["server_tracebacks"] = log_text.count("Traceback")
    if not KEEP:
        shutil.rmtree(var_dir, ignore_errors=True)
    return row


def bench_form(tmp: Path) -> dict:
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
    key = Fernet.generate_key().decode()
    template = tmp / "site"
    log(f"prepare the site in {template} (production settings, SQLite, {SEEDED:,} providers)")
    started = time.perf_counter()
    slugs = prepare_site(template, site_env(template, 0, secret, key))
    log(f"site ready in {time.perf_counter() - started:.0f} s: {len(slugs)} listings accept")
    if not slugs:
        raise RuntimeError("no listing accepts requests after seeding")
    runs = []
    for n in range(1, ROUNDS + 1):
        # plain, encrypted, encrypted, plain, ...: a load that drifts during the run (other jobs
        # on the machine) favours neither variant.
        order = ("plain", "encrypted") if n % 2 else ("encrypted", "plain")
        for variant in order:
            runs.append(one_run(variant, template, tmp, n, secret, key, slugs))
    medians = {
        v: statistics.median(r["stored_per_s"] for r in runs if r["variant"] == v)
        for v in ("plain", "encrypted")
    }
    ratio = round(medians["encrypted"] / medians["plain"], 3) if medians["plain"] else None
    # Each round's two runs are next to each other in time: their ratio is less exposed to a
    # load that drifts over the whole run (other jobs on the machine).
    pairs = [
        {a["variant"]: a["stored_per_s"], b["variant"]: b["stored_per_s"]}
        for a, b in zip(runs[::2], runs[1::2], strict=True)
    ]
    rounds = [round(pair["encrypted"] / pair["plain"], 3) for pair in pairs]
    return {
        "providers_accepting": len(slugs),
        "providers_seeded": SEEDED,
        "requests_per_run": REQUESTS,
        "client_threads": THREADS,
        "server": f"granian --interface wsgi --workers {SERVER_WORKERS}",
        "runs": runs,
        "median_plain_per_s": medians["plain"],
        "median_encrypted_per_s": medians["encrypted"],
        "ratio": ratio,
        "round_ratios": rounds,
        "median_round_ratio": statistics.median(rounds),
        "fernet_ms_per_request": fernet_cost(),
    }


def fernet_cost(samples: int = 2000) -> float:
    """Milliseconds of Fernet alone for one request's 13 encrypted fields (as core.crypto.
    encrypt does it: MultiFernet, one key), in this process: what encryption adds at most."""
    from cryptography.fernet import MultiFernet

    cipher = MultiFernet([Fernet(Fernet.generate_key())])
    values = [
        "Bench Patient 1", "bench-1@example.org", "(555) 555-0100", "email", "morning,evening",
        "TX", "iv-infusion", "self", "self-pay",
        "Mornings are best. Thank you for getting back to me.", "no",
        "I agree that Dr Bench may contact me about this request. What I send is stored "
        "encrypted, only this provider reads it, and it is deleted 30 days after the provider "
        "closes it, and in any case 180 days after I send it.", "",
    ]  # fmt: skip
    started = time.perf_counter()
    for _ in range(samples):
        for value in values:
            cipher.encrypt(value.encode()).decode("ascii")
    return round((time.perf_counter() - started) / samples * 1000, 3)


# --------------------------------------------------------------------------- 2. the purge


def bench_purge(tmp: Path, database: str) -> dict:
    var_dir = tmp / f"purge-{database}"
    var_dir.mkdir()
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="0",
        VAR_DIR=str(var_dir),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=PG_URL if database == "postgresql" else f"sqlite:///{var_dir / 'db.sqlite3'}",
    )
    log(f"purge on {database}: insert {EXPIRED:,} expired + {KEPT:,} kept requests (encrypted)")
    proc = subprocess.run(
        [str(PYTHON), "-c", PURGE, str(EXPIRED), str(KEPT)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the purge child failed on {database}:\n{proc.stderr[-3000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["rows_per_s"] = round(row["deleted"] / row["seconds"], 1) if row["seconds"] else None
    row["insert_rows_per_s"] = round(row["inserted"] / row["insert_seconds"], 1)
    if not KEEP:
        shutil.rmtree(var_dir, ignore_errors=True)
    return row


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_report(results: dict) -> None:
    form = results["form"]
    machine = results["machine"]
    mode = "QUICK" if QUICK else "full"
    print(
        f"\n== Consultation requests ({mode}; {machine['cpus']} CPUs; load average "
        f"{machine['load_start']} at start, {machine['load_end']} at end) =="
    )
    print(f"code: {results['commit_start']} at start, {results['commit_end']} at end\n")
    print(
        f"1. The form through HTTP: {form['server']}, production settings, SQLite, "
        f"{form['requests_per_run']:,} POSTs a run by {form['client_threads']} client threads, "
        f"round-robin over {form['providers_accepting']} listings that accept requests"
    )
    print(
        f"{'run':<4} {'variant':<10} | {'stored/s':>9} {'p50 ms':>8} {'p95 ms':>8} | "
        f"{'sent':>10} {'stored':>6} {'cipher':>6} | other answers"
    )
    for n, run in enumerate(form["runs"]):
        expected_cipher = run["stored"] if run["variant"] == "encrypted" else 0
        flags = []
        if run["stored"] != run["sent"] + run["warm_up_sent"]:
            flags.append("!! stored != sent")
        if run["sent"] != form["requests_per_run"]:
            flags.append("!! a request not sent")
        if run["ciphertext_rows"] != expected_cipher:
            flags.append("!! at-rest form not as expected")
        if run["server_tracebacks"]:
            flags.append(f"!! {run['server_tracebacks']} tracebacks in the server log")
        if run["client_errors"]:
            flags.append(f"!! client: {run['client_errors'][0]}")
        other = ", ".join(f"{k}: {v}" for k, v in run["other_answers"].items()) or "none"
        sent = f"{run['sent']}+{run['warm_up_sent']}"
        print(
            f"{n // 2 + 1:<4} {run['variant']:<10} | {run['stored_per_s']:>9.1f} "
            f"{run['p50_ms']:>8} {run['p95_ms']:>8} | {sent:>10} {run['stored']:>6} "
            f"{run['ciphertext_rows']:>6} | {other} {' '.join(flags)}"
        )
    print(
        f"   sent = timed + warm-up ({WARM_UP} untimed POSTs a client thread); stored = rows "
        "in the database after the run; cipher = rows whose name is a Fernet token"
    )
    ratio = form["ratio"]
    print(
        f"   median: encrypted {form['median_encrypted_per_s']:.1f}/s, plain "
        f"{form['median_plain_per_s']:.1f}/s -> encrypted/plain {ratio:.3f}x; "
        f"goal >= {GOAL_RATIO:.2f}x {verdict(ratio is not None and ratio >= GOAL_RATIO)}"
    )
    rounds = ", ".join(f"{r:.3f}" for r in form["round_ratios"])
    print(
        f"   each round's encrypted/plain (adjacent runs): {rounds}; median "
        f"{form['median_round_ratio']:.3f}x"
    )
    print(
        f"   Fernet alone, one request's 13 fields in this process: "
        f"{form['fernet_ms_per_request']:.3f} ms (plain runs' median p50 latency: "
        f"{statistics.median(r['p50_ms'] for r in form['runs'] if r['variant'] == 'plain')} ms)"
    )
    print(
        f"\n2. The purge: purge_expired(now=...) alone, {EXPIRED:,} requests past retention "
        f"(bulk_create, encrypted; every 10th with an access-log row) + {KEPT:,} within it"
    )
    print(
        f"{'database':<11} | {'insert s':>8} {'rows/s':>8} | {'purge s':>8} {'rows/s':>9} | "
        f"{'deleted':>8} {'kept':>5} {'log left':>8} | check"
    )
    for name, row in results["purge"].items():
        if "skipped" in row:
            print(f"{name:<11} | skipped: {row['skipped']}")
            continue
        ok = (
            row["deleted"] == EXPIRED
            and row["kept_all_remain"]
            and row["access_rows_orphaned"] == 0
            and row["encrypted_at_rest"]
        )
        print(
            f"{name:<11} | {row['insert_seconds']:>8.2f} {row['insert_rows_per_s']:>8.0f} | "
            f"{row['seconds']:>8.3f} {row['rows_per_s']:>9.0f} | {row['deleted']:>8,} "
            f"{row['remaining']:>5,} {row['access_rows_after']:>8,} | "
            f"{'ok' if ok else '!! NOT as expected'}"
        )


def main() -> int:
    if not redis_reachable(REDIS_URL):
        log(f"Redis at {REDIS_URL} does not answer: the rate-limit counters are skipped")
    tmp = Path(tempfile.mkdtemp(prefix="ka-consultations-"))
    results: dict = {
        "quick": QUICK,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit_start": git_head(),
        "machine": {
            "cpus": os.cpu_count(),
            "load_start": round(os.getloadavg()[0], 2),
            "granian": tool_version([str(ROOT / ".venv" / "bin" / "granian"), "--version"]),
        },
        "goal_ratio_min": GOAL_RATIO,
    }

    def stop(signum, frame):  # SIGTERM: unwind like Ctrl-C, so every `finally` runs
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    pg = False
    try:
        results["form"] = bench_form(tmp)
        results["purge"] = {"SQLite": bench_purge(tmp, "sqlite")}
        pg = postgres_database(PG_URL, create=True, log=log)
        if pg:
            results["purge"]["PostgreSQL"] = bench_purge(tmp, "postgresql")
        else:
            results["purge"]["PostgreSQL"] = {"skipped": f"{PG_URL} is not usable (see above)"}
    except KeyboardInterrupt:
        log("interrupted: stopping the server and removing the temporary files")
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if pg and not KEEP:
            postgres_database(PG_URL, create=False, log=log)
        if redis_reachable(REDIS_URL):
            flush_redis()
        if KEEP:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["machine"]["load_end"] = round(os.getloadavg()[0], 2)
    results["commit_end"] = git_head()
    print_report(results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "consultations.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {(OUT / 'consultations.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
