"""Security checklist, deploy checks: `manage.py check --deploy --fail-level WARNING` is clean
under the production settings (as CI runs it), and the production settings refuse to start
with the insecure default SECRET_KEY or a short one.

Each case runs manage.py in a fresh interpreter with the environment a deployment gives it,
so the settings module is imported exactly as in production.
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

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = "config.settings.production"
KEY_ALPHABET = string.ascii_letters + string.digits + "!#%*+-.:=?@^_~"


def random_key(length: int = 60) -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(length))


def manage(*args: str, tmp_path: Path, **env: str | None) -> subprocess.CompletedProcess:
    """manage.py under the production settings; an env value of None removes the variable."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="ketamineassociation.org",
        SITE_URL="https://ketamineassociation.org",
        VAR_DIR=str(tmp_path / "var"),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_are_clean_under_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="unset (the insecure local default)"),
        pytest.param("insecure-" + random_key(60), id="the insecure- prefix"),
        pytest.param(random_key(49), id="49 characters"),
        pytest.param("", id="empty"),
    ],
)
def test_production_refuses_to_start_with_an_insecure_secret_key(secret_key, tmp_path):
    result = manage("check", tmp_path=tmp_path, SECRET_KEY=secret_key)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr, result.stderr[-2000:]
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("keys", [None, "", " "], ids=["unset", "empty", "blank"])
def test_production_refuses_to_start_without_field_encryption_keys(keys, tmp_path):
    """Personal data is encrypted at rest (core/crypto.py): production never falls back to a
    key made on the machine."""
    result = manage("check", tmp_path=tmp_path, FIELD_ENCRYPTION_KEYS=keys)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr and "FIELD_ENCRYPTION_KEYS" in result.stderr
    assert not (tmp_path / "var" / "field-encryption.key").exists()
