"""import_articles / export_articles: output, JSON shape and exit codes, through the real CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .factories import article_text, write

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_json_output_is_exactly_one_object(tmp_path, images, capsys):
    write(tmp_path / "good.md", article_text("json-good"))
    write(tmp_path / "bad.md", "---\ntitle: 3\nslug: ok\n---\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_articles", str(tmp_path), "--json")
    assert caught.value.returncode == 1
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == 1 and out["updated"] == 0 and out["unchanged"] == 0
    (failed,) = out["failed"]
    assert failed["file"].endswith("bad.md")
    assert failed["errors"] == [
        {"field": "title", "line": 2, "message": failed["errors"][0]["message"]}
    ]
    assert {f["code"] for f in out["findings"]} >= {"image-missing"}
    finding = out["findings"][0]
    assert set(finding) == {"file", "slug", "code", "severity", "line", "message"}


def test_success_exits_zero_with_findings(tmp_path, images, capsys):
    write(tmp_path / "good.md", article_text("cli-good"))
    call_command("import_articles", str(tmp_path))
    out = capsys.readouterr().out
    assert "imported" in out and "/blog/cli-good" in out
    assert "1 imported, 0 updated, 0 unchanged, 0 failed" in out


def test_usage_error_exits_two(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_articles", str(tmp_path / "nowhere"))
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        call_command("import_articles", str(tmp_path), "--images", str(tmp_path / "none"))
    assert caught.value.returncode == 2


def test_real_process_exit_codes(tmp_path):
    """The exit codes a CI pipeline sees, from a real `manage.py` process and database."""
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    write(tmp_path / "in" / "good.md", article_text("proc-good"))
    ok = subprocess.run(
        [*manage, "import_articles", str(tmp_path / "in"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["imported"] == 1
    write(tmp_path / "in" / "bad.md", "no frontmatter\n")
    bad = subprocess.run(
        [*manage, "import_articles", str(tmp_path / "in"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["unchanged"] == 1
    usage = subprocess.run(
        [*manage, "import_articles"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert usage.returncode == 2


def test_export_command_writes_markdown(tmp_path, images, capsys):
    write(tmp_path / "in" / "a.md", article_text("export-me"))
    call_command("import_articles", str(tmp_path / "in"), "--json")
    capsys.readouterr()
    call_command("export_articles", str(tmp_path / "out"))
    assert "1 file(s) written" in capsys.readouterr().out
    text = (tmp_path / "out" / "export-me.md").read_text()
    assert text.startswith("---\ntitle: Understanding Your Options\n")
