"""The editorial roles, as Django groups (made by migration 0002): who may do what is the
table in workflow.py; this module only says which roles an account holds."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    AUTHOR = "author", "Authors"
    EDITOR = "editor", "Editors"
    REVIEWER = "reviewer", "Medical reviewers"


# The group that grants each role (the group's name is what the admin shows).
GROUP_NAMES = {role: role.label for role in Role}


def role_group(role: Role):
    """The group that grants `role` (made by migration 0002; made here again if a test's
    flush or an administrator removed it)."""
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=GROUP_NAMES[role])[0]


def roles_of(user) -> frozenset[Role]:
    """The roles `user` holds; a superuser holds them all, an anonymous visitor none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Role)
    cached = getattr(user, "_editorial_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role, name in GROUP_NAMES.items() if name in names)
        user._editorial_roles = cached
    return cached


def has_any_role(user) -> bool:
    return bool(roles_of(user))
