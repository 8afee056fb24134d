"""The reference article and the listing pages in chromium at a phone's width (360 px).

The real corpus is imported (the seed first, then the other articles, with their images),
then each page is checked for horizontal scroll and by axe-core for serious or critical
accessibility violations; the article page also for its structure and its table of contents.
"""

from __future__ import annotations

import pytest

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths

from .accessibility import (
    OVERFLOW_JS,
    assert_no_horizontal_scroll,
    assert_no_serious_axe_violations,
)

pytestmark = [pytest.mark.browser, pytest.mark.corpus]

SEED_SLUG = "science-of-hope-ketamine-brain"
SEED_HEADLINE = "The Science of Hope: How Ketamine Rewires the Depressed Brain"
PLACEHOLDER = "/static/img/article-placeholder.svg"
# Wide tables scroll inside a focusable region; code blocks wrap (was a serious axe finding).
SCROLL_BOX_SLUG = "clinical-documentation-standards"  # has both wide tables and <pre> blocks


@pytest.fixture
def corpus_site(site, seed_path, corpus_dir, corpus_images, images) -> str:
    """The live site with the seed article and the whole corpus imported."""
    store = ImageStore(source=corpus_images, root=images.root)
    seed = article_import_paths(paths=[seed_path], images=store)
    assert seed.count("imported") == 1, [e.message for o in seed.failed for e in o.errors]
    corpus = article_import_paths(paths=[corpus_dir], images=store)
    assert not corpus.failed, [(o.source, [e.message for e in o.errors]) for o in corpus.failed]
    return site


def open_page(page, url: str):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    assert page.viewport_size == {"width": 360, "height": 740}
    return response


def test_seed_article_fits_a_phone_and_passes_axe(corpus_site, page):
    open_page(page, f"{corpus_site}/blog/{SEED_SLUG}")
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)


def test_seed_article_structure(corpus_site, page):
    open_page(page, f"{corpus_site}/blog/{SEED_SLUG}")

    headings = page.locator("h1")
    assert headings.count() == 1
    assert headings.inner_text().strip() == SEED_HEADLINE

    cta = page.locator(".cta-box")
    assert cta.count() == 1
    assert cta.is_visible()
    assert cta.locator("h3", has_text="Find a Ketamine Provider").count() == 1
    assert cta.locator('a[href="/find-provider"]').count() == 1

    # The seed's featuredImage (.jpg) does not exist: the placeholder shows, and it loads.
    image = page.locator(".featured img")
    assert image.get_attribute("src") == PLACEHOLDER
    page.wait_for_function("document.querySelector('.featured img').complete")
    assert page.evaluate("document.querySelector('.featured img').naturalWidth") > 0
    assert image.is_visible()


def test_seed_table_of_contents_links_resolve_and_scroll(corpus_site, page):
    open_page(page, f"{corpus_site}/blog/{SEED_SLUG}")
    # The article brings its own "Table of Contents" section: the list right after it.
    hrefs = page.evaluate(
        """() => [...document.getElementById('table-of-contents')
                      .nextElementSibling.querySelectorAll('a')]
                  .map(a => a.getAttribute('href'))"""
    )
    assert len(hrefs) == 8, hrefs
    assert all(h.startswith("#") for h in hrefs), hrefs
    missing = [
        h for h in hrefs if not page.evaluate("id => document.getElementById(id) !== null", h[1:])
    ]
    assert not missing, f"table-of-contents links with no target: {missing}"

    target = hrefs[4]
    assert page.evaluate("window.scrollY") == 0
    page.locator(f'#table-of-contents + * a[href="{target}"]').click()
    page.wait_for_function("h => location.hash === h", arg=target)
    assert page.evaluate("window.scrollY") > 0
    top = page.evaluate("id => document.getElementById(id).getBoundingClientRect().top", target[1:])
    assert -2 <= top < 740 / 2, f"{target} is not scrolled to the top of the view (top={top})"


@pytest.mark.parametrize(
    "path", ["/", "/blog", "/blog/category/clinical-research"], ids=["home", "blog", "category"]
)
def test_listing_page_fits_a_phone_and_passes_axe(corpus_site, page, path):
    open_page(page, f"{corpus_site}{path}")
    assert page.locator(".cards .card").count() > 0
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)


def test_every_corpus_article_fits_a_phone(corpus_site, page):
    """All 30 real articles at 360 px: no sideways scroll and exactly one h1.

    (axe is run on the seed and the listing pages only: on 30 long pages it costs ~90 s.)
    """
    slugs = list(Article.objects.order_by("slug").values_list("slug", flat=True))
    assert len(slugs) == 30
    failures = []
    for slug in slugs:
        open_page(page, f"{corpus_site}/blog/{slug}")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > 360:
            failures.append(f"{slug}: scrollWidth {scroll_width}: {page.evaluate(OVERFLOW_JS)}")
        if page.locator("h1").count() != 1:
            failures.append(f"{slug}: {page.locator('h1').count()} h1 elements")
    assert not failures, "\n".join(failures)


def test_wide_tables_and_code_blocks_are_keyboard_scrollable(corpus_site, page):
    open_page(page, f"{corpus_site}/blog/{SCROLL_BOX_SLUG}")
    assert_no_serious_axe_violations(page)


def test_review_line_banner_and_reviewer_page_pass_axe(site, images, tmp_path, page):
    """A lapsed medical review: the banner and the review line fit a phone and pass axe, and
    the line links to the reviewer's profile page, which passes too."""
    import datetime as dt

    from ketamine_association.articles.models import Reviewer
    from tests.articles.factories import article_text, write

    Reviewer.objects.create(
        name="Jane Doe", credentials="MD, PhD", slug="jane-doe", bio="Psychiatrist."
    )
    last = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    fields = f'reviewedBy: "Jane Doe, MD, PhD"\nlastReviewed: {last}\naudience:'
    path = write(tmp_path / "reviewed.md", article_text("reviewed", **{"audience:": fields}))
    assert not article_import_paths(paths=[path], images=images).failed
    open_page(page, f"{site}/blog/reviewed")
    banner = page.locator(".review-due")
    assert banner.is_visible()
    assert "This article is due for medical review." in banner.inner_text()
    line = page.locator(".review-line")
    assert line.inner_text().startswith("Medically reviewed by Jane Doe, MD, PhD on ")
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)
    line.locator("a").click()
    page.wait_for_url(f"{site}/reviewers/jane-doe")
    assert page.locator("h1").inner_text().strip() == "Jane Doe"
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)
