"""A consultation request at rest: `dumpdata` and the raw table hold ciphertext only, on the
engine the tests run on (CI runs both); key rotation re-encrypts every row, after which the old
key can be removed and the old tokens no longer open."""

from __future__ import annotations

import json
import uuid
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from ketamine_association.consultations.models import ConsultationRequest
from ketamine_association.core import crypto
from tests.directory.factories import make_provider

pytestmark = pytest.mark.django_db

SECRETS = {
    "name": "Marguerite Quillfeather",
    "email": "marguerite.quill@example.org",
    "phone": "(512) 555-0199",
    "note": "Evenings after six suit me best",
}


def make_request(provider, **fields) -> ConsultationRequest:
    values = {
        **SECRETS,
        "contact_method": "phone",
        "contact_times": "evening",
        "state": "TX",
        "treatment": "kap",
        "for_whom": "self",
        "payment": "self-pay",
        "in_crisis": "no",
        "consent_text": "I agree to be contacted by this provider.",
        "contact_digest": crypto.lookup_digest(SECRETS["email"], purpose="contact"),
        "submission": uuid.uuid4(),
        **fields,
    }
    return ConsultationRequest.objects.create(provider=provider, **values)


def raw_rows() -> str:
    table = connection.ops.quote_name(ConsultationRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the model's own table name
        return repr(cursor.fetchall())


def clear_text_in(text: str) -> list[str]:
    needles = [*SECRETS.values(), "Quillfeather", "555-0199", "self-pay", "evening"]
    return [needle for needle in needles if needle.lower() in text.lower()]


def test_dumpdata_and_the_raw_table_show_ciphertext_only():
    request = make_request(make_provider())
    out = StringIO()
    call_command("dumpdata", "consultations", stdout=out)
    dump = out.getvalue()
    assert json.loads(dump)[0]["pk"] == request.pk
    assert clear_text_in(dump) == []
    assert clear_text_in(raw_rows()) == []
    stored = ConsultationRequest.objects.get(pk=request.pk)
    assert (stored.name, stored.phone, stored.note) == (
        SECRETS["name"],
        SECRETS["phone"],
        SECRETS["note"],
    )


def test_rotation_re_encrypts_every_row_and_the_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    provider = make_provider()
    requests = [make_request(provider) for _ in range(3)]
    before = raw_rows()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_field_keys", "--batch", "2", stdout=out)
    assert "consultations.ConsultationRequest: 3 row(s)" in out.getvalue()
    after = raw_rows()
    assert after != before and clear_text_in(after) == []
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key removed
    assert [r.name for r in ConsultationRequest.objects.order_by("id")] == [SECRETS["name"]] * 3
    old_token = before.split("'")[1::2]
    fernet_tokens = [token for token in old_token if token.startswith("gAAAA")]
    assert fernet_tokens, "no Fernet token found in the raw rows"
    for token in fernet_tokens:
        with pytest.raises(crypto.Undecryptable):
            crypto.decrypt(token)
    assert len(requests) == 3


def test_a_dump_loads_back_to_the_same_text(tmp_path):
    request = make_request(make_provider())
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "consultations", output=str(dump))
    ConsultationRequest.objects.all().delete()
    call_command("loaddata", str(dump), verbosity=0)
    loaded = ConsultationRequest.objects.get(pk=request.pk)
    assert (loaded.name, loaded.email, loaded.note) == (
        SECRETS["name"],
        SECRETS["email"],
        SECRETS["note"],
    )
