"""A manuscript's revisions (django-simple-history's records): list them, compare any two
line by line, and restore one. A restore never rewrites history: it saves the old text as a
NEW revision through `services.manuscript_save`, so the workflow's rules apply as to any
edit (who may change the text in which state; a published manuscript goes back to draft
and the live article keeps serving its published version until approved again)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import services
from .models import Manuscript

RESTORED = "restored revision {id} of {date}"


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: `kind` is "hunk" (a @@ header), "context", "removed" or
    "added"; the line numbers are those of the older and the newer text (None when the line
    is not in that text). `text` is raw: the template escapes it."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


def revisions_of(manuscript: Manuscript):
    """Every revision of `manuscript`, newest first."""
    return manuscript.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )


def revision_of(manuscript: Manuscript, history_id: int):
    """The revision `history_id` of this manuscript (DoesNotExist for another's)."""
    return manuscript.history.get(history_id=history_id)


def revision_diff(older: str, newer: str, *, context: int = 3) -> list[DiffLine]:
    """The line-by-line difference from `older` to `newer` (empty when they are equal)."""
    a, b = older.splitlines(), newer.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        lines.append(DiffLine("hunk", None, None, header))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("context", i + 1, j + 1, a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


@transaction.atomic
def revision_restore(manuscript: Manuscript, history_id: int, user) -> services.Checked:
    """Save the text of revision `history_id` as the manuscript's new version, as `user`.
    Raises the model's DoesNotExist for a revision of another manuscript, PermissionDenied
    when `user` may not edit the manuscript now, ValidationError for a slug taken since.
    When the text is already the current one nothing is saved (no new revision)."""
    record = revision_of(manuscript, history_id)
    when = timezone.localtime(record.history_date)
    reason = RESTORED.format(id=record.history_id, date=f"{when:%Y-%m-%d %H:%M}")
    checked = services.manuscript_save(
        manuscript=manuscript, user=user, source=record.source, reason=reason
    )
    return checked
