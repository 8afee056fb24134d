"""Claiming an existing listing: the profile's link (only on a listing nobody owns), the claim
page for a visitor, an unverified and a verified account; the automatic rule (a verified
address on the listing's website domain, never a free-mail one, never without a website);
claims waiting for staff and disputes, told apart by nobody but staff; and the staff queue in
the admin, whose decisions are mailed (and a transfer to the previous owner too)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache

from ketamine_association.directory.choices import CACHE_VERSION_KEY
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import Claim, ListingOwner
from ketamine_association.practitioners.services import (
    ClaimDecisionRefused,
    claim_decide,
    email_on_website_domain,
)
from tests.accounts.test_accounts import verified_user
from tests.directory.factories import make_provider

pytestmark = pytest.mark.django_db
OWNER_EMAIL = "first.owner@secret-owner.example"


@pytest.fixture
def listing():
    return make_provider(website="https://www.calm.example/ketamine")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(
        username="reviewer", email="reviewer@ketamineassociation.test", password="x" * 20
    )


def claim_url(provider: Provider) -> str:
    return f"/providers/{provider.slug}/claim"


def claim(client, provider, **data):
    return client.post(claim_url(provider), {"role": "Practice manager", **data})


def main_text(response) -> str:
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def own(provider, email=OWNER_EMAIL):
    return ListingOwner.objects.create(provider=provider, account=verified_user(email))


# --- the profile's link ------------------------------------------------------------------


def test_the_profile_offers_the_claim_only_while_nobody_owns_the_listing(client, listing):
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "Is this your practice?" in html and f'href="{claim_url(listing)}"' in html
    own(listing)
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "Is this your practice?" not in html and claim_url(listing) not in html


def test_a_suspended_listing_cannot_be_claimed(client, listing):
    Provider.objects.filter(pk=listing.pk).update(is_suspended=True)
    client.force_login(verified_user("jane@calm.example"))
    assert client.get(claim_url(listing)).status_code == 404
    assert claim(client, listing).status_code == 404
    assert not Claim.objects.exists() and not ListingOwner.objects.exists()


def test_a_visitor_is_asked_to_sign_in_and_comes_back(client, listing):
    response = client.get(claim_url(listing))
    html = response.content.decode()
    assert response.status_code == 200 and "<form" not in html.split("</header>", 1)[1]
    assert f"/accounts/login/?next={claim_url(listing)}" in html
    assert f"/accounts/signup/?next={claim_url(listing)}" in html
    assert claim(client, listing).status_code == 200 and not Claim.objects.exists()


def test_an_unverified_address_is_told_to_verify_first(client, listing):
    user = get_user_model().objects.create_user(
        username="jane", email="jane@calm.example", password="a long passphrase 42"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    assert "Verify your email address first" in client.get(claim_url(listing)).content.decode()
    claim(client, listing)
    assert not Claim.objects.exists() and not ListingOwner.objects.exists()


def test_the_form_needs_a_role_and_limits_the_evidence(client, listing):
    client.force_login(verified_user("jane@elsewhere.example"))
    html = client.post(claim_url(listing), {"role": "  ", "evidence": ""}).content.decode()
    assert 'id="role-error"' in html and 'aria-describedby="id_role_helptext role-error"' in html
    html = claim(client, listing, evidence="x" * 3001).content.decode()
    assert 'id="evidence-error"' in html and "at most 3000 characters" in html
    assert not Claim.objects.exists()


# --- the automatic rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, website, auto",
    [
        ("jane@calm.example", "https://www.calm.example/ketamine", True),
        ("Jane@Mail.Calm.Example", "https://calm.example", True),  # a subdomain of the site
        ("jane@calm.example", "https://WWW.CALM.EXAMPLE.:443/", True),
        ("jane@example.org", "https://clinic.example.org", False),  # the site is under it
        ("jane@notcalm.example", "https://calm.example", False),
        ("jane@calm.example.evil.test", "https://calm.example", False),
        ("jane@gmail.com", "https://gmail.com", False),  # free mail, whatever the site
        ("jane@facebook.com", "https://www.facebook.com/calmclinic", False),
        ("jane@calm.example", "", False),
        ("jane@calm.example", "not a url", False),
    ],
)
def test_the_automatic_rule(email, website, auto):
    assert email_on_website_domain(email=email, website=website) is auto


def test_an_address_on_the_websites_domain_manages_the_listing_at_once(client, listing, smtp):
    version = cache.get(CACHE_VERSION_KEY)
    user = verified_user("jane@mail.calm.example")
    client.force_login(user)
    response = claim(client, listing)
    assert response.status_code == 302 and response["Location"] == "/dashboard"
    assert ListingOwner.objects.get(provider=listing).account == user
    assert Claim.objects.get().status == "auto"
    assert cache.get(CACHE_VERSION_KEY) != version  # the directory's cache follows
    (mail,) = smtp.to("jane@mail.calm.example")
    assert mail.message["Subject"] == "You now manage this listing"
    assert mail.links("/dashboard")
    # the profile no longer offers the claim, and the owner's claim page leads home
    assert "Is this your practice?" not in client.get(listing.get_absolute_url()).content.decode()
    assert client.get(claim_url(listing))["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "email, website",
    [
        ("jane@gmail.com", "https://www.calm.example"),
        ("jane@gmail.com", "https://gmail.com"),
        ("jane@calm.example", ""),
        ("jane@other.example", "https://www.calm.example"),
    ],
)
def test_other_claims_wait_for_staff(client, smtp, email, website):
    provider = make_provider(website=website)
    client.force_login(verified_user(email))
    response = claim(client, provider, evidence="Call the front desk at 555-0100.")
    assert response.status_code == 302 and response["Location"] == claim_url(provider)
    page = client.get(claim_url(provider)).content.decode()
    assert "We received your claim" in page and "staff will review it" in page
    made = Claim.objects.get()
    assert made.status == "submitted" and made.email_at_claim == email
    assert made.evidence == "Call the front desk at 555-0100."
    assert not ListingOwner.objects.exists()
    (mail,) = smtp.to(email)
    assert mail.message["Subject"] == "We received your claim"
    assert "staff will review it" in mail.part("plain")


def test_a_second_claim_by_the_same_account_is_not_stored_twice(client, listing, smtp):
    client.force_login(verified_user("jane@other.example"))
    claim(client, listing)
    again = claim(client, listing, role="Someone else entirely")
    assert again.status_code == 302
    assert "We received your claim" in client.get(claim_url(listing)).content.decode()
    assert Claim.objects.count() == 1 and Claim.objects.get().role == "Practice manager"
    assert len(smtp.to("jane@other.example")) == 1


# --- disputes ----------------------------------------------------------------------------


def test_a_dispute_reads_exactly_like_a_waiting_claim(client, listing, smtp):
    """The same listing claimed before and after it has an owner: the same page, the same
    mail, and the owner's address nowhere in either."""
    client.force_login(verified_user("first@other.example"))
    claim(client, listing)
    submitted_page = main_text(client.get(claim_url(listing)))
    own(listing)
    client.force_login(verified_user("second@other.example"))
    response = claim(client, listing)
    assert response.status_code == 302 and response["Location"] == claim_url(listing)
    dispute_page = client.get(claim_url(listing))
    assert Claim.objects.get(claimant__email="second@other.example").status == "dispute"
    assert main_text(dispute_page) == submitted_page
    assert "We received your claim" in submitted_page
    for text in (dispute_page.content.decode(), response.content.decode()):
        assert OWNER_EMAIL not in text and "secret-owner" not in text
    (first,) = smtp.to("first@other.example")
    (second,) = smtp.to("second@other.example")
    assert first.message["Subject"] == second.message["Subject"] == "We received your claim"
    assert first.part("plain") == second.part("plain")
    assert OWNER_EMAIL not in second.content.decode() and not smtp.to(OWNER_EMAIL)
    assert ListingOwner.objects.get(provider=listing).account.email == OWNER_EMAIL


# --- the staff queue ---------------------------------------------------------------------


def admin_url(made: Claim) -> str:
    return f"/admin/practitioners/claim/{made.pk}/change/"


def test_staff_approve_a_dispute_in_the_admin_and_both_are_told(client, listing, staff, smtp):
    own(listing)
    claimant = verified_user("jane@other.example")
    client.force_login(claimant)
    claim(client, listing, evidence="Staff page: https://www.calm.example/team")
    made = Claim.objects.get()
    client.force_login(staff)
    page = client.get(admin_url(made)).content.decode()
    assert "https://www.calm.example/team" in page and "Practice manager" in page
    assert OWNER_EMAIL in page  # the current owner, to staff only
    assert 'name="decision"' in page and 'name="reason"' in page
    queue = client.get("/admin/practitioners/claim/").content.decode()
    assert "Dispute: the listing has an owner" in queue

    refused = client.post(admin_url(made), {"decision": "approve", "reason": "  "})
    assert refused.status_code == 200 and "Write the reason the claimant will read" in (
        refused.content.decode()
    )
    assert ListingOwner.objects.get(provider=listing).account.email == OWNER_EMAIL

    done = client.post(admin_url(made), {"decision": "approve", "reason": "We called the desk."})
    assert done.status_code == 302
    made.refresh_from_db()
    assert made.status == "approved" and made.decided_by == staff and made.decided_at
    assert ListingOwner.objects.get(provider=listing).account == claimant
    (to_claimant,) = [m for m in smtp.to("jane@other.example") if "manage" in m.message["Subject"]]
    assert "We called the desk." in to_claimant.part("plain")
    (to_owner,) = smtp.to(OWNER_EMAIL)
    assert "transferred" in to_owner.message["Subject"]
    assert "jane" not in to_owner.content.decode() and "other.example" not in to_owner.part("plain")
    # decided: no decision field any more, and the service refuses a second decision
    assert 'name="decision"' not in client.get(admin_url(made)).content.decode()
    with pytest.raises(ClaimDecisionRefused):
        claim_decide(claim=made, approve=False, reason="Oops.", by=staff)


def test_staff_reject_and_nothing_changes_but_the_claim(client, listing, staff, smtp):
    client.force_login(verified_user("jane@other.example"))
    claim(client, listing)
    made = Claim.objects.get()
    client.force_login(staff)
    client.post(admin_url(made), {"decision": "reject", "reason": "Nobody at the practice knew."})
    made.refresh_from_db()
    assert made.status == "rejected" and not ListingOwner.objects.exists()
    rejected = [
        m for m in smtp.to("jane@other.example") if m.message["Subject"] == "About your claim"
    ]
    assert "Nobody at the practice knew." in rejected[0].part("plain")


def test_staff_approve_a_plain_claim_and_the_claimant_owns_the_listing(client, listing, staff):
    version = cache.get(CACHE_VERSION_KEY)
    claimant = verified_user("jane@other.example")
    client.force_login(claimant)
    claim(client, listing)
    client.force_login(staff)
    client.post(admin_url(Claim.objects.get()), {"decision": "approve", "reason": "Checked."})
    assert ListingOwner.objects.get(provider=listing).account == claimant
    assert cache.get(CACHE_VERSION_KEY) != version


def test_the_queue_lists_open_claims_first(client, staff):
    decided = make_provider()
    waiting = make_provider()
    claimant = verified_user("jane@other.example")
    client.force_login(claimant)
    claim(client, decided)
    claim_decide(claim=Claim.objects.get(), approve=False, reason="No.", by=staff)
    claim(client, waiting)
    client.force_login(staff)
    queue = client.get("/admin/practitioners/claim/").content.decode()
    assert queue.index(str(waiting)) < queue.index(str(decided))
