"""0004 gives every listing's earlier verification its evidence: a check of the kind its
verification_method named, dated and signed as it was, and the status re-derived by the rule."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketamine_association.directory.verification import CheckFacts, verification_decide

from .factories import provider_values

BEFORE = [("directory", "0002_geo_index_covers_id")]
AFTER = [("directory", "0004_checks_from_methods")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_verifications_become_recorded_checks():
    apps = migrate(BEFORE)
    Provider = apps.get_model("directory", "Provider")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    staff = User.objects.create(username="old-staff", is_staff=True)
    when = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)

    def old(method, status, **extra):
        values = provider_values(latitude=34.09, longitude=-118.40, **extra)
        values.update(
            verification_method=method,
            verification_status=status,
            verified_at=when if method else None,
            verified_by=staff if method else None,
            lat_band=340,
            city_slug="beverly-hills",
            slug=f"p-{values['npi']}",
        )
        return Provider.objects.create(**values).id

    ids = {
        "format": old("npi-format", "verified"),
        "demo": old("npi-format", "verified", is_demo=True),
        "registry": old("npi-registry", "verified"),
        "license": old("state-license", "verified", license_number="A42"),
        "failed": old("npi-format", "failed"),
        "none": old("", "unverified"),
    }
    try:
        apps = migrate(AFTER)
        Provider = apps.get_model("directory", "Provider")
        Check = apps.get_model("directory", "VerificationCheck")
        checks = {c.provider_id: c for c in Check.objects.all()}
        assert set(checks) == {ids[k] for k in ("format", "demo", "registry", "license", "failed")}
        for key, kind, passed in [
            ("format", "npi-format", True),
            ("demo", "npi-format", True),
            ("registry", "npi-registry", True),
            ("license", "license", True),
            ("failed", "npi-format", False),
        ]:
            check = checks[ids[key]]
            assert (check.kind, check.passed) == (kind, passed), key
            assert (check.checked_at, check.checked_by_id) == (when, staff.id), key
        assert checks[ids["license"]].license_number == "A42"
        assert checks[ids["license"]].expires_on is None
        derived = dict(
            Provider.objects.values_list(
                "id", "verification_status", "verification_method"
            ).values_list("id", "verification_method")
        )
        statuses = dict(Provider.objects.values_list("id", "verification_status"))
        # One check alone never verifies now (the rule needs NPI and a current license).
        assert statuses == {
            ids["format"]: "unverified",
            ids["demo"]: "unverified",
            ids["registry"]: "unverified",
            ids["license"]: "unverified",
            ids["failed"]: "failed",
            ids["none"]: "unverified",
        }
        assert derived[ids["format"]] == "npi-format" and derived[ids["license"]] == ""
        assert derived[ids["registry"]] == "npi-registry" and derived[ids["failed"]] == ""
        # The SQL of the migration agrees with the one rule.
        for pk in ids.values():
            facts = [
                CheckFacts(c.kind, c.passed, c.checked_at, expires_on=c.expires_on)
                for c in Check.objects.filter(provider_id=pk)
            ]
            decision = verification_decide(checks=facts, today=dt.date.today())
            assert (decision.status, decision.method) == (statuses[pk], derived[pk])
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
