"""The full-text index of each database: an FTS5 table on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "title, headings, excerpt, tags, body, tokenize='porter unicode61 remove_diacritics 2')"
)
POSTGRES_CREATE = (
    "CREATE INDEX IF NOT EXISTS articles_article_search_gin "
    "ON articles_article USING GIN (search_vector)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS articles_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS articles_article_search_gin")


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_tags_redirects_search")]
    operations = [migrations.RunPython(create, drop)]
