"""The association's own pages (demo/pages): the article pipeline with a page kind, served at
their own paths, in the navigation, the sitemap, the static and Markdown exports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from ketamine_association.articles.models import Page
from ketamine_association.articles.quality import content_check
from ketamine_association.articles.readability import flesch_kincaid_grade
from ketamine_association.articles.services import article_export, article_import_paths
from ketamine_association.core.sections import register_slot

from .factories import write
from .test_article_page import Page as Html

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DEMO_PAGES = ROOT / "demo" / "pages"
# Every page the issue asks for, at its path.
PATHS = [
    "/about",
    "/about-ketamine",
    "/membership",
    "/membership/practitioners",
    "/privacy",
    "/terms",
    "/disclaimer",
    "/editorial-policy",
    "/accessibility",
]

PAGE = """---
title: "Visiting our office"
path: "/visit"
description: "Where the association's office is, when it is open, and how to reach it by train, by bus or by car, with step-free access from the street."
updatedAt: "2026-11-30"
nav: ["footer"]
navLabel: "Visit us"
navOrder: 55
---

We are open on weekdays.

## Getting here

Take the train to the central station.
"""


@pytest.fixture
def demo_pages(images):
    report = article_import_paths(paths=[DEMO_PAGES], images=images)
    assert not report.failed, [(o.source, o.errors) for o in report.failed]
    return report


def test_every_page_of_the_issue_is_served_with_a_complete_head(demo_pages, client):
    assert set(PATHS) <= set(Page.objects.values_list("path", flat=True))
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 200, path
        html = Html(response.content.decode())
        assert html.h1 == 1, path
        assert html.canonical == f"{settings.SITE_URL}{path}", path
        assert 120 <= len(html.meta["description"]) <= 160, path
        assert html.meta["og:title"] and html.meta["og:url"] == html.canonical, path
        assert html.meta["og:description"] == html.meta["description"], path
        (webpage, crumbs) = html.jsonld
        assert webpage["url"] == html.canonical and crumbs["@type"] == "BreadcrumbList"
        title = re.search(r"<title>(.*?)</title>", response.content.decode()).group(1)
        assert title.startswith(Page.objects.get(path=path).title.replace("'", "&#x27;")), path


def test_pages_are_in_the_sitemap_with_their_dates(demo_pages, client):
    sitemap = client.get("/sitemap.xml").content
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {
        urlsplit(url.findtext("s:loc", namespaces=ns)).path: url.findtext(
            "s:lastmod", namespaces=ns
        )
        for url in ET.fromstring(sitemap).findall("s:url", ns)
    }
    for path in PATHS:
        assert entries[path] == Page.objects.get(path=path).updated_at.date().isoformat()


def test_navigation_comes_from_the_pages_nav_placement(images, client):
    folder = Path(images.root).parent / "pages"
    article_import_paths(paths=[write(folder / "visit.md", PAGE)], images=images)
    html = client.get("/blog").content.decode()
    footer = re.search(r'<nav aria-label="Footer">(.*?)</nav>', html, re.S).group(1)
    header = re.search(r'<nav aria-label="Main".*?>(.*?)</nav>', html, re.S).group(1)
    assert '<a href="/visit">Visit us</a>' in footer
    assert "/visit" not in header
    assert '<a href="/blog" aria-current="page">Learn</a>' in header


def test_demo_navigation_matches_the_issue(demo_pages, client):
    html = client.get("/").content.decode()
    header = re.search(r'<nav aria-label="Main".*?>(.*?)</nav>', html, re.S).group(1)
    footer = re.search(r'<nav aria-label="Footer">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", header) == [
        "Learn",
        "Find a Provider",
        "For Practitioners",
        "About",
    ]
    for path in ("/about", "/contact", "/membership", "/privacy", "/terms", "/editorial-policy",
                 "/accessibility", "/disclaimer", "/newsletter"):  # fmt: skip
        assert f'href="{path}"' in footer, path
    assert 'action="/find-provider"' in html and 'name="location"' in html  # the ZIP box
    assert 'href="/membership"' in html.split("</header>", 1)[1]  # the practitioners' line


def test_patient_pages_carry_the_disclaimer_and_988(demo_pages, client):
    for path in ("/about-ketamine", "/disclaimer"):
        html = client.get(path).content.decode()
        assert 'aria-label="Medical disclaimer"' in html and 'href="tel:988"' in html
    assert 'aria-label="Medical disclaimer"' not in client.get("/terms").content.decode()


def test_about_ketamine_reads_at_grade_eight_or_below(demo_pages):
    """By our own readability check (the gate would say readability-grade otherwise)."""
    page = Page.objects.get(path="/about-ketamine")
    assert not [f for f in page.findings if f["code"] == "readability-grade"]
    text = re.sub(r"<[^>]+>", " ", page.body_html)
    assert flesch_kincaid_grade(text) <= 8


def test_a_page_slot_is_filled_when_served(images, client):
    register_slot("test-weather", lambda request: "<p class='slot'>sunny</p>")
    slots = "<!-- test-weather -->\n\n<!-- no-such-slot -->"
    text = PAGE.replace("We are open on weekdays.", f"We are open on weekdays.\n\n{slots}")
    folder = Path(images.root).parent / "p"
    article_import_paths(paths=[write(folder / "v.md", text)], images=images)
    html = client.get("/visit").content.decode()
    assert "<p class='slot'>sunny</p>" in html
    assert "no-such-slot" not in html and "[[slot:" not in html


def test_membership_pages_show_the_tiers_staff_edit(demo_pages, client):
    from ketamine_association.association.models import MembershipTier

    tier = MembershipTier.objects.filter(active=True).order_by("display_order").first()
    for path in ("/membership", "/membership/practitioners"):
        html = client.get(path).content.decode()
        assert tier.name in html, path
        assert 'href="/provider-directory/apply"' in html, path


def test_a_page_cannot_take_a_blog_address_and_the_error_names_field_and_line(tmp_path, images):
    bad = PAGE.replace('path: "/visit"', 'path: "/blog/visit"')
    report = article_import_paths(paths=[write(tmp_path / "bad.md", bad)], images=images)
    (outcome,) = report.failed
    (error,) = outcome.errors
    assert (error.field, error.line) == ("path", 3)
    assert "/blog/" in error.message


def test_two_files_claiming_one_path_the_second_fails(tmp_path, images):
    write(tmp_path / "a.md", PAGE)
    write(tmp_path / "b.md", PAGE.replace("We are open", "We open"))
    report = article_import_paths(paths=[tmp_path], images=images)
    assert [o.status for o in report.outcomes] == ["imported", "failed"]
    assert report.outcomes[1].findings[0].code == "slug-duplicate"


def test_the_gate_checks_pages_with_the_same_codes(tmp_path, images):
    text = PAGE.replace("Take the train", "# A second title\n\n[Press](/press-kit) Take the train")
    report = content_check(paths=[write(tmp_path / "v.md", text)], images=images)
    codes = {f.code for f in report.findings}
    assert {"internal-link-dead", "heading-multiple-h1"} <= codes


def test_export_gives_the_files_back_and_reimport_changes_nothing(demo_pages, tmp_path, images):
    written = article_export(directory=tmp_path / "out")
    for path in PATHS:
        name = path.strip("/").replace("/", "-") + ".md"
        exported = tmp_path / "out" / "pages" / name
        assert exported in written
    again = article_import_paths(paths=[tmp_path / "out" / "pages"], images=images)
    assert again.count("unchanged") == len(PATHS) and not again.failed


def test_static_export_writes_every_page(demo_pages, tmp_path):
    call_command("export_site", str(tmp_path / "site"), "--workers", "1", verbosity=0)
    for path in PATHS:
        file = tmp_path / "site" / (path.strip("/") + ".html")
        assert file.exists(), path
        assert file.read_bytes() == Client().get(path).content, path


def test_every_test_the_privacy_page_cites_exists():
    """Each statement of /privacy names the test that backs it; a renamed or deleted test
    fails here, so the page cannot silently lose its evidence."""
    text = (DEMO_PAGES / "privacy.md").read_text(encoding="utf-8")
    cited = re.findall(r"<!-- test: ([\w/.]+)::(\w+) -->", text)
    assert len(cited) >= 10
    for file, name in cited:
        source = (ROOT / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"{file}::{name}"
