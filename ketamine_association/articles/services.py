"""Writes of the publishing pipeline: importing and exporting articles."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.core.bulk import insert_rows
from ketamine_association.core.content import content_version_bump
from ketamine_association.core.reports import ImportReport, Outcome
from ketamine_association.core.sections import slot_tokens

from .analysis import Finding, SiteKnowledge, analyse, slug_duplicate
from .cards import (
    Card,
    CardDrawing,
    article_card,
    article_card_drawing,
    card_commit,
    cards_enabled,
    cards_folder_index,
    page_card,
)
from .hooks import articles_exported, import_refusal, import_scope, import_stored
from .images import ImageStore
from .models import Article, ArticleFinding, Page, Redirect, Reviewer, Tag
from .rendering import RenderedArticle, render_markdown
from .review import reviewer_key
from .search import search_index_article, search_index_articles, search_index_settle
from .source import (
    MAX_SOURCE_BYTES,
    SourceDocument,
    SourceError,
    SourceInvalid,
    decode,
    default_slug_for,
    load_source,
    parse_source,
    source_text,
)

logger = logging.getLogger(__name__)
# The URL name of the site-page view: the last pattern, which any page-shaped path matches.
SITE_PAGE_URL_NAME = "site_page"

_SLUG_LINE_RE = re.compile(r"^slug:\s*[\"']?([^\"'\n]+?)[\"']?\s*$", re.MULTILINE)
_PATH_LINE_RE = re.compile(r"^path:\s*[\"']?([^\"'\n]+?)[\"']?\s*$", re.MULTILINE)
_CATEGORY_LINE_RE = re.compile(r"^category:\s*[\"']?([^\"'\n]+?)[\"']?\s*$", re.MULTILINE)


def import_summary(report: ImportReport) -> dict:
    """The `import_articles --json` object (its shape is documented in the README)."""
    return {
        "imported": report.count("imported"),
        "updated": report.count("updated"),
        "unchanged": report.count("unchanged"),
        "failed": [
            {"file": o.source, "errors": [e.as_dict() for e in o.errors]} for o in report.failed
        ],
        "findings": [
            {k: v for k, v in f.as_dict().items() if k != "suggestion"}
            for o in report.outcomes
            for f in o.findings
        ],
    }


class UsageError(Exception):
    """Bad arguments: a path that does not exist or is not Markdown."""


def markdown_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return files


def _scan(path: Path) -> tuple[str | None, str | None, str | None]:
    """A cheap look at a file's slug, category and page path, so links between files of a
    batch resolve. Without `slug:` the slug is the file name's, as the import and the gate
    both take it; a file with `path:` is a page."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192).decode("utf-8", "replace").split("\n---", 1)[0]
    except OSError:
        return None, None, None
    page = _PATH_LINE_RE.search(head)
    if page:
        return None, None, page.group(1).strip().rstrip("/") or "/"
    slug = _SLUG_LINE_RE.search(head)
    category = _CATEGORY_LINE_RE.search(head)
    return (
        slug.group(1).strip() if slug else default_slug_for(path),
        category.group(1).strip() if category else None,
        None,
    )


def site_knowledge(
    *, images: ImageStore, slugs: set[str], categories: set[str], pages: set[str] = frozenset()
) -> SiteKnowledge:
    """What the site serves: the articles, categories and pages stored, plus those being
    checked."""
    try:
        stored = list(Article.objects.values_list("slug", "category"))
        stored_pages = set(Page.objects.values_list("path", flat=True))
        reviewers = set(Reviewer.objects.values_list("name_key", flat=True))
    except DatabaseError:  # checking files needs no database; links then resolve in the batch
        logger.warning("the database is not ready; links are checked against the files alone")
        stored, stored_pages, reviewers = [], set(), set()
    known_pages = stored_pages | set(pages)
    return SiteKnowledge(
        slugs={slug for slug, _ in stored} | slugs,
        categories={category for _, category in stored} | categories,
        image_problem=images.problem,
        image_alternative=images.alternative,
        path_served=functools.partial(path_served, pages=known_pages),
        reviewers=reviewers,
    )


def path_served(path: str, *, pages: Collection[str]) -> bool:
    """Whether a link to `path` finds a page: a view of the site's URLconf, or one of the
    site `pages` (those stored and those of the batch being imported or checked)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name != SITE_PAGE_URL_NAME or (path.rstrip("/") or "/") in pages


def _aware(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def seo_fields(doc: SourceDocument) -> dict:
    """The head of the page, with every missing field derived from the core ones."""
    meta = doc.meta
    description, _ = meta.description_of
    schema_type = meta.schema_block.type if meta.schema_block else None
    return {
        "title": meta.meta_title or f"{meta.title} | {settings.SITE_NAME}",
        "description": description,
        "canonical": meta.canonical_url or "",
        "og_title": meta.og_title or meta.title,
        "og_description": meta.og_description or description,
        "og_image": meta.og_image or meta.featured_image or "",
        "twitter_card": meta.twitter_card or "summary_large_image",
        "schema_type": schema_type or ("MedicalWebPage" if meta.audience else "Article"),
    }


# Files stored per transaction (a savepoint each), and below how many files the pipeline runs
# in this process rather than in a pool of worker processes.
IMPORT_BATCH = 100
POOL_MIN_FILES = 48


@dataclass
class Prepared:
    """What the pure pipeline (read -> hash -> parse -> render -> analyse -> draw the card)
    made of a file, in a worker process or this one; the store step decides with the
    database in hand, and does again any step the worker skipped."""

    path: Path
    raw_hash: str = ""
    unchanged: bool = False  # the bytes are those stored for this file: not even parsed
    outcome: Outcome | None = None  # the file failed before the store
    doc: SourceDocument | None = None
    rendered: RenderedArticle | None = None
    findings: list[Finding] | None = None
    card: CardDrawing | None = None
    card_done: bool = False  # the card was decided (drawn or found), None when cards are off


@dataclass
class _Work:
    """What every worker knows, inherited when the pool forks: the site, the images and what
    is stored (file -> raw hash; slug -> content hash) so unchanged files are skipped early."""

    images: ImageStore
    site: SiteKnowledge | None
    raw_hashes: dict[str, str]
    content_hashes: dict[str, str]
    card_index: dict[str, set[str]] | None = None  # the cards folder, read once (store step)
    published: set[str] = field(default_factory=set)  # image URLs published by this import
    source_keys: dict[Path, str] = field(default_factory=dict)
    folders: dict[Path, Path] = field(default_factory=dict)


_WORK: _Work | None = None
_ARTICLE_FIELDS = ("id", "slug", "content_hash", "modified_at", "source_path")


class _BatchWriter:
    """The store step of a batch, in its one transaction: what is stored is read once (the
    batch's slugs and files, the tags, the redirects) and the rows many files add (findings,
    tag links, search rows) are written once for the batch, after the files' savepoints.
    A file's rows join the batch's only when its savepoint is kept (`keep`)."""

    def __init__(self, prepared: list[Prepared], tag_ids: dict[str, int]):
        slugs = [
            item.doc.meta.slug for item in prepared if item.doc and item.doc.meta.KIND != "page"
        ]
        sources = [_source_key(item.path) for item in prepared]
        self.by_slug: dict[str, Article] = {}
        self.by_source: dict[str, list[Article]] = {}
        query = Article.objects.only(*_ARTICLE_FIELDS).order_by()
        for chunk in _chunks(slugs, 500):
            for article in query.filter(slug__in=chunk):
                self.by_slug[article.slug] = article
        for chunk in _chunks(sources, 500):
            for article in query.filter(source_path__in=chunk):
                self.by_source.setdefault(article.source_path, []).append(article)
        self.tag_ids = tag_ids
        if not tag_ids:
            tag_ids.update(Tag.objects.values_list("slug", "id"))
        self.redirects = set(Redirect.objects.values_list("old_path", flat=True))
        self.scope = import_scope()
        self.articles: list[Article] = []  # new articles, inserted together (flush)
        self.findings: list[ArticleFinding] = []
        self.links: list = []
        self.search: list[dict] = []
        self._file: tuple[list, list, list, Article | None, str | None] | None = None
        self._new: Article | None = None

    def existing(self, slug: str, source: str, claimed: dict[str, str]) -> Article | None:
        found = self.by_slug.get(slug)
        if found is None:
            found = next((a for a in self.by_source.get(source, ()) if a.slug not in claimed), None)
        return found

    def reread(self, slug: str, source: str) -> None:
        """The rows of one slug and one file, read again (another import stored them)."""
        query = Article.objects.only(*_ARTICLE_FIELDS).order_by()
        self.by_slug.pop(slug, None)
        self.by_slug.update((a.slug, a) for a in query.filter(slug=slug))
        self.by_source[source] = list(query.filter(source_path=source))
        self.tag_ids.clear()
        self.tag_ids.update(Tag.objects.values_list("slug", "id"))
        self.redirects = set(Redirect.objects.values_list("old_path", flat=True))

    def begin(self) -> None:
        self._file = ([], [], [], None, None)
        self._new = None
        self.created_tags = False

    def defers(self, doc: SourceDocument) -> bool:
        """Whether a new article's row can wait for the batch's one insert: nothing of
        the file needs its id before then (no redirect of its own to point at it, no hook
        watching its slug)."""
        return not doc.meta.redirect_from and not self.scope.hooks(doc.meta.slug, None)

    def insert(self, article: Article) -> Article:
        """A new article, inserted with the batch's others once the files are stored; the
        rows that point at it (findings, tag links, search) are written after it."""
        self._new = article
        return article

    def stored(self, article: Article, *, previous_slug: str | None) -> None:
        findings, links, search, _, _ = self._file
        self._file = (findings, links, search, article, previous_slug)

    def keep(self) -> None:
        findings, links, search, article, previous_slug = self._file
        self.findings += findings
        self.links += links
        self.search += search
        if self._new is not None:
            self.articles.append(self._new)
        if article is not None:  # what later files of the batch must see of this one
            if previous_slug and previous_slug != article.slug:
                self.by_slug.pop(previous_slug, None)
            # An article still to be inserted is its own row (it has its id once inserted).
            row = (
                article
                if article.id is None
                else Article(
                    id=article.id,
                    slug=article.slug,
                    content_hash=article.content_hash,
                    source_path=article.source_path,
                    modified_at=timezone.now(),
                )
            )
            self.by_slug[article.slug] = row
            same = [a for a in self.by_source.get(row.source_path, ()) if a.id != row.id]
            self.by_source[row.source_path] = [*same, row]
        self._file = None

    def drop(self) -> None:
        self._file = None
        self._new = None
        if self.created_tags:  # the tags it created are rolled back with it
            self.tag_ids.clear()

    def add_findings(self, article: Article, rows: list[tuple]) -> None:
        self._file[0].extend((article, row) for row in rows)

    def add_links(self, article: Article, tag_ids: Iterable[int]) -> None:
        self._file[1].extend((article, tag_id) for tag_id in tag_ids)

    def add_search(self, entry: dict) -> None:
        self._file[2].append(entry)

    def flush(self) -> None:
        Article.objects.bulk_create(self.articles)  # their ids, then the rows pointing at them
        findings = [(article.id, *row) for article, row in self.findings]
        insert_rows(ArticleFinding, ("article", *FINDING_FIELDS), findings)
        links = [(article.id, tag_id) for article, tag_id in self.links]
        insert_rows(Article.tag_set.through, ("article", "tag"), links)
        search_index_articles(self.search)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known_files() -> tuple[dict[str, tuple[str, int, str, str]], dict[str, str]]:
    """One read of what is stored: source file -> (kind, id, slug or path, raw hash) for the
    files whose bytes are known, and article slug -> content hash."""
    files: dict[str, tuple[str, int, str, str]] = {}
    seen: set[str] = set()
    hashes: dict[str, str] = {}
    rows = Article.objects.values_list("id", "slug", "source_path", "raw_hash", "content_hash")
    for id_, slug, source, raw, content in rows.iterator(chunk_size=2000):
        hashes[slug] = content
        _remember(files, seen, source, ("article", id_, slug, raw))
    rows = Page.objects.values_list("id", "path", "source_path", "raw_hash")
    for id_, path, source, raw in rows.iterator(chunk_size=2000):
        _remember(files, seen, source, ("page", id_, path, raw))
    return files, hashes


def _remember(files: dict, seen: set[str], source: str, row: tuple) -> None:
    if not source:
        return
    if source in seen:  # two rows from one file: no shortcut for it
        files.pop(source, None)
        return
    seen.add(source)
    if row[3]:
        files[source] = row


def _prepare(path: Path) -> Prepared:
    """The pure part of a file's import; never raises (a failure is its outcome)."""
    work = _WORK
    prepared = Prepared(path)
    try:
        data = None
        try:
            if path.stat().st_size <= MAX_SOURCE_BYTES:
                data = path.read_bytes()
        except OSError:
            data = None
        if data is not None:
            prepared.raw_hash = hashlib.sha256(data).hexdigest()
            if work.raw_hashes.get(_source_key(path)) == prepared.raw_hash:
                prepared.unchanged = True
                return prepared
        try:
            doc = load_source(path) if data is None else parse_source(decode(data), path=path)
        except SourceInvalid as exc:
            prepared.outcome = Outcome(str(path), "failed", errors=exc.errors)
            return prepared
        prepared.doc = doc
        if doc.meta.KIND == "page" or work.content_hashes.get(doc.meta.slug) == doc.content_hash:
            return prepared  # a page, or probably unchanged: the store step decides
        prepared.rendered = render_document(doc)
        prepared.findings = analyse(
            doc, prepared.rendered, site=work.site, today=timezone.now().date()
        )
        prepared.card = _card_drawing(doc, work.images)
        prepared.card_done = prepared.card is not None
    except Exception as exc:  # a file the reader did not foresee must not stop the batch either
        logger.exception("reading %s failed", path)
        error = SourceError(None, None, f"cannot read the file: {type(exc).__name__}: {exc}")
        return Prepared(path, outcome=Outcome(str(path), "failed", errors=(error,)))
    return prepared


def _prepared_stream(
    files: list[Path], *, unchanged: dict[Path, str], workers: int, batch: int
) -> Iterator[list[Prepared]]:
    """The files prepared, batch by batch in their order: those whose bytes are `unchanged`
    (path -> raw hash) here, the others in a pool of forked workers for a large import (two
    batches ahead of the store, so memory stays bounded), else here too."""
    chunks = [files[i : i + batch] for i in range(0, len(files), batch)]

    def merged(chunk: list[Path], done: Iterable[Prepared]) -> list[Prepared]:
        done = iter(done)
        return [
            Prepared(path, unchanged[path], unchanged=True) if path in unchanged else next(done)
            for path in chunk
        ]

    def todo(chunk: list[Path]) -> list[Path]:
        return [path for path in chunk if path not in unchanged]

    if not pool_worth_it(len(files) - len(unchanged), workers):
        for chunk in chunks:
            yield merged(chunk, map(_prepare, todo(chunk)))
        return
    with fork_pool(workers) as pool:
        pending = deque()
        queue = iter(chunks)
        for chunk in itertools.islice(queue, 2):
            pending.append((chunk, pool.map_async(_prepare, todo(chunk), chunksize=4)))
        while pending:
            chunk, done = pending.popleft()
            done = done.get()
            if (following := next(queue, None)) is not None:
                pending.append((following, pool.map_async(_prepare, todo(following), chunksize=4)))
            yield merged(chunk, done)


def pool_worth_it(files: int, workers: int) -> bool:
    """Whether `files` to read, render and check are worth a pool's start (import and gate)."""
    return workers > 1 and files >= POOL_MIN_FILES


def fork_pool(workers: int):
    """A pool of `workers` forked processes, which inherit this one's read-only state (the
    pure pipeline's inputs) but no open database connection (unless a transaction holds it)."""
    for alias in connections:
        if not connections[alias].in_atomic_block:
            connections[alias].close()
    return multiprocessing.get_context("fork").Pool(workers)


def import_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def article_import_paths(
    *,
    paths: Iterable[Path],
    images: ImageStore,
    on_outcome: Callable[[Outcome], None] | None = None,
    force: bool = False,
    batch_size: int | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import every Markdown file under `paths`; one bad file never stops the others.
    `force`: import files even where the browser changed their article since (hooks.py).

    The pure pipeline runs in a pool of `workers` processes; the store writes `batch_size`
    files per transaction, each file in a savepoint of its own, so the database holds whole
    files only and one file's failure rolls back that file alone."""
    global _WORK
    files = markdown_files(paths)
    try:
        known, content_hashes = _known_files()
    except DatabaseError:
        known, content_hashes = {}, {}
    _WORK = _Work(ImageStore(), None, {k: v[3] for k, v in known.items()}, content_hashes)
    try:
        # The files whose bytes are those stored: known before anything is parsed.
        unchanged = {}
        if known:
            for path in files:
                row = known.get(_source_key(path))
                if row is not None and (raw := _raw_hash(path)) == row[3]:
                    unchanged[path] = raw
        batch = [_scan(p) for p in files if p not in unchanged]
        site = site_knowledge(
            images=images,
            slugs={slug for slug, _, _ in batch if slug},
            categories={category for _, category, _ in batch if category},
            pages={page for _, _, page in batch if page},
        )
        _WORK.images, _WORK.site = images, site
        _WORK.card_index = cards_folder_index(images) if cards_enabled() else None
        claimed: dict[str, str] = {}
        tag_ids: dict[str, int] = {}
        report = ImportReport()
        stream = _prepared_stream(
            files,
            unchanged=unchanged,
            workers=import_workers() if workers is None else workers,
            batch=batch_size or IMPORT_BATCH,
        )
        for prepared_batch in stream:
            for outcome in _store_batch(
                prepared_batch,
                images=images,
                site=site,
                claimed=claimed,
                known=known,
                force=force,
                tag_ids=tag_ids,
            ):
                report.add(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
    finally:
        _WORK = None
    if report.changed:
        content_version_bump()
        if len(files) >= POOL_MIN_FILES:  # a large import: searches right after it stay fast
            search_index_settle()
    return report


def _store_batch(
    prepared: list[Prepared],
    *,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str],
    known: dict[str, tuple[str, int, str, str]],
    force: bool,
    tag_ids: dict[str, int],
) -> list[Outcome]:
    """One transaction for the batch, a savepoint for each file; outcomes in file order."""
    shortcut = _stored_findings(prepared, known)
    before = dict(claimed)
    store = functools.partial(
        _store_batch_once,
        prepared,
        images=images,
        site=site,
        claimed=claimed,
        force=force,
        shortcut=shortcut,
        tag_ids=tag_ids,
    )
    try:
        return store(bulk=True)
    except Exception:  # a write for the whole batch failed: again, file by file
        logger.exception("the batch's rows could not be written together; file by file")
        claimed.clear()
        claimed.update(before)
        tag_ids.clear()
        return store(bulk=False)


def _store_batch_once(
    prepared: list[Prepared],
    *,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str],
    force: bool,
    shortcut: dict,
    tag_ids: dict[str, int],
    bulk: bool,
) -> list[Outcome]:
    outcomes = []
    writer = None  # made for the first file that is not skipped as unchanged
    with transaction.atomic():
        for item in prepared:
            if item.unchanged and (hit := shortcut.get(_source_key(item.path))) is not None:
                key, findings = hit
                if key not in claimed:
                    claimed[key] = str(item.path)
                    outcomes.append(Outcome(str(item.path), "unchanged", key, findings=findings))
                    continue
            if bulk and writer is None:
                writer = _BatchWriter(prepared, tag_ids)
            outcome = _store_in_savepoint(
                item, images=images, site=site, claimed=claimed, force=force, writer=writer
            )
            outcomes.append(outcome)
        if writer is not None:
            writer.flush()
    return outcomes


def _store_in_savepoint(
    item: Prepared,
    *,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str],
    force: bool,
    writer: _BatchWriter | None,
) -> Outcome:
    """One file in a savepoint of the batch's transaction: kept when stored, rolled back when
    it failed. A unique row another import stored meanwhile (PostgreSQL lets two imports
    write at once) is read again and the file tried once more."""
    for attempt in (1, 2):
        point = transaction.savepoint()
        if writer is not None:
            writer.begin()
        try:
            outcome = _store_prepared(
                item, images=images, site=site, claimed=claimed, force=force, writer=writer
            )
        except IntegrityError as exc:
            transaction.savepoint_rollback(point)
            if writer is not None:
                writer.drop()
                if attempt == 1 and item.doc is not None:
                    claimed.pop(item.doc.meta.slug, None)
                    writer.reread(item.doc.meta.slug, _source_key(item.path))
                    continue
            logger.exception("import of %s failed", item.path)
            error = SourceError(None, None, f"import failed: {exc}")
            return Outcome(str(item.path), "failed", errors=(error,))
        except Exception as exc:  # one broken file must never stop the batch
            transaction.savepoint_rollback(point)
            if writer is not None:
                writer.drop()
            logger.exception("import of %s failed", item.path)
            error = SourceError(None, None, f"import failed: {exc}")
            return Outcome(str(item.path), "failed", errors=(error,))
        if outcome.failed:
            transaction.savepoint_rollback(point)
            if writer is not None:
                writer.drop()
        else:
            transaction.savepoint_commit(point)
            if writer is not None:
                writer.keep()
        return outcome
    raise AssertionError("unreachable")


def _stored_findings(
    prepared: list[Prepared], known: dict[str, tuple[str, int, str, str]]
) -> dict[str, tuple[str, tuple[Finding, ...]]]:
    """For the batch's files whose bytes are unchanged: source file -> (slug or path, the
    findings stored with it), read in one query a kind."""
    rows = {
        key: known[key]
        for item in prepared
        if item.unchanged and (key := _source_key(item.path)) in known
    }
    articles = {row[1]: key for key, row in rows.items() if row[0] == "article"}
    pages = {row[1]: key for key, row in rows.items() if row[0] == "page"}
    found: dict[str, list[Finding]] = {key: [] for key in rows}
    paths = {_source_key(item.path): str(item.path) for item in prepared}
    stored_rows = (
        ArticleFinding.objects.filter(article_id__in=articles)
        .order_by("id")
        .values_list("article_id", "code", "severity", "message", "line", "suggestion")
    )
    for article_id, *fields in stored_rows:
        key = articles[article_id]
        found[key].append(Finding(*fields, paths[key], rows[key][2]))
    for id_, stored in Page.objects.filter(id__in=pages).values_list("id", "findings"):
        key = pages[id_]
        found[key] = [Finding(**f, file=paths[key], slug=rows[key][2]) for f in stored]
    present = set(Article.objects.filter(id__in=articles).values_list("id", flat=True))
    present |= set(Page.objects.filter(id__in=pages).values_list("id", flat=True))
    return {
        key: (rows[key][2], tuple(found[key]))
        for key in rows
        if rows[key][1] in present  # still stored (not deleted since the start)
    }


def _store_prepared(
    item: Prepared,
    *,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str],
    force: bool,
    writer: _BatchWriter | None = None,
) -> Outcome:
    if item.outcome is not None:
        return item.outcome
    doc = item.doc
    if doc is None:  # unchanged bytes but the shortcut does not apply: the whole way
        try:
            doc = load_source(item.path)
        except SourceInvalid as exc:
            return Outcome(str(item.path), "failed", errors=exc.errors)
    if doc.meta.KIND == "page":
        return page_import(
            doc=doc, images=images, site=site, claimed=claimed, raw_hash=item.raw_hash
        )
    return document_store(
        doc=doc,
        images=images,
        site=site,
        claimed=claimed,
        force=force,
        raw_hash=item.raw_hash,
        prepared=item if item.doc is doc else None,
        writer=writer,
    )


def article_import(
    *,
    path: Path,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str] | None = None,
    force: bool = False,
) -> Outcome:
    """read -> split -> validate -> render -> analyse -> store, for one file, atomically."""
    claimed = {} if claimed is None else claimed
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_SOURCE_BYTES else None
    except OSError:
        data = None
    raw_hash = hashlib.sha256(data).hexdigest() if data is not None else ""
    try:
        doc = load_source(path) if data is None else parse_source(decode(data), path=path)
    except SourceInvalid as exc:
        return Outcome(str(path), "failed", errors=exc.errors)
    except Exception as exc:  # a file the reader did not foresee must not stop the batch either
        logger.exception("reading %s failed", path)
        error = SourceError(None, None, f"cannot read the file: {type(exc).__name__}: {exc}")
        return Outcome(str(path), "failed", errors=(error,))
    if doc.meta.KIND == "page":
        return page_import(doc=doc, images=images, site=site, claimed=claimed, raw_hash=raw_hash)
    return document_store(
        doc=doc, images=images, site=site, claimed=claimed, force=force, raw_hash=raw_hash
    )


def document_store(
    *,
    doc: SourceDocument,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str] | None = None,
    force: bool = False,
    from_browser: bool = False,
    existing_id: int | None = None,
    raw_hash: str = "",
    prepared: Prepared | None = None,
    writer: _BatchWriter | None = None,
) -> Outcome:
    """render -> analyse -> store for an article's parsed document: a file being imported,
    or a version approved in the browser (`from_browser`, replacing the article
    `existing_id` whatever its slug). The import hooks (hooks.py) may refuse a file; the
    browser's own publication is never refused. `prepared`: the render, analysis and card a
    worker already made of this document; `raw_hash`: the hash of the file's bytes."""
    claimed = {} if claimed is None else claimed
    path, slug = doc.path, doc.meta.slug
    if slug in claimed:
        finding = slug_duplicate(doc, owner=claimed[slug])
        error = SourceError("slug", finding.line, finding.message)
        return Outcome(str(path), "failed", slug, errors=(error,), findings=(finding,))
    claimed[slug] = str(path)
    from_file = not from_browser
    try:
        fields = ("id", "slug", "content_hash", "modified_at")
        if from_browser:
            existing = Article.objects.filter(id=existing_id).only(*fields).first()
            if existing is None and Article.objects.filter(slug=slug).exists():
                error = SourceError("slug", doc.key_lines.get("slug"), f"{slug}: taken")
                return Outcome(str(path), "failed", slug, errors=(error,))
        elif writer is not None:
            existing = writer.existing(slug, _source_key(path), claimed)
        else:
            existing = Article.objects.filter(slug=slug).only(*fields).first()
        if existing is None and from_file and writer is None:
            # The same file under a new slug: a rename, and the old address must keep working.
            same_file = Article.objects.filter(source_path=_source_key(path)).order_by()
            existing = next(
                (a for a in same_file.only(*fields) if a.slug not in claimed),
                None,
            )
        if existing is not None and existing.content_hash == doc.content_hash:
            if from_file and raw_hash:  # the next import knows these bytes without parsing
                Article.objects.filter(id=existing.id).exclude(raw_hash=raw_hash).update(
                    raw_hash=raw_hash
                )
            return Outcome(str(path), "unchanged", slug, findings=_stored(existing, doc))
        scope = writer.scope if writer is not None else None
        if from_file and (refusal := import_refusal(doc, existing, force=force, scope=scope)):
            error = SourceError(None, None, refusal)
            return Outcome(str(path), "failed", slug, errors=(error,))
        if prepared is not None and prepared.rendered is not None:
            rendered, findings = prepared.rendered, prepared.findings
        else:
            rendered = render_document(doc)
            findings = analyse(doc, rendered, site=site, today=timezone.now().date())
        for url in (doc.meta.featured_image, doc.meta.og_image, *(i.src for i in rendered.images)):
            if url:
                _publish(images, url)
        if prepared is not None and prepared.card_done:
            card = _card_commit(doc, prepared.card, images)
        else:
            card = _social_card(doc, images)
        # In a batch the file's own savepoint already holds its writes together.
        with transaction.atomic() if writer is None else contextlib.nullcontext():
            article = _store(
                doc,
                rendered,
                findings,
                images=images,
                existing=existing,
                card=card,
                from_file=from_file,
                raw_hash=raw_hash if from_file else "",
                writer=writer,
            )
            if from_file:
                import_stored(doc, article.id, force=force, scope=scope)
    except IntegrityError as exc:
        if writer is not None:  # the batch reads the rows again and tries once more
            raise
        logger.exception("import of %s failed", path)
        error = SourceError(None, None, f"import failed: {exc}")
        return Outcome(str(path), "failed", slug, errors=(error,))
    except Exception as exc:  # one broken file must never stop the batch
        logger.exception("import of %s failed", path)
        return Outcome(
            str(path), "failed", slug, errors=(SourceError(None, None, f"import failed: {exc}"),)
        )
    status = "updated" if existing is not None else "imported"
    return Outcome(str(path), status, slug, findings=tuple(findings))


def render_document(doc: SourceDocument) -> RenderedArticle:
    """The render step for a file of either kind: a page's slot lines become their tokens
    (core.sections), filled with live data when the page is served."""
    body = slot_tokens(doc.body) if doc.meta.KIND == "page" else doc.body
    return render_markdown(body, first_line=doc.body_line)


def page_import(
    *,
    doc: SourceDocument,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str],
    raw_hash: str = "",
) -> Outcome:
    """The store step for a site page: the same read, validate, render and analyse as an
    article (article_import calls this once the file says it is a page)."""
    path = doc.meta.path
    if path in claimed:
        finding = slug_duplicate(doc, owner=claimed[path])
        error = SourceError("path", finding.line, finding.message)
        return Outcome(doc.path, "failed", path, errors=(error,), findings=(finding,))
    claimed[path] = doc.path
    try:
        existing = Page.objects.filter(path=path).only("id", "content_hash", "findings").first()
        if existing is not None and existing.content_hash == doc.content_hash:
            if raw_hash:  # the next import knows these bytes without parsing
                Page.objects.filter(id=existing.id).exclude(raw_hash=raw_hash).update(
                    raw_hash=raw_hash
                )
            stored = tuple(Finding(**f, file=doc.path, slug=path) for f in existing.findings)
            return Outcome(doc.path, "unchanged", path, findings=stored)
        rendered = render_document(doc)
        findings = analyse(doc, rendered, site=site, today=timezone.now().date())
        for image in rendered.images:
            images.publish(image.src)
        with transaction.atomic():
            _store_page(doc, rendered, findings, existing=existing, raw_hash=raw_hash)
        _social_card(doc, images)
    except Exception as exc:  # one broken file must never stop the batch
        logger.exception("import of %s failed", doc.path)
        error = SourceError(None, None, f"import failed: {exc}")
        return Outcome(doc.path, "failed", path, errors=(error,))
    status = "updated" if existing is not None else "imported"
    return Outcome(doc.path, status, path, findings=tuple(findings))


def _card_inputs(meta) -> dict:
    """What an article's social card is drawn from (its hash names the card's file)."""
    return {
        "slug": meta.slug,
        "title": meta.title,
        "category": meta.category or "",
        "picture_urls": [meta.og_image or "", meta.featured_image or ""],
    }


def _social_card(doc: SourceDocument, images: ImageStore) -> Card | None:
    """The article's or page's social card (articles/cards.py), drawn when its inputs
    changed; a card that cannot be drawn is logged and never fails the import."""
    meta = doc.meta
    try:
        if meta.KIND == "page":
            return page_card(path=meta.path, title=meta.title, images=images)
        return article_card(**_card_inputs(meta), images=images)
    except Exception:
        logger.exception("social card of %s not drawn", doc.path)
        return None


def _card_drawing(doc: SourceDocument, images: ImageStore) -> CardDrawing | None:
    """An article's card drawn (not written) in a worker; None when cards are off or it
    cannot be drawn (then the store step tries again, and logs)."""
    meta = doc.meta
    try:
        return article_card_drawing(**_card_inputs(meta), images=images)
    except Exception:
        logger.exception("social card of %s not drawn", doc.path)
        return None


def _card_commit(doc: SourceDocument, drawing: CardDrawing | None, images: ImageStore):
    """Write the card a worker drew, as _social_card would have."""
    if drawing is None:
        return None
    try:
        index = _WORK.card_index if _WORK is not None else None
        return card_commit(drawing, images, index)
    except Exception:
        logger.exception("social card of %s not drawn", doc.path)
        return None


def _store_page(
    doc: SourceDocument,
    rendered: RenderedArticle,
    findings: list[Finding],
    *,
    existing,
    raw_hash: str = "",
) -> None:
    meta = doc.meta
    values = {
        "path": meta.path,
        "title": meta.title,
        "description": meta.description,
        "meta_title": meta.meta_title or "",
        "audience": meta.audience or "",
        "nav": meta.nav,
        "nav_label": meta.nav_label or "",
        "nav_order": meta.nav_order,
        "reviewed_by": meta.reviewed_by or "",
        "last_reviewed": meta.last_reviewed,
        "updated_at": _aware(meta.updated_at) or timezone.now(),
        "toc": [{"id": h.id, "text": h.text} for h in rendered.toc],
        "body_markdown": doc.body,
        "body_html": rendered.html,
        "word_count": rendered.word_count,
        "findings": [
            {
                "code": str(f.code),
                "severity": str(f.severity),
                "message": f.message,
                "line": f.line,
                "suggestion": f.suggestion,
            }
            for f in findings
        ],
        "frontmatter_json": json.dumps(doc.frontmatter, ensure_ascii=False),
        "source_lines": doc.key_lines,
        "body_line": doc.body_line,
        "source_path": _source_key(Path(doc.path)),
        "content_hash": doc.content_hash,
        "raw_hash": raw_hash,
    }
    if existing is not None:
        Page.objects.filter(id=existing.id).update(modified_at=timezone.now(), **values)
    else:
        Page.objects.create(**values)


def _stored(article: Article, doc: SourceDocument) -> tuple[Finding, ...]:
    return tuple(
        Finding(f.code, f.severity, f.message, f.line, f.suggestion, doc.path, article.slug)
        for f in ArticleFinding.objects.filter(article_id=article.id)
    )


def _source_key(path: Path) -> str:
    work = _WORK
    if work is None:
        return str(Path(path).resolve())
    key = work.source_keys.get(path)
    if key is None:
        original, path = path, Path(path)
        if path.is_symlink() or not path.name or path.name in (".", ".."):
            key = str(path.resolve())
        else:  # the folder resolved once for all its files
            folder = work.folders.get(path.parent)
            if folder is None:
                folder = work.folders[path.parent] = path.parent.resolve()
            key = str(folder / path.name)
        work.source_keys[original] = key
    return key


def _raw_hash(path: Path) -> str:
    """sha256 of the file's bytes ("" when it cannot be read or is over the size limit)."""
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return ""
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _publish(images: ImageStore, url: str) -> None:
    """images.publish, once a URL for an import (the same picture serves many articles)."""
    work = _WORK
    if work is None or work.images is not images:
        images.publish(url)
    elif url not in work.published:
        images.publish(url)
        work.published.add(url)


def article_values(
    doc: SourceDocument,
    rendered: RenderedArticle,
    *,
    images: ImageStore,
    published: dt.datetime,
    card: Card | None = None,
) -> dict:
    """Every stored field of an article made from a document: what `_store` writes and what
    a preview shows (an unsaved Article of these values), so the two cannot differ."""
    meta = doc.meta
    featured = meta.featured_image or ""
    return {
        "slug": meta.slug,
        "title": meta.title,
        "headline": rendered.headline or "",
        "excerpt": meta.excerpt,
        "category": meta.category,
        "author": meta.author,
        "audience": meta.audience or "",
        "published_at": published,
        "updated_at": _aware(meta.updated_at) or published,
        "featured_image": featured,
        "featured_image_exists": bool(featured) and images.exists(featured),
        "featured_image_alt": meta.title,
        "tags": meta.tags,
        "keywords": meta.keywords,
        "related_slugs": meta.related_articles,
        "seo": seo_fields(doc) | ({"card": card.as_dict()} if card else {}),
        "faq": [{"question": f.question, "answer": f.answer} for f in rendered.faq],
        "toc": [{"id": h.id, "text": h.text} for h in rendered.toc],
        "has_own_toc": rendered.has_own_toc,
        "body_markdown": doc.body,
        "body_html": rendered.html,
        "body_text": rendered.text,
        "word_count": rendered.word_count,
        "reading_minutes": rendered.reading_minutes,
        "stated_word_count": meta.word_count,
        "stated_reading_time": str(meta.reading_time or ""),
        "reviewed_by": meta.reviewed_by or "",
        "reviewer_key": reviewer_key(meta.reviewed_by or ""),
        "last_reviewed": meta.last_reviewed,
        "review_due": meta.review_due_date,
        "frontmatter_json": json.dumps(doc.frontmatter, ensure_ascii=False),
        "source_lines": doc.key_lines,
        "body_line": doc.body_line,
        "content_hash": doc.content_hash,
    }


def _store(
    doc: SourceDocument,
    rendered: RenderedArticle,
    findings: list[Finding],
    *,
    images: ImageStore,
    existing: Article | None,
    card: Card | None = None,
    from_file: bool = True,
    raw_hash: str = "",
    writer: _BatchWriter | None = None,
) -> Article:
    meta = doc.meta
    now = timezone.now()
    published = _aware(meta.published_at)
    if published is None:
        previous = existing and Article.objects.filter(id=existing.id).values_list(
            "published_at", flat=True
        )
        published = (previous and previous.first()) or now
    values = article_values(doc, rendered, images=images, published=published, card=card)
    if from_file:  # a version from the browser keeps the file its article came from
        values["source_path"] = _source_key(Path(doc.path))
    values["raw_hash"] = raw_hash  # "" for the browser's version: the file is parsed again
    if existing is not None:
        Article.objects.filter(id=existing.id).update(modified_at=now, **values)
        article = Article(id=existing.id, **values)
        ArticleFinding.objects.filter(article_id=existing.id).delete()
        if existing.slug != meta.slug:
            Redirect.objects.update_or_create(
                old_path=f"/blog/{existing.slug}",
                defaults={"article": article, "source": Redirect.Source.RENAME},
            )
            if writer is not None:
                writer.redirects.add(f"/blog/{existing.slug}")
    elif writer is not None and writer.defers(doc):
        article = writer.insert(Article(**values))
    else:
        article = Article.objects.create(**values)
    rows = [_finding_row(f) for f in findings]
    search = {
        "article": article,
        "title": f"{meta.title} {rendered.headline or ''}",
        "headings": " ".join(h.text for h in rendered.headings),
        "excerpt": meta.excerpt,
        "tags": " ".join(meta.tags),
        "body": rendered.text,
    }
    _store_tags(article, meta.tags, is_new=existing is None, writer=writer)
    _store_redirects(article, meta.redirect_from, is_new=existing is None, writer=writer)
    if writer is not None:  # written with the batch's, once its files are stored
        writer.add_findings(article, rows)
        writer.add_search(search)
        writer.stored(article, previous_slug=existing.slug if existing is not None else None)
    else:
        ArticleFinding.objects.bulk_create(
            ArticleFinding(article=article, **dict(zip(FINDING_FIELDS, row, strict=True)))
            for row in rows
        )
        search_index_article(**search)
    return article


# A finding as its row stores it (ArticleFinding's fields after the article).
FINDING_FIELDS = ("code", "severity", "line", "message", "suggestion")


def _finding_row(finding: Finding) -> tuple:
    return (
        str(finding.code),
        str(finding.severity),
        finding.line,
        finding.message,
        finding.suggestion,
    )


def _store_tags(
    article: Article, names: list[str], *, is_new: bool, writer: _BatchWriter | None = None
) -> None:
    wanted: dict[str, str] = {}
    for name in names:
        slug = slugify(name)
        if slug:
            wanted.setdefault(slug, name)
    if writer is not None and all(slug in writer.tag_ids for slug in wanted):
        found = {slug: writer.tag_ids[slug] for slug in wanted}
    else:
        found = dict(Tag.objects.filter(slug__in=wanted).values_list("slug", "id"))
        missing = [Tag(slug=slug, name=name) for slug, name in wanted.items() if slug not in found]
        if missing:
            Tag.objects.bulk_create(missing, ignore_conflicts=True)
            found = dict(Tag.objects.filter(slug__in=wanted).values_list("slug", "id"))
            if writer is not None:
                writer.created_tags = True
        if writer is not None:
            writer.tag_ids.update(found)
    through = Article.tag_set.through
    if not is_new:
        through.objects.filter(article_id=article.id).delete()
    if writer is not None:
        writer.add_links(article, found.values())
    else:
        through.objects.bulk_create(
            through(article_id=article.id, tag_id=tag_id) for tag_id in found.values()
        )


def _store_redirects(
    article: Article, paths: list[str], *, is_new: bool, writer: _BatchWriter | None = None
) -> None:
    own = article.get_absolute_url()
    if writer is None or own in writer.redirects or not is_new or paths:
        Redirect.objects.filter(old_path=own).delete()  # a slug given back to its article
    if not is_new:
        Redirect.objects.filter(article=article, source=Redirect.Source.FRONTMATTER).exclude(
            old_path__in=paths
        ).delete()
    for old_path in paths:
        if old_path.rstrip("/") != own:
            if writer is not None:
                writer.redirects.add(old_path.rstrip("/") or "/")
            Redirect.objects.update_or_create(
                old_path=old_path.rstrip("/") or "/",
                defaults={"article": article, "source": Redirect.Source.FRONTMATTER},
            )


def article_export(*, directory: Path) -> list[Path]:
    """Write every article and site page back as Markdown with its frontmatter exactly as
    imported: articles as <slug>.md, pages under pages/ as their path with dashes
    (/membership/practitioners -> pages/membership-practitioners.md)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    rows = Article.objects.values_list("slug", "frontmatter_json", "body_markdown")
    pages = Page.objects.values_list("path", "frontmatter_json", "body_markdown")
    slugs = []
    for name, frontmatter, body in rows.iterator():
        written.append(_export_file(directory / f"{name}.md", frontmatter, body))
        slugs.append(name)
    articles_exported(slugs)
    for path, frontmatter, body in pages.iterator():
        name = path.strip("/").replace("/", "-")
        written.append(_export_file(directory / "pages" / f"{name}.md", frontmatter, body))
    return written


def _export_file(target: Path, frontmatter: str, body: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source_text(json.loads(frontmatter), body), encoding="utf-8")
    return target
