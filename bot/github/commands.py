"""Commands written in GitHub comments: ``/vote``, ``/concern``, ``/resolve``, ``/govbot verify``.

A command is the first line of a comment that starts with one of these words (leading spaces
allowed; lines inside fenced code blocks and quoted lines, which start with ``>``, are never
commands, so quoting someone's ``/vote`` does not vote). One comment carries one command; other
slash words (other bots' commands) are not ours and are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORDS = ("vote", "concern", "resolve", "govbot")
_COMMAND = re.compile(r"^[ \t]{0,3}/(vote|concern|resolve|govbot)(?:[ \t]+(.*))?$", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Command:
    """One command: its word and the rest of its line (and, for a concern, the lines after)."""

    word: str
    argument: str
    line: str


def parse(body: str | None) -> Command | None:
    """The comment's command, or None when it has none."""
    if not body:
        return None
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        match = _COMMAND.match(line)
        if match is None:
            continue
        word = match.group(1).lower()
        argument = (match.group(2) or "").strip()
        if word == "concern":  # a concern may go on below its first line
            rest = "\n".join(lines[index + 1 :]).strip()
            argument = "\n".join(part for part in (argument, rest) if part)
        return Command(word, argument, line.strip())
    return None
