"""Apply to be listed: the form (Provider's own validators, the ZIP, the REMS rule), the staff
queue in the admin (approve, ask for changes, reject, each with a reason mailed through the
queue), and approval publishing a listing owned by the applicant, with its checks recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ketamine_association.directory.choices import CheckKind, Treatment
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import Application, ListingOwner
from ketamine_association.practitioners.services import DecisionRefused, application_decide
from tests.directory.factories import npi

pytestmark = pytest.mark.django_db
NPI = npi(4242)
NEXT_YEAR = (timezone.now().date() + dt.timedelta(days=365)).isoformat()


@pytest.fixture
def practitioner(client):
    user = get_user_model().objects.create_user(
        username="dr-rivera", email="rivera@clinic.example", password="a long passphrase 42"
    )
    client.force_login(user)
    return user


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(
        username="reviewer", email="reviewer@ketamineassociation.test", password="x" * 20
    )


def form_data(**changes) -> dict:
    data = {
        "name": "Alex Rivera",
        "credentials": ["MD"],
        "npi": NPI,
        "license_states": ["TX"],
        "license_number": "TX-12345",
        "license_expires_on": NEXT_YEAR,
        "practice_name": "Bayou Ketamine Clinic",
        "address": "100 Main Street",
        "city": "Houston",
        "state": "TX",
        "zip_code": "77042",
        "phone": "713-555-0100",
        "website": "https://bayou-ketamine.example",
        "treatments": ["iv-infusion", "kap"],
        "languages": ["en"],
        "accepting_new_patients": "on",
        "rems_certified": "no",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_visitor_is_told_what_to_have_ready_and_how_to_sign_in(client):
    html = client.get("/provider-directory/apply").content.decode()
    assert "What to have ready" in html and "<form" not in html.split("</header>", 1)[1]
    assert "/accounts/signup/?next=/provider-directory/apply" in html
    assert "/accounts/login/?next=/provider-directory/apply" in html


def test_a_valid_application_waits_in_the_queue(client, practitioner):
    response = client.post("/provider-directory/apply", form_data())
    assert response.status_code == 302 and response["Location"] == "/provider-directory/apply/sent"
    (application,) = Application.objects.all()
    assert application.applicant == practitioner and application.status == "submitted"
    assert application.proposed["npi"] == NPI and application.proposed["zip_code"] == "77042"
    assert not Provider.objects.exists()  # nothing is public before staff approve


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("npi", NPI[:-1] + str((int(NPI[-1]) + 1) % 10), "check digit"),
        ("npi", NPI[:9], "10 digits"),
        ("npi", "12345abcde", "10 digits"),
        ("npi", npi(4242, prefix="9"), "starts with 1 or 2"),
        ("zip_code", "00000", "not a US ZIP code we know"),
        ("license_expires_on", "2020-01-01", "expired"),
        ("website", "javascript:alert(1)", "valid URL"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(
    client, practitioner, field, value, message
):
    response = client.post("/provider-directory/apply", form_data(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="{field}-error"' in html and message in html, html[html.find("nl-error") :][:300]
    assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert not Application.objects.exists()


def test_esketamine_needs_the_locations_rems_certification(client, practitioner):
    offering = form_data(treatments=["esketamine"])
    html = client.post("/provider-directory/apply", offering).content.decode()
    assert "REMS-certified locations" in html
    html = client.post("/provider-directory/apply", {**offering, "rems_certified": "yes"}).content
    assert b"Upload the location&#x27;s REMS confirmation" in html
    not_a_pdf = SimpleUploadedFile("rems.pdf", b"<svg onload=alert(1)>", "application/pdf")
    html = client.post(
        "/provider-directory/apply",
        {**offering, "rems_certified": "yes", "rems_document": not_a_pdf},
    ).content
    assert b"Upload a PDF, PNG or JPEG file." in html
    assert not Application.objects.exists()
    pdf = SimpleUploadedFile("rems.pdf", b"%PDF-1.7\n% a confirmation\n", "application/pdf")
    response = client.post(
        "/provider-directory/apply", {**offering, "rems_certified": "yes", "rems_document": pdf}
    )
    assert response.status_code == 302
    stored = Application.objects.get().rems_document
    assert stored.name.endswith(".pdf") and "rems" not in stored.name  # a random name
    assert stored.read().startswith(b"%PDF-")


def test_an_npi_already_listed_is_sent_to_claim_it(client, practitioner):
    from tests.directory.factories import make_provider

    make_provider(npi=NPI)
    html = client.post("/provider-directory/apply", form_data()).content.decode()
    assert "already listed: claim that listing" in html


def submitted(client) -> Application:
    assert client.post("/provider-directory/apply", form_data()).status_code == 302
    return Application.objects.get()


def test_approval_publishes_the_listing_owned_by_the_applicant(client, practitioner, staff, smtp):
    application = submitted(client)
    application_decide(
        application=application, decision="approve", reason="Welcome aboard.", by=staff
    )
    provider = Provider.objects.get(npi=NPI)
    assert ListingOwner.objects.get(provider=provider).account == practitioner
    kinds = set(provider.checks.values_list("kind", flat=True))
    assert {CheckKind.NPI_FORMAT, CheckKind.LICENSE} <= kinds
    assert provider.verification_status == "verified"
    # live in the directory, at its distance from the ZIP searched
    html = client.get("/find-provider", {"location": "77042"}).content.decode()
    assert "Alex Rivera" in html
    # the applicant's mail, through the queue, carries the reason
    from tests.mailqueue import deliver_queued_mail

    deliver_queued_mail()
    (mail,) = [m for m in smtp.received if m.rcpt_tos == ["rivera@clinic.example"]]
    assert mail.message["Subject"] == "Your listing is live"
    assert "Welcome aboard." in mail.part("plain")


@pytest.mark.parametrize("decision, status", [("changes", "changes"), ("reject", "rejected")])
def test_other_decisions_publish_nothing_and_mail_the_reason(
    client, practitioner, staff, smtp, decision, status
):
    application = submitted(client)
    application_decide(
        application=application,
        decision=decision,
        reason="The license number is unclear.",
        by=staff,
    )
    assert Application.objects.get().status == status and not Provider.objects.exists()
    from tests.mailqueue import deliver_queued_mail

    deliver_queued_mail()
    (mail,) = smtp.received
    assert "The license number is unclear." in mail.part("plain")


def test_a_decision_needs_a_reason_and_is_taken_once(client, practitioner, staff):
    application = submitted(client)
    with pytest.raises(DecisionRefused):
        application_decide(application=application, decision="approve", reason="  ", by=staff)
    application_decide(application=application, decision="reject", reason="Not eligible.", by=staff)
    with pytest.raises(DecisionRefused):
        application_decide(application=application, decision="approve", reason="Oops.", by=staff)
    assert not Provider.objects.exists()


def test_staff_decide_in_the_admin(client, practitioner, staff, smtp):
    application = submitted(client)
    client.force_login(staff)
    url = f"/admin/practitioners/application/{application.pk}/change/"
    page = client.get(url).content.decode()
    assert "Alex Rivera" in page and 'name="decision"' in page
    refused = client.post(url, {"decision": "approve", "reason": ""})
    assert refused.status_code == 200 and not Provider.objects.exists()
    client.post(url, {"decision": "approve", "reason": "All checked."})
    assert Application.objects.get().status == "approved"
    assert Provider.objects.filter(npi=NPI).exists()


def test_treatment_bits_survive_the_round_trip(client, practitioner, staff):
    application = submitted(client)
    application_decide(application=application, decision="approve", reason="Fine.", by=staff)
    provider = Provider.objects.get(npi=NPI)
    assert provider.treatments == Treatment.mask(["iv-infusion", "kap"])


def test_the_dashboard_shows_the_listing_and_the_open_applications(client, practitioner, staff):
    application = submitted(client)
    html = client.get("/dashboard").content.decode()
    assert "Alex Rivera (NPI" in html and "waiting for review" in html
    application_decide(application=application, decision="approve", reason="Fine.", by=staff)
    html = client.get("/dashboard").content.decode()
    provider = Provider.objects.get(npi=NPI)
    assert f'href="{provider.get_absolute_url()}"' in html and "waiting for review" not in html
    other = get_user_model().objects.create_user(username="other", email="o@example.org")
    client.force_login(other)
    assert provider.get_absolute_url() not in client.get("/dashboard").content.decode()
