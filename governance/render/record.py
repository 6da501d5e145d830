"""The record as the renderer reads it: a few bulk queries into plain rows.

A full render reads everything once; a scoped render reads every index (small) but the ballots,
concerns and history of only the RFCs and elections in scope, so publishing after one ballot
costs a fraction of publishing ten years.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from governance import secrecy
from governance.clock import as_utc
from governance.model import (
    Ballot,
    Concern,
    Election,
    Foundation,
    Group,
    LedgerEntry,
    Membership,
    Person,
    RankedBallot,
    Rfc,
    Vote,
    VoteState,
)
from governance.refs import election_label, rfc_label
from governance.sheets import ranking_sheets, vote_sheets
from governance.status import BallotFacts

HISTORY_SKIPPED = ("ballot.cast", "election.ranked")
RECENT_LEDGER = 15


@dataclass(frozen=True)
class Scope:
    """What a publication must re-render: these RFCs, elections and groups, and the indexes.

    With ``indexes`` false (a batch of ballots only) the indexes, the decisions and the group
    pages cannot have changed, so only the RFC and election pages and the ledger page are
    rendered. ``None`` in place of a scope means everything.
    """

    rfcs: frozenset[int] = frozenset()
    elections: frozenset[int] = frozenset()
    groups: frozenset[str] = frozenset()
    indexes: bool = True


@dataclass(frozen=True)
class HistoryEvent:
    """A ledger entry shown in an RFC's or election's history."""

    seq: int
    at: datetime
    actor: str
    action: str
    payload: dict[str, Any]


@dataclass
class Record:
    """Everything the pages show, keyed for lookups."""

    foundation: Any | None
    people: dict[int, Any]
    groups: dict[int, Any]
    memberships: dict[int, list[Any]]  # group id -> current and (in scope) past memberships
    rfcs: dict[int, Any]  # rfc id -> row
    votes: dict[int, list[Any]]  # rfc id -> votes in opening order
    elections: dict[int, Any]  # election id -> row
    ballots: dict[int, list[BallotFacts]] = field(default_factory=dict)  # vote id -> ballots
    # Closed secret votes and elections only: vote or election id -> its tally sheet.
    sheets: dict[int, secrecy.TallySheet[str]] = field(default_factory=dict)
    ranking_sheets: dict[int, secrecy.TallySheet[list[list[str]]]] = field(default_factory=dict)
    rankings: dict[int, list[tuple[str, list[list[str]], bool, datetime]]] = field(
        default_factory=dict
    )
    concerns: dict[int, list[Any]] = field(default_factory=dict)  # rfc id -> concerns
    history: dict[str, list[HistoryEvent]] = field(default_factory=dict)  # subject -> events
    bodies: dict[int, str] = field(default_factory=dict)  # rfc id -> text
    ledger_head: Any | None = None
    ledger_recent: list[Any] = field(default_factory=list)
    # What to render: ids in scope, or None for all.
    scoped_rfcs: set[int] | None = None
    scoped_elections: set[int] | None = None
    scoped_groups: set[int] | None = None
    indexes: bool = True

    def handle(self, person_id: int | None) -> str:
        """The handle of a person id (empty for none)."""
        if person_id is None:
            return ""
        return str(self.people[person_id].handle)


def _rows(session: Session, statement: Any) -> list[Any]:
    return list(session.execute(statement).all())


def _in(column: Any, values: Iterable[Any] | None) -> Any:
    return sa.true() if values is None else column.in_(list(values))


def load(session: Session, scope: Scope | None) -> Record:
    """Read what the pages in ``scope`` need (everything when ``scope`` is None).

    Without indexes to render, only the RFCs and elections in scope are read at all.
    """
    only = scope is not None and not scope.indexes
    foundation = session.execute(sa.select(Foundation)).scalars().first()
    people = {
        row.id: row
        for row in _rows(
            session,
            sa.select(col(Person.id), col(Person.handle), col(Person.name), col(Person.github)),
        )
    }
    groups = {
        g.id: g for g in session.execute(sa.select(Group).order_by(col(Group.slug))).scalars()
    }
    rfcs = {
        row.id: row
        for row in _rows(
            session,
            sa.select(
                col(Rfc.id),
                col(Rfc.number),
                col(Rfc.group_id),
                col(Rfc.title),
                col(Rfc.author_id),
                col(Rfc.status),
                col(Rfc.created_at),
                col(Rfc.updated_at),
                col(Rfc.github_repo),
                col(Rfc.github_issue),
                col(Rfc.discord_thread_id),
            )
            .where(_in(col(Rfc.number), scope.rfcs if only and scope else None))
            .order_by(col(Rfc.number)),
        )
    }
    votes: dict[int, list[Any]] = defaultdict(list)
    statement = sa.select(Vote).where(_in(col(Vote.rfc_id), list(rfcs) if only else None))
    for row in _rows(session, statement.order_by(col(Vote.opened_at), col(Vote.id))):
        vote = row[0]
        votes[vote.rfc_id].append(vote)
    chosen = sa.select(Election).where(
        _in(col(Election.number), scope.elections if only and scope else None)
    )
    elections = {row[0].id: row[0] for row in _rows(session, chosen.order_by(col(Election.number)))}
    scoped_rfcs = None if scope is None else {r.id for r in rfcs.values() if r.number in scope.rfcs}
    scoped_elections = (
        None if scope is None else {e.id for e in elections.values() if e.number in scope.elections}
    )
    scoped_groups = _scoped_groups(scope, groups, rfcs, elections, scoped_rfcs, scoped_elections)

    record = Record(
        foundation=foundation,
        people=people,
        groups=groups,
        memberships=_memberships(session, scoped_groups),
        rfcs=rfcs,
        votes=dict(votes),
        elections=elections,
        scoped_rfcs=scoped_rfcs,
        scoped_elections=scoped_elections,
        scoped_groups=scoped_groups,
        indexes=scope is None or scope.indexes,
    )
    record.bodies = dict(
        _rows(session, sa.select(col(Rfc.id), col(Rfc.body)).where(_in(col(Rfc.id), scoped_rfcs)))
    )
    _load_ballots(session, record, scoped_rfcs)
    _load_concerns(session, record, scoped_rfcs)
    _load_rankings(session, record, scoped_elections)
    subjects = None
    if scope is not None:
        subjects = [rfc_label(rfcs[i].number) for i in scoped_rfcs or ()] + [
            election_label(elections[i].number) for i in scoped_elections or ()
        ]
    _load_history(session, record, subjects)
    _load_ledger(session, record)
    return record


def _scoped_groups(
    scope: Scope | None,
    groups: dict[int, Any],
    rfcs: dict[int, Any],
    elections: dict[int, Any],
    scoped_rfcs: set[int] | None,
    scoped_elections: set[int] | None,
) -> set[int] | None:
    """The groups whose pages are rendered: named ones and those of the RFCs and elections."""
    if scope is None:
        return None
    chosen = {gid for gid, g in groups.items() if g.slug in scope.groups}
    if not scope.indexes:
        return chosen
    chosen |= {rfcs[i].group_id for i in scoped_rfcs or ()}
    chosen |= {elections[i].group_id for i in scoped_elections or ()}
    return chosen


def _memberships(session: Session, scoped_groups: set[int] | None) -> dict[int, list[Any]]:
    """Current memberships of every group (for the index), and past ones of groups in scope."""
    columns = (
        col(Membership.group_id),
        col(Membership.person_id),
        col(Membership.role),
        col(Membership.since),
        col(Membership.until),
    )
    condition: sa.ColumnElement[bool] = col(Membership.until).is_(None)
    if scoped_groups is None:
        condition = sa.true()
    elif scoped_groups:
        condition = sa.or_(condition, col(Membership.group_id).in_(sorted(scoped_groups)))
    result: dict[int, list[Any]] = defaultdict(list)
    statement = (
        sa.select(*columns).where(condition).order_by(col(Membership.since), col(Membership.id))
    )
    for row in _rows(session, statement):
        result[row.group_id].append(row)
    return dict(result)


def _closed_secret(decision: Any) -> bool:
    return decision.state == VoteState.CLOSED and bool((decision.policy or {}).get("secret"))


def _load_ballots(session: Session, record: Record, rfc_ids: set[int] | None) -> None:
    """Ballots of the votes in scope, and the tally sheets of their closed secret votes."""
    votes = [v for rid, vs in record.votes.items() if rfc_ids is None or rid in rfc_ids for v in vs]
    vote_ids = None if rfc_ids is None else [v.id for v in votes]
    statement = (
        sa.select(
            col(Ballot.vote_id),
            col(Person.handle),
            col(Ballot.choice),
            col(Ballot.binding),
            col(Ballot.cast_at),
        )
        .join(Person, col(Person.id) == col(Ballot.person_id))
        .where(_in(col(Ballot.vote_id), vote_ids))
        .order_by(col(Ballot.vote_id), col(Ballot.cast_at), col(Ballot.id))
    )
    ballots: dict[int, list[BallotFacts]] = defaultdict(list)
    for vote_id, handle, choice, binding, cast_at in session.execute(statement):
        ballots[vote_id].append(BallotFacts(handle, choice, bool(binding), as_utc(cast_at)))
    record.ballots = dict(ballots)
    record.sheets = vote_sheets(session, sorted(v.id for v in votes if _closed_secret(v)))


def _load_concerns(session: Session, record: Record, rfc_ids: set[int] | None) -> None:
    statement = (
        sa.select(Concern)
        .where(_in(col(Concern.rfc_id), rfc_ids))
        .order_by(col(Concern.raised_at), col(Concern.id))
    )
    concerns: dict[int, list[Any]] = defaultdict(list)
    for row in _rows(session, statement):
        concerns[row[0].rfc_id].append(row[0])
    record.concerns = dict(concerns)


def _load_rankings(session: Session, record: Record, election_ids: set[int] | None) -> None:
    statement = (
        sa.select(
            col(RankedBallot.election_id),
            col(Person.handle),
            col(RankedBallot.ranking),
            col(RankedBallot.binding),
            col(RankedBallot.cast_at),
        )
        .join(Person, col(Person.id) == col(RankedBallot.person_id))
        .where(_in(col(RankedBallot.election_id), election_ids))
        .order_by(col(RankedBallot.election_id), col(Person.handle))
    )
    rankings: dict[int, list[tuple[str, list[list[str]], bool, datetime]]] = defaultdict(list)
    for election_id, handle, ranking, binding, cast_at in session.execute(statement):
        rankings[election_id].append((handle, ranking, bool(binding), as_utc(cast_at)))
    record.rankings = dict(rankings)
    record.ranking_sheets = ranking_sheets(
        session,
        sorted(
            e.id
            for e in record.elections.values()
            if (election_ids is None or e.id in election_ids) and _closed_secret(e)
        ),
    )


def _load_history(session: Session, record: Record, subjects: list[str] | None) -> None:
    """Lifecycle events from the ledger; single ballots are shown in the vote record instead."""
    if subjects == []:
        return
    condition = sa.and_(
        col(LedgerEntry.action).not_in(HISTORY_SKIPPED),
        sa.or_(col(LedgerEntry.subject).like("RFC-%"), col(LedgerEntry.subject).like("E-%")),
    )
    if subjects is not None:
        condition = sa.and_(condition, col(LedgerEntry.subject).in_(subjects))
    statement = sa.select(
        col(LedgerEntry.seq),
        col(LedgerEntry.at),
        col(LedgerEntry.actor),
        col(LedgerEntry.action),
        col(LedgerEntry.subject),
        col(LedgerEntry.payload),
    ).where(condition)
    history: dict[str, list[HistoryEvent]] = defaultdict(list)
    for seq, at, actor, action, subject, payload in session.execute(
        statement.order_by(col(LedgerEntry.seq))
    ):
        history[subject].append(HistoryEvent(seq, as_utc(at), actor, action, json.loads(payload)))
    record.history = dict(history)


def _load_ledger(session: Session, record: Record) -> None:
    recent = _rows(
        session,
        sa.select(
            col(LedgerEntry.seq),
            col(LedgerEntry.at),
            col(LedgerEntry.actor),
            col(LedgerEntry.action),
            col(LedgerEntry.subject),
            col(LedgerEntry.hash),
        )
        .order_by(col(LedgerEntry.seq).desc())
        .limit(RECENT_LEDGER),
    )
    record.ledger_recent = recent
    record.ledger_head = recent[0] if recent else None
