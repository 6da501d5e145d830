"""Escaping: whatever a person types comes out as the same visible text, and nothing else.

Checked with a real CommonMark parser with GFM tables (markdown-it-py): no HTML, no links, no
emphasis, no mentions, no broken tables, whatever the input.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.render import markdown as md
from tests.support.markdown import BIDI, PARSER, walk

HOSTILE = [
    "Pipes | in | titles",
    "`backticks` and ``double``",
    "[link](https://example.com) and [x](javascript:alert(1))",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "@everyone and @here and @ada",
    "../../etc/passwd",
    "**bold** _em_ ~~strike~~ # not a heading",
    "&lt; entity &#106;avascript:",
    "1. not a list",
    "right\u202eto\u202cleft",
    "a\\|b \\ backslash",
    "$math$ and !bang [ref]: x",
]


def inline_tokens(text: str) -> list[Any]:
    tokens = PARSER.parse(text)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], text
    return list(tokens[1].children or [])


def visible(text: str) -> str:
    """What a reader should see: the input without invisible controls, on one line."""
    dropped = "".join(ch for ch in text if ch not in BIDI and ch not in "\u200b\u200c\u200d\ufeff")
    return " ".join(dropped.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_reads_the_same_and_does_nothing(text: str) -> None:
    children = inline_tokens("x " + md.inline(text))
    assert {c.type for c in children} <= {"text", "softbreak"}, children
    shown = "".join(c.content for c in children)[2:].replace("\u2060", "")
    assert shown == visible(text)


@given(st.text(min_size=1, max_size=80).filter(lambda t: visible(t).strip()))
def test_any_inline_text_is_plain_text(text: str) -> None:
    children = inline_tokens("x " + md.inline(text))
    assert {c.type for c in children} <= {"text", "softbreak"}


@given(st.lists(st.text(max_size=40), min_size=3, max_size=3))
def test_cells_never_break_the_table(values: list[str]) -> None:
    row = "| " + " | ".join(md.cell(v) for v in values) + " |"
    tokens = PARSER.parse("| a | b | c |\n|---|---|---|\n" + row + "\n")
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 3
    inlines = [t for t in tokens if t.type == "inline"][3:]
    for token in inlines:
        assert {c.type for c in token.children or []} <= {"text", "softbreak"}


@given(st.text(max_size=60))
def test_code_spans_show_their_text_literally(text: str) -> None:
    expected = " ".join(md._plain(text).split())
    if not expected.strip("` ") or "|" in expected:
        return
    children = inline_tokens("x " + md.code(text))
    spans = [c for c in children if c.type == "code_inline"]
    assert len(spans) == 1
    assert spans[0].content.strip() == expected.strip()


def test_code_spans_in_cells_keep_pipes_inside_the_cell() -> None:
    tokens = PARSER.parse("| a | b |\n|---|---|\n| " + md.code("x | y", in_cell=True) + " | z |\n")
    assert len([t for t in tokens if t.type == "td_open"]) == 2
    code = [
        c for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "code_inline"
    ]
    assert code[0].content == "x | y"


def test_headings_are_one_line_and_never_empty() -> None:
    assert md.heading("a\nb") == "a b"
    assert md.heading("\u202e") == "(untitled)"
    tokens = PARSER.parse("# " + md.heading("# nested ## heading\n=====") + "\n")
    assert [t.type for t in tokens] == ["heading_open", "inline", "heading_close"]


def test_bodies_keep_markdown_but_lose_html_scripts_and_mentions() -> None:
    text = (
        "# Title\n\nSome **bold** text with <b>html</b>, <script>x</script>.\n\n"
        "[ok](https://example.com) [bad](javascript:alert(1)) [data](data:text/html,x) "
        "[rel](../other.md)\n\n[r]: vbscript:msgbox\n\n<div>\nblock html\n</div>\n\n"
        "Hi @everyone \u202eevil\n\n```\n<kept in code>\n```\n"
    )
    out = md.body(text)
    tokens = walk(PARSER.parse(out))
    assert not [t for t in tokens if t.type.startswith("html")]
    hrefs = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert hrefs == [
        "https://example.com",
        "#unsafe-link-removed",
        "#unsafe-link-removed",
        "../other.md",
    ]
    assert "@everyone" not in out and "@\u2060everyone" in out
    assert not BIDI & set(out)
    assert "<kept in code>" in out  # code blocks show text literally; they are not HTML
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h2"]  # demoted under the page


def test_an_unclosed_fence_cannot_swallow_the_rest_of_the_page() -> None:
    out = md.body("```\nstill code")
    tokens = PARSER.parse(out + "\n\n## After\n")
    assert [t.type for t in tokens][-3:] == ["heading_open", "inline", "heading_close"]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("../../x", "x"),
        ("Adopt CC-BY 4.0!", "adopt-cc-by-4-0"),
        ("Données privées", "donnees-privees"),
        ("日本語", "untitled"),
        ("/etc/passwd", "etc-passwd"),
    ],
)
def test_slugs_are_safe_file_names(title: str, slug: str) -> None:
    assert md.slugify(title) == slug


@given(st.text(max_size=200))
def test_any_title_gives_a_plain_slug(title: str) -> None:
    slug = md.slugify(title)
    assert slug and len(slug) <= 48
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not slug.startswith("-") and ".." not in slug


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "/etc/passwd", "https://x.y", "a b.md", "", "x.md)"]
)
def test_page_links_accept_only_relative_page_paths(target: str) -> None:
    with pytest.raises(ValueError, match="unsafe link target"):
        md.link("x", target)


def test_page_links_escape_their_text() -> None:
    assert md.link("a]b(c)", "../rfcs/0001-a.md") == "[a\\]b\\(c\\)](../rfcs/0001-a.md)"


PIECES = [
    *"<>`\\[]()!@:&#;\"'/ \nabjsvcriptehd=*_|-~\u202e",
    *["```", "~~~", "\n    ", "\n> ", "\n- ", "<b>", "<script>", "javascript:", "@ada", "`<i>`"],
    *["\n| a | b |\n|---|---|\n", "\n\n", "[x](", "data:", "<http://x>"],
]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400)
@given(TRICKY)
def test_no_body_can_smuggle_html_or_a_script_link(text: str) -> None:
    out = md.body(text)
    tokens = walk(PARSER.parse(out))
    assert not [t for t in tokens if t.type.startswith("html")], out
    for token in tokens:
        target = token.attrs.get("href") or token.attrs.get("src")
        if target is not None:
            assert (
                not str(target).lower().lstrip().startswith(("javascript:", "vbscript:", "data:"))
            ), out
    assert not BIDI & set(out)
    for token in tokens:  # mentions outside code spans are broken
        assert token.type != "text" or not re.search(r"@[a-z0-9]", token.content), out


def test_code_spans_in_bodies_are_kept_as_written() -> None:
    out = md.body("Use `Vec<T>` and `@team` here, not <b>bold</b>; \\`<i>x</i>` is no code.")
    assert "`Vec<T>`" in out and "`@team`" in out
    tokens = walk(PARSER.parse(out))
    assert [t.content for t in tokens if t.type == "code_inline"] == ["Vec<T>", "@team"]
    assert not [t for t in tokens if t.type.startswith("html")]


@pytest.mark.parametrize(
    "text",
    [
        "\\``-|x(`<i>`",  # an escaped backtick, then a run that pairs further on
        "- \\\\`;\n    -r`<i>`",  # an unmatched backtick pairs across lines of one paragraph
        "| a | b |\n|---|---|\n| `x | <b>` | `<i>` |",  # table cells split before code spans
        "``` a`b\n<script>alert(1)</script>\n```",  # not a fence: its info string has a backtick
        "`a\n<b>bold</b>`",  # a code span across lines
    ],
)
def test_code_span_edge_cases_stay_inert(text: str) -> None:
    tokens = walk(PARSER.parse(md.body(text)))
    assert not [t for t in tokens if t.type.startswith("html")], md.body(text)
