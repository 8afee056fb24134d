"""The analysis step: findings about one article, from its source and its rendering.

Pure functions: they read the validated source, the rendered article and what the site
knows (slugs, images), and return findings with stable codes. They never change the source.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .categories import category_code_for_slug
from .choices import (
    STATED_READINGTIME_TOLERANCE_MIN,
    STATED_WORDCOUNT_TOLERANCE,
    Severity,
)
from .readability import flesch_kincaid_grade
from .rendering import RenderedArticle
from .source import SourceDocument

READING_TIME_RE = re.compile(r"(\d+)")
# "45%", "12.5 percent", "2 of 3", "1 out of every 5"
STATISTIC_RE = re.compile(
    r"\d+(?:\.\d+)?\s?%|\b\d+(?:\.\d+)?\s?percent\b"
    r"|\b\d+(?:\.\d+)?\s+(?:out\s+)?of\s+(?:every\s+)?\d+(?:\.\d+)?\b",
    re.IGNORECASE,
)
# "(Zarate et al., 2006)", "(Kroenke & Spitzer, 2002; FDA, 2019)", and footnotes "[^1]"
CITATION_RE = re.compile(r"\([^()]*\b[A-Z][^()]*\b(?:19|20)\d{2}[a-z]?\b[^()]*\)|\[\^[^\]]+\]")
GRADE_LIMITS = {"patients": 8.0, "practitioners": 14.0}


@dataclass(frozen=True)
class Finding:
    code: str
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


def analyse(
    doc: SourceDocument, rendered: RenderedArticle, *, site: SiteKnowledge, today: dt.date
) -> list[Finding]:
    meta = doc.meta
    lines = doc.key_lines
    out: list[Finding] = []

    def add(code, severity, message, line=None, suggestion=""):
        out.append(Finding(code, severity, message, line, suggestion, doc.path, meta.slug))

    # Stated figures that lie.
    words = rendered.word_count
    if meta.word_count is not None and words:
        drift = abs(meta.word_count - words) / words
        if drift > STATED_WORDCOUNT_TOLERANCE:
            add(
                "stated-wordcount-mismatch",
                Severity.WARNING,
                f"wordCount says {meta.word_count:,} but the text has {words:,} words "
                f"({drift:.0%} off)",
                lines.get("wordCount"),
                f"wordCount: {words}",
            )
    stated = stated_minutes(meta.reading_time)
    if stated is not None and abs(stated - rendered.reading_minutes) > (
        STATED_READINGTIME_TOLERANCE_MIN
    ):
        add(
            "stated-readingtime-mismatch",
            Severity.WARNING,
            f"readingTime says {stated} min but the text reads in {rendered.reading_minutes} min",
            lines.get("readingTime"),
            f'readingTime: "{rendered.reading_minutes} min read"',
        )

    # Images that are not there.
    for field_name, value in (("featuredImage", meta.featured_image), ("ogImage", meta.og_image)):
        if not value or value.startswith(("http://", "https://")):
            continue
        if problem := site.image_problem(value):
            add(
                "image-missing",
                Severity.ERROR,
                f"{field_name} {value} {problem}",
                lines.get(field_name),
                site.image_alternative(value),
            )
    for image in rendered.images:
        if image.src.startswith("/") and (problem := site.image_problem(image.src)):
            add(
                "image-missing",
                Severity.ERROR,
                f"image {image.src} {problem}",
                image.line,
                site.image_alternative(image.src),
            )
        if not image.alt:
            add(
                "image-alt-missing",
                Severity.WARNING,
                f"image {image.src} has no alt text for screen readers",
                image.line,
            )

    # Links inside the article and to the rest of the site.
    ids = {h.id for h in rendered.headings}
    for link in rendered.links:
        href = link.href
        if href.startswith("#"):
            if href[1:] not in ids:
                add(
                    "anchor-missing",
                    Severity.ERROR,
                    f"link to {href} names no heading of this article",
                    link.line,
                    f"#{near}" if (near := closest(href[1:], ids)) else "",
                )
        elif href.startswith("/") and not href.startswith("//"):
            path = href.split("#", 1)[0].split("?", 1)[0]
            if path.startswith("/blog/category/") and path.count("/") == 3:
                wanted = path.removeprefix("/blog/category/")
                if category_code_for_slug(wanted, list(site.categories))[0] is None:
                    add(
                        "internal-link-dead",
                        Severity.ERROR,
                        f"link to {href}: no category matches {wanted!r}",
                        link.line,
                    )
            elif path.startswith("/blog/") and path.count("/") == 2:
                slug = path.removeprefix("/blog/").rstrip("/")
                if slug not in site.slugs:
                    near = site.closest_slug(slug)
                    add(
                        "internal-link-dead",
                        Severity.ERROR,
                        f"link to {href}: no article has the slug {slug!r}",
                        link.line,
                        f"/blog/{near}" if near else "",
                    )
            elif path.startswith("/images/"):
                if problem := site.image_problem(path):
                    add("image-missing", Severity.ERROR, f"link to {href}: {problem}", link.line)
            elif not site.path_served(path):
                add(
                    "internal-link-dead",
                    Severity.ERROR,
                    f"link to {href}: this site serves no such page",
                    link.line,
                )
        elif href.startswith("http://"):
            add("link-insecure", Severity.INFO, f"{href} is not HTTPS", link.line)

    for index, slug in enumerate(meta.related_articles):
        if slug not in site.slugs:
            near = site.closest_slug(slug)
            add(
                "related-missing",
                Severity.WARNING,
                f"relatedArticles names {slug!r}, which is no article",
                lines.get(f"relatedArticles.{index}", lines.get("relatedArticles")),
                near,
            )

    # Structure a screen reader stumbles on.
    if rendered.h1_count > 1:
        add(
            "heading-multiple-h1",
            Severity.ERROR,
            f"the body has {rendered.h1_count} level-1 headings; the page shows only one h1",
            next((h.line for h in rendered.headings[1:] if h.level == 1), None),
        )
    previous = 1
    for heading in rendered.headings:
        if heading.level > previous + 1:
            add(
                "heading-level-skip",
                Severity.WARNING,
                f"heading '{heading.text}' jumps from h{previous} to h{heading.level}",
                heading.line,
            )
        previous = heading.level

    # Reading level for the article's audience (NIH: patient materials at grade 8 or below).
    limit = GRADE_LIMITS.get(meta.audience or "")
    if limit is not None:
        grade = flesch_kincaid_grade(rendered.prose)
        if grade is not None and grade > limit:
            add(
                "readability-grade",
                Severity.WARNING,
                f"reads at US grade {grade:.1f} (Flesch-Kincaid); aim for {limit:.0f} or below "
                f"for {meta.audience}",
                doc.body_line,
                "",
            )

    # Figures without a source in their paragraph.
    for block in rendered.blocks:
        match = STATISTIC_RE.search(block.text)
        if match and not block.has_link and not CITATION_RE.search(block.text):
            add(
                "statistic-uncited",
                Severity.WARNING,
                f"'{match.group(0)}' has no source in its paragraph",
                block.line,
                "",
            )

    # Search snippets.
    if meta.meta_title and len(meta.meta_title) > 60:
        add(
            "meta-title-length",
            Severity.WARNING,
            f"metaTitle has {len(meta.meta_title)} characters; search engines cut it at about 60",
            lines.get("metaTitle"),
        )
    description = meta.meta_description or meta.excerpt
    if description and not 120 <= len(description) <= 160:
        add(
            "meta-description-length",
            Severity.WARNING,
            f"{'metaDescription' if meta.meta_description else 'excerpt (used as description)'} "
            f"has {len(description)} characters; aim for 120-160",
            lines.get("metaDescription" if meta.meta_description else "excerpt"),
        )

    # Dates.
    published = _as_date(meta.published_at)
    updated = _as_date(meta.updated_at)
    if published and updated and updated < published:
        add(
            "date-updated-before-published",
            Severity.ERROR,
            f"updatedAt {updated} is earlier than publishedAt {published}",
            lines.get("updatedAt"),
        )
    if published and published > today:
        add(
            "date-future",
            Severity.INFO,
            f"publishedAt {published} is in the future: the article is scheduled",
            lines.get("publishedAt"),
        )
    return out


def _as_date(value: dt.date | dt.datetime | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value
