"""Other apps' say in an import, without the articles app importing them.

The editorial app (browser editing) registers one hook in its AppConfig.ready(): before a
file's new version is stored it may refuse it (the article was changed in the browser after
its last import), and once stored, inside the same transaction, it learns what went live so
its working copy follows the file. An import from files and a publication from the browser
both store through `services.document_store`, so the rule has one home."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Article
    from .source import SourceDocument


@dataclass(frozen=True)
class ImportHook:
    # Why this file must not replace what is stored (None: it may), given the stored article
    # (None: a new slug) and whether the import was forced.
    refuse: Callable[[SourceDocument, Article | None, bool], str | None]
    # Called inside the store's transaction once the file's version is stored.
    stored: Callable[[SourceDocument, int, bool], None]


_HOOKS: list[ImportHook] = []


def register_import_hook(hook: ImportHook) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def import_refusal(doc: SourceDocument, existing: Article | None, *, force: bool) -> str | None:
    for hook in _HOOKS:
        if message := hook.refuse(doc, existing, force):
            return message
    return None


def import_stored(doc: SourceDocument, article_id: int, *, force: bool) -> None:
    for hook in _HOOKS:
        hook.stored(doc, article_id, force)
