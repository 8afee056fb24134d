"""What an import did, item by item: the one report every import of the platform returns
(articles and pages from Markdown files, providers and subscribers from CSV rows).

An item is a file or a spreadsheet row; its outcome says what became of it and, when it
failed, why, located in the source (a line and key of a file, a row and column of a sheet).
The commands print or serialise a report in their own documented shapes; the counting and
the failure rules live here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    source: str  # the file's path, or "row N" as a spreadsheet numbers it (the header is row 1)
    status: str  # what the import did: e.g. imported, created, updated, unchanged, skipped, failed
    key: str | None = None  # what the item is stored under: a slug, an NPI, an address
    errors: tuple = ()  # why it failed (SourceError, RowError): each names where in the source
    findings: tuple = ()  # what the quality gate said of an imported file

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the whole input, e.g. a column

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    def count(self, status: str) -> int:
        return self.counts[status]

    @property
    def counts(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.failed]

    @property
    def errors(self) -> list:
        """Every error of every failed item, in the order of the source."""
        return [error for outcome in self.outcomes for error in outcome.errors]

    @property
    def changed(self) -> bool:
        """Whether anything stored changed (a cache to bump, a version to raise)."""
        return any(o.status not in ("unchanged", "skipped", FAILED) for o in self.outcomes)
