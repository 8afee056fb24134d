"""Campaign messages: the direct MIME writer says what Django's EmailMessage says, and every
message carries RFC 2369 / RFC 8058 headers."""

import email
import email.policy

import pytest

from ketamine_association.newsletter import mail

from . import factories

pytestmark = pytest.mark.django_db

TRICKY = mail.CampaignContent(
    subject="Ketamine & the brain — what’s new? " + "long subject " * 6,
    text="Dear reader,\n.a line starting with a dot\n= equals =3D\nÜnïcode ✓ " + "w" * 1200,
    html=f"<p>Héllo &amp; “quotes”</p>\n<p>{'x' * 1500}</p>\n"
    f'<a href="{mail.UNSUBSCRIBE_SLOT}">u</a> <a href="{mail.PREFERENCES_SLOT}">p</a>',
)


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_direct_bytes_match_djangos_message():
    person = factories.subscriber("mime@example.org")
    links = mail.links_for(person)
    direct = parse(TRICKY.as_bytes(to=person.email, links=links, message_id="<1.2@example.org>"))
    django = parse(
        TRICKY.message(to=person.email, links=links, message_id="<1.2@example.org>")
        .message()
        .as_bytes()
    )
    for header in (
        "From",
        "To",
        "Subject",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
    ):
        assert " ".join(str(direct[header]).split()) == " ".join(str(django[header]).split())
    assert direct.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        ours = direct.get_body(preferencelist=(kind,)).get_content()
        theirs = django.get_body(preferencelist=(kind,)).get_content()
        assert ours.replace("\r\n", "\n") == theirs.replace("\r\n", "\n")
    html = direct.get_body(preferencelist=("html",)).get_content()
    assert links.unsubscribe in html and links.preferences in html


def test_direct_bytes_are_smtp_safe():
    person = factories.subscriber("lines@example.org")
    data = TRICKY.as_bytes(to=person.email, links=mail.links_for(person), message_id="<x@y>")
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines)  # CRLF only
    assert max(len(line) for line in lines) <= 998
    assert TRICKY.boundary.encode() not in data.split(b"\r\n\r\n", 1)[1].replace(
        f"--{TRICKY.boundary}".encode(), b""
    )


def test_list_unsubscribe_headers_per_rfc_2369_and_8058():
    person = factories.subscriber("headers@example.org")
    links = mail.links_for(person)
    headers = mail.list_headers(links)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (u.strip().strip("<>") for u in headers["List-Unsubscribe"].split(","))
    assert https == links.unsubscribe and https.startswith("https://")
    assert mailto == f"mailto:unsubscribe+{links.token}@ketamineassociation.org?subject=unsubscribe"
