"""Reads of the association app."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.utils import timezone

from ketamine_association.articles.models import Article
from ketamine_association.articles.selectors import article_get_published

from .models import MembershipTier

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def membership_tiers() -> QuerySet[MembershipTier]:
    """The active tiers, in display order (one query)."""
    return MembershipTier.objects.filter(active=True).order_by("display_order", "name")


def article_slug_from(value: str) -> str:
    """The slug in what a reader typed: a bare slug, `/blog/<slug>` or a full address of an
    article; "" when it is none of these."""
    value = (value or "").strip()
    if "/" in value:
        value = urlsplit(value).path.rstrip("/").rpartition("/")[2]
    value = value.lower()
    return value if len(value) <= 200 and _SLUG.fullmatch(value) else ""


def contact_article(*, value: str) -> Article | None:
    """The published article `value` names (a slug or its address), else None."""
    slug = article_slug_from(value)
    if not slug:
        return None
    return article_get_published(slug=slug, now=timezone.now())
