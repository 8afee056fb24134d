import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketamine_association.newsletter.services import subscribers_import

REQUIRED = ("email", "consent_source")


class Command(BaseCommand):
    help = (
        "Import subscribers from CSV (columns: email, consent_source, and optionally "
        "first_name, interests, status, consent_version, subscribed_at). Every row needs the "
        "source of its consent. Bad rows are reported by number (the header is row 1); known "
        "addresses are left unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            handle = file.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}", returncode=2) from exc
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"{file}: missing column(s) {', '.join(missing)}", returncode=2)
            try:
                report = subscribers_import(
                    rows=((number, row) for number, row in enumerate(reader, start=2)),
                    file_name=file.name,
                )
            except (csv.Error, UnicodeDecodeError) as exc:
                raise CommandError(f"{file}: not a readable UTF-8 CSV file: {exc}", 2) from exc
        for outcome in report.outcomes:
            if outcome.failed:
                self.stderr.write(f"{outcome.source}: {outcome.errors[0]}")
            elif outcome.status == "skipped":
                self.stdout.write(
                    f"{outcome.source}: {outcome.key} is already known, left unchanged"
                )
        failed = len(report.failed)
        self.stdout.write(
            f"{report.count('imported')} imported, {report.count('skipped')} already known, "
            f"{failed} bad row(s)"
        )
        if failed:
            raise CommandError(f"{failed} bad row(s) not imported", returncode=1)
