"""Static export: every public page of the blog written as files a static server can serve.

Pages are fetched through the application itself (Django's test client, every middleware
included), so a file holds exactly the bytes the app would answer. URLs without an extension
become `<path>.html` (the "pretty URL" convention of nginx `try_files $uri $uri.html`,
Netlify, Cloudflare Pages and GitHub Pages); `/` becomes `index.html`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db import connection, connections
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from ketamine_association.core.files import contained_file
from ketamine_association.core.sitemaps import sitemap_index_paths, sitemap_sections

from . import selectors
from .choices import Audience
from .models import Redirect
from .views import PAGE_SIZE, page_url

MANIFEST = ".export-manifest.json"


@dataclass
class ExportReport:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return self.written + self.unchanged


def _paged(base: str, count: int) -> list[str]:
    pages = max(1, Paginator(range(count), PAGE_SIZE).num_pages)
    return [page_url(base, n) for n in range(1, pages + 1)]


def site_paths() -> list[str]:
    """Every public URL of the blog and the site pages, in a stable order."""
    now = timezone.now()
    published = selectors.article_list_published(now=now)
    paths = ["/", "/robots.txt", "/blog/feed.xml", "/blog/atom.xml"]
    paths += _paged("/blog", published.count())
    paths += [f"/blog/{slug}" for slug in published.values_list("slug", flat=True)]
    for category, count in selectors.category_list(now=now):
        base = category.get_absolute_url()
        paths += _paged(base, count) + [f"{base}/feed.xml", f"{base}/atom.xml"]
    for tag in selectors.tag_list_published(now=now):
        paths += _paged(tag.get_absolute_url(), tag.n)
    for audience in Audience.values:
        base = f"/blog/audience/{audience}"
        paths += _paged(base, published.filter(audience=audience).count())
    paths += list(selectors.page_list().values_list("path", flat=True))
    paths.append("/sitemap.xml")
    sections = {name: cls() for name, cls in sitemap_sections().items()}
    paths += sitemap_index_paths(sections) or []
    return paths


def file_for(path: str) -> str:
    """The file that holds a URL: `/` -> index.html, `/blog/x` -> blog/x.html."""
    clean, _, query = path.partition("?")
    if clean == "/":
        return "index.html"
    name = clean.lstrip("/")
    if query:  # sitemap sections: /sitemap-articles.xml?p=2 -> sitemap-articles-p2.xml
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}-{query.replace('=', '')}{dot}{ext}"
    return name if "." in name.rsplit("/", 1)[-1] else f"{name}.html"


def _write(target: Path, data: bytes, report: ExportReport) -> None:
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        report.unchanged += 1
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)  # atomic: a server never sees half a file
    report.written += 1


def _static_files() -> dict[str, Path]:
    """Static files by URL path, hashed names included when the manifest storage is in use."""
    files: dict[str, Path] = {}
    for finder in finders.get_finders():
        for relative, storage in finder.list(["CVS", ".*", "*~"]):
            files[f"{settings.STATIC_URL}{relative}"] = Path(storage.path(relative))
    root = Path(settings.STATIC_ROOT)
    manifest = root / "staticfiles.json"
    if manifest.is_file():
        for hashed in json.loads(manifest.read_text()).get("paths", {}).values():
            if (root / hashed).is_file():
                files[f"{settings.STATIC_URL}{hashed}"] = root / hashed
    return files


def default_workers() -> int:
    """Processes for an export: one per core, or one where other processes cannot see the data
    (an in-memory SQLite database, or rows not yet committed by an open transaction)."""
    if connection.in_atomic_block:
        return 1
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return 1
    return max(1, min(8, len(os.sched_getaffinity(0))))


def _client() -> tuple[Client, bool]:
    site = urlsplit(settings.SITE_URL)
    return Client(HTTP_HOST=site.netloc, raise_request_exception=False), site.scheme == "https"


def _export_chunk(job: tuple[Path, list[str]]) -> tuple[list[str], list[str], ExportReport]:
    """Fetch and write some pages: (the paths asked, the file names written, what happened)."""
    directory, paths = job
    client, secure = _client()
    report, produced = ExportReport(), []
    for path in paths:
        response = client.get(path, secure=secure)
        if response.status_code != 200:
            report.failed.append((path, response.status_code))
            continue
        name = file_for(path)
        _write(directory / name, response.content, report)
        produced.append(name)
    return paths, produced, report


def _pages_in_parallel(
    directory: Path, paths: list[str], workers: int
) -> Iterator[tuple[list[str], list[str], ExportReport]]:
    """Chunks of pages rendered by `workers` forked processes, each with its own connection."""
    size = max(1, min(200, len(paths) // (workers * 8) or 1))
    chunks = [(directory, paths[i : i + size]) for i in range(0, len(paths), size)]
    connections.close_all()  # a forked child must open its own, never share the parent's
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_export_chunk, chunks)


def site_export(
    *,
    directory: Path,
    on_progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> ExportReport:
    """Write every public page, feed, sitemap, image and static file under `directory`.

    Pages are rendered by `workers` processes (see default_workers()); the files are the same
    whatever the number. A second run rewrites only files whose bytes changed, and removes
    files of pages that no longer exist (those it wrote itself, listed in its manifest)."""
    # The pages are asked for on SITE_URL's host: the site's own name, whatever ALLOWED_HOSTS
    # says for the requests a server receives.
    with override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, urlsplit(settings.SITE_URL).hostname]
    ):
        return _site_export(directory=directory, on_progress=on_progress, workers=workers)


def _site_export(
    *, directory: Path, on_progress: Callable[[str], None] | None, workers: int
) -> ExportReport:
    directory.mkdir(parents=True, exist_ok=True)
    client, secure = _client()
    report = ExportReport()
    produced: set[str] = set()
    paths = site_paths()
    if workers > 1 and len(paths) > workers:
        chunks = _pages_in_parallel(directory, paths, workers)
    else:
        chunks = (_export_chunk((directory, paths[i : i + 25])) for i in range(0, len(paths), 25))
    for done, names, part in chunks:
        produced.update(names)
        report.written += part.written
        report.unchanged += part.unchanged
        report.failed += part.failed
        if on_progress:
            for path in done:
                on_progress(path)

    request_log = logging.getLogger("django.request")
    level, request_log.level = request_log.level, logging.ERROR  # the 404 below is on purpose
    try:
        missing = client.get("/__no-such-page-for-the-export__", secure=secure)
    finally:
        request_log.setLevel(level)
    _write(directory / "404.html", missing.content, report)
    produced.add("404.html")

    redirects = Redirect.objects.select_related("article").order_by("old_path")
    lines = [f"{r.old_path} {r.article.get_absolute_url()} 301" for r in redirects]
    _write(directory / "_redirects", ("\n".join(lines) + "\n").encode(), report)
    produced.add("_redirects")

    images_root = Path(settings.ARTICLE_IMAGES_ROOT)
    if images_root.is_dir():
        prefix = settings.ARTICLE_IMAGES_URL.strip("/")
        for found in sorted(images_root.rglob("*")):
            relative = found.relative_to(images_root).as_posix()
            source = contained_file(images_root, relative)  # regular files only, no links
            if source is None:
                continue
            name = f"{prefix}/{relative}"
            _copy(source, directory / name, report)
            produced.add(name)
    for url, source in sorted(_static_files().items()):
        name = url.lstrip("/")
        _copy(source, directory / name, report)
        produced.add(name)

    manifest_path = directory / MANIFEST
    previous = set(json.loads(manifest_path.read_text())) if manifest_path.is_file() else set()
    for stale in sorted(previous - produced):
        target = directory / stale
        if target.is_file() and directory.resolve() in target.resolve().parents:
            target.unlink()
            report.removed += 1
    manifest_path.write_text(json.dumps(sorted(produced), indent=0))
    return report


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(source: Path, target: Path, report: ExportReport) -> None:
    if (
        target.is_file()
        and target.stat().st_size == source.stat().st_size
        and _digest(target) == _digest(source)
    ):
        report.unchanged += 1
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    report.written += 1
