"""The ledger: an append-only, hash-chained log of every state change.

Each entry's hash covers its sequence number, time, actor, action, subject, payload and the previous
entry's hash, so editing, deleting or reordering any entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.clock import iso

GENESIS = "0" * 64


def canonical(payload: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, so the same payload hashes the same."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, subject: str, payload: str, prev_hash: str
) -> str:
    """The hash of one entry; ``payload`` is the canonical JSON text exactly as stored."""
    body = canonical(
        {
            "seq": seq,
            "at": at_text(at),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def at_text(at: datetime) -> str:
    """Microsecond-exact UTC text of an entry's time (the hash must not lose precision)."""
    text = iso(at.replace(microsecond=0))
    assert text is not None
    return f"{text[:-1]}.{at.microsecond:06d}Z"


def exact(moment: datetime | None) -> str | None:
    """A time in a payload, to the microsecond: replaying the ledger restores it as stored."""
    return None if moment is None else at_text(moment)


def content_hash(charter: Any, body: str) -> str:
    """SHA-256 over a group's stored charter (its front matter) and body.

    A ledger entry names them by it: the replay compares the stored pair with it, without the
    entry carrying the whole text.
    """
    text = canonical({"charter": charter, "body": body})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EntryView:
    """An entry as read back, independent of the storage layer."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    """The result of recomputing the chain: ``broken_at`` is the first bad entry, if any."""

    entries: int
    head: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every entry checked out."""
        return self.broken_at is None


def verify(entries: Iterable[EntryView]) -> Verification:
    """Recompute every hash in order and name the first entry that does not match."""
    prev = GENESIS
    count = 0
    expected_seq = 1
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return Verification(
                count - 1, prev, entry.seq, f"sequence jumps from {expected_seq - 1} to {entry.seq}"
            )
        if entry.prev_hash != prev:
            return Verification(
                count - 1, prev, entry.seq, "prev_hash does not match the previous entry's hash"
            )
        recomputed = entry_hash(
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.subject,
            entry.payload,
            entry.prev_hash,
        )
        if recomputed != entry.hash:
            return Verification(
                count - 1,
                prev,
                entry.seq,
                "its contents do not match its hash (edited after the fact)",
            )
        prev = entry.hash
        expected_seq += 1
    return Verification(count, prev)
