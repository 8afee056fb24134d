import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketamine_association.directory.services import provider_seed, provider_table_analyze


class Command(BaseCommand):
    help = "Add N fictional providers (marked as demo data) over real US ZIP codes."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many providers")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction")

    def handle(self, *args, count, seed, batch_size, **options):
        if count < 0 or batch_size < 1:
            raise CommandError("--count must be 0 or more and --batch-size 1 or more", returncode=2)
        bar = tqdm(total=count, unit="provider", file=sys.stderr, disable=not sys.stderr.isatty())
        result = provider_seed(count=count, seed=seed, batch_size=batch_size, on_batch=bar.update)
        bar.close()
        provider_table_analyze()
        if options["verbosity"] > 0:
            rate = result.created / result.seconds if result.seconds else 0
            self.stdout.write(
                f"{result.created:,} demo providers created in {result.seconds:.1f} s "
                f"({rate:,.0f}/s)"
            )
