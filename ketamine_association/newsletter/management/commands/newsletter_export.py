import contextlib
import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketamine_association.newsletter.choices import CSV_COLUMNS
from ketamine_association.newsletter.selectors import subscriber_export_rows


class Command(BaseCommand):
    help = "Write every subscriber to a CSV file (`-`: standard output), in the import's columns."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file to write, or - for standard output")

    def handle(self, *args, file, **options):
        try:
            target = (
                contextlib.nullcontext(sys.stdout)
                if file == "-"
                else Path(file).open("w", newline="", encoding="utf-8")  # noqa: SIM115
            )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}", returncode=2) from exc
        count = 0
        with target as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for row in subscriber_export_rows():
                writer.writerow(row)
                count += 1
        if file != "-":
            self.stdout.write(f"{count} subscriber(s) written to {file}")
