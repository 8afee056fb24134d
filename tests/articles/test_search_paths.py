"""The search's cheaper paths give the same answers: the head tier of a one-word or "any word"
query skips the check against all matches (every head match is a match there), a query of
several words keeps it, a page past the end still counts, and on PostgreSQL the fallback runs
in the same transaction as the first try, whose planner settings end with it."""

import pytest
from django.utils import timezone

from ketamine_association.articles.search import article_search
from ketamine_association.articles.services import article_import_paths

from .factories import write
from .test_search import make, slugs

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor(tmp_path, images):
    for name, title, body, date in [
        ("head-both", "Gentle Lanterns", "A lantern glowed by the harbor.", "2024-01-01"),
        ("head-one", "Lantern Notes", "Nothing else is said here.", "2026-01-01"),
        ("body-both", "Quiet Rooms", "A lantern hung over the harbor.", "2025-01-01"),
        ("neither", "Dark Rooms", "Nothing glowed.", "2026-01-02"),
        ("later", "Harbor Lanterns", "A lantern over the harbor, next year.", "2099-01-01"),
    ]:
        write(tmp_path / f"{name}.md", make(name, title, body, date=date))
    assert not article_import_paths(paths=[tmp_path], images=images).failed


def test_all_words_must_match_even_for_an_article_whose_head_holds_one(harbor):
    page = article_search(query="lantern harbor", now=timezone.now())
    # "head-one" has "lantern" in its title but "harbor" nowhere: not a match at all.
    assert slugs(page) == ["head-both", "body-both"]
    assert page.total == 2


def test_one_word_ranks_head_matches_first_and_counts_only_public_ones(harbor):
    page = article_search(query="lanterns", now=timezone.now())
    # Head matches first (the newer of the two title matches wins the tie), then body only.
    assert slugs(page)[2:] == ["body-both"]
    assert set(slugs(page)[:2]) == {"head-both", "head-one"}
    assert page.total == 3  # "later" is scheduled, not public


def test_any_word_fallback_ranks_head_matches_first(harbor):
    now = timezone.now()
    page = article_search(query="lantern zebra", now=now)  # nothing holds both
    assert page.terms == ["lantern", "zebra"]
    assert set(slugs(page)[:2]) == {"head-both", "head-one"}
    assert slugs(page)[2:] == ["body-both"]
    assert page.total == 3
    pages = [article_search(query="lantern zebra", now=now, limit=1, offset=i) for i in range(4)]
    assert [h for p in pages for h in slugs(p)] == slugs(page)
    assert {p.total for p in pages} == {3}


def test_a_page_past_the_end_is_empty_but_still_counts(harbor):
    now = timezone.now()
    for query, total in [("lantern harbor", 2), ("lantern zebra", 3), ("lanterns", 3)]:
        page = article_search(query=query, now=now, offset=5)
        assert page.hits == [] and page.total == total, query
    nothing = article_search(query="zebra quokka", now=now)
    assert nothing.hits == [] and nothing.total == 0


def test_postgres_fallback_leaves_the_callers_planner_settings(harbor):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner settings; SQLite has none to restore")
    with transaction.atomic(), connection.cursor() as cursor:
        assert article_search(query="lantern zebra", now=timezone.now()).total == 3
        for setting in ("enable_seqscan", "enable_indexscan"):
            cursor.execute(f"SHOW {setting}")
            assert cursor.fetchone()[0] == "on"
    cursor = connection.cursor()
    cursor.execute("SHOW enable_seqscan")
    assert cursor.fetchone()[0] == "on"
