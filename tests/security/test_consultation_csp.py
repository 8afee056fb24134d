"""Security checklist, CSP on the consultation pages: a patient's health information is typed
on these pages, so no third-party script, font, image, connection or frame may load there (the
FTC's Health Breach Notification Rule counts an ad pixel's leak as a breach). The header is
parsed as a browser reads it, with test_csp.py's parser; every fetch directive that applies
(its own, or default-src when absent) names this site and data: images only."""

from __future__ import annotations

import pytest

from tests.consultations.test_request_form import accepting_provider, main_html

from .test_csp import parse_policy

pytestmark = pytest.mark.django_db

FETCH_DIRECTIVES = ("script-src", "font-src", "img-src", "connect-src", "frame-src")
ALLOWED = {"script-src": {"'self'"}, "img-src": {"'self'", "data:"}}


def pages(provider) -> dict[str, str]:
    return {
        "profile form": provider.get_absolute_url(),
        "request page": f"/providers/{provider.slug}/request",
        "consultation": "/consultation?zip=90210",
        "consultation form": f"/consultation/form?zip=90210&p={provider.slug}",
        "sent": "/consultation/sent",
    }


def effective(policy: dict[str, list[str]], directive: str) -> list[str]:
    """The sources a browser applies for a fetch directive: its own, else default-src."""
    return policy.get(directive, policy.get("default-src", []))


@pytest.mark.parametrize(
    "page", ["profile form", "request page", "consultation", "consultation form", "sent"]
)
def test_consultation_pages_load_nothing_from_another_host(page, client):
    provider = accepting_provider()
    path = pages(provider)[page]
    response = client.get(path)
    assert response.status_code == 200, path
    if page != "sent":
        assert "This form is not for emergencies" in main_html(response), path
    headers = [v for k, v in response.items() if k.lower() == "content-security-policy"]
    assert len(headers) == 1, (path, headers)
    policy = parse_policy(headers[0])
    assert policy.get("default-src") == ["'self'"], headers[0]
    for directive in FETCH_DIRECTIVES:
        sources = set(effective(policy, directive))
        assert sources, (path, directive)
        assert sources <= ALLOWED.get(directive, {"'self'"}), (path, directive, sources)
    assert policy.get("form-action") == ["'self'"], headers[0]


def test_the_consultation_form_page_names_no_other_host():
    """The HTML itself: no <script>, and no src/href to another host but the crisis lines'."""
    from django.test import Client

    provider = accepting_provider()
    html = Client().get(f"/providers/{provider.slug}/request").content.decode()
    assert "<script" not in html
    assert "<iframe" not in html and "<img" not in html.split("<main", 1)[1]
