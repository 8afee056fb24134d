"""Static export: every public page of the blog written as files a static server can serve.

Articles and list pages (the blog, categories, tags, audiences: nearly every page) are
rendered by the views' own functions (views.article_page, views.list_page) from data read
once for the whole site: one query for every published article's card, one for the tag
memberships, one for the reviewers, and one per batch of articles for their full rows;
the neighbours, related articles and each list's pages are cut from the ordered cards in
Python, as the selectors would. The other pages (home, feeds, sitemap, robots, site pages,
404) are fetched through the application itself (Django's test client, every middleware
included). Either way a file holds exactly the bytes the app answers:
tests/articles/test_export_site_bytes.py compares them with the test client's responses.

URLs without an extension become `<path>.html` (the "pretty URL" convention of nginx
`try_files $uri $uri.html`, Netlify, Cloudflare Pages and GitHub Pages); `/` becomes
`index.html`.
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
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from ketamine_association.core.files import contained_file
from ketamine_association.core.sections import site_nav
from ketamine_association.core.sitemaps import sitemap_index_paths, sitemap_sections

from . import selectors, views
from .choices import Audience
from .models import Article, Redirect, Reviewer
from .review import reviewer_key
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


def site_paths(now=None) -> list[str]:
    """Every public URL of the blog and the site pages, in a stable order."""
    now = now or timezone.now()
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


@dataclass
class _Site:
    """What every article and list page needs, read once before the pages are rendered (and
    before the worker processes fork, so they share it)."""

    now: object
    cards: dict[str, Article]  # every published article's card fields, by slug
    by_category: dict[str, list[Article]]  # newest first, as article_list_published orders
    place: dict[str, int]  # an article's index in its category's list
    lists: dict[str, tuple[Paginator, dict]]  # list address: (its pages, views' list kwargs)
    categories: list
    category_links: list  # views.make_category_links(categories)
    reviewers: dict[str, Reviewer]
    nav: dict  # core.sections.site_nav(): the header and footer links of every page
    tag_urls: dict[str, str] = field(default_factory=dict)  # a tag's address, by slug
    kinds: dict[str, tuple[str, object]] = field(default_factory=dict)  # _kind(), by path


_SITE: _Site | None = None
_LIST_VIEWS = {views.article_index, views.category_detail, views.tag_detail, views.audience_detail}


def _address_once(item, url: str | None = None) -> None:
    """Make `item.get_absolute_url()` answer the address it made once (or `url`, the one it
    makes): reverse() was a fifth of the time of a list page, where each card's link is made
    again on every list holding it. The same string, the same bytes
    (test_export_site_bytes.py)."""
    url = item.get_absolute_url() if url is None else url
    item.get_absolute_url = lambda: url


def _read_site(now) -> _Site:
    cards = list(selectors.article_list_published(now=now))
    for card in cards:
        _address_once(card)
        card.keep_card = True  # its card HTML is made once (views.card_html): on many pages
    by_category: dict[str, list[Article]] = {}
    by_audience: dict[str, list[Article]] = {}
    for card in cards:
        by_category.setdefault(card.category, []).append(card)
        by_audience.setdefault(card.audience, []).append(card)
    tags_of: dict[int, list[int]] = {}
    memberships = Article.tag_set.through.objects.values_list("article_id", "tag_id")
    for article_id, tag_id in memberships.iterator(chunk_size=10_000):
        tags_of.setdefault(article_id, []).append(tag_id)
    by_tag: dict[int, list[Article]] = {}
    for card in cards:
        for tag_id in tags_of.get(card.id, ()):
            by_tag.setdefault(tag_id, []).append(card)

    def pages(items: list[Article], spec: dict) -> tuple[str, tuple[Paginator, dict]]:
        return spec["base"], (Paginator(items, PAGE_SIZE), spec)

    categories = selectors.category_list(now=now)
    lists = dict(
        [pages(cards, views.index_list())]
        + [
            pages(by_category.get(category.code, []), views.category_list_page(category))
            for category, _ in categories
        ]
        + [
            pages(by_tag.get(tag.id, []), views.tag_list_page(tag))
            for tag in selectors.tag_list_published(now=now)
        ]
        + [
            pages(by_audience.get(audience, []), views.audience_list_page(audience))
            for audience in Audience.values
        ]
    )
    reviewers: dict[str, Reviewer] = {}
    for reviewer in Reviewer.objects.order_by("name", "pk"):  # reviewer_for(): the first
        reviewers.setdefault(reviewer.name_key, reviewer)
    return _Site(
        now=now,
        cards={card.slug: card for card in cards},
        by_category=by_category,
        place={a.slug: i for items in by_category.values() for i, a in enumerate(items)},
        lists=lists,
        categories=categories,
        category_links=views.make_category_links(categories),
        reviewers=reviewers,
        nav=site_nav(),
    )


def _surroundings(site: _Site, article: Article) -> views.ArticleSurroundings:
    """What selectors.article_neighbours, article_related and reviewer_for answer, cut from
    the cards read once."""
    siblings = site.by_category.get(article.category, [])
    at = site.place[article.slug]
    newer = siblings[at - 1] if at > 0 else None
    older = siblings[at + 1] if at + 1 < len(siblings) else None
    limit = 4  # article_related's
    chosen = {
        slug: site.cards[slug]
        for slug in article.related_slugs
        if slug in site.cards and slug != article.slug
    }
    related = [chosen[slug] for slug in article.related_slugs if slug in chosen][:limit]
    if len(related) < limit:
        taken = {a.slug for a in related} | {article.slug}
        candidates = []
        for other in siblings:
            if other.slug not in taken:
                candidates.append(other)
                if len(candidates) == limit * 3:
                    break
        tags = set(article.tags)
        ranked = sorted(candidates, key=lambda a: -len(tags & set(a.tags or [])))
        related += ranked[: limit - len(related)]
    return views.ArticleSurroundings(
        previous=older,
        next=newer,
        related=related,
        reviewer=site.reviewers.get(article.reviewer_key) if article.reviewer_key else None,
        tags=_tags_addressed(site, views._ordered_tags(article)),
        author_profile=_author_profile(site, article),
    )


def _author_profile(site: _Site, article: Article) -> Reviewer | None:
    """What selectors.reviewer_named(reviewed_by=article.author) answers (name_key is unique)."""
    key = reviewer_key(article.author)
    return site.reviewers.get(key) if key else None


def _tags_addressed(site: _Site, tags: list) -> list:
    """`tags` answering get_absolute_url() with the address made once for their slug."""
    for tag in tags:
        url = site.tag_urls.get(tag.slug)
        if url is None:
            url = site.tag_urls[tag.slug] = tag.get_absolute_url()
        _address_once(tag, url)
    return tags


# A file the export copies: (its name under the folder, the file, or the images folder and
# the image's path in it when it is to be copied only if contained_file() finds it there).
_Copy = tuple[str, Path, str | None]


def _files_to_copy() -> list[_Copy]:
    """The article images, then the static files (one name once: the later one's)."""
    copies: dict[str, _Copy] = {}
    images_root = Path(settings.ARTICLE_IMAGES_ROOT)
    if images_root.is_dir():
        prefix = settings.ARTICLE_IMAGES_URL.strip("/")
        for found in sorted(images_root.rglob("*")):
            relative = found.relative_to(images_root).as_posix()
            name = f"{prefix}/{relative}"
            copies[name] = (name, images_root, relative)
    for url, source in sorted(_static_files().items()):
        name = url.lstrip("/")
        copies.pop(name, None)  # a static file of an image's name is the one that stays
        copies[name] = (name, source, None)
    return list(copies.values())


def _copy_files(directory: Path, copies: list[_Copy], report: ExportReport) -> list[str]:
    """Copy what changed of `copies` under `directory`: the names of the files there."""
    produced = []
    for name, source, relative in copies:
        if relative is not None:
            found = contained_file(source, relative)  # regular files only, no links
            if found is None:
                continue
            source = found
        _copy(source, directory / name, report)
        produced.append(name)
    return produced


def _export_chunk(
    job: tuple[Path, list[str]] | tuple[Path, list[str], list[_Copy]],
) -> tuple[list[str], list[str], ExportReport]:
    """Render or fetch and write some pages, or copy some files: (the paths asked, the file
    names written, what happened)."""
    directory, paths, *rest = job
    if rest:
        report = ExportReport()
        return paths, _copy_files(directory, rest[0], report), report
    site = _SITE
    client, secure = _client()
    factory = RequestFactory(HTTP_HOST=urlsplit(settings.SITE_URL).netloc)
    report, produced = ExportReport(), []
    known_kinds = site.kinds if site is not None else {}
    kinds = {path: known_kinds.get(path) or _kind(site, path) for path in paths}
    slugs = [value for kind, value in kinds.values() if kind == "article"]
    articles = (
        Article.objects.filter(published_at__lte=site.now, slug__in=slugs)
        .prefetch_related("tag_set")
        .in_bulk(field_name="slug")
        if slugs
        else {}
    )
    for path in paths:
        kind, value = kinds[path]
        body: bytes | None = None
        if kind == "article" and value in articles:
            request = _request(factory, path, secure, nav=site.nav)
            article = articles[value]
            known = _surroundings(site, article)
            body = views.article_page(request, article, now=site.now, known=known).encode()
        elif kind == "list":
            paginator, spec = site.lists[value[0]]
            request = _request(factory, path, secure, nav=site.nav)
            page = views.list_page(
                request,
                paginator,
                page=value[1],
                categories=site.categories,
                category_links=site.category_links,
                **spec,
            )
            body = page.encode()
        else:
            response = client.get(path, secure=secure)
            if response.status_code != 200:
                report.failed.append((path, response.status_code))
                continue
            body = response.content
        name = file_for(path)
        _write(directory / name, body, report)
        produced.append(name)
    return paths, produced, report


def _request(factory: RequestFactory, path: str, secure: bool, *, nav: dict):
    """A GET of `path` as the middleware would hand it to a view for an anonymous visitor,
    with the site's navigation read once (core.context_processors.site uses it)."""
    request = factory.get(path, secure=secure)
    request.user = AnonymousUser()
    request.site_nav = nav
    return request


def _kind(site: _Site | None, path: str) -> tuple[str, object]:
    """("article", slug), ("list", (address, page number)), or ("fetch", None): a page the
    test client fetches (and any page when no site was read, or the URL is not a plain one)."""
    if site is None or "?" in path:
        return "fetch", None
    try:
        match = resolve(path)
    except Resolver404:
        return "fetch", None
    if match.func is views.article_detail and match.kwargs["slug"] in site.cards:
        return "article", match.kwargs["slug"]
    if match.func in _LIST_VIEWS:
        number = match.kwargs.get("page", 1)
        base = path if number == 1 else path.rsplit("/page/", 1)[0]
        found = site.lists.get(base)
        if found and 1 <= number <= found[0].num_pages and page_url(base, number) == path:
            return "list", (base, number)
    return "fetch", None


def _pages_in_parallel(
    directory: Path, paths: list[str], workers: int, copies: list[_Copy]
) -> Iterator[tuple[list[str], list[str], ExportReport]]:
    """Chunks of pages rendered by `workers` forked processes, each with its own connection,
    then chunks of the files to copy."""
    size = max(1, min(200, len(paths) // (workers * 8) or 1))
    chunks: list[tuple] = [(directory, paths[i : i + size]) for i in range(0, len(paths), size)]
    chunks += [(directory, [], copies[i : i + 500]) for i in range(0, len(copies), 500)]
    connections.close_all()  # a forked child must open its own, never share the parent's
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_export_chunk, chunks)


def site_export(
    *,
    directory: Path,
    on_progress: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    workers: int = 1,
) -> ExportReport:
    """Write every public page, feed, sitemap, image and static file under `directory`.

    Pages are rendered by `workers` processes (see default_workers()); the files are the same
    whatever the number. A second run rewrites only files whose bytes changed, and removes
    files of pages that no longer exist (those it wrote itself, listed in its manifest).
    `on_total` is told how many pages there are (on_progress is told of each) before the
    first one is written."""
    # The pages are asked for on SITE_URL's host: the site's own name, whatever ALLOWED_HOSTS
    # says for the requests a server receives.
    with override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, urlsplit(settings.SITE_URL).hostname]
    ):
        return _site_export(
            directory=directory, on_progress=on_progress, on_total=on_total, workers=workers
        )


def _site_export(
    *,
    directory: Path,
    on_progress: Callable[[str], None] | None,
    on_total: Callable[[int], None] | None,
    workers: int,
) -> ExportReport:
    global _SITE
    directory.mkdir(parents=True, exist_ok=True)
    client, secure = _client()
    report = ExportReport()
    produced: set[str] = set()
    now = timezone.now()
    paths = site_paths(now)
    if on_total:
        on_total(len(paths))
    _SITE = _read_site(now)
    _SITE.kinds = {path: _kind(_SITE, path) for path in paths}
    # The pages fetched through the app first, the sitemap's seconds among them: chunks are
    # handed out in order, and one left for the end would keep the other workers waiting.
    paths.sort(key=lambda path: _SITE.kinds[path][0] != "fetch")
    copies = _files_to_copy()
    try:
        if workers > 1 and len(paths) > workers:
            # The images and static files are copied by the workers too, after the pages.
            chunks = _pages_in_parallel(directory, paths, workers, copies)
        else:
            chunks = (
                _export_chunk((directory, paths[i : i + 100])) for i in range(0, len(paths), 100)
            )
            produced.update(_copy_files(directory, copies, report))
        for done, names, part in chunks:
            produced.update(names)
            report.written += part.written
            report.unchanged += part.unchanged
            report.failed += part.failed
            if on_progress:
                for path in done:
                    on_progress(path)
    finally:
        _SITE = None

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
