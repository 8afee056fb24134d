"""Admin for editors: what the pipeline made of each article. The content is read-only here:
it is changed in its Markdown file and re-imported, or in the browser editor ("Edit in the
browser" opens the article's manuscript, editorial app), whose edits go live only through
the editorial workflow (review, approval, publication)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ketamine_association.core.content import content_version_bump

from . import selectors
from .choices import Severity
from .models import (
    Article,
    ArticleDueForReview,
    ArticleFinding,
    Redirect,
    Reviewer,
    ReviewReminder,
)
from .review import REMIND_DAYS_BEFORE, review_lapsed


class HasFindingsFilter(admin.SimpleListFilter):
    title = "findings"
    parameter_name = "findings"

    def lookups(self, request, model_admin):
        return [
            ("error", "Has errors"),
            ("warning", "Has warnings"),
            ("any", "Has any finding"),
            ("none", "No findings"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in (Severity.ERROR, Severity.WARNING):
            return queryset.filter(findings__severity=value).distinct()
        if value == "any":
            return queryset.filter(findings__isnull=False).distinct()
        if value == "none":
            return queryset.filter(findings__isnull=True)
        return queryset


class FindingInline(admin.TabularInline):
    model = ArticleFinding
    extra = 0
    can_delete = False
    fields = ("severity", "code", "line", "message", "suggestion")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RedirectInline(admin.TabularInline):
    """The article's old addresses: slugs it had before and its redirectFrom paths."""

    model = Redirect
    extra = 0
    can_delete = False
    fields = ("old_path", "source", "created_at")
    readonly_fields = fields
    ordering = ("-created_at", "old_path")
    verbose_name = "old address"
    verbose_name_plural = "slug history: old addresses that answer 301 to this article"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "audience",
        "published_at",
        "word_count",
        "error_count",
        "warning_count",
        "view_on_site_link",
        "edit_in_browser",
    )
    list_filter = ("category", "audience", HasFindingsFilter, "published_at")
    search_fields = ("title", "slug", "excerpt", "author", "body_markdown")
    date_hierarchy = "published_at"
    inlines = [RedirectInline, FindingInline]
    readonly_fields = (
        "view_on_site_link",
        "edit_in_browser",
        "word_count",
        "reading_minutes",
        "stated_word_count",
        "stated_reading_time",
        "source_path",
        "content_hash",
        "imported_at",
        "modified_at",
        "rendered_toc",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "view_on_site_link",
                    "edit_in_browser",
                    "excerpt",
                    "category",
                )
            },
        ),
        ("Publication", {"fields": ("author", "audience", "published_at", "updated_at")}),
        ("Medical review", {"fields": ("reviewed_by", "last_reviewed", "review_due")}),
        (
            "Computed at import",
            {
                "fields": (
                    "word_count",
                    "stated_word_count",
                    "reading_minutes",
                    "stated_reading_time",
                    "rendered_toc",
                )
            },
        ),
        ("Source", {"fields": ("source_path", "content_hash", "imported_at", "modified_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Content comes from the Markdown file or the browser editor's workflow: a change
        # typed here would bypass review and be lost on the next import or publication.
        return [f.name for f in Article._meta.fields] + list(self.readonly_fields)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_errors=Count("findings", filter=Q(findings__severity=Severity.ERROR)),
                n_warnings=Count("findings", filter=Q(findings__severity=Severity.WARNING)),
            )
        )

    @admin.display(description="errors", ordering="n_errors")
    def error_count(self, obj):
        return obj.n_errors

    @admin.display(description="warnings", ordering="n_warnings")
    def warning_count(self, obj):
        return obj.n_warnings

    @admin.display(description="on the site")
    def view_on_site_link(self, obj):
        return format_html('<a href="{}" target="_blank">View</a>', obj.get_absolute_url())

    @admin.display(description="editor")
    def edit_in_browser(self, obj):
        url = reverse("editorial:open", args=[obj.slug])
        return format_html('<a href="{}">Edit in the browser</a>', url)

    @admin.display(description="table of contents")
    def rendered_toc(self, obj):
        return format_html_join("", "<div>#{} — {}</div>", ((i["id"], i["text"]) for i in obj.toc))


class KeptByTheImport(admin.ModelAdmin):
    """Rows the import writes: listed and linked to their article, never added or changed here."""

    list_select_related = ("article",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="article", ordering="article__slug")
    def article_link(self, obj):
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        return format_html('<a href="{}">{}</a>', url, obj.article.slug)


@admin.register(ArticleFinding)
class ArticleFindingAdmin(KeptByTheImport):
    """The report page: every open finding, filterable by code and severity."""

    list_display = ("code", "severity", "article_link", "line", "message")
    list_filter = ("severity", "code")
    search_fields = ("code", "message", "article__slug", "article__title")


@admin.register(Redirect)
class RedirectAdmin(KeptByTheImport):
    """Every old address and the article it answers 301 to; kept by the import, read-only here."""

    list_display = ("old_path", "article_link", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("old_path",)
    ordering = ("-created_at", "old_path")
    date_hierarchy = "created_at"

    # Delete stays the default: forbidding it would block deleting an article (its redirects
    # cascade), and a redirect removed here is the editor's explicit choice.


@admin.register(ArticleDueForReview)
class ReviewQueueAdmin(admin.ModelAdmin):
    """The review queue: articles whose medical review has lapsed or falls due within 30 days,
    oldest due first. Read-only: a review is recorded in the article's file (lastReviewed)."""

    list_display = ("title", "reviewed_by", "last_reviewed", "review_due", "review_state")
    list_display_links = None
    search_fields = ("title", "slug", "reviewed_by")
    ordering = ("review_due", "slug")

    def get_queryset(self, request):
        due = selectors.review_queue(today=timezone.localdate(), within_days=REMIND_DAYS_BEFORE)
        return ArticleDueForReview.objects.filter(id__in=due.values("id")).order_by(
            "review_due", "slug"
        )

    @admin.display(description="state", ordering="review_due")
    def review_state(self, obj):
        today = timezone.localdate()
        if review_lapsed(obj.review_due, today=today):
            return f"overdue by {(today - obj.review_due).days} days"
        days = (obj.review_due - today).days
        return "due today" if days == 0 else f"due in {days} days"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    """Medical reviewers' public profiles; articles link to them by name. `user` is the
    account that approves manuscripts in the editorial workflow under this name."""

    list_display = ("name", "credentials", "slug", "has_email", "user")
    list_select_related = ("user",)
    search_fields = ("name", "credentials", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "credentials", "slug", "npi", "bio", "email", "user")
    raw_id_fields = ("user",)

    @admin.display(description="reminders", boolean=True)
    def has_email(self, obj):
        return bool(obj.email)

    # Article pages show the link to a profile: a change must reach the cached pages.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        content_version_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        content_version_bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        content_version_bump()


@admin.register(ReviewReminder)
class ReviewReminderAdmin(KeptByTheImport):
    """What the daily review job did (mails sent, lapses noticed); kept by the job."""

    list_display = ("article_link", "kind", "review_due", "created_at")
    list_filter = ("kind",)
    search_fields = ("article__slug",)
    ordering = ("-created_at",)
