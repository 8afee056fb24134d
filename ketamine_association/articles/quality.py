"""The content quality gate: the pipeline's analysis step run without storing anything.

`content_check` reads files (or, without paths, the stored articles), renders each, and
returns every finding. It never writes to the database and never changes a source file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from .analysis import Finding, SiteKnowledge, analyse, slug_duplicate
from .choices import FindingCode, Severity
from .images import ImageStore
from .models import Article, Page
from .services import (
    fork_pool,
    import_workers,
    markdown_files,
    pool_worth_it,
    render_document,
    site_knowledge,
)
from .source import SourceDocument, SourceInvalid, content_hash, load_source, validate


@dataclass
class CheckReport:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(f.severity for f in self.findings)
        return {level: counter.get(level, 0) for level in ("error", "warning", "info")}

    def reaches(self, level: str) -> bool:
        """True when a finding is at `level` or above ("never" is never reached)."""
        if level == "never":
            return False
        floor = Severity(level).rank
        return any(Severity(f.severity).rank >= floor for f in self.findings)

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "findings": [f.as_dict() for f in self.findings],
            "counts": self.counts,
        }


def _invalid(path: Path, exc: SourceInvalid) -> Finding:
    first = exc.errors[0]
    detail = "; ".join(f"{e.message} (line {e.line})" if e.line else e.message for e in exc.errors)
    code = FindingCode.FRONTMATTER_INVALID
    return Finding(code, code.severity, detail, first.line, "", str(path), "")


def _stored_documents() -> Iterable[SourceDocument]:
    rows = Article.objects.values_list(
        "slug", "frontmatter_json", "source_lines", "body_markdown", "body_line", "source_path"
    )
    for slug, frontmatter_json, lines, body, body_line, source_path in rows.iterator():
        frontmatter = json.loads(frontmatter_json)
        meta = validate(frontmatter, lines or {}, default_slug=slug)
        yield SourceDocument(
            path=source_path or f"/blog/{slug}",
            meta=meta,
            frontmatter=frontmatter,
            key_lines=lines or {},
            body=body,
            body_line=body_line,
            content_hash=content_hash(frontmatter, body),
        )
    pages = Page.objects.values_list(
        "path", "frontmatter_json", "source_lines", "body_markdown", "body_line", "source_path"
    )
    for path, frontmatter_json, lines, body, body_line, source_path in pages.iterator():
        frontmatter = json.loads(frontmatter_json)
        yield SourceDocument(
            path=source_path or path,
            meta=validate(frontmatter, lines or {}, default_slug=""),
            frontmatter=frontmatter,
            key_lines=lines or {},
            body=body,
            body_line=body_line,
            content_hash=content_hash(frontmatter, body),
        )


def content_check(
    *,
    paths: list[Path] | None,
    images: ImageStore,
    on_checked: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> CheckReport:
    """Check the files under `paths` (without importing), or every stored article; files in
    a pool of `workers` processes (default: as the import) when there are enough of them."""
    report = CheckReport()
    today = timezone.now().date()
    files = markdown_files(paths) if paths else []

    # First pass: validate every file, so slugs and categories of the batch are known and
    # duplicate slugs are found before any link is judged.
    valid: list[Path] = []
    claims: dict[str, list[Path]] = defaultdict(list)
    slugs: set[str] = set()
    categories: set[str] = set()
    pages: set[str] = set()
    for path in files:
        try:
            doc = load_source(path)
        except SourceInvalid as exc:
            report.checked += 1
            report.findings.append(_invalid(path, exc))
            if on_checked:
                on_checked(str(path))
            continue
        valid.append(path)
        claims[doc.meta.slug].append(path)
        if doc.meta.KIND == "page":
            pages.add(doc.meta.path)
        else:
            slugs.add(doc.meta.slug)
            categories.add(doc.meta.category)
    site = site_knowledge(images=images, slugs=slugs, categories=categories, pages=pages)
    context = _Gate(site, today, claims)

    if paths:
        workers = import_workers() if workers is None else workers
        checked = _checked_files(valid, context, workers=workers)
    else:
        checked = ((doc.path, context.findings(doc)) for doc in _stored_documents())
    for name, findings in checked:
        report.checked += 1
        report.findings.extend(findings)
        if on_checked:
            on_checked(name)
    report.findings.sort(key=lambda f: (f.file, f.line or 0, f.code))
    return report


@dataclass(frozen=True)
class _Gate:
    """What judging one document needs: the site, the day and who claims each slug."""

    site: SiteKnowledge
    today: dt.date
    claims: dict[str, list[Path]]

    def findings(self, doc: SourceDocument) -> list[Finding]:
        found = analyse(doc, render_document(doc), site=self.site, today=self.today)
        owners = self.claims.get(doc.meta.slug, [])
        if len(owners) > 1 and Path(doc.path) != owners[0]:
            found.append(slug_duplicate(doc, owner=str(owners[0])))
        return found

    def file(self, path: Path) -> tuple[str, list[Finding]]:
        try:  # second read: the file may have changed or vanished since the first
            doc = load_source(path)
        except SourceInvalid as exc:
            return str(path), [_invalid(path, exc)]
        return doc.path, self.findings(doc)


_GATE: _Gate | None = None  # inherited by the pool's workers when it forks


def _check_file(path: Path) -> tuple[str, list[Finding]]:
    return _GATE.file(path)


def _checked_files(
    paths: list[Path], gate: _Gate, *, workers: int
) -> Iterator[tuple[str, list[Finding]]]:
    """(file, findings) for each file in order: in a pool of forked workers when there are
    as many files as make a pool worth its start (the import's rule), else here."""
    global _GATE
    if not pool_worth_it(len(paths), workers):
        yield from map(gate.file, paths)
        return
    _GATE = gate
    try:
        with fork_pool(workers) as pool:
            yield from pool.imap(_check_file, paths, chunksize=8)
    finally:
        _GATE = None
