"""A vote's status from its stored facts: pure, so the console can build it without the ORM.

The services build it from table rows; the console's fast read path (``governance.fastread``)
builds it from plain ``sqlite3`` rows. Both give the same answer because both come through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from governance import policy as policies
from governance import rules
from governance.clock import iso
from governance.refs import rfc_label

CLOSED = "closed"
OPEN = "open"
LISTS = ("voted", "not_voted", "non_binding_voters", "ballots", "non_binding_ballots")
STORED_COUNTS = (
    "yes",
    "no",
    "abstain",
    "non_binding",
    "participation",
    "quorum_needed",
    "quorum_met",
)


@dataclass(frozen=True)
class BallotView:
    """One ballot as published, name and choice together: never for a secret vote."""

    handle: str
    choice: str
    cast_at: str | None


@dataclass(frozen=True)
class VoteStatus:
    """The state of a vote, as every front end reports it.

    A secret vote that has not closed (open, paused or cancelled) is ``sealed``: ``yes``, ``no``
    and ``abstain`` are None and no list pairs a name with a choice, so no surface built from a
    status can show a running total. What stays is turnout: ``participation``, ``non_binding``
    and who voted. At the close the counts are published; names are never paired with choices.
    """

    rfc: str
    state: str
    outcome: str | None
    policy_name: str
    policy: str
    secret: bool
    sealed: bool
    yes: int | None
    no: int | None
    abstain: int | None
    non_binding: int
    electorate: int
    participation: int
    quorum_needed: int
    quorum_met: bool
    opened_at: str | None
    closes_at: str | None
    closed_at: str | None
    reason: str | None
    electors: list[str]
    # The lists below are None in a summary (the answer to a ballot), which carries counts only;
    # ``ballots`` and ``non_binding_ballots`` are None for a secret vote, whatever its state.
    voted: list[str] | None = None
    not_voted: list[str] | None = None
    non_binding_voters: list[str] | None = None
    ballots: list[BallotView] | None = None
    non_binding_ballots: list[BallotView] | None = None
    # Past its deadline (or settled early) but not yet closed by a tick: reads never close it.
    due: bool = False
    due_outcome: str | None = None  # what it will close as; never for a secret vote

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form (the console's ``--json``); lists that are None are left out."""
        data = {k: v for k, v in self.__dict__.items() if v is not None or k not in LISTS}
        for key in ("ballots", "non_binding_ballots"):
            if key in data:
                data[key] = [b.__dict__ for b in data[key]]
        return data


@dataclass(frozen=True)
class VoteFacts:
    """What is stored about a vote, whichever way it was read."""

    rfc_number: int
    state: str
    outcome: str | None
    policy_name: str
    policy: dict[str, Any]
    electorate: list[str]
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None


def facts_of(rfc_number: int, vote: Any) -> VoteFacts:
    """The facts of a stored vote (a ``Vote`` row, or anything with its columns)."""
    return VoteFacts(
        rfc_number,
        vote.state,
        vote.outcome,
        vote.policy_name,
        vote.policy,
        list(vote.electorate),
        vote.opened_at,
        vote.closes_at,
        vote.closed_at,
        vote.reason,
        vote.result,
    )


def stored_result(tally: rules.Tally) -> dict[str, Any]:
    """What a closed vote keeps as its result: the counts as they stood at closing."""
    return {
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "non_binding": tally.non_binding,
        "electorate": tally.electorate,
        "participation": tally.participation,
        "quorum_needed": tally.quorum_needed,
        "quorum_met": tally.quorum_met,
    }


@dataclass(frozen=True)
class BallotFacts:
    """One stored ballot, in cast order."""

    handle: str
    choice: str
    binding: bool
    cast_at: datetime


def choices(ballots: Sequence[BallotFacts]) -> dict[str, rules.Choice]:
    """Every ballot by handle; the rules count only the frozen electorate's."""
    return {b.handle: rules.Choice(b.choice) for b in ballots}


def is_due(facts: VoteFacts, ballots: Sequence[BallotFacts], now: datetime) -> bool:
    """Whether a tick at ``now`` would close this vote (deadline passed or decided early)."""
    if facts.state != OPEN:
        return False
    if facts.closes_at is not None and facts.closes_at <= now:
        return True
    frozen = policies.policy_from_dict(facts.policy)
    return rules.may_close_early(frozen, facts.electorate, choices(ballots), facts.opened_at, now)


def _counted(facts: VoteFacts, tally: rules.Tally) -> rules.Tally:
    """Once closed, the counts recorded at closing stand (electors may have left since)."""
    if facts.state == CLOSED and facts.result:
        stored = {k: facts.result[k] for k in STORED_COUNTS if k in facts.result}
        return rules.Tally(**{**tally.__dict__, **stored})
    return tally


def is_sealed(facts: VoteFacts) -> bool:
    """Whether the vote's counts are withheld: a secret vote that has not closed.

    A cancelled secret vote stays sealed: it decided nothing, and publishing its count would let
    a chair learn a running total by cancelling.
    """
    return bool(facts.policy.get("secret")) and facts.state != CLOSED


def summary(facts: VoteFacts, tally: rules.Tally) -> VoteStatus:
    """The status from counts alone, without the ballot lists; sealed while a secret vote runs."""
    frozen = policies.policy_from_dict(facts.policy)
    tally = _counted(facts, tally)
    sealed = is_sealed(facts)
    return VoteStatus(
        rfc=rfc_label(facts.rfc_number),
        state=facts.state,
        outcome=facts.outcome,
        policy_name=facts.policy_name,
        policy=policies.describe(frozen),
        secret=frozen.secret,
        sealed=sealed,
        yes=None if sealed else tally.yes,
        no=None if sealed else tally.no,
        abstain=None if sealed else tally.abstain,
        non_binding=tally.non_binding,
        electorate=tally.electorate,
        participation=tally.participation,
        quorum_needed=tally.quorum_needed,
        quorum_met=tally.quorum_met,
        opened_at=iso(facts.opened_at),
        closes_at=iso(facts.closes_at),
        closed_at=iso(facts.closed_at),
        reason=facts.reason,
        electors=list(facts.electorate),
    )


def build(
    facts: VoteFacts, ballots: Sequence[BallotFacts], now: datetime | None = None
) -> VoteStatus:
    """The full status: counts, who voted and, unless the vote is secret, every ballot.

    With ``now``, a vote due at ``now`` is shown as due, with the outcome it will close with
    (not for a secret vote: its outcome is told only when it closes).
    """
    frozen = policies.policy_from_dict(facts.policy)
    cast = choices(ballots)
    tally = rules.tally(frozen, facts.electorate, cast)
    counts = summary(facts, tally)
    due = now is not None and is_due(facts, ballots, now)

    def shown(binding: bool) -> list[BallotView] | None:
        if frozen.secret:  # a name is never shown next to a secret choice, even after the close
            return None
        chosen = [b for b in ballots if b.binding == binding]
        return [BallotView(b.handle, b.choice, iso(b.cast_at)) for b in chosen]

    return replace(
        counts,
        voted=[h for h in facts.electorate if h in cast],
        not_voted=[h for h in facts.electorate if h not in cast],
        non_binding_voters=sorted(b.handle for b in ballots if not b.binding),
        ballots=shown(True),
        non_binding_ballots=shown(False),
        due=due,
        due_outcome=str(tally.outcome) if due and not frozen.secret else None,
    )
