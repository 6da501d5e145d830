"""Custom sections: hand-written parts of a published page that regeneration keeps."""

from __future__ import annotations

import re
from collections.abc import Mapping

CUSTOM_BLOCK = re.compile(
    r"<!-- BEGIN CUSTOM(?: (?P<name>[a-z0-9-]+))? -->\n?(?P<text>.*?)\n?"
    r"<!-- END CUSTOM(?: (?P=name))? -->",
    re.DOTALL,
)


def custom_sections(text: str) -> dict[str, str]:
    """The hand-written custom sections of a published page, by name ("" for the unnamed one)."""
    found: dict[str, list[str]] = {}
    for match in CUSTOM_BLOCK.finditer(text):
        inner = match.group("text").strip("\n")
        if inner.strip():
            found.setdefault(match.group("name") or "", []).append(inner)
    return {name: "\n\n".join(parts) for name, parts in found.items()}


def keep_custom(rendered: str, custom: Mapping[str, str]) -> str:
    """The rendered page with its custom sections filled from the published one.

    A custom section whose slot no longer exists is kept at the end of the page, never dropped.
    """
    placed: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        name = match.group("name") or ""
        if name not in custom or name in placed:
            return match.group(0)
        placed.add(name)
        marker = f" {name}" if name else ""
        return f"<!-- BEGIN CUSTOM{marker} -->\n{custom[name]}\n<!-- END CUSTOM{marker} -->"

    text = CUSTOM_BLOCK.sub(fill, rendered)
    for name in sorted(set(custom) - placed):
        marker = f" {name}" if name else ""
        text += f"\n<!-- BEGIN CUSTOM{marker} -->\n{custom[name]}\n<!-- END CUSTOM{marker} -->\n"
    return text
