"""The demo editorial team `make run` prints: three real accounts that sign in with the
printed password, each holding its role; the reviewer approves as the demo reviewer."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ketamine_association.articles.models import Reviewer
from ketamine_association.editorial.demo import PASSWORD_ENV
from ketamine_association.editorial.roles import Role, roles_of

pytestmark = pytest.mark.django_db


def run(monkeypatch, password: str | None = None) -> str:
    if password is None:
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
    else:
        monkeypatch.setenv(PASSWORD_ENV, password)
    call_command("demo_reviewer", stdout=StringIO())
    out = StringIO()
    call_command("demo_editorial", stdout=out)
    return out.getvalue()


def printed(output: str) -> tuple[str, dict[str, str]]:
    password = re.search(r"Password\s+(\S+)", output).group(1)
    emails = dict(re.findall(r"^\s+(Authors|Editors|Medical reviewers)\s+(\S+)$", output, re.M))
    return password, emails


def test_each_printed_account_signs_in_with_the_printed_password_and_holds_its_role(
    client, monkeypatch
):
    password, emails = printed(run(monkeypatch))
    assert set(emails) == {"Authors", "Editors", "Medical reviewers"}
    expected = {"Authors": Role.AUTHOR, "Editors": Role.EDITOR, "Medical reviewers": Role.REVIEWER}
    for label, email in emails.items():
        user = get_user_model().objects.get(email=email)
        assert roles_of(user) == {expected[label]}
        response = client.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302, email
        client.logout()


def test_the_reviewer_account_is_the_demo_reviewer_and_only_the_editor_is_staff(monkeypatch):
    _, emails = printed(run(monkeypatch))
    reviewer = Reviewer.objects.get(slug="morgan-ellis")
    assert reviewer.user.email == emails["Medical reviewers"]
    staff = set(get_user_model().objects.filter(is_staff=True).values_list("email", flat=True))
    assert staff == {emails["Editors"]}


def test_runs_again_without_duplicates_and_the_variable_sets_the_password(client, monkeypatch):
    first, _ = printed(run(monkeypatch))
    second, emails = printed(run(monkeypatch, "a-chosen-editorial-passphrase"))
    assert second == "a-chosen-editorial-passphrase" != first
    assert get_user_model().objects.filter(email__endswith="@editorial.example").count() == 3
    login = {"login": emails["Authors"], "password": first}
    assert client.post("/accounts/login/", login).status_code == 200  # the old one is gone
