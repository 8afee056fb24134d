"""The association's pages in a real browser, at a phone's width (360 px) and a desktop's
(1280 px): no sideways scroll, no serious or critical axe finding, and the navigation works
by tapping (no hover needed)."""

from pathlib import Path

import pytest

from ketamine_association.articles.services import article_import_paths
from tests.directory.factories import make_provider

from .accessibility import assert_no_horizontal_scroll, assert_no_serious_axe_violations

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "demo"
PATHS = [
    "/",
    "/about",
    "/about-ketamine",
    "/membership",
    "/membership/practitioners",
    "/privacy",
    "/terms",
    "/disclaimer",
    "/editorial-policy",
    "/accessibility",
]
# One of every other page type, so the accessibility statement's "every type of page, at 360
# and 1280 pixels" holds (their own browser tests look closer at 360).
OTHER_TYPES = [
    "/blog",
    "/blog/checking-provider-credentials",
    "/blog/category/patient-education",
    "/search?q=provider",
    "/find-provider",
    "/find-provider?location=90210",
    "/newsletter",
    "/contact",
    "/no-such-page",
]
WIDTHS = [360, 1280]


@pytest.fixture
def pages_site(site, images):
    report = article_import_paths(paths=[DEMO / "articles", DEMO / "pages"], images=images)
    assert not report.failed, [(o.source, o.errors) for o in report.failed]
    return site


@pytest.mark.parametrize("width", WIDTHS)
def test_one_of_every_other_page_type_passes_axe(pages_site, page, width):
    provider = make_provider(zip_code="90210", latitude=34.0901, longitude=-118.4065)
    page.set_viewport_size({"width": width, "height": 800})
    for path in [*OTHER_TYPES, provider.get_absolute_url()]:
        response = page.goto(f"{pages_site}{path}", wait_until="load")
        assert response is not None and response.status == (404 if "no-such" in path else 200)
        assert_no_horizontal_scroll(page)
        assert_no_serious_axe_violations(page)


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
