"""A listing kept current from the dashboard: what is not identity publishes at once and is
recorded before → after; identity (name, credentials, NPI, license, its expiry) waits for staff,
who approve or reject it in the admin with a reason mailed; photos go through the directory's
checks; the preview stores nothing; the history and the dashboard say where things stand."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ketamine_association.directory.choices import CheckKind, Treatment
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.forms.listings import ListingForm
from ketamine_association.practitioners.models import ListingChange, ListingEditor, ListingOwner
from tests.directory.factories import checked, make_provider, npi
from tests.directory.test_photos import SVG, photo_with_gps, png_declaring
from tests.directory.test_photos import photos as photos  # noqa: PLC0414 - the fixture

pytestmark = pytest.mark.django_db
PASSWORD = "a long passphrase 42"
NEXT_YEAR = timezone.localdate() + dt.timedelta(days=365)


def account(username: str, email: str):
    return get_user_model().objects.create_user(username=username, email=email, password=PASSWORD)


@pytest.fixture
def owner(client):
    user = account("dr-owner", "owner@clinic.example")
    client.force_login(user)
    return user


@pytest.fixture
def listing(owner):
    provider = checked(
        make_provider(phone="(555) 555-0100"), CheckKind.NPI_FORMAT, CheckKind.LICENSE
    )
    ListingOwner.objects.create(provider=provider, account=owner)
    return provider


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(
        username="reviewer", email="reviewer@ketamineassociation.test", password="x" * 20
    )


def edit_url(provider) -> str:
    return f"/dashboard/listings/{provider.pk}"


def edit_data(provider: Provider, **changes) -> dict:
    """The form as the browser would post it unchanged (the form's own initial values), with
    `changes` on top; None drops a field."""
    form = ListingForm(instance=provider, rems_on_file=False, license_expires_on=None, pending=None)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name == "photo":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    data.update(changes)
    data.setdefault("save", "1")
    return {key: value for key, value in data.items() if value is not None}


def mails_to(smtp, address: str) -> list:
    return [mail for mail in smtp.received if mail.rcpt_tos == [address]]


# --------------------------------------------------------------------------- published at once


def test_a_new_phone_is_live_at_once_and_recorded_before_and_after(client, owner, listing):
    response = client.post(edit_url(listing), edit_data(listing, phone="(555) 555-0199"))
    assert response.status_code == 302 and response["Location"] == edit_url(listing)
    listing.refresh_from_db()
    assert listing.phone == "(555) 555-0199"
    (change,) = ListingChange.objects.all()
    assert change.status == "applied" and change.by == owner
    assert change.changes == {"phone": ["(555) 555-0100", "(555) 555-0199"]}
    assert "(555) 555-0199" in client.get(listing.get_absolute_url()).content.decode()
    page = client.get(edit_url(listing)).content.decode()
    assert "Published: phone." in page


def test_saving_unchanged_records_nothing(client, owner, listing):
    assert client.post(edit_url(listing), edit_data(listing)).status_code == 302
    assert not ListingChange.objects.exists()
    assert "Nothing changed." in client.get(edit_url(listing)).content.decode()


def test_flags_and_a_new_zip_are_published_with_their_coordinates(client, owner, listing):
    data = edit_data(listing, treatments=["iv-infusion", "kap"], zip_code="77042", city="Houston",
                     state="TX", accepting_new_patients=None)  # fmt: skip
    assert client.post(edit_url(listing), data).status_code == 302
    before = listing.latitude
    listing.refresh_from_db()
    assert listing.treatments == Treatment.mask(["iv-infusion", "kap"])
    assert listing.zip_code == "77042" and listing.latitude != before  # moved with the ZIP
    changes = ListingChange.objects.get().changes
    assert changes["treatments"] == [Treatment.mask(["iv-infusion"]), listing.treatments]
    assert changes["accepting_new_patients"] == [True, False]


def test_the_forms_rules_are_the_applications(client, owner, listing):
    data = edit_data(listing, zip_code="00000", price_min_usd="500", price_max_usd="400")
    html = client.post(edit_url(listing), data).content.decode()
    assert "not a US ZIP code we know" in html and "The highest price is below the lowest" in html
    other = make_provider()
    html = client.post(edit_url(listing), edit_data(listing, npi=other.npi)).content.decode()
    assert "This NPI belongs to another listing." in html
    assert not ListingChange.objects.exists()


def test_esketamine_needs_rems_on_file(client, owner, listing):
    data = edit_data(listing, treatments=["esketamine"])
    html = client.post(edit_url(listing), data).content.decode()
    assert "no REMS certification on file" in html and not ListingChange.objects.exists()
    checked(listing, CheckKind.REMS)
    assert client.post(edit_url(listing), data).status_code == 302
    listing.refresh_from_db()
    assert listing.treatments == Treatment.mask(["esketamine"])


# --------------------------------------------------------------------------- identity: review


def test_a_new_npi_waits_for_staff_and_approval_publishes_it(client, owner, listing, staff, smtp):
    old, new = listing.npi, npi(777001)
    assert client.post(edit_url(listing), edit_data(listing, npi=new)).status_code == 302
    (change,) = ListingChange.objects.all()
    assert change.status == "pending" and change.changes == {"npi": [old, new]}
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f"NPI: {old}" in page and new not in page  # the verified value stays live
    form_page = client.get(edit_url(listing)).content.decode()
    assert f'value="{new}"' in form_page and "Waiting for review since" in form_page
    dashboard = client.get("/dashboard").content.decode()
    assert "changes waiting for review" in dashboard

    admin = client.__class__()
    admin.force_login(staff)
    url = f"/admin/practitioners/listingchange/{change.pk}/change/"
    assert 'name="decision"' in admin.get(url).content.decode()
    refused = admin.post(url, {"decision": "approve", "reason": " "})
    assert refused.status_code == 200 and Provider.objects.get(pk=listing.pk).npi == old
    assert (
        admin.post(url, {"decision": "approve", "reason": "Checked in NPPES."}).status_code == 302
    )
    listing.refresh_from_db()
    assert listing.npi == new
    assert ListingChange.objects.get().status == "approved"
    npi_check = listing.checks.filter(kind=CheckKind.NPI_FORMAT).latest("checked_at", "id")
    assert npi_check.passed and new in npi_check.detail
    assert f"NPI: {new}" in client.get(listing.get_absolute_url()).content.decode()
    (mail,) = mails_to(smtp, "owner@clinic.example")
    assert mail.message["Subject"] == "Your listing change is published"
    assert "Checked in NPPES." in mail.part("plain")
    assert "changes waiting for review" not in client.get("/dashboard").content.decode()


def test_a_rejected_change_is_mailed_with_its_reason_and_changes_nothing(
    client, owner, listing, staff, smtp
):
    old = listing.name
    data = edit_data(listing, name="Someone Else", phone="(555) 555-0142")
    client.post(edit_url(listing), data)
    pending = ListingChange.objects.get(status="pending")
    assert pending.changes == {"name": [old, "Someone Else"]}  # the phone went live apart
    assert ListingChange.objects.get(status="applied").changes["phone"][1] == "(555) 555-0142"
    admin = client.__class__()
    admin.force_login(staff)
    url = f"/admin/practitioners/listingchange/{pending.pk}/change/"
    admin.post(url, {"decision": "reject", "reason": "The name does not match the license."})
    listing.refresh_from_db()
    assert listing.name == old and ListingChange.objects.get(pk=pending.pk).status == "rejected"
    (mail,) = mails_to(smtp, "owner@clinic.example")
    assert mail.message["Subject"] == "About your listing change"
    assert "The name does not match the license." in mail.part("plain")


def test_a_new_license_expiry_is_checked_by_staff_then_recorded(client, owner, listing, staff):
    later = NEXT_YEAR + dt.timedelta(days=400)
    data = edit_data(listing, license_expires_on=later.isoformat(), license_number="A-77")
    client.post(edit_url(listing), data)
    change = ListingChange.objects.get(status="pending")
    assert change.license_expires_on == later and set(change.changes) == {
        "license_number",
        "license_expires_on",
    }
    assert listing.checks.filter(expires_on=later).count() == 0
    admin = client.__class__()
    admin.force_login(staff)
    admin.post(
        f"/admin/practitioners/listingchange/{change.pk}/change/",
        {"decision": "approve", "reason": "Board record checked."},
    )
    check = listing.checks.filter(kind=CheckKind.LICENSE).latest("checked_at", "id")
    assert check.expires_on == later and check.license_number == "A-77"
    assert check.checked_by == staff


def test_a_later_save_replaces_the_pending_change_and_putting_values_back_withdraws_it(
    client, owner, listing
):
    old = listing.name
    client.post(edit_url(listing), edit_data(listing, name="First Try"))
    client.post(edit_url(listing), edit_data(listing, name="Second Try"))
    (pending,) = ListingChange.objects.filter(status="pending")
    assert pending.changes == {"name": [old, "Second Try"]}
    client.post(edit_url(listing), edit_data(listing, name=old))
    assert not ListingChange.objects.filter(status="pending").exists()
    assert ListingChange.objects.get().status == "rejected"  # withdrawn, kept in the history


# --------------------------------------------------------------------------- photos and preview


def test_a_photo_is_stored_resized_without_exif(client, owner, listing, photos):
    upload = SimpleUploadedFile("me.jpg", photo_with_gps(), "image/jpeg")
    assert (
        client.post(edit_url(listing), {**edit_data(listing), "photo": upload}).status_code == 302
    )
    listing.refresh_from_db()
    stored = sorted(path.name for path in photos.iterdir())
    assert len(stored) == 2 and listing.photo.name in stored
    assert listing.photo.name.endswith("-400.jpg")
    for path in photos.iterdir():
        assert b"Exif" not in path.read_bytes() and b"TestCam" not in path.read_bytes()
    assert ListingChange.objects.get().changes == {"photo": ["", listing.photo.name]}


def _huge(tmp_path):
    path = tmp_path / "huge.jpg"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    return path


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.jpg", b"plain text, named .jpg", "not an image"),
        ("logo.svg", SVG, "SVG"),
        ("bomb.png", png_declaring(100_000, 100_000), "megapixels"),
        ("huge.jpg", None, "larger than 5 MB"),
    ],
)
def test_a_hostile_photo_is_refused_and_nothing_is_stored(
    client, owner, listing, photos, tmp_path, name, content, message
):
    data = edit_data(listing, phone="(555) 555-0111")
    if content is None:
        with _huge(tmp_path).open("rb") as handle:
            response = client.post(edit_url(listing), {**data, "photo": handle})
    else:
        response = client.post(
            edit_url(listing), {**data, "photo": SimpleUploadedFile(name, content)}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="photo-error"' in html and message.lower() in html.lower()
    assert not list(photos.iterdir()) and not ListingChange.objects.exists()
    listing.refresh_from_db()
    assert listing.phone == "(555) 555-0100" and not listing.photo


def test_preview_shows_the_unsaved_values_and_stores_nothing(client, owner, listing, photos):
    upload = SimpleUploadedFile("me.jpg", photo_with_gps(), "image/jpeg")
    data = {**edit_data(listing, phone="(555) 555-0177", bio="New words about the practice."),
            "photo": upload, "preview": "1"}  # fmt: skip
    data.pop("save")
    response = client.post(edit_url(listing), data)
    html = response.content.decode()
    assert response.status_code == 200 and "Preview — not saved" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html and "canonical" not in html
    assert "(555) 555-0177" in html and "New words about the practice." in html
    assert "the new photo is not shown here" in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    listing.refresh_from_db()
    assert listing.phone == "(555) 555-0100" and not listing.bio
    assert not ListingChange.objects.exists() and not list(photos.iterdir())
    # its "Save" posts the same values: they are what is then published
    hidden: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        hidden.setdefault(name, []).append(unescape(value))
    assert hidden["phone"] == ["(555) 555-0177"] and "photo" not in hidden
    hidden.pop("csrfmiddlewaretoken", None)
    assert client.post(edit_url(listing), {**hidden, "save": "1"}).status_code == 302
    listing.refresh_from_db()
    assert listing.phone == "(555) 555-0177" and listing.bio == "New words about the practice."
    assert set(ListingChange.objects.get().changes) == {"phone", "bio"}
    ListingChange.objects.all().delete()
    back = client.post(edit_url(listing), {**edit_data(listing, phone="(555) 555-0177"),
                                           "edit": "1"})  # fmt: skip
    assert back.status_code == 200 and 'value="(555) 555-0177"' in back.content.decode()
    assert not ListingChange.objects.exists()


# --------------------------------------------------------------------------- history, dashboard


def test_the_history_names_only_the_viewer(client, owner, listing):
    colleague = account("colleague", "colleague@clinic.example")
    ListingEditor.objects.create(provider=listing, account=colleague, invited_by=owner)
    client.post(edit_url(listing), edit_data(listing, phone="(555) 555-0101"))
    client.force_login(colleague)
    client.post(edit_url(listing), edit_data(Provider.objects.get(pk=listing.pk),
                                             website="https://new.example"))  # fmt: skip
    html = client.get(f"{edit_url(listing)}/history").content.decode()
    assert "you (colleague@clinic.example)" in html and "owner@clinic.example" not in html
    assert "a colleague" in html and "(555) 555-0100 → (555) 555-0101" in html
    client.force_login(owner)
    html = client.get(f"{edit_url(listing)}/history").content.decode()
    assert "you (owner@clinic.example)" in html and "colleague@clinic.example" not in html
    assert "Published" in html


def test_the_dashboard_shows_each_listings_state_and_links(client, owner, listing):
    colleague = account("colleague", "colleague@clinic.example")
    ListingEditor.objects.create(provider=listing, account=colleague, invited_by=owner)
    html = client.get("/dashboard").content.decode()
    assert f'href="{edit_url(listing)}"' in html and f'href="{edit_url(listing)}/history"' in html
    assert f'href="{edit_url(listing)}/editors"' in html and "live, verified" in html
    Provider.objects.filter(pk=listing.pk).update(
        is_suspended=True, suspension_reason="The license board lists a suspension."
    )
    html = client.get("/dashboard").content.decode()
    assert "suspended" in html and "The license board lists a suspension." in html
    client.force_login(colleague)
    html = client.get("/dashboard").content.decode()
    assert f'href="{edit_url(listing)}"' in html
    assert f'href="{edit_url(listing)}/editors"' not in html  # only the owner invites
