"""What is not published never reaches the public: with one published article and
manuscripts in draft, in review, changes requested and approved for a future date, none of
them shows on the blog, its own
address, the category, tag and audience pages, the feeds, search, the sitemap, the
reviewer's page or the static export, while the published one shows in each. The published
article, being edited in the browser, shows only its published words everywhere.

Every manuscript carries words of its own in its title, excerpt, body and tags, so a leak
of any of them is seen wherever it would land."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketamine_association.articles.categories import Category
from ketamine_association.articles.models import Article
from ketamine_association.articles.source import parse_source, source_text
from ketamine_association.editorial import services
from ketamine_association.editorial.models import State

from .factories import BODY, article_source, reviewer_account, user_with_role

pytestmark = pytest.mark.django_db

PUBLISHED = "marigold"  # the one public article
EDIT = "periwinkle"  # the words of its edit in progress, not public
HIDDEN = {
    "draft": "zephyrine",
    "in_review": "quillback",
    "changes_requested": "tamarack",
    "approved": "bramblewood",  # approved, publishedAt in ten days: scheduled
}
SHARED_TAG = "first visit"  # every manuscript's, so its tag page lists them all if it leaks
CATEGORY = "PATIENT_EDUCATION"
DRAFTS_ONLY = "CLINICAL_RESEARCH"  # the draft's category: no published article is in it


def slug_of(word: str) -> str:
    return f"{word}-guide"


def source_for(word: str, *, category: str = CATEGORY) -> str:
    text = article_source(
        slug_of(word),
        title=f"The {word.title()} Guide to a First Visit",
        body=BODY.replace("# Getting Ready for a First Visit", f"# The {word.title()} Guide")
        + f"\nA closing note on {word} for the curious.\n",
        tags=(SHARED_TAG, f"{word} notes"),
        category=category,
    )
    return text.replace("What to bring,", f"What to bring ({word}),")


@pytest.fixture
def site(django_capture_on_commit_callbacks):
    author = user_with_role("author", "writer")
    editor = user_with_role("editor", "desk")
    reviewer = reviewer_account("ada")
    later = timezone.now() + dt.timedelta(days=10)

    def write(word, **kwargs):
        manuscript, _ = services.manuscript_create(user=author, source=source_for(word, **kwargs))
        return manuscript

    def act(manuscript, user, action, **kwargs):
        return services.transition(manuscript=manuscript, user=user, action=action, **kwargs)

    with django_capture_on_commit_callbacks(execute=True):
        public = write(PUBLISHED)
        act(public, author, "submit")
        act(public, reviewer, "approve")
        act(public, editor, "publish")

        write(HIDDEN["draft"], category=DRAFTS_ONLY)
        act(write(HIDDEN["in_review"]), author, "submit")
        changes = write(HIDDEN["changes_requested"])
        act(changes, author, "submit")
        act(changes, reviewer, "request_changes", comment="Name the clinic's phone line.")
        scheduled = write(HIDDEN["approved"])
        act(scheduled, author, "submit")
        act(scheduled, reviewer, "approve", publish_at=later)

        # The published article edited in the browser: a draft with new words.
        public.refresh_from_db()
        doc = parse_source(public.source, path=Path(f"{public.slug}.md"))
        meta = dict(doc.frontmatter)
        meta["title"] += f", {EDIT}"
        meta["excerpt"] = meta["excerpt"].replace("What to bring (", f"What to bring ({EDIT}, ")
        meta["tags"] = [*meta["tags"], f"{EDIT} notes"]
        body = doc.body.replace("# The Marigold Guide", f"# The Marigold Guide, {EDIT}")
        body = body.replace("A closing note on", f"A closing note on {EDIT} and")
        edited = source_text(meta, body)
        assert edited.count(EDIT) == 5, edited
        services.manuscript_save(manuscript=public, user=editor, source=edited)

    states = {m.slug: m.state for m in services.Manuscript.objects.all()}
    assert states == {
        slug_of(PUBLISHED): State.DRAFT,  # being edited; its published version stays live
        slug_of(HIDDEN["draft"]): State.DRAFT,
        slug_of(HIDDEN["in_review"]): State.IN_REVIEW,
        slug_of(HIDDEN["changes_requested"]): State.CHANGES_REQUESTED,
        slug_of(HIDDEN["approved"]): State.APPROVED,
    }
    assert list(Article.objects.values_list("slug", flat=True)) == [slug_of(PUBLISHED)]
    return reviewer


NEVER = [*HIDDEN.values(), EDIT]


def assert_private(text: str, where: str) -> None:
    """The published article is there; no word of an unpublished text is."""
    assert PUBLISHED.title() in text or PUBLISHED in text, where
    lowered = text.lower()
    for word in NEVER:
        assert word not in lowered, f"{word} leaked into {where}"


def test_the_blog_and_its_lists(client, site):
    category = Category(CATEGORY).get_absolute_url()
    for path in ("/", "/blog", category, "/blog/tag/first-visit", "/blog/audience/patients"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_private(response.content.decode(), path)


def test_the_article_pages(client, site):
    response = client.get(f"/blog/{slug_of(PUBLISHED)}")
    assert response.status_code == 200
    assert_private(response.content.decode(), "the published article")
    for word in HIDDEN.values():
        assert client.get(f"/blog/{slug_of(word)}").status_code == 404, word


def test_a_category_only_drafts_are_in(client, site):
    path = Category(DRAFTS_ONLY).get_absolute_url()
    for url in (path, f"{path}/feed.xml", f"{path}/atom.xml"):
        response = client.get(url)
        assert response.status_code == 404 or HIDDEN["draft"] not in response.content.decode()
    assert path not in client.get("/blog").content.decode()
    assert path not in client.get("/sitemap.xml").content.decode()


def test_the_tag_pages_of_unpublished_words(client, site):
    assert client.get(f"/blog/tag/{PUBLISHED}-notes").status_code == 200
    for word in NEVER:
        response = client.get(f"/blog/tag/{word}-notes")
        assert response.status_code == 404 or word not in response.content.decode().lower()


@pytest.mark.parametrize("feed", ["feed.xml", "atom.xml"])
def test_the_feeds(client, site, feed):
    category = Category(CATEGORY).get_absolute_url()
    for path in (f"/blog/{feed}", f"{category}/{feed}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_private(response.content.decode(), path)


def found(response) -> list[str]:
    return [hit.article.slug for hit in response.context["result"].hits]


def test_search(client, site):
    response = client.get("/search", {"q": PUBLISHED})
    assert found(response) == [slug_of(PUBLISHED)]
    assert_private(response.content.decode(), "search for the published word")
    for word in NEVER:
        response = client.get("/search", {"q": word})
        assert response.status_code == 200
        assert found(response) == [], word
        assert response.context["result"].total == 0
        assert '<ol class="results">' not in response.content.decode()


def test_the_sitemap(client, site):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"/blog/{slug_of(PUBLISHED)}</loc>" in text
    assert "/blog/tag/first-visit</loc>" in text
    for word in NEVER:
        assert word not in text, word


def test_the_reviewers_page(client, site):
    page = client.get(site.reviewer_profile.get_absolute_url())
    assert page.status_code == 200
    assert_private(page.content.decode(), "the reviewer's page")


def test_the_static_export(site, tmp_path):
    out = tmp_path / "export"
    call_command("export_site", str(out), "--workers", "1", stdout=StringIO(), stderr=StringIO())
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {str(p.relative_to(out)) for p in files}
    assert f"blog/{slug_of(PUBLISHED)}.html" in names
    assert f"blog/tag/{PUBLISHED}-notes.html" in names
    for word in NEVER:
        assert not [name for name in names if word in name], word
    leaks = {
        str(p.relative_to(out)): word for p in files for word in NEVER if word in _text(p).lower()
    }
    assert leaks == {}
    assert PUBLISHED in _text(out / "blog" / f"{slug_of(PUBLISHED)}.html").lower()


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")
