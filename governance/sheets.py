"""Tally sheets read from the record: what a closed secret vote or election publishes.

The renderer and the ``receipt`` services both read sheets through here, so the page a voter
reads and the answer they get to ``vote receipt`` can never disagree. Callers ask only for
closed secret votes and elections: a sheet pairs receipts with choices.

A ballot cast before govbot kept commitments (schema 0005) has a receipt that its ledger entry
published next to the voter's name, so it is never listed: listing it would tell how that person
voted. It is counted in the totals, and the sheet says how many such ballots it leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from governance import secrecy
from governance.model import Ballot, BallotChange, RankedBallot

CHUNK = 500
"""Bounded IN lists on every backend."""


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def vote_sheets(session: Session, vote_ids: Sequence[int]) -> dict[int, secrecy.TallySheet[str]]:
    """Each vote's sheet from its current ballots and the receipts of every cast before them."""
    current: dict[int, list[tuple[str, str, bool]]] = {v: [] for v in vote_ids}
    history: dict[int, list[str]] = {v: [] for v in vote_ids}
    unlisted: dict[int, int] = dict.fromkeys(vote_ids, 0)
    for chunk in _chunks(vote_ids):
        for vote_id, receipt, choice, binding, nonce in session.execute(
            sa.select(
                col(Ballot.vote_id),
                col(Ballot.receipt),
                col(Ballot.choice),
                col(Ballot.binding),
                col(Ballot.nonce),
            ).where(col(Ballot.vote_id).in_(chunk), col(Ballot.receipt).is_not(None))
        ):
            if nonce is None:  # cast before commitments: its receipt is in the ledger by name
                unlisted[vote_id] += 1
                continue
            current[vote_id].append((str(receipt), choice, bool(binding)))
        for vote_id, receipt in session.exec(
            select(BallotChange.vote_id, BallotChange.receipt).where(
                col(BallotChange.vote_id).in_(chunk), col(BallotChange.nonce).is_not(None)
            )
        ):
            history[vote_id].append(str(receipt))
    return {v: secrecy.tally_sheet(current[v], history[v], unlisted[v]) for v in vote_ids}


def ranking_sheets(
    session: Session, election_ids: Sequence[int]
) -> dict[int, secrecy.TallySheet[list[list[str]]]]:
    """Each election's sheet: receipts with rankings (a changed ranking keeps no old receipt)."""
    current: dict[int, list[tuple[str, list[list[str]], bool]]] = {e: [] for e in election_ids}
    for chunk in _chunks(election_ids):
        rows: Any = session.exec(
            select(
                RankedBallot.election_id,
                RankedBallot.receipt,
                RankedBallot.ranking,
                RankedBallot.binding,
            ).where(
                col(RankedBallot.election_id).in_(chunk), col(RankedBallot.receipt).is_not(None)
            )
        )
        for election_id, receipt, ranking, binding in rows:
            current[election_id].append((str(receipt), list(ranking), bool(binding)))
    return {e: secrecy.tally_sheet(current[e], ()) for e in election_ids}
