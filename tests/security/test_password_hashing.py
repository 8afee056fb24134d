"""Security checklist, Argon2: the settings that ship (base, and production on top of it) hash
new passwords with Argon2id, and a password stored with an older hasher (PBKDF2) is rehashed
with Argon2 at the next successful login.

The test settings use MD5 for speed, so these tests read the shipped settings: the base module
itself, and make_password run in a fresh interpreter under the production settings (which
could override the base list).
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password

from config.settings import base

from .site_content import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"

HASH_IN_A_FRESH_PROCESS = """
import django
django.setup()
from django.contrib.auth.hashers import check_password, make_password
encoded = make_password("correct horse battery staple")
assert check_password("correct horse battery staple", encoded)
print(encoded)
"""


def shipped_env(module: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    alphabet = string.ascii_letters + string.digits + "!#%*+-.:=?@^_~"
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="ketamineassociation.org",
        SITE_URL="https://ketamineassociation.org",
        VAR_DIR=str(tmp_path / "var"),
    )
    return env


def test_base_settings_put_argon2_first():
    assert base.PASSWORD_HASHERS[0] == ARGON2


def test_production_hashes_new_passwords_with_argon2id(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", HASH_IN_A_FRESH_PROCESS],
        cwd=ROOT,
        env=shipped_env("config.settings.production", tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    encoded = result.stdout.strip().splitlines()[-1]
    assert encoded.startswith("argon2$argon2id$"), encoded


@pytest.mark.django_db
def test_a_pbkdf2_password_is_rehashed_with_argon2_at_login(client, settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS  # what ships, not the tests' MD5
    # A PBKDF2 hash as an older release stored it (fewer iterations keep the test fast).
    stored = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), 10_000)
    user = get_user_model().objects.create(username="veteran", is_staff=True, password=stored)
    assert user.password.startswith("pbkdf2_sha256$")

    client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "veteran", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$"), user.password
    assert check_password(PASSWORD, user.password)
    # The new hash works: a second login succeeds and leaves it as it is.
    client.post("/admin/logout/")
    again = client.post("/admin/login/?next=/admin/", {"username": "veteran", "password": PASSWORD})
    assert again.status_code == 302
    stored = user.password
    user.refresh_from_db()
    assert user.password == stored
