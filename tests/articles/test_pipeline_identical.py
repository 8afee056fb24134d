"""The render and analyse steps' fast paths give what the plain forms they replace give.

Each fast path (ASCII word counting, blocks found with str.find, tag stripping skipped when a
fragment has no tag, source lines read on demand) is held to an independent or plain
reference, over hand-written fixtures and, when ../shared is present, the real corpus.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ketamine_association.articles import readability, rendering
from ketamine_association.articles.analysis import (
    STATISTIC_RE,
    CheckContext,
    check_statistics,
)
from ketamine_association.articles.choices import FindingCode
from ketamine_association.articles.rendering import (
    Block,
    commonmark_to_html,
    count_words,
    render_markdown,
    sanitize,
)
from ketamine_association.articles.source import load_source, parse_source

# What the block search replaced: a lazy regex with a back-reference.
REFERENCE_BLOCK_RE = re.compile(
    r'<(p|li|table)\b data-sourcepos="(\d+):[^"]*"[^>]*>(.*?)</\1>', re.S
)

PLAIN = """# A Plain Guide

Clinics ask about **sleep**, food &amp; water, and rides home. About 30% of people feel tired.

## First Steps

1. Plan the ride home.
2. Keep the evening free — no work.

- a loose item

  with its own paragraph, 4 of 5 days

- another loose item

| Week | Change |
|:-----|-------:|
| 1 | 10% |
| 2 | 20% |

## First Steps

Read [the notes](/blog/some-notes) and [this study](https://example.org/s) (Rivera et al., 2021).

![A drawing of a calm room](/images/articles/calm-room.png)

## Frequently Asked Questions

### Is it safe to drive?

No: wait until the next day.
"""

UNICODE = """## Ünïcödé — “quotes” and ‘single’ 😀

Naïve façade Straße ΑΒΓ абв: don’t, it's, co-operate, e.g. 3.14, x², ½, ٣٤, snake_case.

## 日本語の見出し

Zero\u200bwidth, e\u0301, NBSP\u00a0here, ﬁ ligature, Ⅻ numeral, a—b, 1.5 out of 3.
"""

HOSTILE = """# Tricks

<script>alert(1)</script><style>p{}</style>
<div onclick="steal()" class="callout evil">Box <b onmouseover=x()>bold</b></div>
<a href="javascript:alert(1)">one</a> <a href="JaVaScRiPt:alert(2)">two</a>
<a href="data:text/html,hi">three</a> <img src="x.png" onerror="alert(3)">
<a href="&#106;avascript:alert(4)">four</a> <iframe src="https://example.net"></iframe>
<svg onload=alert(5)></svg> <IMG SRC=y.png ONERROR=alert(6)>
[md](javascript:alert(7)) ![md](javascript:alert(8)) <javascript:alert(9)>
<p data-sourcepos="99:1-99:4">forged</p> <h2 id="forged" data-sourcepos="1:1-1:1">Forged</h2>
<table><tr><td>raw 5%</td></tr></table>

- deep
  - deeper
    - deepest 2 of 3
"""


def _nested_list(depth: int) -> str:
    return "".join("  " * level + f"- level {level}, {level}%\n" for level in range(depth))


def _big_table(rows: int) -> str:
    head = "| Name | Share | Note |\n|:--|:-:|--:|\n"
    return (
        "## Table\n\n"
        + head
        + "".join(f"| r{i} | {i}% | <b>n</b> {i} of 9 |\n" for i in range(rows))
    )


FIXTURES = {
    "plain": PLAIN,
    "unicode": UNICODE,
    "hostile": HOSTILE,
    "nested": "## Nested\n\n" + _nested_list(40) + "\n" + ">" * 30 + " quoted 1 of 2\n",
    "table": _big_table(400),
    "empty": "",
}


class _TextParser(HTMLParser):
    """An independent text extraction: each tag a space, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


class _AttributeParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend((tag, name, value or "") for name, value in attrs)


def _attributes(markup: str) -> list[tuple[str, str, str]]:
    parser = _AttributeParser()
    parser.feed(markup)
    parser.close()
    return parser.found


def parsed_text(markup: str) -> str:
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


def github_ids(texts: list[str]) -> list[str]:
    """GitHub's anchors written out again: lower case, only word characters, hyphens and
    spaces kept, spaces to hyphens; a repeated anchor gets -1, -2, ..."""
    ids, seen = [], {}
    for text in texts:
        base = "".join(c for c in text.strip().lower() if c.isalnum() or c in "_- ")
        base = base.replace(" ", "-") or "section"
        ids.append(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return ids


def corpus_bodies(corpus_dir: Path) -> list[tuple[str, str, int]]:
    docs = [load_source(path) for path in sorted(corpus_dir.glob("*.md"))]
    assert docs, f"{corpus_dir} holds no articles"
    return [(doc.path, doc.body, doc.body_line) for doc in docs]


def fixture_bodies() -> list[tuple[str, str, int]]:
    return [(name, body, 1) for name, body in FIXTURES.items()]


def check_text_and_words(body: str, first_line: int) -> None:
    clean = sanitize(commonmark_to_html(body))
    rendered = render_markdown(body, first_line=first_line)
    assert rendered.text == parsed_text(clean)
    assert rendered.word_count == len(rendering.WORD_RE.findall(parsed_text(clean)))


def check_blocks(body: str, first_line: int) -> None:
    """Blocks and prose as the lazy regex and an HTML parser find them."""
    clean = sanitize(commonmark_to_html(body))
    found = [m.groups() for m in REFERENCE_BLOCK_RE.finditer(clean)]
    assert rendering._blocks(clean) == found
    blocks, prose = [], []
    for tag, line, inner in found:
        if tag == "li" and "<p" in inner:
            continue
        text = parsed_text(inner)
        if not text:
            continue
        if tag != "table":
            prose.append(text if text[-1] in ".!?:;" else f"{text}.")
        if re.search(r"\d", text):
            blocks.append(Block(text, int(line) + first_line - 1, "<a " in inner))
    rendered = render_markdown(body, first_line=first_line)
    assert list(rendered.blocks) == blocks
    assert rendered.prose == " ".join(prose)


def check_lines(body: str, first_line: int) -> None:
    """The line of a link or image is that of the last data-sourcepos before it."""
    clean = sanitize(commonmark_to_html(body))
    marks = [(m.start(), int(m.group(1))) for m in rendering._SOURCEPOS_RE.finditer(clean)]

    def line_at(position: int) -> int | None:
        before = [line for start, line in marks if start <= position]
        return before[-1] + first_line - 1 if before else None

    rendered = render_markdown(body, first_line=first_line)
    starts = [m.start() for m in rendering._LINK_RE.finditer(clean)]
    assert [link.line for link in rendered.links] == [line_at(s) for s in starts]
    starts = [m.start() for m in rendering._IMG_RE.finditer(clean)]
    assert [image.line for image in rendered.images] == [line_at(s) for s in starts]


@pytest.mark.parametrize(("name", "body", "first_line"), fixture_bodies())
def test_fixture_text_is_what_an_html_parser_reads(name, body, first_line):
    check_text_and_words(body, first_line)


@pytest.mark.parametrize(("name", "body", "first_line"), fixture_bodies())
def test_fixture_blocks_are_those_of_the_lazy_regex(name, body, first_line):
    check_blocks(body, first_line + 3)


@pytest.mark.parametrize(("name", "body", "first_line"), fixture_bodies())
def test_fixture_link_and_image_lines(name, body, first_line):
    check_lines(body, first_line + 6)


def test_corpus_text_blocks_and_lines(corpus_dir):
    for path, body, first_line in corpus_bodies(corpus_dir):
        try:
            check_text_and_words(body, first_line)
            check_blocks(body, first_line)
            check_lines(body, first_line)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from exc


def test_texts_of_many_fragments_are_those_of_each():
    fragments = ["a <b>bold</b> &amp; &lt;x&gt;", "", "  spaced \n out ", "<i>x</i>y", "&quot;q"]
    markup = "".join(fragments)
    expected = [parsed_text(fragment) for fragment in fragments]
    assert rendering._texts(fragments, markup) == expected
    # a markup holding the separator is read one fragment at a time
    assert rendering._texts([*fragments, "\x00 nul"], markup + "\x00 nul") == [
        *expected,
        "\x00 nul",
    ]
    assert rendering._texts([], markup) == []


WORD_SAMPLES = [
    "",
    "plain ascii words, don't stop-here e.g. 3.14 snake_case",
    UNICODE,
    "don’t it’s ’quoted’ ’’ a’’b a’-b",
    "x² ½ Ⅻ ٣٤ ١٢٣abc abc١٢٣ _x_ x__y",
    "ﬁne İstanbul ß e\u0301 \u200b \u00a0 — – … 😀 日本語 ΑΒΓ",
    "a—b a–b a-b a.b a'b a’b a‘b a..b a--b",
]


@pytest.mark.parametrize("text", WORD_SAMPLES)
def test_count_words_counts_as_word_re(text):
    assert count_words(text) == len(rendering.WORD_RE.findall(text))


@pytest.mark.parametrize("text", WORD_SAMPLES)
def test_readability_words_are_word_re_matches(text):
    assert readability.words_of(text) == readability.WORD_RE.findall(text)


@pytest.mark.parametrize("text", [*WORD_SAMPLES, "MiXeD CASE DON’T Stop — IT’S Here"])
def test_readability_lowered_words_are_the_word_re_matches_lowered(text):
    expected = [word.lower() for word in readability.WORD_RE.findall(text)]
    assert readability.lowered_words_of(text) == expected


def test_corpus_words_and_grade(corpus_dir):
    for path, body, first_line in corpus_bodies(corpus_dir):
        rendered = render_markdown(body, first_line=first_line)
        for text in (rendered.text, rendered.prose):
            assert count_words(text) == len(rendering.WORD_RE.findall(text)), path
            assert readability.words_of(text) == readability.WORD_RE.findall(text), path
        words = readability.WORD_RE.findall(rendered.prose)
        if len(words) >= readability.MIN_WORDS:
            sentences = max(1, len(readability.SENTENCE_END_RE.findall(rendered.prose)))
            syllables = sum(readability.syllables(w.lower()) for w in words)
            expected = round(
                0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59, 1
            )
            assert readability.flesch_kincaid_grade(rendered.prose) == expected, path


def test_heading_ids_follow_githubs_rule_and_reach_the_html():
    rendered = render_markdown(PLAIN + UNICODE)
    ids = [h.id for h in rendered.headings]
    assert ids == github_ids([h.text for h in rendered.headings])
    assert len(set(ids)) == len(ids)
    assert "first-steps-1" in ids
    # every heading but the headline carries its id into the page, in order
    assert re.findall(r'<h[2-6] id="([^"]*)"', rendered.html) == ids[1:]


def test_corpus_heading_ids(corpus_dir):
    for path, body, first_line in corpus_bodies(corpus_dir):
        rendered = render_markdown(body, first_line=first_line)
        ids = [h.id for h in rendered.headings]
        assert ids == github_ids([h.text for h in rendered.headings]), path
        assert len(set(ids)) == len(ids), path


def test_hostile_markup_is_inert():
    for body in (HOSTILE, HOSTILE.upper(), html.unescape(HOSTILE)):
        out = render_markdown(body).html
        lowered = out.lower()
        assert "<script" not in lowered and "<style" not in lowered
        assert "<iframe" not in lowered and "<svg" not in lowered
        attributes = _attributes(out)
        assert attributes, "the fixture's links and images are kept"
        assert not [name for _tag, name, _value in attributes if name.startswith("on")]
        for _tag, name, value in attributes:
            if name in ("href", "src"):
                scheme = re.match(r"([a-z][a-z0-9+.-]*):", value.strip().lower())
                assert scheme is None or scheme.group(1) in rendering.URL_SCHEMES, value
        assert "data-sourcepos" not in lowered
        assert "evil" not in lowered  # a class off the allow-list is dropped


def test_blocks_lines_and_scroll_regions_of_a_known_article():
    rendered = render_markdown(PLAIN, first_line=10)
    by_text = {block.text: block for block in rendered.blocks}
    figure = (
        "Clinics ask about sleep , food & water, and rides home. About 30% of people feel tired."
    )
    assert by_text[figure] == Block(figure, 12, False)
    cited = "Read the notes and this study (Rivera et al., 2021)."
    assert by_text[cited] == Block(cited, 32, True)
    assert [link.line for link in rendered.links] == [32, 32]
    assert [image.line for image in rendered.images] == [34]
    assert rendered.html.count('<div class="table-scroll"') == 1
    assert 'aria-label="Table 1"><table>' in rendered.html
    assert '<img loading="lazy" decoding="async" src="/images/articles/calm-room.png"' in (
        rendered.html
    )
    assert [(q.question, q.answer) for q in rendered.faq] == [
        ("Is it safe to drive?", "No: wait until the next day.")
    ]


def _context(body: str) -> CheckContext:
    doc = parse_source(
        "---\ntitle: A test\nexcerpt: Words for a test.\n---\n" + body, path=Path("t.md")
    )
    return CheckContext(doc, render_markdown(doc.body, first_line=doc.body_line), None, None)


def test_statistics_check_skips_linked_and_cited_blocks_only():
    ctx = _context(
        "About 40% of people.\n\nAbout 41% of [people](https://example.org).\n\n"
        "About 42% of people (Rivera et al., 2020).\n\nAbout 3 out of 4 people.\n"
    )
    found = list(check_statistics(ctx))
    assert [f.code for f in found] == [FindingCode.STATISTIC_UNCITED] * 2
    assert [f.message for f in found] == [
        "'40%' has no source in its paragraph",
        "'3 out of 4' has no source in its paragraph",
    ]
    assert [f.line for f in found] == [5, 11]


def test_statistics_check_finds_what_the_plain_search_finds():
    """The check starts its search at a block's first digit: the same first figure."""
    blocks = [
        "In 2019, 45% of people.",  # a digit before the figure
        "Version 2.0 came, then 3 out of 4 said yes.",
        "x5 of 6 and a5% rise.",  # digits inside words
        "Twelve percent, ٣٤ percent, 7 percent.",  # a non-ASCII digit
        "No figure at all.",
    ]
    ctx = _context("\n\n".join(blocks) + "\n")
    expected = [
        f"'{match.group(0)}' has no source in its paragraph"
        for block in blocks
        if (match := STATISTIC_RE.search(block))
    ]
    assert len(expected) == 4
    assert [f.message for f in check_statistics(ctx)] == expected
