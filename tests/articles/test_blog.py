"""The blog's lists, feeds, sitemap and redirects."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, Redirect
from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.sitemaps import sitemap_index_paths, sitemap_sections

from .factories import article_text, write

pytestmark = pytest.mark.django_db


def many(tmp_path, images, count, *, start=0):
    for n in range(start, start + count):
        text = article_text(f"generated-{n:03d}")
        text = text.replace('"2026-02-03"', f'"2026-{1 + n % 10:02d}-{1 + n % 28:02d}"')
        text = text.replace(
            '"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"' if n % 3 == 0 else '"PATIENT_EDUCATION"'
        )
        text = text.replace('tags: ["options", "questions"]', f'tags: ["options", "batch {n % 4}"]')
        if n % 2:
            text = text.replace('audience: "patients"', 'audience: "practitioners"')
        write(tmp_path / f"g{n:03d}.md", text)
    article_import_paths(paths=[tmp_path], images=images)


def listed(client, path):
    """Every article slug a paginated list shows, following its "next" pages."""
    slugs = []
    while path:
        response = client.get(path)
        assert response.status_code == 200, path
        slugs.extend(a.slug for a in response.context["articles"])
        path = response.context["next_url"]
    return slugs


def test_blog_index_pages_have_no_gaps_or_repeats(client, tmp_path, images):
    many(tmp_path, images, 30)
    slugs = listed(client, "/blog")
    assert len(slugs) == len(set(slugs)) == 30
    expected = list(
        Article.objects.order_by("-published_at", "slug").values_list("slug", flat=True)
    )
    assert slugs == expected
    page2 = client.get("/blog/page/2").content.decode()
    assert '<link rel="canonical" href="https://ketamineassociation.test/blog/page/2">' in page2
    assert len(client.get("/blog").context["articles"]) == 12
    assert client.get("/blog/page/1")["Location"] == "/blog"
    assert client.get("/blog", {"page": "3"})["Location"] == "/blog/page/3"
    assert client.get("/blog/page/4").status_code == 404
    assert client.get("/blog/page/0").status_code == 404


def test_a_long_list_links_its_ends_and_neighbours_not_every_page(
    client, tmp_path, images, monkeypatch
):
    from ketamine_association.articles import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)  # 30 articles, 30 pages
    many(tmp_path, images, 30)
    html = client.get("/blog/page/15").content.decode()
    shown = [n for n, _ in client.get("/blog/page/15").context["page_links"]]
    assert shown == [1, None, 13, 14, 15, 16, 17, None, 30]
    assert '<a href="/blog/page/30" aria-label="Page 30">30</a>' in html
    assert '<a href="/blog/page/14" rel="prev">Previous</a>' in html
    assert '<a href="/blog/page/16" rel="next">Next</a>' in html
    assert html.count('aria-hidden="true">…</li>') == 2
    assert "/blog/page/20" not in html


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/blog/category/clinical-research", {"category": "CLINICAL_RESEARCH"}),
        ("/blog/category/patient-education", {"category": "PATIENT_EDUCATION"}),
        ("/blog/audience/patients", {"audience": "patients"}),
        ("/blog/audience/practitioners", {"audience": "practitioners"}),
        ("/blog/tag/batch-1", {"tag_set__slug": "batch-1"}),
        ("/blog/tag/options", {"tag_set__slug": "options"}),
    ],
)
def test_each_list_shows_exactly_its_articles(client, tmp_path, images, path, where):
    many(tmp_path, images, 26)
    expected = set(Article.objects.filter(**where).values_list("slug", flat=True))
    assert expected
    shown = listed(client, path)
    assert len(shown) == len(set(shown))
    assert set(shown) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/blog",
        "/blog/category/clinical-research",
        "/blog/tag/options",
        "/blog/audience/patients",
        "/",
    ],
)
def test_list_pages_keep_a_constant_number_of_queries(client, tmp_path, images, path):
    many(tmp_path / "few", images, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    many(tmp_path / "more", images, 40, start=100)
    with CaptureQueriesContext(connection) as more:
        assert client.get(path).status_code == 200
    assert len(more) == len(few) <= 6


def test_article_page_query_count_is_bounded(
    client, tmp_path, images, django_assert_max_num_queries
):
    many(tmp_path, images, 20)
    with django_assert_max_num_queries(8):
        assert client.get("/blog/generated-003").status_code == 200


def test_unknown_category_identifier_gets_derived_name_and_slug(client, tmp_path, images):
    text = article_text("new-category").replace('"PATIENT_EDUCATION"', '"COMMUNITY_VOICES"')
    article_import_paths(paths=[write(tmp_path / "n.md", text)], images=images)
    response = client.get("/blog/category/community-voices")
    assert response.status_code == 200
    assert b"<h1>Community Voices</h1>" in response.content


def test_feeds_parse_with_absolute_links(client, tmp_path, images):
    many(tmp_path, images, 5)
    for path in ("/blog/feed.xml", "/blog/category/clinical-research/feed.xml"):
        root = ET.fromstring(client.get(path).content)
        items = root.findall("./channel/item")
        assert items
        for item in items:
            assert item.findtext("link").startswith("https://ketamineassociation.test/blog/")
            assert item.findtext("description").startswith("A short, plain guide")
    atom = ET.fromstring(client.get("/blog/atom.xml").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = atom.findall("a:entry", ns)
    assert len(entries) == 5
    assert all(e.find("a:link", ns).get("href").startswith("https://") for e in entries)
    # The category Atom feed: only that category's entries, each linking to its article.
    category_atom = ET.fromstring(client.get("/blog/category/patient-education/atom.xml").content)
    assert category_atom.tag == "{http://www.w3.org/2005/Atom}feed"
    expected = {f"https://ketamineassociation.test/blog/generated-00{n}" for n in (1, 2, 4)}
    category_entries = category_atom.findall("a:entry", ns)
    links = {e.find("a:link", ns).get("href") for e in category_entries}
    assert links == expected
    assert len(category_entries) == len(expected)
    for entry in category_entries:
        assert entry.findtext("a:title", namespaces=ns)
        assert entry.findtext("a:id", namespaces=ns)
    html = client.get("/blog").content.decode()
    assert (
        'rel="alternate" type="application/rss+xml"' in html
        and 'type="application/atom+xml"' in html
    )


def sitemap_urls(client, path="/sitemap.xml"):
    root = ET.fromstring(client.get(path).content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return root, [loc.text for loc in root.findall(".//s:loc", ns)]


def test_sitemap_lists_everything_and_every_url_answers_200(client, tmp_path, images):
    many(tmp_path, images, 5)
    root, urls = sitemap_urls(client)
    assert root.tag.endswith("urlset")
    paths = [urlsplit(u).path for u in urls]
    assert "/blog/generated-001" in paths and "/blog/category/clinical-research" in paths
    assert "/blog/tag/options" in paths and "/blog/audience/patients" in paths and "/" in paths
    for path in paths:
        assert client.get(path).status_code == 200, path
    assert b"<lastmod>" in client.get("/sitemap.xml").content
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://ketamineassociation.test/sitemap.xml" in robots


def test_sitemap_becomes_an_index_above_the_limit(client, tmp_path, images, settings):
    many(tmp_path, images, 12)
    settings.SITEMAP_LIMIT = 5
    root, sections = sitemap_urls(client)
    assert root.tag.endswith("sitemapindex")
    seen = []
    for url in sections:
        parts = urlsplit(url)
        _, urls = sitemap_urls(client, parts.path + (f"?{parts.query}" if parts.query else ""))
        assert 0 < len(urls) <= 5
        seen.extend(urls)
    assert len(seen) == len(set(seen))
    assert sum("/blog/generated-" in u for u in seen) == 12


def test_the_sitemap_index_lists_the_pages_of_each_sections_paginator(tmp_path, images, settings):
    many(tmp_path, images, 12)
    settings.SITEMAP_LIMIT = 5
    sections = {name: cls() for name, cls in sitemap_sections().items()}
    expected = [
        f"/sitemap-{name}.xml" + (f"?p={page}" if page > 1 else "")
        for name, section in sections.items()
        if section.paginator.count
        for page in section.paginator.page_range
    ]
    assert sitemap_index_paths(sections) == expected
    assert "/sitemap-articles.xml?p=3" in expected
    assert "/sitemap-articles.xml?p=4" not in expected
    settings.SITEMAP_LIMIT = 50_000
    assert sitemap_index_paths(sections) is None


def test_renamed_slug_redirects_once(client, tmp_path, images):
    path = write(tmp_path / "r.md", article_text("old-name"))
    article_import_paths(paths=[path], images=images)
    write(path, article_text("old-name").replace('slug: "old-name"', 'slug: "new-name"'))
    report = article_import_paths(paths=[path], images=images)
    assert report.outcomes[0].status == "updated"
    assert Article.objects.count() == 1
    response = client.get("/blog/old-name")
    assert response.status_code == 301 and response["Location"] == "/blog/new-name"
    assert client.get("/blog/new-name").status_code == 200
    assert Redirect.objects.get().source == "rename"


def test_redirect_from_in_frontmatter(client, tmp_path, images):
    text = article_text("kept").replace(
        "tags:", 'redirectFrom: ["/old/page", "/blog/older-kept"]\ntags:'
    )
    article_import_paths(paths=[write(tmp_path / "k.md", text)], images=images)
    for old in ("/old/page", "/blog/older-kept"):
        response = client.get(old)
        assert response.status_code == 301 and response["Location"] == "/blog/kept"


def test_corpus_research_short_link_lists_the_seed(client, corpus_dir, corpus_images, images):
    article_import_paths(
        paths=[corpus_dir], images=ImageStore(source=corpus_images, root=images.root)
    )
    response = client.get("/blog/category/research")
    assert (
        response.status_code == 301 and response["Location"] == "/blog/category/clinical-research"
    )
    assert "science-of-hope-ketamine-brain" in listed(client, "/blog/category/clinical-research")


def test_atom_updated_is_the_articles_updated_at(client, tmp_path, images):
    text = article_text("revised").replace(
        'publishedAt: "2026-02-03"', 'publishedAt: "2026-02-03"\nupdatedAt: "2026-05-20"'
    )
    article_import_paths(paths=[write(tmp_path / "r.md", text)], images=images)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    (entry,) = ET.fromstring(client.get("/blog/atom.xml").content).findall("a:entry", ns)
    assert entry.findtext("a:updated", namespaces=ns).startswith("2026-05-20")
    assert entry.findtext("a:published", namespaces=ns).startswith("2026-02-03")


BYLINES = {"by-ana": "Dr. Ana Ruiz, MD", "by-sam": "Sam O'Neil & Partners", "by-lee": "Lee Park"}


def bylined(tmp_path, images):
    for n, (slug, author) in enumerate(BYLINES.items()):
        text = article_text(slug).replace('author: "Test Editor"', f'author: "{author}"')
        text = text.replace('"2026-02-03"', f'"2026-02-0{n + 1}"')
        if slug == "by-sam":
            text = text.replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"')
        write(tmp_path / f"{slug}.md", text)
    article_import_paths(paths=[tmp_path], images=images)


def byline(client, url):
    """The "By …" of the article's page, as a reader sees it."""
    import html as htmllib
    import re

    page = client.get(urlsplit(url).path).content.decode()
    (name,) = re.findall(r"<span>By (.*?)</span>", page)
    return htmllib.unescape(name)


def test_feeds_name_each_entry_by_its_byline(client, tmp_path, images):
    bylined(tmp_path, images)
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    for path in ("/blog/feed.xml", "/blog/category/clinical-research/feed.xml"):
        items = ET.fromstring(client.get(path).content).findall("./channel/item")
        assert items
        for item in items:
            # RSS 2.0 <author> must be an e-mail address: a name goes in dc:creator.
            assert item.find("author") is None
            assert item.findtext(dc) == byline(client, item.findtext("link"))
        assert {item.findtext(dc) for item in items} <= set(BYLINES.values())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for path in ("/blog/atom.xml", "/blog/category/patient-education/atom.xml"):
        atom = ET.fromstring(client.get(path).content)
        # The feed stays the association's; each entry is its writer's.
        assert atom.findtext("a:author/a:name", namespaces=ns) == "Ketamine Association"
        entries = atom.findall("a:entry", ns)
        assert entries
        for entry in entries:
            name = entry.findtext("a:author/a:name", namespaces=ns)
            assert name == byline(client, entry.find("a:link", ns).get("href"))
    names = {
        e.findtext("a:author/a:name", namespaces=ns)
        for e in ET.fromstring(client.get("/blog/atom.xml").content).findall("a:entry", ns)
    }
    assert names == set(BYLINES.values())


@pytest.mark.parametrize("path", ["/blog/feed.xml", "/blog/category/patient-education/atom.xml"])
def test_feeds_read_the_bylines_in_a_constant_number_of_queries(client, tmp_path, images, path):
    many(tmp_path / "few", images, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    many(tmp_path / "more", images, 20, start=100)
    with CaptureQueriesContext(connection) as more:
        assert client.get(path).status_code == 200
    assert len(more) == len(few)


def sitemap_lastmods(client):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {
        urlsplit(url.findtext("s:loc", namespaces=ns)).path: url.findtext(
            "s:lastmod", namespaces=ns
        )
        for url in root.findall("s:url", ns)
    }


def test_list_pages_in_the_sitemap_carry_their_newest_articles_date(client, tmp_path, images):
    def article(slug, published, category, tags, *, updated=None, audience="patients"):
        text = article_text(slug).replace('"2026-02-03"', f'"{published}"')
        text = text.replace('"PATIENT_EDUCATION"', f'"{category}"')
        text = text.replace('tags: ["options", "questions"]', f"tags: {tags}")
        text = text.replace('audience: "patients"', f'audience: "{audience}"')
        if updated:
            text = text.replace("publishedAt:", f'updatedAt: "{updated}"\npublishedAt:')
        write(tmp_path / f"{slug}.md", text)

    article("old-research", "2026-01-10", "CLINICAL_RESEARCH", '["options"]', updated="2026-03-20")
    article("new-research", "2026-02-14", "CLINICAL_RESEARCH", '["dosing"]')
    article("guide", "2026-03-01", "PATIENT_EDUCATION", '["dosing"]', audience="practitioners")
    # Not yet published: listed nowhere, so it dates no list page.
    article("later", "2099-01-01", "PATIENT_EDUCATION", '["options", "dosing"]')
    article_import_paths(paths=[tmp_path], images=images)

    lastmods = sitemap_lastmods(client)
    # An update counts as a change of the list that shows the article.
    assert lastmods["/"] == lastmods["/blog"] == "2026-03-20"
    assert lastmods["/blog/category/clinical-research"] == "2026-03-20"
    assert lastmods["/blog/category/patient-education"] == "2026-03-01"
    assert lastmods["/blog/tag/options"] == "2026-03-20"
    assert lastmods["/blog/tag/dosing"] == "2026-03-01"
    assert lastmods["/blog/audience/patients"] == "2026-03-20"
    assert lastmods["/blog/audience/practitioners"] == "2026-03-01"


def test_list_lastmods_cost_one_query_per_section(client, tmp_path, images):
    many(tmp_path / "few", images, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/sitemap.xml").status_code == 200
    many(tmp_path / "more", images, 30, start=100)
    with CaptureQueriesContext(connection) as more:
        assert client.get("/sitemap.xml").status_code == 200
    assert len(more) == len(few)


@pytest.mark.parametrize("path", ["/blog/feed.xml", "/blog/atom.xml"])
def test_feedparser_reads_the_corpus_feeds_cleanly_with_each_byline(
    client, corpus_dir, corpus_images, images, path
):
    """feedparser, a real feed client: no well-formedness problem (bozo false), and each
    entry's author is the byline its page shows."""
    import feedparser

    article_import_paths(
        paths=[corpus_dir], images=ImageStore(source=corpus_images, root=images.root)
    )
    feed = feedparser.parse(client.get(path).content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) >= 10
    for entry in feed.entries:
        assert entry.author == byline(client, entry.link), entry.link
