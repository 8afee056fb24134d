"""Who may move a manuscript, and who may change its text: the rules written out here as
a table of their own (not read from workflow.ACTIONS), checked against `workflow.can()` /
`can_edit()` and against the services, which must refuse exactly what the table refuses
(PermissionDenied, nothing written) and do exactly what it allows (the target state, one
Transition row saying who, from, to and why).

The issue's must-haves are rows of these tables: an author cannot publish, approve or edit
another author's draft; a medical reviewer cannot publish."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from ketamine_association.articles.models import Article, Reviewer
from ketamine_association.editorial import services, workflow
from ketamine_association.editorial.models import Manuscript, State, Transition

from .factories import article_source, reviewer_account, user_with_role

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "no_role", "owner", "other_author", "editor", "reviewer", "superuser")
STATES = ("draft", "in_review", "changes_requested", "approved", "published", "archived")
ACTIONS = ("submit", "request_changes", "approve", "publish", "archive", "restore")

# Y: allowed, -: refused. Columns, in order: anonymous, an account with no editorial role,
# the author who wrote the manuscript, another author, an editor, a medical reviewer, a
# superuser (who holds every role).
#                                      anon none own  oth  edit rev  super
TRANSITIONS = {
    ("submit", "draft"):                 "-    -    Y    -    Y    -    Y",
    ("submit", "in_review"):             "-    -    -    -    -    -    -",
    ("submit", "changes_requested"):     "-    -    Y    -    Y    -    Y",
    ("submit", "approved"):              "-    -    -    -    -    -    -",
    ("submit", "published"):             "-    -    -    -    -    -    -",
    ("submit", "archived"):              "-    -    -    -    -    -    -",
    ("request_changes", "draft"):        "-    -    -    -    -    -    -",
    ("request_changes", "in_review"):    "-    -    -    -    -    Y    Y",
    ("request_changes", "changes_requested"): "- - - - - - -",
    ("request_changes", "approved"):     "-    -    -    -    -    -    -",
    ("request_changes", "published"):    "-    -    -    -    -    -    -",
    ("request_changes", "archived"):     "-    -    -    -    -    -    -",
    ("approve", "draft"):                "-    -    -    -    -    -    -",
    ("approve", "in_review"):            "-    -    -    -    -    Y    Y",
    ("approve", "changes_requested"):    "-    -    -    -    -    -    -",
    ("approve", "approved"):             "-    -    -    -    -    -    -",
    ("approve", "published"):            "-    -    -    -    -    -    -",
    ("approve", "archived"):             "-    -    -    -    -    -    -",
    ("publish", "draft"):                "-    -    -    -    -    -    -",
    ("publish", "in_review"):            "-    -    -    -    -    -    -",
    ("publish", "changes_requested"):    "-    -    -    -    -    -    -",
    ("publish", "approved"):             "-    -    -    -    Y    -    Y",
    ("publish", "published"):            "-    -    -    -    -    -    -",
    ("publish", "archived"):             "-    -    -    -    -    -    -",
    ("archive", "draft"):                "-    -    -    -    Y    -    Y",
    ("archive", "in_review"):            "-    -    -    -    Y    -    Y",
    ("archive", "changes_requested"):    "-    -    -    -    Y    -    Y",
    ("archive", "approved"):             "-    -    -    -    Y    -    Y",
    ("archive", "published"):            "-    -    -    -    Y    -    Y",
    ("archive", "archived"):             "-    -    -    -    -    -    -",
    ("restore", "draft"):                "-    -    -    -    -    -    -",
    ("restore", "in_review"):            "-    -    -    -    -    -    -",
    ("restore", "changes_requested"):    "-    -    -    -    -    -    -",
    ("restore", "approved"):             "-    -    -    -    -    -    -",
    ("restore", "published"):            "-    -    -    -    -    -    -",
    ("restore", "archived"):             "-    -    -    -    Y    -    Y",
}  # fmt: skip

TARGET = {
    "submit": "in_review",
    "request_changes": "changes_requested",
    "approve": "approved",
    "publish": "published",
    "archive": "archived",
    "restore": "draft",
}

# Who may change the text in each state (manuscript_save). A change to an approved or
# published manuscript sends it back to draft.
#                                anon none own  oth  edit rev  super
EDITS = {
    "draft":                     "-    -    Y    -    Y    -    Y",
    "in_review":                 "-    -    -    -    -    -    -",
    "changes_requested":         "-    -    Y    -    Y    -    Y",
    "approved":                  "-    -    -    -    Y    -    Y",
    "published":                 "-    -    -    -    Y    -    Y",
    "archived":                  "-    -    -    -    -    -    -",
}  # fmt: skip

# Who may start a manuscript, and who may read one written by "owner".
#                  anon none own  oth  edit rev  super
CREATE =          "-    -    Y    Y    Y    -    Y"  # fmt: skip
VIEW =            "-    -    Y    -    Y    Y    Y"  # fmt: skip


def allowed(row: str) -> dict[str, bool]:
    marks = row.split()
    assert len(marks) == len(ACTORS) and set(marks) <= {"Y", "-"}, row
    return {actor: mark == "Y" for actor, mark in zip(ACTORS, marks, strict=True)}


def test_the_tables_cover_every_action_state_and_actor():
    assert set(TRANSITIONS) == {(a, s) for a in ACTIONS for s in STATES}
    assert set(EDITS) == set(STATES)
    assert set(STATES) == {s.value for s in State}
    assert set(ACTIONS) == set(workflow.ACTIONS)  # no action the table does not judge


# -- the people and a manuscript in each state --------------------------------------------


@pytest.fixture
def people() -> dict:
    superuser = user_with_role("superuser", "root")
    Reviewer.objects.create(name="Sam Super", credentials="MD", slug="sam-super", user=superuser)
    return {
        "anonymous": AnonymousUser(),
        "no_role": user_with_role(None, "visitor"),
        "owner": user_with_role("author", "owner"),
        "other_author": user_with_role("author", "other"),
        "editor": user_with_role("editor", "editor"),
        "reviewer": reviewer_account("reviewer"),
        "superuser": superuser,
    }


def manuscript_in(state: str, people: dict, slug: str = "first-visit") -> Manuscript:
    """A manuscript written by "owner", brought to `state` through the real transitions."""
    owner, editor, reviewer = people["owner"], people["editor"], people["reviewer"]
    manuscript, _ = services.manuscript_create(user=owner, source=article_source(slug))
    steps = {
        "draft": [],
        "in_review": [(owner, "submit")],
        "changes_requested": [(owner, "submit"), (reviewer, "request_changes")],
        "approved": [(owner, "submit"), (reviewer, "approve")],
        "published": [(owner, "submit"), (reviewer, "approve"), (editor, "publish")],
        "archived": [(editor, "archive")],
    }[state]
    for user, action in steps:
        manuscript = services.transition(
            manuscript=manuscript, user=user, action=action, comment="Setting the scene."
        )
    manuscript.refresh_from_db()
    assert manuscript.state == state
    return manuscript


def snapshot(manuscript: Manuscript) -> dict:
    row = Manuscript.objects.get(pk=manuscript.pk)
    return {
        "state": row.state,
        "source": row.source,
        "publish_at": row.publish_at,
        "article": row.article_id,
        "transitions": Transition.objects.filter(manuscript=row).count(),
        "history": row.history.count(),
        "articles": sorted(Article.objects.values_list("slug", "content_hash")),
    }


# -- transitions --------------------------------------------------------------------------

CASES = [
    pytest.param(action, state, actor, allowed(TRANSITIONS[action, state])[actor],
                 id=f"{action}-{state}-{actor}")
    for action in ACTIONS
    for state in STATES
    for actor in ACTORS
]  # fmt: skip


@pytest.mark.parametrize("action, state, actor, expected", CASES)
def test_transition_permissions(people, action, state, actor, expected):
    manuscript = manuscript_in(state, people)
    user = people[actor]
    assert workflow.can(user, action, manuscript) is expected
    before = snapshot(manuscript)
    comment = "Checked against the clinic's leaflet."
    if not expected:
        with pytest.raises(PermissionDenied):
            services.transition(manuscript=manuscript, user=user, action=action, comment=comment)
        assert snapshot(manuscript) == before
        return
    result = services.transition(manuscript=manuscript, user=user, action=action, comment=comment)
    manuscript.refresh_from_db()
    assert result.state == manuscript.state == TARGET[action]
    new = Transition.objects.filter(manuscript=manuscript).exclude(
        pk__in=Transition.objects.filter(manuscript=manuscript).order_by("id")[
            : before["transitions"]
        ]
    )
    [row] = new.order_by("id")
    assert (row.action, row.user, row.from_state, row.to_state, row.comment) == (
        action,
        user,
        state,
        TARGET[action],
        comment,
    )
    latest = manuscript.history.first()
    assert manuscript.history.count() == before["history"] + 1
    assert (latest.history_user, latest.history_change_reason) == (user, action)
    live = Article.objects.filter(slug=manuscript.slug).exists()
    # Only publishing puts the article on the site; archiving a published one takes it off.
    assert live is (action == "publish" or (state == "published" and action != "archive"))


# -- the must-haves of the issue, named ---------------------------------------------------


@pytest.mark.parametrize("action", ["publish", "approve"])
def test_an_author_cannot_publish_or_approve_even_their_own(people, action):
    state = "approved" if action == "publish" else "in_review"
    manuscript = manuscript_in(state, people)
    with pytest.raises(PermissionDenied):
        services.transition(manuscript=manuscript, user=people["owner"], action=action)
    assert Manuscript.objects.get(pk=manuscript.pk).state == state
    assert not Article.objects.exists()


def test_a_reviewer_cannot_publish(people):
    manuscript = manuscript_in("approved", people)
    with pytest.raises(PermissionDenied):
        services.transition(manuscript=manuscript, user=people["reviewer"], action="publish")
    assert Manuscript.objects.get(pk=manuscript.pk).state == "approved"
    assert not Article.objects.exists()


def test_an_author_cannot_edit_or_send_another_authors_draft(people):
    manuscript = manuscript_in("draft", people)
    other = people["other_author"]
    with pytest.raises(PermissionDenied):
        services.manuscript_save(
            manuscript=manuscript, user=other, source=article_source("first-visit") + "\nMine."
        )
    with pytest.raises(PermissionDenied):
        services.transition(manuscript=manuscript, user=other, action="submit")
    assert snapshot(manuscript)["source"] == article_source("first-visit")


# -- editing ------------------------------------------------------------------------------

EDIT_CASES = [
    pytest.param(state, actor, allowed(EDITS[state])[actor], id=f"edit-{state}-{actor}")
    for state in STATES
    for actor in ACTORS
]


@pytest.mark.parametrize("state, actor, expected", EDIT_CASES)
def test_edit_permissions(people, state, actor, expected):
    manuscript = manuscript_in(state, people)
    user = people[actor]
    assert workflow.can_edit(user, manuscript) is expected
    before = snapshot(manuscript)
    new_source = article_source("first-visit").replace(
        "Rest for the remainder of the day.", "Rest quietly for the remainder of the day."
    )
    if not expected:
        with pytest.raises(PermissionDenied):
            services.manuscript_save(manuscript=manuscript, user=user, source=new_source)
        assert snapshot(manuscript) == before
        return
    services.manuscript_save(manuscript=manuscript, user=user, source=new_source)
    manuscript.refresh_from_db()
    assert manuscript.source == new_source
    assert manuscript.edited_by == user
    assert manuscript.history.count() == before["history"] + 1
    assert manuscript.history.first().history_user == user
    # What a reviewer approved, or what is live, goes back to draft when its text changes;
    # the live article itself is untouched.
    expected_state = "draft" if state in ("approved", "published") else state
    assert manuscript.state == expected_state
    assert snapshot(manuscript)["articles"] == before["articles"]


# -- creating and reading -----------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_create_permissions(people, actor):
    user = people[actor]
    expected = allowed(CREATE)[actor]
    assert workflow.can_create(user) is expected
    if not expected:
        with pytest.raises(PermissionDenied):
            services.manuscript_create(user=user, source=article_source("by-someone"))
        assert not Manuscript.objects.exists()
        return
    manuscript, _ = services.manuscript_create(user=user, source=article_source("by-someone"))
    assert manuscript.created_by == user and manuscript.state == State.DRAFT
    [row] = manuscript.transitions.all()
    assert (row.action, row.user) == ("create", user)


@pytest.mark.parametrize("actor", ACTORS)
def test_view_permissions(people, actor):
    manuscript = manuscript_in("draft", people)
    assert workflow.can_view(people[actor], manuscript) is allowed(VIEW)[actor]


def test_an_inactive_account_holds_no_role(people):
    editor = people["editor"]
    editor.is_active = False
    editor.save()
    manuscript = manuscript_in("draft", people)
    editor = type(editor).objects.get(pk=editor.pk)
    assert not workflow.can(editor, "archive", manuscript)
    assert not workflow.can_edit(editor, manuscript)
