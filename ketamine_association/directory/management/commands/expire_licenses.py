from django.core.management.base import BaseCommand

from ketamine_association.directory.services import verification_expire


class Command(BaseCommand):
    help = (
        "Re-derive the status of verified providers whose license check has expired, so the "
        "search's verified filter and badges drop them (run daily; profiles check live)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{verification_expire()} providers no longer verified")
