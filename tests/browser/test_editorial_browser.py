"""Issue 16's acceptance, in a real browser at a phone's width: an author writes a draft with a
dead anchor, sees the gate's finding beside the text (its link selects the line), fixes it
and sends it to review; a medical reviewer requests changes; the author reads the comment,
fixes and sends it again; the reviewer approves it for a later date; when the clock reaches
that date the scheduled publication runs and the public page shows the review line and its
JSON-LD names the reviewer. The editor passes axe."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from ketamine_association.editorial import services
from ketamine_association.editorial.models import Manuscript, State
from ketamine_association.editorial.roles import GROUP_NAMES, Role
from tests.editorial.factories import BODY, account, reviewer_account

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser

DEAD = "Read the [notes on rest](#nowhere) before you go."
FIXED = "Read the [notes after the visit](#after-the-visit) before you go."
SLUG = "getting-ready-for-a-first-visit"


def sign_in_as(context, site: str, user) -> None:
    """The browser carries `user`'s session (a real session, made by Django's login)."""
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )


def selected_text(page) -> str:
    return page.evaluate(
        "() => { const t = document.activeElement;"
        " return t.id + '|' + t.value.substring(t.selectionStart, t.selectionEnd); }"
    )


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), "white").save(out, "PNG")
    return out.getvalue()


def jsonld_blocks(html: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


def test_write_review_revise_approve_and_publish_on_schedule(page, context, site):
    for role in Role:
        Group.objects.get_or_create(name=GROUP_NAMES[role])
    author = account("author", Role.AUTHOR)
    reviewer = reviewer_account("reviewer", name="Avery Quinn", credentials="MD, PhD")

    # The author writes a new draft whose body has a dead anchor.
    sign_in_as(context, site, author)
    page.goto(f"{site}/editor/")
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Getting Ready for a First Visit")
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Category").select_option("PATIENT_EDUCATION")
    page.get_by_label("Author").fill("Editorial Test Desk")
    page.get_by_label("Excerpt").fill(
        "What to bring, what to expect and how to rest afterwards: a plain guide for anyone "
        "preparing for a first appointment at a clinic."
    )
    page.get_by_label("Tags").fill("first visit, preparation")
    body = BODY.replace("## After the Visit", f"{DEAD}\n\n## After the Visit")
    page.get_by_label("Body (Markdown)").fill(body)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    manuscript = Manuscript.objects.get(slug=SLUG)
    assert page.url.endswith(f"/editor/{manuscript.pk}")

    # The finding is beside the text; its link selects the line in the body.
    findings = page.locator("#findings")
    expect(findings).to_contain_text("anchor-missing")
    assert_accessible(page)  # the editor with its findings, at a phone's width
    findings.locator("a.ed-goto", has_text="line").first.click()
    assert selected_text(page) == f"id_body|{DEAD}"

    # Fixing the text updates the findings live (the pipeline's check, not saved yet).
    fixed = BODY.replace("## After the Visit", f"{FIXED}\n\n## After the Visit")
    page.get_by_label("Body (Markdown)").fill(fixed)
    expect(findings).not_to_contain_text("anchor-missing")
    expect(page.locator("#preview a[href='#after-the-visit']")).to_have_count(2)
    # An image uploaded from the editor is inserted at the cursor (the end of the body).
    page.get_by_label("Image (required)").set_input_files(
        {"name": "waiting room.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    page.get_by_label("Alt text").fill("A quiet waiting room")
    page.get_by_role("button", name="Upload image").click()
    expect(page.locator("#upload-status")).to_contain_text("Inserted")
    inserted = page.get_by_label("Body (Markdown)").input_value()
    image = re.search(r"!\[A quiet waiting room\]\((/images/articles/[^)]+\.png)\)\Z", inserted)
    assert image, inserted[-200:]
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    manuscript.refresh_from_db()
    assert "#nowhere" not in manuscript.source and manuscript.error_count == 0
    assert image[0] in manuscript.source
    page.get_by_role("button", name="Send to review").click()
    page.wait_for_load_state()
    expect(page.locator(".ed-state")).to_have_text("In review")

    # The reviewer asks for a change, with a comment.
    sign_in_as(context, site, reviewer)
    page.goto(f"{site}/editor/")
    page.get_by_role("link", name="Getting Ready for a First Visit").click()
    page.get_by_label(re.compile("^Comment")).fill("Say how long to rest after the visit.")
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_load_state()
    expect(page.locator(".ed-state")).to_have_text("Changes requested")

    # The author sees the comment, fixes and sends it again.
    sign_in_as(context, site, author)
    page.goto(f"{site}/editor/{manuscript.pk}")
    expect(page.locator(".ed-change-request")).to_contain_text(
        "Say how long to rest after the visit."
    )
    text = page.get_by_label("Body (Markdown)").input_value()
    page.get_by_label("Body (Markdown)").fill(
        text.replace("Rest for the remainder of the day.", "Rest for at least six hours.")
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Send to review").click()
    page.wait_for_load_state()
    expect(page.locator(".ed-state")).to_have_text("In review")

    # The reviewer approves it for a later date: scheduled, not yet public.
    when = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    sign_in_as(context, site, reviewer)
    page.goto(f"{site}/editor/{manuscript.pk}")
    page.get_by_label(re.compile("^Publish on")).fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    expect(page.locator(".ed-state")).to_have_text("Approved")
    manuscript.refresh_from_db()
    assert manuscript.state == State.APPROVED and manuscript.publish_at == when
    reviewed_on = timezone.localdate()
    assert services.publish_due() == []  # its time has not come
    assert page.goto(f"{site}/blog/{SLUG}").status == 404

    # The clock reaches the date: the scheduled publication runs, the page is live.
    with time_machine.travel(when + dt.timedelta(minutes=5), tick=True):
        assert [m.slug for m in services.publish_due()] == [SLUG]
        response = page.goto(f"{site}/blog/{SLUG}")
        assert response.status == 200
        line = page.locator(".review-line")
        expect(line).to_have_text(
            f"Medically reviewed by Avery Quinn, MD, PhD on {reviewed_on:%B} "
            f"{reviewed_on.day}, {reviewed_on.year}"
        )
        expect(line.get_by_role("link", name="Avery Quinn, MD, PhD")).to_have_attribute(
            "href", "/reviewers/reviewer"
        )
        blocks = jsonld_blocks(page.content())
    manuscript.refresh_from_db()
    assert manuscript.state == State.PUBLISHED
    reviewed = [b for b in blocks if "reviewedBy" in b]
    assert reviewed, blocks
    assert reviewed[0]["lastReviewed"] == reviewed_on.isoformat()
    assert "Avery Quinn" in json.dumps(reviewed[0]["reviewedBy"])
