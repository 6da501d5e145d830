"""The record against what the docs repository published: every head, and the ledger's files.

Each publication's commit message ends with ``Ledger head: <seq> <hash>``. Once published, a head
is public: a record whose entry ``seq`` no longer has that hash was rewritten (re-hashed from
some entry on), and one that no longer reaches ``seq`` lost entries after they were published.
The check itself works on plain texts (commit messages and month files), so it runs without git;
``read_clone`` reads them from a clone, read-only.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from governance import ledger
from governance.errors import InvalidInput
from governance.render.ledger_files import line, month_in
from governance.render.static.verify import FIELDS

HEAD_LINE = re.compile(r"^Ledger head: (\d+) ([0-9a-f]{64})[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class PublishedHead:
    """One commit's ``Ledger head:`` line."""

    commit: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Contradiction:
    """A published head the record no longer has: ``record`` is the record's hash at ``seq``."""

    commit: str
    seq: int
    published: str
    record: str | None
    problem: str


@dataclass(frozen=True)
class Difference:
    """An entry that differs between the record and the published month files."""

    seq: int
    where: str
    fields: tuple[str, ...]
    problem: str


@dataclass(frozen=True)
class PublishedCheck:
    """The record against every published head and the month files at the docs' tip."""

    commits: int
    heads: int
    latest: PublishedHead | None
    record_entries: int
    contradicted: Contradiction | None
    contradictions: int
    files: int
    compared: int
    difference: Difference | None
    differences: int
    files_problem: str | None

    @property
    def ok(self) -> bool:
        """Whether the record agrees with everything published."""
        return self.contradicted is None and self.difference is None and not self.files_problem

    def to_json(self) -> dict[str, Any]:
        """The check as plain data (the ``published`` block of ``ledger verify --json``)."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class Clone:
    """What ``read_clone`` read: the branch, its tip, every commit's message and month files."""

    branch: str
    tip: str
    history: list[tuple[str, str]]
    files: dict[str, str]


def heads_of(history: Iterable[tuple[str, str]]) -> list[PublishedHead]:
    """The ``Ledger head:`` of each commit ``(id, message)`` given newest first, oldest first.

    Commits without one (hand edits in the docs repository) are skipped; a message with several
    counts by its last.
    """
    heads = []
    for commit, message in history:
        found = HEAD_LINE.findall(message)
        if found:
            seq, digest = found[-1]
            heads.append(PublishedHead(commit, int(seq), digest))
    heads.reverse()
    return heads


def _published_entries(
    files: Mapping[str, str],
) -> tuple[dict[int, tuple[str, str]], str | None]:
    """Every entry line of the month files by seq, with where it is; and the first stray line.

    A line that is not an entry, or repeats a seq, is what ``files_problem`` reports: the
    record's own entries cannot explain it.
    """
    entries: dict[int, tuple[str, str]] = {}
    stray: list[str] = []
    for path in sorted(files):
        for number, text in enumerate(files[path].split("\n"), start=1):
            if not text:
                continue
            where = f"{path} line {number}"
            try:
                entry = json.loads(text)
            except ValueError:
                entry = None
            seq = entry.get("seq") if isinstance(entry, dict) else None
            if not isinstance(seq, int) or isinstance(seq, bool):
                stray.append(f"{where} is not a ledger entry")
            elif seq in entries:
                stray.append(f"{where} repeats entry {seq} ({entries[seq][0]})")
            else:
                entries[seq] = (where, text)
    problem = None
    if stray:
        more = f" ({len(stray)} such lines)" if len(stray) > 1 else ""
        problem = f"{stray[0]}{more}"
    return entries, problem


class _Differences:
    """The first difference, how many there are, and the first entry whose hash differs."""

    def __init__(self) -> None:
        self.first: Difference | None = None
        self.count = 0
        self.diverged: int | None = None

    def add(self, seq: int, where: str, fields: tuple[str, ...], problem: str) -> None:
        self.count += 1
        if self.first is None:
            self.first = Difference(seq, where, fields, problem)
        if "hash" in fields and self.diverged is None:
            self.diverged = seq


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


def check_published(
    entries: Iterable[ledger.EntryView],
    history: Sequence[tuple[str, str]],
    files: Mapping[str, str],
) -> PublishedCheck:
    """Check the record's ``entries`` (in order) against published heads and month files.

    ``history`` is every commit of the docs branch as ``(id, message)``, newest first (as
    ``git log`` lists them); ``files`` the month files at its tip by path
    (``ledger/2027-03.jsonl``). The first contradicted head is the oldest commit whose head the
    record no longer has.
    """
    heads = heads_of(history)
    wanted = {head.seq for head in heads}
    months = {path: text for path, text in files.items() if month_in(path) is not None}
    published, stray = _published_entries(months)
    published_to = max(published, default=0)

    record_hash: dict[int, str] = {}
    differences = _Differences()
    count = last = 0
    for entry in entries:
        count, last = count + 1, entry.seq
        if entry.seq in wanted:
            record_hash[entry.seq] = entry.hash
        found = published.get(entry.seq)
        if found is None:
            if entry.seq <= published_to:
                differences.add(
                    entry.seq,
                    "",
                    (),
                    f"the record's entry {entry.seq} is missing from the published files",
                )
            continue
        where, text = found
        ours = line(entry)
        if ours == text:  # the published line is the one govbot writes for this entry
            continue
        mine, theirs = json.loads(ours), json.loads(text)
        fields = tuple(name for name in FIELDS if mine[name] != theirs.get(name))
        if not fields:  # the same entry, spelled differently (key order, escapes)
            continue
        if fields:
            differences.add(
                entry.seq,
                where,
                fields,
                f"the record's entry {entry.seq} differs from the published one ({where}) "
                f"in {', '.join(fields)}",
            )
    lost = sorted(seq for seq in published if seq > last)
    if lost:
        differences.add(
            lost[0],
            published[lost[0]][0],
            (),
            f"the published files hold {_span(lost[0], lost[-1])}, which the record does "
            f"not have (it ends at entry {last})",
        )
    contradictions = _contradictions(heads, record_hash, last, differences.diverged)
    return PublishedCheck(
        commits=len(history),
        heads=len(heads),
        latest=heads[-1] if heads else None,
        record_entries=count,
        contradicted=contradictions[0] if contradictions else None,
        contradictions=len(contradictions),
        files=len(months),
        compared=len(published),
        difference=differences.first,
        differences=differences.count,
        files_problem=stray,
    )


def _contradictions(
    heads: list[PublishedHead], record_hash: dict[int, str], last: int, diverged: int | None
) -> list[Contradiction]:
    """Every published head the record contradicts, oldest first, each saying what it means."""
    furthest = max((head.seq for head in heads), default=0)
    agreed = 0  # the highest published head, so far, that the record still has
    found: list[Contradiction] = []
    for head in heads:
        if head.seq == 0:
            continue
        ours = record_hash.get(head.seq)
        if ours == head.hash:
            agreed = max(agreed, head.seq)
            continue
        if head.seq > last:
            problem = (
                f"commit {head.commit} published entry {head.seq} as the ledger head "
                f"({head.hash}), but the record ends at entry {last}: the record lost "
                f"{_span(last + 1, furthest)} after "
                f"{'it was' if furthest == last + 1 else 'they were'} published"
            )
        elif ours is None:
            problem = (
                f"commit {head.commit} published entry {head.seq} as the ledger head "
                f"({head.hash}), but the record has no entry {head.seq}: entries were removed "
                "from the record after they were published"
            )
        else:
            if diverged is not None and agreed < diverged <= head.seq:
                since = f"from entry {diverged}"
            else:
                since = f"from some entry after {agreed} and up to {head.seq}"
            problem = (
                f"commit {head.commit} published entry {head.seq} with hash {head.hash}, but "
                f"the record's entry {head.seq} has hash {ours}: the record was re-hashed "
                f"{since} after it was published"
            )
        found.append(Contradiction(head.commit, head.seq, head.hash, ours, problem))
    return found


def _git(directory: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run a read-only git command in the clone; its failure is the user's input to fix."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args], input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise InvalidInput(
            "git is not installed (or not on PATH); install git to check a clone of the docs"
        ) from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise InvalidInput(f"git {args[0]} failed in {directory}: {message}")
    return result.stdout


def read_clone(directory: Path) -> Clone:
    """The checked-out branch of a clone of the docs: its history and month files, read-only.

    Files are read from the branch's commit, not the working tree, so local edits do not count.
    """
    if not directory.is_dir():
        raise InvalidInput(
            f"--docs {directory} is not a directory; give a clone of the docs repository "
            "(git clone URL PATH)."
        )
    inside = subprocess.run(
        ["git", "-C", str(directory), "rev-parse", "--verify", "-q", "HEAD^{commit}"],
        capture_output=True,
        check=False,
    )
    if inside.returncode != 0:
        raise InvalidInput(
            f"--docs {directory} is not a git clone with commits; give a clone of the docs "
            "repository (git clone URL PATH)."
        )
    tip = inside.stdout.decode().strip()
    branch = _git(directory, "rev-parse", "--abbrev-ref", "HEAD").decode().strip()
    raw = _git(directory, "log", "-z", "--format=%H%x00%B", tip).decode("utf-8", "replace")
    parts = raw.split("\0")
    history = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    listing = _git(directory, "ls-tree", "-z", "--name-only", tip, "ledger/").decode()
    paths = sorted(p for p in listing.split("\0") if p and month_in(p) is not None)
    files: dict[str, str] = {}
    if paths:
        out = _git(
            directory,
            "cat-file",
            "--batch",
            stdin="".join(f"{tip}:{path}\n" for path in paths).encode(),
        )
        offset = 0
        for path in paths:
            end = out.index(b"\n", offset)
            size = int(out[offset:end].split(b" ")[2])
            files[path] = out[end + 1 : end + 1 + size].decode("utf-8", "replace")
            offset = end + 1 + size + 1
    return Clone(branch, tip, history, files)
