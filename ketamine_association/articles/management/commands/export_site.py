import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketamine_association.articles.export import default_workers, site_export


class Command(BaseCommand):
    help = (
        "Write every public page of the blog as static files (a second run rewrites only changes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes rendering pages (default: one per core)",
        )

    def handle(self, *args, directory: Path, workers: int | None, **options):
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a folder", returncode=2)
        with tqdm(unit="page", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:

            def total(pages: int) -> None:  # the export counts the pages once, for both
                bar.total = pages
                bar.refresh()

            report = site_export(
                directory=directory,
                on_progress=lambda _p: bar.update(1),
                on_total=total,
                workers=max(1, workers) if workers else default_workers(),
            )
        for path, status in report.failed:
            self.stderr.write(f"  {path}: answered {status}, not exported")
        self.stdout.write(
            f"{report.pages} files in {directory}: {report.written} written, "
            f"{report.unchanged} unchanged, {report.removed} removed"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} page(s) could not be exported", returncode=1)
