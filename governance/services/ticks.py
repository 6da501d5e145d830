"""``tick(now)``: close everything that is due, so deadlines hold however late it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
