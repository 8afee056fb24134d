"""Render a Markdown body once, at import: CommonMark + GFM tables, sanitized, with GitHub ids.

One pass over the sanitized HTML rebuilds it (heading ids, one h1, lazy images) and collects
what the analysis step needs: headings, links, images, the FAQ and the words.
"""

from __future__ import annotations

import bisect
import ctypes
import html
import re
from dataclasses import dataclass

import nh3
from cmarkgfm import _cmark
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
    """A paragraph, list item or table that contains a figure, with its line: what the
    statistics check reads."""

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
    prose: str
    text: str
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


_SLUG_DROP_RE = re.compile(r"[^\w\- ]")


def github_slug(text: str) -> str:
    """GitHub's heading-anchor rule: lower-case, punctuation dropped, spaces to hyphens."""
    return _SLUG_DROP_RE.sub("", text.strip().lower()).replace(" ", "-")


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    generic_attribute_prefixes={"data-sourcepos"},
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    clean_content_tags={"script", "style"},
    link_rel="noopener",
)

# nh3 (html5ever) serialises well-formed HTML: lower-case tags, attributes in double quotes,
# `<`, `>` and `&` escaped in text. So a few regexes read it reliably, many times faster than
# an HTML parser; data-sourcepos (cmark's source lines) survives sanitizing for exactly this.
_SOURCEPOS_RE = re.compile(r' data-sourcepos="(\d+):[^"]*"')
_HEADING_RE = re.compile(r'<h([1-6])(?: data-sourcepos="(\d+):[^"]*")?>(.*?)</h\1>', re.S)
_LINK_RE = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S)
_IMG_RE = re.compile(r"<img\b([^>]*)>")
_ATTR_RE = re.compile(r'([a-z][a-z0-9_:-]*)="([^"]*)"')
# A block is its opening tag up to the first closing tag of its name (what the regex
# `<(p|li|table)\b data-sourcepos=...>(.*?)</\1>` matches); str.find reaches that closing tag
# many times faster than a lazy regex with a back-reference.
_BLOCK_OPEN_RE = re.compile(r'<(p|li|table)\b data-sourcepos="(\d+):[^"]*"[^>]*>')
_BLOCK_CLOSE = {"p": "</p>", "li": "</li>", "table": "</table>"}
_TAG_RE = re.compile(r"<[^>]+>")
_DIGIT_RE = re.compile(r"\d")


_TABLE_OPEN_RE = re.compile(r"<table>")


def _scroll_region():
    """Wide tables scroll sideways on a phone inside a region a keyboard can reach and a
    screen reader can name."""
    count = 0

    def wrap(_match: re.Match) -> str:
        nonlocal count
        count += 1
        return (
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="Table {count}">'
            "<table>"
        )

    return wrap


def sanitize(fragment: str) -> str:
    """The nh3 allow-list: no script, no on* attributes, no javascript:/data: URLs."""
    return _CLEANER.clean(fragment)


def _text(fragment: str) -> str:
    """The words of an HTML fragment, tags as spaces, whitespace collapsed."""
    if "<" in fragment:
        fragment = _TAG_RE.sub(" ", fragment)
    if "&" in fragment:
        fragment = html.unescape(fragment)
    return " ".join(fragment.split())


# WORD_RE's matches depend only on which characters are word characters ([^\W_]) and which
# join words ("-'’."). Each non-ASCII character is replaced by an ASCII one of its kind, so an
# ASCII-only pattern, several times faster than Unicode classes, finds as many words.
_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[-'.][A-Za-z0-9]+)*")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_WORD_CHAR_RE = re.compile(r"[^\W_]")
_ASCII_KIND: dict[str, str] = {}


def _ascii_kind(match: re.Match) -> str:
    char = match.group()
    kind = _ASCII_KIND.get(char)
    if kind is None:
        kind = "a" if _WORD_CHAR_RE.match(char) else "'" if char == "’" else " "
        _ASCII_KIND[char] = kind
    return kind


def count_words(text: str) -> int:
    """len(WORD_RE.findall(text)), faster."""
    if not text.isascii():
        text = _NON_ASCII_RE.sub(_ascii_kind, text)
    return len(_ASCII_WORD_RE.findall(text))


_SEPARATOR = "\x00"  # cmark turns NUL into U+FFFD: no article's HTML holds it


def _texts(fragments: list[str], markup: str) -> list[str]:
    """[_text(f) for f in fragments] in one pass of each regex: the fragments of `markup`,
    whole runs of text and tags (no tag and no entity starts in one and ends in the next),
    are joined by a character none holds, cleaned, and split again."""
    if not fragments:
        return []
    if _SEPARATOR in markup:
        return [_text(fragment) for fragment in fragments]
    joined = _SEPARATOR.join(fragments)
    if "<" in joined:
        joined = _TAG_RE.sub(" ", joined)
    if "&" in joined:
        joined = html.unescape(joined)
    return [" ".join(piece.split()) for piece in joined.split(_SEPARATOR)]


def _attrs(fragment: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in _ATTR_RE.findall(fragment)}


class _Lines:
    """Maps a position in the HTML to the source line of the block it sits in."""

    def __init__(self, markup: str, offset: int):
        self.matches = list(_SOURCEPOS_RE.finditer(markup))
        self.positions = [match.start() for match in self.matches]
        self.offset = offset

    def at(self, position: int) -> int | None:
        index = bisect.bisect_right(self.positions, position) - 1
        return int(self.matches[index].group(1)) + self.offset if index >= 0 else None


# cmarkgfm's markdown_to_html_with_extensions never frees the document tree nor the rendered
# string (about 0.3 MB a call: 1.7 GB over 10,000 articles). We drive the same C functions and
# free both: cmark_node_free is exported by the extension module, the string by libc's free
# (cmark's default allocator).
_lib, _ffi = _cmark.lib, _cmark.ffi
_node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
_node_free.argtypes, _node_free.restype = [ctypes.c_void_p], None
_libc_free = ctypes.CDLL(None).free
_libc_free.argtypes, _libc_free.restype = [ctypes.c_void_p], None
_lib.cmark_gfm_core_extensions_ensure_registered()
_EXTENSIONS = [_lib.cmark_find_syntax_extension(name.encode()) for name in CMARK_EXTENSIONS]


def commonmark_to_html(text: str) -> str:
    """CommonMark + GFM tables, strikethrough and autolinks to HTML, with source positions."""
    parser = _lib.cmark_parser_new(CMARK_OPTIONS)
    try:
        for extension in _EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        data = text.encode()
        _lib.cmark_parser_feed(parser, data, len(data))
        root = _lib.cmark_parser_finish(parser)
        try:
            extensions = _lib.cmark_parser_get_syntax_extensions(parser)
            raw = _lib.cmark_render_html(root, CMARK_OPTIONS, extensions)
            try:
                return _ffi.string(raw).decode()
            finally:
                _libc_free(int(_ffi.cast("uintptr_t", raw)))
        finally:
            _node_free(int(_ffi.cast("uintptr_t", root)))
    finally:
        _lib.cmark_parser_free(parser)


def _blocks(clean: str) -> list[tuple[str, str, str]]:
    """(tag, source line, inner HTML) of each paragraph, list item and table, in order; like
    finditer, the search goes on after a block's end, or after a tag left unclosed."""
    found = []
    search, find, closing = _BLOCK_OPEN_RE.search, clean.find, _BLOCK_CLOSE
    position = 0
    while match := search(clean, position):
        tag, line = match.groups()
        start = match.end()
        close = find(closing[tag], start)
        if close < 0:
            position = match.start() + 1
            continue
        found.append((tag, line, clean[start:close]))
        position = close + len(closing[tag])
    return found


def _unique_anchor(base: str, seen: dict[str, int]) -> str:
    """GitHub's rule for repeated headings (github-slugger): the second "Section" is
    section-1, and a later heading whose own slug is taken goes on counting from there
    ("Section", "Section", "Section 1" -> section, section-1, section-1-1), so no two ids of a
    page are the same. `seen`: slug -> how many times it was counted, for the page."""
    anchor = base
    while anchor in seen:
        seen[base] += 1
        anchor = f"{base}-{seen[base]}"
    seen[anchor] = 0
    return anchor


def render_markdown(body: str, *, first_line: int = 1) -> RenderedArticle:
    """Markdown body -> RenderedArticle. `first_line` is the body's line in its file."""
    raw = commonmark_to_html(body)
    clean = sanitize(raw)
    offset = first_line - 1
    lines = _Lines(clean, offset)

    # Headings: GitHub ids in document order, the leading h1 lifted out as the headline.
    headings: list[Heading] = []
    seen: dict[str, int] = {}
    headline: str | None = None
    h1_count = 0
    starts: list[tuple[int, int, int, str]] = []  # (start, end, level, text)

    leading_space = len(clean) - len(clean.lstrip())

    def heading(match: re.Match) -> str:
        nonlocal headline, h1_count
        level, text = int(match.group(1)), _text(match.group(3))
        anchor = _unique_anchor(github_slug(text) or "section", seen)
        line = int(match.group(2)) + offset if match.group(2) else lines.at(match.start())
        headings.append(Heading(level, text, anchor, line))
        starts.append((match.start(), match.end(), level, text))
        if level == 1:
            h1_count += 1
            if headline is None and match.start() == leading_space:
                headline = text
                return ""
            level = 2  # a page has exactly one h1: later ones are shown as h2
        return f'<h{level} id="{anchor}">{match.group(3)}</h{level}>'

    out = _HEADING_RE.sub(heading, clean)

    # FAQ: each h3 under a "Frequently Asked Questions" h2, answered by the text up to the
    # next heading.
    faq: list[FaqEntry] = []
    has_toc = False
    in_faq = False
    for index, (_start, end, level, text) in enumerate(starts):
        lowered = text.lower().rstrip(":")
        if level <= 2:
            in_faq = lowered in FAQ_HEADINGS
            has_toc = has_toc or lowered in TOC_HEADINGS
        elif level == 3 and in_faq:
            stop = starts[index + 1][0] if index + 1 < len(starts) else len(clean)
            answer = _text(clean[end:stop])
            if answer:
                faq.append(FaqEntry(text, answer))

    links = tuple(
        Link(_attrs(m.group(1)).get("href", ""), _text(m.group(2)), lines.at(m.start()))
        for m in _LINK_RE.finditer(clean)
    )
    images = []
    for m in _IMG_RE.finditer(clean):
        attrs = _attrs(m.group(1))
        images.append(
            Image(attrs.get("src", ""), attrs.get("alt", "").strip(), lines.at(m.start()))
        )
    blocks: list[Block] = []
    prose: list[str] = []
    # a loose list item (one holding paragraphs) is no block of its own
    found = [block for block in _blocks(clean) if block[0] != "li" or "<p" not in block[2]]
    texts = _texts([block[2] for block in found], clean)
    for (tag, line, inner), text in zip(found, texts, strict=True):
        if not text:
            continue
        if tag != "table":
            prose.append(text if text[-1] in ".!?:;" else f"{text}.")
        if _DIGIT_RE.search(text):
            blocks.append(Block(text, int(line) + offset, "<a " in inner))
    text = " ".join(html.unescape(_TAG_RE.sub(" ", clean)).split())
    words = count_words(text)
    out = _SOURCEPOS_RE.sub("", out).replace("<img ", '<img loading="lazy" decoding="async" ')
    out = _TABLE_OPEN_RE.sub(_scroll_region(), out).replace("</table>", "</table></div>")
    return RenderedArticle(
        html=out.strip(),
        headline=headline,
        headings=tuple(headings),
        links=links,
        images=tuple(images),
        faq=tuple(faq),
        blocks=tuple(blocks),
        prose=" ".join(prose),
        text=text,
        word_count=words,
        h1_count=h1_count,
        has_own_toc=has_toc,
    )
