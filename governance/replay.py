"""Replaying the ledger: the tables as the ledger says they must be, compared with the tables.

The hash chain proves the ledger was not edited; it says nothing of the tables beside it, where a
``no`` turned into a ``yes`` changes a tally without touching a single entry. So the replay reads
the entries in order and rebuilds, from their payloads alone, what every table the ledger
describes must hold (people, groups, charter revisions, memberships, join requests, RFCs,
concerns, votes, ballots and their history, elections, rankings, the foundation's settings), then
compares that with the rows stored, field by field.

It calls no service, reads no charter file and no clock: every moment is an entry's time or a
time its payload carries, and every derived value (a deadline, a remaining time, a result) is
taken from the payload as the service wrote it. Rows are matched by natural keys (handles, slugs,
RFC and election numbers, the vote and concern ids the entries name), so a renumbered id is a
difference, not a crash. A secret ballot's entry holds a commitment, not the choice: the stored
choice and nonce must open it.

Entries written before payloads carried all this cannot be replayed in full; each one marks the
tables it changed as not checked, and the rest is still compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from governance import ledger, secrecy
from governance.clock import as_utc, parse_instant
from governance.model import (
    Ballot,
    BallotChange,
    CharterRevision,
    Concern,
    Election,
    Foundation,
    Group,
    JoinRequest,
    Membership,
    Person,
    RankedBallot,
    Rfc,
    Vote,
)
from governance.refs import election_label, parse_election_ref, parse_rfc_ref, rfc_label

Row = dict[str, Any]

TABLES = (
    "foundation",
    "people",
    "groups",
    "charter_revisions",
    "memberships",
    "join_requests",
    "rfcs",
    "concerns",
    "votes",
    "ballots",
    "ballot_history",
    "elections",
    "ranked_ballots",
)
"""Every table the ledger describes, in the order differences are reported."""

SYNC_TABLES = (
    "foundation",
    "people",
    "groups",
    "charter_revisions",
    "memberships",
    "join_requests",
)
NO_CHANGE = frozenset({"person.link-started"})
"""Actions that change none of the tables above (a link code is a secret, kept apart)."""

PRESENT, MISSING = "present", "missing"


class _Unknown:
    """A field an older entry did not carry: not compared (the entry is reported instead)."""

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Difference:
    """One way the tables disagree with the ledger: a field, or a whole row (``field`` None)."""

    table: str
    key: str
    field: str | None
    ledger: Any
    table_value: Any

    def line(self) -> str:
        """One line for people: where, what the ledger says, what the table says."""
        where = f"{self.table}[{self.key}]"
        if self.field is None:
            if self.table_value == MISSING:
                return f"{where}: the ledger made this row, the table does not have it"
            return f"{where}: the table has this row, the ledger never made it"
        return (
            f"{where}.{self.field}: ledger says {_shown(self.ledger)}, "
            f"table says {_shown(self.table_value)}"
        )

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form (times as exact UTC text)."""
        return {
            "table": self.table,
            "key": self.key,
            "field": self.field,
            "ledger": _plain(self.ledger),
            "table_value": _plain(self.table_value),
        }


@dataclass(frozen=True)
class Predating:
    """An entry written before its payload carried what the replay needs.

    ``tables`` names what it left unchecked: a table (``votes``), or one field of it
    (``votes.closes_at``) when the rest of the row could still be replayed.
    """

    seq: int
    action: str
    tables: tuple[str, ...]


@dataclass
class Comparison:
    """What the replay found: differences, the tables and rows compared, what it could not."""

    differences: list[Difference] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    rows: int = 0
    predating: list[Predating] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    """Tables not compared at all, and ``table.field`` not compared in some rows."""

    @property
    def ok(self) -> bool:
        """Every entry replayed, every table compared, and none differs."""
        return not self.differences and not self.predating


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ledger.at_text(value)
    return value


def _shown(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    text = ledger.canonical(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _time(text: Any) -> datetime | None:
    return None if text is None else parse_instant(str(text))


# --- the tables as the ledger says ------------------------------------------------------------


class _Expected:
    """The tables rebuilt from the entries so far."""

    def __init__(self) -> None:
        self.foundation: Row | None = None
        self.people: dict[str, Row] = {}
        self.groups: dict[str, Row] = {}
        self.revisions: dict[str, list[Row]] = defaultdict(list)
        self.memberships: dict[tuple[str, str], list[Row]] = defaultdict(list)
        self.requests: dict[tuple[str, str], list[Row]] = defaultdict(list)
        self.rfcs: dict[int, Row] = {}
        self.concerns: dict[int, Row] = {}
        self.votes: dict[int, Row] = {}
        self.ballots: dict[tuple[int, str], Row] = {}
        self.history: dict[tuple[int, str], list[Row]] = defaultdict(list)
        self.elections: dict[int, Row] = {}
        self.ranked: dict[tuple[int, str], Row] = {}
        self.predating: list[Predating] = []

    # memberships and requests, as the services change them

    def end(self, group: str, person: str, at: datetime) -> None:
        for row in self.memberships[(group, person)]:
            if row["until"] is None:
                row["until"] = at

    def start(self, group: str, person: str, role: str, at: datetime) -> None:
        self.end(group, person, at)
        self.memberships[(group, person)].append({"role": role, "since": at, "until": None})

    def settle(
        self, group: str, person: str, state: str | None, at: datetime, by: str | None
    ) -> None:
        if state is None:
            return
        for row in self.requests[(group, person)]:
            if row["state"] == "pending":
                row.update(state=state, decided_at=at, decided_by=by)

    def rfc(self, subject: str) -> Row:
        return self.rfcs.setdefault(parse_rfc_ref(subject), {})

    def vote(self, vote_id: Any) -> Row:
        return self.votes.setdefault(int(vote_id), {})


Handler = Callable[[_Expected, ledger.EntryView, dict[str, Any]], tuple[str, ...]]
"""Applies one entry; returns the tables it could not replay in full (an older payload)."""


def _charters_synced(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    if not all(k in p for k in ("foundation", "people", "groups")):
        return SYNC_TABLES
    x.foundation = {**p["foundation"], "charters_digest": p["digest"], "synced_at": e.at}
    for person in p["people"]:
        row = x.people.setdefault(person["handle"], {"created_at": e.at})
        row.update(name=person["name"], github=person["github"], discord_id=person["discord_id"])
    for group in p["groups"]:
        row = x.groups.setdefault(group["slug"], {"created_at": e.at})
        row.update({k: group[k] for k in GROUP_FIELDS}, updated_at=e.at)
        x.revisions[group["slug"]].append(
            {"sha256": group["charter_sha256"], "roster": group["roster"], "applied_at": e.at}
        )
    for change in p["roster_changes"]:
        slug, handle = change["group"], change["person"]
        if "left" in change:
            x.end(slug, handle, e.at)
            continue
        x.start(slug, handle, change["role"], e.at)
        x.settle(slug, handle, change.get("request"), e.at, None)
    return ()


GROUP_FIELDS = ("name", "kind", "membership_policy", "charter_path", "charter_sha256", "content")


def _person_added(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.people[e.subject] = {
        "name": p["name"],
        "github": p.get("github"),
        "discord_id": p.get("discord_id", UNKNOWN),
        "created_at": e.at,
    }
    return () if "discord_id" in p else ("people.discord_id",)


def _person_registered(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.people[e.subject] = {
        "name": p["name"],
        "github": None,
        "discord_id": p["discord_id"],
        "created_at": e.at,
    }
    return ()


def _person_linked(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    row = x.people.setdefault(e.subject, {})
    for name in ("github", "discord_id"):
        if p.get(name) is not None:
            row[name] = p[name]
    return ()


def _group_joined(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.start(e.subject, p["person"], p["role"], e.at)
    x.settle(e.subject, p["person"], p.get("request"), e.at, None)
    return () if "request" in p else ("join_requests",)


def _join_requested(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.requests[(e.subject, p["person"])].append(
        {"state": "pending", "requested_at": e.at, "decided_at": None, "decided_by": None}
    )
    return ()


def _join_approved(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.settle(e.subject, p["person"], "approved", e.at, e.actor)
    if "started" not in p:
        return ("memberships",)
    if p["started"]:
        x.start(e.subject, p["person"], "member", e.at)
    return ()


def _join_withdrawn(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    for row in x.requests[(e.subject, p["person"])]:
        if row["state"] == "pending":
            row.update(state="withdrawn", decided_at=e.at)
    return ()


def _group_left(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.end(e.subject, p["person"], e.at)
    x.settle(e.subject, p["person"], p.get("request"), e.at, None)
    return () if "request" in p else ("join_requests",)


def _role_set(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.start(e.subject, p["person"], p["role"], e.at)
    x.settle(e.subject, p["person"], p.get("request"), e.at, e.actor)
    return () if "request" in p else ("join_requests",)


def _github(text: Any) -> tuple[str | None, int | None]:
    if not text:
        return None, None
    repo, _, issue = str(text).rpartition("#")
    return repo, int(issue)


def _rfc_proposed(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    repo, issue = _github(p.get("github"))
    x.rfcs[parse_rfc_ref(e.subject)] = {
        "group": p["group"],
        "title": p["title"],
        "body": p.get("body", UNKNOWN),
        "author": p.get("author", e.actor),
        "status": "discussion",
        "created_at": e.at,
        "updated_at": e.at,
        "discord_thread_id": None,
        "github_repo": repo,
        "github_issue": issue,
    }
    return () if "body" in p else ("rfcs.body",)


def _rfc_linked(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    repo, issue = _github(p["github"])
    x.rfc(e.subject).update(github_repo=repo, github_issue=issue)
    return ()


def _thread_linked(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.rfc(e.subject)["discord_thread_id"] = p["discord"]
    return ()


def _rfc_withdrawn(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.rfc(e.subject).update(status="withdrawn", updated_at=e.at)
    return ()


def _rfc_reproposed(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.rfc(e.subject).update(
        title=p["title"], body=p.get("body", UNKNOWN), status="discussion", updated_at=e.at
    )
    return () if "body" in p else ("rfcs.body",)


def _clock(x: _Expected, e: ledger.EntryView, clock: dict[str, Any], status: str) -> None:
    """A pause or a resume: the vote's clock as the entry carries it, the RFC's status."""
    x.vote(clock["vote_id"]).update(
        state=clock["state"],
        closes_at=_time(clock["closes_at"]),
        remaining_seconds=clock["remaining_seconds"],
    )
    x.rfc(e.subject).update(status=status, updated_at=e.at)


def _concern_raised(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.concerns[int(p["concern_id"])] = {
        "rfc": parse_rfc_ref(e.subject),
        "author": p.get("author", e.actor),
        "text": p["text"],
        "state": "open",
        "raised_at": e.at,
        "resolved_at": None,
        "resolved_by": None,
        "reason": None,
    }
    if "paused" not in p:
        return ("votes", "rfcs") if p.get("vote_paused") else ()
    if p["paused"]:
        _clock(x, e, p["paused"], "paused")
    return ()


def _concern_settled(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    row = x.concerns.setdefault(int(p["concern_id"]), {})
    row.update(
        state=e.action.removeprefix("concern."),
        resolved_at=e.at,
        resolved_by=p.get("resolved_by", e.actor),
        reason=p.get("reason"),
    )
    if "resumed" not in p:
        return ("votes", "rfcs")
    if p["resumed"]:
        _clock(x, e, p["resumed"], "voting")
    return ()


def _vote_opened(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    number = parse_rfc_ref(e.subject)
    clock = p.get("clock")
    paused = bool(p.get("paused"))
    x.votes[int(p["vote_id"])] = {
        "rfc": number,
        "group": x.rfcs.get(number, {}).get("group"),
        "policy_name": p["policy_name"],
        "policy": p["policy"],
        "electorate": p["electorate"],
        "state": "paused" if paused else "open",
        "opened_at": e.at,
        "opened_by": e.actor,
        "closes_at": _time(clock["closes_at"]) if clock else UNKNOWN,
        "closed_at": None,
        "outcome": None,
        "reason": None,
        "result": None,
        "remaining_seconds": clock["remaining_seconds"] if clock else UNKNOWN,
        "reminded_at": None,
    }
    x.rfc(e.subject).update(status="paused" if paused else "voting", updated_at=e.at)
    return () if clock else ("votes.closes_at", "votes.remaining_seconds")


def _ballot_cast(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    vote_id = int(p["vote_id"])
    key = (vote_id, e.actor)
    cast: Row = {"binding": bool(p["binding"]), "cast_at": e.at}
    older = "commitment" not in p and p["choice"] == "secret"  # neither choice nor commitment
    if "commitment" in p:
        cast.update(commitment=p["commitment"], subject=vote_id)
    else:
        cast["choice"] = UNKNOWN if older else p["choice"]
    first = x.ballots.get(key)
    x.ballots[key] = {**cast, "binding": first["binding"] if first else cast["binding"]}
    x.history[key].append(cast)
    return ("ballots.choice", "ballot_history.choice") if older else ()


def _vote_cancelled(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.vote(p["vote_id"]).update(
        state="cancelled", outcome="cancelled", reason=p["reason"], closed_at=e.at, closes_at=None
    )
    x.rfc(e.subject).update(status="discussion", updated_at=e.at)
    return ()


CLOSE_KEYS = frozenset({"vote_id", "outcome", "closed_at", "result", "closed_at_exact"})


def _vote_closed(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    result = p.get("result", {k: v for k, v in p.items() if k not in CLOSE_KEYS})
    exact = "closed_at_exact" in p
    x.vote(p["vote_id"]).update(
        state="closed",
        outcome=p["outcome"],
        closed_at=_time(p["closed_at_exact"]) if exact else UNKNOWN,
        result=result,
    )
    status = "accepted" if p["outcome"] == "passed" else "rejected"
    x.rfc(e.subject).update(status=status, updated_at=e.at)
    return () if exact else ("votes.closed_at",)


def _vote_reminded(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.vote(p["vote"])["reminded_at"] = e.at
    return ()


def _election_opened(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.elections[parse_election_ref(e.subject)] = {
        "group": p["group"],
        "title": p["title"],
        "seats": p["seats"],
        "candidates": p["candidates"],
        "policy_name": p["policy_name"],
        "policy": p["policy"],
        "electorate": p["electorate"],
        "state": "open",
        "opened_at": e.at,
        "opened_by": e.actor,
        "closes_at": _time(p["closes_at_exact"]) if "closes_at_exact" in p else UNKNOWN,
        "closed_at": None,
        "outcome": None,
        "reason": None,
        "result": None,
    }
    return () if "closes_at_exact" in p else ("elections.closes_at",)


def _election_ranked(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    key = (parse_election_ref(e.subject), e.actor)
    first = x.ranked.get(key)
    row: Row = {"binding": first["binding"] if first else bool(p["binding"]), "cast_at": e.at}
    older = "commitment" not in p and p["ranking"] == "secret"
    if "commitment" in p:
        row.update(commitment=p["commitment"], subject=int(p["election_id"]))
    else:
        row["ranking"] = UNKNOWN if older else p["ranking"]
    x.ranked[key] = row
    return ("ranked_ballots.ranking",) if older else ()


def _election_cancelled(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    x.elections.setdefault(parse_election_ref(e.subject), {}).update(
        state="cancelled", outcome="cancelled", reason=p["reason"], closed_at=e.at, closes_at=None
    )
    return ()


def _election_closed(x: _Expected, e: ledger.EntryView, p: dict[str, Any]) -> tuple[str, ...]:
    result = p.get("result", {k: v for k, v in p.items() if k not in CLOSE_KEYS})
    exact = "closed_at_exact" in p
    x.elections.setdefault(parse_election_ref(e.subject), {}).update(
        state="closed",
        outcome=p["outcome"],
        closed_at=_time(p["closed_at_exact"]) if exact else UNKNOWN,
        result=result,
    )
    return () if exact else ("elections.closed_at",)


HANDLERS: dict[str, Handler] = {
    "charters.synced": _charters_synced,
    "person.added": _person_added,
    "person.registered": _person_registered,
    "person.linked": _person_linked,
    "group.joined": _group_joined,
    "group.join-requested": _join_requested,
    "group.join-approved": _join_approved,
    "group.join-withdrawn": _join_withdrawn,
    "group.left": _group_left,
    "group.role-set": _role_set,
    "rfc.proposed": _rfc_proposed,
    "rfc.linked": _rfc_linked,
    "rfc.thread-linked": _thread_linked,
    "rfc.withdrawn": _rfc_withdrawn,
    "rfc.reproposed": _rfc_reproposed,
    "concern.raised": _concern_raised,
    "concern.resolved": _concern_settled,
    "concern.overridden": _concern_settled,
    "vote.opened": _vote_opened,
    "ballot.cast": _ballot_cast,
    "vote.cancelled": _vote_cancelled,
    "vote.closed": _vote_closed,
    "vote.reminded": _vote_reminded,
    "election.opened": _election_opened,
    "election.ranked": _election_ranked,
    "election.cancelled": _election_cancelled,
    "election.closed": _election_closed,
}


def replay(entries: Iterable[ledger.EntryView]) -> _Expected:
    """Rebuild the tables from the entries alone, noting the entries it cannot replay in full."""
    import json

    expected = _Expected()
    for entry in entries:
        if entry.action in NO_CHANGE:
            continue
        handler = HANDLERS.get(entry.action)
        try:
            payload = json.loads(entry.payload)
            partial = TABLES if handler is None else handler(expected, entry, payload)
        except (ValueError, KeyError, TypeError, AttributeError):
            # The payload is data from the database, perhaps edited: an entry the replay
            # cannot read leaves every table it might have changed unchecked, never a crash.
            partial = TABLES
        if partial:
            expected.predating.append(Predating(entry.seq, entry.action, tuple(partial)))
    return expected


# --- keyed rows, both sides -------------------------------------------------------------------


def _numbered(rows: dict[Any, list[Row]], key: Callable[[Any, int], str]) -> dict[str, Row]:
    return {key(k, n): row for k, listed in rows.items() for n, row in enumerate(listed, 1)}


def _ledger_side(x: _Expected) -> dict[str, dict[str, Row]]:
    return {
        "foundation": {} if x.foundation is None else {"foundation": x.foundation},
        "people": dict(x.people),
        "groups": dict(x.groups),
        "charter_revisions": _numbered(x.revisions, lambda s, n: f"{s}, #{n}"),
        "memberships": _numbered(x.memberships, lambda k, n: f"{k[0]}, {k[1]}, #{n}"),
        "join_requests": _numbered(x.requests, lambda k, n: f"{k[0]}, {k[1]}, #{n}"),
        "rfcs": {rfc_label(n): row for n, row in x.rfcs.items()},
        "concerns": {
            f"{rfc_label(row.get('rfc', 0))}, concern {cid}": row for cid, row in x.concerns.items()
        },
        "votes": {f"vote {vid}": row for vid, row in x.votes.items()},
        "ballots": {f"vote {v}, person {h}": row for (v, h), row in x.ballots.items()},
        "ballot_history": _numbered(x.history, lambda k, n: f"vote {k[0]}, person {k[1]}, #{n}"),
        "elections": {election_label(n): row for n, row in x.elections.items()},
        "ranked_ballots": {
            f"{election_label(n)}, person {h}": row for (n, h), row in x.ranked.items()
        },
    }


def _table_side(session: Session) -> dict[str, dict[str, Row]]:
    """Every row the ledger describes, keyed as the replay keys them."""
    handle = dict(session.exec(select(Person.id, Person.handle)).all())
    slug = dict(session.exec(select(Group.id, Group.slug)).all())
    number = dict(session.exec(select(Rfc.id, Rfc.number)).all())
    side: dict[str, dict[str, Row]] = {t: {} for t in TABLES}
    for f in session.exec(select(Foundation)):
        side["foundation"]["foundation"] = {
            name: getattr(f, name)
            for name in (
                "name",
                "description",
                "admins",
                "policies",
                "labels",
                "docs",
                "github",
                "discord",
                "charters_digest",
                "synced_at",
            )
        }
    for p in session.exec(select(Person)):
        side["people"][p.handle] = {
            "name": p.name,
            "github": p.github,
            "discord_id": p.discord_id,
            "created_at": p.created_at,
        }
    for g in session.exec(select(Group)):
        side["groups"][g.slug] = {
            "name": g.name,
            "kind": g.kind,
            "membership_policy": g.membership_policy,
            "charter_path": g.charter_path,
            "charter_sha256": g.charter_sha256,
            "content": ledger.content_hash(g.charter, g.body),
            "created_at": g.created_at,
            "updated_at": g.updated_at,
        }
    revisions: dict[str, list[Row]] = defaultdict(list)
    for rev in session.exec(select(CharterRevision).order_by(col(CharterRevision.id))):
        revisions[slug.get(rev.group_id, "?")].append(
            {"sha256": rev.sha256, "roster": rev.roster, "applied_at": rev.applied_at}
        )
    side["charter_revisions"] = _numbered(revisions, lambda s, n: f"{s}, #{n}")
    stints: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for m in session.exec(select(Membership).order_by(col(Membership.id))):
        stints[(slug.get(m.group_id, "?"), handle.get(m.person_id, "?"))].append(
            {"role": m.role, "since": m.since, "until": m.until}
        )
    side["memberships"] = _numbered(stints, lambda k, n: f"{k[0]}, {k[1]}, #{n}")
    asked: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for j in session.exec(select(JoinRequest).order_by(col(JoinRequest.id))):
        asked[(slug.get(j.group_id, "?"), handle.get(j.person_id, "?"))].append(
            {
                "state": j.state,
                "requested_at": j.requested_at,
                "decided_at": j.decided_at,
                "decided_by": handle.get(j.decided_by_id) if j.decided_by_id else None,
            }
        )
    side["join_requests"] = _numbered(asked, lambda k, n: f"{k[0]}, {k[1]}, #{n}")
    for r in session.exec(select(Rfc)):
        side["rfcs"][rfc_label(r.number)] = {
            "group": slug.get(r.group_id),
            "title": r.title,
            "body": r.body,
            "author": handle.get(r.author_id),
            "status": r.status,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "discord_thread_id": r.discord_thread_id,
            "github_repo": r.github_repo,
            "github_issue": r.github_issue,
        }
    for c in session.exec(select(Concern)):
        rfc = number.get(c.rfc_id, 0)
        side["concerns"][f"{rfc_label(rfc)}, concern {c.id}"] = {
            "rfc": rfc,
            "author": handle.get(c.author_id),
            "text": c.text,
            "state": c.state,
            "raised_at": c.raised_at,
            "resolved_at": c.resolved_at,
            "resolved_by": handle.get(c.resolved_by_id) if c.resolved_by_id else None,
            "reason": c.reason,
        }
    for v in session.exec(select(Vote)):
        side["votes"][f"vote {v.id}"] = {
            "rfc": number.get(v.rfc_id) if v.rfc_id is not None else None,
            "group": slug.get(v.group_id),
            **_decision(v, handle),
            "remaining_seconds": v.remaining_seconds,
            "reminded_at": v.reminded_at,
        }
    for v_id, p_id, b in _ballots(session, Ballot):
        side["ballots"][f"vote {v_id}, person {handle.get(p_id)}"] = b
    history: dict[tuple[int, str | None], list[Row]] = defaultdict(list)
    for v_id, p_id, b in _ballots(session, BallotChange):
        history[(v_id, handle.get(p_id))].append(b)
    side["ballot_history"] = _numbered(history, lambda k, n: f"vote {k[0]}, person {k[1]}, #{n}")
    election_number: dict[int | None, int] = {}
    for el in session.exec(select(Election)):
        election_number[el.id] = el.number
        side["elections"][election_label(el.number)] = {
            "group": slug.get(el.group_id),
            "title": el.title,
            "seats": el.seats,
            "candidates": el.candidates,
            **_decision(el, handle),
        }
    for rb in session.exec(select(RankedBallot)):
        label = election_label(election_number.get(rb.election_id, 0))
        side["ranked_ballots"][f"{label}, person {handle.get(rb.person_id)}"] = {
            "ranking": rb.ranking,
            "binding": rb.binding,
            "cast_at": rb.cast_at,
            "nonce": rb.nonce,
        }
    return side


def _decision(row: Vote | Election, handle: dict[int | None, str]) -> Row:
    return {
        "policy_name": row.policy_name,
        "policy": row.policy,
        "electorate": row.electorate,
        "state": row.state,
        "opened_at": row.opened_at,
        "opened_by": handle.get(row.opened_by_id),
        "closes_at": row.closes_at,
        "closed_at": row.closed_at,
        "outcome": row.outcome,
        "reason": row.reason,
        "result": row.result,
    }


def _ballots(
    session: Session, table: type[Ballot] | type[BallotChange]
) -> Iterator[tuple[int, int, Row]]:
    """Ballots read as plain columns, in the order they were written (there may be many)."""
    names = ("vote_id", "person_id", "choice", "binding", "cast_at", "nonce")
    query = sa.select(*(col(getattr(table, n)) for n in names)).order_by(col(table.id))
    for vote_id, person_id, choice, binding, cast_at, nonce in session.execute(query):
        row = {"choice": choice, "binding": bool(binding), "cast_at": cast_at, "nonce": nonce}
        yield vote_id, person_id, row


# --- comparing --------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return as_utc(a) == as_utc(b)
    return bool(a == b)


def _compare_row(table: str, key: str, want: Row, have: Row) -> list[Difference]:
    found: list[Difference] = []
    if "commitment" in want:  # a secret cast: the stored choice and nonce must open it
        chosen = have.get("choice") if "choice" in have else have.get("ranking")
        text = chosen if isinstance(chosen, str) else ledger.canonical(chosen)
        opened = secrecy.commitment(int(want["subject"]), text, have.get("nonce") or "")
        if opened != want["commitment"]:
            name = "choice" if "choice" in have else "ranking"
            committed = f"the {name} it committed to ({str(want['commitment'])[:12]}...)"
            found.append(Difference(table, key, name, committed, chosen))
    for name, value in want.items():
        if name in ("commitment", "subject") or value is UNKNOWN:
            continue
        if not _same(value, have.get(name)):
            found.append(Difference(table, key, name, value, have.get(name)))
    return found


def compare_tables(expected: _Expected, session: Session) -> Comparison:
    """Compare the replayed tables with the stored rows, every checked table, every field."""
    unchecked = {t for p in expected.predating for t in p.tables}
    comparison = Comparison(predating=expected.predating)
    comparison.unchecked = [t for t in TABLES if t in unchecked] + sorted(
        t for t in unchecked if "." in t and t.split(".")[0] not in unchecked
    )
    wanted, stored = _ledger_side(expected), _table_side(session)
    for table in TABLES:
        if table in unchecked:
            continue
        comparison.tables.append(table)
        want, have = wanted[table], stored[table]
        comparison.rows += len(want)
        found: list[Difference] = []
        for key, row in want.items():
            if key not in have:
                found.append(Difference(table, key, None, PRESENT, MISSING))
            else:
                found += _compare_row(table, key, row, have[key])
        found += [Difference(table, k, None, MISSING, PRESENT) for k in have if k not in want]
        comparison.differences += sorted(found, key=lambda d: _natural(d.key))
    return comparison


def _natural(key: str) -> tuple[Any, ...]:
    """Keys in reading order: ``vote 10`` after ``vote 9``."""
    parts: list[Any] = []
    for word in key.replace(",", " ").replace("#", " ").split():
        parts.append((0, int(word), "") if word.isdigit() else (1, 0, word))
    return tuple(parts)


def compare(session: Session) -> Comparison:
    """Replay the whole ledger of this record and compare it with every table it describes."""
    from governance.store import ledger_entries

    return compare_tables(replay(ledger_entries(session)), session)
