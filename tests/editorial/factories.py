"""Accounts with editorial roles and small manuscripts of our own writing, for the editor's
tests (views, preview links, the browser, the workflow's permissions and services).

Shared by several test modules: add to it, do not change what a function returns."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from ketamine_association.articles.models import Reviewer
from ketamine_association.editorial import services
from ketamine_association.editorial.roles import Role, role_group

PASSWORD = "a long editorial passphrase 42"

SOURCE = """---
title: "Sleep Before a Session"
slug: "{slug}"
excerpt: "How rest the night before changes the day of a session, in plain words for patients getting ready."
category: "PATIENT_EDUCATION"
weirdKey: "kept as written"
author: "Test Writer"
audience: "patients"
customBlock:
  first: 1
  second: [a, b]
tags: ["sleep", "preparation"]
---

# Sleep Before a Session

## Why Rest Helps

A rested body copes better with a long appointment. Go to bed at your usual time.

## What to Bring

Bring water, a warm layer and the name of the person who drives you home.
"""


def source(slug: str = "sleep-before-a-session", **replace: str) -> str:
    text = SOURCE.replace("{slug}", slug)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def account(username: str, *roles: Role, **extra):
    user = get_user_model().objects.create_user(
        username, f"{username}@editorial.example", PASSWORD, **extra
    )
    for role in roles:
        user.groups.add(role_group(role))
    return user


def reviewer_account(username: str = "reviewer", name: str = "Avery Quinn", credentials="MD"):
    user = account(username, Role.REVIEWER, first_name=name.split()[0])
    Reviewer.objects.create(name=name, credentials=credentials, user=user, slug=username)
    return user


def manuscript(user, text: str | None = None):
    made, _ = services.manuscript_create(user=user, source=text or source())
    return made


# -- for the workflow's tables and services ------------------------------------------------

ROLE_NAMES = {"author": Role.AUTHOR, "editor": Role.EDITOR, "reviewer": Role.REVIEWER}


def user_with_role(role, username: str):
    """An active account holding `role` ("author", "editor", "reviewer", a Role, or
    "superuser", who holds every role); None: an account with no editorial role."""
    if role == "superuser":
        return account(username, is_superuser=True, is_staff=True)
    if role is None:
        return account(username)
    return account(username, Role(ROLE_NAMES.get(role, role)))


# A body the quality gate passes without a finding: its contents list points at headings
# that exist, its questions are answered.
BODY = """# Getting Ready for a First Visit

## Contents

- [What to Bring](#what-to-bring)
- [After the Visit](#after-the-visit)

## What to Bring

Bring a short list of the medicines you take, and a note on how your mood has been over
the last few weeks. A friend can drive you home afterwards.

## After the Visit

Rest for the remainder of the day. Write down anything you noticed, so you can talk about
it at the next appointment.

## Frequently Asked Questions

### How long does a visit last?

Most visits take about two hours, with time to rest before you leave.

### Should I eat beforehand?

Ask the clinic. Many suggest a light meal a few hours before you arrive.
"""


def article_source(
    slug: str,
    *,
    body: str = BODY,
    published_at: dt.date | dt.datetime | str | None = None,
    title: str = "Getting Ready for a First Visit",
    category: str = "PATIENT_EDUCATION",
    tags: tuple[str, ...] = ("first visit", "preparation"),
) -> str:
    """A whole Markdown file (frontmatter and body) for the article `slug`, valid and free
    of gate errors with the default body."""
    lines = [
        "---",
        f'title: "{title}"',
        f'slug: "{slug}"',
        'excerpt: "What to bring, what to expect and how to rest afterwards: a plain guide '
        'for anyone preparing for a first appointment at a clinic."',
        f'category: "{category}"',
        'author: "Editorial Test Desk"',
        "tags: [" + ", ".join(f'"{t}"' for t in tags) + "]",
        'audience: "patients"',
    ]
    if published_at is not None:
        when = published_at if isinstance(published_at, str) else published_at.isoformat()
        lines.append(f'publishedAt: "{when}"')
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body
