"""A reader's path in a real browser: home, search, a result, its category, the feed."""

import xml.etree.ElementTree as ET

import pytest

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.services import article_import_paths

pytestmark = [pytest.mark.browser, pytest.mark.corpus]


def test_home_search_result_category_feed(page, site, corpus_dir, corpus_images, images):
    article_import_paths(
        paths=[corpus_dir], images=ImageStore(source=corpus_images, root=images.root)
    )
    page.goto(f"{site}/")
    page.get_by_label("Search articles").fill("neuroplastic brain")
    page.get_by_label("Search articles").press("Enter")
    page.wait_for_url("**/search?q=neuroplastic+brain")
    assert "found for" in page.get_by_role("status").inner_text()
    first = page.locator(".result h2 a").first
    assert page.locator(".result mark").count() > 0
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/blog/**")
    assert page.locator("h1").inner_text() == title
    page.locator(".article-header a.badge").click()
    page.wait_for_url("**/blog/category/**")
    assert page.locator("h1").count() == 1
    feed = page.locator('link[rel="alternate"][type="application/rss+xml"]').last.get_attribute(
        "href"
    )
    assert feed.endswith("/feed.xml")
    response = page.request.get(f"{site}{feed}")
    assert response.ok
    root = ET.fromstring(response.body())
    assert root.findall("./channel/item")
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll
