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
# An opening fence; a backtick fence's info string may not hold a backtick (CommonMark 4.5).
FENCE = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})")
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
ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
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
    dangling = False  # an unmatched backtick earlier in this paragraph may open a code span
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
            dangling = False
            continue
        if not line.strip():
            dangling = False
        spans, unmatched = code_spans(line)
        certain = not dangling and "|" not in line
        out.append(_body_line(line, demote, spans if certain else []))
        dangling = dangling or unmatched
    if fence is not None:
        out.append(fence)  # close an unclosed fence so it cannot swallow the rest of the page
    return Safe("\n".join(out).strip("\n"))


def code_spans(line: str) -> tuple[list[tuple[int, int]], bool]:
    """Where a CommonMark parser finds code spans in one line, and whether a run is unmatched.

    An unmatched backtick run may pair with one on a later line of the same paragraph. The line
    is scanned as the parser scans it: a backslash escapes the punctuation after it (a backtick
    too); a run of backticks opens a span closed by the next run of the same length, inside
    which backslashes escape nothing; a run with no such closer is plain text.
    """
    spans: list[tuple[int, int]] = []
    unmatched = False
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if char == "\\" and i + 1 < n and line[i + 1] in ASCII_PUNCTUATION:
            i += 2
            continue
        if char != "`":
            i += 1
            continue
        end = i
        while end < n and line[end] == "`":
            end += 1
        size, j = end - i, end
        closer = -1
        while j < n:
            if line[j] != "`":
                j += 1
                continue
            run = j
            while j < n and line[j] == "`":
                j += 1
            if j - run == size:
                closer = j
                break
        if closer < 0:
            unmatched = True
            i = end
            continue
        spans.append((i, closer))
        i = closer
    return spans, unmatched


def _body_line(line: str, demote: int, spans: list[tuple[int, int]]) -> str:
    """One line outside code blocks: code spans as written, everything else made inert.

    A code span shows its text literally on GitHub (no HTML, no mentions, no links), so it is
    kept as the author wrote it and ``Vec<T>`` in backticks stays readable; but only where the
    caller is certain of the spans: not after an unmatched backtick earlier in the paragraph
    (which could pair across lines), and not on a line with a pipe (a table row is split into
    cells before its code spans are found).
    """
    line = CONTROLS_BUT_TAB.sub(" ", line)
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(_inert(line[last:start]))
        parts.append(line[start:end])
        last = end
    parts.append(_inert(line[last:]))
    line = "".join(parts)
    line = QUOTE_PREFIX.sub(lambda m: m.group(1).replace("&gt;", ">"), line)
    line = REFERENCE_DEFINITION.sub(lambda m: m.group(1) + _safe_destination(m.group(2)), line)
    if demote:
        line = HEADING.sub(lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + demote), line)
    return line


def _inert(text: str) -> str:
    """Text outside code spans: HTML shown as text, mentions broken, unsafe links replaced."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = MENTION.sub(INERT_AT, text)
    text = LINK_DESTINATION.sub(lambda m: m.group(1) + _safe_destination(m.group(2)), text)
    return SCHEME.sub(lambda m: f"{m.group(1)}\u2060:", text)


def slugify(text: str, *, limit: int = 48) -> str:
    """A file-name slug from a title: lowercase ASCII letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = SLUG_DROP.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "untitled"
