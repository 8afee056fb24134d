"""The article page /blog/<slug>, served from the corpus: head, JSON-LD, body, cache."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, ArticleFinding
from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.content import content_version_bump

from .factories import article_text, write

pytestmark = pytest.mark.django_db
SEED = "/blog/science-of-hope-ketamine-brain"


class Page(HTMLParser):
    """Collects what the tests look at: ids, links, meta, JSON-LD, h1s, elements by class."""

    def __init__(self, html: str):
        super().__init__()
        self.ids, self.links, self.meta, self.jsonld, self.classes = set(), [], {}, [], []
        self.h1 = 0
        self.canonical = None
        self._script = None
        self.imgs = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if a.get("class"):
            self.classes.append(a["class"])
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "h1":
            self.h1 += 1
        if tag == "img":
            self.imgs.append(a)
        if tag == "meta":
            self.meta[a.get("property") or a.get("name")] = a.get("content")
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        if tag == "script" and a.get("type") == "application/ld+json":
            self._script = []

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.jsonld.append(json.loads("".join(self._script)))
            self._script = None


@pytest.fixture
def corpus(corpus_dir, corpus_images, images):
    store = ImageStore(source=corpus_images, root=images.root)
    report = article_import_paths(paths=[corpus_dir], images=store)
    assert not report.failed
    return report


@pytest.fixture
def seed_page(corpus, client):
    response = client.get(SEED)
    assert response.status_code == 200
    return Page(response.content.decode())


def by_type(page, kind):
    return [block for block in page.jsonld if block["@type"] == kind]


def test_seed_toc_links_resolve_to_heading_ids(seed_page):
    toc = [href for href in seed_page.links if href.startswith("#") and href != "#main"]
    assert len(toc) == 8
    assert all(href[1:] in seed_page.ids for href in toc)


def test_seed_has_exactly_one_h1(seed_page):
    assert seed_page.h1 == 1


def test_seed_faq_jsonld_has_four_questions(seed_page):
    (faq,) = by_type(seed_page, "FAQPage")
    assert len(faq["mainEntity"]) == 4
    assert faq["mainEntity"][0]["name"].startswith("How does ketamine work differently")
    assert faq["mainEntity"][0]["acceptedAnswer"]["text"]


def test_seed_article_jsonld_uses_computed_word_count(seed_page):
    (article,) = by_type(seed_page, "Article")
    assert 1900 <= article["wordCount"] <= 2300  # the file states 2,800
    assert article["datePublished"] == "2026-01-08T00:00:00+00:00"
    assert article["author"]["name"] == "Ketamine Association Editorial Team"
    assert article["publisher"]["name"] == "Ketamine Association"
    assert article["image"].startswith("https://")
    assert article["audience"]["audienceType"] == "Patient"
    (crumbs,) = by_type(seed_page, "BreadcrumbList")
    names = [item["name"] for item in crumbs["itemListElement"]]
    assert names[:3] == ["Home", "Blog", "Clinical Research"]


def test_seed_head_tags(seed_page):
    meta = seed_page.meta
    # Its canonicalUrl is on ketamineassociation.org, not SITE_URL's host: ignored (seo.py).
    assert (
        seed_page.canonical
        == "https://ketamineassociation.test/blog/science-of-hope-ketamine-brain"
    )
    assert meta["description"].startswith("Learn the neuroscience")
    assert meta["og:type"] == "article"
    assert meta["og:title"].startswith("The Science of Hope")
    assert meta["og:image"].startswith("https://ketamineassociation.test/")
    assert meta["article:published_time"].startswith("2026-01-08")
    assert meta["twitter:card"] == "summary_large_image"
    assert "ketamine BDNF" in meta["keywords"]


def test_seed_cta_box_related_and_placeholder(seed_page, corpus):
    assert "cta-box" in seed_page.classes
    related = {
        "/blog/ketamine-vs-antidepressants-decade-research",
        "/blog/72-hour-breakthrough-rapid-effect",
        "/blog/treatment-resistant-depression-protocols",
        "/blog/integration-therapy-maximizing-benefits",
    }
    assert related <= set(seed_page.links)
    featured = seed_page.imgs[0]
    assert featured["src"].endswith("article-placeholder.svg")  # the .jpg does not exist
    seed = next(o for o in corpus.outcomes if o.key == "science-of-hope-ketamine-brain")
    missing = [f for f in seed.findings if f.code == "image-missing"]
    assert any("science-of-hope-ketamine-brain.jpg" in f.message for f in missing)
    assert ArticleFinding.objects.filter(
        article__slug="science-of-hope-ketamine-brain", code="image-missing"
    ).exists()


def test_seed_page_shows_computed_reading_time_and_byline(corpus, client):
    html = client.get(SEED).content.decode()
    assert "9 min read" in html and "12 min read" not in html
    assert "By Ketamine Association Editorial Team" in html
    assert 'href="/blog/category/clinical-research"' in html


def test_patient_page_has_disclaimer_and_988(seed_page, corpus, client):
    html = client.get(SEED).content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in html
    assert "not medical advice" in html
    for link in ("/blog", "/find-provider", "/newsletter"):
        assert link in seed_page.links


def test_existing_image_is_served_with_safe_headers(corpus, client):
    response = client.get("/images/articles/72-hour-breakthrough-rapid-effect.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get("/images/articles/../../etc/passwd").status_code == 404
    assert client.get("/images/articles/nope.svg").status_code == 404


def test_unknown_slug_gets_helpful_404(corpus, client):
    response = client.get("/blog/no-such-article")
    assert response.status_code == 404
    html = response.content.decode()
    assert "could not find" in html
    # helpful: it links to the newest published articles, not just to /blog
    newest = (
        Article.objects.filter(published_at__lte=timezone.now())
        .order_by("-published_at", "slug")
        .values_list("slug", flat=True)[:5]
    )
    assert len(newest) == 5
    assert "Latest articles" in html
    for slug in newest:
        assert f'href="/blog/{slug}"' in html, slug


def test_future_article_is_not_public_until_its_date(tmp_path, images, client, admin_client):
    future = (timezone.now() + timezone.timedelta(days=30)).date().isoformat()
    text = article_text("coming-soon").replace('"2026-02-03"', f'"{future}"')
    article_import_paths(paths=[write(tmp_path / "f.md", text)], images=images)
    assert client.get("/blog/coming-soon").status_code == 404
    preview = admin_client.get("/blog/coming-soon")
    assert preview.status_code == 200 and b"Preview" in preview.content


def test_trailing_slash_and_exact_path(corpus, client):
    assert client.get(SEED).status_code == 200
    assert client.get(SEED + "/").status_code in (301, 404)


def test_page_answers_304_to_its_etag_and_changes_on_reimport(tmp_path, images, client):
    """The page is cached whole by the WSGI page cache (tests/core/test_pagecache.py); here,
    the validators Django gives it."""
    path = write(tmp_path / "c.md", article_text("cached"))
    article_import_paths(paths=[path], images=images)
    first = client.get("/blog/cached")
    assert first.status_code == 200
    assert first["X-Page-Cacheable"] == "1"
    second = client.get("/blog/cached")
    assert second.content == first.content and second["ETag"] == first["ETag"]
    etag = first["ETag"]
    assert first["Last-Modified"]
    not_modified = client.get("/blog/cached", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    write(path, article_text("cached").replace("Bring the list", "Carry the list"))
    article_import_paths(paths=[path], images=images)
    third = client.get("/blog/cached", HTTP_IF_NONE_MATCH=etag)
    assert third.status_code == 200
    assert b"Carry the list" in third.content


def test_frontmatter_cannot_break_out_of_jsonld(tmp_path, images, client):
    title = "Evil </script><script>window.__xss=1</script> title"
    text = article_text("jsonld-safe").replace('"Understanding Your Options"', json.dumps(title), 1)
    article_import_paths(paths=[write(tmp_path / "j.md", text)], images=images)
    html = client.get("/blog/jsonld-safe").content.decode()
    assert "<script>window.__xss" not in html
    page = Page(html)
    (article,) = by_type(page, "MedicalWebPage")
    assert article["headline"] == title
    assert len(re.findall(r"<script", html)) == len(page.jsonld)


def test_no_request_answers_500_for_odd_slugs(corpus):
    client = Client(raise_request_exception=False)
    for path in [
        "/blog/%00",
        "/blog/" + "a" * 5000,
        "/blog/<script>",
        "/blog/..%2f..%2fetc",
        "/blog/ü",
    ]:
        assert client.get(path).status_code in (404, 301), path


def test_head_fallbacks_are_the_ones_the_import_stored(tmp_path, images, client):
    """One home for the SEO fallbacks: the import resolves them (services.seo_fields) and the
    page reads what it stored. With metaDescription and no ogDescription, og:description is the
    metaDescription the import chose, not the excerpt."""
    described = "A description written for search results, long enough to be shown whole by a search engine, and different from the excerpt."
    text = article_text("fallbacks").replace(
        'audience: "patients"', f'audience: "patients"\nmetaDescription: "{described}"'
    )
    article_import_paths(paths=[write(tmp_path / "s.md", text)], images=images)
    page = Page(client.get("/blog/fallbacks").content.decode())
    assert page.meta["description"] == described
    assert page.meta["og:description"] == described
    # What the page shows is what is stored, not a second derivation at render time.
    Article.objects.filter(slug="fallbacks").update(
        seo={**Article.objects.get(slug="fallbacks").seo, "og_title": "Stored Open Graph title"}
    )
    content_version_bump()
    page = Page(client.get("/blog/fallbacks").content.decode())
    assert page.meta["og:title"] == "Stored Open Graph title"
