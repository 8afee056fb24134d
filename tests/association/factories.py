"""Small rows for the association tests: articles a correction can name, contact messages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketamine_association.articles.models import Article
from ketamine_association.association.models import ContactMessage


def article(slug: str = "understanding-options", *, published: bool = True) -> Article:
    now = timezone.now()
    when = now - dt.timedelta(days=3) if published else now + dt.timedelta(days=30)
    return Article.objects.create(
        slug=slug,
        title=f"Article {slug.replace('-', ' ').title()}",
        category="PATIENT_EDUCATION",
        author="Test Editor",
        published_at=when,
        updated_at=when,
        body_markdown="Text.",
        body_html="<p>Text.</p>",
        word_count=1,
        reading_minutes=1,
        content_hash=slug,
    )


def message(**fields) -> ContactMessage:
    values = {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "topic": "general",
        "message": "Hello.",
    }
    return ContactMessage.objects.create(**{**values, **fields})
