"""Full-text search behind one selector: SQLite FTS5 or PostgreSQL's text search.

Ranking, the same on both: an article whose title, headings, excerpt or tags hold a query
word other than a stop word ranks above one that matches in its body alone (stop words must
still match, but rank nothing: PostgreSQL's english configuration drops them from its rank
query, and on SQLite they are left out of the head query and bm25); among the first, the
engine's own score (BM25 on SQLite, ts_rank on PostgreSQL) with title above headings above
excerpt and tags; ties and body-only matches, newest first. Both stem English ("neuroplastic" finds
"neuroplasticity"); the highlighted snippet is cut here, the same for both (see snippet()).
What the visitor typed is reduced to plain words before it reaches either engine, so no query
syntax (quotes, `*`, NEAR, OR, parentheses) can cause an error.

Why the two tiers: scoring the body too means reading every matching article's whole
index entry, and on a large site a common word ("ketamine") matches nearly all of them;
that cost grows with the site. Scoring title, headings, excerpt and tags reads a few
words per article: at 10,000 articles p95 went from 60 / 175 ms to about 20 ms (bench/blog.py).
The filters (published, category, audience) are read from SearchEntry, a narrow row per
article, never from the wide article row.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils.safestring import SafeString, mark_safe

from .models import Article, SearchEntry

logger = logging.getLogger(__name__)

MAX_TERMS = 12
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
_TERM_RE = re.compile(r"\w+", re.UNICODE)
FTS_TABLE = "articles_fts"
# The head columns alone (rowid = the article's id), kept in step with FTS_TABLE: SQLite
# ranks by it, so bm25 reads and normalises by the few words of a head, not the body.
HEAD_TABLE = "articles_fts_head"
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


def _content_words(terms: list[str]) -> list[str]:
    """All but stop words and single letters (the "s" of "ketamine's"): the words the "any
    word" fallback searches for."""
    return [t for t in terms if t not in STOP_WORDS and len(t) > 1]


def _meaningful(terms: list[str]) -> list[str]:
    """The terms that rank and that snippets mark: the content words, unless the query has
    nothing else."""
    return _content_words(terms) or terms


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


# PostgreSQL's two vectors of an article, computed by the server: `rank_vector` the head
# (title A, headings B, excerpt and tags C), `vector` the head and the body (D) after it.
_PG_VECTORS = (
    f"UPDATE {SearchEntry._meta.db_table} SET rank_vector = h.v, "  # noqa: S608 - fixed SQL
    "vector = h.v || setweight(to_tsvector('english'::regconfig, COALESCE(%s, '')), 'D') "
    "FROM (SELECT setweight(to_tsvector('english'::regconfig, COALESCE(%s, '')), 'A') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE(%s, '')), 'B') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE(%s, '')), 'C') AS v) h "
    "WHERE article_id = %s"
)


def _pg_vector_values(article_id, title, headings, excerpt, tags, body) -> list:
    return [body, title, headings, f"{excerpt} {tags}", article_id]


def search_index_article(
    *,
    article: Article,
    title: str,
    headings: str,
    excerpt: str,
    tags: str,
    body: str,
) -> None:
    SearchEntry.objects.update_or_create(
        article_id=article.id,
        defaults={
            "published_at": article.published_at,
            "category": article.category,
            "audience": article.audience,
        },
    )
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                _PG_VECTORS, _pg_vector_values(article.id, title, headings, excerpt, tags, body)
            )
        return
    search_forget([article.id])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, headings, excerpt, tags, body) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [article.id, title, headings, excerpt, tags, body],
        )
        cursor.execute(
            f"INSERT INTO {HEAD_TABLE} (rowid, title, headings, excerpt, tags) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [article.id, title, headings, excerpt, tags],
        )


def search_forget(article_ids: Iterable[int]) -> None:
    """Drop these articles' rows from SQLite's FTS tables (before they are written again, or
    when the article is deleted: no foreign key ties them to it); PostgreSQL keeps its vectors
    in SearchEntry, which goes with the article."""
    ids = [(article_id,) for article_id in article_ids]
    if not ids or is_postgres():
        return
    with connection.cursor() as cursor:
        for table in (FTS_TABLE, HEAD_TABLE):
            cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", ids)  # noqa: S608


def forget_deleted_article(sender, instance: Article, **kwargs) -> None:
    """post_delete of an Article, however it is deleted (admin, archive, a queryset)."""
    search_forget([instance.pk])


def search_index_articles(entries: list[dict]) -> None:
    """search_index_article for many articles at once (the import writes a batch of files in
    one transaction): each entry holds that function's keyword arguments. The rows written
    are the same; SQLite's FTS rows go in with one statement for the batch."""
    if not entries:
        return
    ids = [entry["article"].id for entry in entries]
    SearchEntry.objects.filter(article_id__in=ids).delete()
    SearchEntry.objects.bulk_create(
        SearchEntry(
            article_id=entry["article"].id,
            published_at=entry["article"].published_at,
            category=entry["article"].category,
            audience=entry["article"].audience,
        )
        for entry in entries
    )
    if is_postgres():
        with connection.cursor() as cursor:  # the server computes the vectors, in one round
            cursor.executemany(
                _PG_VECTORS,
                [
                    _pg_vector_values(
                        e["article"].id,
                        e["title"],
                        e["headings"],
                        e["excerpt"],
                        e["tags"],
                        e["body"],
                    )
                    for e in entries
                ],
            )
        return
    search_forget(ids)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, title, headings, excerpt, tags, body) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                [e["article"].id, e["title"], e["headings"], e["excerpt"], e["tags"], e["body"]]
                for e in entries
            ],
        )
        cursor.executemany(
            f"INSERT INTO {HEAD_TABLE} (rowid, title, headings, excerpt, tags) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [
                [e["article"].id, e["title"], e["headings"], e["excerpt"], e["tags"]]
                for e in entries
            ],
        )


def search_index_settle() -> None:
    """After a large import on PostgreSQL: merge the GIN index's pending list into the index.
    The rows an import adds wait in that list (fastupdate) until autovacuum merges them, and
    until then every search reads the whole list: a search right after an import of
    thousands of articles paid milliseconds for it. Nothing to do on SQLite."""
    if not is_postgres():
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
                [SearchEntry._meta.db_table],
            )
    except DatabaseError:  # an index the server cannot clean now: autovacuum will
        logger.warning("search index: the GIN pending list was not merged", exc_info=True)


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
    if not is_postgres():
        return _search(_sqlite_search, terms, now, category, audience, offset, limit)
    nested = connection.in_atomic_block  # then the settings below must not outlive the search
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner prices `vector @@ query` as cheap, and for a common word it then reads
        # every row and unpacks every large vector; the GIN index answers the same question
        # without reading a vector at all. For this transaction only, scan through indexes:
        # one transaction for the search, its "any word" fallback too, and the articles.
        cursor.execute(PLAN_THROUGH_INDEXES, ["off", "off"])
        try:
            return _search(_postgres_search, terms, now, category, audience, offset, limit)
        finally:
            if nested:
                cursor.execute(PLAN_THROUGH_INDEXES, ["on", "on"])


def _search(engine, terms, now, category, audience, offset, limit) -> SearchPage:
    page = engine(terms, "all", now, category, audience, offset, limit)
    if page.total or len(terms) == 1:
        return page
    content = _content_words(terms)
    if not content:
        return page
    found = engine(content, "any", now, category, audience, offset, limit)
    return SearchPage(found.hits, found.total, terms)


def _load(ids: list[int], terms: list[str]) -> list[SearchHit]:
    from .selectors import CARD_FIELDS

    articles = Article.objects.only(*CARD_FIELDS, "body_text").in_bulk(ids)
    return [
        SearchHit(articles[i], highlight(snippet(articles[i].body_text, terms)))
        for i in ids
        if i in articles
    ]


# -- snippets ------------------------------------------------------------------------------------
# Both engines can cut snippets (FTS5 snippet(), ts_headline), but each reads the whole body
# of every hit shown, and on long articles that was half of a query's time. A query word is
# found here by its start instead: the word less its last letters, as the stemmers cut it
# ("infusions" finds "infusion", "neuroplastic" finds "neuroplasticity").

SNIPPET_WORDS = 32
SNIPPET_LEAD = 8  # words shown before the first match


def _word_start(term: str) -> str:
    if len(term) <= 4:
        return term
    return term[: max(4, len(term) - 2)]


def snippet(text: str, terms: list[str]) -> str:
    """About SNIPPET_WORDS words around the first query word in `text`, marked."""
    starts = sorted({_word_start(t) for t in _meaningful(terms)}, key=len, reverse=True)
    if not text or not starts:
        return ""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in starts) + r")\w*", re.IGNORECASE)
    found = pattern.search(text)
    head = text[: found.start()] if found else ""
    head_words = head.split()
    before = head_words[-SNIPPET_LEAD:]
    rest = text[len(head) :].split(maxsplit=SNIPPET_WORDS - len(before))
    words = before + rest[: SNIPPET_WORDS - len(before)]
    passage = pattern.sub(lambda m: f"{MARK_OPEN}{m.group(0)}{MARK_CLOSE}", " ".join(words))
    opening = "…" if len(head_words) > len(before) else ""
    ending = "…" if len(rest) > SNIPPET_WORDS - len(before) else ""
    return f"{opening}{passage}{ending}"


def _filters(now, category, audience) -> tuple[str, list]:
    """The SQL condition on SearchEntry `e` for public articles, and its parameters."""
    where, params = ["e.published_at <= %s"], [now]
    if category:
        where.append("e.category = %s")
        params.append(category)
    if audience:
        where.append("e.audience = %s")
        params.append(audience)
    return " AND ".join(where), params


def _sqlite_search(terms, mode, now, category, audience, offset, limit) -> SearchPage:
    quoted = [f'"{term}"' for term in terms]  # quoted: plain words, never syntax
    match = (" " if mode == "all" else " OR ").join(quoted)
    # Tier one: the articles that match and have a meaningful query word in their head
    # columns. Stop words still have to match ("all" mode), but neither place an article in
    # tier one nor score it, as PostgreSQL's english configuration drops them from its rank
    # query: "and" is in nearly every head and body, and reading where it stands in every
    # matching article was most of a question's time (and its bm25 weight is nil anyway).
    # Found and scored in HEAD_TABLE, which holds the head columns alone: bm25 then reads a
    # few words per article, not each one's whole entry, and only the head's length, not the
    # body's, tempers a match's score (PostgreSQL's ts_rank likewise reads only rank_vector).
    head = " OR ".join(f'"{term}"' for term in _meaningful(terms))
    condition, filter_params = _filters(now, category, audience)
    fts, heads, entry = FTS_TABLE, HEAD_TABLE, SearchEntry._meta.db_table
    matching = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608 - fixed SQL
    in_head = f"SELECT rowid FROM {heads} WHERE {heads} MATCH %s"  # noqa: S608 - fixed SQL
    tier_one = f"FROM {heads} JOIN {entry} e ON e.article_id = {heads}.rowid WHERE {heads} MATCH %s"
    tier_one_params = [head]
    if mode == "all" and len(terms) > 1:
        # `+ 0`: the match is a filter, not a list of rowids for FTS5 to look up one by one.
        tier_one += f" AND ({heads}.rowid + 0) IN ({matching})"
        tier_one_params.append(match)
    # Otherwise every article the head query finds matches the query (any of the words, or
    # the one word), and building the list of all matches to check it against was a third
    # of the time of a common word.
    tier_one += f" AND {condition}"
    tier_one_params += filter_params
    weights = ", ".join(str(w) for w in WEIGHTS[:4])  # the body is not in HEAD_TABLE
    with connection.cursor() as cursor:
        # Counted by walking the matches and looking each one's entry up by its key: cheaper
        # than `article_id IN (matches)`, which first copies every match into a list. The
        # join also leaves out an index row whose article is gone.
        cursor.execute(
            f"SELECT COUNT(*) FROM {fts} JOIN {entry} e "  # noqa: S608 - fixed SQL, bound params
            f"ON e.article_id = {fts}.rowid WHERE {fts} MATCH %s AND {condition}",
            [match, *filter_params],
        )
        total = cursor.fetchone()[0]
        if not total or offset >= total:
            return SearchPage([], total, terms)
        cursor.execute(
            f"SELECT e.article_id {tier_one} "  # noqa: S608 - fixed SQL, bound params
            f"ORDER BY bm25({heads}, {weights}), e.published_at DESC, e.article_id DESC "
            "LIMIT %s OFFSET %s",
            [*tier_one_params, limit, offset],
        )
        ids: list[int] = [row[0] for row in cursor.fetchall()]
        if len(ids) < limit:  # tier two: matches in the body alone, newest first
            # Counted only now: on a page that tier one fills, the count is not needed.
            cursor.execute(f"SELECT COUNT(*) {tier_one}", tier_one_params)  # noqa: S608
            in_tier_one = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT e.article_id FROM {entry} e "  # noqa: S608 - fixed SQL, bound params
                f"WHERE e.article_id IN ({matching}) AND e.article_id NOT IN ({in_head}) "
                f"AND {condition} ORDER BY e.published_at DESC, e.article_id DESC "
                "LIMIT %s OFFSET %s",
                [match, head, *filter_params, limit - len(ids), max(0, offset - in_tier_one)],
            )
            ids += [row[0] for row in cursor.fetchall()]
    return SearchPage(_load(ids, terms), total, terms)


PLAN_THROUGH_INDEXES = (
    "SELECT set_config('enable_seqscan', %s, true), set_config('enable_indexscan', %s, true)"
)


def _postgres_search(terms, mode, now, category, audience, offset, limit) -> SearchPage:
    words = [t for t in terms if t != "or"]  # "or" would be an operator to websearch
    every = " ".join(words) if mode == "all" else " or ".join(words)
    match = (
        "plainto_tsquery('english', %s)" if mode == "all" else "websearch_to_tsquery('english', %s)"
    )
    condition, filter_params = _filters(now, category, audience)
    entry = SearchEntry._meta.db_table
    base = f"FROM {entry} e WHERE e.vector @@ {match} AND {condition}"
    params = [every, *filter_params]
    with connection.cursor() as cursor:  # inside article_search's transaction and settings
        # One pass over the matches both counts them and ranks them.
        cursor.execute(
            "WITH m AS MATERIALIZED (SELECT e.article_id, e.published_at, "  # noqa: S608
            "ts_rank(e.rank_vector, websearch_to_tsquery('english', %s)) AS rank "
            f"{base}) SELECT article_id, (SELECT COUNT(*) FROM m) FROM m "
            "ORDER BY rank DESC, published_at DESC, article_id DESC LIMIT %s OFFSET %s",
            [" or ".join(words), *params, limit, offset],
        )
        rows = cursor.fetchall()
        if not rows:
            if not offset and limit > 0:  # nothing matched: no need to ask again
                return SearchPage([], 0, terms)
            # The page is past the end (or empty): count for the pager.
            cursor.execute(f"SELECT COUNT(*) {base}", params)  # noqa: S608 - fixed SQL
            return SearchPage([], cursor.fetchone()[0], terms)
    ids, total = [row[0] for row in rows], rows[0][1]
    return SearchPage(_load(ids, terms), total, terms)
