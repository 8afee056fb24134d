"""Writes of the publishing pipeline: importing and exporting articles."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.core.content import content_version_bump
from ketamine_association.core.reports import ImportReport, Outcome
from ketamine_association.core.sections import slot_tokens

from .analysis import Finding, SiteKnowledge, analyse, slug_duplicate
from .cards import Card, article_card, page_card
from .hooks import import_refusal, import_stored
from .images import ImageStore
from .models import Article, ArticleFinding, Page, Redirect, Reviewer, Tag
from .rendering import RenderedArticle, render_markdown
from .review import reviewer_key
from .search import search_index_article
from .source import (
    SourceDocument,
    SourceError,
    SourceInvalid,
    default_slug_for,
    load_source,
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


def article_import_paths(
    *,
    paths: Iterable[Path],
    images: ImageStore,
    on_outcome: Callable[[Outcome], None] | None = None,
    force: bool = False,
) -> ImportReport:
    """Import every Markdown file under `paths`; one bad file never stops the others.
    `force`: import files even where the browser changed their article since (hooks.py)."""
    files = markdown_files(paths)
    batch = [_scan(p) for p in files]
    site = site_knowledge(
        images=images,
        slugs={slug for slug, _, _ in batch if slug},
        categories={category for _, category, _ in batch if category},
        pages={page for _, _, page in batch if page},
    )
    claimed: dict[str, str] = {}
    report = ImportReport()
    for path in files:
        outcome = report.add(
            article_import(path=path, images=images, site=site, claimed=claimed, force=force)
        )
        if on_outcome is not None:
            on_outcome(outcome)
    if report.changed:
        content_version_bump()
    return report


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
        doc = load_source(path)
    except SourceInvalid as exc:
        return Outcome(str(path), "failed", errors=exc.errors)
    except Exception as exc:  # a file the reader did not foresee must not stop the batch either
        logger.exception("reading %s failed", path)
        error = SourceError(None, None, f"cannot read the file: {type(exc).__name__}: {exc}")
        return Outcome(str(path), "failed", errors=(error,))
    if doc.meta.KIND == "page":
        return page_import(doc=doc, images=images, site=site, claimed=claimed)
    return document_store(doc=doc, images=images, site=site, claimed=claimed, force=force)


def document_store(
    *,
    doc: SourceDocument,
    images: ImageStore,
    site: SiteKnowledge,
    claimed: dict[str, str] | None = None,
    force: bool = False,
    from_browser: bool = False,
    existing_id: int | None = None,
) -> Outcome:
    """render -> analyse -> store for an article's parsed document: a file being imported,
    or a version approved in the browser (`from_browser`, replacing the article
    `existing_id` whatever its slug). The import hooks (hooks.py) may refuse a file; the
    browser's own publication is never refused."""
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
        else:
            existing = Article.objects.filter(slug=slug).only(*fields).first()
        if existing is None and from_file:
            # The same file under a new slug: a rename, and the old address must keep working.
            same_file = Article.objects.filter(source_path=_source_key(path)).order_by()
            existing = next(
                (a for a in same_file.only(*fields) if a.slug not in claimed),
                None,
            )
        if existing is not None and existing.content_hash == doc.content_hash:
            return Outcome(str(path), "unchanged", slug, findings=_stored(existing, doc))
        if from_file and (refusal := import_refusal(doc, existing, force=force)):
            error = SourceError(None, None, refusal)
            return Outcome(str(path), "failed", slug, errors=(error,))
        rendered = render_document(doc)
        findings = analyse(doc, rendered, site=site, today=timezone.now().date())
        for url in (doc.meta.featured_image, doc.meta.og_image, *(i.src for i in rendered.images)):
            if url:
                images.publish(url)
        card = _social_card(doc, images)
        with transaction.atomic():
            article = _store(
                doc,
                rendered,
                findings,
                images=images,
                existing=existing,
                card=card,
                from_file=from_file,
            )
            if from_file:
                import_stored(doc, article.id, force=force)
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
    *, doc: SourceDocument, images: ImageStore, site: SiteKnowledge, claimed: dict[str, str]
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
            stored = tuple(Finding(**f, file=doc.path, slug=path) for f in existing.findings)
            return Outcome(doc.path, "unchanged", path, findings=stored)
        rendered = render_document(doc)
        findings = analyse(doc, rendered, site=site, today=timezone.now().date())
        for image in rendered.images:
            images.publish(image.src)
        with transaction.atomic():
            _store_page(doc, rendered, findings, existing=existing)
        _social_card(doc, images)
    except Exception as exc:  # one broken file must never stop the batch
        logger.exception("import of %s failed", doc.path)
        error = SourceError(None, None, f"import failed: {exc}")
        return Outcome(doc.path, "failed", path, errors=(error,))
    status = "updated" if existing is not None else "imported"
    return Outcome(doc.path, status, path, findings=tuple(findings))


def _social_card(doc: SourceDocument, images: ImageStore) -> Card | None:
    """The article's or page's social card (articles/cards.py), drawn when its inputs
    changed; a card that cannot be drawn is logged and never fails the import."""
    meta = doc.meta
    try:
        if meta.KIND == "page":
            return page_card(path=meta.path, title=meta.title, images=images)
        return article_card(
            slug=meta.slug,
            title=meta.title,
            category=meta.category or "",
            picture_urls=[meta.og_image or "", meta.featured_image or ""],
            images=images,
        )
    except Exception:
        logger.exception("social card of %s not drawn", doc.path)
        return None


def _store_page(
    doc: SourceDocument, rendered: RenderedArticle, findings: list[Finding], *, existing
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
    return str(Path(path).resolve())


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
    if existing is not None:
        Article.objects.filter(id=existing.id).update(modified_at=now, **values)
        article = Article(id=existing.id, **values)
        ArticleFinding.objects.filter(article_id=existing.id).delete()
        if existing.slug != meta.slug:
            Redirect.objects.update_or_create(
                old_path=f"/blog/{existing.slug}",
                defaults={"article": article, "source": Redirect.Source.RENAME},
            )
    else:
        article = Article.objects.create(**values)
    ArticleFinding.objects.bulk_create(
        ArticleFinding(
            article=article,
            code=f.code,
            severity=f.severity,
            line=f.line,
            message=f.message,
            suggestion=f.suggestion,
        )
        for f in findings
    )
    _store_tags(article, meta.tags, is_new=existing is None)
    _store_redirects(article, meta.redirect_from, is_new=existing is None)
    search_index_article(
        article=article,
        title=f"{meta.title} {rendered.headline or ''}",
        headings=" ".join(h.text for h in rendered.headings),
        excerpt=meta.excerpt,
        tags=" ".join(meta.tags),
        body=rendered.text,
    )
    return article


def _store_tags(article: Article, names: list[str], *, is_new: bool) -> None:
    wanted: dict[str, str] = {}
    for name in names:
        slug = slugify(name)
        if slug:
            wanted.setdefault(slug, name)
    found = dict(Tag.objects.filter(slug__in=wanted).values_list("slug", "id"))
    missing = [Tag(slug=slug, name=name) for slug, name in wanted.items() if slug not in found]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        found = dict(Tag.objects.filter(slug__in=wanted).values_list("slug", "id"))
    through = Article.tag_set.through
    if not is_new:
        through.objects.filter(article_id=article.id).delete()
    through.objects.bulk_create(
        [through(article_id=article.id, tag_id=tag_id) for tag_id in found.values()]
    )


def _store_redirects(article: Article, paths: list[str], *, is_new: bool) -> None:
    own = article.get_absolute_url()
    Redirect.objects.filter(old_path=own).delete()  # a slug given back to its article
    if not is_new:
        Redirect.objects.filter(article=article, source=Redirect.Source.FRONTMATTER).exclude(
            old_path__in=paths
        ).delete()
    for old_path in paths:
        if old_path.rstrip("/") != own:
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
    for name, frontmatter, body in rows.iterator():
        written.append(_export_file(directory / f"{name}.md", frontmatter, body))
    for path, frontmatter, body in pages.iterator():
        name = path.strip("/").replace("/", "-")
        written.append(_export_file(directory / "pages" / f"{name}.md", frontmatter, body))
    return written


def _export_file(target: Path, frontmatter: str, body: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source_text(json.loads(frontmatter), body), encoding="utf-8")
    return target
