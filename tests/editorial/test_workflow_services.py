"""The editorial services (editorial/services.py) with the real database, the real article
pipeline and the real task queue: every transition is recorded, the gate and the reviewer's
profile stand between a manuscript and its approval, approval writes the review into the
frontmatter, and scheduled publishing goes live at its time (the clock moved with
time_machine) only if the manuscript is still approved."""

from __future__ import annotations

import datetime as dt
import importlib
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ketamine_association.articles.choices import FindingCode
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths
from ketamine_association.articles.source import parse_source
from ketamine_association.core import schedule
from ketamine_association.core.content import content_version
from ketamine_association.editorial import services
from ketamine_association.editorial.models import Manuscript, State, Transition
from ketamine_association.editorial.roles import GROUP_NAMES
from ketamine_association.editorial.services import WorkflowError
from ketamine_association.editorial.tasks import publish_scheduled_task
from tests.mailqueue import deliver_queued_mail

from .factories import BODY, article_source, reviewer_account, user_with_role

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY_ONE = dt.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
GO_LIVE = dt.datetime(2026, 6, 4, 8, 0, tzinfo=UTC)  # three days later, scheduled


@pytest.fixture
def team():
    return {
        "author": user_with_role("author", "writer"),
        "editor": user_with_role("editor", "desk"),
        "reviewer": reviewer_account("ada", name="Ada Lovelace", credentials="MD, PhD"),
    }


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the content version's bump, the scheduled task) as
    the commit of a real request would; the test's own transaction is never committed."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def act(manuscript, user, action, **kwargs):
    return services.transition(manuscript=manuscript, user=user, action=action, **kwargs)


def write(team, slug="first-visit", **kwargs) -> Manuscript:
    manuscript, _ = services.manuscript_create(
        user=team["author"], source=article_source(slug, **kwargs)
    )
    return manuscript


def approved(team, slug="first-visit", **kwargs) -> Manuscript:
    manuscript = write(team, slug)
    act(manuscript, team["author"], "submit")
    return act(manuscript, team["reviewer"], "approve", **kwargs)


def frontmatter(manuscript: Manuscript) -> dict:
    manuscript.refresh_from_db()
    return parse_source(manuscript.source, path=Path(f"{manuscript.slug}.md")).frontmatter


def transitions(manuscript: Manuscript) -> list[tuple]:
    rows = Transition.objects.filter(manuscript=manuscript).order_by("id")
    return [(t.action, t.from_state, t.to_state, t.user, t.comment, t.at) for t in rows]


def moment(minutes: int) -> dt.datetime:
    return DAY_ONE + dt.timedelta(minutes=minutes)


# -- every transition recorded ------------------------------------------------------------


def test_every_transition_is_recorded_with_who_when_and_why(team):
    author, editor, reviewer = team["author"], team["editor"], team["reviewer"]
    with time_machine.travel(moment(0), tick=False):
        manuscript = write(team)
    steps = [
        (1, author, "submit", ""),
        (2, reviewer, "request_changes", "Say how long the rest afterwards should be."),
        (4, author, "submit", "Added the length of the rest."),
        (5, reviewer, "approve", "Clear and accurate."),
        (6, editor, "publish", ""),
        (7, editor, "archive", "Replaced by a newer guide."),
        (8, editor, "restore", ""),
    ]
    for minute, user, action, comment in steps:
        if minute == 4:
            with time_machine.travel(moment(3), tick=False):
                services.manuscript_save(
                    manuscript=manuscript,
                    user=author,
                    source=article_source("first-visit").replace(
                        "Rest for the remainder", "Rest for two hours, then for the remainder"
                    ),
                )
        with time_machine.travel(moment(minute), tick=False):
            act(manuscript, user, action, comment=comment)
    assert transitions(manuscript) == [
        ("create", "draft", "draft", author, "", moment(0)),
        ("submit", "draft", "in_review", author, "", moment(1)),
        ("request_changes", "in_review", "changes_requested", reviewer, steps[1][3], moment(2)),
        ("submit", "changes_requested", "in_review", author, steps[2][3], moment(4)),
        ("approve", "in_review", "approved", reviewer, "Clear and accurate.", moment(5)),
        ("publish", "approved", "published", editor, "", moment(6)),
        ("archive", "published", "archived", editor, "Replaced by a newer guide.", moment(7)),
        ("restore", "archived", "draft", editor, "", moment(8)),
    ]
    # Every step is also a revision, by whom and why (the edit at minute 3 included).
    history = manuscript.history.order_by("history_date", "history_id")
    assert [(h.history_change_reason, h.history_user, h.history_date) for h in history] == [
        ("created", author, moment(0)),
        ("submit", author, moment(1)),
        ("request_changes", reviewer, moment(2)),
        ("edited", author, moment(3)),
        ("submit", author, moment(4)),
        ("approve", reviewer, moment(5)),
        ("publish", editor, moment(6)),
        ("archive", editor, moment(7)),
        ("restore", editor, moment(8)),
    ]


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_changes_cannot_be_requested_without_a_comment(team, comment):
    manuscript = write(team)
    act(manuscript, team["author"], "submit")
    before = transitions(manuscript)
    with pytest.raises(WorkflowError):
        act(manuscript, team["reviewer"], "request_changes", comment=comment)
    manuscript.refresh_from_db()
    assert manuscript.state == State.IN_REVIEW
    assert transitions(manuscript) == before


# -- approval -----------------------------------------------------------------------------


def test_approval_is_refused_while_the_gate_reports_an_error_and_allowed_after_the_fix(team):
    author, reviewer = team["author"], team["reviewer"]
    dead = BODY.replace("Bring a short list", "See [the checklist](#nowhere). Bring a short list")
    manuscript = write(team, body=dead)  # a draft may hold errors
    act(manuscript, author, "submit")
    before = transitions(manuscript)
    with pytest.raises(WorkflowError, match="quality gate"):
        act(manuscript, reviewer, "approve")
    manuscript.refresh_from_db()
    assert manuscript.state == State.IN_REVIEW
    assert transitions(manuscript) == before
    assert "reviewedBy" not in frontmatter(manuscript)
    errors = [f for f in manuscript.findings if f["severity"] == "error"]
    assert [f["code"] for f in errors] == [FindingCode.ANCHOR_MISSING.value]

    act(manuscript, reviewer, "request_changes", comment="The checklist link goes nowhere.")
    services.manuscript_save(
        manuscript=manuscript, user=author, source=article_source(manuscript.slug)
    )
    act(manuscript, author, "submit")
    act(manuscript, reviewer, "approve")
    manuscript.refresh_from_db()
    assert manuscript.state == State.APPROVED
    assert manuscript.error_count == 0


def test_approval_needs_the_reviewers_profile(team):
    manuscript = write(team)
    act(manuscript, team["author"], "submit")
    stranger = user_with_role("reviewer", "no-profile")
    source, before = manuscript.source, transitions(manuscript)
    with pytest.raises(WorkflowError, match="reviewer profile"):
        act(manuscript, stranger, "approve")
    manuscript.refresh_from_db()
    assert (manuscript.state, manuscript.source) == (State.IN_REVIEW, source)
    assert transitions(manuscript) == before


def test_approval_writes_the_review_and_the_publication_date_into_the_frontmatter(team, commits):
    with time_machine.travel(DAY_ONE, tick=False):
        manuscript = write(team)
        act(manuscript, team["author"], "submit")
        with commits():
            act(manuscript, team["reviewer"], "approve", publish_at=GO_LIVE)
    meta = frontmatter(manuscript)
    assert meta["reviewedBy"] == "Ada Lovelace, MD, PhD"  # "<name>, <credentials>"
    assert str(meta["lastReviewed"]) == "2026-06-01"  # the day of the approval
    assert dt.datetime.fromisoformat(str(meta["publishedAt"])) == GO_LIVE
    assert manuscript.publish_at == GO_LIVE
    # Published at its time, the page carries the review.
    with time_machine.travel(GO_LIVE + dt.timedelta(minutes=1), tick=False):
        services.publish_due()
    article = Article.objects.get(slug="first-visit")
    assert (article.reviewed_by, article.last_reviewed) == (
        "Ada Lovelace, MD, PhD",
        dt.date(2026, 6, 1),
    )
    assert article.published_at == GO_LIVE


def test_approval_without_a_date_leaves_the_publication_date_alone_and_renews_the_review(team):
    manuscript = write(team)
    stale = manuscript.source.replace(
        'audience: "patients"',
        'audience: "patients"\nreviewedBy: "Old Name, RN"\nlastReviewed: 2024-01-01\n'
        "reviewDue: 2024-06-01",
    )
    services.manuscript_save(manuscript=manuscript, user=team["author"], source=stale)
    act(manuscript, team["author"], "submit")
    with time_machine.travel(DAY_ONE, tick=False):
        act(manuscript, team["reviewer"], "approve")
    meta = frontmatter(manuscript)
    assert "publishedAt" not in meta and manuscript.publish_at is None
    assert meta["reviewedBy"] == "Ada Lovelace, MD, PhD"
    assert str(meta["lastReviewed"]) == "2026-06-01"
    assert "reviewDue" not in meta  # the new review's default (12 months on) applies


# -- scheduled publishing -----------------------------------------------------------------


def test_a_scheduled_article_is_not_public_before_its_time_and_goes_live_after(
    team, client, commits
):
    with time_machine.travel(DAY_ONE, tick=False):
        manuscript = approved(team, publish_at=GO_LIVE)
        assert services.publish_due() == []
        assert client.get("/blog/first-visit").status_code == 404
    with time_machine.travel(GO_LIVE - dt.timedelta(seconds=1), tick=False):
        assert services.publish_due() == []
        assert client.get("/blog/first-visit").status_code == 404
        assert not Article.objects.exists()
    version = content_version()
    with time_machine.travel(GO_LIVE + dt.timedelta(minutes=5), tick=False):
        with commits():
            published = services.publish_due()
        assert [m.pk for m in published] == [manuscript.pk]
        manuscript.refresh_from_db()
        assert manuscript.state == State.PUBLISHED and manuscript.article is not None
        response = client.get("/blog/first-visit")
        assert response.status_code == 200
        assert "Getting Ready for a First Visit" in response.content.decode()
    assert content_version() != version  # every cached page is stale now
    [last] = Transition.objects.filter(manuscript=manuscript, action="publish")
    assert (last.user, last.from_state, last.comment) == (None, State.APPROVED, "scheduled")
    # Run again: nothing more to publish.
    with time_machine.travel(GO_LIVE + dt.timedelta(hours=1), tick=False):
        assert services.publish_due() == []


def test_the_publish_scheduled_command_publishes_what_is_due(team, client, commits):
    with time_machine.travel(DAY_ONE, tick=False):
        approved(team, publish_at=GO_LIVE)
        out = StringIO()
        call_command("publish_scheduled", stdout=out)
        assert out.getvalue().strip() == "0 published"
    version = content_version()
    with time_machine.travel(GO_LIVE + dt.timedelta(minutes=1), tick=False):
        out = StringIO()
        with commits():
            call_command("publish_scheduled", stdout=out)
        assert out.getvalue().splitlines() == ["published /blog/first-visit", "1 published"]
        assert client.get("/blog/first-visit").status_code == 200
    assert content_version() != version


def test_a_scheduled_manuscript_edited_back_to_draft_is_not_published_at_its_time(
    team, client, commits
):
    with time_machine.travel(DAY_ONE, tick=False):
        with commits():
            manuscript = approved(team, publish_at=GO_LIVE)
        edited = manuscript.source.replace("Rest for the remainder", "Sleep for the remainder")
        services.manuscript_save(manuscript=manuscript, user=team["editor"], source=edited)
        manuscript.refresh_from_db()
        assert manuscript.state == State.DRAFT
    with time_machine.travel(GO_LIVE + dt.timedelta(days=1), tick=False):
        assert services.publish_due() == []
        deliver_queued_mail()  # the queued publication runs, and finds nothing approved
        call_command("publish_scheduled", stdout=StringIO())
        assert client.get("/blog/first-visit").status_code == 404
    manuscript.refresh_from_db()
    assert manuscript.state == State.DRAFT
    assert not Article.objects.exists()


def test_approving_with_a_future_date_queues_the_publication_for_that_moment(team, client, commits):
    with time_machine.travel(DAY_ONE, tick=False):
        with commits():
            manuscript = approved(team, publish_at=GO_LIVE)
        [queued] = DBTaskResult.objects.filter(task_path=publish_scheduled_task.module_path)
        assert (queued.status, queued.run_after) == (TaskResultStatus.READY, GO_LIVE)
        deliver_queued_mail()  # the worker leaves it: not its time yet
        queued.refresh_from_db()
        assert queued.status == TaskResultStatus.READY
    with time_machine.travel(GO_LIVE + dt.timedelta(seconds=30), tick=False):
        with commits():
            deliver_queued_mail()  # the worker's own code runs the task
        queued.refresh_from_db()
        assert queued.status == TaskResultStatus.SUCCESSFUL
        manuscript.refresh_from_db()
        assert manuscript.state == State.PUBLISHED
        assert client.get("/blog/first-visit").status_code == 200


def test_a_rescheduled_manuscript_goes_live_at_its_new_time_not_the_first(team, client, commits):
    editor, reviewer = team["editor"], team["reviewer"]
    later = GO_LIVE + dt.timedelta(days=7)
    with time_machine.travel(DAY_ONE, tick=False):
        with commits():
            manuscript = approved(team, publish_at=GO_LIVE)
        edited = manuscript.source.replace("light meal", "light breakfast")
        services.manuscript_save(manuscript=manuscript, user=editor, source=edited)
        act(manuscript, editor, "submit")
        with commits():
            act(manuscript, reviewer, "approve", publish_at=later)
    queued = DBTaskResult.objects.filter(task_path=publish_scheduled_task.module_path)
    assert sorted(queued.values_list("run_after", flat=True)) == [GO_LIVE, later]
    with time_machine.travel(GO_LIVE + dt.timedelta(minutes=1), tick=False):
        with commits():
            deliver_queued_mail()  # the first run: nothing is due any more
        assert client.get("/blog/first-visit").status_code == 404
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        with commits():
            deliver_queued_mail()
        page = client.get("/blog/first-visit")
        assert page.status_code == 200 and "light breakfast" in page.content.decode()
    assert Article.objects.get(slug="first-visit").published_at == later


@pytest.mark.parametrize("when", [None, DAY_ONE - dt.timedelta(days=1)])
def test_an_approval_without_a_future_date_is_not_scheduled(team, commits, when):
    with time_machine.travel(DAY_ONE, tick=False), commits():
        manuscript = approved(team, publish_at=when)
    assert manuscript.publish_at is None
    assert not DBTaskResult.objects.filter(task_path=publish_scheduled_task.module_path).exists()
    # It waits for an editor's "Publish now": the scheduled run leaves it.
    with time_machine.travel(DAY_ONE + dt.timedelta(days=2), tick=False):
        assert services.publish_due() == []
    manuscript.refresh_from_db()
    assert manuscript.state == State.APPROVED
    assert not Article.objects.exists()


def test_publish_now_on_a_scheduled_manuscript_goes_live_now(team, client, commits):
    with time_machine.travel(DAY_ONE, tick=False):
        with commits():
            manuscript = approved(team, publish_at=GO_LIVE)
            act(manuscript, team["editor"], "publish")
        assert client.get("/blog/first-visit").status_code == 200
    manuscript.refresh_from_db()
    assert (manuscript.state, manuscript.publish_at) == (State.PUBLISHED, None)
    assert Article.objects.get(slug="first-visit").published_at == DAY_ONE


def test_the_daily_job_publishes_due_manuscripts(team, client, commits):
    [job] = [job for job in schedule.daily_jobs() if job.name == "publish-scheduled"]
    with time_machine.travel(DAY_ONE, tick=False):
        manuscript = approved(team, publish_at=GO_LIVE)
        assert job.run(DAY_ONE) == 0
    later = GO_LIVE + dt.timedelta(hours=20)
    with time_machine.travel(later, tick=False):
        with commits():
            outcomes = {o.name: o for o in schedule.run_daily_jobs(now=later)}
        assert (outcomes["publish-scheduled"].count, outcomes["publish-scheduled"].error) == (1, "")
        assert client.get("/blog/first-visit").status_code == 200
    manuscript.refresh_from_db()
    assert manuscript.state == State.PUBLISHED


# -- a published article being edited -----------------------------------------------------


def test_a_published_article_keeps_its_published_text_until_the_edit_is_approved_and_published(
    team, client, commits
):
    author, editor, reviewer = team["author"], team["editor"], team["reviewer"]
    manuscript = approved(team)
    with commits():
        act(manuscript, editor, "publish")
    old_words, new_words = "light meal", "bowl of porridge"
    assert old_words in client.get("/blog/first-visit").content.decode()
    version = content_version()

    edited = manuscript.source.replace(old_words, new_words)
    services.manuscript_save(manuscript=manuscript, user=editor, source=edited)
    for step in (None, (author, "submit"), (reviewer, "approve")):
        if step:
            act(manuscript, *step)
        page = client.get("/blog/first-visit").content.decode()
        assert old_words in page and new_words not in page, step
        assert new_words not in Article.objects.get(slug="first-visit").body_markdown
    assert content_version() == version  # nothing public changed, no cache was dropped

    with commits():
        act(manuscript, editor, "publish")
    page = client.get("/blog/first-visit").content.decode()
    assert new_words in page and old_words not in page
    assert content_version() != version
    assert Article.objects.count() == 1


def test_archiving_takes_the_article_off_the_site_and_restoring_makes_it_a_draft(
    team, client, commits
):
    editor = team["editor"]
    manuscript = approved(team)
    with commits():
        act(manuscript, editor, "publish")
    assert client.get("/blog/first-visit").status_code == 200
    assert client.get("/search", {"q": "light meal"}).context["result"].total == 1
    version = content_version()
    with commits():
        act(manuscript, editor, "archive", comment="Out of date.")
    assert client.get("/search", {"q": "light meal"}).context["result"].total == 0
    assert client.get("/blog/first-visit").status_code == 404
    assert "first-visit" not in client.get("/blog").content.decode()
    assert not Article.objects.exists()
    assert content_version() != version
    act(manuscript, editor, "restore")
    manuscript.refresh_from_db()
    assert (manuscript.state, manuscript.article) == (State.DRAFT, None)
    assert client.get("/blog/first-visit").status_code == 404
    assert "reviewedBy" in manuscript.source  # the approved text stays, to work on again
    assert client.get("/search", {"q": "porridge meal"}).context["result"].total == 0
    # Once reviewed again, it goes back to its old address.
    act(manuscript, team["author"], "submit")
    act(manuscript, team["reviewer"], "approve")
    with commits():
        act(manuscript, editor, "publish")
    assert client.get("/blog/first-visit").status_code == 200
    assert client.get("/search", {"q": "light meal"}).context["result"].total == 1


# -- the roles' groups --------------------------------------------------------------------


def test_migration_0002_makes_exactly_the_groups_the_roles_name():
    migration = importlib.import_module("ketamine_association.editorial.migrations.0002_roles")
    assert set(migration.GROUPS) == set(GROUP_NAMES.values())
    assert set(GROUP_NAMES.values()) <= set(Group.objects.values_list("name", flat=True))
    Group.objects.all().delete()
    migration.create(django_apps, None)
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(GROUP_NAMES.values())
    migration.remove(django_apps, None)
    assert not Group.objects.exists()


def test_an_archived_article_stays_off_the_site_when_its_unchanged_file_is_imported_again(
    team, client, tmp_path, images
):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "first-visit.md").write_text(article_source("first-visit", published_at="2026-01-05"))
    article_import_paths(paths=[folder], images=images)
    manuscript = services.manuscript_for_article(
        article=Article.objects.get(slug="first-visit"), user=team["editor"]
    )
    act(manuscript, team["editor"], "archive", comment="Withdrawn pending new guidance.")
    assert client.get("/blog/first-visit").status_code == 404

    report = article_import_paths(paths=[folder], images=images)  # the routine corpus import
    [outcome] = report.outcomes
    manuscript.refresh_from_db()
    assert (outcome.status, manuscript.state) == ("failed", State.ARCHIVED)
    assert "archived" in " ".join(str(e.message) for e in outcome.errors)
    assert client.get("/blog/first-visit").status_code == 404
