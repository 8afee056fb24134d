"""A small real site for the security tests: articles imported through the pipeline, providers,
subscribers in each state with their real signed links, and the staff users of the admin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, Redirect, Reviewer, ReviewReminder
from ketamine_association.articles.services import article_import_paths
from ketamine_association.association.models import ContactMessage
from ketamine_association.consultations.choices import AccessKind
from ketamine_association.consultations.models import RequestAccess
from ketamine_association.core.mail import send_transactional
from ketamine_association.directory.models import Provider, VerificationCheck
from ketamine_association.editorial.services import manuscript_create, manuscript_save
from ketamine_association.newsletter import tokens
from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.newsletter.models import Delivery, Subscriber
from ketamine_association.practitioners.choices import ChangeStatus, ReminderKind
from ketamine_association.practitioners.models import (
    Application,
    Claim,
    LicenseReminder,
    ListingChange,
    ListingEditor,
    ListingOwner,
)
from tests.articles.factories import article_text, write
from tests.consultations.test_encryption_at_rest import make_request as make_consultation_request
from tests.directory.factories import make_provider
from tests.mailqueue import deliver_queued_mail
from tests.newsletter.factories import campaign, subscriber

PASSWORD = "a long passphrase for tests"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def recipient_link(purpose: str, person: Subscriber) -> str:
    token = tokens.recipient_token(purpose=purpose, subscriber_id=person.pk, key=person.key)
    return f"/newsletter/{purpose}/{token}"


def confirm_link(person: Subscriber) -> str:
    token = tokens.confirm_token(subscriber_id=person.pk, nonce=person.confirm_nonce)
    return f"/newsletter/confirm/{token}"


@dataclasses.dataclass
class SiteContent:
    article: str  # /blog/<slug>
    provider: Provider
    pending: Subscriber  # has a live confirm link
    confirmed: Subscriber
    # The real links, made once (a confirm token carries the time it was made).
    confirm: str = ""
    unsubscribe: str = ""
    preferences: str = ""

    def __post_init__(self):
        self.confirm = confirm_link(self.pending)
        self.unsubscribe = recipient_link(tokens.UNSUBSCRIBE, self.confirmed)
        self.preferences = recipient_link(tokens.PREFERENCES, self.confirmed)


# A site page (about, privacy...) two levels deep, of our own writing.
PROBE_PAGE = """---
title: "Probe page"
path: "/probe/page"
description: "A site page the security tests request, with a description long enough to be a real one and short enough for a search result to show."
nav: ["footer"]
---

A page for the tests.
"""


def build_site(tmp_path: Path, settings) -> SiteContent:
    """Two articles (one image served), a site page, a provider with a photo, a pending and a confirmed
    subscriber. `settings` is pytest-django's fixture: the served folders go under tmp_path."""
    settings.ARTICLE_IMAGES_ROOT = tmp_path / "served-images"
    settings.PROVIDER_PHOTOS_ROOT = tmp_path / "photos"
    settings.PROVIDER_PHOTOS_ROOT.mkdir()
    (settings.PROVIDER_PHOTOS_ROOT / "probe.png").write_bytes(PNG)
    sources = tmp_path / "sources"
    write(sources / "images" / "probe-article.png", PNG)
    write(
        sources / "probe-article.md",
        article_text("probe-article").replace(
            "/images/articles/probe-article.svg", "/images/articles/probe-article.png"
        ),
    )
    write(
        sources / "probe-research.md",
        article_text("probe-research")
        .replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"')
        .replace('audience: "patients"', 'audience: "practitioners"')
        .replace('"2026-02-03"', '"2026-01-20"'),
    )
    write(sources / "probe-page.md", PROBE_PAGE)
    images = ImageStore(source=sources / "images", root=settings.ARTICLE_IMAGES_ROOT)
    report = article_import_paths(paths=[sources], images=images)
    assert not report.failed, [(o.source, o.errors) for o in report.failed]

    # Coordinates given, so the ZIP index (seconds to build) is not needed.
    provider = make_provider(
        photo="probe.png", bio="A fictional clinician.", latitude=34.0901, longitude=-118.4065
    )
    pending = subscriber("pending@example.org", status=SubscriberStatus.PENDING)
    pending.confirm_nonce = "pendingnonce"
    pending.save(update_fields=["confirm_nonce"])
    confirmed = subscriber("confirmed@example.org", interests=["research"])
    return SiteContent(
        article="/blog/probe-article", provider=provider, pending=pending, confirmed=confirmed
    )


def staff_user(username: str = "editor", **fields):
    """A real user whose password goes through the configured hasher."""
    fields.setdefault("is_staff", True)
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **fields
    )


def one_of_every_admin_model(site: SiteContent):
    """Add what build_site lacks so that every model registered in the admin has a row;
    return the superuser who owns them."""
    Delivery.objects.create(
        campaign=campaign(subject="Private campaign subject"), subscriber=site.confirmed
    )
    Group.objects.get_or_create(name="Editors")  # the editorial roles' migration makes it
    ContactMessage.objects.create(
        name="Private Sender", email="sender@example.org", topic="general", message="Private."
    )
    Redirect.objects.get_or_create(
        old_path="/blog/an-old-address",
        defaults={"article": Article.objects.first(), "source": Redirect.Source.FRONTMATTER},
    )
    # A medical reviewer, and an article whose review has lapsed: the review queue's row.
    Reviewer.objects.get_or_create(
        slug="private-reviewer",
        defaults={"name": "Private Reviewer", "credentials": "MD", "email": "rev@example.org"},
    )
    lapsed = Article.objects.first()
    Article.objects.filter(id=lapsed.id).update(
        reviewed_by="Private Reviewer, MD",
        reviewer_key="private reviewer",
        last_reviewed="2024-01-01",
        review_due="2025-01-01",
    )
    ReviewReminder.objects.get_or_create(article=lapsed, kind="due", review_due="2025-01-01")
    owner = staff_user("admin-owner", is_superuser=True)
    # A manuscript written in the browser (its "create" transition), saved twice: two revisions.
    manuscript, _ = manuscript_create(user=owner, source=article_text("private-draft"))
    manuscript_save(
        manuscript=manuscript,
        user=owner,
        source=article_text("private-draft").replace("Bring the list", "Bring the private list"),
    )
    # django-allauth's admin: the owner's verified address and a TOTP authenticator.
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    TOTP.activate(owner, generate_totp_secret())
    # An application to be listed (waiting), and the listing's owner.
    Application.objects.create(
        applicant=owner, proposed={"name": "Private Applicant"}, license_expires_on="2030-01-01"
    )
    ListingOwner.objects.create(provider=site.provider, account=owner)
    # A claim on the listing (a dispute: it has an owner), and an editor the owner invited.
    claimant = staff_user("claimant", is_staff=False)
    Claim.objects.create(
        provider=site.provider,
        claimant=claimant,
        status="dispute",
        role="Private role",
        evidence="Private evidence",
        email_at_claim=claimant.email,
    )
    ListingEditor.objects.create(provider=site.provider, account=claimant, invited_by=owner)
    # The listing's change history (a pending identity change) and a license reminder sent.
    ListingChange.objects.create(
        provider=site.provider,
        by=owner,
        status=ChangeStatus.PENDING,
        changes={"name": [site.provider.name, "Private New Name"]},
    )
    LicenseReminder.objects.create(
        check_record=VerificationCheck.objects.create(
            provider=site.provider, kind="license", passed=True, expires_on="2030-01-01"
        ),
        kind=ReminderKind.BEFORE,
    )
    # A consultation request to the listing, and a row of its access log.
    consultation = make_consultation_request(site.provider, name="Private Patient")
    RequestAccess.objects.create(
        request=consultation, provider=site.provider, by=owner, kind=AccessKind.STATUS
    )
    # django-axes registers its logs: a good login, then a failed one, fill them.
    login = Client()
    login.post("/admin/login/", {"username": "admin-owner", "password": PASSWORD})
    login.post("/admin/login/", {"username": "someone-else", "password": "wrong"})
    if AccessFailureLog in admin.site._registry:  # kept only with AXES_ENABLE_ACCESS_FAILURE_LOG
        AccessFailureLog.objects.get_or_create(
            username="someone-else", ip_address="203.0.113.9", path_info="/admin/login/"
        )
    # The task queue's results (django-tasks-db's admin): a mail queued and delivered at once,
    # so no later GET of the test finds a task to run.
    send_transactional(to="queued@example.org", subject="Queued", text="A queued mail.")
    deliver_queued_mail()
    missing = [
        model._meta.label for model in admin.site._registry if not model._default_manager.exists()
    ]
    assert not missing, f"give these admin models a row in one_of_every_admin_model: {missing}"
    return owner
