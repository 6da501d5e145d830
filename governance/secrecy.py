"""Secret ballots: commitments the public ledger can hold, receipts only their voter knows.

A secret ballot's ledger entry holds ``commitment(subject_id, choice, nonce)``: the nonce stays in
the database, so the public cannot test a guess against it, while ``ledger verify`` (which reads
the database) checks that every stored choice is the one committed to. The receipt is a separate
random token, handed to the voter and published with the choice on the tally sheet at the close;
it has no link to the commitment, so the public cannot join the sheet to the ledger's names.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

C = TypeVar("C")

RECEIPT_BYTES = 10
"""A receipt is 20 hex digits: short enough to quote, far too many to guess."""


def new_nonce() -> str:
    """A fresh random nonce for one commitment (kept in the database, never published)."""
    return secrets.token_hex(16)


def new_receipt() -> str:
    """A fresh random receipt for one cast, unrelated to its commitment."""
    return secrets.token_hex(RECEIPT_BYTES)


def commitment(subject_id: int, choice: str, nonce: str) -> str:
    """SHA-256 over the vote (or election) id, the choice as text and the nonce."""
    return hashlib.sha256(f"{subject_id}:{choice}:{nonce}".encode()).hexdigest()


RECEIPT_FORM = re.compile(r"^[0-9a-f]{16,64}$")
"""Receipts are lowercase hex: 20 digits today, 64 in records made before commitments (those
are never on a tally sheet: see ``governance.sheets``)."""

COUNTED = "counted"
NON_BINDING = "non-binding"
SUPERSEDED = "superseded"
UNKNOWN = "unknown"
UNLISTED = "unlisted"
"""A receipt given before commitments: counted, never listed (see ``governance.sheets``)."""


@dataclass(frozen=True)
class SheetLine(Generic[C]):
    """One line of a tally sheet: a receipt and what it counted as."""

    receipt: str
    choice: C


@dataclass(frozen=True)
class TallySheet(Generic[C]):
    """What a closed secret vote (or election) publishes: receipts with choices, no names.

    ``counted`` holds every binding ballot as it stood at the close; ``non_binding`` the ballots
    of people outside the electorate, shown apart; ``superseded`` the receipts of casts a later
    ballot by the same voter replaced (without their choice). Each list is in receipt order,
    which is random, so a line says nothing of who cast it or when.
    """

    counted: list[SheetLine[C]]
    non_binding: list[SheetLine[C]]
    superseded: list[str]
    unlisted: int = 0
    """Ballots counted but not listed: cast before commitments, their receipts are named."""

    def standing(self, receipt: str) -> tuple[str, C | None]:
        """What ``receipt`` counted as: counted, non-binding, superseded or unknown."""
        for kind, lines in ((COUNTED, self.counted), (NON_BINDING, self.non_binding)):
            for line in lines:
                if line.receipt == receipt:
                    return kind, line.choice
        return (SUPERSEDED, None) if receipt in self.superseded else (UNKNOWN, None)


def tally_sheet(
    current: Iterable[tuple[str, C, bool]], history: Iterable[str], unlisted: int = 0
) -> TallySheet[C]:
    """The sheet from current ballots ``(receipt, choice, binding)`` and all receipts given."""
    rows = list(current)
    live = {receipt for receipt, _, _ in rows}
    return TallySheet(
        counted=sorted((SheetLine(r, c) for r, c, b in rows if b), key=lambda x: x.receipt),
        non_binding=sorted((SheetLine(r, c) for r, c, b in rows if not b), key=lambda x: x.receipt),
        superseded=sorted(set(history) - live),
        unlisted=unlisted,
    )
