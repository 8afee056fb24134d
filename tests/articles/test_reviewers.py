"""Reviewer profiles: the model's checks, the admin, the public page /reviewers/<slug>."""

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError

from ketamine_association.articles.models import Reviewer
from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.content import content_version
from ketamine_association.core.seo import absolute
from tests.directory.factories import npi

from .factories import article_text, write

pytestmark = pytest.mark.django_db


def reviewer(**extra) -> Reviewer:
    values = {
        "name": "Sam Lee",
        "credentials": "DO",
        "slug": "sam-lee",
        "bio": "Psychiatrist.\n\nReviews our patient guides.",
        "email": "sam@reviewers.example",
    }
    return Reviewer.objects.create(**(values | extra))


def test_npi_is_validated_and_names_are_unique():
    with pytest.raises(ValidationError) as caught:
        Reviewer(name="A B", credentials="MD", slug="a-b", npi="1234567890").full_clean()
    assert "npi" in caught.value.message_dict
    Reviewer(name="A B", credentials="MD", slug="a-b", npi=npi(7)).full_clean()
    reviewer()
    with pytest.raises(ValidationError) as caught:
        Reviewer(name="  SAM   lee ", credentials="MD", slug="other").full_clean()
    assert caught.value.message_dict["name"] == ["Another reviewer has this name."]
    with pytest.raises(ValidationError) as caught:
        Reviewer(name="Kim Park, MD", credentials="MD", slug="kim").full_clean()
    assert "name" in caught.value.message_dict


def test_admin_creates_a_reviewer_and_refreshes_cached_pages(admin_client):
    before = content_version()
    response = admin_client.post(
        "/admin/articles/reviewer/add/",
        {
            "name": "Kim Park",
            "credentials": "MD, MPH",
            "slug": "kim-park",
            "npi": npi(3),
            "bio": "Anesthesiologist.",
            "email": "kim@reviewers.example",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Reviewer.objects.get(slug="kim-park")
    assert created.name_key == "kim park"
    assert content_version() != before
    bad = admin_client.post(
        "/admin/articles/reviewer/add/",
        {"name": "Kim Park", "credentials": "MD", "slug": "kim-2", "npi": "1234567890"},
    )
    assert bad.status_code == 200
    assert set(bad.context["adminform"].form.errors) == {"name", "npi"}
    assert admin_client.get("/admin/articles/reviewer/").status_code == 200


def test_reviewer_page_lists_the_articles_reviewed(tmp_path, images, client):
    reviewer(npi=npi(5))
    review = 'reviewedBy: "sam LEE, DO"\nlastReviewed: 2026-05-01\naudience:'
    write(tmp_path / "a.md", article_text("reviewed-one", **{"audience:": review}))
    write(tmp_path / "b.md", article_text("not-reviewed"))
    assert not article_import_paths(paths=[tmp_path], images=images).failed
    response = client.get("/reviewers/sam-lee")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<h1[^>]*>Sam Lee</h1>", html)
    assert "DO" in html and "Reviews our patient guides." in html
    assert 'href="/blog/reviewed-one"' in html
    assert "/blog/not-reviewed" not in html
    assert "sam@reviewers.example" not in html  # the email is for reminders only
    blocks = [
        json.loads(b)
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]
    (profile,) = [b for b in blocks if b["@type"] == "ProfilePage"]
    assert profile["mainEntity"]["@type"] == "Person"
    assert profile["mainEntity"]["name"] == "Sam Lee"
    assert profile["mainEntity"]["url"] == absolute("/reviewers/sam-lee")
    # and the article's line links here, matched case-insensitively
    article = client.get("/blog/reviewed-one").content.decode()
    assert '<a href="/reviewers/sam-lee">sam LEE, DO</a>' in article


def test_unknown_reviewer_page_is_404(client):
    assert client.get("/reviewers/nobody").status_code == 404


def test_reviewer_without_articles(client):
    reviewer()
    html = client.get("/reviewers/sam-lee").content.decode()
    assert "No published articles name this reviewer yet." in html


def test_scheduled_articles_are_not_listed(tmp_path, images, client):
    reviewer()
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    fields = {'publishedAt: "2026-02-03"': f'publishedAt: "{future}"',
              "audience:": 'reviewedBy: "Sam Lee, DO"\naudience:'}  # fmt: skip
    write(tmp_path / "a.md", article_text("scheduled", **fields))
    article_import_paths(paths=[tmp_path], images=images)
    assert "/blog/scheduled" not in client.get("/reviewers/sam-lee").content.decode()


PAGE = """---
title: "About ketamine care"
path: "/about-care"
description: "What ketamine care involves."
reviewedBy: "{by}"
lastReviewed: 2026-05-01
---

Plain words about care.
"""


def test_site_page_links_its_reviewer_and_an_unknown_one_is_an_info_finding(
    tmp_path, images, client
):
    reviewer()
    report = article_import_paths(
        paths=[
            write(tmp_path / "a.md", PAGE.replace("{by}", "Sam Lee, DO")),
            write(
                tmp_path / "b.md",
                PAGE.replace("{by}", "Ann Roe, RN").replace("/about-care", "/about-nursing"),
            ),
        ],
        images=images,
    )
    assert not report.failed
    findings = {o.key: [f.code for f in o.findings] for o in report.outcomes}
    assert "reviewer-unknown" not in findings["/about-care"]
    assert "reviewer-unknown" in findings["/about-nursing"]
    known = client.get("/about-care").content.decode()
    assert '<a href="/reviewers/sam-lee">Sam Lee, DO</a>' in known
    unknown = client.get("/about-nursing").content.decode()
    assert "Medically reviewed by Ann Roe, RN on" in unknown
    assert 'href="/reviewers/' not in unknown
