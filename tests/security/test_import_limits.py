"""Security checklist, YAML bombs and oversized files: `import_articles --json` given a batch
with a billion-laughs file (aliases), deeply nested frontmatter (flow and block style, both
under libyaml's own depth limit), a 3 MB file and a file with a 1 MB frontmatter line reports
each of them as a failed file, with an error that names the file and, where there is one, the
field and the line, and imports every other file of the batch.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketamine_association.articles.models import Article
from tests.articles.factories import article_text, write

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def billion_laughs() -> str:
    """Nine levels of nine references each: 9**9 'lol's once the aliases are expanded."""
    lines = ["---", "title: lol", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join([*lines, "---", "# Lol", ""])


# Each hostile file, with (field, line, words of the message) its error must carry.
HOSTILE = {
    "02-billion-laughs.md": (billion_laughs(), ("b.0", 4, "aliases")),
    # 900 levels: under libyaml's limit of 1000, over Python's recursion limit.
    "04-nested-flow.md": (
        "---\ntitle: deep\nnesting: " + "[" * 900 + "]" * 900 + "\n---\n# Deep\n",
        ("nesting", 3, "nested more than"),
    ),
    "06-nested-block.md": (
        "---\ntitle: deep\nnesting:\n"
        + "".join(" " * depth + f"k{depth}:\n" for depth in range(1, 200))
        + " " * 200
        + "leaf: 1\n---\n# Deep\n",
        ("nesting", 23, "nested more than 20 levels"),  # the line where it goes past 20
    ),
    "08-three-megabytes.md": (
        article_text("three-megabytes") + "word " * (3 * MB // 5),
        (None, None, "the limit is 2,097,152"),
    ),
    "10-megabyte-line.md": (
        article_text("megabyte-line").replace(
            'author: "Test Editor"', 'author: "Test Editor"\nnotes: "' + "x" * MB + '"'
        ),
        ("notes", 7, "the limit is 65,536"),
    ),
}
GOOD = ["01-good", "03-good", "05-good", "07-good", "09-good", "11-good"]


def import_json(*paths) -> tuple[dict, int]:
    out = StringIO()
    try:
        call_command("import_articles", *map(str, paths), "--json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return json.loads(out.getvalue()), code


def test_hostile_files_fail_alone_with_a_clear_error(tmp_path, served_images):
    for name in GOOD:
        write(tmp_path / f"{name}.md", article_text(name))
    for name, (text, _) in HOSTILE.items():
        write(tmp_path / name, text)
    assert (tmp_path / "08-three-megabytes.md").stat().st_size > 3 * MB
    assert max(map(len, (tmp_path / "10-megabyte-line.md").read_text().splitlines())) > MB

    report, code = import_json(tmp_path)

    assert code == 1
    assert report["imported"] == len(GOOD)
    assert set(Article.objects.values_list("slug", flat=True)) == set(GOOD)
    failed = {entry["file"]: entry["errors"] for entry in report["failed"]}
    assert set(failed) == {str(tmp_path / name) for name in HOSTILE}
    for name, (_, (field, line, words)) in HOSTILE.items():
        [error] = failed[str(tmp_path / name)]
        assert (error["field"], error["line"]) == (field, line), (name, error)
        assert words in error["message"], (name, error)
