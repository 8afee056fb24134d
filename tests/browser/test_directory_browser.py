"""Find a Provider in chromium at a phone's width (360 px): search by ZIP, apply a filter,
open a profile. Each page fits the screen and has no serious or critical axe-core finding."""

from __future__ import annotations

import pytest

from ketamine_association.directory.choices import State, Treatment
from tests.directory.factories import make_provider

from .accessibility import assert_no_horizontal_scroll, assert_no_serious_axe_violations

pytestmark = pytest.mark.browser


def assert_fits_and_passes_axe(page) -> None:
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)


@pytest.fixture
def providers():
    make_provider(
        name="Ines Infusion",
        zip_code="90210",
        verification_status="verified",
        verification_method="npi-format",
    )
    make_provider(
        name="Kiran Therapy",
        zip_code="90212",
        treatments=Treatment.mask(["iv-infusion", "kap"]),
        telehealth=True,
        telehealth_states=State.mask(["CA"]),
        practice_name="A Very Long Practice Name "
        "For Ketamine Assisted Psychotherapy And Integration Services",
    )
    make_provider(name="Farah Faraway", zip_code="10001", city="New York", state="NY")


def test_search_filter_and_profile_on_a_phone(page, site, providers):
    page.goto(f"{site}/find-provider")
    assert page.locator("h1").count() == 1
    assert_fits_and_passes_axe(page)

    page.get_by_label("ZIP code, or city and state").fill("90210")
    page.get_by_role("button", name="Find providers").click()
    page.wait_for_url("**/find-provider?location=90210**")
    assert page.locator("#results-heading").inner_text() == "2 providers found"
    names = page.locator(".provider-card h3").all_inner_texts()
    assert names == ["Ines Infusion, MD", "Kiran Therapy, MD"]
    assert page.locator(".provider-distance").first.inner_text().endswith(" mi")
    assert_fits_and_passes_axe(page)

    page.get_by_text("Treatment, condition, insurance and more").click()
    page.get_by_label("Treatment", exact=True).select_option("kap")
    page.get_by_role("button", name="Find providers").click()
    page.wait_for_url("**treatment=kap**")
    assert page.locator(".provider-card h3").all_inner_texts() == ["Kiran Therapy, MD"]
    assert_fits_and_passes_axe(page)

    page.get_by_role("link", name="Kiran Therapy, MD").click()
    page.wait_for_url("**/providers/**")
    assert page.locator("h1").inner_text() == "Kiran Therapy, MD"
    assert "Not verified" in page.locator(".verification").inner_text()
    assert page.locator('script[type="application/ld+json"]').count() == 1
    assert_fits_and_passes_axe(page)


def test_state_city_and_problem_pages_on_a_phone(page, site, providers):
    for path in (
        "/find-provider/california",
        "/find-provider/california/beverly-hills",
        "/find-provider?location=Springfeild&radius=7&treatment=unicorn",
    ):
        page.goto(f"{site}{path}")
        assert page.locator("h1").count() == 1
        assert_fits_and_passes_axe(page)
    assert page.get_by_role("link", name="Springfield, IL").count() == 1
