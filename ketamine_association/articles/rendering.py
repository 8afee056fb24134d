"""Render a Markdown body once, at import: CommonMark + GFM tables, sanitized, with GitHub ids.

One pass over the sanitized HTML rebuilds it (heading ids, one h1, lazy images) and collects
what the analysis step needs: headings, links, images, the FAQ and the words.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from .choices import FAQ_HEADINGS, TOC_HEADINGS, WORDS_PER_MINUTE

CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_SOURCEPOS
CMARK_EXTENSIONS = ["table", "strikethrough", "autolink"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "scope"},
    "td": {"align"},
    "ol": {"start"},
    "abbr": {"title"},
    "code": {"class"},
}
ALLOWED_CLASSES = {"div": {"cta-box", "callout", "note", "warning"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
WORD_RE = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
VOID_TAGS = {"br", "hr", "img"}
BLOCK_TAGS = {
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre", "dd", "dt",
    "div", "figcaption", "caption", "summary", "tr",
}  # fmt: skip


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str
    line: int | None


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    line: int | None


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    line: int | None


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True)
class Block:
    """A paragraph-level run of text with its line, for checks that read prose."""

    text: str
    line: int | None
    has_link: bool


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    headline: str | None
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    faq: tuple[FaqEntry, ...]
    blocks: tuple[Block, ...]
    word_count: int
    h1_count: int
    has_own_toc: bool

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)

    @property
    def toc(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.headings if h.level == 2)


def reading_minutes(word_count: int) -> int:
    return max(1, round(word_count / WORDS_PER_MINUTE))


def github_slug(text: str) -> str:
    """GitHub's heading-anchor rule: lower-case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    generic_attribute_prefixes={"data-sourcepos"},
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    clean_content_tags={"script", "style"},
    link_rel=None,
)


def sanitize(fragment: str) -> str:
    """The nh3 allow-list: no script, no on* attributes, no javascript:/data: URLs."""
    return _CLEANER.clean(fragment)


def render_markdown(body: str, *, first_line: int = 1) -> RenderedArticle:
    """Markdown body -> RenderedArticle. `first_line` is the body's line in its file."""
    raw = cmarkgfm.markdown_to_html_with_extensions(
        body, options=CMARK_OPTIONS, extensions=CMARK_EXTENSIONS
    )
    builder = _Builder(line_offset=first_line - 1)
    builder.feed(sanitize(raw))
    return builder.result()


# nh3 (html5ever) serialises well-formed HTML: lower-case tags, double-quoted attributes,
# `<`, `>` and `&` escaped in text. So a single regex tokenises it, ten times faster than
# html.parser.
_TOKEN_RE = re.compile(r"<(/?)([a-z][a-z0-9]*)((?:\s[^>]*)?)>|([^<]+)")
_ATTR_RE = re.compile(r'([a-z][a-z0-9_:-]*)(?:="([^"]*)")?')
_SOURCEPOS_RE = re.compile(r' data-sourcepos="[^"]*"')


def _attrs(pairs: list[tuple[str, str | None]]) -> str:
    return "".join(
        f' {name}="{html.escape(value or "", quote=True)}"' if value is not None else f" {name}"
        for name, value in pairs
    )


class _Builder:
    def __init__(self, *, line_offset: int):
        self.line_offset = line_offset
        self.out: list[str] = []
        self.line_stack: list[int | None] = []
        self.seen_ids: dict[str, int] = {}
        self.headings: list[Heading] = []
        self.links: list[Link] = []
        self.images: list[Image] = []
        self.faq: list[FaqEntry] = []
        self.blocks: list[Block] = []
        self.words = 0
        self.h1_count = 0
        self.headline: str | None = None
        self.has_toc = False
        # state of the element being captured
        self.heading: dict | None = None
        self.link: dict | None = None
        self.block_text: list[list[str]] = []
        self.block_link: list[bool] = []
        self.block_line: list[int | None] = []
        self.in_faq = False
        self.question: str | None = None
        self.answer: list[str] = []
        self.started = False

    # -- helpers -------------------------------------------------------------------------
    def _line(self, attrs: dict) -> int | None:
        pos = attrs.get("data-sourcepos")
        if pos:
            try:
                return int(pos.split(":", 1)[0]) + self.line_offset
            except ValueError:
                return None
        return next((ln for ln in reversed(self.line_stack) if ln is not None), None)

    def _unique_id(self, text: str) -> str:
        base = github_slug(text) or "section"
        count = self.seen_ids.get(base)
        self.seen_ids[base] = 0 if count is None else count + 1
        return base if count is None else f"{base}-{count + 1}"

    def _finish_question(self) -> None:
        if self.question:
            answer = " ".join(" ".join(self.answer).split())
            if answer:
                self.faq.append(FaqEntry(self.question, answer))
        self.question, self.answer = None, []

    def feed(self, markup: str) -> None:
        for match in _TOKEN_RE.finditer(markup):
            closing, tag, rest, text = match.groups()
            if text is not None:
                self.handle_data(html.unescape(text))
            elif closing:
                self.handle_endtag(tag)
            else:
                pairs = [(k, html.unescape(v)) for k, v in _ATTR_RE.findall(rest or "")]
                self.handle_starttag(tag, pairs)

    # -- token handlers ---------------------------------------------------------------------
    def handle_starttag(self, tag: str, attr_list: list) -> None:
        attrs = dict(attr_list)
        line = self._line(attrs)
        kept = [(k, v) for k, v in attr_list if k != "data-sourcepos"]
        if tag in VOID_TAGS:
            self.line_stack.append(line)
            self.handle_startendtag(tag, attr_list)
            self.line_stack.pop()
            return
        self.line_stack.append(line)
        if tag in BLOCK_TAGS:
            self.block_text.append([])
            self.block_link.append(False)
            self.block_line.append(line)
        if tag[0] == "h" and len(tag) == 2 and tag[1].isdigit():
            self.heading = {"level": int(tag[1]), "line": line, "parts": [], "mark": len(self.out)}
            self.out.append("")  # placeholder for the start tag, written at the end tag
            return
        if tag == "a":
            href = attrs.get("href") or ""
            self.link = {"href": href, "line": line, "parts": []}
            if self.block_link:
                self.block_link[-1] = True
            if href.startswith(("http://", "https://")):
                kept.append(("rel", "noopener"))
        self.out.append(f"<{tag}{_attrs(kept)}>")
        self.started = True

    def handle_startendtag(self, tag: str, attr_list: list) -> None:
        attrs = dict(attr_list)
        kept = [(k, v) for k, v in attr_list if k != "data-sourcepos"]
        if tag == "img":
            self.images.append(
                Image(attrs.get("src") or "", (attrs.get("alt") or "").strip(), self._line(attrs))
            )
            kept += [("loading", "lazy"), ("decoding", "async")]
        self.out.append(f"<{tag}{_attrs(kept)}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if self.line_stack:
            self.line_stack.pop()
        if tag in BLOCK_TAGS and self.block_text:
            text = " ".join(" ".join(self.block_text.pop()).split())
            has_link = self.block_link.pop()
            block_line = self.block_line.pop()
            if text and tag in {"p", "li", "td", "blockquote", "dd"}:
                self.blocks.append(Block(text, block_line, has_link))
        if self.heading is not None and tag == f"h{self.heading['level']}":
            self._close_heading()
            return
        if tag == "a" and self.link is not None:
            text = " ".join("".join(self.link["parts"]).split())
            self.links.append(Link(self.link["href"], text, self.link["line"]))
            self.link = None
        self.out.append(f"</{tag}>")

    def _close_heading(self) -> None:
        heading, self.heading = self.heading, None
        text = " ".join("".join(heading["parts"]).split())
        level = heading["level"]
        anchor = self._unique_id(text)
        if level == 1:
            self.h1_count += 1
            if self.headline is None and not self.started:
                # The body's leading h1 becomes the page's one h1; it is not repeated.
                self.headline = text
                del self.out[heading["mark"] :]
                self.headings.append(Heading(1, text, anchor, heading["line"]))
                return
            level = 2  # a page has exactly one h1: later ones are shown as h2
        lowered = text.lower().rstrip(":")
        if heading["level"] <= 2:
            self._finish_question()
            self.in_faq = lowered in FAQ_HEADINGS
            if lowered in TOC_HEADINGS:
                self.has_toc = True
        elif heading["level"] == 3 and self.in_faq:
            self._finish_question()
            self.question = text
        self.headings.append(Heading(heading["level"], text, anchor, heading["line"]))
        self.out[heading["mark"]] = f'<h{level} id="{html.escape(anchor)}">'
        self.out.append(f"</h{level}>")
        self.started = True

    def handle_data(self, data: str) -> None:
        self.words += len(WORD_RE.findall(data))
        if self.heading is not None:
            self.heading["parts"].append(data)
            self.out.append(html.escape(data, quote=False))
            return
        if self.link is not None:
            self.link["parts"].append(data)
        if self.block_text:
            self.block_text[-1].append(data)
        if self.question is not None:
            self.answer.append(data)
        if data.strip():
            self.started = True
        self.out.append(html.escape(data, quote=False))

    def result(self) -> RenderedArticle:
        self._finish_question()
        return RenderedArticle(
            html="".join(self.out).strip(),
            headline=self.headline,
            headings=tuple(self.headings),
            links=tuple(self.links),
            images=tuple(self.images),
            faq=tuple(self.faq),
            blocks=tuple(self.blocks),
            word_count=self.words,
            h1_count=self.h1_count,
            has_own_toc=self.has_toc,
        )
