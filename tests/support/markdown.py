"""Reading rendered Markdown as GitHub would: a CommonMark parser with GFM tables."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")
BIDI = {chr(c) for c in [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def walk(tokens: list[Any]) -> list[Any]:
    """Every token, nested inline tokens included, in document order."""
    out = []
    for token in tokens:
        out.append(token)
        out.extend(walk(token.children or []))
    return out
