import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.services import (
    IMPORT_BATCH,
    UsageError,
    article_import_paths,
    import_summary,
    markdown_files,
)
from ketamine_association.core.reports import Outcome


class Command(BaseCommand):
    help = "Import Markdown articles with YAML frontmatter (files or folders of .md files)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="files or folders of .md files")
        parser.add_argument("--images", type=Path, help="folder of the files for /images/articles/")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object")
        parser.add_argument(
            "--force",
            action="store_true",
            help="import files even where the article was changed in the browser since its "
            "last import (the browser's version is kept as a revision)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"files stored per transaction (default {IMPORT_BATCH})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes that read, render and check the files (default: one a CPU core)",
        )

    def handle(self, *args, paths, images, as_json, force, batch_size, workers, **options):
        if images is not None and not images.is_dir():
            raise CommandError(f"--images {images}: no such folder", returncode=2)
        if (batch_size is not None and batch_size < 1) or (workers is not None and workers < 1):
            raise CommandError("--batch-size and --workers must be at least 1", returncode=2)
        try:
            total = len(markdown_files(paths))
        except UsageError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        verbosity = options["verbosity"]
        bar = tqdm(total=total, unit="file", file=sys.stderr, disable=not sys.stderr.isatty())

        def progress(outcome: Outcome) -> None:
            bar.update(1)
            if not as_json and verbosity > 0:
                if bar.disable:
                    self.stdout.write(self._line(outcome))
                else:
                    bar.write(self._line(outcome), file=sys.stdout)

        report = article_import_paths(
            paths=paths,
            images=ImageStore(source=images),
            on_outcome=progress,
            force=force,
            batch_size=batch_size,
            workers=workers,
        )
        bar.close()
        if as_json:
            self.stdout.write(json.dumps(import_summary(report), ensure_ascii=False))
        else:
            findings = sum(len(o.findings) for o in report.outcomes)
            self.stdout.write(
                f"{report.count('imported')} imported, {report.count('updated')} updated, "
                f"{report.count('unchanged')} unchanged, {len(report.failed)} failed; "
                f"{findings} findings"
            )
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) failed to import", returncode=1)

    def _line(self, outcome: Outcome) -> str:
        style = {"failed": self.style.ERROR, "unchanged": str}.get(
            outcome.status, self.style.SUCCESS
        )
        text = f"{outcome.status:>9}  {outcome.source}"
        if outcome.key and outcome.status != "failed":
            # a page's key is its path; an article's is its slug
            address = outcome.key if outcome.key.startswith("/") else f"/blog/{outcome.key}"
            text += f"  -> {address}"
        lines = [style(text)]
        for error in outcome.errors:
            where = f"line {error.line}" if error.line else "file"
            lines.append(f"           {where}: {error.message}")
        for finding in outcome.findings:
            where = f"line {finding.line}" if finding.line else "     "
            lines.append(
                f"           {where} [{finding.severity}] {finding.code}: {finding.message}"
            )
        return "\n".join(lines)
