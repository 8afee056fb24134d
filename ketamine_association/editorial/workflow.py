"""Who may do what to a manuscript: the one table every view, button and service reads.

Authors write their own drafts and send them to review; editors do that for every
manuscript, publish what a medical reviewer approved, archive and restore; medical reviewers
approve or request changes. A superuser holds every role. `can()` answers for a button;
`services.transition()` refuses with the same answer, so what a page offers and what the
server accepts cannot differ."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Manuscript, State
from .roles import Role, roles_of


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    own_only_for: frozenset[Role] = frozenset()  # roles that may act on their own only
    needs_comment: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "submit",
            "Send to review",
            frozenset({State.DRAFT, State.CHANGES_REQUESTED}),
            State.IN_REVIEW,
            frozenset({Role.AUTHOR, Role.EDITOR}),
            own_only_for=frozenset({Role.AUTHOR}),
        ),
        Action(
            "request_changes",
            "Request changes",
            frozenset({State.IN_REVIEW}),
            State.CHANGES_REQUESTED,
            frozenset({Role.REVIEWER}),
            needs_comment=True,
        ),
        Action(
            "approve",
            "Approve",
            frozenset({State.IN_REVIEW}),
            State.APPROVED,
            frozenset({Role.REVIEWER}),
        ),
        Action(
            "publish",
            "Publish now",
            frozenset({State.APPROVED}),
            State.PUBLISHED,
            frozenset({Role.EDITOR}),
        ),
        Action(
            "archive",
            "Archive",
            frozenset(set(State) - {State.ARCHIVED}),
            State.ARCHIVED,
            frozenset({Role.EDITOR}),
        ),
        Action(
            "restore",
            "Restore as a draft",
            frozenset({State.ARCHIVED}),
            State.DRAFT,
            frozenset({Role.EDITOR}),
        ),
    )
}

# Who may change the text, in which states. A change to an approved or published
# manuscript sends it back to draft: what goes live is what a reviewer approved.
EDITABLE = {
    Role.AUTHOR: frozenset({State.DRAFT, State.CHANGES_REQUESTED}),
    Role.EDITOR: frozenset({State.DRAFT, State.CHANGES_REQUESTED, State.APPROVED, State.PUBLISHED}),
}
CREATORS = frozenset({Role.AUTHOR, Role.EDITOR})


def is_own(user, manuscript: Manuscript) -> bool:
    return manuscript.created_by_id is not None and manuscript.created_by_id == user.pk


def can_create(user) -> bool:
    return bool(roles_of(user) & CREATORS)


def can_open_published(user) -> bool:
    """Editors take a published article into the editor (its manuscript is made then)."""
    return Role.EDITOR in roles_of(user)


def can_view(user, manuscript: Manuscript) -> bool:
    """Editors and reviewers see every manuscript; an author their own."""
    roles = roles_of(user)
    return bool(roles & {Role.EDITOR, Role.REVIEWER}) or (
        Role.AUTHOR in roles and is_own(user, manuscript)
    )


def can_edit(user, manuscript: Manuscript) -> bool:
    for role in roles_of(user):
        if manuscript.state in EDITABLE.get(role, ()):
            if role == Role.AUTHOR and not is_own(user, manuscript):
                continue
            return True
    return False


def can(user, action_name: str, manuscript: Manuscript) -> bool:
    """Whether `user` may take `action_name` on `manuscript` in its present state (the
    gate's errors, which also block approval, are checked by the service)."""
    action = ACTIONS.get(action_name)
    if action is None or manuscript.state not in action.sources:
        return False
    for role in roles_of(user) & action.roles:
        if role in action.own_only_for and not is_own(user, manuscript):
            continue
        return True
    return False


def allowed_actions(user, manuscript: Manuscript) -> list[Action]:
    return [a for a in ACTIONS.values() if can(user, a.name, manuscript)]
