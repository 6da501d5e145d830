#!/usr/bin/env python3
"""Verify the governance ledger published in this repository, with Python's standard library only.

Run it from a clone of the docs repository::

    python3 ledger/verify.py          # the month files beside this script
    python3 ledger/verify.py PATH     # PATH: a clone, or its ledger/ folder

It reads every month file (``ledger/YYYY-MM.jsonl``, one entry per line) in order, recomputes
each entry's SHA-256 hash from its sequence number, time, actor, action, subject, payload and
the previous entry's hash, and checks that the sequence has no gap and that each entry links to
the one before. It prints ``N entries, head <hash>``: compare the head with the ``Ledger head:``
line of the newest commit message (``git log -1``) and with the ledger page. If an entry does
not match, it names the first one and why, and exits with status 1; changing, removing or
reordering any published entry is caught that way.

govbot writes this file; it is the same for every foundation.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
MONTH_FILE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])\.jsonl$")
AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
HASH = re.compile(r"^[0-9a-f]{64}$")
FIELDS = ("seq", "at", "actor", "action", "subject", "payload", "prev_hash", "hash")


@dataclass(frozen=True)
class Result:
    """What the check found: ``broken_at`` is the first bad entry (or line), if any."""

    entries: int
    head: str
    broken_at: int | None = None
    where: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        """Whether every entry checked out."""
        return not self.problem

    def text(self) -> str:
        """The one line printed for this result."""
        if self.ok:
            return f"{self.entries} entries, head {self.head}"
        entry = f"entry {self.broken_at}" if self.broken_at is not None else "an entry"
        return (
            f"Broken at {entry} ({self.where}): {self.problem}. The {self.entries} entries "
            f"before it check out (last good hash {self.head})."
        )


def entry_hash(entry: dict[str, Any]) -> str:
    """An entry's hash, exactly as govbot computes it: SHA-256 of canonical JSON of its fields."""
    body = json.dumps(
        {name: entry[name] for name in FIELDS if name != "hash"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _shape(entry: Any) -> str:
    """Why a parsed line is not an entry, or "" when it is one."""
    if not isinstance(entry, dict):
        return "the line is not a JSON object"
    if sorted(entry) != sorted(FIELDS):
        return f"the line's fields are {sorted(entry)}, expected {sorted(FIELDS)}"
    seq = entry["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int):
        return "its seq is not a whole number"
    strings = [name for name in FIELDS if name != "seq" and not isinstance(entry[name], str)]
    if strings:
        return f"its {', '.join(strings)} should be text"
    if not AT.match(entry["at"]):
        return f"its time {entry['at']!r} is not in the form 2027-03-01T09:00:00.000000Z"
    if not HASH.match(entry["hash"]) or not HASH.match(entry["prev_hash"]):
        return "its hash or prev_hash is not 64 lowercase hex digits"
    return ""


def check(files: Iterable[tuple[str, str]]) -> Result:
    """Check month files given as ``(name, text)``, e.g. ``("2027-03.jsonl", "...")``.

    They are read in the order of their names, which is the order of their months.
    """
    prev, count, last_at = GENESIS, 0, ""
    for name, text in sorted(files):
        if not MONTH_FILE.match(name):
            return Result(count, prev, None, name, "not a month file (YYYY-MM.jsonl)")
        if text and not text.endswith("\n"):
            return Result(count, prev, None, name, "the file does not end with a newline")
        for number, line in enumerate(text.split("\n")[:-1], start=1):
            where = f"{name} line {number}"
            try:
                entry = json.loads(line)
            except ValueError as error:
                return Result(count, prev, None, where, f"the line is not valid JSON ({error})")
            problem = _shape(entry)
            if problem:
                seq = entry.get("seq") if isinstance(entry, dict) else None
                named = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
                return Result(count, prev, named, where, problem)
            if entry["seq"] != count + 1:
                problem = f"the sequence jumps from {count} to {entry['seq']}"
            elif entry["prev_hash"] != prev:
                problem = "its prev_hash does not match the previous entry's hash"
            elif entry_hash(entry) != entry["hash"]:
                problem = "its contents do not match its hash (edited after the fact)"
            elif not name.startswith(entry["at"][:7]):
                problem = f"its time {entry['at']} is not in the month of {name}"
            elif entry["at"] < last_at:
                problem = f"its time {entry['at']} is before the previous entry's {last_at}"
            if problem:
                return Result(count, prev, entry["seq"], where, problem)
            prev, count, last_at = entry["hash"], count + 1, entry["at"]
    return Result(count, prev)


def folder_of(argument: str | None) -> Path:
    """The folder holding the month files: the argument (a clone or its ledger/) or ours."""
    if argument is None:
        here = Path(__file__).resolve().parent
        return here if any(here.glob("*.jsonl")) else Path("ledger")
    path = Path(argument)
    return path / "ledger" if (path / "ledger").is_dir() else path


def main(argv: Sequence[str]) -> int:
    """Check the folder named on the command line (or this script's own) and print the result."""
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        asked = len(argv) == 1
        print(__doc__.strip() if __doc__ else "", file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    folder = folder_of(argv[0] if argv else None)
    names = sorted(p.name for p in folder.glob("*.jsonl")) if folder.is_dir() else []
    if not names:
        print(
            f"No ledger files (YYYY-MM.jsonl) in {folder}: give the folder of a clone of the "
            "docs repository, or its ledger/ folder.",
            file=sys.stderr,
        )
        return 2
    # Bytes that are not UTF-8 become U+FFFD, so the entry holding them fails its hash.
    result = check(
        (name, (folder / name).read_bytes().decode("utf-8", errors="replace")) for name in names
    )
    print(result.text())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
