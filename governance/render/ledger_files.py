"""The ledger itself in the docs: one JSON Lines file per month, and the verifier beside them.

Each line is one entry exactly as hashed (the payload as its stored canonical text), so anyone
with a clone recomputes the chain with ``ledger/verify.py`` and nothing else. Entries are never
changed, so a publication rewrites only the months its new entries fall in; a month is read from
the newest entry backwards to its first, by sequence number, without scanning older months.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from governance import ledger
from governance.model import LedgerEntry

VERIFY_PATH = "ledger/verify.py"
MONTH_PATH = re.compile(r"^ledger/(\d{4}-(?:0[1-9]|1[0-2]))\.jsonl$")
BATCH = 1000
COLUMNS = (
    col(LedgerEntry.seq),
    col(LedgerEntry.at),
    col(LedgerEntry.actor),
    col(LedgerEntry.action),
    col(LedgerEntry.subject),
    col(LedgerEntry.payload),
    col(LedgerEntry.prev_hash),
    col(LedgerEntry.hash),
)


def month_of(at: datetime) -> str:
    """``2027-03``: the month file an entry at ``at`` belongs to (UTC, as its hashed time)."""
    return _at_text(at)[:7]


def _at_text(at: datetime) -> str:
    """``ledger.at_text`` in one call for the aware UTC times the database gives back.

    A full render formats every entry's time, so this is the renderer's hot spot.
    """
    text = at.isoformat(timespec="microseconds")
    return f"{text[:-6]}Z" if text.endswith("+00:00") else ledger.at_text(at)


def month_path(month: str) -> str:
    """``ledger/2027-03.jsonl``."""
    return f"ledger/{month}.jsonl"


def month_in(path: str) -> str | None:
    """The month of a month file's path, or None for any other path."""
    match = MONTH_PATH.match(path)
    return match.group(1) if match else None


def line(entry: ledger.EntryView) -> str:
    """One entry as a JSON line: the fields hashed, the time as hashed, and its hash.

    Keys sorted and no spaces, as the hash's canonical form, but ASCII only: any other
    character is a JSON unicode escape, which parses back to the same text (so the hash still
    checks) while no bidirectional control or look-alike can disguise a line in a viewer.
    """
    return _line(
        entry.seq,
        entry.at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.payload,
        entry.prev_hash,
        entry.hash,
        _at_text(entry.at),
    )


def _line(
    seq: int,
    _at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: str,
    prev_hash: str,
    digest: str,
    at_text: str,
) -> str:
    """``json.dumps(entry, sort_keys=True, separators=(",", ":"))``, spelled out for speed."""
    text = _quote
    return (
        f'{{"action":{text(action)},"actor":{text(actor)},"at":{text(at_text)},'
        f'"hash":{text(digest)},"payload":{text(payload)},"prev_hash":{text(prev_hash)},'
        f'"seq":{int(seq)},"subject":{text(subject)}}}'
    )


@cache
def verifier() -> str:
    """The text of ``ledger/verify.py``, shipped in the package and published verbatim."""
    return resources.files("governance.render.static").joinpath("verify.py").read_text("utf-8")


def _rows(session: Session, after: int) -> Iterator[Any]:
    """Entries after sequence number ``after`` as rows of ``COLUMNS``, in order, streamed."""
    result = session.execute(
        sa.select(*COLUMNS)
        .where(col(LedgerEntry.seq) > after)
        .order_by(col(LedgerEntry.seq))
        .execution_options(yield_per=BATCH)
    )
    try:
        yield from result
    finally:
        result.close()


def _month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


def _before(session: Session, month: str) -> int:
    """The last sequence number before ``month`` (0 if none): found from the newest entry back."""
    seq = session.execute(
        sa.select(col(LedgerEntry.seq))
        .where(col(LedgerEntry.at) < _month_start(month))
        .order_by(col(LedgerEntry.seq).desc())
        .limit(1)
    ).scalar()
    return int(seq or 0)


def _texts(rows: Iterable[Any], months: set[str] | None) -> dict[str, str]:
    """Month files from rows in order; stops at the first entry past the last month wanted.

    Each month's lines are joined as soon as the next month starts, so a full render holds the
    texts and one month's lines, not every line as well.
    """
    texts: dict[str, str] = {}
    last = max(months) if months else None
    month, lines = "", list[str]()
    for row in rows:
        at_text = _at_text(row[1])
        if at_text[:7] != month:
            if lines:
                texts[month] = texts.get(month, "") + "\n".join(lines) + "\n"
            month, lines = at_text[:7], []
            if last is not None and month > last:
                break
        if months is None or month in months:
            seq, at, actor, action, subject, payload, prev_hash, digest = row
            lines.append(
                _line(seq, at, actor, action, subject, payload, prev_hash, digest, at_text)
            )
    if lines:
        texts[month] = texts.get(month, "") + "\n".join(lines) + "\n"
    return {month_path(m): texts[m] for m in sorted(texts)}


def ledger_files(session: Session, months: Iterable[str] | None = None) -> dict[str, str]:
    """``ledger/verify.py`` and the month files of ``months`` (every month when None).

    A month with no entries has no file.
    """
    files = {VERIFY_PATH: verifier()}
    if months is None:
        files.update(_texts(_rows(session, 0), None))
        return files
    wanted = set(months)
    if wanted:
        files.update(_texts(_rows(session, _before(session, min(wanted))), wanted))
    return files
