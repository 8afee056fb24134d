"""Medical review: the one home of its rules (who reviewed, when the next review is due,
whether a review has lapsed) and of the daily job that reminds reviewers.

An article's frontmatter names its reviewer as the page shows them ("Jane Doe, MD, PhD"),
the date of the review and, optionally, when the next one is due (default: 12 months later).
A Reviewer profile is matched by name: the part before the first comma, compared
case-insensitively (`reviewer_key`)."""

from __future__ import annotations

import calendar
import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

REVIEW_PERIOD_MONTHS = 12
REMIND_DAYS_BEFORE = 30
JOB_NAME = "articles: remind medical reviewers"


def split_reviewed_by(value: str) -> tuple[str, str]:
    """ "Jane Doe, MD, PhD" -> ("Jane Doe", "MD, PhD")."""
    name, _, credentials = (value or "").partition(",")
    return " ".join(name.split()), credentials.strip()


def reviewer_key(name: str) -> str:
    """What a name is matched by: the part before the first comma, whitespace collapsed,
    case folded."""
    return split_reviewed_by(name)[0].casefold()


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def default_review_due(last_reviewed: dt.date) -> dt.date:
    return add_months(last_reviewed, REVIEW_PERIOD_MONTHS)


def review_lapsed(review_due: dt.date | None, *, today: dt.date) -> bool:
    """A review has lapsed once its due date has passed (the day itself is still in time)."""
    return review_due is not None and today > review_due


def review_reminders(*, today: dt.date) -> int:
    """Once per article and due date: mail its reviewer 30 days before and on the day (or
    the first run after it), and bump the content version the first run after a review
    lapses, so cached pages show the banner and the noindex. Returns the mails queued."""
    from ketamine_association.core.content import content_version_bump
    from ketamine_association.core.mail import send_transactional
    from ketamine_association.core.seo import absolute

    from .models import Article, Reviewer, ReviewReminder

    horizon = today + dt.timedelta(days=REMIND_DAYS_BEFORE)
    due = Article.objects.filter(review_due__isnull=False, review_due__lte=horizon).only(
        "id", "slug", "title", "reviewed_by", "reviewer_key", "last_reviewed", "review_due"
    )
    emails = dict(
        Reviewer.objects.exclude(email="")
        .filter(name_key__in={a.reviewer_key for a in due if a.reviewer_key})
        .values_list("name_key", "email")
    )
    sent = 0
    lapsed = False
    for article in due.order_by("review_due", "slug"):
        if review_lapsed(article.review_due, today=today):
            _, created = ReviewReminder.objects.get_or_create(
                article=article, kind=ReviewReminder.Kind.LAPSED, review_due=article.review_due
            )
            lapsed = lapsed or created
        kind = ReviewReminder.Kind.DUE if today >= article.review_due else ReviewReminder.Kind.SOON
        email = emails.get(article.reviewer_key)
        if not email:
            continue  # nothing to mail; the admin's review queue still lists it
        with transaction.atomic():
            _, created = ReviewReminder.objects.get_or_create(
                article=article, kind=kind, review_due=article.review_due
            )
            if not created:
                continue
            try:
                send_transactional(
                    to=email,
                    subject=_subject(kind, article),
                    text=_text(kind, article, url=absolute(article.get_absolute_url())),
                )
            except ValueError:  # a malformed address: logged without it, tried again tomorrow
                logger.warning("review reminder for article %s: bad address", article.id)
                transaction.set_rollback(True)
                continue
        sent += 1
    if lapsed:
        content_version_bump()
    return sent


def _subject(kind: str, article) -> str:
    title = " ".join(article.title.split())[:150]
    if kind == "soon":
        return f"Medical review due on {article.review_due:%B %-d, %Y}: {title}"
    return f"Medical review due now: {title}"


def _text(kind: str, article, *, url: str) -> str:
    name, _ = split_reviewed_by(article.reviewed_by)
    when = (
        f"is due on {article.review_due:%B %-d, %Y}"
        if kind == "soon"
        else f"was due on {article.review_due:%B %-d, %Y}"
    )
    last = f"{article.last_reviewed:%B %-d, %Y}" if article.last_reviewed else "not recorded"
    lapse = (
        "Until it is reviewed again, the article shows a notice that it is due for medical "
        "review and is left out of search engines."
        if kind == "due"
        else "After that date the article shows a notice and is left out of search engines "
        "until it is reviewed again."
    )
    return (
        f"Hello {name or 'there'},\n\n"
        f'The medical review of "{article.title}" {when}.\n'
        f"Last reviewed: {last}\n"
        f"Article: {url}\n\n"
        f"{lapse}\n\n"
        "Please send your review to the editors; they update lastReviewed in the article.\n"
    )


def run_daily(now: dt.datetime) -> int:
    """The daily job (core.schedule): today is the site's local date."""
    return review_reminders(today=timezone.localdate(now))
