"""SQLite: a second FTS5 table holding only each article's head (title, headings, excerpt,
tags), rowid = the article's id, which search ranks by (search.py). Filled from articles_fts.
PostgreSQL already ranks by SearchEntry.rank_vector and needs nothing."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts_head USING fts5("
    "title, headings, excerpt, tags, tokenize='porter unicode61 remove_diacritics 2')"
)
SQLITE_FILL = (
    "INSERT INTO articles_fts_head (rowid, title, headings, excerpt, tags) "
    "SELECT rowid, title, headings, excerpt, tags FROM articles_fts"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        schema_editor.execute("DELETE FROM articles_fts_head")
        schema_editor.execute(SQLITE_FILL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS articles_fts_head")


class Migration(migrations.Migration):
    dependencies = [("articles", "0010_import_raw_hash")]
    operations = [migrations.RunPython(create, drop)]
