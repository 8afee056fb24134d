import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from ketamine_association.core.backup import BackupError, database_restore


class Command(BaseCommand):
    help = (
        "Replace the database with the backup in PATH (written by `manage.py backup`). "
        "Everything in the current database is overwritten: pass --yes, or confirm on a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file to restore")
        parser.add_argument("--yes", action="store_true", help="overwrite without asking")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, path, yes, database, **options):
        if not yes:
            self._confirm(path=path, using=database)
        try:
            result = database_restore(source=path, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Restored {result.source} into {result.engine} database {result.database!r}: "
                f"{result.tables} tables"
            )

    def _confirm(self, *, path: Path, using: str) -> None:
        name = connections[using].settings_dict["NAME"]
        question = f"This replaces everything in database {str(name)!r} with {path}."
        if not sys.stdin.isatty():
            raise CommandError(f"{question} Pass --yes to confirm; nothing was changed.")
        answer = input(f"{question}\nType 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            raise CommandError(f"Restore of {path} cancelled; nothing was changed.")
