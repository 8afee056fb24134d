"""What search engines read on article and site pages: every JSON-LD block passes its type's
schema (tests/seo_schemas.py), and the page keeps one host (canonical, og:url, JSON-LD,
breadcrumbs); a canonicalUrl on another host is a warning and ignored, one on our host is
honoured."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketamine_association.articles import views
from ketamine_association.articles.choices import EDITORIAL_PAGE_PATH, FindingCode, Severity
from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, Page, Reviewer
from ketamine_association.articles.quality import content_check
from ketamine_association.articles.seo import canonical_is_self
from ketamine_association.articles.services import article_import_paths
from ketamine_association.articles.sitemaps import ArticleSitemap
from ketamine_association.core.seo import absolute
from tests.seo_schemas import problems, types_of, urls_of

from .factories import article_text, write
from .test_article_page import Page as Html

pytestmark = pytest.mark.django_db
DEMO_PAGES = Path(__file__).resolve().parents[2] / "demo" / "pages"
HOST = urlsplit(settings.SITE_URL).netloc
TIME_RE = re.compile(r'Published <time datetime="([^"]+)"')


def served(client, path: str) -> tuple[Html, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    return Html(html), html


def main_node(page: Html) -> dict:
    (node,) = [block for block in page.jsonld if "headline" in block]
    return node


def assert_structured(page: Html, path: str) -> None:
    """Every block passes its schema, and every URL the head and the JSON-LD state (canonical,
    og:url, url, @id, breadcrumbs, image) is on SITE_URL's host."""
    assert page.jsonld, path
    for block in page.jsonld:
        assert problems(block) == [], (path, block.get("@type"))
    stated = [page.canonical, page.meta["og:url"]]
    stated += [url for block in page.jsonld for url in urls_of(block)]
    assert {urlsplit(url).netloc for url in stated} == {HOST}, (path, stated)


@pytest.fixture
def site(corpus_dir, corpus_images, images):
    """The corpus, the association's pages (the editorial policy the authors link to) and
    the demo reviewer, as `make demo` imports them."""
    call_command("demo_reviewer", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for path in (DEMO_PAGES, corpus_dir):
        store = ImageStore(source=corpus_images, root=images.root)
        report = article_import_paths(paths=[path], images=store)
        assert not report.failed, report.failed
    return Article.objects.all()


def test_every_corpus_article_passes_its_schemas_on_one_host(site, client):
    assert site.count() == 30
    for article in site:
        path = article.get_absolute_url()
        page, html = served(client, path)
        assert_structured(page, path)
        node = main_node(page)
        assert page.canonical == page.meta["og:url"] == node["url"] == node["mainEntityOfPage"]
        # The timestamps name the day the page shows.
        published = dt.datetime.fromisoformat(node["datePublished"])
        assert published.date().isoformat() == TIME_RE.search(html).group(1), path
        assert page.meta["article:published_time"].startswith(published.date().isoformat())
        # The author's url is a page that answers.
        assert client.get(urlsplit(node["author"]["url"]).path).status_code == 200, path
        crumbs = next(b for b in page.jsonld if b["@type"] == "BreadcrumbList")
        assert crumbs["itemListElement"][-1]["item"] == page.canonical


def test_the_corpus_foreign_canonicals_are_warned_and_ignored(site, client):
    """Five corpus files state canonicalUrl on ketamineassociation.org, not SITE_URL's host."""
    foreign = Article.objects.filter(seo__canonical__startswith="https://ketamineassociation.org")
    assert foreign.count() == 5
    for article in foreign:
        (finding,) = article.findings.filter(code=FindingCode.CANONICAL_FOREIGN_HOST)
        assert finding.severity == Severity.WARNING and finding.line
        page, _ = served(client, article.get_absolute_url())
        assert page.canonical == absolute(article.get_absolute_url())
        assert canonical_is_self(article)


def test_site_pages_and_the_reviewer_page_pass_their_schemas(site, client):
    paths = list(Page.objects.values_list("path", flat=True))
    paths += [reviewer.get_absolute_url() for reviewer in Reviewer.objects.all()]
    assert len(paths) >= 10
    for path in paths:
        page, _ = served(client, path)
        assert_structured(page, path)


def test_reference_article(seed_path, corpus_images, images, client):
    store = ImageStore(source=corpus_images, root=images.root)
    assert not article_import_paths(paths=[seed_path], images=store).failed
    (article,) = Article.objects.all()
    page, _ = served(client, article.get_absolute_url())
    assert_structured(page, article.get_absolute_url())
    node = main_node(page)
    assert node["author"] == {
        "@type": "Organization",
        "name": "Ketamine Association Editorial Team",
        "url": absolute(EDITORIAL_PAGE_PATH),
    }
    assert node["datePublished"] == "2026-01-08T00:00:00+00:00"


# canonicalUrl: another host, our host.


def imported(tmp_path, images, text: str, name: str = "a.md") -> Article:
    report = article_import_paths(paths=[write(tmp_path / name, text)], images=images)
    assert not report.failed, report.failed
    return Article.objects.get(slug=report.outcomes[0].key)


def with_canonical(url: str, slug: str = "understanding-options") -> str:
    return article_text(slug, **{"audience:": f'canonicalUrl: "{url}"\naudience:'})


def test_a_foreign_canonical_is_a_warning_and_our_host_is_kept(tmp_path, images, client):
    text = with_canonical("https://elsewhere.example/blog/understanding-options")
    article = imported(tmp_path, images, text)
    (finding,) = article.findings.filter(code="canonical-foreign-host")
    assert finding.severity == "warning"
    assert (
        finding.line
        == text.splitlines().index(
            'canonicalUrl: "https://elsewhere.example/blog/understanding-options"'
        )
        + 1
    )
    assert "elsewhere.example" in finding.message and HOST in finding.message
    # The gate reports the same without importing.
    report = content_check(paths=[tmp_path / "a.md"], images=images)
    (checked,) = [f for f in report.findings if f.code == "canonical-foreign-host"]
    assert checked.line == finding.line and checked.message == finding.message
    own = absolute("/blog/understanding-options")
    page, _ = served(client, "/blog/understanding-options")
    assert_structured(page, own)
    assert page.canonical == page.meta["og:url"] == main_node(page)["url"] == own
    assert canonical_is_self(article)


@pytest.mark.parametrize(
    "stated",
    [
        f"{settings.SITE_URL}/blog/the-main-one",
        # Our host in another case and scheme: honoured, on SITE_URL's origin.
        f"http://{HOST.upper()}/blog/the-main-one",
    ],
)
def test_a_canonical_on_our_host_is_honoured_everywhere(stated, tmp_path, images, client):
    article = imported(tmp_path, images, with_canonical(stated))
    assert not article.findings.filter(code="canonical-foreign-host").exists()
    target = absolute("/blog/the-main-one")
    page, _ = served(client, "/blog/understanding-options")
    assert_structured(page, target)
    node = main_node(page)
    assert page.canonical == page.meta["og:url"] == node["url"] == node["mainEntityOfPage"]
    assert page.canonical == target
    assert not canonical_is_self(article)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/blog/understanding-options</loc>" not in sitemap  # not a canonical URL


def test_a_canonical_naming_its_own_path_is_self(tmp_path, images):
    article = imported(tmp_path, images, with_canonical(absolute("/blog/understanding-options")))
    assert canonical_is_self(article)
    assert not article.findings.filter(code="canonical-foreign-host").exists()


# The author.


@pytest.mark.parametrize(
    ("author", "kind", "url"),
    [
        ("Test Editor", "Person", EDITORIAL_PAGE_PATH),
        ("Ketamine Association Editorial Team", "Organization", EDITORIAL_PAGE_PATH),
        ("Jane Doe", "Person", "/reviewers/jane-doe"),
    ],
)
def test_the_author_is_a_person_or_the_association_with_a_url(
    author, kind, url, tmp_path, images, client
):
    Reviewer.objects.create(name="Jane Doe", credentials="MD", slug="jane-doe")
    imported(tmp_path, images, article_text(**{'"Test Editor"': f'"{author}"'}))
    page, _ = served(client, "/blog/understanding-options")
    author_node = main_node(page)["author"]
    assert types_of(author_node) == {kind}
    assert author_node == {"@type": kind, "name": author, "url": absolute(url)}
    assert problems(main_node(page)) == []


def test_article_page_takes_the_author_profile_its_caller_looked_up(tmp_path, images, rf):
    """None from a caller that looked (the export) means no profile: article_jsonld does not
    look again; left out (the app's own requests), the profile is looked up."""
    jane = Reviewer.objects.create(name="Jane Doe", credentials="MD", slug="jane-doe")
    article = imported(tmp_path, images, article_text(**{'"Test Editor"': '"Jane Doe"'}))
    request = rf.get(article.get_absolute_url())
    request.user = AnonymousUser()

    def author_url(known: views.ArticleSurroundings | None) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            html = views.article_page(request, article, now=timezone.now(), known=known)
        reviewer_reads = [q["sql"] for q in queries if "name_key" in q["sql"]]
        return main_node(Html(html))["author"]["url"], reviewer_reads

    around = {"previous": None, "next": None, "related": [], "reviewer": None, "tags": []}
    found_none = views.ArticleSurroundings(**around, author_profile=None)
    found_jane = views.ArticleSurroundings(**around, author_profile=jane)
    assert author_url(found_none) == (absolute(EDITORIAL_PAGE_PATH), [])
    assert author_url(found_jane) == (absolute("/reviewers/jane-doe"), [])
    # Surroundings without author_profile, and the app's own request: looked up.
    url, reads = author_url(views.ArticleSurroundings(**around))
    assert url == absolute("/reviewers/jane-doe") and len(reads) == 1
    url, reads = author_url(None)
    assert url == absolute("/reviewers/jane-doe") and reads


def test_the_article_sitemap_counts_what_it_lists_and_addresses_them_as_reverse(tmp_path, images):
    imported(tmp_path, images, article_text("plain-one"), "p.md")
    foreign = with_canonical("https://elsewhere.example/blog/x", "foreign-one")
    imported(tmp_path, images, foreign, "f.md")
    imported(tmp_path, images, with_canonical(absolute("/blog/own-one"), "own-one"), "o.md")
    other = with_canonical(absolute("/blog/plain-one"), "pointing-one")
    imported(tmp_path, images, other, "t.md")
    queried = with_canonical(absolute("/blog/queried-one?x=1"), "queried-one")
    imported(tmp_path, images, queried, "q.md")
    imported(tmp_path, images, article_text("lapsed-one"), "l.md")
    Article.objects.filter(slug="lapsed-one").update(review_due=dt.date(2020, 1, 1))
    section = ArticleSitemap()
    items = section.items()
    assert [article.slug for article in items] == ["foreign-one", "own-one", "plain-one"]
    assert section.item_count() == len(items) == section.paginator.count == 3
    assert [section.location(a) for a in items] == [a.get_absolute_url() for a in items]
