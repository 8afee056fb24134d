"""Static export: a plain static server (nginx) serves the same URLs with the same bytes."""

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from ketamine_association.articles.export import file_for, site_export, site_paths
from ketamine_association.articles.services import article_import_paths
from tests.newsletter.smtp import free_port

from .factories import article_text, write

pytestmark = pytest.mark.django_db
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def site(tmp_path, images):
    for n in range(15):
        text = article_text(f"export-{n:02d}").replace('"2026-02-03"', f'"2026-03-{n + 1:02d}"')
        if n % 2:
            text = text.replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"')
        write(tmp_path / "in" / f"e{n}.md", text)
    write(images.root / "export-01.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    article_import_paths(paths=[tmp_path / "in"], images=images)
    return tmp_path / "in"


@pytest.fixture
def static_server(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (make test installs it as root: apt-get install nginx)")
    root = tmp_path / "export"
    root.mkdir()
    port = free_port()
    conf = tmp_path / "nginx.conf"
    # as root, nginx's workers would drop to nobody and could not read pytest's private tmp
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""
{user} daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types; access_log off;
  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
  server {{
    listen 127.0.0.1:{port}; root {root};
    index index.html;
    location / {{ try_files $uri $uri.html $uri/ =404; }}
  }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield root, f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(5)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own localhost
        return response.read()


def test_static_server_serves_the_same_bytes_as_the_app(site, static_server):
    root, base = static_server
    report = site_export(directory=root)
    assert not report.failed
    client = Client()
    sample = [
        "/",
        "/blog",
        "/blog/page/2",
        "/blog/export-03",
        "/blog/category/clinical-research",
        "/blog/tag/options",
        "/blog/audience/patients",
        "/blog/feed.xml",
        "/blog/atom.xml",
        "/blog/category/patient-education/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/images/articles/export-01.svg",
    ]
    for path in sample:
        app = client.get(path)
        body = b"".join(app.streaming_content) if app.streaming else app.content
        assert app.status_code == 200, path
        assert fetch(base + path) == body, path
    css = [p for p in site_paths() if p.endswith(".css")]
    assert css == []  # pages only; static files are copied, and served:
    assert fetch(base + "/static/css/site.css")
    with pytest.raises(urllib.error.HTTPError):
        fetch(base + "/blog/not-an-article")


def test_every_public_page_is_exported(site, tmp_path):
    report = site_export(directory=tmp_path / "out")
    assert not report.failed
    for path in site_paths():
        assert (tmp_path / "out" / file_for(path)).is_file(), path
    assert (tmp_path / "out" / "404.html").read_bytes().count(b"could not find") == 1


def test_second_run_rewrites_only_what_changed(site, tmp_path, images):
    out = tmp_path / "out"
    first = site_export(directory=out)
    assert first.written == first.pages and first.unchanged == 0
    again = site_export(directory=out)
    assert again.written == 0 and again.unchanged == first.pages
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    write(
        site / "e3.md",
        article_text("export-03")
        .replace('"2026-02-03"', '"2026-03-04"')
        .replace("Bring the list", "Carry the list")
        .replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"'),
    )
    article_import_paths(paths=[site], images=images)
    third = site_export(directory=out)
    changed = {p for p, mtime in before.items() if p.stat().st_mtime_ns != mtime}
    assert out / "blog" / "export-03.html" in changed
    assert 0 < third.written < first.written
    assert out / "blog" / "export-05.html" not in changed


def test_removed_article_file_is_removed_from_the_export(site, tmp_path, images):
    from ketamine_association.articles.models import Article

    out = tmp_path / "out"
    site_export(directory=out)
    Article.objects.filter(slug="export-07").delete()
    report = site_export(directory=out)
    assert report.removed >= 1
    assert not (out / "blog" / "export-07.html").exists()


def test_file_names():
    assert file_for("/") == "index.html"
    assert file_for("/blog") == "blog.html"
    assert file_for("/blog/page/2") == "blog/page/2.html"
    assert file_for("/blog/feed.xml") == "blog/feed.xml"
    assert file_for("/sitemap-articles.xml?p=2") == "sitemap-articles-p2.xml"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".export-manifest.json"
    }


def test_several_processes_write_the_same_files_as_one(tmp_path):
    """`export_site --workers 2` in a real process and database: byte for byte the same tree."""
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "1",
        "SITE_URL": "https://ketamineassociation.test",
    }
    env.pop("DATABASE_URL", None)  # its own SQLite file: data the workers can all read

    def manage(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(root / "manage.py"), *args],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done

    for n in range(40):
        text = article_text(f"parallel-{n:02d}").replace(
            '"2026-02-03"', f'"2026-01-{n % 28 + 1:02d}"'
        )
        write(tmp_path / "in" / f"p{n}.md", text)
    manage("migrate", "-v0")
    manage("import_articles", str(tmp_path / "in"))
    one = manage("export_site", str(tmp_path / "one"), "--workers", "1")
    two = manage("export_site", str(tmp_path / "two"), "--workers", "2")
    assert one.stdout.split(" in ")[0] == two.stdout.split(" in ")[0]  # "N files"
    first, second = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert "blog/parallel-07.html" in first and "blog/page/4.html" in first
