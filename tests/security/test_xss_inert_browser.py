"""Security checklist, the XSS corpus inert in the browser: every payload of
tests/articles/test_xss.py, imported and loaded in chromium, executes nothing.

(Moved here from tests/browser/test_xss_browser.py; its fixtures are tests/browser/fixtures.py.)

The pages are loaded with Playwright's bypass_csp, so the Content-Security-Policy (the second
line of defence, checked in tests/security/test_csp.py) cannot hide a payload that the
sanitizer let through:
this tests the markup itself. After load, every element gets the events an inline handler
would wait for (hover, focus, click, toggle, error, load), and the DOM is inspected as built.
"""

from __future__ import annotations

import pytest

from tests.articles.test_xss import LISTING_PATHS, XSS_PAYLOADS, import_payloads
from tests.browser.fixtures import MOBILE

pytestmark = pytest.mark.browser

# Fire what inline handlers listen for on every element. Ordinary links are kept from
# navigating; javascript:/data: links are let through, so a surviving one would run.
PROVOKE_JS = """
() => {
  const safe = ['http:', 'https:', 'mailto:', 'tel:'];
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href], area[href]');
    if (link && safe.includes(link.protocol)) event.preventDefault();
  }, true);
  document.addEventListener('submit', (event) => event.preventDefault(), true);
  const events = ['mouseover', 'mouseenter', 'pointerover', 'mousedown', 'mouseup', 'focus',
                  'focusin', 'error', 'load', 'toggle', 'animationstart', 'input'];
  for (const element of document.querySelectorAll('body *')) {
    for (const type of events) {
      element.dispatchEvent(new Event(type, {bubbles: false, cancelable: true}));
    }
    // A real click: it runs onclick, and the activation of a javascript: link.
    element.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
    if (element.tagName === 'DETAILS') element.open = !element.open;
    if (typeof element.focus === 'function') element.focus();
  }
}
"""

# Everything in the live DOM that could run script, as readable strings.
INSPECT_JS = """
() => {
  const found = [];
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster',
                         'background', 'srcdoc', 'ping', 'cite'];
  const describe = (element) => element.outerHTML.slice(0, 160);
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${name} attribute: ${describe(element)}`);
      if (urlAttributes.includes(name)) {
        const value = attribute.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
        if (/^(javascript|data|vbscript):/.test(value) || name === 'srcdoc') {
          found.push(`${name}=${attribute.value}: ${describe(element)}`);
        }
      }
    }
    const tag = element.tagName.toLowerCase();
    if (tag === 'script' && (element.type !== 'application/ld+json' || element.src)) {
      found.push(`script: ${describe(element)}`);
    }
    if (['iframe', 'frame', 'object', 'embed', 'math', 'base', 'template'].includes(tag)) {
      found.push(`element ${tag}: ${describe(element)}`);
    }
    // The site's header has its own search form: form controls are checked in content only.
    if (element.closest('article, ul.cards')
        && ['form', 'input', 'select', 'textarea', 'button', 'svg', 'style'].includes(tag)) {
      found.push(`element ${tag} in article content: ${describe(element)}`);
    }
  }
  for (const link of document.querySelectorAll('a[href], area[href]')) {
    if (['javascript:', 'data:', 'vbscript:'].includes(link.protocol)) {
      found.push(`link to ${link.protocol}: ${describe(link)}`);
    }
  }
  return found;
}
"""


@pytest.fixture
def xss_page(browser):
    """A page with the CSP bypassed, that records every dialog and uncaught script error."""
    context = browser.new_context(viewport=MOBILE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.dialogs = []
    page.errors = []

    def on_dialog(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def provoke_and_inspect(page) -> list[str]:
    """Provoke every handler a payload could have left, then list what ran or could run."""
    page.evaluate(PROVOKE_JS)
    for _ in range(12):  # focus walks through the page, where autofocus/onfocus would fire
        page.keyboard.press("Tab")
    page.mouse.move(180, 200)
    page.mouse.move(180, 600)
    page.wait_for_timeout(150)  # let queued toggle/error/load tasks run
    problems = [f"dialog opened: {d}" for d in page.dialogs]
    for frame in page.frames:  # a surviving iframe/srcdoc would have a frame of its own
        if frame.evaluate("typeof window.__xss") != "undefined":
            problems.append(f"window.__xss was set in {frame.url}")
    return problems + page.evaluate(INSPECT_JS)


def test_the_harness_detects_a_payload_that_runs(xss_page):
    """Guard against a silently blind test: unsanitized markup must be caught."""
    xss_page.set_content(
        '<article><a href="javascript:alert(7)">x</a><div onmouseover="window.__xss=1">hover'
        '</div><details ontoggle="alert(2)"><summary>s</summary>t</details>'
        "<form><input autofocus></form></article>"
    )
    problems = provoke_and_inspect(xss_page)
    assert any("window.__xss was set" in p for p in problems), problems
    assert "dialog opened: alert: 7" in problems, problems  # the link was followed
    assert "dialog opened: alert: 2" in problems, problems  # ontoggle ran
    assert any("onmouseover attribute" in p for p in problems), problems
    assert any("link to javascript:" in p for p in problems), problems
    assert any("element form in article content" in p for p in problems), problems


@pytest.mark.parametrize("payload", XSS_PAYLOADS, ids=lambda p: p.id)
def test_payload_does_not_execute_in_chromium(payload, site, xss_page, tmp_path, images):
    report = import_payloads(tmp_path / "articles", [payload], images)
    assert report.count("imported") == 1, [e.message for o in report.failed for e in o.errors]
    page = xss_page

    response = page.goto(f"{site}/blog/{payload.slug}", wait_until="load")
    assert response is not None and response.status == 200
    assert page.locator("h1").count() == 1
    problems = provoke_and_inspect(page)
    assert problems == [], "\n".join(problems)
    assert page.url == f"{site}/blog/{payload.slug}", "a payload navigated the page away"


def test_listing_and_search_pages_do_not_execute_in_chromium(site, xss_page, tmp_path, images):
    """Every payload at once in the cards of the listings, and reflected into the search page."""
    report = import_payloads(tmp_path / "articles", XSS_PAYLOADS, images)
    assert report.count("imported") == len(XSS_PAYLOADS)
    page = xss_page
    failures = []
    for path in (*LISTING_PATHS, "/blog/tag/probe"):
        response = page.goto(f"{site}{path}", wait_until="load")
        assert response is not None and response.status == 200, path
        problems = provoke_and_inspect(page)
        if problems:
            failures.append(f"{path}:\n  " + "\n  ".join(problems))
        page.dialogs.clear()
    assert not failures, "\n".join(failures)
