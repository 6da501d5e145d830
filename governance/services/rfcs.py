"""RFCs, concerns and votes: propose, withdraw, concern, resolve, open, cast, cancel, close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from governance import authority, ledger, rules, secrecy, status
from governance import policy as policies
from governance.authority import Action
from governance.clock import as_utc, iso
from governance.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    VoteClosed,
)
from governance.model import (
    Ballot,
    BallotChange,
    Concern,
    ConcernState,
    Group,
    Person,
    Rfc,
    RfcStatus,
    Vote,
    VoteState,
)
from governance.services import common
from governance.sheets import vote_sheets
from governance.status import BallotFacts, VoteFacts, VoteStatus
from governance.store import UnitOfWork

CHOICES = tuple(c.value for c in rules.Choice)
LIVE = (VoteState.OPEN, VoteState.PAUSED)


# --- RFCs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeRfc:
    """A new proposal for a group."""

    group: str
    title: str
    body: str


@dataclass(frozen=True)
class WithdrawRfc:
    """The author takes back an RFC still in discussion."""

    rfc: str


@dataclass(frozen=True)
class ReproposeRfc:
    """The author brings a rejected RFC back to discussion, changed."""

    rfc: str
    title: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class RfcRef:
    """An answer naming an RFC."""

    rfc: str
    number: int
    status: str


def propose_rfc(uow: UnitOfWork, actor: str, now: datetime, command: ProposeRfc) -> RfcRef:
    """Members and chairs of a group (and admins) propose; numbers are foundation-wide."""
    uow.check_time(now)
    rfc = _new_rfc(uow, actor, now, command.group, command.title, command.body, author=None)
    label = common.rfc_label(rfc.number)
    uow.record(
        now,
        actor,
        "rfc.proposed",
        label,
        {"group": command.group, "title": rfc.title, "author": actor, "body": rfc.body},
    )
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


def _new_rfc(
    uow: UnitOfWork,
    actor: str,
    now: datetime,
    group: str,
    title: str,
    body: str,
    *,
    author: str | None,
    github: tuple[str, int] | None = None,
) -> Rfc:
    """A new RFC in discussion, numbered next, if ``actor`` may propose in the group.

    ``author`` (someone else, for an imported issue) defaults to the actor.
    """
    title = common.clean_text(title, "title", limit=common.TITLE_MAX, multiline=False)
    body = common.clean_text(body, "body", limit=common.BODY_MAX, multiline=True)
    group_ = common.group(uow, group)
    proposer = authority.require(uow, Action.PROPOSE_RFC, actor, group=group_)
    owner = proposer if author is None or author == actor else common.person(uow, author)
    assert group_.id is not None and owner.id is not None
    rfc = Rfc(
        number=common.next_number(uow, Rfc.number),
        group_id=group_.id,
        title=title,
        body=body,
        author_id=owner.id,
        status=RfcStatus.DISCUSSION,
        created_at=now,
        updated_at=now,
        github_repo=None if github is None else github[0],
        github_issue=None if github is None else github[1],
    )
    uow.session.add(rfc)
    return rfc


@dataclass(frozen=True)
class ImportIssue:
    """An issue becomes an RFC of a group; ``author`` is the issue's author when registered."""

    group: str
    title: str
    body: str
    repo: str
    issue: int
    author: str | None = None


@dataclass(frozen=True)
class LinkIssue:
    """Record the issue that now carries an RFC proposed elsewhere."""

    rfc: str
    repo: str
    issue: int


def rfc_of_issue(uow: UnitOfWork, repo: str, issue: int) -> Rfc | None:
    """The RFC an issue carries, if any (repository names compare case-insensitively)."""
    return uow.session.exec(
        select(Rfc).where(
            func.lower(col(Rfc.github_repo)) == repo.lower(), Rfc.github_issue == issue
        )
    ).first()


def import_issue(uow: UnitOfWork, actor: str, now: datetime, command: ImportIssue) -> RfcRef:
    """Whoever may propose in the group imports an issue as its RFC, once per issue.

    The issue's author is the RFC's author when they are a registered person; otherwise the
    person importing it is. An empty issue body becomes a pointer to the issue.
    """
    uow.check_time(now)
    existing = rfc_of_issue(uow, command.repo, command.issue)
    if existing is not None:
        raise Conflict(
            f"{command.repo}#{command.issue} is already {common.rfc_label(existing.number)}."
        )
    body = command.body.strip() or (
        f"The proposal is discussed on the GitHub issue {command.repo}#{command.issue}."
    )
    rfc = _new_rfc(
        uow,
        actor,
        now,
        command.group,
        command.title,
        body,
        author=command.author,
        github=(command.repo, command.issue),
    )
    label = common.rfc_label(rfc.number)
    author = common.person_by_id(uow, rfc.author_id)
    uow.record(
        now,
        actor,
        "rfc.proposed",
        label,
        {
            "group": command.group,
            "title": rfc.title,
            "author": author.handle,
            "github": f"{command.repo}#{command.issue}",
            "body": rfc.body,
        },
    )
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


def link_issue(uow: UnitOfWork, actor: str, now: datetime, command: LinkIssue) -> RfcRef:
    """Link an RFC to the issue govbot opened for it; linking the same issue again is a no-op."""
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    here = (rfc.github_repo, rfc.github_issue)
    if here == (command.repo, command.issue):
        uow.commit()
        return RfcRef(label, rfc.number, rfc.status)
    if rfc.github_issue is not None:
        raise Conflict(f"{label} is already linked to {rfc.github_repo}#{rfc.github_issue}.")
    other = rfc_of_issue(uow, command.repo, command.issue)
    if other is not None:
        raise Conflict(
            f"{command.repo}#{command.issue} already carries {common.rfc_label(other.number)}."
        )
    rfc.github_repo, rfc.github_issue = command.repo, command.issue
    uow.session.add(rfc)
    uow.record(now, actor, "rfc.linked", label, {"github": f"{command.repo}#{command.issue}"})
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


@dataclass(frozen=True)
class LinkThread:
    """Record the Discord thread where an RFC is discussed."""

    rfc: str
    thread_id: str


def rfc_of_thread(uow: UnitOfWork, thread_id: str) -> Rfc | None:
    """The RFC a Discord thread carries, if any (a message in a thread finds its RFC)."""
    return uow.session.exec(select(Rfc).where(Rfc.discord_thread_id == thread_id)).first()


def link_thread(uow: UnitOfWork, actor: str, now: datetime, command: LinkThread) -> RfcRef:
    """Link an RFC to its Discord thread; the same thread again is a no-op, another replaces it.

    The author, a chair of the group, an admin or govbot itself may link it. A thread carries
    one RFC, so its messages can always be read as about that RFC.
    """
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    if not common.SNOWFLAKE.fullmatch(command.thread_id):
        raise InvalidInput(
            f"'{command.thread_id[:40]}' is not a Discord thread id; it is a number of 17 to 20 "
            "digits (Developer Mode, right-click the thread, Copy Thread ID)."
        )
    if actor != common.SYSTEM:
        group_ = uow.session.get(Group, rfc.group_id)
        authority.require(
            uow, Action.LINK_THREAD, actor, group=group_, author_id=rfc.author_id, subject=label
        )
    if rfc.discord_thread_id == command.thread_id:
        uow.commit()  # nothing changed: end the transaction all the same
        return RfcRef(label, rfc.number, rfc.status)
    other = rfc_of_thread(uow, command.thread_id)
    if other is not None:
        raise Conflict(
            f"Discord thread {command.thread_id} already carries "
            f"{common.rfc_label(other.number)}; open a new thread for {label}."
        )
    previous = rfc.discord_thread_id
    rfc.discord_thread_id = command.thread_id
    uow.session.add(rfc)
    uow.record(
        now, actor, "rfc.thread-linked", label, {"discord": command.thread_id, "previous": previous}
    )
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


def withdraw_rfc(uow: UnitOfWork, actor: str, now: datetime, command: WithdrawRfc) -> RfcRef:
    """The author (or an admin) withdraws an RFC that is in discussion."""
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    authority.require(uow, Action.WITHDRAW_RFC, actor, author_id=rfc.author_id, subject=label)
    if rfc.status != RfcStatus.DISCUSSION:
        hint = (
            " Ask a chair to cancel the vote first." if rfc.status in ("voting", "paused") else ""
        )
        raise Conflict(
            f"{label} is {rfc.status}; only an RFC in discussion can be withdrawn.{hint}"
        )
    rfc.status = RfcStatus.WITHDRAWN
    rfc.updated_at = now
    uow.session.add(rfc)
    uow.record(now, actor, "rfc.withdrawn", label, {})
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


def repropose_rfc(uow: UnitOfWork, actor: str, now: datetime, command: ReproposeRfc) -> RfcRef:
    """A rejected RFC returns to discussion with changes; the ledger keeps what it said before."""
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    authority.require(uow, Action.REPROPOSE_RFC, actor, author_id=rfc.author_id, subject=label)
    if rfc.status != RfcStatus.REJECTED:
        raise Conflict(f"{label} is {rfc.status}; only a rejected RFC can be re-proposed.")
    title = (
        rfc.title
        if command.title is None
        else common.clean_text(command.title, "title", limit=common.TITLE_MAX, multiline=False)
    )
    body = (
        rfc.body
        if command.body is None
        else common.clean_text(command.body, "body", limit=common.BODY_MAX, multiline=True)
    )
    if (title, body) == (rfc.title, rfc.body):
        raise InvalidInput(
            f"{label} was rejected as it stands; re-propose it with a changed title or body."
        )
    previous = {"title": rfc.title, "body": rfc.body}
    rfc.title, rfc.body = title, body
    rfc.status = RfcStatus.DISCUSSION
    rfc.updated_at = now
    uow.session.add(rfc)
    uow.record(
        now, actor, "rfc.reproposed", label, {"title": title, "body": body, "previous": previous}
    )
    uow.commit()
    return RfcRef(label, rfc.number, rfc.status)


@dataclass(frozen=True)
class ConcernView:
    """A concern as shown with its RFC."""

    concern_id: int
    author: str
    text: str
    state: str
    raised_at: str | None
    resolved_at: str | None
    resolved_by: str | None
    reason: str | None


@dataclass(frozen=True)
class RfcView:
    """An RFC with its concerns and current vote."""

    rfc: str
    number: int
    group: str
    title: str
    body: str
    author: str
    status: str
    created_at: str | None
    concerns: list[ConcernView]
    vote: VoteStatus | None

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("concerns", "vote")}
        data["concerns"] = [c.__dict__ for c in self.concerns]
        data["vote"] = None if self.vote is None else self.vote.to_json()
        return data


def _handles(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = uow.session.exec(select(Person.id, Person.handle).where(col(Person.id).in_(wanted)))
    return {pid: handle for pid, handle in rows if pid is not None}


def show_rfc(uow: UnitOfWork, ref: str, now: datetime) -> RfcView:
    """The RFC, its concerns and its latest vote."""
    rfc = common.rfc(uow, ref)
    group_ = uow.session.get(Group, rfc.group_id)
    assert group_ is not None
    concerns = _concerns(uow, rfc)
    ids: set[int | None] = {rfc.author_id}
    ids |= {c.author_id for c in concerns} | {c.resolved_by_id for c in concerns}
    names = _handles(uow, ids)
    vote = latest_vote(uow, rfc)
    return RfcView(
        common.rfc_label(rfc.number),
        rfc.number,
        group_.slug,
        rfc.title,
        rfc.body,
        names[rfc.author_id],
        rfc.status,
        iso(rfc.created_at),
        [
            ConcernView(
                c.id or 0,
                names[c.author_id],
                c.text,
                c.state,
                iso(c.raised_at),
                iso(c.resolved_at),
                names.get(c.resolved_by_id or 0),
                c.reason,
            )
            for c in concerns
        ],
        None if vote is None else vote_view(uow, rfc, vote, now),
    )


def list_rfcs(
    uow: UnitOfWork, group: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """RFCs by number, optionally of one group or in one status."""
    query = select(Rfc, Group.slug).join(Group, col(Group.id) == col(Rfc.group_id))
    if group is not None:
        query = query.where(Group.id == common.group(uow, group).id)
    if status is not None:
        if status not in tuple(s.value for s in RfcStatus):
            raise InvalidInput(
                f"'{status[:40]}' is not an RFC status; use one of "
                f"{', '.join(s.value for s in RfcStatus)}."
            )
        query = query.where(Rfc.status == status)
    rows = uow.session.exec(query.order_by(col(Rfc.number))).all()
    return [
        {"rfc": common.rfc_label(r.number), "group": slug, "title": r.title, "status": r.status}
        for r, slug in rows
    ]


# --- concerns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseConcern:
    """A blocking objection on an RFC."""

    rfc: str
    text: str


@dataclass(frozen=True)
class ResolveConcern:
    """Its author resolves a concern; a chair may override it with a reason."""

    rfc: str
    concern_id: int
    reason: str | None = None


@dataclass(frozen=True)
class ConcernResult:
    """What happened to the concern and to the vote it blocks."""

    rfc: str
    concern_id: int
    state: str
    vote_state: str | None
    closes_at: str | None


def _concerns(uow: UnitOfWork, rfc: Rfc, *, open_only: bool = False) -> list[Concern]:
    query = select(Concern).where(Concern.rfc_id == rfc.id)
    if open_only:
        query = query.where(Concern.state == ConcernState.OPEN)
    return list(uow.session.exec(query.order_by(col(Concern.id))))


def latest_vote(uow: UnitOfWork, rfc: Rfc) -> Vote | None:
    """The RFC's newest vote, whatever its state."""
    return uow.session.exec(
        select(Vote).where(Vote.rfc_id == rfc.id).order_by(col(Vote.id).desc())
    ).first()


def _live_vote(uow: UnitOfWork, rfc: Rfc) -> Vote | None:
    vote = latest_vote(uow, rfc)
    return vote if vote is not None and vote.state in LIVE else None


def raise_concern(
    uow: UnitOfWork, actor: str, now: datetime, command: RaiseConcern
) -> ConcernResult:
    """Electors raise blocking concerns; an open vote pauses, its clock stopped."""
    uow.check_time(now)
    text = common.clean_text(command.text, "concern", limit=common.TEXT_MAX, multiline=True)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    group_ = uow.session.get(Group, rfc.group_id)
    assert group_ is not None
    who = authority.registered(uow, Action.RAISE_CONCERN, actor)
    if rfc.status not in (RfcStatus.DISCUSSION, RfcStatus.VOTING, RfcStatus.PAUSED):
        raise Conflict(
            f"{label} is {rfc.status}; concerns can be raised only before it is decided."
        )
    vote = _live_vote(uow, rfc)
    if vote is not None and _close_if_due(uow, vote, rfc, now):
        raise VoteClosed(
            f"The vote on {label} closed at {iso(vote.closed_at)}; it is too late to block it."
        )
    authority.require(
        uow,
        Action.RAISE_CONCERN,
        actor,
        group=group_,
        electorate=() if vote is None else vote.electorate,
    )
    assert rfc.id is not None and who.id is not None
    concern = Concern(rfc_id=rfc.id, author_id=who.id, text=text, raised_at=now)
    uow.session.add(concern)
    uow.session.flush()
    assert concern.id is not None
    paused: dict[str, Any] | None = None
    if vote is not None and vote.state == VoteState.OPEN:
        _pause(vote, rfc, now)
        uow.session.add(vote)
        uow.session.add(rfc)
        paused = _vote_clock(vote)
    uow.record(
        now,
        actor,
        "concern.raised",
        label,
        {
            "concern_id": concern.id,
            "text": text,
            "vote_paused": vote is not None,
            "author": who.handle,
            "state": concern.state,
            "paused": paused,
        },
    )
    uow.commit()
    return ConcernResult(
        label,
        concern.id,
        concern.state,
        None if vote is None else vote.state,
        iso(vote.closes_at) if vote else None,
    )


def _vote_clock(vote: Vote) -> dict[str, Any]:
    """A vote's clock as a pause or a resume left it, for the ledger: the replay restores it."""
    return {
        "vote_id": vote.id,
        "state": vote.state,
        "closes_at": ledger.exact(vote.closes_at),
        "remaining_seconds": vote.remaining_seconds,
    }


def _pause(vote: Vote, rfc: Rfc, now: datetime) -> None:
    assert vote.closes_at is not None
    vote.remaining_seconds = max(0, int((vote.closes_at - now).total_seconds()))
    vote.closes_at = None
    vote.state = VoteState.PAUSED
    rfc.status = RfcStatus.PAUSED
    rfc.updated_at = now


def _resume(vote: Vote, rfc: Rfc, now: datetime) -> None:
    frozen = policies.policy_from_dict(vote.policy)
    left = timedelta(seconds=vote.remaining_seconds or 0)
    vote.closes_at = now + max(left, frozen.min_duration)
    vote.remaining_seconds = None
    vote.state = VoteState.OPEN
    rfc.status = RfcStatus.VOTING
    rfc.updated_at = now


def resolve_concern(
    uow: UnitOfWork, actor: str, now: datetime, command: ResolveConcern
) -> ConcernResult:
    """The author resolves; a chair overrides with a reason. The last one resumes a paused vote."""
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    group_ = uow.session.get(Group, rfc.group_id)
    assert group_ is not None
    concern = uow.session.get(Concern, command.concern_id)
    if concern is None or concern.rfc_id != rfc.id:
        raise NotFound(
            f"{label} has no concern {command.concern_id}; `rfc show {label}` lists its concerns."
        )
    if concern.state != ConcernState.OPEN:
        raise Conflict(f"Concern {concern.id} on {label} is already {concern.state}.")
    asked = Action.OVERRIDE_CONCERN if command.reason else Action.RESOLVE_CONCERN
    who = authority.registered(uow, asked, actor)
    if who.id == concern.author_id:
        concern.state = ConcernState.RESOLVED
        reason = (
            None
            if command.reason is None
            else common.clean_text(command.reason, "reason", limit=common.TEXT_MAX, multiline=True)
        )
    else:
        authority.require(
            uow, Action.OVERRIDE_CONCERN, actor, group=group_, subject=str(concern.id)
        )
        if not command.reason or not command.reason.strip():
            raise InvalidInput(
                f"Only its author resolves concern {concern.id} as it is (rule "
                f"{Action.RESOLVE_CONCERN}); overriding someone else's concern needs a reason on "
                "the record: give one saying why it no longer blocks."
            )
        reason = common.clean_text(command.reason, "reason", limit=common.TEXT_MAX, multiline=True)
        concern.state = ConcernState.OVERRIDDEN
    concern.resolved_at = now
    concern.resolved_by_id = who.id
    concern.reason = reason
    uow.session.add(concern)
    uow.session.flush()
    vote = _live_vote(uow, rfc)
    resumed: dict[str, Any] | None = None
    if (
        vote is not None
        and vote.state == VoteState.PAUSED
        and not _concerns(uow, rfc, open_only=True)
    ):
        _resume(vote, rfc, now)
        uow.session.add(vote)
        uow.session.add(rfc)
        resumed = _vote_clock(vote)
    uow.record(
        now,
        actor,
        f"concern.{concern.state}",
        label,
        {
            "concern_id": concern.id,
            "reason": reason,
            "resolved_by": who.handle,
            "resumed": resumed,
        },
    )
    uow.commit()
    return ConcernResult(
        label,
        concern.id or 0,
        concern.state,
        None if vote is None else vote.state,
        None if vote is None else iso(vote.closes_at),
    )


# --- votes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenVote:
    """A chair opens the vote on an RFC under a named policy."""

    rfc: str
    policy: str = "default"


@dataclass(frozen=True)
class CastBallot:
    """Cast or change a ballot."""

    rfc: str
    choice: str


@dataclass(frozen=True)
class CancelVote:
    """A chair cancels a vote, with a reason; the RFC returns to discussion."""

    rfc: str
    reason: str


@dataclass(frozen=True)
class BallotResult:
    """The answer to a cast: binding or not, changed or not, and the vote afterwards."""

    rfc: str
    handle: str
    choice: str
    binding: bool
    changed: bool
    receipt: str | None
    status: VoteStatus


def _closing_moment(uow: UnitOfWork, vote: Vote, now: datetime) -> datetime | None:
    """When an open vote fell due, if it has by ``now``; None while it stays open.

    With ``close_early`` that is the first moment after ``min_duration`` (and after the last
    ballot and the last resolved concern) at which the outcome was settled, even when nobody
    looked until later; otherwise its deadline.
    """
    if vote.state != VoteState.OPEN:
        return None
    frozen = policies.policy_from_dict(vote.policy)
    earliest = vote.opened_at + frozen.min_duration
    if frozen.close_early and now >= earliest and _settled(uow, vote, frozen):
        last_ballot = uow.session.exec(
            select(func.max(Ballot.cast_at)).where(Ballot.vote_id == vote.id)
        ).one()
        resumed = uow.session.exec(
            select(func.max(Concern.resolved_at)).where(Concern.rfc_id == vote.rfc_id)
        ).one()
        moment = max(as_utc(m) for m in (earliest, last_ballot, resumed) if m is not None)
        if vote.closes_at is None or moment <= vote.closes_at:
            return moment
    return vote.closes_at if common.after(now, vote.closes_at) else None


def _close_if_due(uow: UnitOfWork, vote: Vote, rfc: Rfc, now: datetime) -> bool:
    """Close a vote that fell due before ``now`` at its own moment; True if it did."""
    moment = _closing_moment(uow, vote, now)
    if moment is None:
        return False
    close_vote(uow, vote, rfc, now, at=moment)
    uow.commit()
    return True


def _ballots(uow: UnitOfWork, vote: Vote) -> list[BallotFacts]:
    """Every ballot of the vote in cast order, read as plain columns (votes may be large)."""
    rows = uow.session.exec(
        select(Person.handle, Ballot.choice, Ballot.binding, Ballot.cast_at)
        .join(Person, col(Person.id) == col(Ballot.person_id))
        .where(Ballot.vote_id == vote.id)
        .order_by(col(Ballot.cast_at), col(Ballot.id))
    ).all()
    return [BallotFacts(h, c, bool(b), as_utc(t)) for h, c, b, t in rows]


def _tally(uow: UnitOfWork, vote: Vote, frozen: rules.Policy) -> rules.Tally:
    """The tally counted by the database: a cast costs the same with 10 ballots or 10,000."""
    rows = uow.session.exec(
        select(Ballot.binding, Ballot.choice, func.count())
        .where(Ballot.vote_id == vote.id)
        .group_by(col(Ballot.binding), col(Ballot.choice))
    ).all()
    counts = {choice: 0 for choice in CHOICES}
    non_binding = 0
    for is_binding, choice, number in rows:
        if is_binding:
            counts[choice] += number
        else:
            non_binding += number
    return rules.count(
        frozen, len(vote.electorate), counts["yes"], counts["no"], counts["abstain"], non_binding
    )


def waiting_electors(uow: UnitOfWork, vote: Vote) -> list[Person]:
    """The electors of the vote's frozen electorate who have cast no ballot yet, by handle.

    Whom a reminder is for. Electors are frozen as handles when the vote opens; people are never
    deleted, so every one of them is found.
    """
    voted = set(
        uow.session.exec(
            select(Person.handle)
            .join(Ballot, col(Ballot.person_id) == col(Person.id))
            .where(Ballot.vote_id == vote.id)
        )
    )
    waiting = sorted(set(vote.electorate) - voted)
    found: list[Person] = []
    for start in range(0, len(waiting), 500):  # bounded IN lists on every backend
        chunk = waiting[start : start + 500]
        found += uow.session.exec(select(Person).where(col(Person.handle).in_(chunk))).all()
    return sorted(found, key=lambda p: p.handle)


def _settled(uow: UnitOfWork, vote: Vote, frozen: rules.Policy) -> bool:
    """Whether no elector who has not voted can change the outcome any more."""
    return len(rules.reachable(frozen, _tally(uow, vote, frozen))) == 1


def _facts(rfc: Rfc, vote: Vote) -> VoteFacts:
    return status.facts_of(rfc.number, vote)


def vote_view(uow: UnitOfWork, rfc: Rfc, vote: Vote, now: datetime) -> VoteStatus:
    """The status of a vote with every ballot, from its frozen policy and electorate.

    A vote due at ``now`` but not yet closed by a tick is shown as due.
    """
    return status.build(_facts(rfc, vote), _ballots(uow, vote), now)


def _summary(uow: UnitOfWork, rfc: Rfc, vote: Vote) -> VoteStatus:
    """The counts of a vote without its ballot lists: what an answer to a ballot needs."""
    frozen = policies.policy_from_dict(vote.policy)
    return status.summary(_facts(rfc, vote), _tally(uow, vote, frozen))


def vote_status(uow: UnitOfWork, ref: str, now: datetime) -> VoteStatus:
    """The RFC's latest vote, or a NotFound when none was ever opened."""
    rfc = common.rfc(uow, ref)
    vote = latest_vote(uow, rfc)
    if vote is None:
        raise NotFound(
            f"{common.rfc_label(rfc.number)} has no vote yet; a chair opens one with `vote open`."
        )
    return vote_view(uow, rfc, vote, now)


@dataclass(frozen=True)
class OwnBallot:
    """A voter's own current ballot, for their eyes: the choice and the receipt to check it by."""

    rfc: str
    handle: str
    choice: str | None
    binding: bool
    cast_at: str | None
    receipt: str | None

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return dict(self.__dict__)


def own_ballot(uow: UnitOfWork, ref: str, handle: str) -> OwnBallot:
    """``handle``'s current ballot in the RFC's latest vote (choice None when they cast none).

    A secret vote shows this to no one else; front ends answer it privately (an ephemeral
    Discord answer, the console as ``--as HANDLE``).
    """
    rfc = common.rfc(uow, ref)
    label = common.rfc_label(rfc.number)
    who = common.person(uow, handle)
    vote = latest_vote(uow, rfc)
    if vote is None:
        raise NotFound(f"{label} has no vote yet; a chair opens one with `vote open {label}`.")
    ballot = uow.session.exec(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.person_id == who.id)
    ).first()
    binding = who.handle in vote.electorate
    if ballot is None:
        return OwnBallot(label, who.handle, None, binding, None, None)
    return OwnBallot(
        label, who.handle, ballot.choice, ballot.binding, iso(ballot.cast_at), ballot.receipt
    )


@dataclass(frozen=True)
class CheckReceipt:
    """Ask what a secret ballot's receipt counted as."""

    rfc: str
    receipt: str


@dataclass(frozen=True)
class ReceiptStanding:
    """The answer to a receipt.

    ``standing`` is ``counted``, ``non-binding``, ``superseded``, ``recorded`` (the vote is
    still open: the choice waits for the close), ``sealed`` (the vote was cancelled: its
    choices are never published), ``unlisted`` (given before commitments: counted, never
    published) or ``unknown``.
    """

    rfc: str
    receipt: str
    vote_state: str | None
    standing: str
    choice: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return dict(self.__dict__)


def check_receipt(uow: UnitOfWork, command: CheckReceipt) -> ReceiptStanding:
    """Find a receipt among the RFC's votes; its choice only once its vote has closed.

    The console has no login beyond ``--as``, so before the close nobody is told a choice: the
    answer is only that the receipt is on the record.
    """
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    receipt = command.receipt.strip().lower()
    if not secrecy.RECEIPT_FORM.match(receipt):
        raise InvalidInput(
            f"'{command.receipt[:80]}' is not a receipt; a receipt is the 20 hexadecimal digits "
            "govbot gave when the ballot was cast, like 3f9c0a1be2d47c8e5a61."
        )
    found = uow.session.exec(
        select(Vote, Ballot.id)
        .join(Ballot, col(Ballot.vote_id) == col(Vote.id))
        .where(Vote.rfc_id == rfc.id, Ballot.receipt == receipt)
    ).first()
    vote = found[0] if found is not None else None
    if vote is None:
        vote = uow.session.exec(
            select(Vote)
            .join(BallotChange, col(BallotChange.vote_id) == col(Vote.id))
            .where(Vote.rfc_id == rfc.id, BallotChange.receipt == receipt)
        ).first()
    if vote is None or vote.id is None:
        return ReceiptStanding(
            label,
            receipt,
            None,
            secrecy.UNKNOWN,
            None,
            f"No ballot of a secret vote on {label} has the receipt {receipt}; check that it is "
            "copied whole and that it is for this RFC.",
        )
    if vote.state in LIVE:
        return ReceiptStanding(
            label,
            receipt,
            vote.state,
            "recorded",
            None,
            f"The receipt {receipt} is recorded in the vote on {label}, which is still "
            f"{vote.state}; its choice is published on the tally sheet when the vote closes.",
        )
    if vote.state != VoteState.CLOSED:
        return ReceiptStanding(
            label,
            receipt,
            vote.state,
            "sealed",
            None,
            f"The receipt {receipt} was given in the vote on {label}, which was cancelled; the "
            "choices of a cancelled secret vote are never published.",
        )
    kind, choice = vote_sheets(uow.session, [vote.id])[vote.id].standing(receipt)
    if kind == secrecy.UNKNOWN:
        kind = secrecy.UNLISTED
    closed = iso(vote.closed_at)
    messages = {
        secrecy.COUNTED: f"The receipt {receipt} counted as {choice} in the vote on {label}, "
        f"closed at {closed}; it is on the tally sheet of the RFC's page.",
        secrecy.NON_BINDING: f"The receipt {receipt} is a non-binding {choice} in the vote on "
        f"{label}, closed at {closed}: shown apart on the tally sheet, not counted.",
        secrecy.SUPERSEDED: f"The receipt {receipt} was superseded by a later ballot of the same "
        f"voter in the vote on {label}; that later ballot's receipt is the one counted.",
        # found among the ballots but not on the sheet: cast before commitments (see sheets)
        secrecy.UNLISTED: f"The receipt {receipt} was given in the vote on {label} before govbot "
        "kept receipts apart from names; the ledger shows it next to its voter's name, so its "
        "choice is never published. An elector's ballot is counted in the result.",
    }
    return ReceiptStanding(label, receipt, vote.state, kind, choice, messages[kind])


def open_vote(uow: UnitOfWork, actor: str, now: datetime, command: OpenVote) -> VoteStatus:
    """A chair opens a vote: the policy and the electorate are frozen now."""
    uow.check_time(now)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    group_ = uow.session.get(Group, rfc.group_id)
    assert group_ is not None and group_.id is not None and rfc.id is not None
    who = authority.require(uow, Action.OPEN_VOTE, actor, group=group_)
    if rfc.status in (RfcStatus.VOTING, RfcStatus.PAUSED):
        raise Conflict(f"{label} already has an open vote; see `vote status {label}`.")
    if rfc.status != RfcStatus.DISCUSSION:
        raise Conflict(f"{label} is {rfc.status}; only an RFC in discussion can be put to a vote.")
    settings = common.foundation(uow)
    try:
        frozen = policies.resolve(
            command.policy,
            settings.policies if settings is not None else {},
            group_.charter.get("policies", {}) or {},
        )
    except (policies.UnknownPolicy, policies.InvalidPolicy) as unknown:
        raise InvalidInput(str(unknown)) from unknown
    electors = common.electorate(uow, group_, frozen.voters)
    if not electors:
        raise Conflict(
            f"{group_.slug} has nobody with a vote ({frozen.voters}); add members before voting."
        )
    vote = Vote(
        rfc_id=rfc.id,
        group_id=group_.id,
        policy_name=command.policy,
        policy=policies.policy_to_dict(frozen),
        electorate=electors,
        opened_at=now,
        opened_by_id=who.id or 0,
    )
    if _concerns(uow, rfc, open_only=True):
        vote.state = VoteState.PAUSED
        vote.remaining_seconds = int(frozen.duration.total_seconds())
        rfc.status = RfcStatus.PAUSED
    else:
        vote.closes_at = now + frozen.duration
        rfc.status = RfcStatus.VOTING
    rfc.updated_at = now
    uow.session.add(vote)
    uow.session.add(rfc)
    uow.session.flush()
    uow.record(
        now,
        actor,
        "vote.opened",
        label,
        {
            "vote_id": vote.id,
            "policy_name": command.policy,
            "policy": vote.policy,
            "electorate": electors,
            "closes_at": iso(vote.closes_at),
            "paused": vote.state == VoteState.PAUSED,
            "clock": _vote_clock(vote),
        },
    )
    view = vote_view(uow, rfc, vote, now)
    uow.commit()
    return view


def cast_ballot(uow: UnitOfWork, actor: str, now: datetime, command: CastBallot) -> BallotResult:
    """Anyone registered may cast; only electors' ballots bind. A decisive one closes the vote."""
    uow.check_time(now)
    choice = command.choice.strip().lower()
    if choice not in CHOICES:
        raise InvalidInput(f"'{command.choice[:40]}' is not a choice; vote yes, no or abstain.")
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    who = authority.require(uow, Action.CAST_BALLOT, actor)
    vote = latest_vote(uow, rfc)
    if vote is None:
        raise NotFound(f"{label} has no vote open; a chair opens one with `vote open {label}`.")
    _close_if_due(uow, vote, rfc, now)
    if vote.state not in LIVE:
        raise VoteClosed(
            f"The vote on {label} is {vote.state} ({vote.outcome}) since {iso(vote.closed_at)}; "
            "ballots are no longer accepted."
        )
    assert vote.id is not None and who.id is not None
    binding = authority.allows(
        Action.BINDING_BALLOT, authority.standings(uow, who, electorate=vote.electorate)
    )
    frozen = policies.policy_from_dict(vote.policy)
    ballot = uow.session.exec(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.person_id == who.id)
    ).first()
    if ballot is not None and ballot.choice == choice:
        unchanged = BallotResult(
            label, who.handle, choice, binding, False, ballot.receipt, _summary(uow, rfc, vote)
        )
        uow.commit()  # nothing changed: end the transaction all the same
        return unchanged
    receipt = nonce = None
    if frozen.secret:  # a new receipt and nonce per cast: a changed ballot's old line is superseded
        receipt, nonce = secrecy.new_receipt(), secrecy.new_nonce()
    previous = None if ballot is None else ballot.choice
    if ballot is None:
        ballot = Ballot(
            vote_id=vote.id, person_id=who.id, choice=choice, binding=binding, cast_at=now
        )
    ballot.choice, ballot.cast_at, ballot.receipt, ballot.nonce = choice, now, receipt, nonce
    uow.session.add(ballot)
    uow.session.add(
        BallotChange(
            vote_id=vote.id,
            person_id=who.id,
            choice=choice,
            binding=binding,
            cast_at=now,
            receipt=receipt,
            nonce=nonce,
        )
    )
    uow.session.flush()
    payload: dict[str, Any]
    if nonce is not None:  # the ledger is public: a commitment to the choice, never the choice
        payload = {
            "vote_id": vote.id,
            "binding": binding,
            "commitment": secrecy.commitment(vote.id, choice, nonce),
            "changed": previous is not None,
        }
    else:
        payload = {
            "vote_id": vote.id,
            "binding": binding,
            "choice": choice,
            "changed_from": previous,
        }
    uow.record(now, actor, "ballot.cast", label, payload)
    tally = _tally(uow, vote, frozen)  # counted once: for the early close and for the answer
    if (
        vote.state == VoteState.OPEN
        and frozen.close_early
        and now >= vote.opened_at + frozen.min_duration
        and len(rules.reachable(frozen, tally)) == 1
    ):
        close_vote(uow, vote, rfc, now, at=now, tally=tally)
    result = BallotResult(
        label, who.handle, choice, binding, True, receipt, status.summary(_facts(rfc, vote), tally)
    )
    uow.commit()
    return result


def cancel_vote(uow: UnitOfWork, actor: str, now: datetime, command: CancelVote) -> VoteStatus:
    """A chair cancels an open or paused vote with a reason; the RFC returns to discussion."""
    uow.check_time(now)
    reason = common.clean_text(command.reason, "reason", limit=common.TEXT_MAX, multiline=True)
    rfc = common.rfc(uow, command.rfc)
    label = common.rfc_label(rfc.number)
    group_ = uow.session.get(Group, rfc.group_id)
    assert group_ is not None
    authority.require(uow, Action.CANCEL_VOTE, actor, group=group_)
    vote = latest_vote(uow, rfc)
    if vote is None or vote.state not in LIVE:
        raise Conflict(f"{label} has no open vote to cancel.")
    if _close_if_due(uow, vote, rfc, now):
        raise VoteClosed(
            f"The vote on {label} closed at {iso(vote.closed_at)} ({vote.outcome}); "
            "a closed vote cannot be cancelled."
        )
    vote.state = VoteState.CANCELLED
    vote.outcome = rules.Outcome.CANCELLED
    vote.reason = reason
    vote.closed_at = now
    vote.closes_at = None
    rfc.status = RfcStatus.DISCUSSION
    rfc.updated_at = now
    uow.session.add(vote)
    uow.session.add(rfc)
    uow.record(now, actor, "vote.cancelled", label, {"vote_id": vote.id, "reason": reason})
    view = vote_view(uow, rfc, vote, now)
    uow.commit()
    return view


def close_vote(
    uow: UnitOfWork,
    vote: Vote,
    rfc: Rfc,
    now: datetime,
    *,
    at: datetime | None,
    tally: rules.Tally | None = None,
) -> None:
    """Close with the outcome of the binding ballots as they stand; ``at`` is the closing moment.

    ``tally`` saves a recount when the caller has just counted the same ballots.
    """
    if tally is None:
        tally = _tally(uow, vote, policies.policy_from_dict(vote.policy))
    vote.state = VoteState.CLOSED
    vote.outcome = tally.outcome
    vote.closed_at = at or now
    vote.result = status.stored_result(tally)
    rfc.status = RfcStatus.ACCEPTED if tally.outcome == rules.Outcome.PASSED else RfcStatus.REJECTED
    rfc.updated_at = now
    uow.session.add(vote)
    uow.session.add(rfc)
    uow.record(
        now,
        common.SYSTEM,
        "vote.closed",
        common.rfc_label(rfc.number),
        {
            "vote_id": vote.id,
            "outcome": tally.outcome,
            "closed_at": iso(vote.closed_at),
            **vote.result,
            "result": vote.result,
            "closed_at_exact": ledger.exact(vote.closed_at),
        },
    )


def due_votes(uow: UnitOfWork, now: datetime) -> list[tuple[Vote, Rfc, datetime]]:
    """Open votes to close now: past their deadline, or decided early after min_duration."""
    due: list[tuple[Vote, Rfc, datetime]] = []
    rows = uow.session.exec(
        select(Vote, Rfc)
        .join(Rfc, col(Rfc.id) == col(Vote.rfc_id))
        .where(Vote.state == VoteState.OPEN)
    ).all()
    for vote, rfc in rows:
        moment = _closing_moment(uow, vote, now)
        if moment is not None:
            due.append((vote, rfc, moment))
    return due
