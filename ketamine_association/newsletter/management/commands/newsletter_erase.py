from django.core.management.base import BaseCommand, CommandError

from ketamine_association.newsletter.services import subscriber_erase


class Command(BaseCommand):
    help = "Erase a person: subscriber, deliveries and ledger; one anonymous record stays."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not subscriber_erase(email=email, source="newsletter_erase command"):
            raise CommandError("no subscriber with this address", returncode=1)
        self.stdout.write("erased; the ledger keeps one anonymous record")
