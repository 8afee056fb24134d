"""Give every listing's existing verification its evidence: one VerificationCheck of the kind
its verification_method names (passed when it was verified, failed when it had failed), dated
and signed as it was, then derive the status by the new rule (verification.py).

Under that rule a listing is verified only with a good NPI check and a current license check,
so a listing that had one check alone now shows that check ("NPI format checked on ...") and
"Not verified"; a license recorded before expiry dates existed needs staff to record it again.
One INSERT ... SELECT and one UPDATE, so a million demo listings take seconds."""

from django.db import migrations
from django.db.models import Case, CharField, Q, Value, When

KIND = {"npi-format": "npi-format", "npi-registry": "npi-registry", "state-license": "license"}


def forwards(apps, schema_editor):
    Provider = apps.get_model("directory", "Provider")
    Check = apps.get_model("directory", "VerificationCheck")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    methods = ", ".join(f"'{old}'" for old in KIND)
    kind = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in KIND.items())
    columns = (
        "provider_id, kind, checked_at, checked_by_id, passed, detail, "
        "license_state, license_number, expires_on"
    )
    sql = (
        f"INSERT INTO {quote(Check._meta.db_table)} ({columns}) "  # noqa: S608 (no input)
        f"SELECT id, CASE verification_method {kind} END, COALESCE(verified_at, updated_at), "
        "verified_by_id, verification_status = 'verified', "
        "'Recorded from the listing''s earlier verification', '', "
        "CASE verification_method WHEN 'state-license' THEN license_number ELSE '' END, NULL "
        f"FROM {quote(Provider._meta.db_table)} "
        f"WHERE verification_method IN ({methods}) "
        "AND verification_status IN ('verified', 'failed')"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
    # The rule with one check: never verified; a failed check fails; a passed NPI check is
    # the listing's method; a license without expiry is not current, so it names none.
    was_verified = Q(verification_status="verified")
    Provider.objects.filter(verification_status__in=["verified", "failed"]).update(
        verification_status=Case(
            When(was_verified, then=Value("unverified")),
            default=Value("failed"),
            output_field=CharField(),
        ),
        verification_method=Case(
            When(
                was_verified & Q(verification_method__in=["npi-format", "npi-registry"]),
                then="verification_method",
            ),
            default=Value(""),
            output_field=CharField(),
        ),
    )
    Provider.objects.filter(verification_status="unverified").exclude(
        verification_method__in=["npi-format", "npi-registry"]
    ).exclude(verification_method="").update(verification_method="")


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_verification_check")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
