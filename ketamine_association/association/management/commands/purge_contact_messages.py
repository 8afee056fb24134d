from django.core.management.base import BaseCommand
from django.utils import timezone

from ketamine_association.association.choices import RETENTION_MONTHS
from ketamine_association.association.services import contact_purge


class Command(BaseCommand):
    help = f"Delete contact messages closed {RETENTION_MONTHS} months ago or earlier (cron: daily)."

    def handle(self, *args, **options):
        deleted = contact_purge(now=timezone.now())
        self.stdout.write(
            f"{deleted} contact message(s) closed over {RETENTION_MONTHS} months ago deleted"
        )
