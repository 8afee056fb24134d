from django.core.management.base import BaseCommand
from django.utils import timezone

from ketamine_association.newsletter import conf
from ketamine_association.newsletter.services import subscribers_purge


class Command(BaseCommand):
    help = "Erase signups never confirmed after NEWSLETTER_PENDING_DAYS (30) days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="default: 30")

    def handle(self, *args, days, **options):
        days = conf.get("PENDING_DAYS") if days is None else days
        purged = subscribers_purge(now=timezone.now(), days=days)
        self.stdout.write(f"{purged} unconfirmed signup(s) older than {days} days erased")
