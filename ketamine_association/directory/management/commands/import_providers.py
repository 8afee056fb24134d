import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketamine_association.directory.services import (
    ImportUsageError,
    import_summary,
    provider_import_csv,
)


class Command(BaseCommand):
    help = (
        "Import providers from a CSV file (UTF-8, header row). Every row is validated; good "
        "rows are imported (upsert on NPI), bad rows reported with row, column and reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the CSV file")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object")

    def handle(self, *args, path, as_json, **options):
        try:
            report = provider_import_csv(path=path)
        except ImportUsageError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        summary = import_summary(report)
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            for warning in report.warnings:
                self.stdout.write(self.style.WARNING(f"warning: {warning}"))
            for error in report.errors:
                self.stdout.write(self.style.ERROR(str(error)))
            self.stdout.write(
                "{rows} rows: {created} created, {updated} updated, {unchanged} unchanged, "
                "{failed} failed".format(**summary)
            )
        if report.failed:
            raise CommandError(f"{summary['failed']} row(s) failed to import", returncode=1)
