"""Search on both databases: ranking, stemming, snippets, filters, and hostile queries."""

import pytest
from django.utils import timezone

from ketamine_association.articles.search import article_search
from ketamine_association.articles.services import article_import_paths

from .factories import article_text, write

pytestmark = pytest.mark.django_db


def make(
    slug, title, body, *, category="PATIENT_EDUCATION", audience="patients", date="2026-02-03"
):
    text = article_text(slug)
    text = text.replace('"Understanding Your Options"', f'"{title}"', 1)
    text = text.replace('"PATIENT_EDUCATION"', f'"{category}"').replace('"2026-02-03"', f'"{date}"')
    text = text.replace('audience: "patients"', f'audience: "{audience}"')
    head, _ = text.split("\n# ", 1)
    return f"{head}\n# {title}\n\n{body}\n"


@pytest.fixture
def library(tmp_path, images):
    write(
        tmp_path / "a.md",
        make(
            "body-mention",
            "Sleep After Treatment",
            "Some people notice changes in neuroplasticity research news while resting.",
        ),
    )
    write(
        tmp_path / "b.md",
        make(
            "title-mention",
            "Neuroplasticity Explained",
            "How the brain adapts, in plain words.",
            category="CLINICAL_RESEARCH",
            audience="practitioners",
        ),
    )
    write(
        tmp_path / "c.md",
        make(
            "infusion-day",
            "Your Infusion Day",
            "What an infusion can feel like: many describe a floating, dreamy calm.",
        ),
    )
    write(
        tmp_path / "d.md",
        make("future-piece", "Neuroplasticity Tomorrow", "Scheduled.", date="2099-01-01"),
    )
    report = article_import_paths(paths=[tmp_path], images=images)
    assert not report.failed


def slugs(page):
    return [hit.article.slug for hit in page.hits]


def test_title_match_ranks_above_body_match(library):
    page = article_search(query="neuroplasticity", now=timezone.now())
    assert slugs(page) == ["title-mention", "body-mention"]  # the scheduled one is not public


def test_stemming(library):
    assert set(slugs(article_search(query="neuroplastic", now=timezone.now()))) == {
        "title-mention",
        "body-mention",
    }
    assert "infusion-day" in slugs(article_search(query="infusions", now=timezone.now()))


def test_natural_question_finds_the_article(library):
    page = article_search(query="what does an infusion feel like", now=timezone.now())
    assert slugs(page)[0] == "infusion-day"


def test_snippet_highlights_and_escapes(library, tmp_path, images):
    (hit,) = article_search(query="dreamy", now=timezone.now()).hits
    assert "<mark>dreamy</mark>" in hit.snippet
    # Markup shown as code in an article is plain text in body_text: the snippet must escape it,
    # and only the highlight itself may become a tag.
    body = "A tranquil note from R&D: `<script>alert(1)</script>` and `<b>bold</b>` stay text."
    write(tmp_path / "more" / "e.md", make("code-sample", "Code Samples", body))
    assert not article_import_paths(paths=[tmp_path / "more"], images=images).failed
    (hit,) = article_search(query="tranquil", now=timezone.now()).hits
    assert "<mark>tranquil</mark>" in hit.snippet
    assert "R&amp;D" in hit.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "&lt;b&gt;bold&lt;/b&gt;" in hit.snippet
    assert "<script" not in hit.snippet and "<b>" not in hit.snippet


def test_filters(library):
    now = timezone.now()
    assert slugs(
        article_search(query="neuroplasticity", now=now, category="CLINICAL_RESEARCH")
    ) == ["title-mention"]
    assert slugs(article_search(query="neuroplasticity", now=now, audience="patients")) == [
        "body-mention"
    ]


def test_pagination_of_results(library):
    now = timezone.now()
    first = article_search(query="neuroplasticity", now=now, limit=1)
    second = article_search(query="neuroplasticity", now=now, limit=1, offset=1)
    assert first.total == second.total == 2
    assert slugs(first) + slugs(second) == ["title-mention", "body-mention"]


HOSTILE = [
    '"',
    '""',
    "*",
    "neuro*",
    "NEAR",
    "NEAR(a b)",
    "-",
    "- neuroplasticity",
    "OR",
    "a OR",
    "(",
    ")",
    "((neuro",
    "title:neuro",
    "^",
    "'; DROP TABLE articles_article; --",
    "\x00",
    "AND NOT",
    "{}",
    "a" * 10_000,
    "neuroplasticity " * 500,
]


@pytest.mark.parametrize("query", HOSTILE, ids=[f"q{i}" for i in range(len(HOSTILE))])
def test_hostile_queries_answer_200(client, library, query):
    response = client.get("/search", {"q": query})
    assert response.status_code == 200
    assert b"Search articles" in response.content


def test_empty_query_page(client, library):
    response = client.get("/search", {"q": ""})
    assert response.status_code == 200
    assert b"Type a few words" in response.content


def test_search_page_shows_results_and_filters(client, library):
    html = client.get(
        "/search",
        {"q": "neuroplasticity", "audience": "practitioners", "category": "bogus", "page": "x"},
    ).content.decode()
    assert "1 article found" in html
    assert "/blog/title-mention" in html and "/blog/body-mention" not in html


def test_no_result_page_offers_a_way_on(client, library):
    html = client.get("/search", {"q": "zzzzqqq"}).content.decode()
    assert "No articles match" in html and "Browse by category" in html


def test_snippet_starts_near_the_first_match_and_marks_word_forms():
    from ketamine_association.articles.search import MARK_CLOSE, MARK_OPEN, snippet

    text = " ".join(f"filler{i}" for i in range(100)) + " Infusions help; an infusion <b> ends."
    text += " " + " ".join(f"tail{i}" for i in range(100))
    cut = snippet(text, ["what", "infusion"])
    assert cut.startswith("…filler92 ")  # eight words of lead-in, and a mark that text was cut
    assert cut.endswith("…")
    assert f"{MARK_OPEN}Infusions{MARK_CLOSE} help; an {MARK_OPEN}infusion{MARK_CLOSE}" in cut
    assert len(cut.strip("…").split()) == 32
    assert snippet("No match here at all.", ["zebra"]) == "No match here at all."
    assert snippet("", ["zebra"]) == ""


def test_body_only_matches_come_after_head_matches_newest_first(tmp_path, images):
    for name, title, date in [
        ("old", "Evening Walks", "2025-01-01"),
        ("new", "Morning Light", "2026-01-01"),
        ("mid", "Quiet Rooms", "2025-06-01"),
        ("head", "Gentle Lanterns", "2024-01-01"),
    ]:
        write(tmp_path / f"{name}.md", make(name, title, "A lantern glowed.", date=date))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    now = timezone.now()
    whole = article_search(query="lanterns", now=now)
    assert slugs(whole) == ["head", "new", "mid", "old"]
    pages = [article_search(query="lanterns", now=now, limit=1, offset=i) for i in range(5)]
    assert [slugs(p) for p in pages] == [["head"], ["new"], ["mid"], ["old"], []]
    assert {p.total for p in pages} == {4}


def test_a_deleted_article_is_no_longer_found(library):
    from ketamine_association.articles.models import Article

    Article.objects.get(slug="title-mention").delete()
    page = article_search(query="neuroplasticity", now=timezone.now())
    assert slugs(page) == ["body-mention"]
    assert page.total == 1


def test_postgres_planner_settings_do_not_outlive_the_search(library):
    """The search turns sequential scans off for itself; a caller's transaction gets them back."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner settings; SQLite has none to restore")
    with transaction.atomic(), connection.cursor() as cursor:
        assert article_search(query="neuroplasticity", now=timezone.now()).total == 2
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone()[0] == "on"


def test_search_results_link_each_category_to_its_page(client, library):
    response = client.get("/search", {"q": "neuroplasticity"})
    html = response.content.decode()
    assert 'href="/blog/category/clinical-research" class="badge"' in html
    assert "/blog/category/clinicalresearch" not in html
    assert client.get("/blog/category/clinical-research").status_code == 200


def test_search_is_noindex_but_crawlable_and_described(client, library):
    import re
    from urllib.robotparser import RobotFileParser

    html = client.get("/search", {"q": "neuroplasticity"}).content.decode()
    assert '<meta name="robots" content="noindex">' in html
    (description,) = re.findall(r'<meta name="description" content="([^"]*)">', html)
    assert description.startswith("Search the Ketamine Association")
    # A crawler sees a noindex only on a page robots.txt lets it fetch.
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").content.decode().splitlines())
    assert robots.can_fetch("*", "https://ketamineassociation.test/search?q=neuroplasticity")
    assert not robots.can_fetch("*", "https://ketamineassociation.test/admin/")
