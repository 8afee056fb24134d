"""Benchmarks against anchors run side by side: import vs Hugo, the seed page vs nginx.

Figures are printed and written to bench/out/results.json; nothing here asserts. See README.md.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "articles"
CORPUS_IMAGES = SHARED / "corpus" / "images"
PYTHON = ROOT / ".venv" / "bin" / "python"
GRANIAN = ROOT / ".venv" / "bin" / "granian"


def env_flag(name: str, default: str = "") -> bool:
    """A benchmark's on/off setting: on unless unset (then `default`), empty or "0"."""
    return os.environ.get(name, default) not in ("", "0")


QUICK = env_flag("BENCH_QUICK")
PROFILE = env_flag("BENCH_PROFILE")
ONLY = os.environ.get("BENCH_ONLY", "")  # "import" or "http": one part, while developing
LINKS = os.environ.get("BENCH_LINKS", "copy")  # or "literal": see generate_articles
KEEP = env_flag("BENCH_KEEP")
IMPORT_TIMEOUT = float(os.environ.get("BENCH_IMPORT_TIMEOUT", "1800"))
SIZES = (300, 1_000) if QUICK else (1_000, 10_000)
WRK_SECONDS = 3 if QUICK else 10
WRK_THREADS, WRK_CONNECTIONS = 2, 32
SERVER_WORKERS = 2
SEED_SLUG = "science-of-hope-ketamine-brain"
SEED_PATH = f"/blog/{SEED_SLUG}"
# A Redis database of its own, so the bench never touches the cache of a running site.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

GOAL_IMPORT_SPEED = 1.0  # ours/hugo pages per second, at every size
GOAL_IMPORT_MEMORY = 0.10  # ours/hugo peak RSS (sum of the processes' peaks), at the largest size
GOAL_REIMPORT = 10.0  # first import / unchanged re-import of the same files, wall clock
# The import's PostgreSQL figures, beside SQLite's: a database of the bench's own (dropped after).
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_import")
GOAL_HTTP = 0.30  # app/nginx requests per second

# Variables of the caller that would point a child at another database, cache or settings.
SCRUBBED_ENV = ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "VAR_DIR", "DEBUG")
SLUG_LINE = re.compile(r"^slug:.*$", re.MULTILINE)
COPY = "\x00COPY\x00"

HUGO_CONFIG = """\
baseURL = "http://127.0.0.1/"
title = "bench"
# Only the kinds our import has a counterpart for: home, the blog section, one page per file.
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
HUGO_SINGLE = (
    "<!doctype html><html><head><title>{{ .Title }}</title></head>"
    "<body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n"
)
HUGO_LIST = (
    "<!doctype html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>"
    '{{ .Content }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>'
    "</li>{{ end }}</ul></body></html>\n"
)
NGINX_CONF = """\
daemon off;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type text/html;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files {try_files} =404; }}
    }}
}}
"""
LOCMEM_SETTINGS = """\
from config.settings.production import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
"""
# Runs a command and reports its peak RSS when /usr/bin/time is missing.
RUSAGE_WRAPPER = """\
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


# --------------------------------------------------------------------------- helpers


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def ensure_tools(names: tuple[str, ...]) -> dict[str, str | None]:
    """Find each tool; as root, apt-get install the missing ones; else say how."""
    found = {name: which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and os.geteuid() == 0 and which("apt-get"):
        log(f"installing {' '.join(missing)} with apt-get")
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
        found = {name: which(name) for name in names}
    for name, path in found.items():
        if path is None:
            log(f"{name} is missing: run `sudo apt-get install -y {name}`; its figure is skipped")
    return found


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(PYTHONUNBUFFERED="1", LOG_LEVEL="ERROR", **extra)
    return env


def measure(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Measured:
    """Wall clock and peak RSS of one command, from a fresh process; fails on a non-zero exit.

    Past IMPORT_TIMEOUT seconds the command is killed: the result is then a bound (`timed_out`)
    and its peak is the largest RSS sampled from /proc while it ran.
    """
    timer = "/usr/bin/time"
    with (
        tempfile.NamedTemporaryFile("r", suffix=".time") as report,
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
    ):
        if os.access(timer, os.X_OK):
            full = [timer, "-v", "-o", report.name, *cmd]
        else:
            full = [sys.executable, "-c", RUSAGE_WRAPPER, *cmd]
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, env=env, cwd=cwd, stdout=out, stderr=err, text=True, start_new_session=True
        )
        sampled_kb, timed_out = 0, False
        peaks: dict[int, int] = {}  # each process's own peak (VmHWM), as last sampled
        while True:
            try:
                proc.wait(timeout=0.2)  # returns as soon as the command ends
                break
            except subprocess.TimeoutExpired:
                tree = _process_tree(proc.pid)
                sampled_kb = max([sampled_kb, *map(_rss_kb, tree)])
                for pid in tree:
                    peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
            if IMPORT_TIMEOUT and time.perf_counter() - start > IMPORT_TIMEOUT:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                timed_out = True
                break
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        report_text = report.read()
    summed_kb = sum(peaks.values())
    if timed_out:
        return Measured(seconds, max(sampled_kb, summed_kb) / 1024, stdout, stderr, timed_out=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}:\n{stderr[-3000:]}")
    if full[0] == timer:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report_text)
        peak_kb = int(match.group(1)) if match else sampled_kb
    else:
        *lines, last = stderr.rstrip("\n").split("\n")
        peak_kb, stderr = int(last), "\n".join(lines)
    # A pool of worker processes: the sum of every process's peak, not the largest one alone.
    return Measured(seconds, max(peak_kb, summed_kb) / 1024, stdout, stderr)


def manage(var_dir: Path, *args: str, settings: str = "config.settings.local", **env: str) -> str:
    """An untimed manage.py command against the database in var_dir."""
    proc = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        env=child_env(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=settings, DEBUG="0", **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def _copy_template(text: str, corpus_slugs: list[str]) -> str:
    """The file with COPY where a copy's number goes: its slug and, in `copy` mode, its links."""
    text = SLUG_LINE.sub(lambda m: f'slug: "{_slug_of(m.group(0))}-{COPY}"', text, count=1)
    if LINKS == "literal":
        return text
    names = "|".join(re.escape(s) for s in sorted(corpus_slugs, key=len, reverse=True))
    # /blog/<slug> links (body and canonicalUrl) and `- "<slug>"` items of relatedArticles.
    text = re.sub(rf"(?<=/blog/)({names})(?![\w-])", rf"\1-{COPY}", text)
    return re.sub(rf"^(\s+-\s+[\"']?)({names})([\"']?\s*)$", rf"\1\2-{COPY}\3", text, flags=re.M)


def _slug_of(line: str) -> str:
    return line.split(":", 1)[1].strip().strip("\"'")


def generate_articles(count: int, target: Path) -> Path:
    """`count` copies of the corpus under new slugs `<slug>-<n>`; the corpus is read in place.

    In the default `copy` mode the links of copy n to corpus articles are renamed as well, so
    each copy of the corpus is whole: its links resolve, or stay dead, as the corpus's do.
    BENCH_LINKS=literal renames the slug line only: every link to another article is dead.
    """
    target.mkdir(parents=True)
    sources = sorted(CORPUS.glob("*.md"))
    corpus_slugs = [
        _slug_of(SLUG_LINE.search(p.read_text(encoding="utf-8")).group(0)) for p in sources
    ]
    templates = [_copy_template(p.read_text(encoding="utf-8"), corpus_slugs) for p in sources]
    for i in range(count):
        copy, index = divmod(i, len(sources))
        text = templates[index].replace(COPY, str(copy))
        slug = f"{corpus_slugs[index]}-{copy}"
        (target / f"{slug}.md").write_text(text, encoding="utf-8")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A server process in a session of its own, stopped (with its workers) on exit."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str], log_path: Path):
        self.name, self.cmd, self.env, self.log_path = name, cmd, env, log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                return get(port, path)
            except OSError:
                time.sleep(0.1)
        log_text = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not answer on port {port}:\n{log_text}")

    def rss_mb(self) -> float:
        """Resident memory of the server and all its workers, now."""
        return sum(_rss_kb(pid) for pid in _process_tree(self.proc.pid)) / 1024

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self._log.close()


def _process_tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def _hwm_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+)", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


# --------------------------------------------------------------------------- 1. import vs Hugo


def bench_import_ours(
    articles: Path, count: int, work: Path, *, database_url: str | None = None
) -> dict:
    """The import of `count` fresh files, then (untimed against Hugo) the unchanged re-import
    of the same files: on SQLite in var_dir, or on the PostgreSQL database `database_url`."""
    var_dir = work / ("var-pg" if database_url else "var")
    extra = {"DATABASE_URL": database_url} if database_url else {}
    manage(var_dir, "migrate", "--noinput", "-v0", **extra)
    env = child_env(
        VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="0", **extra
    )
    cmd = [str(PYTHON), "manage.py", "import_articles", str(articles)]
    run = measure([*cmd, "--images", str(CORPUS_IMAGES), "--json"], env=env)
    if run.timed_out and database_url:
        log(f"import stopped after {run.seconds:.0f} s (BENCH_IMPORT_TIMEOUT)")
        report = {"imported": 0, "failed": [], "findings": []}
    elif run.timed_out:
        # Each file commits on its own: the rows stored so far give the rate until the timeout.
        with sqlite3.connect(var_dir / "db.sqlite3") as db:
            (done,) = db.execute("SELECT count(*) FROM articles_article").fetchone()
        log(f"import stopped after {run.seconds:.0f} s (BENCH_IMPORT_TIMEOUT): {done} imported")
        report = {"imported": done, "failed": [], "findings": []}
    else:
        report = json.loads(run.stdout)
    result = {
        "seconds": round(run.seconds, 3),
        "pages_per_s": round(report["imported"] / run.seconds, 1),
        "peak_mb": round(run.peak_mb, 1),
        "imported": report["imported"],
        "failed": len(report["failed"]),
        "findings": len(report["findings"]),
        "timed_out": run.timed_out,
    }
    if not run.timed_out:
        again = measure([*cmd, "--images", str(CORPUS_IMAGES), "--json"], env=env)
        second = json.loads(again.stdout) if not again.timed_out else {"unchanged": 0}
        result["unchanged"] = {
            "seconds": round(again.seconds, 3),
            "peak_mb": round(again.peak_mb, 1),
            "unchanged": second["unchanged"],
            "ratio": round(run.seconds / again.seconds, 2),
        }
    return result


def bench_hugo(hugo: str, articles: Path, count: int, work: Path) -> dict:
    site = work / "hugo"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    shutil.copytree(articles, site / "content" / "blog")
    cmd = [hugo, "--quiet", "--source", str(site), "--cacheDir", str(work / "hugo-cache")]
    run = measure(cmd, env=child_env())
    built = sum(1 for _ in (site / "public" / "blog").glob("*/index.html"))
    return {
        "seconds": round(run.seconds, 3),
        "pages_per_s": round(count / run.seconds, 1),
        "peak_mb": round(run.peak_mb, 1),
        "pages_built": built,
        "timed_out": run.timed_out,
    }


def bench_imports(hugo: str | None, tmp: Path) -> list[dict]:
    rows = []
    postgres = postgres_database(PG_URL, create=False)  # reachable? (each size makes it anew)
    for count in SIZES:
        work = tmp / f"import-{count}"
        articles = generate_articles(count, work / "articles")
        log(f"import {count:,} articles (ours, SQLite), then again unchanged")
        ours = bench_import_ours(articles, count, work)
        row = {"articles": count, "ours": ours, "hugo": None, "postgres": None}
        if hugo:
            log(f"build {count:,} articles (hugo)")
            row["hugo"] = theirs = bench_hugo(hugo, articles, count, work)
            row["speed_ratio"] = round(ours["pages_per_s"] / theirs["pages_per_s"], 3)
            row["memory_ratio"] = round(ours["peak_mb"] / theirs["peak_mb"], 3)
        if postgres and postgres_database(PG_URL, create=True):
            log(f"import {count:,} articles (ours, PostgreSQL), then again unchanged")
            images = work / "var-pg"
            try:
                row["postgres"] = pg = bench_import_ours(articles, count, work, database_url=PG_URL)
            finally:
                postgres_database(PG_URL, create=False)
                shutil.rmtree(images, ignore_errors=True)
            if row["hugo"]:
                row["postgres_speed_ratio"] = round(
                    pg["pages_per_s"] / row["hugo"]["pages_per_s"], 3
                )
        rows.append(row)
        if not KEEP:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def profile_import(tmp: Path) -> str:
    """cProfile of import_articles on SIZES[0] files: the top functions, cumulative and own."""
    import pstats
    from io import StringIO

    count = SIZES[0]
    work = tmp / "profile"
    articles = generate_articles(count, work / "articles")
    var_dir = work / "var"
    manage(var_dir, "migrate", "--noinput", "-v0")
    prof = work / "import.prof"
    log(f"profile import of {count:,} articles")
    subprocess.run(
        [str(PYTHON), "-m", "cProfile", "-o", str(prof), "manage.py", "import_articles"]
        + [str(articles), "--images", str(CORPUS_IMAGES), "--json"],
        env=child_env(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.local"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    text = StringIO()
    stats = pstats.Stats(str(prof), stream=text)
    text.write(f"import_articles on {count:,} files: top 10 by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(10)
    text.write("\nour code only (ketamine_association/), top 15 by cumulative time\n")
    stats.sort_stats("cumulative").print_stats("ketamine_association/", 15)
    text.write("\ntop 15 by own time\n")
    stats.sort_stats("tottime").print_stats(15)
    # Shorter paths: relative to the project, the venv's site-packages, the standard library.
    report = text.getvalue().replace(f"{ROOT}/", "")
    return re.sub(r"\S*/(?:site-packages|lib/python3\.\d+)/", "", report)


# --------------------------------------------------------------------------- 2. page vs nginx


LATENCY_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * LATENCY_UNITS[unit]


def run_wrk(wrk: str, port: int, seconds: int) -> dict:
    url = f"http://127.0.0.1:{port}{SEED_PATH}"
    base = [wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", "-H", "X-Forwarded-Proto: https"]
    subprocess.run([*base, "-d1s", url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(
        [*base, f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "Requests/sec" not in out or set(percentiles) != {"50", "75", "90", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    total = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(_ms(percentiles["50"]), 3),
        "p99_ms": round(_ms(percentiles["99"]), 3),
        "requests": int(total.group(1)) if total else None,
        "non_2xx_3xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else None,
    }


def redis_reachable(url: str) -> bool:
    match = re.match(r"redis://([^:/]+):?(\d+)?", url)
    host, port = match.group(1), int(match.group(2) or 6379)
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def granian_cmd(port: int) -> list[str]:
    return [
        str(GRANIAN),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(SERVER_WORKERS),
        "--no-access-log",
        "--log-level",
        "warning",
        "config.wsgi:application",
    ]


def bench_app(wrk: str, env: dict[str, str], tmp: Path, name: str) -> tuple[dict, bytes]:
    port = free_port()
    with Server(name, granian_cmd(port), env=env, log_path=tmp / f"{name}.log") as server:
        status, body = server.wait_ready(port, SEED_PATH)
        if status != 200:
            raise RuntimeError(f"{name}: {SEED_PATH} answered {status}, not 200")
        log(f"wrk {WRK_SECONDS}s against granian ({name})")
        result = run_wrk(wrk, port, WRK_SECONDS)
        result["server_rss_mb"] = round(server.rss_mb(), 1)
        result["status_after"] = get(port, SEED_PATH)[0]
    return result, body


def nginx_serving(nginx: str, html: bytes, path: str, tmp: Path) -> tuple[list[str], int, Path]:
    """A folder where nginx (SERVER_WORKERS workers) serves `html` at `path`: (command, port,
    work folder). One page, as the anchor of the benches that compare against a static file."""
    port = free_port()
    work = tmp / "nginx"
    page = work / "root" / path.lstrip("/")
    page.parent.mkdir(parents=True)
    page.write_bytes(html)
    # Started as root, nginx's workers run as nobody: they must be able to read the page.
    tmp.chmod(0o755)
    for folder, _, files in os.walk(work):
        Path(folder).chmod(0o755)
        for name in files:
            (Path(folder) / name).chmod(0o644)
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            workers=SERVER_WORKERS, tmp=work, port=port, root=work / "root", try_files="$uri"
        )
    )
    return (
        [nginx, "-e", str(work / "nginx-error.log"), "-p", str(work), "-c", str(conf)],
        port,
        work,
    )


def bench_nginx(nginx: str, wrk: str, html: bytes, tmp: Path) -> dict:
    cmd, port, _ = nginx_serving(nginx, html, SEED_PATH, tmp)
    with Server("nginx", cmd, env=child_env(), log_path=tmp / "nginx.log") as server:
        status, body = server.wait_ready(port, SEED_PATH)
        if status != 200 or body != html:
            raise RuntimeError(f"nginx: {SEED_PATH} answered {status} ({len(body)} bytes)")
        log(f"wrk {WRK_SECONDS}s against nginx")
        result = run_wrk(wrk, port, WRK_SECONDS)
        result["server_rss_mb"] = round(server.rss_mb(), 1)
    return result


def bench_http(wrk: str | None, nginx: str | None, tmp: Path) -> dict | None:
    if not wrk:
        return None
    var_dir = tmp / "site"
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secret,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        VAR_DIR=str(var_dir),
        CACHE_URL=REDIS_URL,
    )
    prod = {
        k: env[k]
        for k in (
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "ALLOWED_HOSTS",
            "SECURE_SSL_REDIRECT",
            "CACHE_URL",
        )
    }
    settings = "config.settings.production"
    log("prepare the site: migrate, import the corpus, collectstatic (production settings)")
    manage(var_dir, "migrate", "--noinput", "-v0", settings=settings, **prod)
    manage(
        var_dir,
        "import_articles",
        str(CORPUS),
        "--images",
        str(CORPUS_IMAGES),
        "--json",
        settings=settings,
        **prod,
    )
    manage(var_dir, "collectstatic", "--noinput", "-v0", settings=settings, **prod)
    result: dict = {
        "path": SEED_PATH,
        "redis": REDIS_URL,
        "redis_reachable": redis_reachable(REDIS_URL),
    }
    if not result["redis_reachable"]:
        log(f"Redis at {REDIS_URL} does not answer: the app runs without its page cache")
    result["app"], html = bench_app(wrk, env, tmp, "granian-redis")
    result["html_bytes"] = len(html)
    (tmp / "settings_dir").mkdir()
    (tmp / "settings_dir" / "bench_locmem_settings.py").write_text(LOCMEM_SETTINGS)
    locmem_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench_locmem_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp / "settings_dir"), str(ROOT)]),
    }
    result["app_locmem"], _ = bench_app(wrk, locmem_env, tmp, "granian-locmem")
    result["nginx"] = bench_nginx(nginx, wrk, html, tmp) if nginx else None
    if result["nginx"]:
        for key in ("app", "app_locmem"):
            result[f"{key}_ratio"] = round(result[key]["rps"] / result["nginx"]["rps"], 3)
    return result


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _num(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def print_imports(rows: list[dict]) -> None:
    print(
        "1. Import vs Hugo (same generated files; wall clock incl. process start; peak = max RSS)"
    )
    print(
        f"{'articles':>9} | {'ours p/s':>9} {'hugo p/s':>9} {'ours/hugo':>9} | "
        f"{'ours MB':>8} {'hugo MB':>8} {'ours/hugo':>9} | {'ours s':>7} {'hugo s':>7}"
    )
    for row in rows:
        ours, hugo = row["ours"], row["hugo"] or {}
        print(
            f"{row['articles']:>9,} | {ours['pages_per_s']:>9.1f} "
            f"{_num(hugo.get('pages_per_s'), '.1f'):>9} "
            f"{_num(row.get('speed_ratio'), '.3f'):>8}x | "
            f"{ours['peak_mb']:>8.1f} {_num(hugo.get('peak_mb'), '.1f'):>8} "
            f"{_num(row.get('memory_ratio'), '.3f'):>8}x | "
            f"{ours['seconds']:>7.2f} {_num(hugo.get('seconds'), '.2f'):>7}"
        )
        if ours["timed_out"]:
            print(
                f"   !! ours stopped at BENCH_IMPORT_TIMEOUT after {ours['seconds']:.0f} s with "
                f"{ours['imported']:,} of {row['articles']:,} imported: p/s is the rate so far "
                "(an upper bound), MB the largest RSS sampled"
            )
        elif ours["failed"] or ours["imported"] != row["articles"]:
            print(f"   !! ours imported {ours['imported']}, failed {ours['failed']}")
        if hugo and hugo["pages_built"] != row["articles"]:
            print(f"   !! hugo built {hugo['pages_built']} article pages")
    print("   ours MB: the sum of every process's peak (the import's worker pool counted)")
    for row in rows:
        pg = row.get("postgres")
        if pg:
            ratio = row.get("postgres_speed_ratio")
            print(
                f"   PostgreSQL, {row['articles']:,}: {pg['pages_per_s']:.1f} p/s "
                f"({_num(ratio, '.3f')}x Hugo), {pg['peak_mb']:.1f} MB, {pg['seconds']:.2f} s"
                + (
                    f"; unchanged re-import {pg['unchanged']['seconds']:.2f} s"
                    if "unchanged" in pg
                    else ""
                )
            )
    largest = rows[-1]
    if not largest["hugo"]:
        print("   Hugo missing: no ratios")
    else:
        for row in rows:
            speed = row["speed_ratio"]
            print(
                f"   goal: import >= {GOAL_IMPORT_SPEED:.1f}x Hugo's pages/s at "
                f"{row['articles']:,} (SQLite) -> {verdict(speed >= GOAL_IMPORT_SPEED)} "
                f"({speed:.3f}x)"
            )
            if "postgres_speed_ratio" in row:
                speed = row["postgres_speed_ratio"]
                print(
                    f"   goal: import >= {GOAL_IMPORT_SPEED:.1f}x Hugo's pages/s at "
                    f"{row['articles']:,} (PostgreSQL) -> {verdict(speed >= GOAL_IMPORT_SPEED)} "
                    f"({speed:.3f}x)"
                )
        memory = largest["memory_ratio"]
        print(
            f"   goal: peak memory <= 1/10 of Hugo's at {largest['articles']:,} "
            f"-> {verdict(memory <= GOAL_IMPORT_MEMORY)} ({memory:.3f}x)"
        )
    for engine, ours in (("SQLite", largest["ours"]), ("PostgreSQL", largest.get("postgres"))):
        again = (ours or {}).get("unchanged")
        if not again:
            continue
        ok = again["ratio"] >= GOAL_REIMPORT and again["unchanged"] == largest["articles"]
        print(
            f"   goal: unchanged re-import >= {GOAL_REIMPORT:.0f}x faster than the first import "
            f"at {largest['articles']:,} ({engine}: {ours['seconds']:.2f} s / "
            f"{again['seconds']:.2f} s, {again['unchanged']:,} unchanged) -> {verdict(ok)} "
            f"({again['ratio']:.1f}x)"
        )


def print_http(http: dict | None) -> None:
    if http is None:
        print("2. Seed page vs nginx: skipped (wrk missing)")
        return
    print(
        f"2. {http['path']} ({http['html_bytes']:,} bytes): wrk -t{WRK_THREADS} "
        f"-c{WRK_CONNECTIONS} -d{WRK_SECONDS}s, {SERVER_WORKERS} workers each"
    )
    print(f"{'server':<24} | {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>7} | app/nginx")
    rows = [
        ("granian + Redis (prod)", http["app"], http.get("app_ratio")),
        ("granian + locmem", http["app_locmem"], http.get("app_locmem_ratio")),
        ("nginx, static file", http["nginx"], None),
    ]
    for label, row, ratio in rows:
        if row is None:
            print(f"{label:<24} | skipped (nginx missing)")
            continue
        bad = row["non_2xx_3xx"] or row["socket_errors"]
        flag = f"  !! non-2xx {row['non_2xx_3xx']}, sockets: {row['socket_errors']}" if bad else ""
        print(
            f"{label:<24} | {row['rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['server_rss_mb']:>7.1f} | {_num(ratio, '.3f')}{'x' if ratio else ''}{flag}"
        )
    if "app_ratio" in http:
        print(
            f"   goal: app >= {GOAL_HTTP:.2f}x nginx's req/s (production config) "
            f"-> {verdict(http['app_ratio'] >= GOAL_HTTP)} ({http['app_ratio']:.3f}x)"
        )


def print_table(results: dict) -> None:
    mode = "QUICK" if QUICK else "full"
    machine = results["machine"]
    print(f"\n== Benchmarks ({mode}; {machine['cpus']} CPUs; figures are ratios to the anchor) ==")
    print(f"load average (1 min) at start {machine['load_start']}, at end {machine['load_end']}")
    print(f"code: {results['commit_start']} at start, {results['commit_end']} at end\n")
    if "import" in results:
        print_imports(results["import"])
        print()
    if "http" in results:
        print_http(results["http"])
        print()


def postgres_database(url: str, *, create: bool, log=log) -> bool:
    """Drop a bench's own database, and make it anew when `create`; False if PostgreSQL fails."""
    try:
        import psycopg
    except ImportError:
        log("psycopg is not installed: the PostgreSQL figures are skipped")
        return False
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        log(f"PostgreSQL at {parts.hostname}:{parts.port} is not usable ({exc}); skipped")
        return False
    return True


def tool_version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    return (proc.stdout or proc.stderr).strip().splitlines()[0]


def git_head() -> str:
    """The commit under test, `+dirty` when the tree has changes: the code can move mid-run."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    return head.stdout.decode().strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> int:
    if not CORPUS.is_dir():
        print(f"The corpus {CORPUS} is missing (set SHARED_DIR).", file=sys.stderr)
        return 2
    tools = ensure_tools(("hugo", "wrk", "nginx"))
    tmp = Path(tempfile.mkdtemp(prefix="ka-bench-"))
    results: dict = {
        "quick": QUICK,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit_start": git_head(),
        "machine": {
            "cpus": os.cpu_count(),
            "load_start": round(os.getloadavg()[0], 2),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hugo": tool_version([tools["hugo"], "version"]) if tools["hugo"] else None,
            "nginx": tool_version([tools["nginx"], "-v"]) if tools["nginx"] else None,
            "wrk": tool_version([tools["wrk"], "-v"]) if tools["wrk"] else None,
            "granian": tool_version([str(GRANIAN), "--version"]),
            "peak_rss_method": "/usr/bin/time -v"
            if os.access("/usr/bin/time", os.X_OK)
            else "getrusage(RUSAGE_CHILDREN)",
        },
        "goals": {
            "import_speed_ratio_min": GOAL_IMPORT_SPEED,
            "reimport_ratio_min": GOAL_REIMPORT,
            "import_memory_ratio_max": GOAL_IMPORT_MEMORY,
            "http_ratio_min": GOAL_HTTP,
        },
    }
    try:
        if ONLY in ("", "import"):
            results["import"] = bench_imports(tools["hugo"], tmp)
        if ONLY in ("", "http"):
            results["http"] = bench_http(tools["wrk"], tools["nginx"], tmp)
        if PROFILE:
            results["import_profile"] = profile_import(tmp)
    finally:
        results["machine"]["load_end"] = round(os.getloadavg()[0], 2)
        results["commit_end"] = git_head()
        if KEEP:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(results)
    if PROFILE:
        print(results["import_profile"])
    OUT.mkdir(parents=True, exist_ok=True)
    if PROFILE:
        (OUT / "import_profile.txt").write_text(results["import_profile"])
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {(OUT / 'results.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
