"""``tick(now)``: close everything that is due, so deadlines hold however late it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from governance import policy as policies
from governance.clock import as_utc
from governance.model import Election, Vote, VoteState
from governance.services import common
from governance.services.elections import close_election, due_elections
from governance.services.rfcs import close_vote, due_votes
from governance.store import UnitOfWork


@dataclass
class TickReport:
    """What a tick closed, by name, with outcomes."""

    closed_votes: list[dict[str, str | None]] = field(default_factory=list)
    closed_elections: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the tick changed anything."""
        return bool(self.closed_votes or self.closed_elections)


def tick(uow: UnitOfWork, now: datetime) -> TickReport:
    """Close due votes and elections at their own closing moments; commit once if any."""
    report = TickReport()
    votes = due_votes(uow, now)
    elections = due_elections(uow, now)
    if not votes and not elections:
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
    uow.commit()
    return report


@dataclass(frozen=True)
class Deadline:
    """A moment at which a tick may close something: a deadline, or the end of min_duration."""

    key: str  # stable, e.g. "vote:12:deadline"
    at: datetime


def deadlines(uow: UnitOfWork) -> list[Deadline]:
    """Every moment an open vote or election may close, from the record (the source of truth).

    A scheduler turns these into exact jobs at startup and after changes; a paused vote has none
    until it resumes. Early closes settled by a ballot happen with that ballot; the end of
    ``min_duration`` is listed for those settled before it.
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
    return found
