import json

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from ketamine_association.directory.validators import validate_npi

from .categories import Category, category_name
from .choices import Audience, Severity


class Tag(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:tag", kwargs={"slug": self.slug})


class ImportedFile(models.Model):
    """What every imported Markdown file keeps of its source, so it can be checked again and
    exported back as written: the frontmatter (text, not JSONField: PostgreSQL's jsonb
    reorders keys, and an export must keep the editor's order), the line of each key, where
    the body starts, the file it came from and the hash of what it means."""

    frontmatter_json = models.TextField(default="{}", help_text="The frontmatter as written.")
    source_lines = models.JSONField(default=dict, blank=True, help_text="Line of each key.")
    body_line = models.PositiveIntegerField(default=1)
    source_path = models.CharField(max_length=1000, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64)
    # sha256 of the file's bytes as last imported ("" when the browser stored the version):
    # an unchanged file is known before it is parsed.
    raw_hash = models.CharField(max_length=64, blank=True, default="")
    imported_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def frontmatter(self) -> dict:
        return json.loads(self.frontmatter_json)


class Article(ImportedFile):
    """One imported article: its frontmatter as written, and its HTML rendered at import."""

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    headline = models.CharField(max_length=300, blank=True, help_text="The body's own h1.")
    excerpt = models.TextField(blank=True)
    category = models.CharField(max_length=64, db_index=True)
    author = models.CharField(max_length=200)
    audience = models.CharField(max_length=20, choices=Audience.choices, blank=True)
    published_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    featured_image = models.CharField(max_length=500, blank=True)
    featured_image_exists = models.BooleanField(default=False)
    featured_image_alt = models.CharField(max_length=300, blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="As written, in order.")
    tag_set = models.ManyToManyField(Tag, related_name="articles", blank=True)
    keywords = models.JSONField(default=list, blank=True)
    related_slugs = models.JSONField(default=list, blank=True)
    seo = models.JSONField(default=dict, blank=True, help_text="Resolved head fields.")
    faq = models.JSONField(default=list, blank=True)
    toc = models.JSONField(default=list, blank=True)
    has_own_toc = models.BooleanField(default=False)
    body_markdown = models.TextField()
    body_html = models.TextField()
    body_text = models.TextField(blank=True, help_text="Plain text, for search snippets.")
    word_count = models.PositiveIntegerField(help_text="Computed from the text.")
    reading_minutes = models.PositiveIntegerField(help_text="Computed at 238 words a minute.")
    stated_word_count = models.PositiveIntegerField(null=True, blank=True)
    stated_reading_time = models.CharField(max_length=40, blank=True)
    # Medical review (review.py): as the frontmatter says; review_due is the effective date
    # (reviewDue, else 12 months after lastReviewed) and reviewer_key what Reviewer matches.
    reviewed_by = models.CharField(max_length=200, blank=True)
    reviewer_key = models.CharField(max_length=200, blank=True, db_index=True)
    last_reviewed = models.DateField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-published_at", "slug"]
        # Each list is read in the order of one of these, newest first, ties by slug: a page,
        # an article's neighbours and its related articles stop after a few index entries
        # instead of sorting the whole list (which on SQLite meant reading wide rows).
        indexes = [
            models.Index(fields=["-published_at", "slug"], name="article_newest_idx"),
            models.Index(
                fields=["category", "-published_at", "slug"], name="article_category_newest_idx"
            ),
            models.Index(
                fields=["audience", "-published_at", "slug"], name="article_audience_newest_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @property
    def display_title(self) -> str:
        return self.headline or self.title

    @property
    def category_name(self) -> str:
        return category_name(self.category)

    @property
    def category_url(self) -> str:
        return Category(self.category).get_absolute_url()

    @property
    def reading_time(self) -> str:
        return f"{self.reading_minutes} min read"


class ArticleDueForReview(Article):
    """The admin's review queue: articles whose medical review has lapsed or is due soon."""

    class Meta:
        proxy = True
        verbose_name = "article due for review"
        verbose_name_plural = "review queue"


class Reviewer(models.Model):
    """A medical reviewer's public profile (/reviewers/<slug>). An article's `reviewedBy`
    links here when its name (before the first comma) matches, case-insensitively. The email
    only receives the review reminders and is never shown."""

    name = models.CharField(max_length=200, help_text="As articles name them, e.g. Jane Doe.")
    credentials = models.CharField(max_length=200, help_text="e.g. MD, PhD")
    slug = models.SlugField(max_length=200, unique=True)
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi], help_text="Optional."
    )
    bio = models.TextField(blank=True, max_length=2000)
    email = models.EmailField(
        blank=True, help_text="For review reminders only; never shown on the site."
    )
    name_key = models.CharField(max_length=200, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewer_profile",
        help_text="The account that approves articles in the editor as this reviewer.",
    )
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def save(self, *args, **kwargs):
        from .review import reviewer_key

        self.name_key = reviewer_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("articles:reviewer", kwargs={"slug": self.slug})

    def clean(self) -> None:
        from .review import reviewer_key

        if "," in self.name:
            raise ValidationError({"name": "Write the name alone; credentials have a field."})
        self.name_key = reviewer_key(self.name)
        twins = Reviewer.objects.filter(name_key=self.name_key).exclude(pk=self.pk)
        if self.name_key and twins.exists():
            raise ValidationError({"name": "Another reviewer has this name."})


class ReviewReminder(models.Model):
    """What the review job did, once per article, kind and due date: a new due date (a new
    review) re-arms every kind."""

    class Kind(models.TextChoices):
        SOON = "soon", "Mailed 30 days before"
        DUE = "due", "Mailed on the day"
        LAPSED = "lapsed", "Review lapsed (cached pages refreshed)"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    review_due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "kind", "review_due"], name="review_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (due {self.review_due})"


class SearchEntry(models.Model):
    """What search reads of an article, in a narrow row of its own (see search.py).

    The article's row is wide (its body three times over), so the filters search needs
    (published, category, audience) live here too. On PostgreSQL the row carries the two
    vectors: `vector` (everything, GIN-indexed: which articles match) and the small
    `rank_vector` (title, headings, excerpt, tags: how they rank). SQLite keeps its text in
    the FTS5 table `articles_fts`, whose rowid is the article's id, and leaves both empty.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    # No index on the filters, on purpose: PostgreSQL must find matches through the GIN
    # index on `vector` (search.py), and an index here would offer it a worse road.
    published_at = models.DateTimeField()
    category = models.CharField(max_length=64)
    audience = models.CharField(max_length=20, blank=True)
    vector = SearchVectorField(null=True, editable=False)
    rank_vector = SearchVectorField(null=True, editable=False)

    def __str__(self) -> str:
        return f"search entry of article {self.article_id}"


class Redirect(models.Model):
    """An old address of an article: a slug it had before, or a redirectFrom path."""

    class Source(models.TextChoices):
        RENAME = "rename", "Slug changed"
        FRONTMATTER = "frontmatter", "redirectFrom"

    old_path = models.CharField(max_length=500, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")
    source = models.CharField(max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_path} -> {self.article.get_absolute_url()}"


class ArticleFinding(models.Model):
    """A defect the analysis step found; replaced whenever its article is re-imported."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField()
    suggestion = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["article", "line", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Page(ImportedFile):
    """One of the association's own pages (about, privacy, membership...): a Markdown file
    whose frontmatter names its `path`, imported, checked and exported like an article."""

    path = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    meta_title = models.CharField(max_length=300, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, blank=True)
    nav = models.JSONField(default=list, blank=True, help_text="header and/or footer")
    nav_label = models.CharField(max_length=60, blank=True)
    nav_order = models.PositiveIntegerField(default=100)
    reviewed_by = models.CharField(max_length=200, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()
    toc = models.JSONField(default=list, blank=True)
    body_markdown = models.TextField()
    body_html = models.TextField()
    word_count = models.PositiveIntegerField(default=0)
    findings = models.JSONField(default=list, blank=True, help_text="The gate's findings.")

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.title} ({self.path})"

    def get_absolute_url(self) -> str:
        return self.path

    @property
    def label(self) -> str:
        return self.nav_label or self.title
