from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from ketamine_association.core.backup import BackupError, database_backup


class Command(BaseCommand):
    help = (
        "Back up the database to PATH while the site runs: SQLite's online backup API, or "
        "pg_dump's custom format on PostgreSQL. The file is verified before it takes its place."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, path, force, database, **options):
        try:
            result = database_backup(target=path, using=database, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Backed up {result.engine} database {result.database!r} to {result.path}: "
                f"{result.size:,} bytes, {result.tables} tables"
            )
