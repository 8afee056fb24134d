"""Every page: the site header, the footer's disclaimer and 988, and the home page's doors."""

import pytest

from ketamine_association.articles.services import article_import_paths
from tests.articles.factories import article_text, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(tmp_path, images):
    for n in range(3):
        write(
            tmp_path / f"a{n}.md",
            article_text(f"home-article-{n}").replace("2026-02-03", f"2026-02-0{n + 1}"),
        )
    article_import_paths(paths=[tmp_path], images=images)


def assert_site_chrome(html: str):
    for href in ('href="/blog"', 'href="/find-provider"', 'href="/newsletter"'):
        assert href in html
    assert "988 Suicide &amp; Crisis Lifeline" in html
    assert "not medical advice" in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/blog", 200), ("/find-provider", 200), ("/newsletter", 200), ("/nope", 404)],
)
def test_every_page_has_header_and_footer(client, articles, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_site_chrome(response.content.decode())


def test_home_shows_what_we_are_latest_articles_and_three_doors(client, articles):
    html = client.get("/").content.decode()
    assert "professional association" in html
    assert html.index("/blog/home-article-2") < html.index("/blog/home-article-0")  # newest first
    for door in ("Learn", "Find a provider", "Stay informed"):
        assert door in html


def test_home_without_articles_still_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"No articles are published yet" in response.content


def test_category_page_and_its_short_link(client, articles):
    response = client.get("/blog/category/patient-education")
    assert response.status_code == 200
    assert b"/blog/home-article-1" in response.content
    short = client.get("/blog/category/education")
    assert short.status_code == 301
    assert short["Location"] == "/blog/category/patient-education"
    assert client.get("/blog/category/unknown-thing").status_code == 404


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_post_to_an_article_is_refused_politely(client, articles):
    assert client.post("/blog/home-article-0").status_code in (403, 405)


def test_security_headers(client, articles):
    response = client.get("/blog/home-article-0")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
