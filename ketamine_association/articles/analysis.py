"""The analysis step: findings about one article, from its source and its rendering.

Pure functions: they read the validated source, the rendered article and what the site
knows (slugs, images), and return findings with stable codes. They never change the source.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from .categories import category_code_for_slug
from .choices import (
    STATED_READINGTIME_TOLERANCE_MIN,
    STATED_WORDCOUNT_TOLERANCE,
    FindingCode,
)
from .readability import flesch_kincaid_grade
from .rendering import RenderedArticle
from .review import reviewer_key, split_reviewed_by
from .source import ArticleSource, SourceDocument

READING_TIME_RE = re.compile(r"(\d+)")
# "45%", "12.5 percent", "2 of 3", "1 out of every 5"
STATISTIC_RE = re.compile(
    r"\d+(?:\.\d+)?\s?%|\b\d+(?:\.\d+)?\s?percent\b"
    r"|\b\d+(?:\.\d+)?\s+(?:out\s+)?of\s+(?:every\s+)?\d+(?:\.\d+)?\b",
    re.IGNORECASE,
)
# "(Zarate et al., 2006)", "(Kroenke & Spitzer, 2002; FDA, 2019)", and footnotes "[^1]"
CITATION_RE = re.compile(r"\([^()]*\b[A-Z][^()]*\b(?:19|20)\d{2}[a-z]?\b[^()]*\)|\[\^[^\]]+\]")
# Every STATISTIC_RE match begins with a digit: the search for one starts at the first digit.
_DIGIT_RE = re.compile(r"\d")
GRADE_LIMITS = {"patients": 8.0, "practitioners": 14.0}


@dataclass(frozen=True)
class Finding:
    code: str  # a FindingCode (a str), or a plain code string
    severity: str
    message: str
    line: int | None = None
    suggestion: str = ""
    file: str = ""
    slug: str = ""

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "slug": self.slug,
            "code": self.code,
            "severity": self.severity,
            "line": self.line,
            "message": self.message,
            "suggestion": self.suggestion or None,
        }


@dataclass(frozen=True)
class SiteKnowledge:
    """What the analysis may ask of the site: which slugs exist, which images, which paths."""

    slugs: Collection[str]
    image_problem: Callable[[str], str]  # why an image URL cannot be shown, "" when it can
    path_served: Callable[[str], bool]
    categories: Collection[str] = ()
    image_alternative: Callable[[str], str] = lambda _url: ""
    reviewers: Collection[str] = ()  # the reviewer profiles' name keys (review.reviewer_key)
    _suggestions: dict = field(default_factory=dict, compare=False, repr=False)

    def closest_slug(self, slug: str) -> str:
        """The existing slug nearest to a dead one; remembered, since dead links repeat."""
        if slug not in self._suggestions:
            self._suggestions[slug] = closest(slug, self.slugs)
        return self._suggestions[slug]


def stated_minutes(value: str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    match = READING_TIME_RE.search(value)
    return int(match.group(1)) if match else None


def closest(value: str, options: Collection[str], *, limit: int = 300) -> str:
    """The option most like `value` (difflib), among the `limit` options that share the most
    words with it, so suggesting stays fast with tens of thousands of slugs."""
    if len(options) > limit:
        words = set(re.split(r"[-_\s]+", value))
        scored = sorted(options, key=lambda o: -len(words.intersection(o.split("-"))))
        options = scored[:limit]
    found = difflib.get_close_matches(value, list(options), n=1, cutoff=0.5)
    return found[0] if found else ""


@dataclass(frozen=True)
class CheckContext:
    """What every check reads: the article's source and rendering, the site, and today."""

    doc: SourceDocument
    rendered: RenderedArticle
    site: SiteKnowledge
    today: dt.date

    @property
    def meta(self) -> ArticleSource:
        return self.doc.meta

    @property
    def lines(self) -> dict[str, int]:
        return self.doc.key_lines

    def finding(
        self, code: FindingCode, message: str, line: int | None = None, suggestion: str = ""
    ) -> Finding:
        return Finding(
            code, code.severity, message, line, suggestion, self.doc.path, self.doc.meta.slug
        )


Check = Callable[[CheckContext], Iterable[Finding]]


def emits(*codes: FindingCode) -> Callable[[Check], Check]:
    """Declare the codes a check may emit (the tests hold every code to some check)."""

    def mark(check: Check) -> Check:
        check.codes = frozenset(codes)  # type: ignore[attr-defined]
        return check

    return mark


# Stated figures that lie.


@emits(FindingCode.STATED_WORDCOUNT_MISMATCH)
def check_stated_wordcount(ctx: CheckContext) -> Iterator[Finding]:
    stated, words = ctx.meta.word_count, ctx.rendered.word_count
    if stated is not None and words:
        drift = abs(stated - words) / words
        if drift > STATED_WORDCOUNT_TOLERANCE:
            yield ctx.finding(
                FindingCode.STATED_WORDCOUNT_MISMATCH,
                f"wordCount says {stated:,} but the text has {words:,} words ({drift:.0%} off)",
                ctx.lines.get("wordCount"),
                f"wordCount: {words}",
            )


@emits(FindingCode.STATED_READINGTIME_MISMATCH)
def check_stated_readingtime(ctx: CheckContext) -> Iterator[Finding]:
    stated, minutes = stated_minutes(ctx.meta.reading_time), ctx.rendered.reading_minutes
    if stated is not None and abs(stated - minutes) > STATED_READINGTIME_TOLERANCE_MIN:
        yield ctx.finding(
            FindingCode.STATED_READINGTIME_MISMATCH,
            f"readingTime says {stated} min but the text reads in {minutes} min",
            ctx.lines.get("readingTime"),
            f'readingTime: "{minutes} min read"',
        )


# Images that are not there.


@emits(FindingCode.IMAGE_MISSING)
def check_frontmatter_images(ctx: CheckContext) -> Iterator[Finding]:
    site = ctx.site
    for field_name, value in (
        ("featuredImage", ctx.meta.featured_image),
        ("ogImage", ctx.meta.og_image),
    ):
        if not value or value.startswith(("http://", "https://")):
            continue
        if problem := site.image_problem(value):
            yield ctx.finding(
                FindingCode.IMAGE_MISSING,
                f"{field_name} {value} {problem}",
                ctx.lines.get(field_name),
                site.image_alternative(value),
            )


@emits(FindingCode.IMAGE_MISSING, FindingCode.IMAGE_ALT_MISSING)
def check_body_images(ctx: CheckContext) -> Iterator[Finding]:
    site = ctx.site
    for image in ctx.rendered.images:
        if image.src.startswith("/") and (problem := site.image_problem(image.src)):
            yield ctx.finding(
                FindingCode.IMAGE_MISSING,
                f"image {image.src} {problem}",
                image.line,
                site.image_alternative(image.src),
            )
        if not image.alt:
            yield ctx.finding(
                FindingCode.IMAGE_ALT_MISSING,
                f"image {image.src} has no alt text for screen readers",
                image.line,
            )


# Links inside the article and to the rest of the site.


@emits(
    FindingCode.ANCHOR_MISSING,
    FindingCode.INTERNAL_LINK_DEAD,
    FindingCode.IMAGE_MISSING,
    FindingCode.LINK_INSECURE,
)
def check_links(ctx: CheckContext) -> Iterator[Finding]:
    """One pass over the links, so their findings keep the order of the text."""
    ids = {h.id for h in ctx.rendered.headings}
    for link in ctx.rendered.links:
        href = link.href
        if href.startswith("#"):
            if href[1:] not in ids:
                yield ctx.finding(
                    FindingCode.ANCHOR_MISSING,
                    f"link to {href} names no heading of this article",
                    link.line,
                    f"#{near}" if (near := closest(href[1:], ids)) else "",
                )
        elif href.startswith("/") and not href.startswith("//"):
            if found := _internal_link_finding(ctx, href, link.line):
                yield found
        elif href.startswith("http://"):
            yield ctx.finding(FindingCode.LINK_INSECURE, f"{href} is not HTTPS", link.line)


def _internal_link_finding(ctx: CheckContext, href: str, line: int | None) -> Finding | None:
    site = ctx.site
    path = href.split("#", 1)[0].split("?", 1)[0]
    if path.startswith("/blog/category/") and path.count("/") == 3:
        wanted = path.removeprefix("/blog/category/")
        if category_code_for_slug(wanted, list(site.categories))[0] is None:
            return ctx.finding(
                FindingCode.INTERNAL_LINK_DEAD,
                f"link to {href}: no category matches {wanted!r}",
                line,
            )
    elif path.startswith("/blog/") and path.count("/") == 2:
        slug = path.removeprefix("/blog/").rstrip("/")
        if slug not in site.slugs:
            near = site.closest_slug(slug)
            return ctx.finding(
                FindingCode.INTERNAL_LINK_DEAD,
                f"link to {href}: no article has the slug {slug!r}",
                line,
                f"/blog/{near}" if near else "",
            )
    elif path.startswith("/images/"):
        if problem := site.image_problem(path):
            return ctx.finding(FindingCode.IMAGE_MISSING, f"link to {href}: {problem}", line)
    elif not site.path_served(path):
        return ctx.finding(
            FindingCode.INTERNAL_LINK_DEAD,
            f"link to {href}: this site serves no such page",
            line,
        )
    return None


@emits(FindingCode.RELATED_MISSING)
def check_related(ctx: CheckContext) -> Iterator[Finding]:
    for index, slug in enumerate(ctx.meta.related_articles):
        if slug not in ctx.site.slugs:
            yield ctx.finding(
                FindingCode.RELATED_MISSING,
                f"relatedArticles names {slug!r}, which is no article",
                ctx.lines.get(f"relatedArticles.{index}", ctx.lines.get("relatedArticles")),
                ctx.site.closest_slug(slug),
            )


# Structure a screen reader stumbles on.


@emits(FindingCode.HEADING_MULTIPLE_H1)
def check_multiple_h1(ctx: CheckContext) -> Iterator[Finding]:
    rendered = ctx.rendered
    if rendered.h1_count > ctx.meta.BODY_H1:
        yield ctx.finding(
            FindingCode.HEADING_MULTIPLE_H1,
            f"the body has {rendered.h1_count} level-1 headings; the page shows only one h1"
            + (" (a page's h1 is its title)" if ctx.meta.BODY_H1 == 0 else ""),
            [h.line for h in rendered.headings if h.level == 1][ctx.meta.BODY_H1],
        )


@emits(FindingCode.HEADING_LEVEL_SKIP)
def check_heading_levels(ctx: CheckContext) -> Iterator[Finding]:
    previous = 1
    for heading in ctx.rendered.headings:
        if heading.level > previous + 1:
            yield ctx.finding(
                FindingCode.HEADING_LEVEL_SKIP,
                f"heading '{heading.text}' jumps from h{previous} to h{heading.level}",
                heading.line,
            )
        previous = heading.level


@emits(FindingCode.READABILITY_GRADE)
def check_readability(ctx: CheckContext) -> Iterator[Finding]:
    """Reading level for the audience (NIH: patient materials at grade 8 or below)."""
    audience = ctx.meta.audience
    limit = GRADE_LIMITS.get(audience or "")
    if limit is not None:
        grade = flesch_kincaid_grade(ctx.rendered.prose)
        if grade is not None and grade > limit:
            yield ctx.finding(
                FindingCode.READABILITY_GRADE,
                f"reads at US grade {grade:.1f} (Flesch-Kincaid); aim for {limit:.0f} or below "
                f"for {audience}",
                ctx.doc.body_line,
            )


@emits(FindingCode.STATISTIC_UNCITED)
def check_statistics(ctx: CheckContext) -> Iterator[Finding]:
    """Figures without a source in their paragraph."""
    for block in ctx.rendered.blocks:
        if block.has_link:  # a link is a source: no need to look for a figure
            continue
        digit = _DIGIT_RE.search(block.text)
        match = digit and STATISTIC_RE.search(block.text, digit.start())
        if match and not CITATION_RE.search(block.text):
            yield ctx.finding(
                FindingCode.STATISTIC_UNCITED,
                f"'{match.group(0)}' has no source in its paragraph",
                block.line,
            )


# Search snippets.


@emits(FindingCode.META_TITLE_LENGTH)
def check_meta_title(ctx: CheckContext) -> Iterator[Finding]:
    title = ctx.meta.meta_title
    if title and len(title) > 60:
        yield ctx.finding(
            FindingCode.META_TITLE_LENGTH,
            f"metaTitle has {len(title)} characters; search engines cut it at about 60",
            ctx.lines.get("metaTitle"),
        )


@emits(FindingCode.META_DESCRIPTION_LENGTH)
def check_meta_description(ctx: CheckContext) -> Iterator[Finding]:
    description, key = ctx.meta.description_of
    if description and not 120 <= len(description) <= 160:
        named = key if key == "metaDescription" else "excerpt (used as description)"
        yield ctx.finding(
            FindingCode.META_DESCRIPTION_LENGTH,
            f"{named} has {len(description)} characters; aim for 120-160",
            ctx.lines.get(key),
        )


@emits(FindingCode.CANONICAL_FOREIGN_HOST)
def check_canonical_host(ctx: CheckContext) -> Iterator[Finding]:
    from .seo import foreign_host, own_host  # the one home of the canonical-host rule

    stated = getattr(ctx.meta, "canonical_url", None)
    host = foreign_host(stated)
    if host:
        yield ctx.finding(
            FindingCode.CANONICAL_FOREIGN_HOST,
            f"canonicalUrl is on {host}, not on this site's host {own_host()}: it is ignored "
            "and the page's own address is its canonical",
            ctx.lines.get("canonicalUrl"),
            "remove canonicalUrl, or give a path on this site's host",
        )


# Dates.


@emits(FindingCode.DATE_UPDATED_BEFORE_PUBLISHED)
def check_date_order(ctx: CheckContext) -> Iterator[Finding]:
    published = _as_date(ctx.meta.published_at)
    updated = _as_date(ctx.meta.updated_at)
    if published and updated and updated < published:
        yield ctx.finding(
            FindingCode.DATE_UPDATED_BEFORE_PUBLISHED,
            f"updatedAt {updated} is earlier than publishedAt {published}",
            ctx.lines.get("updatedAt"),
        )


@emits(FindingCode.DATE_FUTURE)
def check_date_future(ctx: CheckContext) -> Iterator[Finding]:
    published = _as_date(ctx.meta.published_at)
    if published and published > ctx.today:
        yield ctx.finding(
            FindingCode.DATE_FUTURE,
            f"publishedAt {published} is in the future: the article is scheduled",
            ctx.lines.get("publishedAt"),
        )


# Medical review.


@emits(FindingCode.REVIEWER_UNKNOWN)
def check_reviewer(ctx: CheckContext) -> Iterator[Finding]:
    reviewed_by = getattr(ctx.meta, "reviewed_by", None)
    if reviewed_by and reviewer_key(reviewed_by) not in ctx.site.reviewers:
        name, _ = split_reviewed_by(reviewed_by)
        yield ctx.finding(
            FindingCode.REVIEWER_UNKNOWN,
            f"no reviewer profile named {name!r}; the line is shown without a link",
            ctx.lines.get("reviewedBy"),
        )


# The checks in the order their findings are reported. A new check: one function, one line.
CHECKS: tuple[Check, ...] = (
    check_stated_wordcount,
    check_stated_readingtime,
    check_frontmatter_images,
    check_body_images,
    check_links,
    check_related,
    check_multiple_h1,
    check_heading_levels,
    check_readability,
    check_statistics,
    check_meta_title,
    check_meta_description,
    check_canonical_host,
    check_date_order,
    check_date_future,
    check_reviewer,
)


# A site page has no stated figures, images of its own, related articles or publication date.
PAGE_CHECKS: tuple[Check, ...] = tuple(
    check
    for check in CHECKS
    if check
    not in (
        check_stated_wordcount,
        check_stated_readingtime,
        check_frontmatter_images,
        check_related,
        check_date_order,
        check_date_future,
    )
)


def analyse(
    doc: SourceDocument, rendered: RenderedArticle, *, site: SiteKnowledge, today: dt.date
) -> list[Finding]:
    ctx = CheckContext(doc, rendered, site, today)
    checks = PAGE_CHECKS if doc.meta.KIND == "page" else CHECKS
    return [found for check in checks for found in check(ctx)]


def _as_date(value: dt.date | dt.datetime | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def slug_duplicate(doc, *, owner: str) -> Finding:
    """The one finding, for the gate and the import alike, of a file whose slug another file
    of the batch (`owner`) claimed first."""
    code = FindingCode.SLUG_DUPLICATE
    message = f"slug {doc.meta.slug!r} is also claimed by {owner}"
    return Finding(
        code, code.severity, message, doc.key_lines.get("slug"), "", doc.path, doc.meta.slug
    )
