"""Writes of the editorial workflow: save a manuscript, move it through the workflow,
publish it through the articles pipeline, and keep files and browser edits from
overwriting each other (the import hook)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.articles.hooks import ImportHook
from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import (
    article_values,
    document_store,
    render_document,
    site_knowledge,
)
from ketamine_association.articles.source import (
    SourceDocument,
    SourceError,
    SourceInvalid,
    parse_frontmatter,
    parse_source,
    source_text,
    split_frontmatter,
)
from ketamine_association.core.content import content_version_bump

from . import workflow
from .models import Manuscript, State, Transition

logger = logging.getLogger(__name__)

# What a new manuscript starts from: the fields every article needs, for the author to fill.
NEW_SOURCE = """---
title: ""
slug: ""
category: ""
author: ""
excerpt: ""
tags: []
---
"""


class WorkflowError(Exception):
    """A transition or save the rules refuse; the message is for the person who tried."""


@dataclass
class Checked:
    """What our pipeline makes of a manuscript's text: the parsed document, or the errors
    that stop it parsing (each with its field and line), and the gate's findings."""

    source: str
    doc: SourceDocument | None = None
    errors: list[SourceError] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    rendered: object | None = None

    @property
    def ok(self) -> bool:
        return self.doc is not None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(f["severity"] == "error" for f in self.findings)

    def article(self, *, images: ImageStore | None = None) -> Article:
        """The unsaved Article the page would show: the very values `publish` stores."""
        published = _aware(self.doc.meta.published_at) or timezone.now()
        values = article_values(
            self.doc, self.rendered, images=images or ImageStore(), published=published
        )
        return Article(**values)


def _aware(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def manuscript_check(source: str, *, slug: str = "") -> Checked:
    """Parse, render and analyse `source` exactly as `import_articles` would a file."""
    checked = Checked(source=source)
    name = Path(f"{slug or 'new-article'}.md")
    try:
        doc = parse_source(source, path=name)
    except SourceInvalid as exc:
        return _invalid(checked, list(exc.errors))
    if doc.meta.KIND == "page":
        line = doc.key_lines.get("path")
        return _invalid(checked, [SourceError("path", line, "site pages are edited as files")])
    from ketamine_association.articles.analysis import analyse

    images = ImageStore()
    rendered = render_document(doc)
    site = site_knowledge(images=images, slugs={doc.meta.slug}, categories=set())
    findings = analyse(doc, rendered, site=site, today=timezone.localdate())
    checked.doc, checked.rendered = doc, rendered
    checked.findings = [
        {
            "code": str(f.code),
            "severity": str(f.severity),
            "line": f.line,
            "message": f.message,
            "suggestion": f.suggestion,
        }
        for f in findings
    ]
    return checked


def _invalid(checked: Checked, errors: list[SourceError]) -> Checked:
    checked.errors = errors
    checked.findings = [
        {"code": "invalid-source", "severity": "error", "line": e.line, "message": _say(e)}
        for e in errors
    ]
    return checked


def _say(error: SourceError) -> str:
    if not error.field or error.message.startswith(f"{error.field}:"):
        return error.message
    return f"{error.field}: {error.message}"


def _slug_hint(source: str) -> str:
    """The slug a text that does not validate yet asks for (a draft may be saved with
    errors): its `slug:`, else its title's."""
    try:
        yaml_text, _, _ = split_frontmatter(source)
        frontmatter, _ = parse_frontmatter(yaml_text)
    except SourceInvalid:
        return ""
    return slugify(str(frontmatter.get("slug") or "")) or slugify(
        str(frontmatter.get("title") or "")
    )


def _slug_problem(slug: str, manuscript: Manuscript | None) -> str:
    others = Manuscript.objects.filter(slug=slug)
    if manuscript is not None and manuscript.pk:
        others = others.exclude(pk=manuscript.pk)
    if others.exists():
        return f"another manuscript has the slug {slug!r}"
    live = Article.objects.filter(slug=slug).values_list("id", flat=True).first()
    own = manuscript.article_id if manuscript is not None else None
    if live is not None and live != own:
        return f"the published article /blog/{slug} has this slug; open it to edit it"
    return ""


def _record(manuscript: Manuscript, *, user, reason: str) -> None:
    manuscript._history_user = user if user is not None and user.is_authenticated else None
    manuscript._change_reason = reason
    manuscript.save()


def _log(manuscript, *, action: str, from_state: str, user, comment: str = "") -> Transition:
    return Transition.objects.create(
        manuscript=manuscript,
        action=action,
        from_state=from_state,
        to_state=manuscript.state,
        user=user if user is not None and user.is_authenticated else None,
        comment=comment,
    )


@transaction.atomic
def manuscript_create(*, user, source: str) -> tuple[Manuscript, Checked]:
    if not workflow.can_create(user):
        raise PermissionDenied("Only authors and editors write articles.")
    checked = manuscript_check(source)
    slug = checked.doc.meta.slug if checked.ok else _slug_hint(source)
    if not slug:
        raise ValidationError({"slug": "Give the article a slug (its address under /blog/)."})
    if problem := _slug_problem(slug, None):
        raise ValidationError({"slug": problem})
    now = timezone.now()
    manuscript = Manuscript(
        slug=slug,
        created_by=user,
        edited_by=user,
        edited_at=now,
        state=State.DRAFT,
    )
    _apply(manuscript, checked)
    _record(manuscript, user=user, reason="created")
    _log(manuscript, action="create", from_state=State.DRAFT, user=user)
    return manuscript, checked


def _apply(manuscript: Manuscript, checked: Checked) -> None:
    manuscript.source = checked.source
    manuscript.findings = checked.findings
    if checked.ok:
        meta = checked.doc.meta
        manuscript.slug = meta.slug
        manuscript.title = meta.title
        manuscript.content_hash = checked.doc.content_hash
    else:
        manuscript.content_hash = ""
        manuscript.slug = manuscript.slug or _slug_hint(checked.source)


@transaction.atomic
def manuscript_save(
    *, manuscript: Manuscript, user, source: str, reason: str = "edited"
) -> Checked:
    """Save a new version of the text (a revision). A change to an approved or published
    manuscript sends it back to draft; the live article keeps its published version."""
    manuscript = Manuscript.objects.select_for_update().get(pk=manuscript.pk)
    if not workflow.can_edit(user, manuscript):
        raise PermissionDenied("You cannot change this manuscript in its present state.")
    checked = manuscript_check(source, slug=manuscript.slug)
    if checked.ok and (problem := _slug_problem(checked.doc.meta.slug, manuscript)):
        raise ValidationError({"slug": problem})
    unchanged = source == manuscript.source
    _apply(manuscript, checked)
    if unchanged:  # findings refreshed (the site may have changed), no new revision
        Manuscript.objects.filter(pk=manuscript.pk).update(findings=manuscript.findings)
        return checked
    before = manuscript.state
    if before in (State.APPROVED, State.PUBLISHED):
        manuscript.state = State.DRAFT
    manuscript.edited_at, manuscript.edited_by = timezone.now(), user
    _record(manuscript, user=user, reason=reason)
    if manuscript.state != before:
        _log(manuscript, action="edit", from_state=before, user=user)
    return checked


def manuscript_for_article(*, article: Article, user) -> Manuscript:
    """The manuscript of a live article, made from it the first time an editor opens it
    (that is not an edit: the file it came from stays importable)."""
    if not workflow.can_open_published(user):
        raise PermissionDenied("Only editors take a published article into the editor.")
    existing = Manuscript.objects.filter(article=article).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        manuscript = Manuscript(
            slug=article.slug,
            article=article,
            state=State.PUBLISHED,
            created_by=None,
            file_synced_at=article.modified_at,
        )
        _apply(
            manuscript,
            manuscript_check(source_text(article.frontmatter, article.body_markdown)),
        )
        _record(manuscript, user=user, reason="opened from the published article")
    return manuscript


@transaction.atomic
def transition(
    *,
    manuscript: Manuscript,
    user,
    action: str,
    comment: str = "",
    publish_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Manuscript:
    """Take `action` (workflow.ACTIONS) on `manuscript` as `user`, or raise
    PermissionDenied / WorkflowError saying why not. Every transition is recorded."""
    manuscript = Manuscript.objects.select_for_update().get(pk=manuscript.pk)
    now = now or timezone.now()
    if not workflow.can(user, action, manuscript):
        raise PermissionDenied(f"You cannot {action.replace('_', ' ')} this manuscript now.")
    step = workflow.ACTIONS[action]
    comment = (comment or "").strip()
    if step.needs_comment and not comment:
        raise WorkflowError("Say what should change: the author reads your comment.")
    before = manuscript.state
    manuscript.publish_at = None  # only an approval with a future date schedules
    if action == "approve":
        _approve(manuscript, user=user, publish_at=publish_at, now=now)
    elif action == "publish":
        _go_live(manuscript, now=now)
    elif action == "archive" and manuscript.article_id:
        _unpublish(manuscript)
    manuscript.state = step.target
    _record(manuscript, user=user, reason=action)
    _log(manuscript, action=action, from_state=before, user=user, comment=comment)
    if action == "approve" and manuscript.publish_at and manuscript.publish_at > now:
        transaction.on_commit(lambda: _schedule(manuscript.publish_at))
    return manuscript


def _approve(manuscript: Manuscript, *, user, publish_at, now) -> None:
    checked = manuscript_check(manuscript.source, slug=manuscript.slug)
    if not checked.ok or checked.has_errors:
        manuscript.findings = checked.findings
        Manuscript.objects.filter(pk=manuscript.pk).update(findings=checked.findings)
        raise WorkflowError("The quality gate reports errors: they must be fixed first.")
    profile = getattr(user, "reviewer_profile", None)
    if profile is None:
        raise WorkflowError(
            "Your account has no reviewer profile, so the page could not name you as its "
            "medical reviewer: ask an administrator to link one."
        )
    frontmatter = dict(checked.doc.frontmatter)
    frontmatter["reviewedBy"] = str(profile)
    frontmatter["lastReviewed"] = timezone.localdate(now)
    frontmatter.pop("reviewDue", None)  # the new review's default: 12 months on
    if publish_at is not None:
        frontmatter["publishedAt"] = publish_at.astimezone(dt.UTC).replace(microsecond=0)
    text = source_text(frontmatter, checked.doc.body)
    approved = manuscript_check(text, slug=manuscript.slug)
    _apply(manuscript, approved)
    going_live = _aware(approved.doc.meta.published_at)
    manuscript.publish_at = going_live if going_live and going_live > now else None


def _go_live(manuscript: Manuscript, *, now: dt.datetime) -> Article:
    checked = manuscript_check(manuscript.source, slug=manuscript.slug)
    if not checked.ok:
        raise WorkflowError("The text no longer parses; it cannot go live.")
    planned = _aware(checked.doc.meta.published_at)
    if planned is not None and planned > now:  # "Publish now" before a scheduled time
        frontmatter = dict(checked.doc.frontmatter)
        frontmatter["publishedAt"] = now.astimezone(dt.UTC).replace(microsecond=0)
        checked = manuscript_check(source_text(frontmatter, checked.doc.body), slug=manuscript.slug)
        _apply(manuscript, checked)
    images = ImageStore()
    outcome = document_store(
        doc=checked.doc,
        images=images,
        site=site_knowledge(images=images, slugs={checked.doc.meta.slug}, categories=set()),
        from_browser=True,
        existing_id=manuscript.article_id,
    )
    if outcome.failed:
        raise WorkflowError("; ".join(_say(e) for e in outcome.errors))
    article = Article.objects.get(slug=checked.doc.meta.slug)
    manuscript.article = article
    transaction.on_commit(content_version_bump)
    return article


def _unpublish(manuscript: Manuscript) -> None:
    """Archiving a published article takes it off the site; its text stays here."""
    Article.objects.filter(pk=manuscript.article_id).delete()
    manuscript.article = None
    transaction.on_commit(content_version_bump)


def _schedule(at: dt.datetime) -> None:
    from .tasks import publish_scheduled_task

    try:
        publish_scheduled_task.using(run_after=at).enqueue()
    except Exception:  # a queue that cannot delay: the daily job and the command publish it
        logger.warning("scheduled publication not queued; the daily job will publish it")


def publish_due(*, now: dt.datetime | None = None) -> list[Manuscript]:
    """Publish every approved manuscript whose time has come (scheduled publishing). One
    that fails is logged and left approved; the others still go live."""
    now = now or timezone.now()
    published = []
    due = Manuscript.objects.filter(state=State.APPROVED, publish_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                manuscript = Manuscript.objects.select_for_update().get(pk=pk)
                if manuscript.state != State.APPROVED:  # changed since: it waits
                    continue
                _go_live(manuscript, now=now)
                manuscript.state, manuscript.publish_at = State.PUBLISHED, None
                _record(manuscript, user=None, reason="published at its scheduled time")
                _log(
                    manuscript,
                    action="publish",
                    from_state=State.APPROVED,
                    user=None,
                    comment="scheduled",
                )
                published.append(manuscript)
        except Exception as exc:  # noqa: BLE001 - one failure must not hold the others
            logger.error("scheduled publication of manuscript %s failed: %s", pk, exc)
    return published


# Files and browser together: the import hook (articles/hooks.py).


def _manuscript_of(doc: SourceDocument, existing: Article | None) -> Manuscript | None:
    if existing is not None:
        found = Manuscript.objects.filter(article_id=existing.id).first()
        if found is not None:
            return found
    return Manuscript.objects.filter(slug=doc.meta.slug).first()


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def _archived_at(manuscript: Manuscript) -> dt.datetime | None:
    step = manuscript.transitions.filter(to_state=State.ARCHIVED).first()
    return step.at if step else None


def import_refusal(doc: SourceDocument, existing: Article | None, force: bool) -> str | None:
    manuscript = _manuscript_of(doc, existing)
    if manuscript is None:
        return None
    if manuscript.state == State.ARCHIVED and not force:
        return (
            f"archived in the browser at {_when(_archived_at(manuscript))}:"
            " not imported, the article stays off the site. Restore it in the editor, or "
            "import with --force to publish the file."
        )
    if manuscript.content_hash == doc.content_hash:
        return None
    browser_changed = manuscript.edited_at is not None and (
        manuscript.file_synced_at is None or manuscript.edited_at > manuscript.file_synced_at
    )
    if not browser_changed or force:
        return None
    return (
        f"changed in the browser at {_when(manuscript.edited_at)} after its last import at "
        f"{_when(manuscript.file_synced_at)}: not imported, the browser's version stays. "
        "Export it (export_articles) and merge, or import with --force to replace it "
        "(the browser's version is kept as a revision)."
    )


def import_stored(doc: SourceDocument, article_id: int, force: bool) -> None:
    """The file's version is live: the manuscript (if the article has one) follows it, its
    browser version kept in the revisions."""
    article = Article(id=article_id, slug=doc.meta.slug)
    manuscript = _manuscript_of(doc, article)
    if manuscript is None:
        return
    before = manuscript.state
    manuscript.article_id = article_id
    manuscript.state = State.PUBLISHED
    manuscript.file_synced_at = timezone.now()
    _apply(manuscript, manuscript_check(source_text(doc.frontmatter, doc.body)))
    reason = "imported from a file with --force" if force else "imported from a file"
    _record(manuscript, user=None, reason=reason)
    if before != State.PUBLISHED:
        _log(manuscript, action="import", from_state=before, user=None, comment=reason)


def articles_exported(slugs: list[str]) -> None:
    """`export_articles` wrote the live versions out: where a manuscript is what is live
    (published, no edit pending), the files and the browser agree again, so an edit of the
    exported file imports (export, edit, import is the way to merge)."""
    Manuscript.objects.filter(state=State.PUBLISHED, article__slug__in=slugs).update(
        file_synced_at=timezone.now()
    )


def import_watched() -> tuple[set[int], set[str]]:
    """The articles and slugs that have a manuscript: the only files the hook has a say over
    (read once for a batch of files)."""
    rows = Manuscript.objects.values_list("article_id", "slug")
    return {a for a, _ in rows if a is not None}, {slug for _, slug in rows}


IMPORT_HOOK = ImportHook(
    refuse=import_refusal,
    stored=import_stored,
    exported=articles_exported,
    watched=import_watched,
)
