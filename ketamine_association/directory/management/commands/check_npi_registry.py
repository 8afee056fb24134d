from django.core.management.base import BaseCommand

from ketamine_association.directory.selectors import providers_due_registry_check
from ketamine_association.directory.services import npi_registry_check


class Command(BaseCommand):
    help = (
        "Look real providers' NPIs up in the NPPES registry (never-checked first) and record an "
        "npi-registry check for each: matched when active and the name agrees. The live API is "
        "asked only with NPI_REGISTRY_LIVE=True; otherwise recorded answers are read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100, help="at most this many (100)")

    def handle(self, *args, limit, **options):
        matched = failed = unavailable = 0
        for provider in providers_due_registry_check(limit=max(limit, 0)):
            check = npi_registry_check(provider=provider)
            if check is None:
                unavailable += 1
                self.stdout.write(self.style.WARNING(f"{provider.npi}: registry unavailable"))
            elif check.passed:
                matched += 1
                self.stdout.write(f"{provider.npi}: matched ({check.detail})")
            else:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{provider.npi}: {check.detail}"))
        self.stdout.write(f"{matched} matched, {failed} not matched, {unavailable} unavailable")
        if unavailable:
            raise SystemExit(1)
