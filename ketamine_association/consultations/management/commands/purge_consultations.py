from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from ketamine_association.consultations.services.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Delete consultation requests past their retention, with their access log: "
        "CONSULTATION_RETENTION_DAYS_AFTER_FINISHED days after they were finished, "
        "CONSULTATION_RETENTION_DAYS days after they were sent (also a daily job)."
    )

    def handle(self, *args, **options):
        deleted = purge_expired(now=timezone.now())
        self.stdout.write(
            f"{deleted} consultation request(s) deleted: finished over "
            f"{settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED} days ago, or sent over "
            f"{settings.CONSULTATION_RETENTION_DAYS} days ago"
        )
