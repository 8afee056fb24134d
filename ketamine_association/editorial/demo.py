"""The demo site's editorial team, so the workflow can be tried on a fresh clone: an author,
an editor (staff, for the revisions in the admin) and a medical reviewer linked to the demo
reviewer's profile (articles' `demo_reviewer`). Fictional accounts on a reserved domain;
one password for the three, from $DEMO_EDITORIAL_PASSWORD or new on every call."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from ketamine_association.articles.models import Reviewer

from .roles import Role, role_group

PASSWORD_ENV = "DEMO_EDITORIAL_PASSWORD"  # noqa: S105 - the variable's name, not a password
DOMAIN = "editorial.example"
DEMO_REVIEWER_SLUG = "morgan-ellis"  # articles/management/commands/demo_reviewer.py
ACCOUNTS = {Role.AUTHOR: "author", Role.EDITOR: "editor", Role.REVIEWER: "reviewer"}
# What an editor needs in the admin: the manuscripts, their revisions and transitions.
EDITOR_PERMISSIONS = (
    "view_manuscript",
    "change_manuscript",
    "view_historicalmanuscript",
    "view_transition",
)


@dataclass(frozen=True)
class DemoTeam:
    emails: dict[Role, str]
    password: str
    generated: bool


@transaction.atomic
def demo_team_ensure(*, password: str | None = None) -> DemoTeam:
    generated = not password
    password = password or secrets.token_urlsafe(12)
    User = get_user_model()
    emails = {}
    for role, name in ACCOUNTS.items():
        email = f"{name}@{DOMAIN}"
        user = User.objects.filter(email__iexact=email).first() or User(
            username=f"demo-{name}", email=email
        )
        user.set_password(password)
        user.is_staff = role == Role.EDITOR
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        user.groups.add(role_group(role))
        if role == Role.EDITOR:
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="editorial", codename__in=EDITOR_PERMISSIONS
                )
            )
        if role == Role.REVIEWER:
            Reviewer.objects.filter(slug=DEMO_REVIEWER_SLUG).update(user=user)
        emails[role] = email
    return DemoTeam(emails=emails, password=password, generated=generated)
