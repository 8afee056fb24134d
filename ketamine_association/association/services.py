"""Writes of the association app: a contact message received, closed, reopened, purged; the
per-IP limit of the contact form; a membership tier saved or deleted.

A received message is stored, then two mails are queued through core.mail (sent after the
commit by the task worker): a notice to staff, with Reply-To set to the sender's address, and
one acknowledgement to the sender, which does not repeat the message, the name or anything
else the sender typed (the form must not become a way to send chosen text to a stranger).
Mail never fails the request: a value core.mail refuses is logged by its kind, and the
message stays stored. Log lines name a message by its id, never by its content."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ketamine_association.articles.models import Article
from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.content import content_version_bump
from ketamine_association.core.mail import send_transactional
from ketamine_association.core.privacy import keyed_digest
from ketamine_association.core.ratelimit import window_limited
from ketamine_association.core.seo import absolute

from .choices import RATE_WINDOW, RETENTION_MONTHS, ContactStatus, Topic
from .models import ContactMessage, MembershipTier

logger = logging.getLogger(__name__)


def contact_ip_limited(*, ip: str) -> int:
    """Counts one message from `ip` in the current window: 0, or the seconds to wait. The
    counter is keyed by a keyed hash of the address, never the address, and lives at most
    RATE_WINDOW seconds (an hour)."""
    digest = keyed_digest(ip, key=f"contact-ip:{settings.SECRET_KEY}")
    return window_limited(
        f"contact:ip:{digest}", limit=settings.CONTACT_RATE_PER_IP, window=RATE_WINDOW
    )


def contact_submit(
    *,
    name: str,
    email: str,
    topic: str,
    message: str,
    article: Article | None = None,
    now: dt.datetime | None = None,
) -> ContactMessage:
    """Store a message from the contact form and queue the staff notice and the sender's
    acknowledgement (both leave once the transaction commits)."""
    with transaction.atomic():
        contact = ContactMessage.objects.create(
            name=name,
            email=normalise_email(email),
            topic=topic,
            article_slug=article.slug if article is not None and topic == Topic.CORRECTION else "",
            message=message,
            created_at=now or timezone.now(),
        )
        _queue(contact, "staff notice", **_staff_notice(contact, article))
        _queue(contact, "acknowledgement", **_acknowledgement(contact))
    return contact


def _queue(contact: ContactMessage, what: str, **mail) -> None:
    try:
        send_transactional(**mail)
    except ValueError as exc:  # a value core.mail refuses: the message is stored all the same
        logger.error("contact message %s: %s not queued: %s", contact.pk, what, exc)


def _staff_notice(contact: ContactMessage, article: Article | None) -> dict:
    context = {
        "contact": contact,
        "topic": contact.get_topic_display(),
        "article_url": absolute(article.get_absolute_url()) if contact.article_slug else "",
        "admin_url": absolute(
            reverse("admin:association_contactmessage_change", args=[contact.pk])
        ),
    }
    return {
        "to": settings.CONTACT_STAFF_EMAIL,
        "subject": f"Contact form: {contact.get_topic_display()} (#{contact.pk})",
        "text": render_to_string("association/email/staff_notice.txt", context),
        "reply_to": [contact.email],
    }


def _acknowledgement(contact: ContactMessage) -> dict:
    context = {"topic": contact.get_topic_display(), "site_url": settings.SITE_URL}
    return {
        "to": contact.email,
        "subject": f"We received your message | {settings.SITE_NAME}",
        "text": render_to_string("association/email/acknowledgement.txt", context),
    }


def contact_close(*, messages: QuerySet[ContactMessage], by, now: dt.datetime) -> int:
    """Close the open messages among `messages`, noting who and when; returns how many.
    A closed message is deleted RETENTION_MONTHS after `now` (contact_purge)."""
    return messages.filter(status=ContactStatus.OPEN).update(
        status=ContactStatus.CLOSED, handled_by=by, closed_at=now
    )


def contact_reopen(*, messages: QuerySet[ContactMessage]) -> int:
    """Open the closed messages among `messages` again (their deletion clock stops)."""
    return messages.filter(status=ContactStatus.CLOSED).update(
        status=ContactStatus.OPEN, handled_by=None, closed_at=None
    )


def retention_cutoff(now: dt.datetime) -> dt.datetime:
    """`now` minus RETENTION_MONTHS calendar months (the 29th-31st fall back to the month's
    last day)."""
    months = now.year * 12 + now.month - 1 - RETENTION_MONTHS
    year, month = divmod(months, 12)
    month += 1
    for day in range(now.day, 27, -1):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return now.replace(year=year, month=month)


def contact_purge(*, now: dt.datetime) -> int:
    """Delete the messages closed RETENTION_MONTHS ago or earlier; returns how many."""
    deleted, _ = ContactMessage.objects.filter(
        status=ContactStatus.CLOSED, closed_at__lte=retention_cutoff(now)
    ).delete()
    return deleted


# Membership tiers show inside content pages, which the WSGI page cache keeps whole until the
# content version changes (core/content.py): every change of a tier bumps it, once committed.


def membership_tier_save(*, tier: MembershipTier) -> MembershipTier:
    with transaction.atomic():
        tier.save()
        transaction.on_commit(content_version_bump)
    return tier


def membership_tiers_delete(*, tiers: QuerySet[MembershipTier]) -> int:
    with transaction.atomic():
        deleted, _ = tiers.delete()
        transaction.on_commit(content_version_bump)
    return deleted
