"""A consultation request in real browsers, mail through the SMTP test server: a patient finds
a provider near a ZIP, sees the crisis lines appear the moment "yes" is chosen (no script),
sends a request; the owner's notice holds nothing of the patient; the owner signs in, opens
the request (an access-log row appears) and marks it contacted. Pages pass axe on a phone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.practitioners.models import ListingOwner
from tests.accounts.test_accounts import PASSWORD, verified_user
from tests.directory.factories import make_provider
from tests.mailqueue import deliver_queued_mail

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser

OWNER = "owner@willow-clinic.example"
PATIENT = {
    "name": "Rosalind Quenby",
    "email": "rosalind.q@example.org",
    "phone": "(713) 555-0177",
    "note": "Late afternoons are best",
}


def test_a_patient_sends_a_request_and_the_owner_marks_it_contacted(page, site, smtp, browser):
    provider = make_provider(name="Jordan Hale", zip_code="77042", latitude=None, longitude=None)
    ListingOwner.objects.create(provider=provider, account=verified_user(OWNER))

    page.goto(f"{site}/find-provider?location=77056")
    page.locator(".provider-card", has_text="Jordan Hale").get_by_role("link").first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == provider.get_absolute_url()
    crisis = page.locator("#crisis-now")
    assert not crisis.is_visible()
    page.check("[name=in_crisis][value=yes]")
    assert crisis.is_visible()  # at once, in place, by CSS alone
    assert "988" in crisis.inner_text() and "741741" in crisis.inner_text()
    page.check("[name=in_crisis][value=no]")
    assert not crisis.is_visible()
    assert_accessible(page)

    for name, value in PATIENT.items():
        page.fill(f"[name={name}]", value)
    page.check("[name=contact_method][value=phone]")
    page.check("[name=contact_times][value=afternoon]")
    page.select_option("[name=state]", "TX")
    page.check("[name=treatment][value=kap]")
    page.check("[name=for_whom][value=self]")
    page.check("[name=payment][value=insurance]")
    page.check("[name=consent]")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_load_state()
    assert "Your request was sent" in page.content()
    assert_accessible(page)
    consultation = ConsultationRequest.objects.get()
    assert consultation.name == PATIENT["name"] and consultation.provider == provider

    assert deliver_queued_mail() == 2
    [notice] = smtp.to(OWNER)
    whole = notice.content.decode(errors="replace")
    for secret in (*PATIENT.values(), "Quenby", "7135550177", "psychotherapy", "kap"):
        assert secret.lower() not in whole.lower(), secret
    [confirmation] = smtp.to(PATIENT["email"])
    assert PATIENT["note"] not in confirmation.part("plain")

    owner = browser.new_context().new_page()
    owner.goto(f"{site}/accounts/login/")
    owner.get_by_label("Email").fill(OWNER)
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Sign In").click()
    owner.wait_for_load_state()
    owner.get_by_role("link", name="Open your requests").click()
    owner.wait_for_load_state()
    assert_accessible(owner)
    assert not RequestAccess.objects.exists()  # the list shows no patient detail
    owner.get_by_role("link", name=f"Request #{consultation.pk}").click()
    owner.wait_for_load_state()
    assert PATIENT["name"] in owner.content()
    [opened] = RequestAccess.objects.all()
    assert (opened.kind, opened.by.email) == ("opened", OWNER)
    assert_accessible(owner)
    owner.select_option("[name=status]", "contacted")
    owner.get_by_role("button", name="Save").click()
    owner.wait_for_load_state()
    consultation.refresh_from_db()
    assert consultation.status == "contacted"
    assert set(RequestAccess.objects.values_list("kind", flat=True)) == {"opened", "status"}
