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
        lines = [(n, self.stderr, message) for n, message in report.errors] + [
            (n, self.stdout, f"{email} is already known, left unchanged")
            for n, email in report.skipped
        ]
        for number, stream, message in sorted(lines, key=lambda line: line[0]):
            stream.write(f"row {number}: {message}")
        self.stdout.write(
            f"{report.imported} imported, {len(report.skipped)} already known, "
            f"{len(report.errors)} bad row(s)"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} bad row(s) not imported", returncode=1)
