"""Escaping user text for GitHub-flavoured Markdown, where it lands.

Everything a person typed (titles, bodies, concerns, reasons, names) passes through one of these
functions before it reaches a page. What comes out is inert: no raw HTML, no live mentions, no
script links, no bidirectional-override tricks, and no path outside the docs root.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "Safe",
    "body",
    "cell",
    "code",
    "heading",
    "inline",
    "link",
    "slugify",
]


class Safe(str):
    """Markdown that was already escaped (or written by govbot itself): emitted as it is."""

    __slots__ = ()


# Bidirectional controls reorder what a reader sees without changing what is stored ("Trojan
# source"); zero-width characters hide text. Both are dropped from user text.
INVISIBLE = dict.fromkeys(
    [
        0x061C,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
)
# Characters that start Markdown or HTML constructs inside a line.
INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$])")
MENTION = re.compile(r"@(?=[A-Za-z0-9])")
# A mention is made inert by a word joiner after the at sign: it reads the same, links nothing.
INERT_AT = "@\u2060"
SCHEME = re.compile(r"(?i)\b(javascript|vbscript)\s*:")
LINK_DESTINATION = re.compile(r"(\]\(\s*<?)\s*([^)\s>]*)")
REFERENCE_DEFINITION = re.compile(r"^( {0,3}\[[^\]]+\]:\s*<?)(\S*)", re.MULTILINE)
SAFE_SCHEMES = ("http://", "https://", "mailto:", "#", "/", "./", "../")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
TAG = re.compile(r"<")
SLUG_DROP = re.compile(r"[^a-z0-9]+")
# Control characters (Unicode category Cc) and line and paragraph separators.
BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROLS_BUT_TAB = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
SEGMENT = r"[a-z0-9][a-z0-9._-]*"
LINK_TARGET = re.compile(
    rf"^(?:(?:\.\./)*(?:{SEGMENT}/)*{SEGMENT}(?:#[a-z0-9-]+)?|#[a-z0-9-]+)$", re.IGNORECASE
)
QUOTE_PREFIX = re.compile(r"^( {0,3}(?:&gt; ?)+)")


def _plain(text: str) -> str:
    """Drop invisible controls and turn every kind of line break into a space."""
    return BREAKS.sub(" ", text.translate(INVISIBLE))


def inline(text: object) -> Safe:
    """Text on one line of prose or in a heading: every Markdown and HTML character escaped."""
    if isinstance(text, Safe):
        return text
    value = _plain(str(text))
    value = INLINE_SPECIAL.sub(r"\\\1", value)
    value = MENTION.sub(INERT_AT, value)
    value = SCHEME.sub(lambda m: f"{m.group(1)}\u2060:", value)
    return Safe(re.sub(r"\s+", " ", value))


def heading(text: object) -> Safe:
    """A heading's text: one line, escaped, never empty."""
    value = inline(text).strip()
    return Safe(value) if value else Safe("(untitled)")


def cell(text: object) -> Safe:
    """Text in a table cell: escaped, with pipes escaped so the row keeps its columns."""
    if isinstance(text, Safe):
        return Safe(text.replace("\n", " "))
    value = inline(text).strip()
    return Safe(value if value else " ")


def code(text: object, *, in_cell: bool = False) -> Safe:
    """A code span that shows the text literally, whatever backticks it holds.

    In a table cell a pipe is escaped with a backslash, which GFM reads before the code span.
    """
    value = " ".join(_plain(str(text)).split())
    runs = [len(m) for m in re.findall(r"`+", value)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value else ""
    if in_cell:
        value = value.replace("|", "\\|")
    return Safe(f"{fence}{pad}{value}{pad}{fence}")


def link(text: object, target: str) -> Safe:
    """A link between pages: escaped text, a target that govbot built from validated slugs."""
    if not LINK_TARGET.match(target):
        raise ValueError(f"unsafe link target {target!r}")
    return Safe(f"[{inline(text)}]({target})")


def _safe_destination(destination: str) -> str:
    if not destination or destination.lower().startswith(SAFE_SCHEMES):
        return destination
    if ":" not in destination.split("/")[0]:
        return destination  # a relative link
    return "#unsafe-link-removed"


def body(text: object, *, demote: int = 1) -> Safe:
    """A block of the author's own Markdown (an RFC text, a charter), kept as Markdown but inert.

    Raw HTML is escaped outside code blocks, mentions are broken, links with other schemes than
    http(s) and mailto are replaced, invisible controls are dropped, and headings are pushed
    ``demote`` levels down so the author's ``#`` sits under the page's own title.
    """
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(INVISIBLE).split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = FENCE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        out.append(_body_line(line, demote))
    if fence is not None:
        out.append(fence)  # close an unclosed fence so it cannot swallow the rest of the page
    return Safe("\n".join(out).strip("\n"))


def _body_line(line: str, demote: int) -> str:
    line = CONTROLS_BUT_TAB.sub(" ", line)
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = QUOTE_PREFIX.sub(lambda m: m.group(1).replace("&gt;", ">"), line)
    line = MENTION.sub(INERT_AT, line)
    line = LINK_DESTINATION.sub(lambda m: m.group(1) + _safe_destination(m.group(2)), line)
    line = REFERENCE_DEFINITION.sub(lambda m: m.group(1) + _safe_destination(m.group(2)), line)
    line = SCHEME.sub(lambda m: f"{m.group(1)}\u2060:", line)
    if demote:
        line = HEADING.sub(lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + demote), line)
    return line


def slugify(text: str, *, limit: int = 48) -> str:
    """A file-name slug from a title: lowercase ASCII letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = SLUG_DROP.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "untitled"
