"""``tick(now)``: close everything that is due and remind electors, however late it runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from governance import policy as policies
from governance.clock import as_utc, iso
from governance.model import Ballot, Election, Rfc, Vote, VoteState
from governance.services import common
from governance.services.elections import close_election, due_elections
from governance.services.rfcs import close_vote, due_votes
from governance.store import UnitOfWork

REMINDER_LEAD = timedelta(hours=24)
"""How long before a vote's deadline its electors who have not voted are reminded."""


@dataclass
class TickReport:
    """What a tick closed, by name, with outcomes, and the votes whose electors it reminded."""

    closed_votes: list[dict[str, str | None]] = field(default_factory=list)
    closed_elections: list[dict[str, str | None]] = field(default_factory=list)
    reminded: list[dict[str, str | int | None]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the tick changed anything."""
        return bool(self.closed_votes or self.closed_elections or self.reminded)


def tick(uow: UnitOfWork, now: datetime) -> TickReport:
    """Close due votes and elections at their own moments, send due reminders; commit once."""
    report = TickReport()
    votes = due_votes(uow, now)
    elections = due_elections(uow, now)
    closing = {vote.id for vote, _, _ in votes}
    reminders = [r for r in due_reminders(uow, now) if r[0].id not in closing]
    if not votes and not elections and not reminders:
        return report
    uow.check_time(now)
    for vote, rfc, at in votes:
        close_vote(uow, vote, rfc, now, at=at)
        report.closed_votes.append({"rfc": common.rfc_label(rfc.number), "outcome": vote.outcome})
    for election, at in elections:
        close_election(uow, election, now, at=at)
        report.closed_elections.append(
            {"election": common.election_label(election.number), "outcome": election.outcome}
        )
    for vote, rfc, waiting in reminders:
        report.reminded.append(remind(uow, vote, rfc, now, waiting))
    uow.commit()
    return report


def remind(
    uow: UnitOfWork, vote: Vote, rfc: Rfc, now: datetime, waiting: int
) -> dict[str, str | int | None]:
    """Mark the vote reminded and record it; a front end tells the electors who have not voted.

    ``reminded_at`` is set once and never cleared, so a vote is reminded at most once: not again
    after a restart, nor after a pause and a resume (a second reminder for the same vote would
    be noise; the vote message shows the new deadline).
    """
    label = common.rfc_label(rfc.number)
    vote.reminded_at = now
    uow.session.add(vote)
    payload: dict[str, str | int | None] = {
        "rfc": label,
        "vote": vote.id,
        "closes_at": iso(vote.closes_at),
        "waiting": waiting,
    }
    uow.record(now, common.SYSTEM, "vote.reminded", label, dict(payload))
    return payload


def _reminder_moment(vote: Vote) -> datetime | None:
    """When an open vote's electors are to be reminded; None for a vote that gets no reminder.

    A paused vote has no deadline, so no reminder until it resumes; a vote that runs
    ``REMINDER_LEAD`` or less in all gets none (its electors were just told it opened).
    """
    if vote.state != VoteState.OPEN or vote.reminded_at is not None or vote.closes_at is None:
        return None
    closes_at, opened_at = as_utc(vote.closes_at), as_utc(vote.opened_at)
    if closes_at - opened_at <= REMINDER_LEAD:
        return None
    return closes_at - REMINDER_LEAD


def _waiting(uow: UnitOfWork, votes: Sequence[Vote]) -> dict[int, int]:
    """How many electors of each vote have not voted, counted by the database in one query.

    A ballot binds exactly when its voter is in the frozen electorate, so the binding ballots
    are the electors who voted.
    """
    ids = [v.id for v in votes if v.id is not None]
    if not ids:
        return {}
    rows = uow.session.exec(
        select(Ballot.vote_id, func.count())
        .where(col(Ballot.vote_id).in_(ids), col(Ballot.binding).is_(True))
        .group_by(col(Ballot.vote_id))
    ).all()
    voted = dict(rows)
    return {v.id: len(v.electorate) - voted.get(v.id, 0) for v in votes if v.id is not None}


def _reminder_candidates(
    uow: UnitOfWork, now: datetime | None = None
) -> list[tuple[Vote, Rfc, datetime, int]]:
    """Open votes still to be reminded, with their moment and how many electors have not voted.

    With ``now``, only those whose deadline is within ``REMINDER_LEAD`` of it. A vote every
    elector has voted in gets no reminder: there is nobody to remind, and ballots cannot be
    taken back, so there never will be.
    """
    query = (
        select(Vote, Rfc)
        .join(Rfc, col(Rfc.id) == col(Vote.rfc_id))
        .where(Vote.state == VoteState.OPEN, col(Vote.reminded_at).is_(None))
    )
    if now is not None:
        query = query.where(col(Vote.closes_at) > now, col(Vote.closes_at) <= now + REMINDER_LEAD)
    rows = uow.session.exec(query.order_by(col(Vote.id))).all()
    moments = [(vote, rfc, _reminder_moment(vote)) for vote, rfc in rows]
    due = [(vote, rfc, at) for vote, rfc, at in moments if at is not None]
    waiting = _waiting(uow, [vote for vote, _, _ in due])
    return [
        (vote, rfc, at, waiting[vote.id or 0]) for vote, rfc, at in due if waiting[vote.id or 0]
    ]


def due_reminders(uow: UnitOfWork, now: datetime) -> list[tuple[Vote, Rfc, int]]:
    """Votes whose electors are to be reminded now: within ``REMINDER_LEAD`` of the deadline."""
    return [
        (vote, rfc, waiting)
        for vote, rfc, at, waiting in _reminder_candidates(uow, now)
        if vote.closes_at is not None and at <= now < as_utc(vote.closes_at)
    ]


@dataclass(frozen=True)
class Deadline:
    """A moment at which a tick has work: a deadline, the end of min_duration, a reminder."""

    key: str  # stable, e.g. "vote:12:deadline"
    at: datetime


def deadlines(uow: UnitOfWork) -> list[Deadline]:
    """Every moment an open vote or election may close or be reminded, from the record.

    A scheduler turns these into exact jobs at startup and after changes; a paused vote has none
    until it resumes. Early closes settled by a ballot happen with that ballot; the end of
    ``min_duration`` is listed for those settled before it. A reminder is listed until it is
    sent (``vote:<id>:reminder``).
    """
    found: list[Deadline] = []
    rows: list[tuple[str, Vote | Election]] = [
        ("vote", v) for v in uow.session.exec(select(Vote).where(Vote.state == VoteState.OPEN))
    ]
    rows += [
        ("election", e)
        for e in uow.session.exec(select(Election).where(Election.state == VoteState.OPEN))
    ]
    for kind, row in rows:
        if row.closes_at is not None:
            found.append(Deadline(f"{kind}:{row.id}:deadline", as_utc(row.closes_at)))
        frozen = policies.policy_from_dict(row.policy)
        if frozen.close_early:
            found.append(
                Deadline(f"{kind}:{row.id}:earliest", as_utc(row.opened_at + frozen.min_duration))
            )
    for vote, _, at, _ in _reminder_candidates(uow):
        found.append(Deadline(f"vote:{vote.id}:reminder", at))
    return found
