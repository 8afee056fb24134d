"""What every page in the browser tests must be: one h1, no sideways scroll at the viewport's
width, and no serious or critical axe-core finding (axe ships inside axe-playwright-python)."""

from __future__ import annotations

BLOCKING_IMPACTS = {"serious", "critical"}

# The elements that stick out past the right edge of the viewport, to explain a failure.
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const out = [];
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      const parentOverflows = element.parentElement
        && element.parentElement.getBoundingClientRect().right > width + 0.5;
      if (!parentOverflows) out.push(`${element.outerHTML.slice(0, 120)} (right=${box.right})`);
    }
  }
  return out.slice(0, 10);
}
"""


def assert_no_horizontal_scroll(page) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways at {inner_width}px: scrollWidth={scroll_width}\n"
        + "\n".join(page.evaluate(OVERFLOW_JS))
    )


def axe_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"][:8]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_no_serious_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {page.url}:\n{axe_report(blocking)}"


def assert_accessible(page) -> None:
    """One h1, no horizontal scroll, no serious or critical axe violation."""
    assert page.locator("h1").count() == 1, page.url
    assert_no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)
