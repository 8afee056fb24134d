import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketamine_association.articles.review import review_reminders


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--today {value!r} is not a date like 2026-05-01", returncode=2
        ) from None


class Command(BaseCommand):
    help = (
        "Mail medical reviewers 30 days before an article's review is due and on the day "
        "(once each); refresh cached pages when a review lapses. The daily job runs this."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: the site's local date)")

    def handle(self, *args, today: str | None = None, **options):
        day = _date(today) if today else timezone.localdate()
        sent = review_reminders(today=day)
        self.stdout.write(f"{sent} review reminder(s) queued for {day.isoformat()}")
