"""XSS corpus: hostile Markdown, raw HTML and frontmatter go in, only inert HTML comes out.

Every payload is written as an article file, imported through the real pipeline and fetched
with the test client; the page is then parsed and checked for anything that could run script.
The payloads set `window.__xss` or call `alert`, so tests/security/test_xss_inert_browser.py
reuses this corpus (XSS_PAYLOADS, write_payloads) to prove in chromium that nothing executes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import yaml

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import ImportReport, article_import_paths

SCRIPT = "window.__xss=1"
# "<script>window.__xss=1</script>" and "<svg onload=window.__xss=1>" as base64 data: documents.
B64_SCRIPT_DOC = "PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg=="
B64_SVG_ONLOAD = "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4="


@dataclass(frozen=True)
class Payload:
    """One hostile article: a body, frontmatter overrides, or both.

    `expect` lists strings that must come back verbatim (as text, an attribute value or a
    JSON-LD string): escaping must keep hostile text intact, not mangle or drop it.
    """

    id: str
    body: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    expect: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return f"xss-{self.id}"

    @property
    def title(self) -> str:
        # Every page title carries characters that would break out of <script> or an
        # attribute if escaping failed, but nothing that would execute.
        return self.fields.get("title", f'Probe {self.id}: </script> & "quotes" <b>')


@dataclass(frozen=True)
class RejectedPayload:
    """A URL frontmatter field with a hostile value: validation must refuse the file."""

    id: str
    field: str
    value: str

    @property
    def slug(self) -> str:
        return f"xss-rejected-{self.id}"


def _faq(question: str, answer: str) -> str:
    return f"## Frequently Asked Questions\n\n### {question}\n\n{answer}\n"


XSS_PAYLOADS: tuple[Payload, ...] = (
    # --- Markdown links and images -----------------------------------------------------------
    Payload("md-link-javascript", "[click me](javascript:alert(1))"),
    Payload("md-link-javascript-mixed-case", f"[click me](JaVaScRiPt:{SCRIPT})"),
    Payload("md-link-data-html", f"[click me](data:text/html;base64,{B64_SCRIPT_DOC})"),
    Payload("md-link-entity-colon", f"[click me](javascript&#58;{SCRIPT})"),
    Payload("md-link-entity-letters", f"[click me](&#x6A;ava&#115;cript&#x3A;{SCRIPT})"),
    Payload("md-link-vbscript", "[click me](vbscript:msgbox(1))"),
    Payload("md-link-reference", f"[click me][evil]\n\n[evil]: javascript:{SCRIPT}"),
    Payload("md-autolink-javascript", f"<javascript:{SCRIPT}>"),
    Payload("md-autolink-data", f"<data:text/html;base64,{B64_SCRIPT_DOC}>"),
    Payload("md-image-javascript", f"![pic](javascript:{SCRIPT})"),
    Payload("md-image-data-svg", f"![pic](data:image/svg+xml;base64,{B64_SVG_ONLOAD})"),
    Payload(
        "md-link-title-breakout",
        f'[click me](/blog "a onmouseover={SCRIPT} >b")',
        expect=(f"a onmouseover={SCRIPT} >b",),
    ),
    Payload(
        "md-image-alt-breakout",
        f"![p onerror={SCRIPT} autofocus onfocus=alert(1) >](/images/articles/nope.png)",
        expect=(f"p onerror={SCRIPT} autofocus onfocus=alert(1) >",),
    ),
    # --- raw HTML in the body -------------------------------------------------------------------
    Payload("html-script", f"<script>{SCRIPT}</script>\n\nAfter the script."),
    Payload("html-script-mixed-case", f"<ScRiPt>{SCRIPT}</sCrIpT>\n\nAfter the script."),
    Payload("html-script-src", f'<script src="data:text/javascript,{SCRIPT}"></script>'),
    Payload("html-img-onerror", f'<img src=x onerror="{SCRIPT}">'),
    Payload("html-img-onerror-unquoted", "<img src=x onerror=alert(1)//>"),
    Payload("html-svg-onload", f'<svg onload="{SCRIPT}"><script>{SCRIPT}</script></svg>'),
    Payload(
        "html-iframe",
        f'<iframe src="javascript:{SCRIPT}"></iframe>\n'
        '<iframe srcdoc="&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe>',
    ),
    Payload("html-a-javascript", f'<a href="javascript:{SCRIPT}">click me</a>'),
    Payload(
        "html-a-javascript-obfuscated",
        f'<a href=" &#14; jav&#x09;ascript&colon;{SCRIPT}">tab</a> '
        f'<a href="&#106;avascript:{SCRIPT}">entity</a> '
        f'<a href="java\nscript:{SCRIPT}">newline</a>',
    ),
    Payload("html-a-data", f'<a href="data:text/html;base64,{B64_SCRIPT_DOC}">click me</a>'),
    Payload(
        "html-a-title-breakout",
        f'<a href="/blog" title=" onmouseover={SCRIPT} >">hover me</a>',
        expect=(f"onmouseover={SCRIPT} >",),
    ),
    Payload(
        "html-cta-box-onclick",
        f'<div class="cta-box" onclick="{SCRIPT}" onmouseover="alert(1)">\n\n'
        "### Find a provider\n\nText inside the box.\n\n</div>",
    ),
    Payload(
        "html-style",
        f"<style>body {{ background: url('javascript:{SCRIPT}') }}</style>\n\n"
        f'<p style="background:url(javascript:{SCRIPT})">styled</p>',
    ),
    Payload(
        "html-form",
        f'<form action="javascript:{SCRIPT}"><button formaction="javascript:{SCRIPT}">go'
        f'</button><input autofocus onfocus="{SCRIPT}"></form>',
    ),
    Payload(
        "html-object-embed",
        f'<object data="javascript:{SCRIPT}"></object>'
        f'<embed src="data:text/html;base64,{B64_SCRIPT_DOC}">',
    ),
    Payload(
        "html-math-mxss",
        "<math><mtext><table><mglyph><style><!--</style>"
        f'<img title="--&gt;&lt;/mglyph&gt;&lt;img src=1 onerror={SCRIPT}&gt;">',
    ),
    Payload(
        "html-math-href",
        f'<math href="javascript:{SCRIPT}"><mi xlink:href="javascript:alert(1)">x</mi></math>',
    ),
    Payload(
        "html-details-ontoggle",
        f'<details open ontoggle="{SCRIPT}"><summary>More</summary>Hidden text.</details>',
    ),
    Payload(
        "html-noscript-mxss",
        f'<noscript><p title="</noscript><img src=x onerror={SCRIPT}>"></noscript>',
    ),
    Payload("html-comment-breakout", f"<!--><img src=x onerror={SCRIPT}>-->"),
    Payload(
        "html-base-meta-refresh",
        '<base href="javascript:/">'
        f'<meta http-equiv="refresh" content="0;url=javascript:{SCRIPT}">',
    ),
    Payload(
        "html-autofocus",
        f'<input autofocus onfocus="{SCRIPT}"><select autofocus onfocus="alert(1)"></select>'
        f'<textarea autofocus onfocus="{SCRIPT}"></textarea>',
    ),
    Payload("html-code-onmouseover", f'<code class="language-x" onmouseover="{SCRIPT}">x</code>'),
    Payload(
        "html-table-attributes",
        f'<table background="javascript:{SCRIPT}"><tr><td onmouseover="{SCRIPT}">'
        "cell</td></tr></table>",
    ),
    # Entity-escaped markup is text: it reaches the headings, the table of contents and the
    # FAQ JSON-LD as text, and must stay text there.
    Payload(
        "heading-entity-markup",
        f"## &lt;img src=x onerror={SCRIPT}&gt;\n\nOne.\n\n"
        "## &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n\nTwo.\n\n"
        '## "&gt;&lt;svg onload=alert(1)&gt;\n\nThree.\n',
        expect=(f"<img src=x onerror={SCRIPT}>", "</script><script>alert(1)</script>"),
    ),
    Payload(
        "faq-script-breakout",
        _faq(
            f"&lt;/script&gt;&lt;script&gt;{SCRIPT}&lt;/script&gt;?",
            "The answer &lt;/script&gt;&lt;!--&lt;script&gt; is only text.",
        ),
        expect=(f"</script><script>{SCRIPT}</script>?", "The answer </script><!--<script> is"),
    ),
    # --- frontmatter text fields -------------------------------------------------------------
    Payload(
        "fm-title-script-breakout",
        fields={"title": f"</script><script>{SCRIPT}</script><!--<script>"},
        expect=(f"</script><script>{SCRIPT}</script><!--<script>",),
    ),
    Payload(
        "fm-title-attribute-breakout",
        fields={"title": f'"><img src=x onerror={SCRIPT}>'},
        expect=(f'"><img src=x onerror={SCRIPT}>',),
    ),
    Payload(
        "fm-title-line-separators",
        fields={"title": "Line\u2028separator\u2029</script><script>alert(1)</script>"},
        expect=("Line\u2028separator\u2029</script><script>alert(1)</script>",),
    ),
    Payload(
        "fm-excerpt",
        fields={"excerpt": f'"><img src=x onerror={SCRIPT}></script><script>alert(1)</script>'},
        expect=(f'"><img src=x onerror={SCRIPT}></script><script>alert(1)</script>',),
    ),
    Payload(
        "fm-meta-title",
        fields={"metaTitle": f"</title><script>{SCRIPT}</script>"},
        expect=(f"</title><script>{SCRIPT}</script>",),
    ),
    Payload(
        "fm-meta-description",
        fields={"metaDescription": f'"><script>{SCRIPT}</script></script><script>alert(1)//'},
        expect=(f'"><script>{SCRIPT}</script></script><script>alert(1)//',),
    ),
    Payload(
        "fm-og-fields",
        fields={
            "ogTitle": f'"><svg onload={SCRIPT}>',
            "ogDescription": f"'><img src=x onerror={SCRIPT}></script>",
        },
        expect=(f'"><svg onload={SCRIPT}>', f"'><img src=x onerror={SCRIPT}></script>"),
    ),
    Payload(
        "fm-tags-keywords",
        fields={
            "tags": [f"</script><script>{SCRIPT}</script>", f'"><img src=x onerror={SCRIPT}>'],
            "keywords": [f'"><svg onload={SCRIPT}>', "</script><!--<script>"],
        },
        expect=(
            f"</script><script>{SCRIPT}</script>",
            f'"><img src=x onerror={SCRIPT}>',
            f'"><svg onload={SCRIPT}>',
        ),
    ),
    Payload(
        "fm-author",
        fields={"author": f'</script><script>{SCRIPT}</script>"><img src=x onerror=alert(1)>'},
        expect=(f'</script><script>{SCRIPT}</script>"><img src=x onerror=alert(1)>',),
    ),
)

REJECTED_URL_PAYLOADS: tuple[RejectedPayload, ...] = (
    RejectedPayload("featured-javascript", "featuredImage", f"javascript:{SCRIPT}"),
    RejectedPayload(
        "featured-data-svg", "featuredImage", f"data:image/svg+xml;base64,{B64_SVG_ONLOAD}"
    ),
    RejectedPayload(
        "featured-attribute-breakout",
        "featuredImage",
        f'/images/articles/x.svg" onerror="{SCRIPT}',
    ),
    RejectedPayload("canonical-javascript", "canonicalUrl", f"javascript:{SCRIPT}"),
    RejectedPayload("canonical-mixed-case", "canonicalUrl", f"  JaVaScRiPt:{SCRIPT}"),
    RejectedPayload("canonical-protocol-relative", "canonicalUrl", "//evil.example/blog/x"),
    RejectedPayload(
        "canonical-attribute-breakout", "canonicalUrl", f'https://ok.example/"><script>{SCRIPT}'
    ),
    RejectedPayload("og-image-data-html", "ogImage", f"data:text/html;base64,{B64_SCRIPT_DOC}"),
    RejectedPayload("og-image-tab-javascript", "ogImage", f"java\tscript:{SCRIPT}"),
    RejectedPayload("og-image-vbscript", "ogImage", "vbscript:msgbox(1)"),
)

PAYLOAD_COUNT = len(XSS_PAYLOADS) + len(REJECTED_URL_PAYLOADS)


# --- writing and importing the corpus -----------------------------------------------------------


def article_text(payload: Payload | RejectedPayload) -> str:
    frontmatter: dict[str, Any] = {
        "title": f"Probe {payload.id}",
        "slug": payload.slug,
        "excerpt": "An article that carries a hostile payload.",
        "category": "CLINICAL_RESEARCH",
        "author": "Security Test",
        "publishedAt": "2024-01-02",
        "tags": ["probe"],
    }
    body = "An opening paragraph.\n"
    if isinstance(payload, RejectedPayload):
        frontmatter[payload.field] = payload.value
    else:
        frontmatter["title"] = payload.title
        frontmatter.update(payload.fields)
        if payload.body:
            body += f"\n{payload.body}\n"
    body += "\nA closing paragraph.\n"
    dumped = yaml.safe_dump(frontmatter, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{dumped}---\n\n{body}"


def write_payloads(directory: Path, payloads) -> Path:
    """Write one article file per payload into `directory`; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for payload in payloads:
        (directory / f"{payload.slug}.md").write_text(article_text(payload), encoding="utf-8")
    return directory


def import_payloads(directory: Path, payloads, images: ImageStore) -> ImportReport:
    return article_import_paths(paths=[write_payloads(directory, payloads)], images=images)


# --- reading the HTML ----------------------------------------------------------------------------

# Never anywhere in a page of this site.
FORBIDDEN_TAGS = {
    "applet", "base", "embed", "frame", "frameset", "iframe", "math", "noembed", "noframes",
    "object", "plaintext", "portal", "template", "xmp",
}  # fmt: skip
# Never in what an article supplies: the article element and the article cards of listings.
# (The site's own header carries a search form, so these are checked only there.)
CONTENT_FORBIDDEN_TAGS = {
    "button", "form", "input", "link", "meta", "noscript", "select", "style", "svg", "textarea",
}  # fmt: skip
URL_ATTRIBUTES = {
    "action", "background", "cite", "codebase", "data", "dynsrc", "formaction", "href",
    "longdesc", "lowsrc", "manifest", "ping", "poster", "src", "srcset", "xlink:href",
}  # fmt: skip
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
# <link> relations that load script (the URL checks cover the others).
SCRIPT_LINK_RELS = {"import", "modulepreload", "serviceworker"}
# What a browser ignores in a URL before it reads the scheme: C0 controls and spaces.
_URL_NOISE = re.compile(r"[\x00-\x20]")


def dangerous_url(value: str | None) -> bool:
    if not value:
        return False
    return _URL_NOISE.sub("", value).lower().startswith(BAD_SCHEMES)


class PageParser(HTMLParser):
    """Collects every element, the JSON-LD blocks and the text, as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], list[str]]] = []
        self.texts: list[str] = []
        self._text: list[str] = []
        self._script: list[str] | None = None
        self.h1s: list[str] = []
        self._h1: list[str] | None = None
        self.content_elements: list[tuple[str, dict[str, str | None]]] = []
        self._scope: list[list] = []  # [tag, depth] of the open content containers

    def _in_content(self, tag: str, attributes: dict) -> bool:
        if self._scope and self._scope[-1][0] == tag:
            self._scope[-1][1] += 1
        elif tag == "article" or (tag == "ul" and "cards" in (attributes.get("class") or "")):
            self._scope.append([tag, 1])
        return bool(self._scope)

    def handle_starttag(self, tag, attrs):
        self._flush()
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if self._in_content(tag, attributes):
            self.content_elements.append((tag, attributes))
        if tag == "script":
            self._script = []
            self.scripts.append((attributes, self._script))
        elif tag == "h1":
            self._h1 = []

    def handle_startendtag(self, tag, attrs):
        self._flush()
        self.elements.append((tag, dict(attrs)))
        if self._scope:
            self.content_elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._flush()
        if self._scope and self._scope[-1][0] == tag:
            self._scope[-1][1] -= 1
            if not self._scope[-1][1]:
                self._scope.pop()
        if tag == "script":
            self._script = None
        elif tag == "h1" and self._h1 is not None:
            self.h1s.append("".join(self._h1).strip())
            self._h1 = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        else:
            self._text.append(data)
            if self._h1 is not None:
                self._h1.append(data)

    def _flush(self):
        if self._text:
            self.texts.append("".join(self._text))
            self._text = []

    def close(self):
        super().close()
        self._flush()


def parse_page(markup: str) -> PageParser:
    parser = PageParser()
    parser.feed(markup)
    parser.close()
    return parser


def page_problems(markup: str) -> list[str]:
    """Everything in the page that could run script, as readable lines (empty when safe)."""
    page = parse_page(markup)
    problems = []
    for tag, attrs in page.elements:
        shown = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs.items())}>"
        if tag == "script" and (attrs.get("type") != "application/ld+json" or "src" in attrs):
            problems.append(f"executable script element: {shown}")
        if tag in FORBIDDEN_TAGS:
            problems.append(f"forbidden element: {shown}")
        if tag == "meta" and "http-equiv" in attrs:
            problems.append(f"meta http-equiv: {shown}")
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & SCRIPT_LINK_RELS:
            problems.append(f"script-loading link: {shown}")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"event-handler attribute {name}: {shown}")
            if name in {"style", "srcdoc", "formaction"}:
                problems.append(f"attribute {name}: {shown}")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                problems.append(f"{name} with a script-capable scheme: {shown}")
    for tag, attrs in page.content_elements:
        if tag in CONTENT_FORBIDDEN_TAGS:
            problems.append(f"forbidden element in article content: <{tag} {attrs}>")
    for attrs, parts in page.scripts:
        if attrs.get("type") == "application/ld+json":
            raw = "".join(parts)
            if "<" in raw or ">" in raw:
                problems.append(f"raw < or > inside a JSON-LD block: {raw[:200]!r}")
    return problems


def jsonld_blocks(markup: str) -> list[Any]:
    """Every <script type="application/ld+json"> block, parsed (raises if one is not JSON)."""
    page = parse_page(markup)
    return [
        json.loads("".join(parts))
        for attrs, parts in page.scripts
        if attrs.get("type") == "application/ld+json"
    ]


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def visible_strings(markup: str) -> list[str]:
    """Text nodes, attribute values and JSON-LD strings: where escaped payload text must land."""
    page = parse_page(markup)
    values = [v for _, attrs in page.elements for v in attrs.values() if v]
    return page.texts + values + list(_strings(jsonld_blocks(markup)))


def assert_jsonld_keeps_title(markup: str, title: str) -> None:
    blocks = jsonld_blocks(markup)
    assert blocks, "the article page has no JSON-LD"
    article = next(b for b in blocks if b.get("headline") is not None)
    assert article["headline"] == title, "the Article JSON-LD headline was altered"
    crumbs = next(b for b in blocks if b.get("@type") == "BreadcrumbList")
    assert crumbs["itemListElement"][-1]["name"] == title, "the breadcrumb name was altered"


def h1_texts(markup: str) -> list[str]:
    return parse_page(markup).h1s


# --- the tests ------------------------------------------------------------------------------------


def field_values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.django_db
def test_corpus_is_large_and_every_vector_reaches_the_page(tmp_path, images, client):
    assert PAYLOAD_COUNT >= 20
    ids = [p.id for p in XSS_PAYLOADS] + [p.id for p in REJECTED_URL_PAYLOADS]
    assert len(ids) == len(set(ids)), "payload ids must be unique"
    assert {p.field for p in REJECTED_URL_PAYLOADS} == {"featuredImage", "canonicalUrl", "ogImage"}
    fields = {name for p in XSS_PAYLOADS for name in p.fields}
    assert fields >= {"title", "excerpt", "metaTitle", "metaDescription", "ogTitle", "tags"}
    assert "author" in fields
    # A vector is covered only if its hostile value really reaches the rendered page: checked
    # on the output, not on the corpus. Every frontmatter value must come back as text, an
    # attribute value or a JSON-LD string of the article's page.
    report = import_payloads(tmp_path / "articles", XSS_PAYLOADS, images)
    assert report.count("imported") == len(XSS_PAYLOADS)
    missing = []
    for payload in XSS_PAYLOADS:
        strings = visible_strings(client.get(f"/blog/{payload.slug}").content.decode())
        for name, value in payload.fields.items():
            for hostile in field_values(value):
                if not any(hostile in s for s in strings):
                    missing.append(f"{payload.id}: {name}={hostile!r} is not on the page")
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_PAYLOADS, ids=lambda p: p.id)
def test_payload_renders_inert(payload, tmp_path, images, client):
    report = import_payloads(tmp_path / "articles", [payload], images)
    assert report.count("imported") == 1, [e.message for o in report.failed for e in o.errors]

    response = client.get(f"/blog/{payload.slug}")
    assert response.status_code == 200
    markup = response.content.decode()

    problems = page_problems(markup)
    assert not problems, "\n".join(problems)
    assert_jsonld_keeps_title(markup, payload.title)
    assert h1_texts(markup) == [payload.title]
    strings = visible_strings(markup)
    for expected in payload.expect:
        assert any(expected in s for s in strings), f"{expected!r} was not kept verbatim"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", REJECTED_URL_PAYLOADS, ids=lambda p: p.id)
def test_url_field_payload_is_rejected(payload, tmp_path, images, client):
    report = import_payloads(tmp_path / "articles", [payload], images)
    assert report.count("failed") == 1
    (outcome,) = report.failed
    assert any(e.field == payload.field for e in outcome.errors), outcome.errors
    assert any(payload.field in e.message for e in outcome.errors), outcome.errors
    assert all(e.line for e in outcome.errors if e.field == payload.field), outcome.errors
    assert not Article.objects.exists()
    assert client.get(f"/blog/{payload.slug}").status_code == 404


# What a visitor types is reflected into the search page: it must stay text too.
REFLECTED_QUERIES = (
    f'"><script>{SCRIPT}</script>',
    "</title><svg onload=alert(1)>",
    f"' autofocus onfocus={SCRIPT} x='",
)
LISTING_PATHS = (
    "/",
    "/blog",
    "/blog/page/2",
    "/blog/category/clinical-research",
    "/search?q=probe",
    "/search?q=script+onerror+xss",
    "/search?q=window+alert",
    *(f"/search?{urlencode({'q': q})}" for q in REFLECTED_QUERIES),
)
XML_PATHS = ("/blog/feed.xml", "/blog/atom.xml", "/blog/category/clinical-research/feed.xml")


def tag_paths(markup: str) -> set[str]:
    return {
        attrs["href"]
        for tag, attrs in parse_page(markup).elements
        if tag == "a" and (attrs.get("href") or "").startswith("/blog/tag/")
    }


@pytest.mark.django_db
def test_listing_search_and_tag_pages_stay_inert_with_every_payload(tmp_path, images, client):
    report = import_payloads(tmp_path / "articles", XSS_PAYLOADS + REJECTED_URL_PAYLOADS, images)
    assert report.count("imported") == len(XSS_PAYLOADS)
    assert report.count("failed") == len(REJECTED_URL_PAYLOADS)
    tags: set[str] = set()
    for payload in XSS_PAYLOADS:
        tags |= tag_paths(client.get(f"/blog/{payload.slug}").content.decode())
    assert "/blog/tag/probe" in tags
    for path in (*LISTING_PATHS, *sorted(tags)):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        markup = response.content.decode()
        problems = page_problems(markup)
        assert not problems, f"{path}:\n" + "\n".join(problems)
    for query in REFLECTED_QUERIES:
        markup = client.get("/search", {"q": query}).content.decode()
        assert any(query in s for s in visible_strings(markup)), f"{query!r} not shown as typed"


@pytest.mark.django_db
def test_feeds_stay_well_formed_xml_with_every_payload(tmp_path, images, client):
    import_payloads(tmp_path / "articles", XSS_PAYLOADS, images)
    for path in XML_PATHS:
        response = client.get(path)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.content)  # raises on broken escaping
        texts = [t for element in root.iter() for t in (element.text, element.tail) if t]
        names = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        assert not names & {"script", "iframe", "img", "svg"}, (path, names)
        title = next(p.title for p in XSS_PAYLOADS if p.id == "fm-title-script-breakout")
        assert any(title in t for t in texts), f"{path}: the hostile title is not kept as text"


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<script type="application/ld+json">{"a": "</b>"}</script>',
        "<iframe></iframe>",
        '<p style="color:red">x</p>',
        '<meta http-equiv="refresh" content="0">',
        '<article><p>x</p><form action="/x"><input name="q"></form></article>',
        '<ul class="cards"><li><svg></svg></li></ul>',
    ],
)
def test_the_checker_itself_catches_unsafe_markup(markup):
    assert page_problems(f"<!doctype html><html><body>{markup}</body></html>")


def test_the_checker_allows_the_sites_own_search_form():
    markup = (
        '<header><form role="search" action="/search"><input name="q"><button>Go</button>'
        "</form></header><main><article><p>text</p></article></main>"
    )
    assert page_problems(f"<!doctype html><html><body>{markup}</body></html>") == []
