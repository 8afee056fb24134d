"""Other apps' say in an import, without the articles app importing them.

The editorial app (browser editing) registers one hook in its AppConfig.ready(): before a
file's new version is stored it may refuse it (the article was changed in the browser after
its last import), and once stored, inside the same transaction, it learns what went live so
its working copy follows the file. An import from files and a publication from the browser
both store through `services.document_store`, so the rule has one home."""

from __future__ import annotations

from collections.abc import Callable, Collection
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
    # Called after `export_articles` wrote these articles' live versions out as files: the
    # files and the site agree again (a later edit of the file is not a conflict).
    exported: Callable[[list[str]], None] = lambda slugs: None
    # Optional, for an import of many files: the stored articles (ids) and slugs the hook
    # has a say over, read once for a batch (import_scope). For a file whose slug and
    # stored article are in neither, `refuse` would return None and `stored` do nothing, so
    # neither is called. None: both are called for every file.
    watched: Callable[[], tuple[Collection[int], Collection[str]]] | None = None


@dataclass(frozen=True)
class ImportScope:
    """What each hook watches, read once for a batch of files (import_scope)."""

    watched: tuple[tuple[ImportHook, tuple[Collection[int], Collection[str]] | None], ...]

    def hooks(self, slug: str, article_id: int | None) -> list[ImportHook]:
        return [
            hook
            for hook, seen in self.watched
            if seen is None or slug in seen[1] or (article_id is not None and article_id in seen[0])
        ]


_HOOKS: list[ImportHook] = []


def register_import_hook(hook: ImportHook) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def import_scope() -> ImportScope:
    """Each hook's watched articles, read once (inside the batch's transaction)."""
    return ImportScope(
        tuple((hook, hook.watched() if hook.watched is not None else None) for hook in _HOOKS)
    )


def import_refusal(
    doc: SourceDocument,
    existing: Article | None,
    *,
    force: bool,
    scope: ImportScope | None = None,
) -> str | None:
    hooks = _HOOKS if scope is None else scope.hooks(doc.meta.slug, existing and existing.id)
    for hook in hooks:
        if message := hook.refuse(doc, existing, force):
            return message
    return None


def import_stored(
    doc: SourceDocument, article_id: int, *, force: bool, scope: ImportScope | None = None
) -> None:
    hooks = _HOOKS if scope is None else scope.hooks(doc.meta.slug, article_id)
    for hook in hooks:
        hook.stored(doc, article_id, force)


def articles_exported(slugs: list[str]) -> None:
    for hook in _HOOKS:
        hook.exported(slugs)
