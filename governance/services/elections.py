"""Elections: ranked ballots for a number of seats, counted with the Schulze method."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from governance import authority, ledger, rules, secrecy
from governance import policy as policies
from governance.authority import Action
from governance.clock import as_utc, iso
from governance.errors import Conflict, InvalidInput, VoteClosed
from governance.model import Election, Group, Person, RankedBallot, VoteState
from governance.services import common
from governance.sheets import ranking_sheets
from governance.store import UnitOfWork

ELECTED = "elected"
TIE = "tie"
LIVE = (VoteState.OPEN, VoteState.PAUSED)


@dataclass(frozen=True)
class OpenElection:
    """A chair opens an election for ``seats`` among ``candidates`` (handles)."""

    group: str
    seats: int
    candidates: tuple[str, ...]
    title: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class RankCandidates:
    """A ranked ballot: tiers best first, written ``a,b=c,d`` (``=`` ties)."""

    election: str
    ranking: str


@dataclass(frozen=True)
class CancelElection:
    """A chair cancels an election with a reason."""

    election: str
    reason: str


@dataclass(frozen=True)
class ElectionStatus:
    """An election as front ends report it.

    A secret election that has not closed is ``sealed``: ``ranking``, ``tiers`` and
    ``pairwise`` are empty, so nothing shows how the rankings lean before the close. ``receipt``
    is set only in the answer to the person who just ranked.
    """

    election: str
    group: str
    title: str
    seats: int
    candidates: list[str]
    state: str
    outcome: str | None
    policy_name: str
    electorate: int
    ballots: int
    non_binding: int
    quorum_needed: int
    quorum_met: bool
    opened_at: str | None
    closes_at: str | None
    closed_at: str | None
    ranking: list[str]
    tiers: list[list[str]]
    winners: list[str]
    tied: list[str]
    pairwise: dict[str, dict[str, int]]
    reason: str | None
    secret: bool = False
    sealed: bool = False
    voted: list[str] | None = None
    receipt: str | None = None
    # Past its deadline (or settled early) but not yet closed by a tick: reads never close it.
    due: bool = False
    due_outcome: str | None = None  # what it will close as; never for a secret election

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form (the console's ``--json``)."""
        return dict(self.__dict__)


def parse_ranking(text: str, candidates: list[str]) -> list[list[str]]:
    """``a,b=c,d`` -> [[a], [b, c], [d]]; every name must be a candidate, once."""
    tiers: list[list[str]] = []
    seen: set[str] = set()
    for part in text.split(","):
        tier = [name.strip() for name in part.split("=")]
        if any(not name for name in tier):
            raise InvalidInput(
                f"The ranking '{text[:80]}' has an empty place; write handles separated by "
                "commas, with = between tied ones, like 'ada,bo=cy,di'."
            )
        for name in tier:
            if name not in candidates:
                raise InvalidInput(
                    f"'{name[:40]}' is not a candidate; the candidates are {', '.join(candidates)}."
                )
            if name in seen:
                raise InvalidInput(
                    f"'{name}' appears twice in the ranking; name each candidate once."
                )
            seen.add(name)
        tiers.append(sorted(tier))
    return tiers


def open_election(
    uow: UnitOfWork, actor: str, now: datetime, command: OpenElection
) -> ElectionStatus:
    """A chair opens an election; the electorate and policy are frozen now."""
    uow.check_time(now)
    group_ = common.group(uow, command.group)
    who = authority.require(uow, Action.OPEN_ELECTION, actor, group=group_)
    candidates = [common.check_handle(c) for c in command.candidates]
    if not candidates:
        raise InvalidInput("An election needs candidates; give their handles, like ada,bo,cy.")
    if len(set(candidates)) != len(candidates):
        raise InvalidInput("A candidate is listed twice; name each candidate once.")
    for handle in candidates:
        common.person(uow, handle)
    if not 1 <= command.seats <= len(candidates):
        raise InvalidInput(
            f"{command.seats} seats for {len(candidates)} candidates cannot work; "
            f"choose between 1 and {len(candidates)} seats."
        )
    title = common.clean_text(
        command.title or f"{group_.name} election", "title", limit=common.TITLE_MAX, multiline=False
    )
    settings = common.foundation(uow)
    known = {**(settings.policies if settings else {}), **(group_.charter.get("policies") or {})}
    name = command.policy or ("election" if "election" in known else "default")
    try:
        frozen = policies.resolve(
            name, settings.policies if settings else {}, group_.charter.get("policies") or {}
        )
    except (policies.UnknownPolicy, policies.InvalidPolicy) as unknown:
        raise InvalidInput(str(unknown)) from unknown
    electors = common.electorate(uow, group_, frozen.voters)
    if not electors:
        raise Conflict(f"{group_.slug} has nobody with a vote; add members before an election.")
    assert group_.id is not None and who.id is not None
    election = Election(
        number=common.next_number(uow, Election.number),
        group_id=group_.id,
        title=title,
        seats=command.seats,
        candidates=candidates,
        policy_name=name,
        policy=policies.policy_to_dict(frozen),
        electorate=electors,
        opened_at=now,
        opened_by_id=who.id,
        closes_at=now + frozen.duration,
    )
    uow.session.add(election)
    uow.session.flush()
    label = common.election_label(election.number)
    uow.record(
        now,
        actor,
        "election.opened",
        label,
        {
            "group": group_.slug,
            "title": title,
            "seats": command.seats,
            "candidates": candidates,
            "policy_name": name,
            "policy": election.policy,
            "electorate": electors,
            "closes_at": iso(election.closes_at),
            "election_id": election.id,
            "closes_at_exact": ledger.exact(election.closes_at),
        },
    )
    view = election_view(uow, election)  # inside the transaction: no second write lock
    uow.commit()
    return view


def _rankings(uow: UnitOfWork, election: Election) -> list[tuple[RankedBallot, str]]:
    rows = uow.session.exec(
        select(RankedBallot, Person.handle)
        .join(Person, col(Person.id) == col(RankedBallot.person_id))
        .where(RankedBallot.election_id == election.id)
        .order_by(col(RankedBallot.id))
    ).all()
    return [(b, h) for b, h in rows]


def _due(election: Election, now: datetime) -> bool:
    return election.state == VoteState.OPEN and common.after(now, election.closes_at)


def _closing_moment(uow: UnitOfWork, election: Election, now: datetime) -> datetime | None:
    """When an open election fell due, if it has by ``now``; None while it stays open.

    With ``close_early`` that is the first moment after ``min_duration`` at which every elector
    had ranked, even when nobody looked until after the deadline; otherwise the deadline.
    """
    if election.state != VoteState.OPEN:
        return None
    frozen = policies.policy_from_dict(election.policy)
    earliest = as_utc(election.opened_at + frozen.min_duration)
    if frozen.close_early and now >= earliest:
        cast = {h: as_utc(b.cast_at) for b, h in _rankings(uow, election) if b.binding}
        if cast and set(election.electorate) <= set(cast):
            moment = max(earliest, *cast.values())
            if election.closes_at is None or moment <= as_utc(election.closes_at):
                return moment
    return election.closes_at if _due(election, now) else None


def rank(uow: UnitOfWork, actor: str, now: datetime, command: RankCandidates) -> ElectionStatus:
    """Cast or change a ranked ballot; outside the electorate it is recorded as non-binding."""
    uow.check_time(now)
    election = common.election(uow, command.election)
    label = common.election_label(election.number)
    who = authority.require(uow, Action.RANK, actor)
    moment = _closing_moment(uow, election, now)
    if moment is not None:
        close_election(uow, election, now, at=moment)
        uow.commit()
    if election.state not in LIVE:
        raise VoteClosed(f"{label} is {election.state}; rankings are no longer accepted.")
    tiers = parse_ranking(command.ranking, election.candidates)
    binding = authority.allows(
        Action.BINDING_BALLOT, authority.standings(uow, who, electorate=election.electorate)
    )
    assert election.id is not None and who.id is not None
    ballot = uow.session.exec(
        select(RankedBallot).where(
            RankedBallot.election_id == election.id, RankedBallot.person_id == who.id
        )
    ).first()
    previous = None if ballot is None else ballot.ranking
    if ballot is None:
        ballot = RankedBallot(
            election_id=election.id, person_id=who.id, binding=binding, ranking=tiers
        )
    frozen = policies.policy_from_dict(election.policy)
    receipt = nonce = None
    if frozen.secret:  # a new receipt and nonce per ranking
        receipt, nonce = secrecy.new_receipt(), secrecy.new_nonce()
    ballot.ranking, ballot.cast_at, ballot.receipt, ballot.nonce = tiers, now, receipt, nonce
    uow.session.add(ballot)
    uow.session.flush()
    payload: dict[str, Any] = {
        "election_id": election.id,
        "ranking": tiers,
        "binding": binding,
        "changed_from": previous,
    }
    if nonce is not None:  # the ledger is public: a commitment to the ranking, never the ranking
        payload = {
            "election_id": election.id,
            "binding": binding,
            "commitment": secrecy.commitment(election.id, ledger.canonical(tiers), nonce),
            "changed": previous is not None,
        }
    uow.record(now, actor, "election.ranked", label, payload)
    voted = {h for b, h in _rankings(uow, election) if b.binding}
    if (
        frozen.close_early
        and set(election.electorate) <= voted
        and now >= election.opened_at + frozen.min_duration
    ):
        close_election(uow, election, now, at=now)
    view = replace(election_view(uow, election), receipt=receipt)  # no second write lock
    uow.commit()
    return view


def cancel_election(
    uow: UnitOfWork, actor: str, now: datetime, command: CancelElection
) -> ElectionStatus:
    """A chair cancels an open election, with a reason on the record."""
    uow.check_time(now)
    reason = common.clean_text(command.reason, "reason", limit=common.TEXT_MAX, multiline=True)
    election = common.election(uow, command.election)
    group_ = uow.session.get(Group, election.group_id)
    assert group_ is not None
    authority.require(uow, Action.CANCEL_ELECTION, actor, group=group_)
    if election.state not in LIVE:
        raise Conflict(f"{common.election_label(election.number)} is {election.state} already.")
    election.state = VoteState.CANCELLED
    election.outcome = "cancelled"
    election.reason = reason
    election.closed_at = now
    election.closes_at = None
    uow.session.add(election)
    uow.record(
        now, actor, "election.cancelled", common.election_label(election.number), {"reason": reason}
    )
    view = election_view(uow, election)  # inside the transaction: no second write lock
    uow.commit()
    return view


def _count(
    election: Election, rows: list[tuple[RankedBallot, str]]
) -> tuple[rules.SchulzeResult, rules.Tally]:
    frozen = policies.policy_from_dict(election.policy)
    binding = [b.ranking for b, _ in rows if b.binding]
    result = rules.schulze(election.candidates, binding, election.seats)
    # Quorum is counted like a vote's: every binding ranking is participation.
    ranked = sum(1 for b, _ in rows if b.binding)
    tally = rules.count(frozen, len(election.electorate), 0, 0, ranked, len(rows) - ranked)
    return result, tally


def close_election(
    uow: UnitOfWork, election: Election, now: datetime, *, at: datetime | None
) -> None:
    """Count the binding rankings and record winners, a tie for the chair, or no quorum."""
    result, tally = _count(election, _rankings(uow, election))
    outcome = _outcome(result, tally)
    election.state = VoteState.CLOSED
    election.outcome = outcome
    election.closed_at = at or now
    election.result = {
        "ranking": [list(t) for t in result.ranking],
        "winners": list(result.winners) if outcome != rules.Outcome.NO_QUORUM else [],
        "tied": list(result.tied) if outcome != rules.Outcome.NO_QUORUM else [],
        "ballots": tally.participation,
        "non_binding": tally.non_binding,
        "quorum_needed": tally.quorum_needed,
        "quorum_met": tally.quorum_met,
    }
    uow.session.add(election)
    uow.record(
        now,
        common.SYSTEM,
        "election.closed",
        common.election_label(election.number),
        {
            "outcome": outcome,
            "closed_at": iso(election.closed_at),
            **election.result,
            "result": election.result,
            "closed_at_exact": ledger.exact(election.closed_at),
        },
    )


def _outcome(result: rules.SchulzeResult, tally: rules.Tally) -> str:
    """What an election closes as, from its count."""
    if not tally.quorum_met:
        return rules.Outcome.NO_QUORUM.value
    return TIE if result.tied else ELECTED


def election_view(
    uow: UnitOfWork, election: Election, now: datetime | None = None
) -> ElectionStatus:
    """Status with the current (or final) Schulze ranking and the pairwise table.

    With ``now``, an election due at ``now`` but not yet closed by a tick is shown as due.
    """
    group_ = uow.session.get(Group, election.group_id)
    assert group_ is not None
    rows = _rankings(uow, election)
    result, tally = _count(election, rows)
    closed = election.state == VoteState.CLOSED and election.result is not None
    final = election.result or {}
    due = now is not None and _closing_moment(uow, election, now) is not None
    secret = policies.policy_from_dict(election.policy).secret
    sealed = secret and election.state != VoteState.CLOSED
    pairwise = {
        a: {b: result.pairwise[(a, b)] for b in election.candidates if b != a}
        for a in election.candidates
    }
    if sealed:  # no running count of a secret election
        pairwise = {}
    return ElectionStatus(
        election=common.election_label(election.number),
        group=group_.slug,
        title=election.title,
        seats=election.seats,
        candidates=list(election.candidates),
        state=election.state,
        outcome=election.outcome,
        policy_name=election.policy_name,
        electorate=len(election.electorate),
        ballots=tally.participation,
        non_binding=tally.non_binding,
        quorum_needed=tally.quorum_needed,
        quorum_met=tally.quorum_met,
        opened_at=iso(election.opened_at),
        closes_at=iso(election.closes_at),
        closed_at=iso(election.closed_at),
        ranking=[] if sealed else [h for tier in result.ranking for h in tier],
        tiers=[] if sealed else [list(t) for t in result.ranking],
        winners=list(final.get("winners", [])) if closed else [],
        tied=list(final.get("tied", [])) if closed else [],
        pairwise=pairwise,
        reason=election.reason,
        secret=secret,
        sealed=sealed,
        voted=sorted(h for b, h in rows if b.binding),
        due=due,
        due_outcome=_outcome(result, tally) if due and not secret else None,
    )


def election_status(uow: UnitOfWork, ref: str, now: datetime | None = None) -> ElectionStatus:
    """The election's status by its number; with ``now``, whether it is due."""
    return election_view(uow, common.election(uow, ref), now)


@dataclass(frozen=True)
class CheckElectionReceipt:
    """Ask what a ranking receipt counted as."""

    election: str
    receipt: str


@dataclass(frozen=True)
class RankingStanding:
    """The answer to a ranking receipt.

    ``standing`` is ``counted``, ``non-binding``, ``recorded`` (still open), ``sealed``
    (cancelled) or ``unknown`` (never given, or replaced by a later ranking, whose receipt is
    the one that counts).
    """

    election: str
    receipt: str
    election_state: str
    standing: str
    ranking: list[list[str]] | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return dict(self.__dict__)


def check_receipt(uow: UnitOfWork, command: CheckElectionReceipt) -> RankingStanding:
    """Find a ranking receipt; the ranking only once the election has closed."""
    election = common.election(uow, command.election)
    label = common.election_label(election.number)
    receipt = command.receipt.strip().lower()
    if not secrecy.RECEIPT_FORM.match(receipt):
        raise InvalidInput(
            f"'{command.receipt[:80]}' is not a receipt; a receipt is the 20 hexadecimal digits "
            "govbot gave when the ranking was cast, like 3f9c0a1be2d47c8e5a61."
        )
    assert election.id is not None
    known = uow.session.exec(
        select(RankedBallot.id).where(
            RankedBallot.election_id == election.id, RankedBallot.receipt == receipt
        )
    ).first()
    state = str(election.state)
    if known is None:
        return RankingStanding(
            label,
            receipt,
            state,
            secrecy.UNKNOWN,
            None,
            f"No current ranking in {label} has the receipt {receipt}: check that it is copied "
            "whole and is for this election; a ranking cast again has a new receipt.",
        )
    if election.state in LIVE:
        return RankingStanding(
            label,
            receipt,
            state,
            "recorded",
            None,
            f"The receipt {receipt} is recorded in {label}, which is still open; its ranking "
            "is published on the tally sheet when the election closes.",
        )
    if election.state != VoteState.CLOSED:
        return RankingStanding(
            label,
            receipt,
            state,
            "sealed",
            None,
            f"The receipt {receipt} was given in {label}, which was cancelled; the rankings of "
            "a cancelled secret election are never published.",
        )
    kind, ranking = ranking_sheets(uow.session, [election.id])[election.id].standing(receipt)
    shown = " > ".join(" = ".join(tier) for tier in ranking or [])
    where = "counted" if kind == secrecy.COUNTED else "is shown apart as non-binding, not counted,"
    return RankingStanding(
        label,
        receipt,
        state,
        kind,
        ranking,
        f"The receipt {receipt} {where} in {label} with the ranking {shown}; it is on the "
        "tally sheet of the election's page.",
    )


def due_elections(uow: UnitOfWork, now: datetime) -> list[tuple[Election, datetime]]:
    """Open elections to close now: past the deadline, or all electors ranked after min_duration."""
    due: list[tuple[Election, datetime]] = []
    for election in uow.session.exec(select(Election).where(Election.state == VoteState.OPEN)):
        moment = _closing_moment(uow, election, now)
        if moment is not None:
            due.append((election, moment))
    return due
