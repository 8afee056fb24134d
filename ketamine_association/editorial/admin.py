"""Admin of the editorial workflow: manuscripts (read-only here: the text is written in the
browser editor, linked from each page), their transition log, and their revisions, where any
two can be compared line by line and one restored (as a new revision, by someone who may
edit the manuscript now: revisions.revision_restore)."""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import revisions, workflow
from .models import Manuscript, State, Transition


def _state_label(value: str) -> str:
    try:
        return State(value).label
    except ValueError:
        return value


class TransitionInline(admin.TabularInline):
    """The manuscript's workflow log, newest first; written only by the services."""

    model = Transition
    extra = 0
    can_delete = False
    fields = ("at", "user", "action", "from_state", "to_state", "comment")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name_plural = "transition log"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Manuscript)
class ManuscriptAdmin(admin.ModelAdmin):
    """Manuscripts as the workflow left them. Nothing is typed here: the text is edited in
    the browser editor, a state changes through the editor's buttons, and a manuscript is
    archived there rather than deleted (its transitions and revisions are the record)."""

    list_display = (
        "title",
        "state",
        "edited_at",
        "edited_by",
        "publish_at",
        "live_article",
        "revisions_link",
    )
    list_filter = ("state",)
    search_fields = ("title", "slug")
    list_select_related = ("edited_by", "article")
    date_hierarchy = "edited_at"
    inlines = [TransitionInline]
    fieldsets = (
        (None, {"fields": ("title", "slug", "state", "edit_link", "revisions_link")}),
        ("Publication", {"fields": ("live_article", "publish_at")}),
        (
            "Changes",
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "edited_by",
                    "edited_at",
                    "file_synced_at",
                    "content_hash",
                )
            },
        ),
        ("Text", {"fields": ("source_text",)}),
    )
    readonly_fields = (
        "title",
        "slug",
        "state",
        "edit_link",
        "revisions_link",
        "live_article",
        "publish_at",
        "created_by",
        "created_at",
        "edited_by",
        "edited_at",
        "file_synced_at",
        "content_hash",
        "source_text",
    )

    def has_add_permission(self, request):
        return False  # written in the browser editor

    def has_change_permission(self, request, obj=None):
        return False  # the page is a view: the editor changes the text

    def has_delete_permission(self, request, obj=None):
        return False  # archived in the editor; the history stays

    @admin.display(description="live article")
    def live_article(self, obj):
        if obj.article_id is None:
            return "—"
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        return format_html('<a href="{}">{}</a>', url, obj.article.slug)

    @admin.display(description="editor")
    def edit_link(self, obj):
        url = reverse("editorial:edit", args=[obj.pk])
        return format_html('<a href="{}">Edit in the browser</a>', url)

    @admin.display(description="revisions")
    def revisions_link(self, obj):
        url = reverse("admin:editorial_manuscript_revisions", args=[obj.pk])
        return format_html('<a href="{}">Revisions</a>', url)

    @admin.display(description="Markdown file")
    def source_text(self, obj):
        return format_html('<pre class="manuscript-source">{}</pre>', obj.source)

    # --- revisions ---------------------------------------------------------------------

    def get_urls(self):
        def wrap(view):
            def wrapper(*args, **kwargs):
                return self.admin_site.admin_view(view)(*args, **kwargs)

            wrapper.model_admin = self
            return update_wrapper(wrapper, view)

        own = [
            path(
                "<path:object_id>/revisions/",
                wrap(self.revisions_view),
                name="editorial_manuscript_revisions",
            ),
            path(
                "<path:object_id>/revisions/<int:history_id>/restore/",
                wrap(self.restore_view),
                name="editorial_manuscript_restore",
            ),
        ]
        return own + super().get_urls()

    def _manuscript(self, request, object_id) -> Manuscript:
        manuscript = self.get_object(request, object_id)
        if manuscript is None:
            raise Http404("No such manuscript.")
        if not self.has_view_permission(request, manuscript):
            raise PermissionDenied
        return manuscript

    def _context(self, request, manuscript, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": manuscript,
            "manuscript": manuscript,
            "state_label": _state_label(manuscript.state),
            "can_restore": workflow.can_edit(request.user, manuscript),
            "revisions_url": reverse("admin:editorial_manuscript_revisions", args=[manuscript.pk]),
            **extra,
        }

    @staticmethod
    def _chosen(request, manuscript, name, default):
        value = request.GET.get(name)
        if value in (None, ""):
            return default
        try:
            return revisions.revision_of(manuscript, int(value))
        except (ValueError, OverflowError, Manuscript.history.model.DoesNotExist) as exc:
            raise Http404("No such revision of this manuscript.") from exc

    def revisions_view(self, request, object_id):
        """Every revision (date, user, reason, state), and the diff of two chosen ones
        (`?a=<older>&b=<newer>`; by default the last change)."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        manuscript = self._manuscript(request, object_id)
        rows = list(revisions.revisions_of(manuscript))
        newest = rows[0] if rows else None
        previous = rows[1] if len(rows) > 1 else newest
        a = self._chosen(request, manuscript, "a", previous)
        b = self._chosen(request, manuscript, "b", newest)
        diff = revisions.revision_diff(a.source, b.source) if a and b else []
        for row in rows:
            row.state_label = _state_label(row.state)
        return TemplateResponse(
            request,
            "admin/editorial/manuscript/revisions.html",
            self._context(
                request,
                manuscript,
                title=f"Revisions of “{manuscript}”",
                rows=rows,
                a=a,
                b=b,
                diff=diff,
            ),
        )

    def restore_view(self, request, object_id, history_id):
        """GET: what restoring revision `history_id` would change; POST: restore it (a new
        revision). Only for someone who may edit the manuscript in its present state."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        manuscript = self._manuscript(request, object_id)
        if not workflow.can_edit(request.user, manuscript):
            raise PermissionDenied
        try:
            record = revisions.revision_of(manuscript, history_id)
        except Manuscript.history.model.DoesNotExist as exc:
            raise Http404("No such revision of this manuscript.") from exc
        back = reverse("admin:editorial_manuscript_revisions", args=[manuscript.pk])
        if request.method == "POST":
            try:
                revisions.revision_restore(manuscript, record.history_id, request.user)
            except ValidationError as exc:
                messages.error(request, "Not restored: " + "; ".join(exc.messages))
                return redirect(back)
            messages.success(
                request,
                f"Revision {record.history_id} restored as a new revision. "
                "Publish it again through the workflow when it is approved.",
            )
            return redirect(back)
        return TemplateResponse(
            request,
            "admin/editorial/manuscript/restore.html",
            self._context(
                request,
                manuscript,
                title=f"Restore revision {record.history_id} of “{manuscript}”",
                record=record,
                record_state=_state_label(record.state),
                diff=revisions.revision_diff(manuscript.source, record.source),
            ),
        )


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    """Every workflow step of every manuscript: the audit log, read-only."""

    list_display = ("at", "manuscript", "action", "from_state", "to_state", "user")
    list_filter = ("action", "to_state")
    search_fields = ("manuscript__title", "manuscript__slug", "comment")
    list_select_related = ("manuscript", "user")
    date_hierarchy = "at"
    fields = ("manuscript", "action", "from_state", "to_state", "user", "at", "comment")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
