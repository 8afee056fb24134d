"""The NPPES registry client: recorded API v2.1 answers (fixtures/nppes, fictional people and
NPIs), the name match, the npi-registry check it records, the live client's switch and its
failures (no network: a local server that is not there), and check_npi_registry."""

import json
import socket
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ketamine_association.directory import registry as registry_module
from ketamine_association.directory.registry import (
    LiveRegistry,
    RecordedRegistry,
    RegistryUnavailable,
    name_matches,
    record_from_response,
    registry,
    registry_verdict,
)
from ketamine_association.directory.services import npi_registry_check
from ketamine_association.directory.validators import npi_is_valid

from .factories import checked, make_provider

RECORDED = Path(__file__).parent / "fixtures" / "nppes"
MATCH, NO_RESULT, DEACTIVATED = "1482135765", "1730192840", "1266509177"


@pytest.fixture
def recorded(settings):
    settings.NPI_REGISTRY_LIVE = False
    settings.NPI_REGISTRY_RECORDINGS = RECORDED
    return RecordedRegistry(RECORDED)


def test_fixtures_are_fictional_valid_npis():
    for path in RECORDED.glob("*.json"):
        assert npi_is_valid(path.stem), path.name
        data = json.loads(path.read_text())
        assert set(data) == {"result_count", "results"}


def test_recorded_match_no_result_and_deactivated(recorded):
    record = recorded.lookup(MATCH)
    assert (record.first_name, record.last_name, record.credential) == (
        "MARISOL",
        "QUENTARA",
        "M.D.",
    )
    assert (record.taxonomy, record.state, record.status) == (
        "Psychiatry & Neurology, Psychiatry",
        "CA",
        "active",
    )
    assert recorded.lookup(NO_RESULT) is None
    assert recorded.lookup(DEACTIVATED).status == "deactivated"
    with pytest.raises(RegistryUnavailable, match="no recorded answer"):
        recorded.lookup("1000000004")
    with pytest.raises(ValueError, match="not a valid NPI"):
        recorded.lookup("../../etc/passwd")


def test_an_error_answer_is_unavailable_not_a_miss():
    errors = {"Errors": [{"description": "Field number must be 10 digits", "number": "02"}]}
    with pytest.raises(RegistryUnavailable):
        record_from_response(errors, npi=MATCH)


def test_name_match_is_reasonable(recorded):
    record = recorded.lookup(MATCH)
    for name in ("Marisol Quentara", "Dr. Marisol A. Quentara", "M. Quentara", "MARISOL QUENTARA"):
        assert name_matches(record, name=name), name
    for name in ("Marisol Quintero", "Jane Doe", "Quentara", ""):
        assert not name_matches(record, name=name), name
    assert registry_verdict(record, name="Jane Doe")[0] is False
    passed, detail = registry_verdict(record, name="Marisol Quentara")
    assert passed and detail == "MARISOL QUENTARA, M.D.; Psychiatry & Neurology, Psychiatry; CA"


@pytest.mark.django_db
def test_registry_check_records_match_miss_and_deactivated(recorded):
    matched = checked(make_provider(name="Marisol Quentara", npi=MATCH), "license")
    check = npi_registry_check(provider=matched, source=recorded)
    assert check.passed and check.kind == "npi-registry" and check.checked_by is None
    assert "Psychiatry" in check.detail
    assert matched.verification_status == "verified"  # registry NPI + current license

    missing = make_provider(name="Nobody Here", npi=NO_RESULT)
    check = npi_registry_check(provider=missing)  # registry() reads the recordings
    assert not check.passed and check.detail == "no such NPI in the registry"
    assert missing.verification_status == "failed"

    gone = checked(make_provider(name="Theodric Vallance", npi=DEACTIVATED), "npi-format")
    check = npi_registry_check(provider=gone, source=recorded)
    assert not check.passed and check.detail.startswith("deactivated: THEODRIC VALLANCE")
    assert gone.verification_status == "failed"  # the registry outranks the format check

    unrecorded = make_provider(npi="1000000004")
    assert npi_registry_check(provider=unrecorded, source=recorded) is None
    assert not unrecorded.checks.exists()


def test_registry_chooses_live_only_when_asked(settings):
    settings.NPI_REGISTRY_LIVE = False
    assert isinstance(registry(), RecordedRegistry)
    settings.NPI_REGISTRY_LIVE = True
    assert isinstance(registry(), LiveRegistry)


def test_live_client_builds_the_api_query_and_reports_failures(monkeypatch):
    asked = {}

    class Answer:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, limit):
            return self.body[:limit]

    def fake_urlopen(request, timeout):
        asked.update(url=request.full_url, timeout=timeout)
        return Answer((RECORDED / f"{MATCH}.json").read_bytes())

    monkeypatch.setattr(registry_module.urllib.request, "urlopen", fake_urlopen)
    record = LiveRegistry(timeout=3).lookup(MATCH)
    assert record.last_name == "QUENTARA"
    assert asked == {
        "url": f"https://npiregistry.cms.hhs.gov/api/?version=2.1&number={MATCH}",
        "timeout": 3,
    }
    monkeypatch.undo()
    # A port nobody listens on: refused at once, reported as unavailable.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RegistryUnavailable, match="unreachable"):
        LiveRegistry(url=f"http://127.0.0.1:{port}/api/", timeout=2).lookup(MATCH)


@pytest.mark.django_db
def test_check_npi_registry_command(recorded):
    make_provider(name="Marisol Quentara", npi=MATCH)
    make_provider(name="Nobody Here", npi=NO_RESULT)
    make_provider(is_demo=True, npi="9000000015")  # demo NPIs are never looked up
    out = StringIO()
    call_command("check_npi_registry", "--limit", "5", stdout=out)
    text = out.getvalue()
    assert f"{MATCH}: matched" in text and f"{NO_RESULT}: no such NPI" in text
    assert text.strip().endswith("1 matched, 1 not matched, 0 unavailable")
    out = StringIO()
    call_command("check_npi_registry", "--limit", "1", stdout=out)
    assert out.getvalue().count(": ") == 1  # the longest-ago checked only
    make_provider(npi="1000000004")  # nothing recorded for it
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_npi_registry", "--limit", "1", stdout=StringIO())
    assert exit_info.value.code == 1
