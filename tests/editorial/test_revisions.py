"""Revisions of a manuscript (editorial/revisions.py and its admin pages), with the real
database and the real workflow: every browser save keeps a revision, any two compare line
by line with every piece of text escaped, a restore is a new revision made through
manuscript_save (the workflow decides who may), and the admin pages are for staff only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from ketamine_association.articles.models import Article
from ketamine_association.editorial import revisions, services
from ketamine_association.editorial.models import Manuscript, State, Transition

from .factories import BODY, article_source, reviewer_account, user_with_role

pytestmark = pytest.mark.django_db

SLUG = "first-visit"
FIRST = article_source(SLUG)
SECOND = FIRST.replace("A friend can drive you home", "A relative can drive you home")
THIRD = SECOND.replace("Rest for the remainder", "Sleep for the remainder")
HOSTILE = SECOND.replace(
    "Rest for the remainder of the day.",
    'Rest <script>alert("revision")</script> for the remainder of the day.',
)


def staff(role, username: str, *, perms=("view_manuscript",)):
    """A staff account holding `role`, with the admin permissions `perms`."""
    user = user_with_role(role, username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history(manuscript) -> list[tuple[int, str, str, str]]:
    """Every revision, oldest first: (id, text, reason, state)."""
    return list(
        manuscript.history.order_by("history_id").values_list(
            "history_id", "source", "history_change_reason", "state"
        )
    )


def revisions_url(manuscript, **query) -> str:
    url = reverse("admin:editorial_manuscript_revisions", args=[manuscript.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def restore_url(manuscript, history_id) -> str:
    return reverse("admin:editorial_manuscript_restore", args=[manuscript.pk, history_id])


@pytest.fixture
def editor():
    return staff("editor", "desk")


@pytest.fixture
def written(editor):
    """A manuscript the editor wrote and saved twice more: three revisions."""
    manuscript, _ = services.manuscript_create(user=editor, source=FIRST)
    services.manuscript_save(manuscript=manuscript, user=editor, source=SECOND)
    services.manuscript_save(manuscript=manuscript, user=editor, source=THIRD)
    manuscript.refresh_from_db()
    return manuscript


def test_every_browser_save_keeps_a_revision_with_its_text(editor):
    manuscript, _ = services.manuscript_create(user=editor, source=FIRST)
    assert [r[1] for r in history(manuscript)] == [FIRST]
    for n, text in enumerate((SECOND, THIRD, HOSTILE), start=2):
        services.manuscript_save(manuscript=manuscript, user=editor, source=text)
        rows = history(manuscript)
        assert len(rows) == n
        assert rows[-1][1] == text and rows[-1][2] == "edited"
    assert [r[1] for r in history(manuscript)] == [FIRST, SECOND, THIRD, HOSTILE]
    assert {r.history_user for r in revisions.revisions_of(manuscript)} == {editor}
    # Saving the same text again is no new revision.
    services.manuscript_save(manuscript=manuscript, user=editor, source=HOSTILE)
    assert len(history(manuscript)) == 4


def test_diff_of_two_texts_line_by_line():
    lines = revisions.revision_diff("one\ntwo\nthree\n", "one\nTWO\nthree\nfour\n")
    assert [(d.kind, d.old_number, d.new_number, d.text) for d in lines] == [
        ("hunk", None, None, "@@ -1,3 +1,4 @@"),
        ("context", 1, 1, "one"),
        ("removed", 2, None, "two"),
        ("added", None, 2, "TWO"),
        ("context", 3, 3, "three"),
        ("added", None, 4, "four"),
    ]
    assert revisions.revision_diff("same\n", "same\n") == []


def changed_lines(html: str) -> dict[str, list[str]]:
    """The text of the added and removed rows of the page's diff table (still escaped)."""
    found = {"added": [], "removed": []}
    for kind, cell in re.findall(
        r'<tr class="diff-(added|removed)".*?<td[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td>\s*'
        r"<td[^>]*>(.*?)</td>",
        html,
        flags=re.S,
    ):
        found[kind].append(cell)
    return found


def test_admin_lists_every_revision_and_diffs_any_two(written, editor):
    rows = history(written)
    client = client_for(editor)
    page = client.get(revisions_url(written))
    assert page.status_code == 200
    html = page.content.decode()
    for history_id, *_ in rows:
        assert f'name="a" value="{history_id}"' in html
        assert f'name="b" value="{history_id}"' in html
    assert html.count("<td>edited</td>") == 2 and "<td>created</td>" in html
    assert "<td>desk</td>" in html and "<td>Draft</td>" in html
    # By default the last change: SECOND -> THIRD.
    default = changed_lines(html)
    tail = " of the day. Write down anything you noticed, so you can talk about"
    assert default["removed"] == ["-Rest for the remainder" + tail]
    assert default["added"] == ["+Sleep for the remainder" + tail]
    # Any two, chosen: the first and the last, both changes at once.
    first, last = rows[0][0], rows[-1][0]
    both = changed_lines(client.get(revisions_url(written, a=first, b=last)).content.decode())
    assert len(both["removed"]) == 2 and len(both["added"]) == 2
    assert "-Bring a short list" not in both["removed"]
    assert any("A friend can drive" in line for line in both["removed"])
    assert any("Sleep for the remainder" in line for line in both["added"])
    # A revision of no manuscript, or a value that is no number: 404, never 500.
    assert client.get(revisions_url(written, a=999999)).status_code == 404
    assert client.get(revisions_url(written, b="x")).status_code == 404


def test_diff_page_escapes_every_piece_of_text(written, editor):
    services.manuscript_save(manuscript=written, user=editor, source=HOSTILE)
    client = client_for(editor)
    html = client.get(revisions_url(written)).content.decode()
    assert "<script>alert" not in html
    added = changed_lines(html)["added"]
    assert added == [
        "+Rest &lt;script&gt;alert(&quot;revision&quot;)&lt;/script&gt; for the remainder of "
        "the day. Write down anything you noticed, so you can talk about"
    ]
    # The change page's text and the restore page's diff are escaped too.
    restore_page = client.get(restore_url(written, history(written)[0][0])).content.decode()
    change_page = client.get(
        reverse("admin:editorial_manuscript_change", args=[written.pk])
    ).content.decode()
    for html in (restore_page, change_page):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;revision&quot;)&lt;/script&gt;" in html


def test_restore_is_a_new_revision_and_leaves_the_old_ones(written, editor):
    before = history(written)
    oldest = before[0][0]
    client = client_for(editor)
    # The GET page only shows what the restore would change.
    page = client.get(restore_url(written, oldest))
    assert page.status_code == 200 and history(written) == before
    assert b"A relative can drive" in page.content

    response = client.post(restore_url(written, oldest))
    assert response.status_code == 302 and response["Location"] == revisions_url(written)
    after = history(written)
    assert after[: len(before)] == before  # history never rewritten
    assert len(after) == len(before) + 1
    new_id, text, reason, state = after[-1]
    assert text == FIRST and state == State.DRAFT
    assert reason.startswith(f"restored revision {oldest} of ")
    written.refresh_from_db()
    assert written.source == FIRST and written.edited_by == editor

    # Restoring the present text again saves nothing.
    client.post(restore_url(written, oldest))
    assert history(written) == after


def test_restore_of_a_published_manuscript_sends_it_to_draft_and_the_live_article_stays(
    editor,
):
    reviewer = reviewer_account("ada")
    body = BODY.replace("Rest for the remainder", "Rest quietly for the remainder")
    manuscript, _ = services.manuscript_create(user=editor, source=article_source(SLUG))
    services.manuscript_save(
        manuscript=manuscript, user=editor, source=article_source(SLUG, body=body)
    )
    old = history(manuscript)[0][0]
    services.transition(manuscript=manuscript, user=editor, action="submit")
    services.transition(manuscript=manuscript, user=reviewer, action="approve")
    services.transition(manuscript=manuscript, user=editor, action="publish")
    live = Article.objects.get(slug=SLUG)
    live_values = (live.body_markdown, live.content_hash, live.modified_at)
    assert "Rest quietly" in live.body_markdown

    response = client_for(editor).post(restore_url(manuscript, old))
    assert response.status_code == 302
    manuscript.refresh_from_db()
    assert manuscript.state == State.DRAFT
    assert "Rest quietly" not in manuscript.source
    live.refresh_from_db()
    assert (live.body_markdown, live.content_hash, live.modified_at) == live_values
    step = Transition.objects.filter(manuscript=manuscript).first()
    assert (step.from_state, step.to_state, step.user) == (State.PUBLISHED, State.DRAFT, editor)


@pytest.mark.parametrize(
    "who",
    ["an author, not the writer", "a medical reviewer", "an editor while in review"],
)
def test_a_user_who_may_not_edit_cannot_restore(who, written, editor):
    if who == "an author, not the writer":
        user = staff("author", "other-author")
    elif who == "a medical reviewer":
        user = staff("reviewer", "ada")
    else:
        services.transition(manuscript=written, user=editor, action="submit")
        user = editor
    written.refresh_from_db()
    before = history(written)
    state, source = written.state, written.source
    client = client_for(user)
    oldest = before[0][0]
    # The list is theirs to read (admin view permission), with no restore offered.
    page = client.get(revisions_url(written))
    assert page.status_code == 200
    assert restore_url(written, oldest).encode() not in page.content
    assert client.get(restore_url(written, oldest)).status_code == 403
    assert client.post(restore_url(written, oldest)).status_code == 403
    assert history(written) == before
    written.refresh_from_db()
    assert (written.state, written.source) == (state, source)


def test_restore_needs_the_csrf_token_and_a_revision_of_this_manuscript(written, editor):
    other, _ = services.manuscript_create(user=editor, source=article_source("other-visit"))
    before = history(written)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(restore_url(written, before[0][0])).status_code == 403
    foreign = history(other)[0][0]
    assert client_for(editor).post(restore_url(written, foreign)).status_code == 404
    assert client_for(editor).get(restore_url(written, foreign)).status_code == 404
    assert history(written) == before


@pytest.mark.parametrize("who", ["visitor", "editor without staff status"])
def test_non_staff_cannot_reach_the_revision_pages(who, written):
    client = Client()
    if who != "visitor":
        client.force_login(user_with_role("editor", "not-staff"))
    before = history(written)
    oldest = before[0][0]
    urls = [
        revisions_url(written),
        restore_url(written, oldest),
        reverse("admin:editorial_manuscript_changelist"),
        reverse("admin:editorial_manuscript_change", args=[written.pk]),
        reverse("admin:editorial_transition_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    response = client.post(restore_url(written, oldest))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert history(written) == before


def test_staff_without_the_view_permission_get_403(written):
    client = client_for(staff("editor", "intern", perms=()))
    before = history(written)
    for url in (revisions_url(written), restore_url(written, before[0][0])):
        assert client.get(url).status_code == 403, url
    assert client.post(restore_url(written, before[0][0])).status_code == 403
    assert history(written) == before


def test_manuscript_admin_list_change_page_and_transition_log(written, editor):
    services.transition(manuscript=written, user=editor, action="submit", comment="Ready now")
    client = client_for(staff("editor", "chief", perms=("view_manuscript", "view_transition")))
    listing = client.get(reverse("admin:editorial_manuscript_changelist"), {"state": "in_review"})
    assert listing.status_code == 200
    assert [m.pk for m in listing.context["cl"].result_list] == [written.pk]
    drafts = client.get(reverse("admin:editorial_manuscript_changelist"), {"state": "draft"})
    assert list(drafts.context["cl"].result_list) == []
    page = client.get(reverse("admin:editorial_manuscript_change", args=[written.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="{reverse("editorial:edit", args=[written.pk])}"' in html
    assert f'href="{revisions_url(written)}"' in html
    assert "Ready now" in html and "in_review" in html  # the transition log inline
    assert 'name="_save"' not in html  # read-only: nothing to save here
    log = client.get(reverse("admin:editorial_transition_changelist"))
    assert log.status_code == 200 and log.context["cl"].result_count == 2
    # Nothing is added, changed or deleted through the admin, even by a superuser.
    boss = client_for(user_with_role("superuser", "boss"))
    step = Transition.objects.filter(manuscript=written).first()
    for url in (
        reverse("admin:editorial_manuscript_add"),
        reverse("admin:editorial_manuscript_delete", args=[written.pk]),
        reverse("admin:editorial_transition_add"),
        reverse("admin:editorial_transition_delete", args=[step.pk]),
    ):
        assert boss.get(url).status_code == 403, url
    boss.post(
        reverse("admin:editorial_manuscript_change", args=[written.pk]),
        {"source": "replaced", "state": "published"},
    )
    written.refresh_from_db()
    assert (written.source, written.state) == (THIRD, State.IN_REVIEW)
    assert Manuscript.objects.count() == 1


BROWSER_HOSTILE = SECOND.replace(
    "Rest for the remainder of the day.",
    "Rest <script>window.revisionRan = 1</script> <img src=x onerror=window.revisionRan=2>"
    " for the remainder of the day.",
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_hostile_revision_is_inert_and_restore_works(page, context, site):
    from django.conf import settings

    editor = staff("editor", "desk")
    manuscript, _ = services.manuscript_create(user=editor, source=FIRST)
    services.manuscript_save(manuscript=manuscript, user=editor, source=SECOND)
    services.manuscript_save(manuscript=manuscript, user=editor, source=BROWSER_HOSTILE)
    client = client_for(editor)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    rows = history(manuscript)
    page.goto(site + revisions_url(manuscript))
    # The diff shows the hostile line as text; nothing of it ran or became an element.
    added = page.locator("table.revision-diff tr.diff-added td").nth(2)
    assert "<script>window.revisionRan = 1</script>" in added.inner_text()
    assert page.evaluate("() => window.revisionRan") is None
    assert page.locator("table.revision-diff script, table.revision-diff img").count() == 0
    # Choose the first and the hostile revision, compare, then restore the first.
    page.check(f'input[name="a"][value="{rows[0][0]}"]')
    page.check(f'input[name="b"][value="{rows[-1][0]}"]')
    page.get_by_role("button", name="Compare").click()
    assert f"a={rows[0][0]}" in page.url
    assert page.locator("table.revision-diff tr.diff-added").count() == 2
    assert page.evaluate("() => window.revisionRan") is None
    page.locator(f'a[href="{restore_url(manuscript, rows[0][0])}"]').click()
    assert page.evaluate("() => window.revisionRan") is None
    page.get_by_role("button", name=f"Restore revision {rows[0][0]}").click()
    page.wait_for_url("**" + revisions_url(manuscript))
    assert "restored as a new revision" in page.locator("ul.messagelist").inner_text()
    after = history(manuscript)
    assert after[:3] == rows and len(after) == 4 and after[-1][1] == FIRST
