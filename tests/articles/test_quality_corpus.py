"""The gate on the real corpus: what is really there, and nothing that is not."""

from pathlib import Path

import pytest

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.quality import content_check
from ketamine_association.articles.services import article_import_paths

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]


@pytest.fixture
def report(corpus_dir, corpus_images, images):
    return content_check(
        paths=[corpus_dir], images=ImageStore(source=corpus_images, root=images.root)
    )


def of(report, slug, code):
    return [f for f in report.findings if f.slug == slug and f.code == code]


def test_checks_all_thirty(report):
    assert report.checked == 30
    assert not [f for f in report.findings if f.code in ("frontmatter-invalid", "slug-duplicate")]


def test_seed_missing_jpg_images(report):
    missing = of(report, "science-of-hope-ketamine-brain", "image-missing")
    assert sorted(f.line for f in missing) == [9, 17]
    assert any("science-of-hope-ketamine-brain.jpg" in f.message for f in missing)
    featured = next(f for f in missing if f.line == 9)
    assert featured.suggestion == "/images/articles/science-of-hope-ketamine-brain.svg"


def test_seed_stated_word_count(report):
    (finding,) = of(report, "science-of-hope-ketamine-brain", "stated-wordcount-mismatch")
    assert "2,800" in finding.message and "2,106" in finding.message
    assert finding.line == 25


def test_dosing_protocols_stated_counts(report):
    (words,) = of(report, "dosing-protocols-evidence-review", "stated-wordcount-mismatch")
    assert "4,200" in words.message
    (minutes,) = of(report, "dosing-protocols-evidence-review", "stated-readingtime-mismatch")
    assert "18 min" in minutes.message


# What stays dead once the association's pages exist: two articles the corpus links but does
# not hold (content for the editors, not pages to build). The corpus links no page that
# another open issue builds.
STILL_DEAD = {
    "link to /blog/is-ketamine-right-for-you",
    "link to /blog/patient-screening-assessment",
}


def test_pages_the_site_does_not_serve_are_reported(report):
    """Without the site pages (none imported here) their links are dead."""
    dead = {f.message.split(":")[0] for f in report.findings if f.code == "internal-link-dead"}
    assert {"link to /membership", "link to /about-ketamine"} <= dead


def test_the_association_pages_end_the_dead_links(corpus_dir, corpus_images, images):
    """With the demo site pages and the contact form, the corpus's links to /contact,
    /membership, /about-ketamine and /membership/practitioners resolve; what stays dead is
    exactly STILL_DEAD."""
    pages = Path(__file__).resolve().parents[2] / "demo" / "pages"
    article_import_paths(paths=[pages], images=images)
    checked = content_check(
        paths=[corpus_dir], images=ImageStore(source=corpus_images, root=images.root)
    )
    dead = {f.message.split(":")[0] for f in checked.findings if f.code == "internal-link-dead"}
    assert dead == STILL_DEAD


def test_nothing_that_is_not_there(report):
    # every table-of-contents anchor in the corpus lands on a heading
    assert not [f for f in report.findings if f.code == "anchor-missing"]
    # images that exist are never reported
    assert not [
        f
        for f in report.findings
        if f.code == "image-missing" and f.message.endswith(".svg does not exist")
    ]
    # the article's own links to pages the site serves are not reported
    messages = " ".join(f.message for f in report.findings if f.code == "internal-link-dead")
    for served in (
        "/find-provider",
        "/newsletter",
        "/blog/category/research ",
        "/blog/science-of-hope-ketamine-brain",
    ):
        assert f"link to {served}:" not in messages


def test_readability_only_for_audiences(report):
    graded = {f.slug for f in report.findings if f.code == "readability-grade"}
    assert "science-of-hope-ketamine-brain" in graded
    assert "depression-recovery-journey" not in graded  # no audience given
