"""The blog's own figures, each beside an anchor run side by side in the same run:

1. the content quality gate (`check_content`) vs `import_articles` of the same files;
2. with N articles imported (N = 10,000; BENCH_QUICK=1: 1,000), on SQLite and PostgreSQL:
   a. the search selector's p50/p95 over ~200 varied queries (goal p95 <= 20 ms);
   b. /blog and /blog/page/50 through granian (production settings) vs nginx serving the
      exported page files;
   c. `export_site` pages/s and peak RSS vs Hugo building the same Markdown files.

Nothing here asserts: figures are printed as ratios to their anchor and written to
bench/out/blog.json. Other jobs may share the machine: the load average is printed.

    .venv/bin/python bench/blog.py                 # more than an hour on 2 busy cores
    BENCH_QUICK=1 .venv/bin/python bench/blog.py   # about 10 minutes

See bench/README.md, "bench/blog.py".
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

# bench/run.py's helpers: generated articles, child environments, servers (no side effects).
from run import (
    CORPUS,
    CORPUS_IMAGES,
    GRANIAN,
    NGINX_CONF,
    OUT,
    PYTHON,
    ROOT,
    Server,
    child_env,
    env_flag,
    free_port,
    generate_articles,
    get,
    manage,
    postgres_database,
    tool_version,
)

TIME = "/usr/bin/time"

QUICK = env_flag("BENCH_QUICK")
KEEP = env_flag("BENCH_KEEP")
PROFILE = env_flag("BENCH_PROFILE")
PARTS = set(os.environ.get("BENCH_BLOG_PARTS", "gate,search,export,http").split(","))
# While developing: a site imported before, reused as it is (never dropped): a folder with
# `articles/` (the generated files), `var-sqlite/` and, for PostgreSQL, `var-postgres/` whose
# database is BENCH_PG_URL. E.g. BENCH_BLOG_PARTS=search,export BENCH_BLOG_REUSE=/tmp/site.
REUSE = os.environ.get("BENCH_BLOG_REUSE", "")
GATE_COUNT = 300 if QUICK else 1_000
SITE_COUNT = 1_000 if QUICK else 10_000
WRK_SECONDS = 3 if QUICK else 10
WRK_THREADS, WRK_CONNECTIONS, SERVER_WORKERS = 2, 32, 2
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_blog")
# A Redis database of its own, flushed before and after: never a running site's cache.
REDIS_URL = os.environ.get("BENCH_BLOG_REDIS_URL", "redis://127.0.0.1:6379/14")
SITE_URL = "https://ketamineassociation.org"
# export_site fetches each page with SITE_URL's host, which ALLOWED_HOSTS must accept.
EXPORT_ENV = {"SITE_URL": SITE_URL, "ALLOWED_HOSTS": urlsplit(SITE_URL).hostname}
PAGES = ("/blog", "/blog/page/50")
PAGE_SUFFIXES = (".html", ".xml", ".txt")
LOCAL = "config.settings.local"
PRODUCTION = "config.settings.production"
SEED = 20260226

GOAL_SEARCH_P95_MS = 20.0
GOAL_EXPORT_RATIO = 1.0  # ours/hugo pages per second

HUGO_CONFIG = """\
baseURL = "https://ketamineassociation.org/"
title = "bench"
paginate = 12
rssLimit = 30
enableRobotsTXT = true
[taxonomies]
  tag = "tags"
  category = "category"
  audience = "audience"
"""
HUGO_SINGLE = """\
<!doctype html><html><head><title>{{ .Title }}</title>
<meta name="description" content="{{ .Params.excerpt }}"></head><body>
<h1>{{ .Title }}</h1><p>{{ .Params.author }} · {{ .ReadingTime }} min</p>{{ .Content }}
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul></body></html>
"""
HUGO_LIST = """\
<!doctype html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>
{{ $pager := .Paginate .Pages }}<ul>{{ range $pager.Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Params.excerpt }}</p></li>{{ end }}
</ul>{{ template "_internal/pagination.html" . }}</body></html>
"""
HUGO_404 = "<!doctype html><html><body><h1>Not found</h1></body></html>\n"
QUESTIONS = (
    "what does an infusion feel like",
    "how long does ketamine last",
    "is ketamine safe for older adults",
    "how many infusions do I need",
    "can I drive after my treatment",
    "what should I eat before an infusion",
    "does insurance cover ketamine therapy",
    "how does ketamine work in the brain",
    "what is integration therapy",
    "is ketamine addictive",
    "ketamine vs ssri which works faster",
    "how do clinics monitor blood pressure during dosing",
    "what are the side effects of esketamine",
    "can ketamine help with chronic pain",
    "how to prepare for a first session",
    "what is treatment resistant depression",
    "how do I find a qualified provider",
    "at home ketamine is it safe",
    "what happens if ketamine does not work for me",
    "how should practitioners document informed consent",
)
MISSES = (
    "zyxwvut",
    "qwertyuiopasdf",
    "blockchain cryptocurrency",
    "xylophone quartet",
    "zzzz",
    "kangaroo",
    "volcano eruption",
    "nonexistentwordhere",
    "supercalifragilistic",
    "photosynthesis chlorophyll",
)
# What a visitor may type that must still be plain words to the engines.
SYNTAX = (
    '"set and setting"',
    "ketamine AND depression",
    "ketamine -esketamine",
    "NEAR(ketamine dose)",
    "infusion*",
    "depression OR anxiety",
    "(ptsd) trauma",
    "dose: 0.5 mg/kg",
    "ketamine's effects",
    "k" * 200,
)


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[bench blog] {message}", file=sys.stderr, flush=True)


def local_env(var_dir: Path, **extra: str) -> dict[str, str]:
    return child_env(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=LOCAL, DEBUG="0", **extra)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank, of sorted seconds, in milliseconds."""
    return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000, 2)


def timed(cmd: list[str], *, env: dict[str, str]) -> dict:
    """Wall clock (process start included) and peak RSS of one command; fails on non-zero exit."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        full = [TIME, "-v", "-o", report.name, *cmd] if os.access(TIME, os.X_OK) else cmd
        start = time.perf_counter()
        done = subprocess.run(full, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        report_text = report.read()
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd[:4]))} exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report_text)
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(int(peak.group(1)) / 1024, 1) if peak else None,
        "stdout": done.stdout,
    }


def redis_flush(url: str) -> bool:
    """FLUSHDB on the bench's own Redis database; False when Redis does not answer."""
    parts = urlsplit(url)
    db = int(parts.path.lstrip("/") or 0)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=3) as sock:
            sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = sock.recv(64)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return False
    return answer.startswith(b"+OK\r\n+OK")


def postgres(url: str, *, create: bool) -> bool:
    return postgres_database(url, create=create, log=log)


# --------------------------------------------------------------------------- 1. the gate


def bench_gate(tmp: Path) -> dict:
    """check_content and import_articles over the same files, each against a fresh database."""
    work = tmp / "gate"
    articles = generate_articles(GATE_COUNT, work / "articles")
    gate_var, import_var = work / "var-gate", work / "var-import"
    for var_dir in (gate_var, import_var):
        manage(var_dir, "migrate", "--noinput", "-v0")
    log(f"gate: check_content over {GATE_COUNT:,} files")
    gate = timed(
        [str(PYTHON), "manage.py", "check_content", str(articles), "--images", str(CORPUS_IMAGES)]
        + ["--format", "json", "--fail-on", "never"],
        env=local_env(gate_var),
    )
    checked = json.loads(gate.pop("stdout"))
    log(f"gate: import_articles of the same {GATE_COUNT:,} files into a fresh database")
    imported = timed(
        [str(PYTHON), "manage.py", "import_articles", str(articles), "--images", str(CORPUS_IMAGES)]
        + ["--json"],
        env=local_env(import_var),
    )
    report = json.loads(imported.pop("stdout"))
    gate.update(
        articles_per_s=round(checked["checked"] / gate["seconds"], 1),
        checked=checked["checked"],
        findings=len(checked["findings"]),
        counts=checked["counts"],
    )
    imported.update(
        articles_per_s=round(report["imported"] / imported["seconds"], 1),
        imported=report["imported"],
        failed=len(report["failed"]),
        findings=len(report["findings"]),
    )
    return {
        "articles": GATE_COUNT,
        "gate": gate,
        "import": imported,
        "speed_ratio": round(gate["articles_per_s"] / imported["articles_per_s"], 2),
        "memory_ratio": round(gate["peak_mb"] / imported["peak_mb"], 3)
        if gate["peak_mb"] and imported["peak_mb"]
        else None,
        "var_dir": str(import_var),
        "articles_dir": str(articles),
    }


# --------------------------------------------------------------------------- 2. the site


STATUS_LINE = re.compile(r"^\s*(imported|updated|unchanged|failed)  \S")


def import_site(label: str, articles: Path, var_dir: Path, **env: str) -> dict:
    """Setup, not a figure: migrate and import every file, printing progress as it goes."""
    manage(var_dir, "migrate", "--noinput", "-v0", **env)
    cmd = [str(PYTHON), "manage.py", "import_articles", str(articles)]
    cmd += ["--images", str(CORPUS_IMAGES)]
    counts: Counter[str] = Counter()
    start = last = time.perf_counter()
    with subprocess.Popen(
        cmd,
        env=local_env(var_dir, **env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        stderr: list[str] = []  # read aside, so a chatty stderr never blocks the child
        errors = threading.Thread(target=lambda: stderr.append(proc.stderr.read()))
        errors.start()
        for line in proc.stdout:
            match = STATUS_LINE.match(line)
            if not match:
                continue
            counts[match.group(1)] += 1
            done = sum(counts.values())
            now = time.perf_counter()
            if now - last >= 60 or done == SITE_COUNT:
                rate = done / (now - start)
                left = (SITE_COUNT - done) / rate / 60 if rate else 0
                log(f"{label} import: {done:,}/{SITE_COUNT:,} ({rate:.1f}/s, {left:.0f} min left)")
                last = now
        proc.wait()
        errors.join()
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: some files failed, counted below
        raise RuntimeError(f"{label} import exited {proc.returncode}:\n{stderr[0][-3000:]}")
    return {
        "seconds": round(seconds, 1),
        "articles_per_s": round(counts["imported"] / seconds, 1),
        "imported": counts["imported"],
        "failed": counts["failed"],
    }


def import_sites(articles: Path, sqlite_var: Path, pg_var: Path | None) -> dict:
    """Both imports at once (setup: each runs on one core, and the wait is halved)."""
    jobs = {"sqlite": (sqlite_var, {})}
    if pg_var is not None:
        jobs["postgres"] = (pg_var, {"DATABASE_URL": PG_URL})
    results: dict = {}

    def run(name: str) -> None:
        var_dir, env = jobs[name]
        try:
            results[name] = import_site(name, articles, var_dir, **env)
        except Exception as exc:  # reported, and the figures needing it are skipped
            log(f"{name} import failed: {exc}")
            results[name] = None

    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# -- a. search


def search_queries() -> list[dict]:
    """~200 queries: corpus words, two-word phrases, questions, syntax, misses. Deterministic."""
    words: Counter[str] = Counter()
    pairs: list[str] = []
    stop = set(
        "this that with from have your they their will what when which about also into than "
        "more most some such them these those there were been being other after before while "
        "each does should could would because through between".split()
    )
    for path in sorted(CORPUS.glob("*.md")):
        body = path.read_text(encoding="utf-8").split("\n---", 1)[-1]
        tokens = re.findall(r"[a-z]+", body.lower())
        content = [t for t in tokens if len(t) >= 4 and t not in stop]
        words.update(content)
        pairs += [
            f"{a} {b}"
            for a, b in zip(tokens, tokens[1:], strict=False)
            if len(a) >= 4 and len(b) >= 4 and a not in stop and b not in stop
        ]
    rng = random.Random(SEED)
    ranked = [w for w, _ in words.most_common()]
    common, rare = ranked[:300], [w for w in ranked if words[w] <= 3]
    queries = [{"kind": "word", "text": w} for w in rng.sample(common, 60) + rng.sample(rare, 40)]
    queries += [{"kind": "phrase", "text": p} for p in rng.sample(sorted(set(pairs)), 60)]
    queries += [{"kind": "question", "text": q} for q in QUESTIONS]
    queries += [{"kind": "syntax", "text": q} for q in SYNTAX]
    queries += [{"kind": "miss", "text": q} for q in MISSES]
    return queries


def child_search(queries_path: str) -> None:
    """In a child process with the database's environment: time the selector per query."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from ketamine_association.articles.models import Article
    from ketamine_association.articles.search import article_search

    queries = json.loads(Path(queries_path).read_text())
    for query in queries:  # warm-up: connection, statement and page caches, imports
        article_search(query=query["text"], now=timezone.now(), limit=10)
    rows = []
    for query in queries:
        start = time.perf_counter()
        page = article_search(query=query["text"], now=timezone.now(), limit=10)
        seconds = time.perf_counter() - start
        rows.append(
            {"kind": query["kind"], "seconds": seconds, "total": page.total, "hits": len(page.hits)}
        )

    def summary(selected: list[dict]) -> dict:
        ordered = sorted(r["seconds"] for r in selected)
        return {
            "queries": len(selected),
            "p50_ms": percentile(ordered, 0.50),
            "p95_ms": percentile(ordered, 0.95),
            "max_ms": percentile(ordered, 1.0),
            "no_hit": sum(1 for r in selected if not r["total"]),
        }

    slowest = sorted(zip(queries, rows, strict=True), key=lambda qr: -qr[1]["seconds"])[:5]
    result = {
        "vendor": connection.vendor,
        "articles": Article.objects.count(),
        "all": summary(rows),
        "by_kind": {
            k: summary([r for r in rows if r["kind"] == k])
            for k in dict.fromkeys(r["kind"] for r in rows)
        },
        "slowest": [
            {"query": q["text"][:60], "ms": round(r["seconds"] * 1000, 2), "total": r["total"]}
            for q, r in slowest
        ],
    }
    print(json.dumps(result))


def bench_search(queries: Path, env: dict[str, str]) -> dict | None:
    cmd = [str(PYTHON), __file__, "--child", "search", str(queries)]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log(f"search child failed:\n{done.stderr[-3000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- c. export vs Hugo


def count_pages(folder: Path, *, skip: tuple[str, ...] = ()) -> tuple[int, int]:
    """(pages, redirect stubs): files ending .html/.xml/.txt outside `skip` folders."""
    pages = stubs = 0
    for path in folder.rglob("*"):
        if path.suffix not in PAGE_SUFFIXES or not path.is_file():
            continue
        if path.relative_to(folder).parts[0] in skip:
            continue
        if path.stat().st_size < 1024 and b'http-equiv="refresh"' in path.read_bytes():
            stubs += 1  # Hugo's alias pages (/page/1/ -> the list), not pages
        else:
            pages += 1
    return pages, stubs


def bench_export(var_dir: Path, articles: Path, tmp: Path) -> dict:
    manage(var_dir, "collectstatic", "--noinput", "-v0", **EXPORT_ENV)
    target = tmp / "export"
    log(f"export_site of {SITE_COUNT:,} articles (ours)")
    ours = timed(
        [str(PYTHON), "manage.py", "export_site", str(target)],
        env=local_env(var_dir, **EXPORT_ENV),
    )
    ours["summary"] = ours.pop("stdout").strip()
    ours["pages"], _ = count_pages(target, skip=("static", "images"))  # copies, not pages
    ours["pages_per_s"] = round(ours["pages"] / ours["seconds"], 1)

    site = tmp / "hugo"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (site / "layouts" / "404.html").write_text(HUGO_404)
    shutil.copytree(articles, site / "content" / "blog")
    log(f"hugo build of the same {SITE_COUNT:,} files")
    hugo = timed(
        ["hugo", "--quiet", "--source", str(site), "--cacheDir", str(tmp / "hugo-cache")],
        env=child_env(),
    )
    hugo.pop("stdout")
    hugo["pages"], hugo["alias_stubs"] = count_pages(site / "public")
    hugo["articles_built"] = sum(1 for _ in (site / "public" / "blog").glob("*/index.html"))
    hugo["pages_per_s"] = round(hugo["pages"] / hugo["seconds"], 1)
    return {
        "articles": SITE_COUNT,
        "ours": ours,
        "hugo": hugo,
        "speed_ratio": round(ours["pages_per_s"] / hugo["pages_per_s"], 3),
        "memory_ratio": round(ours["peak_mb"] / hugo["peak_mb"], 3)
        if ours["peak_mb"] and hugo["peak_mb"]
        else None,
        "export_dir": str(target),
    }


# -- b. /blog through granian vs nginx


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(port: int, path: str) -> dict:
    url = f"http://127.0.0.1:{port}{path}"
    # A slow page must count as slow, not vanish as a timeout: wrk's default gives up at 2 s.
    base = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", "--timeout", "30s"]
    base += ["-H", "X-Forwarded-Proto: https"]
    for _ in range(2 * SERVER_WORKERS):  # warm-up, one request at a time: a wrk warm-up would
        get(port, path)  # leave a slow app a backlog of abandoned requests to work through
    out = subprocess.run(
        [*base, f"-d{WRK_SECONDS}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps or set(latency) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": round(_ms(latency["50"]), 2),
        "p99_ms": round(_ms(latency["99"]), 2),
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sockets.group(1) if sockets else None,
    }


def serve(name: str, cmd: list[str], port: int, env: dict[str, str], tmp: Path) -> dict:
    """Start a server, check each page answers 200, wrk each page, stop the server."""
    results: dict = {}
    with Server(name, cmd, env=env, log_path=tmp / f"{name}.log") as server:
        server.wait_ready(port, PAGES[0])
        for path in PAGES:
            status, body = get(port, path)
            if status != 200:
                raise RuntimeError(f"{name}: {path} answered {status}, not 200")
            log(f"wrk {WRK_SECONDS}s: {name} {path}")
            results[path] = wrk(port, path)
            results[path]["bytes"] = len(body)
            results[path]["status_after"] = get(port, path)[0]
        results["server_rss_mb"] = round(server.rss_mb(), 1)
    return results


def bench_http(var_dir: Path, export_dir: Path, tmp: Path) -> dict:
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
    prod = {
        "SECRET_KEY": secret,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": SITE_URL,
        "CACHE_URL": REDIS_URL,
    }
    manage(var_dir, "collectstatic", "--noinput", "-v0", settings=PRODUCTION, **prod)
    redis_ok = redis_flush(REDIS_URL)
    if not redis_ok:
        log(f"Redis at {REDIS_URL} does not answer: the app runs without its cache")
    env = child_env(DJANGO_SETTINGS_MODULE=PRODUCTION, VAR_DIR=str(var_dir), **prod)
    port = free_port()
    granian = [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
    granian += ["--workers", str(SERVER_WORKERS), "--no-access-log", "--log-level", "warning"]
    app = serve("granian", [*granian, "config.wsgi:application"], port, env, tmp)

    # nginx serves the exported files of the same pages, with the README's try_files recipe.
    work = tmp / "nginx"
    root = work / "root"
    for path in PAGES:
        name = f"{path.lstrip('/')}.html"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(export_dir / name, root / name)
    tmp.chmod(0o755)  # started as root, nginx's workers run as nobody and must read the pages
    for folder, _, files in os.walk(work):
        Path(folder).chmod(0o755)
        for name in files:
            (Path(folder) / name).chmod(0o644)
    port = free_port()
    conf = work / "nginx.conf"
    # The README's nginx recipe for the export: /blog is served from blog.html.
    conf.write_text(
        NGINX_CONF.format(
            workers=SERVER_WORKERS, tmp=work, port=port, root=root, try_files="$uri $uri.html"
        )
    )
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin") or "nginx"
    cmd = [nginx, "-e", str(work / "nginx-error.log"), "-p", str(work), "-c", str(conf)]
    static = serve("nginx", cmd, port, child_env(), tmp)
    return {
        "redis": REDIS_URL,
        "redis_flushed": redis_ok,
        "app": app,
        "nginx": static,
        "ratios": {path: round(app[path]["rps"] / static[path]["rps"], 5) for path in PAGES},
    }


# --------------------------------------------------------------------------- profiles


def profile_commands(tmp: Path, gate: dict) -> str:
    """cProfile of check_content over the gate's files and of export_site of its database."""
    import pstats
    from io import StringIO

    var_dir, articles = Path(gate["var_dir"]), gate["articles_dir"]
    manage(var_dir, "collectstatic", "--noinput", "-v0", **EXPORT_ENV)
    commands = {
        "check_content": ["check_content", articles, "--images", str(CORPUS_IMAGES)]
        + ["--format", "json", "--fail-on", "never"],
        "export_site": ["export_site", str(tmp / "profile-export")],
    }
    text = StringIO()
    for name, args in commands.items():
        log(f"profile {name} ({GATE_COUNT:,} articles)")
        prof = tmp / f"{name}.prof"
        subprocess.run(
            [str(PYTHON), "-m", "cProfile", "-o", str(prof), "manage.py", *args],
            env=local_env(var_dir, **EXPORT_ENV),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        stats = pstats.Stats(str(prof), stream=text)
        text.write(f"\n{name}, {GATE_COUNT:,} articles: top 10 by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(10)
        text.write(f"{name}: our code (ketamine_association/), top 15 by cumulative time\n")
        stats.sort_stats("cumulative").print_stats("ketamine_association/", 15)
        text.write(f"{name}: top 10 by own time\n")
        stats.sort_stats("tottime").print_stats(10)
    report = text.getvalue().replace(f"{ROOT}/", "")
    return re.sub(r"\S*/(?:site-packages|lib/python3\.\d+)/", "", report)


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_gate(gate: dict) -> None:
    print(
        f"1. Quality gate vs import, {gate['articles']:,} generated articles "
        "(wall clock incl. process start; each against a fresh SQLite database)"
    )
    print(f"   {'':<16} {'articles/s':>10} {'seconds':>8} {'peak MB':>8} {'findings':>9}")
    for label, row in (("check_content", gate["gate"]), ("import_articles", gate["import"])):
        print(
            f"   {label:<16} {row['articles_per_s']:>10.1f} {row['seconds']:>8.1f} "
            f"{row['peak_mb'] or 0:>8.1f} {row['findings']:>9,}"
        )
    if (
        gate["import"]["imported"] != gate["articles"]
        or gate["gate"]["checked"] != gate["articles"]
    ):
        print(
            f"   !! checked {gate['gate']['checked']:,}, imported {gate['import']['imported']:,}, "
            f"failed {gate['import']['failed']:,}"
        )
    ratio = gate["speed_ratio"]
    print(f"   gate/import speed: {ratio:.2f}x (goal > 1.0x -> {verdict(ratio > 1)})")
    if gate["memory_ratio"] is not None:
        print(f"   gate/import peak memory: {gate['memory_ratio']:.3f}x")


def print_site_import(imports: dict) -> None:
    parts = [
        f"{name} {row['imported']:,} in {row['seconds'] / 60:.1f} min ({row['articles_per_s']}/s"
        + (f", {row['failed']} failed)" if row["failed"] else ")")
        for name, row in imports.items()
        if row
    ]
    print(f"2. {SITE_COUNT:,} generated articles imported (setup, both imports at once):")
    print(f"   {'; '.join(parts)}")


def print_search(search: dict) -> None:
    print(
        f"2a. Search selector article_search(limit=10), {search['queries']} queries, "
        "one timed pass after a warm-up pass"
    )
    print(
        f"   {'database':<10} {'articles':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'no hit':>6}  goal p95 <= {GOAL_SEARCH_P95_MS:.0f} ms"
    )
    for name in ("sqlite", "postgres"):
        row = search.get(name)
        if not row:
            print(f"   {name:<10} skipped")
            continue
        a = row["all"]
        print(
            f"   {name:<10} {row['articles']:>8,} {a['p50_ms']:>7.2f} {a['p95_ms']:>7.2f} "
            f"{a['max_ms']:>7.2f} {a['no_hit']:>6}  {verdict(a['p95_ms'] <= GOAL_SEARCH_P95_MS)}"
        )
    for name in ("sqlite", "postgres"):
        row = search.get(name)
        if row:
            kinds = ", ".join(
                f"{kind} {s['p50_ms']:.1f}/{s['p95_ms']:.1f}" for kind, s in row["by_kind"].items()
            )
            slow = ", ".join(f"{s['query']!r} {s['ms']:.0f}" for s in row["slowest"][:3])
            print(f"   {name} p50/p95 ms by kind: {kinds}")
            print(f"   {name} slowest (ms): {slow}")


def print_http(http: dict) -> None:
    print(
        f"2b. Pages through granian ({SERVER_WORKERS} workers, production settings, Redis) vs "
        f"nginx serving the exported file; wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} "
        f"-d{WRK_SECONDS}s"
    )
    print(
        f"   {'path':<14} | {'granian r/s':>11} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'nginx r/s':>10} {'p50 ms':>7} {'p99 ms':>7} | app/nginx"
    )
    for path in PAGES:
        app, static = http["app"][path], http["nginx"][path]
        flags = [
            f"{name}: non-2xx {row['non_2xx_3xx']}, sockets {row['socket_errors']}"
            for name, row in (("granian", app), ("nginx", static))
            if row["non_2xx_3xx"] or row["socket_errors"]
        ]
        print(
            f"   {path:<14} | {app['rps']:>11.1f} {app['p50_ms']:>7.2f} {app['p99_ms']:>7.2f} | "
            f"{static['rps']:>10.1f} {static['p50_ms']:>7.2f} {static['p99_ms']:>7.2f} | "
            f"{http['ratios'][path]:.4f}x" + (f"  !! {'; '.join(flags)}" if flags else "")
        )
    print(
        f"   server RSS after the runs: granian {http['app']['server_rss_mb']:.0f} MB, "
        f"nginx {http['nginx']['server_rss_mb']:.0f} MB"
        + ("" if http["redis_flushed"] else "  !! Redis did not answer")
    )


def print_export(export: dict) -> None:
    ours, hugo = export["ours"], export["hugo"]
    print(
        f"2c. export_site vs Hugo building the same {export['articles']:,} Markdown files "
        "(pages = .html/.xml/.txt files; wall clock incl. process start)"
    )
    print(f"   {'':<12} {'pages':>7} {'seconds':>8} {'pages/s':>8} {'peak MB':>8}")
    for label, row in (("export_site", ours), ("hugo", hugo)):
        print(
            f"   {label:<12} {row['pages']:>7,} {row['seconds']:>8.1f} {row['pages_per_s']:>8.1f} "
            f"{row['peak_mb'] or 0:>8.1f}"
        )
    ratio = export["speed_ratio"]
    print(
        f"   ours/hugo pages/s: {ratio:.3f}x (goal >= {GOAL_EXPORT_RATIO:.1f}x -> "
        f"{verdict(ratio >= GOAL_EXPORT_RATIO)}); peak memory ours/hugo: "
        f"{export['memory_ratio']:.3f}x"
    )
    print(
        f"   ({ours['summary']}; Hugo built {hugo['articles_built']:,} article pages and "
        f"{hugo['alias_stubs']:,} alias stubs, not counted; both use every core)"
    )


def print_report(results: dict) -> None:
    machine = results["machine"]
    print(
        f"\n== Blog benchmarks ({'QUICK' if QUICK else 'full'}; figures beside their anchor, "
        "run side by side in this run) =="
    )
    print(
        f"{machine['cpus']} CPUs shared with other agents' jobs: load average (1/5/15 min) "
        f"at start {machine['load_start']}, at end {machine['load_end']}. "
        "Compare ratios, not absolute figures across runs.\n"
    )
    if "gate" in results:
        print_gate(results["gate"])
        print()
    if "site_import" in results:
        print_site_import(results["site_import"])
    if "search" in results:
        print_search(results["search"])
    if "http" in results:
        print_http(results["http"])
    if "export" in results:
        print_export(results["export"])
    print()


# --------------------------------------------------------------------------- main


def run_parts(results: dict, tmp: Path) -> None:
    if "gate" in PARTS:
        results["gate"] = bench_gate(tmp)
    if not PARTS & {"search", "export", "http"}:
        return
    if REUSE:
        site = Path(REUSE)
        articles, sqlite_var, pg_var = site / "articles", site / "var-sqlite", site / "var-postgres"
        log(f"reusing the site imported in {site} (BENCH_BLOG_REUSE)")
        pg_ready = "search" in PARTS and pg_var.is_dir()
        imports = {"sqlite": {}, "postgres": {} if pg_ready else None}
        manage(sqlite_var, "migrate", "--noinput", "-v0")
        if pg_ready:
            manage(pg_var, "migrate", "--noinput", "-v0", DATABASE_URL=PG_URL)
    else:
        site = tmp / "site"
        articles = generate_articles(SITE_COUNT, site / "articles")
        sqlite_var, pg_var = site / "var-sqlite", site / "var-postgres"
        pg_ready = "search" in PARTS and postgres(PG_URL, create=True)
        log(f"import {SITE_COUNT:,} articles into SQLite" + (" and PostgreSQL" if pg_ready else ""))
        imports = results["site_import"] = import_sites(
            articles, sqlite_var, pg_var if pg_ready else None
        )
    if imports["sqlite"] is None:
        return
    if "search" in PARTS:
        queries = search_queries()
        path = tmp / "queries.json"
        path.write_text(json.dumps(queries))
        results["search"] = search = {"queries": len(queries)}
        log("search: SQLite")
        search["sqlite"] = bench_search(path, local_env(sqlite_var))
        if imports.get("postgres") is not None:
            log("search: PostgreSQL")
            search["postgres"] = bench_search(path, local_env(pg_var, DATABASE_URL=PG_URL))
    if "export" in PARTS:
        results["export"] = bench_export(sqlite_var, articles, tmp)
    if "http" in PARTS:
        export_dir = Path(results["export"]["export_dir"]) if "export" in results else None
        if export_dir is None:  # the nginx anchor serves exported files: export, untimed
            export_dir = tmp / "export"
            manage(sqlite_var, "collectstatic", "--noinput", "-v0", **EXPORT_ENV)
            manage(sqlite_var, "export_site", str(export_dir), **EXPORT_ENV)
        results["http"] = bench_http(sqlite_var, export_dir, tmp)
    if PROFILE and "gate" in results:
        results["profile"] = profile_commands(tmp, results["gate"])


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child_search(sys.argv[3])
        return 0
    if not CORPUS.is_dir():
        print(f"The corpus {CORPUS} is missing (set SHARED_DIR).", file=sys.stderr)
        return 2
    missing = [
        t for t in ("hugo", "wrk", "nginx") if not shutil.which(t, path="/usr/sbin:/usr/bin")
    ]
    if missing:
        print(f"Missing: {' '.join(missing)} (apt-get install -y {' '.join(missing)})")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="ka-bench-blog-"))
    results: dict = {
        "quick": QUICK,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_start": [round(x, 2) for x in os.getloadavg()],
            "shared": "other agents' jobs run on the same CPUs",
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hugo": tool_version(["hugo", "version"]),
            "nginx": tool_version(["/usr/sbin/nginx", "-v"]),
            "wrk": tool_version(["wrk", "-v"]),
            "granian": tool_version([str(GRANIAN), "--version"]),
        },
        "goals": {
            "gate_import_speed_ratio_min": 1.0,
            "search_p95_ms_max": GOAL_SEARCH_P95_MS,
            "export_hugo_speed_ratio_min": GOAL_EXPORT_RATIO,
        },
    }
    log(f"load average at start: {results['machine']['load_start']}; tmp {tmp}")
    try:
        run_parts(results, tmp)
    except Exception as exc:  # the figures measured so far are still printed and written
        results["error"] = f"{type(exc).__name__}: {exc}"[-4000:]
        log(f"stopped by an error:\n{traceback.format_exc()}")
    finally:
        results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        if "search" in PARTS and not KEEP and not REUSE:
            postgres(PG_URL, create=False)  # the bench's database goes, tables and all
        if "http" in PARTS:
            redis_flush(REDIS_URL)
        if KEEP:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(results)
    OUT.mkdir(parents=True, exist_ok=True)
    if "profile" in results:
        print(results["profile"])
        (OUT / "blog_profile.txt").write_text(results["profile"])
    for row in (results.get("gate"), results.get("export")):  # temporary paths, gone now
        for key in ("var_dir", "articles_dir", "export_dir"):
            (row or {}).pop(key, None)
    (OUT / "blog.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {(OUT / 'blog.json').relative_to(ROOT)}")
    if "error" in results:
        print(f"!! stopped by an error, figures after it are missing: {results['error'][:300]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
