import json
import sys
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.quality import CheckReport, content_check
from ketamine_association.articles.services import UsageError, markdown_files


class Command(BaseCommand):
    help = (
        "Check articles for the defects editors miss, without importing or changing them. "
        "With paths, checks those files; without, every article in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="files or folders of .md files")
        parser.add_argument("--images", type=Path, help="folder of the files for /images/articles/")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--fail-on",
            choices=["error", "warning", "never"],
            default="error",
            help="exit 1 when a finding reaches this severity (default: error)",
        )

    def handle(self, *args, paths, images, format, fail_on, **options):
        if images is not None and not images.is_dir():
            raise CommandError(f"--images {images}: no such folder", returncode=2)
        total = None
        if paths:
            try:
                total = len(markdown_files(paths))
            except (UsageError, OSError) as exc:
                raise CommandError(str(exc), returncode=2) from exc
            if total == 0:
                names = ", ".join(str(p) for p in paths)
                raise CommandError(f"no Markdown (.md) files found in {names}", returncode=2)
        bar = tqdm(total=total, unit="file", file=sys.stderr, disable=not sys.stderr.isatty())
        try:
            report = content_check(
                paths=paths or None,
                images=ImageStore(source=images),
                on_checked=lambda _path: bar.update(1),
            )
        except (UsageError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"cannot read the stored articles ({exc}); run `manage.py migrate`, "
                "or pass the files to check",
                returncode=2,
            ) from exc
        finally:
            bar.close()
        if format == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._text(report)
        if report.reaches(fail_on):
            raise CommandError(f"findings at or above '{fail_on}'", returncode=1)

    def _text(self, report: CheckReport) -> None:
        by_file = defaultdict(list)
        for finding in report.findings:
            by_file[finding.file].append(finding)
        colour = {
            "error": self.style.ERROR,
            "warning": self.style.WARNING,
            "info": self.style.HTTP_INFO,
        }
        for file, findings in by_file.items():
            self.stdout.write(self.style.MIGRATE_HEADING(file))
            for f in findings:
                where = f"{f.line:>5}" if f.line else "    -"
                self.stdout.write(
                    f"  {where}  {colour[f.severity](f'{f.severity:<7}')} {f.code}: {f.message}"
                )
                if f.suggestion:
                    self.stdout.write(f"         suggestion: {f.suggestion}")
        counts = report.counts
        self.stdout.write(
            f"\n{report.checked} checked: {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info"
        )
