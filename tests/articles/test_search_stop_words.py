"""Stop words in a query must still match, but neither rank an article nor place it above a
body-only match: the same on SQLite (bm25) and PostgreSQL (its english rank query)."""

import pytest
from django.utils import timezone

from ketamine_association.articles.search import article_search
from ketamine_association.articles.services import article_import_paths

from .factories import write
from .test_search import make, slugs

pytestmark = pytest.mark.django_db


@pytest.fixture
def lanterns(tmp_path, images):
    # Every article's excerpt (the factory's) holds "for", "the" and "to" in its head.
    for name, title, date in [
        ("old", "Walks for the Evening", "2025-01-01"),  # stop words in its title
        ("new", "Morning Light", "2026-01-01"),
        ("mid", "Quiet Rooms", "2025-06-01"),
        ("head", "Gentle Lanterns", "2024-01-01"),
    ]:
        write(tmp_path / f"{name}.md", make(name, title, "A lantern glowed.", date=date))
    write(tmp_path / "unlit.md", make("unlit", "Dark Rooms", "Nothing glowed.", date="2026-02-01"))
    assert not article_import_paths(paths=[tmp_path], images=images).failed


def test_a_stop_word_in_the_head_does_not_lift_a_body_only_match(lanterns):
    now = timezone.now()
    for query in ("lanterns for", "the lanterns", "lanterns to the"):
        page = article_search(query=query, now=now)
        assert slugs(page) == ["head", "new", "mid", "old"], query
        assert page.total == 4


def test_stop_words_must_still_match_in_all_words_mode(lanterns):
    now = timezone.now()
    # "when" is in no article: nothing matches all words, and the fallback drops "when".
    page = article_search(query="lantern when", now=now)
    assert slugs(page) == ["head", "new", "mid", "old"]
    assert page.terms == ["lantern", "when"]
