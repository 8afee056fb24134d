from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketamine_association.articles.services import article_export


class Command(BaseCommand):
    help = (
        "Write every article (one file per slug) and site page (under pages/) back as "
        "Markdown with its frontmatter."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, directory: Path, **options):
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a folder", returncode=2)
        written = article_export(directory=directory)
        self.stdout.write(f"{len(written)} file(s) written to {directory}")
