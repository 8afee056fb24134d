"""store: one transaction per file, unchanged files skipped, bad files reported, rest imported.

Every kind of bad file in one batch: tests/security/test_bad_file_isolation.py."""

import pytest

from ketamine_association.articles.models import Article, ArticleFinding
from ketamine_association.articles.services import article_export, article_import_paths

from .factories import article_text, write

pytestmark = pytest.mark.django_db


def statuses(report):
    return {o.source.rsplit("/", 1)[-1]: o.status for o in report.outcomes}


def test_import_reports_bad_file_and_keeps_the_rest(tmp_path, images):
    write(tmp_path / "ok.md", article_text("ok-article"))
    write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\n")
    write(tmp_path / "also-ok.md", article_text("also-ok"))
    report = article_import_paths(paths=[tmp_path], images=images)
    assert statuses(report) == {"ok.md": "imported", "bad.md": "failed", "also-ok.md": "imported"}
    (bad,) = report.failed
    assert bad.errors[0].line == 2
    assert set(Article.objects.values_list("slug", flat=True)) == {"ok-article", "also-ok"}


def test_unchanged_file_is_skipped_and_changed_file_updated_in_place(tmp_path, images):
    path = write(tmp_path / "a.md", article_text("in-place"))
    article_import_paths(paths=[path], images=images)
    first = Article.objects.get(slug="in-place")
    again = article_import_paths(paths=[path], images=images)
    assert statuses(again) == {"a.md": "unchanged"}
    write(path, article_text("in-place").replace("Bring the list", "Take the list"))
    updated = article_import_paths(paths=[path], images=images)
    assert statuses(updated) == {"a.md": "updated"}
    article = Article.objects.get(slug="in-place")
    assert article.id == first.id
    assert "Take the list" in article.body_html
    assert Article.objects.count() == 1


def test_two_files_claiming_one_slug(tmp_path, images):
    write(tmp_path / "a.md", article_text("same-slug"))
    write(tmp_path / "b.md", article_text("same-slug"))
    report = article_import_paths(paths=[tmp_path], images=images)
    assert statuses(report) == {"a.md": "imported", "b.md": "failed"}
    (failed,) = report.failed
    assert "is also claimed by" in failed.errors[0].message and failed.errors[0].line == 3
    assert [f.code for f in failed.findings] == ["slug-duplicate"]


def test_import_and_gate_give_one_slug_duplicate_finding(tmp_path, images):
    from ketamine_association.articles.quality import content_check

    write(tmp_path / "a.md", article_text("same-slug"))
    write(tmp_path / "b.md", article_text("same-slug"))
    gate = content_check(paths=[tmp_path], images=images)
    report = article_import_paths(paths=[tmp_path], images=images)
    shape = lambda f: (f.code, f.severity, f.message, f.line, f.file)  # noqa: E731
    from_gate = [shape(f) for f in gate.findings if f.code == "slug-duplicate"]
    from_import = [
        shape(f) for o in report.outcomes for f in o.findings if f.code == "slug-duplicate"
    ]
    assert from_gate == from_import and len(from_gate) == 1


def test_computed_word_count_and_stated_values_kept(tmp_path, images):
    text = article_text("stated").replace(
        "tags:", 'wordCount: 900\nreadingTime: "9 min read"\ntags:'
    )
    report = article_import_paths(paths=[write(tmp_path / "s.md", text)], images=images)
    article = Article.objects.get(slug="stated")
    assert article.stated_word_count == 900
    assert article.stated_reading_time == "9 min read"
    assert 60 < article.word_count < 120
    assert article.reading_time == "1 min read"
    codes = {f.code for f in report.outcomes[0].findings}
    assert {"stated-wordcount-mismatch", "stated-readingtime-mismatch"} <= codes
    assert ArticleFinding.objects.filter(article=article, code="stated-wordcount-mismatch").exists()


def test_missing_featured_image_is_a_finding_and_present_one_is_published(tmp_path, images):
    source = tmp_path / "imgs"
    write(source / "has-image.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    write(tmp_path / "md" / "a.md", article_text("has-image"))
    write(tmp_path / "md" / "b.md", article_text("no-image"))
    from ketamine_association.articles.images import ImageStore

    store = ImageStore(source=source, root=images.root)
    report = article_import_paths(paths=[tmp_path / "md"], images=store)
    findings = {o.key: {f.code for f in o.findings} for o in report.outcomes}
    assert "image-missing" not in findings["has-image"]
    assert "image-missing" in findings["no-image"]
    assert (images.root / "has-image.svg").is_file()
    assert Article.objects.get(slug="has-image").featured_image_exists
    assert not Article.objects.get(slug="no-image").featured_image_exists


def test_missing_seo_fields_are_derived(tmp_path, images):
    article_import_paths(paths=[write(tmp_path / "a.md", article_text("derived"))], images=images)
    seo = Article.objects.get(slug="derived").seo
    assert seo["title"] == "Understanding Your Options | Ketamine Association"
    assert seo["description"].startswith("A short, plain guide")
    assert seo["og_image"] == "/images/articles/derived.svg"
    assert seo["twitter_card"] == "summary_large_image"


def test_export_then_import_changes_nothing(tmp_path, images, corpus_dir):
    review = (
        'reviewedBy: "Jane Doe, MD"\nlastReviewed: 2026-05-01\nreviewDue: 2026-11-01\naudience:'
    )
    reviewed = write(tmp_path / "more" / "r.md", article_text("reviewed", **{"audience:": review}))
    article_import_paths(paths=[corpus_dir, reviewed.parent], images=images)
    written = article_export(directory=tmp_path / "export")
    assert len(written) == 31
    report = article_import_paths(paths=[tmp_path / "export"], images=images)
    assert report.count("unchanged") == 31, [(o.source, o.status) for o in report.outcomes]
    # no frontmatter key and no body line is lost
    from ketamine_association.articles.source import load_source

    for original in [*corpus_dir.glob("*.md"), reviewed]:
        before = load_source(original)
        after = load_source(tmp_path / "export" / f"{before.meta.slug}.md")
        assert list(after.frontmatter) == list(before.frontmatter)
        assert after.frontmatter == before.frontmatter
        assert after.body.splitlines() == before.body.splitlines()
