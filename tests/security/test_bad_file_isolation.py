"""Security checklist, one bad file never blocks a batch: an article batch with a bad file of
each kind, each one between two good files, imports every good file and reports every bad one
with its own error (field and line where there is one); a provider CSV with bad rows of each
kind between good rows imports every good row and reports each bad row by row and column.

(test_every_kind_of_bad_file_fails_alone moved here from tests/articles/test_services.py, and
the bad files interleaved with good ones.)
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths
from ketamine_association.directory.models import Provider
from tests.articles.factories import article_text, write
from tests.directory.factories import npi
from tests.directory.test_services import good_row, write_csv

pytestmark = pytest.mark.django_db

# name -> (file content, the field its first error names, or None for a file-level error)
BAD_FILES = {
    "invalid-yaml": ("---\ntitle: 'open\n---\nx\n", None),
    "not-utf8": ("---\ntitle: caf\xe9\n---\n".encode("latin-1"), None),
    "no-frontmatter": ("# No frontmatter\n", None),
    "unclosed-frontmatter": ("---\ntitle: never closed\n# Body\n", None),
    "slug-traversal": (article_text("x").replace('slug: "x"', 'slug: "../x"'), "slug"),
    "slug-with-slash": (article_text("x").replace('slug: "x"', 'slug: "a/b"'), "slug"),
    "no-title": (
        article_text("no-title").replace('title: "Understanding Your Options"\n', ""),
        "title",
    ),
    "wrong-type": (
        article_text("typed").replace('tags: ["options", "questions"]', "tags: 7"),
        "tags",
    ),
    "alias": ("---\ntitle: b\na: &a [1, 1]\nb: [*a, *a]\n---\n", "b.0"),
    "huge": (article_text("huge") + "a " * 1_100_000, None),
    "empty": ("", None),
    "duplicate-slug": (article_text("good-00"), "slug"),  # claims the first good file's slug
}


def statuses(report) -> dict[str, str]:
    return {o.source.rsplit("/", 1)[-1]: o.status for o in report.outcomes}


def test_every_kind_of_bad_file_fails_alone(tmp_path, images):
    good = []
    for index, (kind, (content, _)) in enumerate(BAD_FILES.items()):
        good.append(f"good-{index:02d}")
        write(tmp_path / f"{index:02d}a-good.md", article_text(good[-1]))
        write(tmp_path / f"{index:02d}b-{kind}.md", content)
    good.append("good-last")
    write(tmp_path / "99-good.md", article_text("good-last"))

    report = article_import_paths(paths=[tmp_path], images=images)

    result = statuses(report)
    assert {name: s for name, s in result.items() if "good" in name} == {
        name: "imported" for name in result if "good" in name
    }
    assert set(Article.objects.values_list("slug", flat=True)) == set(good)
    failed = {o.source.rsplit("/", 1)[-1].split("-", 1)[1][:-3]: o for o in report.failed}
    assert set(failed) == set(BAD_FILES)
    for kind, (_, field) in BAD_FILES.items():
        outcome = failed[kind]
        assert outcome.errors and all(e.message for e in outcome.errors), kind
        assert outcome.errors[0].field == field, (kind, outcome.errors)
        if field not in (None, "title"):  # a missing title has no line to point at
            assert outcome.errors[0].line is not None, (kind, outcome.errors)


def import_providers_json(path) -> tuple[dict, int]:
    out = StringIO()
    try:
        call_command("import_providers", str(path), "--json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return json.loads(out.getvalue().splitlines()[0]), code


# Bad rows of each kind, each with the column it must be reported under.
BAD_ROWS = [
    ({"npi": "1234567890"}, "npi"),  # wrong check digit
    ({"name": ""}, "name"),
    ({"zip": "9021O"}, "zip"),
    ({"state": "NV"}, "zip"),  # the ZIP code is in CA
    ({"phone": "555-0142"}, "phone"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"price_min_usd": "cheap"}, "price_min_usd"),
    ({"treatments": "laughing gas"}, "treatments"),
    ({"bio": "x" * 5001}, "bio"),
]


def test_bad_provider_rows_fail_alone(tmp_path):
    rows, good_npis, bad = [], [], {}
    for index, (overrides, column) in enumerate(BAD_ROWS):
        good_npis.append(npi(500 + index))
        rows.append(good_row(npi=good_npis[-1], name=f"Good Clinician {index}"))
        rows.append(good_row(**{"npi": npi(600 + index), "name": f"Bad {index}", **overrides}))
        bad[len(rows) + 1] = column  # row numbers count the header as row 1
    good_npis.append(npi(599))
    rows.append(good_row(npi=good_npis[-1], name="Last Good Clinician"))

    report, code = import_providers_json(write_csv(tmp_path / "providers.csv", rows))

    assert code == 1
    assert report["created"] == len(good_npis)
    assert set(Provider.objects.values_list("npi", flat=True)) == set(good_npis)
    assert report["failed"] == len(BAD_ROWS)
    assert {(e["row"], e["column"]) for e in report["errors"]} == set(bad.items())
    assert all(e["reason"] for e in report["errors"])
