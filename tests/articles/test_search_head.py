"""Search ranks head matches by the head alone (title, headings, excerpt, tags), on both
engines: on PostgreSQL by SearchEntry.rank_vector, on SQLite by the FTS5 table of heads
(search.HEAD_TABLE), which every write of the full index keeps in step."""

import pytest
from django.db import connection
from django.utils import timezone

from ketamine_association.articles.models import Article
from ketamine_association.articles.search import (
    FTS_TABLE,
    HEAD_TABLE,
    article_search,
    search_index_article,
    search_index_articles,
)
from ketamine_association.articles.services import article_import_paths

from .factories import write
from .test_search import make, slugs

pytestmark = pytest.mark.django_db

LONG_BODY = " ".join(["Quiet words about the afternoon and the garden path."] * 400)


def head_rows() -> dict[int, tuple[str, str, str, str]]:
    """SQLite's head table, by article id."""
    with connection.cursor() as cursor:
        columns = "rowid, title, headings, excerpt, tags"
        cursor.execute(f"SELECT {columns} FROM {HEAD_TABLE}")  # noqa: S608
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def head_matches(word: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {HEAD_TABLE} WHERE {HEAD_TABLE} MATCH %s",  # noqa: S608
            [f'"{word}"'],
        )
        return {row[0] for row in cursor.fetchall()}


def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the head table is SQLite's; PostgreSQL keeps rank_vector in SearchEntry")


def test_the_length_of_the_body_does_not_move_a_head_match(tmp_path, images):
    # Same head, one body 200 times longer: scored on the head alone they tie, and the tie
    # goes to the newer. Scored over the whole entry (body too), bm25 would put the short
    # body first, as a match in a longer document counts for less.
    for name, body, date in [
        ("long", LONG_BODY, "2026-01-02"),
        ("short", "A lantern glowed.", "2026-01-01"),
        ("older-long", LONG_BODY, "2025-01-01"),
    ]:
        write(tmp_path / f"{name}.md", make(name, "Gentle Lanterns", body, date=date))
    write(tmp_path / "body.md", make("body", "Evening Walks", "A lantern.", date="2026-02-01"))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    page = article_search(query="lanterns", now=timezone.now())
    assert slugs(page) == ["long", "short", "older-long", "body"]
    assert page.total == 4


def test_a_shorter_head_outranks_a_longer_one_with_the_same_match(tmp_path, images):
    # Same title word; one head holds many more words (its tags), the other a long body.
    # Only the length of the head weighs on SQLite's score: the long body no longer counts
    # against its article, and the newer one does not win the tie it no longer is.
    sqlite_only()
    many = ", ".join(f'"extra{i}"' for i in range(40))
    write(tmp_path / "short.md", make("short", "Gentle Lanterns", LONG_BODY, date="2025-01-01"))
    text = make("wordy", "Gentle Lanterns", "Nothing.", date="2026-01-01")
    write(tmp_path / "wordy.md", text.replace('tags: ["options", "questions"]', f"tags: [{many}]"))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    assert slugs(article_search(query="lanterns", now=timezone.now())) == ["short", "wordy"]


def test_the_head_table_follows_import_and_re_import(tmp_path, images):
    sqlite_only()
    write(tmp_path / "a.md", make("a", "Gentle Lanterns", "A harbor at night."))
    write(tmp_path / "b.md", make("b", "Quiet Rooms", "A lantern glowed."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    ids = dict(Article.objects.values_list("slug", "id"))
    rows = head_rows()
    assert set(rows) == set(ids.values())
    assert "Gentle Lanterns" in rows[ids["a"]][0]
    assert "harbor" not in " ".join(rows[ids["a"]])  # the body is not in the head table
    assert head_matches("lantern") == {ids["a"]}

    write(tmp_path / "a.md", make("a", "Harbor Nights", "A harbor at night."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    rows = head_rows()
    assert set(rows) == set(ids.values())  # replaced in place, not added
    assert "Harbor Nights" in rows[ids["a"]][0]
    assert head_matches("lantern") == set()
    assert head_matches("harbor") == {ids["a"]}
    assert slugs(article_search(query="lantern", now=timezone.now())) == ["b"]


def test_both_index_writers_replace_the_head_row(tmp_path, images):
    sqlite_only()
    write(tmp_path / "a.md", make("a", "Gentle Lanterns", "Text."))
    write(tmp_path / "b.md", make("b", "Quiet Rooms", "Text."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    a, b = Article.objects.get(slug="a"), Article.objects.get(slug="b")

    def entry(article, title):
        return {
            "article": article,
            "title": title,
            "headings": "",
            "excerpt": "",
            "tags": "",
            "body": "",
        }

    search_index_article(**entry(a, "Copper Kettles"))
    search_index_articles([entry(a, "Silver Spoons"), entry(b, "Copper Kettles")])
    rows = head_rows()
    assert rows == {a.id: ("Silver Spoons", "", "", ""), b.id: ("Copper Kettles", "", "", "")}
    assert head_matches("kettles") == {b.id}
    assert slugs(article_search(query="kettles", now=timezone.now())) == ["b"]


def test_a_deleted_article_leaves_no_head_match_and_comes_back_when_re_imported(tmp_path, images):
    write(tmp_path / "a.md", make("a", "Gentle Lanterns", "Text."))
    write(tmp_path / "b.md", make("b", "Lantern Notes", "Text.", date="2025-01-01"))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    Article.objects.get(slug="a").delete()
    page = article_search(query="lantern", now=timezone.now())
    assert (slugs(page), page.total) == (["b"], 1)
    assert article_search(query="lantern", now=timezone.now(), offset=1).hits == []
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    page = article_search(query="lantern", now=timezone.now())
    assert (slugs(page), page.total) == (["a", "b"], 2)


def test_the_migration_fills_the_head_table_from_the_full_index(tmp_path, images):
    """A site indexed before the head table existed gets its heads from articles_fts."""
    import importlib

    sqlite_only()
    migration = importlib.import_module("ketamine_association.articles.migrations.0011_search_head")
    write(tmp_path / "a.md", make("a", "Gentle Lanterns", "A harbor at night."))
    write(tmp_path / "b.md", make("b", "Quiet Rooms", "A lantern glowed."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    written = head_rows()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {HEAD_TABLE}")  # noqa: S608

        class Editor:  # what the migration uses of a schema editor
            connection = cursor.db

            @staticmethod
            def execute(sql):
                cursor.execute(sql)

        migration.create(None, Editor)
    assert head_rows() == written
    assert len(written) == 2
    assert head_matches("lantern") == {Article.objects.get(slug="a").id}


def fts_ids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {FTS_TABLE}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def test_a_deleted_article_leaves_no_row_in_either_fts_table(tmp_path, images):
    # No foreign key ties the FTS tables to the article: the delete itself must clear them,
    # whichever way it comes (one instance, as the admin page does; a queryset, as an
    # archive in the browser or the admin's bulk action do).
    sqlite_only()
    for name in ("kept", "one", "bulk"):
        write(tmp_path / f"{name}.md", make(name, f"Lantern {name}", "A lantern glowed."))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    ids = dict(Article.objects.values_list("slug", "id"))
    assert set(ids.values()) <= fts_ids() and set(ids.values()) <= set(head_rows())

    Article.objects.get(slug="one").delete()
    Article.objects.filter(slug="bulk").delete()

    assert fts_ids() == {ids["kept"]} and set(head_rows()) == {ids["kept"]}
    assert slugs(article_search(query="lantern", now=timezone.now())) == ["kept"]
