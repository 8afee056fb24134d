"""After a large import on PostgreSQL the GIN index's pending list is merged
(search.search_index_settle), so the first searches do not read thousands of pending rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from ketamine_association.articles import services
from ketamine_association.articles.models import SearchEntry
from ketamine_association.articles.search import search_index_settle
from ketamine_association.articles.services import article_import_paths

from .factories import write
from .test_search import make

pytestmark = pytest.mark.django_db

GIN = "articles_searchentry_vector_gin"


def pending() -> int:
    """Rows waiting in the search GIN index's pending list (pgstattuple's pgstatginindex)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pending_tuples FROM pgstatginindex(%s::regclass)", [GIN])
        return cursor.fetchone()[0]


@pytest.fixture
def postgres_gin():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's GIN index; SQLite's FTS5 has no pending list")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    except DatabaseError as exc:
        pytest.skip(f"pgstattuple is not available to read the pending list: {exc}")


def test_a_large_import_leaves_no_pending_rows(tmp_path, images, postgres_gin, monkeypatch):
    monkeypatch.setattr(services, "POOL_MIN_FILES", 3)  # "large" from three files
    for index in range(4):
        write(tmp_path / f"{index}.md", make(f"calm-{index}", f"Calm Harbours {index}", "Tide."))
    assert not article_import_paths(paths=[tmp_path], images=images, workers=1).failed
    assert SearchEntry.objects.count() == 4
    assert pending() == 0


def test_settle_merges_what_is_pending(tmp_path, images, postgres_gin, monkeypatch):
    monkeypatch.setattr(services, "search_index_settle", lambda: None)
    for index in range(2):
        write(tmp_path / f"{index}.md", make(f"still-{index}", f"Still Waters {index}", "Reed."))
    assert not article_import_paths(paths=[tmp_path], images=images, workers=1).failed
    assert pending() > 0  # fastupdate: the new rows wait in the list
    search_index_settle()
    assert pending() == 0
