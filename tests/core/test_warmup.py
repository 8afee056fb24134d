"""Work done at a worker's start: registered by apps, run by the WSGI entry point."""

import subprocess
import sys

from ketamine_association.core import warmup
from ketamine_association.directory.geo import zip_index


def test_the_directory_registers_its_zip_index():
    assert zip_index in warmup._WARMUPS


def test_a_failing_warmup_is_logged_and_the_rest_still_run(monkeypatch, caplog):
    ran = []
    monkeypatch.setattr(warmup, "_WARMUPS", [])
    warmup.register_warmup(lambda: 1 / 0)
    warmup.register_warmup(lambda: ran.append("second"))
    warmup.warm_up()
    assert ran == ["second"]
    assert "warm-up" in caplog.text and "ZeroDivisionError" in caplog.text


def test_importing_the_wsgi_application_builds_the_zip_index():
    code = (
        "import config.wsgi;"
        "from ketamine_association.directory.geo import zip_index;"
        "print(zip_index.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "1"
