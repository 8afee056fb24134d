"""The association's pages in a real browser, at a phone's width (360 px) and a desktop's
(1280 px): no sideways scroll, no serious or critical axe finding, and the navigation works
by tapping (no hover needed)."""

from pathlib import Path

import pytest

from ketamine_association.articles.services import article_import_paths

from .accessibility import assert_no_horizontal_scroll, assert_no_serious_axe_violations

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "demo"
PATHS = [
    "/",
    "/about",
    "/about-ketamine",
    "/membership",
    "/membership/practitioners",
    "/provider-directory/apply",
    "/privacy",
    "/terms",
    "/disclaimer",
    "/editorial-policy",
    "/accessibility",
]
WIDTHS = [360, 1280]


@pytest.fixture
def pages_site(site, images):
    report = article_import_paths(paths=[DEMO / "articles", DEMO / "pages"], images=images)
    assert not report.failed, [(o.source, o.errors) for o in report.failed]
    return site


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_passes_axe(pages_site, page, width):
    page.set_viewport_size({"width": width, "height": 800})
    for path in PATHS:
        response = page.goto(f"{pages_site}{path}", wait_until="load")
        assert response is not None and response.status == 200, path
        assert page.locator("h1").count() == 1, path
        assert_no_horizontal_scroll(page)
        assert_no_serious_axe_violations(page)


def test_a_phone_reaches_every_section_by_tapping(pages_site, page):
    page.goto(f"{pages_site}/", wait_until="load")
    nav = page.get_by_role("navigation", name="Main")
    for name, path in [
        ("Learn", "/blog"),
        ("Find a Provider", "/find-provider"),
        ("For Practitioners", "/membership"),
        ("About", "/about"),
    ]:
        link = nav.get_by_role("link", name=name)
        assert link.is_visible(), name
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith(path), (name, page.url)
        page.go_back()


def test_the_home_zip_box_finds_providers(pages_site, page):
    page.goto(f"{pages_site}/", wait_until="load")
    page.get_by_label("ZIP code or city").fill("77042")
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.wait_for_load_state()
    assert "/find-provider?location=77042" in page.url
