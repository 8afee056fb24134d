"""Search reads a narrow row per article (SearchEntry) instead of the wide article row.

On PostgreSQL the vectors move there from Article.search_vector, with a small rank vector
beside the full one; both are filled here from what the articles already hold, so no
re-import is needed. On SQLite the FTS5 table stays as it is and the entries carry the
filters only.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

GIN = "articles_searchentry_vector_gin"
HEADINGS = "(SELECT string_agg(h->>'text', ' ') FROM jsonb_array_elements(a.toc) h)"
TAGS = "(SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(a.tags) t)"
HEAD = (
    "setweight(to_tsvector('english', a.title || ' ' || a.headline), 'A') || "
    f"setweight(to_tsvector('english', coalesce({HEADINGS}, '')), 'B') || "
    f"setweight(to_tsvector('english', a.excerpt || ' ' || coalesce({TAGS}, '')), 'C')"
)
POSTGRES_FILL = (
    "INSERT INTO articles_searchentry "  # noqa: S608 - fixed SQL, no input
    "(article_id, published_at, category, audience, vector, rank_vector) "
    "SELECT a.id, a.published_at, a.category, a.audience, "
    f"{HEAD} || setweight(to_tsvector('english', a.body_text), 'D'), {HEAD} "
    "FROM articles_article a"
)
SQLITE_FILL = (
    "INSERT INTO articles_searchentry (article_id, published_at, category, audience) "
    "SELECT id, published_at, category, audience FROM articles_article"
)


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {GIN} ON articles_searchentry USING GIN (vector)")
        schema_editor.execute(POSTGRES_FILL)
    else:
        schema_editor.execute(SQLITE_FILL)


def drop_old_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS articles_article_search_gin")


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_source_path_index")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("published_at", models.DateTimeField()),
                ("category", models.CharField(max_length=64)),
                ("audience", models.CharField(blank=True, max_length=20)),
                (
                    "vector",
                    django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
                ),
                (
                    "rank_vector",
                    django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
                ),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(drop_old_index, migrations.RunPython.noop),
        migrations.RemoveField(model_name="article", name="search_vector"),
    ]
