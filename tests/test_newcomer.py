"""A newcomer's first five minutes: what `make run` serves, prints and links to.

The site runs in subprocesses under `config.settings.local` (the settings `make run` uses),
on a scratch SQLite file in a temporary VAR_DIR: never the test settings, never PostgreSQL.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/[^\s|)`]*)")

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="`make` is not installed")


def local_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "DATABASE_URL",
            "SITE_URL",
            "CACHE_URL",
            "ALLOWED_HOSTS",
            "ARTICLE_IMAGES_ROOT",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", VAR_DIR=str(var_dir), **extra)
    return env


def python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def make(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    done = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def where_to_go_paths(text: str, port: str = "8000") -> list[str]:
    return [path for p, path in URL.findall(text) if p == port]


def readme_section() -> str:
    text = README.read_text()
    headings = re.findall(r"^## .+$", text, flags=re.M)
    assert headings.index("## What you are looking at") == headings.index("## Two commands") + 1
    start = text.index("## What you are looking at")
    return text[start : text.index("\n## ", start + 1)]


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("1", "True")])
def test_local_settings_debug_is_off_unless_asked_for(tmp_path, value, expected):
    env = local_env(tmp_path)
    if value is not None:
        env["DEBUG"] = value
    out = python("import config.settings.local as s; print(s.DEBUG)", env)
    assert out.strip() == expected


# --- what `make run` serves, through Django's test client -----------------------------------

SERVE = """
import io, json, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client

if sys.argv[1] == "setup":
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("migrate", verbosity=0, interactive=False)
    call_command(
        "import_articles", "demo/articles", "demo/pages", "--images", "demo/images", **quiet
    )
    call_command("seed_providers", "--count", "2000", "--seed", "1", **quiet)
client = Client()
out = {}
for path in sys.argv[2:]:
    r = client.get(path)
    body = b"".join(r.streaming_content) if r.streaming else r.content
    out[path] = {"status": r.status_code, "location": r.get("Location", ""),
                 "body": body.decode("utf-8", "replace")}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    """Every path `make run` prints, plus a missing page and a stylesheet, answered under the
    local settings on the demo data `make run` loads (providers seeded as `make demo` does)."""
    var_dir = tmp_path_factory.mktemp("var")
    paths = [
        *where_to_go_paths(make("-s", "urls", "PORT=8000")),
        "/no-such-page",
        "/static/css/site.css",
    ]
    env = local_env(var_dir, SITE_URL="http://127.0.0.1:8123")
    pages = json.loads(python(SERVE, env, "setup", *paths).splitlines()[-1])
    return {"pages": pages, "env": env, "paths": paths}


@needs_make
def test_every_printed_place_answers(served):
    for path in served["paths"][:-2]:
        page = served["pages"][path]
        if path == "/admin/":
            assert page["status"] == 302 and page["location"].startswith("/admin/login/")
        elif path == "/editor/":  # the editorial workflow: its team signs in first
            assert page["status"] == 302 and page["location"].startswith("/accounts/login/")
        else:
            assert page["status"] == 200, path


@needs_make
def test_the_printed_zip_has_demo_providers(served):
    [path] = [p for p in served["paths"] if p.startswith("/find-provider?location=")]
    assert "/providers/" in served["pages"][path]["body"]


@needs_make
def test_canonical_urls_follow_site_url(served):
    [path] = [p for p in served["paths"] if p.startswith("/blog/")]
    assert f'rel="canonical" href="http://127.0.0.1:8123{path}"' in served["pages"][path]["body"]


@needs_make
def test_a_missing_page_is_the_sites_own_404(served):
    page = served["pages"]["/no-such-page"]
    assert page["status"] == 404
    assert "<title>Page not found | Ketamine Association</title>" in page["body"]
    assert "Using the URLconf" not in page["body"]


@needs_make
def test_static_files_are_served_with_debug_off(served):
    page = served["pages"]["/static/css/site.css"]
    assert page["status"] == 200 and page["body"].strip()


@needs_make
def test_debug_1_shows_djangos_404(served):
    env = {**served["env"], "DEBUG": "1"}
    page = json.loads(python(SERVE, env, "serve", "/no-such-page").splitlines()[-1])[
        "/no-such-page"
    ]
    assert page["status"] == 404
    assert "Using the URLconf" in page["body"]


# --- the README and the Makefile -------------------------------------------------------------


@needs_make
def test_readme_names_the_places_make_run_prints():
    printed = where_to_go_paths(make("-s", "urls", "PORT=8000"))
    assert printed, "make urls printed no URL"
    assert where_to_go_paths(readme_section()) == printed


@needs_make
def test_make_run_prints_the_list_on_the_port_it_serves():
    dry = make("-n", "run", "PORT=8123")
    assert 'echo "$WHERE_TO_GO"' in dry
    printed = where_to_go_paths(make("-s", "urls", "PORT=8123"), port="8123")
    assert printed == where_to_go_paths(make("-s", "urls", "PORT=8000"))


@needs_make
def test_make_run_prints_the_demo_practitioners_sign_in():
    """The command itself is tested in tests/practitioners/test_demo_practitioner.py."""
    dry = make("-n", "run", "PORT=8123")
    assert re.search(r"^SITE_URL=\S+ \S+ manage\.py demo_practitioner$", dry, re.M), dry


@needs_make
def test_make_run_sets_site_url_from_the_port():
    dry = make("-n", "run", "PORT=8123")
    runserver = r"^SITE_URL=http://127\.0\.0\.1:8123 \S+ manage\.py runserver 127\.0\.0\.1:8123$"
    assert re.search(runserver, dry, re.M), dry


@needs_make
def test_a_given_site_url_wins():
    dry = make("-n", "run", "PORT=8123", "SITE_URL=https://example.org")
    runserver = r"^SITE_URL=https://example\.org \S+ manage\.py runserver 127\.0\.0\.1:8123$"
    assert re.search(runserver, dry, re.M), dry
