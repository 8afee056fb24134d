"""PostgreSQL's search vectors are computed by one SQL statement (search._PG_VECTORS) for one
article and for a batch alike, and equal what Django's SearchVector expressions give."""

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import TextField, Value

from ketamine_association.articles.models import Article, SearchEntry
from ketamine_association.articles.search import search_index_article, search_index_articles
from ketamine_association.articles.services import article_import_paths

from .factories import write
from .test_search import make

pytestmark = pytest.mark.django_db


def expected(title: str, headings: str, excerpt: str, tags: str, body: str) -> tuple[str, str]:
    """(vector, rank_vector) as text, from Django's own SearchVector expressions."""

    def vector(text: str, weight: str) -> SearchVector:
        return SearchVector(Value(text, output_field=TextField()), config="english", weight=weight)

    head = vector(title, "A") + vector(headings, "B") + vector(f"{excerpt} {tags}", "C")
    row = (
        SearchEntry.objects.annotate(whole=head + vector(body, "D"), ranked=head)
        .values_list("whole", "ranked")
        .first()
    )
    return str(row[0]), str(row[1])


def stored(article_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vector::text, rank_vector::text FROM articles_searchentry "
            "WHERE article_id = %s",
            [article_id],
        )
        return cursor.fetchone()


def test_one_statement_gives_djangos_vectors_for_one_article_and_a_batch(tmp_path, images):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's vectors; SQLite keeps FTS5 tables")
    write(tmp_path / "a.md", make("quiet-harbour", "Quiet Harbours", "Boats rest at dusk."))
    write(tmp_path / "b.md", make("open-sea", "Open Seas", "Waves run far."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    first, second = Article.objects.order_by("slug")
    parts = {
        "title": "Calm Waters Ahead",
        "headings": "Morning Evening",
        "excerpt": "An excerpt, with words.",
        "tags": "boats tides",
        "body": "Sailing into the harbour; the harbours were calm and the sailors rested.",
    }
    search_index_article(article=first, **parts)
    assert stored(first.id) == expected(**parts)
    other = {**parts, "title": "Storm Warnings", "body": "Thunder over the bay."}
    search_index_articles([{"article": first, **other}, {"article": second, **parts}])
    assert stored(first.id) == expected(**other)
    assert stored(second.id) == expected(**parts)
    assert "'harbour':" in stored(second.id)[0] and "'calm':1A" in stored(second.id)[1]
