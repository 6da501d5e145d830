"""Secret ballots: commitments the public ledger can hold, receipts only their voter knows.

A secret ballot's ledger entry holds ``commitment(subject_id, choice, nonce)``: the nonce stays in
the database, so the public cannot test a guess against it, while ``ledger verify`` (which reads
the database) checks that every stored choice is the one committed to. The receipt is a separate
random token, handed to the voter and published with the choice on the tally sheet at the close;
it has no link to the commitment, so the public cannot join the sheet to the ledger's names.
"""

from __future__ import annotations

import hashlib
import secrets

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
