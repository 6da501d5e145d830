"""The record: tables for people, groups, RFCs, votes, elections, the ledger and the outbox.

Times are stored as naive UTC and read back as aware UTC (``UTCDateTime``). Frozen policies and
electorates are JSON so that a vote keeps the rules it opened under whatever the charters say later.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC in Python, naive UTC in the database, on every backend alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Role(enum.StrEnum):
    """A person's role in a group; chairs and members vote, observers and emeritus do not."""

    CHAIR = "chair"
    MEMBER = "member"
    OBSERVER = "observer"
    EMERITUS = "emeritus"


VOTING_ROLES = (Role.CHAIR, Role.MEMBER)


class RfcStatus(enum.StrEnum):
    """Where an RFC stands in its lifecycle (see the state diagram in the README)."""

    DISCUSSION = "discussion"
    VOTING = "voting"
    PAUSED = "paused"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class VoteState(enum.StrEnum):
    """A vote is open, paused by a concern, closed with an outcome, or cancelled by a chair."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ConcernState(enum.StrEnum):
    """A concern blocks until its author resolves it or a chair overrides it."""

    OPEN = "open"
    RESOLVED = "resolved"
    OVERRIDDEN = "overridden"


class JoinState(enum.StrEnum):
    """A request to join a group with ``membership: approval``."""

    PENDING = "pending"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Foundation(SQLModel, table=True):
    """The foundation's settings as last synced from ``charters/foundation.yaml``."""

    __tablename__ = "foundation"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    description: str = ""
    admins: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    policies: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    labels: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    docs: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    github: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    discord: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # {"guild": "<id>"}
    charters_digest: str = ""
    people_applied: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # people.yaml
    synced_at: datetime = _time()


class Person(SQLModel, table=True):
    """Someone the bot knows; every front end maps its user to one person."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, index=True)
    name: str
    github: str | None = Field(default=None, unique=True)
    discord_id: str | None = Field(default=None, unique=True)
    created_at: datetime = _time()


class Group(SQLModel, table=True):
    """A working group or committee, founded by its charter."""

    __tablename__ = "groups"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True)
    name: str
    kind: str
    membership_policy: str
    charter: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    body: str = ""
    charter_path: str = ""
    charter_sha256: str = ""
    created_at: datetime = _time()
    updated_at: datetime = _time()


class CharterRevision(SQLModel, table=True):
    """A charter file as applied: its hash and the roster it declared, for diffing the next one."""

    __tablename__ = "charter_revisions"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", index=True)
    sha256: str
    roster: dict[str, list[str]] = Field(default_factory=dict, sa_type=sa.JSON)
    applied_at: datetime = _time()


class Membership(SQLModel, table=True):
    """A person's role in a group over a period; ``until`` is null while it lasts."""

    __tablename__ = "memberships"
    __table_args__ = (sa.Index("ix_memberships_current", "group_id", "person_id", "until"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id")
    person_id: int = Field(foreign_key="people.id", index=True)
    role: str
    since: datetime = _time()
    until: datetime | None = _time(nullable=True)


class JoinRequest(SQLModel, table=True):
    """A pending request to join a group that needs a chair's approval."""

    __tablename__ = "join_requests"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    state: str = JoinState.PENDING
    requested_at: datetime = _time()
    decided_at: datetime | None = _time(nullable=True)
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")


class Rfc(SQLModel, table=True):
    """A numbered proposal owned by a group."""

    __tablename__ = "rfcs"
    __table_args__ = (sa.Index("ux_rfcs_github_issue", "github_repo", "github_issue", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    group_id: int = Field(foreign_key="groups.id", index=True)
    title: str
    body: str
    author_id: int = Field(foreign_key="people.id")
    status: str = RfcStatus.DISCUSSION
    created_at: datetime = _time()
    updated_at: datetime = _time()
    discord_thread_id: str | None = None
    github_repo: str | None = None  # owner/name of the repository holding its issue
    github_issue: int | None = None


class Concern(SQLModel, table=True):
    """A blocking objection on an RFC."""

    __tablename__ = "concerns"

    id: int | None = Field(default=None, primary_key=True)
    rfc_id: int = Field(foreign_key="rfcs.id", index=True)
    author_id: int = Field(foreign_key="people.id")
    text: str
    state: str = ConcernState.OPEN
    raised_at: datetime = _time()
    resolved_at: datetime | None = _time(nullable=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="people.id")
    reason: str | None = None


class Decision(SQLModel):
    """What votes and elections share: a group, a frozen policy and electorate, a lifecycle."""

    group_id: int = Field(foreign_key="groups.id")
    policy_name: str
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    electorate: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    state: str = VoteState.OPEN
    opened_at: datetime = _time()
    opened_by_id: int = Field(foreign_key="people.id")
    closes_at: datetime | None = _time(nullable=True, index=True)
    closed_at: datetime | None = _time(nullable=True)
    outcome: str | None = None
    reason: str | None = None  # the chair's reason for a cancel
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class Vote(Decision, table=True):
    """A decision on an RFC under a frozen policy and a frozen electorate (handles)."""

    __tablename__ = "votes"

    id: int | None = Field(default=None, primary_key=True)
    rfc_id: int | None = Field(default=None, foreign_key="rfcs.id", index=True)
    remaining_seconds: int | None = None  # time left while paused
    reminded_at: datetime | None = _time(nullable=True)
    """When electors were reminded of the deadline: at most once per vote, paused or not."""


class BallotFields(SQLModel):
    """What a current ballot and an entry of the ballot history both record."""

    vote_id: int = Field(foreign_key="votes.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    choice: str
    binding: bool
    cast_at: datetime = _time()


class Ballot(BallotFields, table=True):
    """One person's current choice in a vote."""

    __tablename__ = "ballots"
    __table_args__ = (sa.UniqueConstraint("vote_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    receipt: str | None = None  # secret votes: the voter's line on the tally sheet
    nonce: str | None = None  # secret votes: opens the ledger's commitment; never published


class BallotChange(BallotFields, table=True):
    """Every ballot ever cast, changes included, in order."""

    __tablename__ = "ballot_history"

    id: int | None = Field(default=None, primary_key=True)
    receipt: str | None = None  # secret votes: superseded receipts stay findable
    nonce: str | None = None  # secret votes: opens that cast's commitment


class Election(Decision, table=True):
    """A ranked-ballot election for a number of seats, counted with the Schulze method."""

    __tablename__ = "elections"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    title: str
    seats: int
    candidates: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class RankedBallot(SQLModel, table=True):
    """One person's current ranking in an election: tiers of handles, best first."""

    __tablename__ = "ranked_ballots"
    __table_args__ = (sa.UniqueConstraint("election_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="elections.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    ranking: list[list[str]] = Field(default_factory=list, sa_type=sa.JSON)
    binding: bool
    cast_at: datetime = _time()
    receipt: str | None = None  # secret elections: the voter's line on the tally sheet
    nonce: str | None = None  # secret elections: opens the ledger's commitment


class LedgerEntry(SQLModel, table=True):
    """An append-only, hash-chained record of one state change."""

    __tablename__ = "ledger"
    __table_args__ = (sa.Index("ix_ledger_subject", "subject", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = _time()
    actor: str
    action: str
    subject: str
    payload: str  # canonical JSON, hashed as stored
    prev_hash: str
    hash: str = Field(unique=True)


class OutboxItem(SQLModel, table=True):
    """A side effect waiting to leave (a message, a label, a docs publication)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    key: str = Field(unique=True)  # idempotency key
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = _time()
    attempts: int = 0
    next_attempt_at: datetime | None = _time(nullable=True)
    done_at: datetime | None = _time(nullable=True, index=True)
    last_error: str | None = None


class PublishedPage(SQLModel, table=True):
    """A docs page as govbot last published it: its blob hash and the custom sections kept in it.

    When the published blob still has this hash, its custom sections are known without reading
    it; when someone edited it, it is read once and its custom sections are taken from there.
    """

    __tablename__ = "published_pages"

    path: str = Field(primary_key=True)
    sha: str
    custom: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)


class PublicationRecord(SQLModel, table=True):
    """One publication of the docs: the ledger entries it covered and the commit it made."""

    __tablename__ = "publications"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time()
    target: str
    full: bool
    from_seq: int  # covers ledger entries after from_seq ...
    to_seq: int = Field(index=True)  # ... up to and including to_seq
    head_hash: str
    commit: str | None = None  # None: nothing changed, so nothing was committed
    changed: int = 0
    deleted: int = 0


class DeliveryState(enum.StrEnum):
    """A received event waits, is processed (done), or is given up on after repeated failures."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    """An event received from outside (a webhook delivery), stored before it is acknowledged.

    ``key`` makes receiving idempotent: a redelivery, or the same comment found again when
    reconciling, has the key of the first and is not stored twice.
    """

    __tablename__ = "deliveries"
    __table_args__ = (sa.Index("ix_deliveries_pending", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    key: str = Field(unique=True)
    event: str
    received_at: datetime = _time()
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: str = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = _time(nullable=True)
    processed_at: datetime | None = _time(nullable=True)
    result: str | None = None  # what processing did, or why it refused, in one line
    last_error: str | None = None


class LinkCode(SQLModel, table=True):
    """A one-time code that proves an account (a GitHub login) belongs to a person.

    The code is made for one login, so seeing it in a public comment does not let anyone else
    use it. Only the code's hash is stored; the code itself is shown once, to the person.
    """

    __tablename__ = "link_codes"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    account: str  # "github"
    login: str  # the account the code was made for: only it can use the code
    code_hash: str = Field(unique=True)
    created_at: datetime = _time()
    expires_at: datetime = _time()
    used_at: datetime | None = _time(nullable=True)


class Checkpoint(SQLModel, table=True):
    """How far a follower of the record got, kept across restarts.

    ``seq`` is the last ledger entry it handled; ``at`` a moment (e.g. up to when GitHub's
    comments were read back at startup); ``value`` anything else it must remember (e.g. a hash
    of the Discord application commands, synced again only when it changes).
    """

    __tablename__ = "checkpoints"

    name: str = Field(primary_key=True)
    seq: int = 0
    at: datetime = _time()
    value: str = ""


class DiscordPost(SQLModel, table=True):
    """A Discord message govbot posted and keeps up to date (a vote's message, its thread post).

    ``key`` names what the message shows (``vote:12``), so a restart edits the same message
    instead of posting a new one; ``shown`` is a digest of its content, so an edit that would
    change nothing is never sent.
    """

    __tablename__ = "discord_posts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    channel_id: str
    message_id: str
    created_at: datetime = _time()
    edited_at: datetime | None = _time(nullable=True)
    shown: str = ""
