"""Security checklist, CSP: every kind of HTML page sends a Content-Security-Policy whose
script-src allows no inline script and no eval, with object-src 'none' and frame-ancestors
'none'. The header is parsed as a browser reads it (directives split on ';', names
case-insensitive, the first of a repeated directive wins), so a policy that merely contains
the right words in the wrong place does not pass.

(Moved here and extended: test_article_pages_send_a_csp_without_inline_script, formerly in
tests/articles/test_xss.py, which checked the article page alone.)
"""

from __future__ import annotations

import pytest

from .site_content import build_site

pytestmark = pytest.mark.django_db

# The pages of each kind: templates of the three apps, the article (rendered, then served from
# the page cache) and Django's own admin.
PAGES = ["/", "/blog", "article", "/find-provider", "/newsletter", "/admin/login/"]


def parse_policy(header: str) -> dict[str, list[str]]:
    """A serialized CSP to {directive: sources}, per the CSP 3 parsing algorithm."""
    policy: dict[str, list[str]] = {}
    for token in header.split(";"):
        parts = token.strip().split()
        if not parts:
            continue
        name = parts[0].lower()
        if name not in policy:  # a repeated directive is ignored by browsers
            policy[name] = parts[1:]
    return policy


def test_the_parser_reads_a_policy_as_a_browser_does():
    policy = parse_policy(
        "default-src 'self'; SCRIPT-SRC 'self' ;; script-src 'unsafe-inline'; object-src 'none'"
    )
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
    }


@pytest.mark.parametrize("page", PAGES)
def test_page_sends_a_strict_policy(page, client, tmp_path, settings):
    site = build_site(tmp_path, settings)
    path = site.article if page == "article" else page
    for attempt in ("first", "again"):  # the second answer may come from a cache
        response = client.get(path)
        assert response.status_code == 200, (path, attempt)
        assert response["Content-Type"].startswith("text/html")
        headers = [v for k, v in response.items() if k.lower() == "content-security-policy"]
        assert len(headers) == 1, (path, attempt, headers)
        policy = parse_policy(headers[0])
        script_src = policy.get("script-src")
        assert script_src, f"{path}: no script-src ({headers[0]})"
        assert "'unsafe-inline'" not in script_src, path
        assert "'unsafe-eval'" not in script_src, path
        # A wildcard or a scheme source would let any host's script in just the same.
        assert not {"*", "data:", "http:", "https:", "blob:"} & set(script_src), path
        assert policy.get("object-src") == ["'none'"], path
        assert policy.get("frame-ancestors") == ["'none'"], path
        assert "content-security-policy-report-only" not in {k.lower() for k in response}
