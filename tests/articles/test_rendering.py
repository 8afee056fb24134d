"""render: CommonMark + tables, GitHub heading ids, one h1, sanitized HTML, FAQ, words."""

from ketamine_association.articles.rendering import github_slug, reading_minutes, render_markdown


def test_github_slug_rules():
    assert github_slug("BDNF: The Brain's Growth Factor") == "bdnf-the-brains-growth-factor"
    assert (
        github_slug("How Traditional Antidepressants Work (And Why They're Slow)")
        == "how-traditional-antidepressants-work-and-why-theyre-slow"
    )
    assert github_slug("Step 1 — Prepare") == "step-1--prepare"
    assert github_slug("  Spaced  Out ") == "spaced--out"


def test_duplicate_headings_get_numbered_ids():
    rendered = render_markdown("## Notes\n\n## Notes\n\n## Notes\n")
    assert [h.id for h in rendered.headings] == ["notes", "notes-1", "notes-2"]
    assert '<h2 id="notes-2">Notes</h2>' in rendered.html


def test_leading_h1_becomes_headline_and_later_h1_is_demoted():
    rendered = render_markdown("# Title Here\n\nIntro.\n\n# Second Top\n\nMore.\n")
    assert rendered.headline == "Title Here"
    assert "<h1" not in rendered.html
    assert '<h2 id="second-top">Second Top</h2>' in rendered.html
    assert rendered.h1_count == 2


def test_tables_render():
    rendered = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<table>" in rendered.html and "<td>2</td>" in rendered.html


def test_cta_box_keeps_class_and_renders_markdown_inside():
    body = '<div class="cta-box">\n\n### Find Help\n\n[Go](/find-provider)\n\n</div>\n'
    rendered = render_markdown(body)
    assert '<div class="cta-box">' in rendered.html
    assert '<h3 id="find-help">Find Help</h3>' in rendered.html
    assert '<a href="/find-provider" rel="noopener">Go</a>' in rendered.html


def test_other_classes_and_handlers_are_dropped():
    rendered = render_markdown('<div class="evil" onclick="x()">hi</div>\n')
    assert 'class="evil"' not in rendered.html
    assert "onclick" not in rendered.html


def test_script_and_javascript_urls_are_removed():
    body = "<script>alert(1)</script>\n\n[a](javascript:alert(1)) ![i](data:image/png;base64,AA)\n"
    rendered = render_markdown(body)
    assert "<script" not in rendered.html
    assert "javascript:" not in rendered.html
    assert "data:" not in rendered.html


def test_links_images_and_lines_are_collected():
    rendered = render_markdown(
        "Intro.\n\nSee [here](/blog/x).\n\n![alt](/images/articles/a.svg)\n", first_line=10
    )
    assert [(link.href, link.line) for link in rendered.links] == [("/blog/x", 12)]
    assert [(i.src, i.alt, i.line) for i in rendered.images] == [
        ("/images/articles/a.svg", "alt", 14)
    ]
    assert 'loading="lazy"' in rendered.html


def test_faq_section_is_extracted():
    body = (
        "## Frequently Asked Questions\n\n### Is it fast?\n\nOften, yes.\n\n"
        "### Is it for me?\n\nAsk a clinician.\n\n## Next\n\nNot an answer.\n"
    )
    faq = render_markdown(body).faq
    assert [(f.question, f.answer) for f in faq] == [
        ("Is it fast?", "Often, yes."),
        ("Is it for me?", "Ask a clinician."),
    ]


def test_word_count_and_reading_time():
    rendered = render_markdown("# Head\n\n" + "word " * 476 + "\n\n*one more*\n")
    assert rendered.word_count == 479
    assert reading_minutes(479) == 2
    assert reading_minutes(10) == 1


def test_own_table_of_contents_is_detected():
    assert render_markdown("## Table of Contents\n\n- [A](#a)\n\n## A\n").has_own_toc
    assert not render_markdown("## A\n\n## B\n").has_own_toc


def test_commonmark_matches_cmarkgfm_and_frees_its_memory():
    import resource

    import cmarkgfm

    from ketamine_association.articles.rendering import (
        CMARK_EXTENSIONS,
        CMARK_OPTIONS,
        commonmark_to_html,
    )

    text = "# T\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\nwww.example.org <b>x</b>\n" * 200
    expected = cmarkgfm.markdown_to_html_with_extensions(
        text, options=CMARK_OPTIONS, extensions=CMARK_EXTENSIONS
    )
    assert commonmark_to_html(text) == expected
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2000):
        commonmark_to_html(text)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50  # cmarkgfm's own wrapper grows by hundreds of MB here


def test_heading_ids_are_unique_on_a_page_as_github_makes_them():
    body = (
        "## Section\n\ntext\n\n## Section\n\ntext\n\n## Section 1\n\ntext\n\n## Section\n\ntext\n"
    )
    ids = [h.id for h in render_markdown(body).headings]
    # github-slugger: the third heading's own slug was taken by the second's, so it counts on.
    assert ids == ["section", "section-1", "section-1-1", "section-2"]
    assert len(set(ids)) == len(ids)
    html = render_markdown(body).html
    assert all(html.count(f'id="{anchor}"') == 1 for anchor in ids)
