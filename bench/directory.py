"""Find a Provider at national scale, from one run:

1. seeding N fictional providers (N = 1,000,000; BENCH_QUICK=1: 100,000), wall and CPU time;
2. the search selector, the 20 nearest within 50 miles offering IV infusion, over 1,000
   random US ZIP codes, p50/p95, beside a full-scan baseline on the same data (every
   provider offering the treatment read and measured, then sorted), on SQLite;
3. the same on PostgreSQL (a database of its own, BENCH_PG_URL, dropped and made anew);
4. the whole /find-provider page (Django's test client: URL routing, middleware, the
   selector, the template) at 100,000 providers on SQLite, p50/p95.

Each part runs in a fresh child process with its own database; nothing here asserts. The
goals are printed beside the figures: selector p95 <= 5 ms, page p95 <= 30 ms. Wall-clock
times depend on what else the machine runs, so CPU time (of this process alone) is printed
beside them. Figures are also written to bench/out/directory.json.

    .venv/bin/python bench/directory.py            # 11 to 15 minutes on 2 busy cores
    BENCH_QUICK=1 .venv/bin/python bench/directory.py
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import env_flag, postgres_database  # bench/run.py, beside this file

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
QUICK = env_flag("BENCH_QUICK")
COUNT = int(os.environ.get("BENCH_DIRECTORY_COUNT", 100_000 if QUICK else 1_000_000))
PAGE_COUNT = int(os.environ.get("BENCH_PAGE_COUNT", 100_000))
QUERIES = int(os.environ.get("BENCH_QUERIES", 1000))
BASELINE_QUERIES = int(os.environ.get("BENCH_BASELINE_QUERIES", 100 if QUICK else 20))
PAGE_REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", 1000))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_directory")
PARTS = os.environ.get("BENCH_DIRECTORY_PARTS", "sqlite,postgres,page").split(",")
RADIUS_MI = 50
TREATMENT = "iv-infusion"
GOAL_SELECTOR_P95_MS = 5.0
GOAL_PAGE_P95_MS = 30.0
SEED = 20260226


def log(message: str) -> None:
    print(f"[bench directory] {message}", file=sys.stderr, flush=True)


def percentiles(seconds: list[float]) -> dict:
    """p50 and p95 (nearest rank) in milliseconds."""
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000

    return {"n": len(ordered), "p50_ms": round(rank(0.50), 3), "p95_ms": round(rank(0.95), 3)}


# --------------------------------------------------------------------------- in the child


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # plain static files, no DEBUG
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(count: int) -> dict:
    from ketamine_association.directory.services import provider_seed, provider_table_analyze

    wall, cpu = time.perf_counter(), time.process_time()
    result = provider_seed(count=count, seed=1)
    seeded = time.perf_counter() - wall
    provider_table_analyze()
    return {
        "providers": result.created,
        "seed_s": round(seeded, 1),
        "seed_cpu_s": round(time.process_time() - cpu, 1),
        "seed_and_analyze_s": round(time.perf_counter() - wall, 1),
    }


def _random_zips(count: int) -> list[str]:
    from ketamine_association.directory.choices import State
    from ketamine_association.directory.geo import zip_index

    states = set(State.values[:51])  # the 50 states and DC
    codes = sorted(z for z, info in zip_index().zips.items() if info.state in states)
    return random.Random(SEED).sample(codes, count)


def _full_scan(origin, bit: int, limit: int) -> list[int]:
    """The baseline: read every provider offering the treatment, measure, sort."""
    from django.db import connection

    from ketamine_association.directory.geo import haversine_mi

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, latitude, longitude FROM directory_provider WHERE (treatments & %s) = %s",
            [bit, bit],
        )
        rows = cursor.fetchall()
    hits = sorted(
        (d, pk)
        for pk, lat, lon in rows
        if (d := haversine_mi(origin.latitude, origin.longitude, lat, lon)) <= RADIUS_MI
    )
    return [pk for _, pk in hits[:limit]]


def child_selector(database_url: str, count: int) -> dict:
    _setup(database_url)
    from ketamine_association.directory.choices import MAX_RESULTS, PAGE_SIZE, Treatment
    from ketamine_association.directory.geo import zip_place
    from ketamine_association.directory.selectors import ProviderFilters, provider_search

    figures = _seed(count)
    filters = ProviderFilters(treatments=Treatment.bit(TREATMENT))
    zips = _random_zips(QUERIES)
    places = [zip_place(z) for z in zips]

    def search(place):
        return provider_search(
            origin=place,
            radius_mi=RADIUS_MI,
            filters=filters,
            limit=PAGE_SIZE,
            max_results=MAX_RESULTS,
        )

    for place in places[:50]:  # warm the caches of the database and the process
        search(place)
    walls, cpus, found = [], [], 0
    for place in places:
        wall, cpu = time.perf_counter(), time.process_time()
        result = search(place)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        found += bool(result.hits)
    figures["selector"] = percentiles(walls)
    figures["selector_cpu"] = percentiles(cpus)
    figures["searches_with_results"] = found
    walls, cpus, same = [], [], 0
    for place in places[:BASELINE_QUERIES]:
        wall, cpu = time.perf_counter(), time.process_time()
        ids = _full_scan(place, filters.treatments, PAGE_SIZE)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        same += ids == [hit.provider.id for hit in search(place).hits]
    figures["baseline"] = percentiles(walls)
    figures["baseline_cpu"] = percentiles(cpus)
    figures["baseline_same_results"] = f"{same}/{len(walls)}"
    return figures


def child_page(database_url: str, count: int) -> dict:
    _setup(database_url)
    from django.test import Client

    figures = _seed(count)
    client = Client()
    urls = [
        f"/find-provider?location={z}&radius={RADIUS_MI}&treatment={TREATMENT}"
        for z in _random_zips(PAGE_REQUESTS)
    ]
    for url in urls[:50]:
        client.get(url)
    walls, cpus, statuses = [], [], set()
    for url in urls:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        statuses.add(response.status_code)
    figures["page"] = percentiles(walls)
    figures["page_cpu"] = percentiles(cpus)
    figures["statuses"] = sorted(statuses)
    return figures


# --------------------------------------------------------------------------- the parent


def run_child(part: str, database_url: str, count: int) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, __file__, "--child", part, database_url, str(count)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log(f"{part} failed:\n{done.stderr[-3000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_postgres(url: str) -> bool:
    return postgres_database(url, create=True, log=log)


def verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "NOT met"


def report(results: dict) -> None:
    print(f"\nFind a Provider — {COUNT:,} providers for the selector, {PAGE_COUNT:,} for the page")
    print(f"(load average at start {results['load_start']}, at end {results['load_end']})\n")
    for name in ("sqlite", "postgres"):
        r = results.get(name)
        if not r:
            continue
        s, b = r["selector"], r["baseline"]
        print(f"{name}: seeded {r['providers']:,} in {r['seed_s']} s (CPU {r['seed_cpu_s']} s)")
        print(
            f"  selector  p50 {s['p50_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms  "
            f"(CPU p50 {r['selector_cpu']['p50_ms']:.2f}, p95 {r['selector_cpu']['p95_ms']:.2f}) "
            f"over {s['n']} ZIPs; goal p95 <= {GOAL_SELECTOR_P95_MS} ms: "
            f"{verdict(s['p95_ms'], GOAL_SELECTOR_P95_MS)}"
        )
        print(
            f"  full scan p50 {b['p50_ms']:8.2f} ms  p95 {b['p95_ms']:8.2f} ms  "
            f"over {b['n']} of the same ZIPs; same results {r['baseline_same_results']}"
        )
        print(
            f"  full scan / selector: p50 x{b['p50_ms'] / s['p50_ms']:.0f}, "
            f"p95 x{b['p95_ms'] / s['p95_ms']:.0f}"
        )
    page = results.get("page")
    if page:
        p = page["page"]
        print(
            f"page /find-provider at {page['providers']:,}: p50 {p['p50_ms']:.2f} ms  "
            f"p95 {p['p95_ms']:.2f} ms (CPU p95 {page['page_cpu']['p95_ms']:.2f}) over {p['n']} "
            f"requests, statuses {page['statuses']}; goal p95 <= {GOAL_PAGE_P95_MS} ms: "
            f"{verdict(p['p95_ms'], GOAL_PAGE_P95_MS)}"
        )


def main() -> None:
    results: dict = {"count": COUNT, "quick": QUICK, "load_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
        if "sqlite" in PARTS:
            log(f"SQLite: seeding {COUNT:,} providers, then {QUERIES} searches")
            results["sqlite"] = run_child("selector", f"sqlite:///{tmp}/selector.sqlite3", COUNT)
        if "postgres" in PARTS and fresh_postgres(PG_URL):
            log(f"PostgreSQL: seeding {COUNT:,} providers, then {QUERIES} searches")
            results["postgres"] = run_child("selector", PG_URL, COUNT)
        if "page" in PARTS:
            log(f"page: seeding {PAGE_COUNT:,} providers, then {PAGE_REQUESTS} requests")
            results["page"] = run_child("page", f"sqlite:///{tmp}/page.sqlite3", PAGE_COUNT)
    results["load_end"] = os.getloadavg()[0]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "directory.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        part, url, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
        child = child_selector if part == "selector" else child_page
        print(json.dumps(child(url, count)))
    else:
        main()
