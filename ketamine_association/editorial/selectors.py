"""Reads of the editorial workflow: which manuscripts a person may see, their history."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ketamine_association.articles.models import Article

from .models import Manuscript, State, Transition
from .roles import Role, roles_of
from .workflow import can_view


def manuscripts_visible(*, user) -> QuerySet[Manuscript]:
    """Editors and reviewers: every manuscript; an author: their own; anyone else: none."""
    roles = roles_of(user)
    manuscripts = Manuscript.objects.select_related("edited_by", "created_by")
    if roles & {Role.EDITOR, Role.REVIEWER}:
        return manuscripts.all()
    if Role.AUTHOR in roles:
        return manuscripts.filter(created_by=user)
    return manuscripts.none()


def manuscript_get_visible(*, user, pk: int) -> Manuscript | None:
    """The manuscript if `user` may see it; None (the view's 404) for a missing one and for
    one they may not see alike."""
    manuscript = Manuscript.objects.filter(pk=pk).select_related("article").first()
    if manuscript is None or not can_view(user, manuscript):
        return None
    return manuscript


def manuscripts_by_state(*, user) -> list[tuple[State, list[Manuscript]]]:
    """The visible manuscripts grouped by state; a reviewer sees "In review" first."""
    groups: dict[str, list[Manuscript]] = {state: [] for state in State}
    for manuscript in manuscripts_visible(user=user):
        groups[manuscript.state].append(manuscript)
    order = list(State)
    if Role.REVIEWER in roles_of(user):
        order.remove(State.IN_REVIEW)
        order.insert(0, State.IN_REVIEW)
    return [(state, groups[state]) for state in order]


def transitions_of(*, manuscript: Manuscript) -> list[Transition]:
    return list(manuscript.transitions.select_related("user"))


def latest_change_request(*, manuscript: Manuscript) -> Transition | None:
    """The reviewer's comment the author is answering, while changes are requested."""
    if manuscript.state != State.CHANGES_REQUESTED:
        return None
    return manuscript.transitions.filter(action="request_changes").select_related("user").first()


def published_to_open(*, query: str, limit: int = 20) -> list[Article]:
    """Published articles (not yet in the editor) whose title or slug holds `query`."""
    words = query.split()
    if not words:
        return []
    matching = Q()
    for word in words[:8]:
        matching &= Q(title__icontains=word) | Q(slug__icontains=word)
    articles = Article.objects.filter(matching, manuscript__isnull=True).only("slug", "title")
    return list(articles.order_by("title")[:limit])
