"""Choices and constants of the publishing pipeline, in one place."""

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
DEFAULT_CATEGORY = "GENERAL"


class Audience(models.TextChoices):
    PATIENTS = "patients", "Patients"
    PRACTITIONERS = "practitioners", "Practitioners"


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class TwitterCard(models.TextChoices):
    SUMMARY = "summary", "Summary"
    SUMMARY_LARGE_IMAGE = "summary_large_image", "Summary with large image"


FAQ_HEADINGS = ("frequently asked questions", "faq", "faqs")
TOC_HEADINGS = ("table of contents", "contents", "in this article")
