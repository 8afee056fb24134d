"""The export renders articles and list pages without the request cycle: the same bytes as the
app's answers (Django's test client, every middleware), page for page."""

import pytest
from django.test import Client
from django.utils import timezone

from ketamine_association.articles import export
from ketamine_association.articles.export import file_for, site_export, site_paths
from ketamine_association.articles.models import Reviewer
from ketamine_association.articles.services import article_import_paths

from .factories import article_text, write

pytestmark = pytest.mark.django_db

TAGS = ("options", "questions", "sleep", "aftercare")


@pytest.fixture
def site(tmp_path, images):
    """29 articles: two categories, both audiences, tags shared unevenly (lists of several
    pages), two on the same day (neighbours ordered by slug), editors' related articles
    (one missing, one scheduled), a reviewer with a profile and one without, and one
    article not yet published."""
    Reviewer.objects.create(name="Sam Lee", credentials="DO", slug="sam-lee", bio="Reviews.")
    for n in range(29):
        day = min(n, 27) + 1  # the last two share a day
        text = article_text(f"bytes-{n:02d}").replace('"2026-02-03"', f'"2026-03-{day:02d}"')
        tags = ", ".join(f'"{t}"' for t in TAGS[: 1 + n % 4])
        text = text.replace('tags: ["options", "questions"]', f"tags: [{tags}]")
        if n % 3 == 0:
            text = text.replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"')
        if n % 5 == 0:
            text = text.replace('audience: "patients"', 'audience: "practitioners"')
        if n % 4 == 1:
            related = '["bytes-03", "no-such-article", "bytes-future", "bytes-10"]'
            text = text.replace("audience:", f"relatedArticles: {related}\naudience:", 1)
        if n % 6 == 2:
            who = "Sam Lee, DO" if n % 12 == 2 else "Alex Unlisted, MD"
            text = text.replace(
                "audience:", f'reviewedBy: "{who}"\nlastReviewed: 2026-01-10\naudience:', 1
            )
        write(tmp_path / "in" / f"b{n}.md", text)
    future = article_text("bytes-future").replace('"2026-02-03"', '"2099-01-01"')
    write(tmp_path / "in" / "future.md", future)
    report = article_import_paths(paths=[tmp_path / "in"], images=images)
    assert not report.failed
    return tmp_path


def app_bytes(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_rendered_pages_are_the_apps_bytes(site):
    out = site / "out"
    report = site_export(directory=out, workers=1)
    assert not report.failed
    client = Client()
    paths = site_paths()
    rendered = {p: export._kind(export._read_site(timezone.now()), p)[0] for p in paths}
    articles = [p for p, kind in rendered.items() if kind == "article"]
    lists = [p for p, kind in rendered.items() if kind == "list"]
    # Every article and list page took the rendering path, not the test client's:
    assert len(articles) == 29 and "/blog/bytes-future" not in paths
    assert {"/blog", "/blog/page/2", "/blog/page/3", "/blog/category/clinical-research"} <= set(
        lists
    )
    assert {"/blog/tag/options/page/3", "/blog/audience/practitioners"} <= set(lists)
    for path in articles + lists:
        assert (out / file_for(path)).read_bytes() == app_bytes(client, path), path
    # What the test client still fetches is the app's answer too: feeds, sitemap, home.
    for path in ("/", "/blog/feed.xml", "/blog/atom.xml", "/sitemap.xml", "/robots.txt"):
        assert rendered[path] == "fetch"
        assert (out / file_for(path)).read_bytes() == app_bytes(client, path), path
    # The pages show what the surroundings were read for (not a vacuous comparison).
    page = (out / "blog" / "bytes-05.html").read_text()
    assert 'href="/blog/bytes-03"' in page and 'href="/blog/bytes-10"' in page  # related
    assert 'href="/reviewers/sam-lee"' in (out / "blog" / "bytes-02.html").read_text()
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert "bytes-future" not in page
