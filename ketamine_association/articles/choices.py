"""Choices and constants of the publishing pipeline, in one place."""

from enum import StrEnum

from django.db import models

WORDS_PER_MINUTE = 238
MAX_SOURCE_BYTES = 2 * 1024 * 1024
# Frontmatter is a few hundred bytes of fields (the largest of the real corpus: 2 KB) nested
# two or three levels deep; these bounds refuse a hostile file before YAML builds it.
MAX_FRONTMATTER_CHARS = 64 * 1024
MAX_FRONTMATTER_DEPTH = 20
STATED_WORDCOUNT_TOLERANCE = 0.10
STATED_READINGTIME_TOLERANCE_MIN = 1
DEFAULT_AUTHOR = "Ketamine Association Editorial Team"
# The page that answers "who writes this?" for an author without a profile of their own: the
# JSON-LD author's `url` (seo.author_jsonld). A site page of demo/pages/.
EDITORIAL_PAGE_PATH = "/editorial-policy"
DEFAULT_CATEGORY = "GENERAL"


class Audience(models.TextChoices):
    PATIENTS = "patients", "Patients"
    PRACTITIONERS = "practitioners", "Practitioners"


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"

    @property
    def rank(self) -> int:
        """info < warning < error: what `--fail-on` compares."""
        return (Severity.INFO, Severity.WARNING, Severity.ERROR).index(self)


class FindingCode(StrEnum):
    """Every finding's stable code, with its severity beside it (the README lists them)."""

    severity: Severity

    def __new__(cls, value: str, severity: Severity) -> "FindingCode":
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        return member

    # Emitted by the content quality gate (quality.py), not by an analysis check.
    FRONTMATTER_INVALID = "frontmatter-invalid", Severity.ERROR
    SLUG_DUPLICATE = "slug-duplicate", Severity.ERROR
    # Emitted by the checks of analysis.py.
    ANCHOR_MISSING = "anchor-missing", Severity.ERROR
    INTERNAL_LINK_DEAD = "internal-link-dead", Severity.ERROR
    IMAGE_MISSING = "image-missing", Severity.ERROR
    HEADING_MULTIPLE_H1 = "heading-multiple-h1", Severity.ERROR
    DATE_UPDATED_BEFORE_PUBLISHED = "date-updated-before-published", Severity.ERROR
    RELATED_MISSING = "related-missing", Severity.WARNING
    STATED_WORDCOUNT_MISMATCH = "stated-wordcount-mismatch", Severity.WARNING
    STATED_READINGTIME_MISMATCH = "stated-readingtime-mismatch", Severity.WARNING
    HEADING_LEVEL_SKIP = "heading-level-skip", Severity.WARNING
    CANONICAL_FOREIGN_HOST = "canonical-foreign-host", Severity.WARNING
    IMAGE_ALT_MISSING = "image-alt-missing", Severity.WARNING
    META_TITLE_LENGTH = "meta-title-length", Severity.WARNING
    META_DESCRIPTION_LENGTH = "meta-description-length", Severity.WARNING
    READABILITY_GRADE = "readability-grade", Severity.WARNING
    STATISTIC_UNCITED = "statistic-uncited", Severity.WARNING
    DATE_FUTURE = "date-future", Severity.INFO
    LINK_INSECURE = "link-insecure", Severity.INFO
    REVIEWER_UNKNOWN = "reviewer-unknown", Severity.INFO


class TwitterCard(models.TextChoices):
    SUMMARY = "summary", "Summary"
    SUMMARY_LARGE_IMAGE = "summary_large_image", "Summary with large image"


FAQ_HEADINGS = ("frequently asked questions", "faq", "faqs")
TOC_HEADINGS = ("table of contents", "contents", "in this article")
