"""Full-text search behind one selector: SQLite FTS5 or PostgreSQL's text search.

Both rank title and headings above the excerpt and tags, and those above the body; both stem
English ("neuroplastic" finds "neuroplasticity"); both return a highlighted snippet. What the
visitor typed is reduced to plain words before it reaches either engine, so no query syntax
(quotes, `*`, NEAR, OR, parentheses) can cause an error.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from .models import Article

MAX_TERMS = 12
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
_TERM_RE = re.compile(r"\w+", re.UNICODE)
FTS_TABLE = "articles_fts"
WEIGHTS = (10.0, 6.0, 3.0, 3.0, 1.0)  # title, headings, excerpt, tags, body


@dataclass(frozen=True)
class SearchHit:
    article: Article
    snippet: SafeString


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    terms: list[str]


# Words that match nearly everything: dropped when falling back to "any word".
STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from has have how i if in is it its me my "
    "not of on or so than that the their them they this to was we what when where which "
    "who why will with you your near".split()
)


def search_terms(query: str) -> list[str]:
    return [t.lower() for t in _TERM_RE.findall(query[:1000])][:MAX_TERMS]


def highlight(snippet: str) -> SafeString:
    escaped = html.escape(" ".join(snippet.split()))
    return mark_safe(  # noqa: S308 - escaped above; only our own markers become <mark>
        escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    )


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# -- indexing (called by the import service, inside its transaction) -------------------------


def search_index_article(
    *, article_id: int, title: str, headings: str, excerpt: str, tags: str, body: str
) -> None:
    if is_postgres():
        from django.contrib.postgres.search import SearchVector
        from django.db.models import TextField, Value

        def vector(text: str, weight: str) -> SearchVector:
            return SearchVector(
                Value(text, output_field=TextField()), config="english", weight=weight
            )

        Article.objects.filter(id=article_id).update(
            search_vector=vector(title, "A")
            + vector(headings, "B")
            + vector(f"{excerpt} {tags}", "C")
            + SearchVector("body_text", config="english", weight="D")
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, headings, excerpt, tags, body) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [article_id, title, headings, excerpt, tags, body],
        )


# -- the selector ----------------------------------------------------------------------------


def article_search(
    *,
    query: str,
    now: dt.datetime,
    category: str | None = None,
    audience: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> SearchPage:
    """Published articles matching all words (or, failing that, any word), best first."""
    terms = search_terms(query)
    if not terms:
        return SearchPage([], 0, [])
    engine = _postgres_search if is_postgres() else _sqlite_search
    page = engine(terms, "all", now, category, audience, offset, limit)
    if page.total or len(terms) == 1:
        return page
    content = [t for t in terms if t not in STOP_WORDS and len(t) > 1]
    if not content:
        return page
    found = engine(content, "any", now, category, audience, offset, limit)
    return SearchPage(found.hits, found.total, terms)


def _load(ids_snippets: list[tuple[int, str]]) -> list[SearchHit]:
    from .selectors import CARD_FIELDS

    articles = Article.objects.only(*CARD_FIELDS).in_bulk([i for i, _ in ids_snippets])
    return [
        SearchHit(articles[i], highlight(snippet or ""))
        for i, snippet in ids_snippets
        if i in articles
    ]


def _sqlite_search(terms, mode, now, category, audience, offset, limit) -> SearchPage:
    joiner = " " if mode == "all" else " OR "
    match = joiner.join(f'"{term}"' for term in terms)  # quoted: plain words, never syntax
    where = [f"{FTS_TABLE} MATCH %s", "a.published_at <= %s"]
    params: list = [match, now]
    if category:
        where.append("a.category = %s")
        params.append(category)
    if audience:
        where.append("a.audience = %s")
        params.append(audience)
    condition = " AND ".join(where)
    base = f"FROM {FTS_TABLE} JOIN articles_article a ON a.id = {FTS_TABLE}.rowid WHERE {condition}"
    weights = ", ".join(str(w) for w in WEIGHTS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", params)  # noqa: S608 - fixed SQL, bound params
        total = cursor.fetchone()[0]
        if not total:
            return SearchPage([], 0, terms)
        # Rank first, snippets after: SQLite would build a snippet for every match before
        # sorting, when only one page of them is shown.
        cursor.execute(
            f"SELECT a.id {base} "  # noqa: S608 - fixed SQL, bound params
            f"ORDER BY bm25({FTS_TABLE}, {weights}), a.published_at DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return SearchPage([], total, terms)
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT rowid, snippet({FTS_TABLE}, 4, %s, %s, '…', 28) FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})",
            [MARK_OPEN, MARK_CLOSE, match, *ids],
        )
        snippets = dict(cursor.fetchall())
    return SearchPage(_load([(i, snippets.get(i, "")) for i in ids]), total, terms)


def _postgres_search(terms, mode, now, category, audience, offset, limit) -> SearchPage:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
    from django.db.models import F

    text = " ".join(terms) if mode == "all" else " or ".join(terms)
    search_type = "plain" if mode == "all" else "websearch"
    q = SearchQuery(text, config="english", search_type=search_type)
    queryset = Article.objects.filter(published_at__lte=now, search_vector=q)
    if category:
        queryset = queryset.filter(category=category)
    if audience:
        queryset = queryset.filter(audience=audience)
    total = queryset.count()
    if not total:
        return SearchPage([], 0, terms)
    rows = (
        queryset.annotate(
            rank=SearchRank(F("search_vector"), q),
            snippet=SearchHeadline(
                "body_text",
                q,
                config="english",
                start_sel=MARK_OPEN,
                stop_sel=MARK_CLOSE,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "-published_at")
        .values_list("id", "snippet")[offset : offset + limit]
    )
    return SearchPage(_load(list(rows)), total, terms)
