import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from ketamine_association.practitioners.choices import LICENSE_REMINDER_DAYS
from ketamine_association.practitioners.services import license_reminders_send


class Command(BaseCommand):
    help = (
        f"Mail each listing's owner once {LICENSE_REMINDER_DAYS} days or less before the license "
        "on file expires, and once when it has expired (run daily; each mail is sent once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="The day to run for, YYYY-MM-DD (default: today).")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today {today!r}: give a date as YYYY-MM-DD") from exc
        self.stdout.write(f"{license_reminders_send(today=day)} license reminders sent")
