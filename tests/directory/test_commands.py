"""seed_providers and import_providers: output and exit codes (0 ok, 1 bad rows, 2 usage)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketamine_association.directory.models import Provider

from .test_services import good_row, write_csv

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def test_seed_providers(capsys):
    output, code = run("seed_providers", "--count", "40", "--seed", "3")
    assert code == 0 and output.startswith("40 demo providers created in ")
    assert Provider.objects.filter(is_demo=True).count() == 40
    assert run("seed_providers", "--count", "-1")[1] == 2


def test_import_exit_codes_and_report(tmp_path):
    good = write_csv(tmp_path / "good.csv", [good_row()])
    output, code = run("import_providers", str(good))
    assert code == 0 and "1 rows: 1 created, 0 updated, 0 unchanged, 0 failed" in output
    output, code = run("import_providers", str(good))
    assert code == 0 and "0 created, 0 updated, 1 unchanged" in output

    mixed = write_csv(tmp_path / "mixed.csv", [good_row(npi="1000000004"), good_row(npi="42")])
    output, code = run("import_providers", str(mixed))
    assert code == 1
    assert "row 3, column npi: 42 is not a valid NPI: an NPI is exactly 10 digits" in output
    assert Provider.objects.filter(npi="1000000004").exists()

    output, code = run("import_providers", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in output


def test_import_json(tmp_path):
    path = write_csv(tmp_path / "p.csv", [good_row(), good_row(npi="1000000004", zip="x")])
    output, code = run("import_providers", str(path), "--json")
    assert code == 1
    report = json.loads(output.splitlines()[0])
    assert report["created"] == 1 and report["failed"] == 1
    assert report["errors"] == [
        {"row": 3, "column": "zip", "reason": "“x” is not a 5-digit ZIP code"}
    ]
