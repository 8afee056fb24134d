"""The browser side of publishing: an article as its editors write it (a Manuscript: the
Markdown file, frontmatter and body, exactly what `import_articles` would read), the
workflow state it is in, every saved version (django-simple-history) and every transition.

What the public sees is never a manuscript: it is the Article row that `publish` (or a file
import) stores through the one pipeline, so a draft cannot reach a page, a feed, search, the
sitemap or the static export by construction, and a published article being edited keeps
serving its published version until the edit is approved and published."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from ketamine_association.articles.models import Article


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Manuscript(models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    source = models.TextField(help_text="The Markdown file: YAML frontmatter and body.")
    # parse_source's content_hash of `source` ("" while it does not parse): equal hashes,
    # equal meaning, whatever the YAML's spelling (the import compares these).
    content_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    article = models.OneToOneField(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="manuscript",
        help_text="The live article this manuscript publishes to.",
    )
    # Set by an approval whose publishedAt is in the future: the scheduled publication
    # (services.publish_due); cleared by any other transition.
    publish_at = models.DateTimeField(null=True, blank=True)
    findings = models.JSONField(default=list, blank=True, help_text="The gate's, at last save.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="manuscripts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The last change of the text in the browser, and the last time a file import wrote it:
    # a file is refused when the browser changed the text after its last import (services).
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_synced_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(
        excluded_fields=["findings"], cascade_delete_history=False, user_related_name="+"
    )

    class Meta:
        ordering = ["-edited_at", "-created_at"]
        indexes = [models.Index(fields=["state", "publish_at"], name="manuscript_due_idx")]

    def __str__(self) -> str:
        return self.title or self.slug

    def get_absolute_url(self) -> str:
        return reverse("editorial:edit", kwargs={"pk": self.pk})

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.get("severity") == "error")


class Transition(models.Model):
    """One step of a manuscript's workflow: who moved it, from where to where, when, why."""

    manuscript = models.ForeignKey(Manuscript, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True, max_length=4000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} -> {self.to_state}"
