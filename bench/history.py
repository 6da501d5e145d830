"""A synthetic ten-year record of a foundation, written in seconds, as the services would have.

    python3 bench/history.py PATH [--smoke] [--seed N] [--verify]

The renderer's benchmark needs a record the size of a real foundation's after ten years, and
going through the services one call at a time would take far too long. So the decisions are
simulated in memory under the services' own rules (rosters changing over time, RFCs proposed,
withdrawn, re-proposed, votes frozen and closed early or at their deadline with the outcome
``rules.count`` gives, concerns resolved or overridden, Schulze elections) and the rows are written
with SQLAlchemy Core ``executemany`` in one transaction, into a database made by ``Store.open``,
with a ledger whose hash chain verifies. Row ids follow the order of creation, as the services'
autoincrement would.

The services keep working on top of it: at ``NOW`` a few votes and one election are still open,
one vote is paused by a concern, a few RFCs are in discussion, and nothing is left for ``tick`` to
close. Everything is drawn from one seeded ``random.Random``: the same seed gives the same rows.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import itertools
import json
import random
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, SQLModel, col, select

import governance.model as model
from governance import ledger, rules, status
from governance import policy as policies
from governance.charters import CharterFrontMatter, FoundationFile
from governance.clock import iso
from governance.digest import combine
from governance.refs import election_label, rfc_label
from governance.services import elections, rfcs
from governance.services.common import SYSTEM
from governance.store import DOCS_KEY, Store, ledger_entries

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
START = NOW - timedelta(days=3652)
SEED = 20270104
GENERATOR = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
"""This generator's version: a history cached by another version is not reused."""
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

CHOICE_NAMES = tuple(c.value for c in rules.Choice)
USUAL, SHARE_USUAL, SHARE_LOW = 0.9, (0.5, 0.95), (0.1, 0.5)
"""Nine votes in ten draw their participation from the usual range, the others from the low one
(before the scale that spreads the ballot budget)."""
NON_BINDING = ((0, 1, 2, 3), (0.7, 0.2, 0.07, 0.03))
"""How many non-binding ballots a vote gets, and how likely each number is."""
MEAN_SHARE = USUAL * sum(SHARE_USUAL) / 2 + (1 - USUAL) * sum(SHARE_LOW) / 2
MEAN_NON_BINDING = sum(n * w for n, w in zip(*NON_BINDING, strict=True))
VOTING = (model.Role.CHAIR.value, model.Role.MEMBER.value)
CHAIRS = (model.Role.CHAIR.value,)
TABLES = tuple(table.name for table in SQLModel.metadata.sorted_tables)
"""Every table, in an order that satisfies the foreign keys."""


@dataclass(frozen=True)
class Scale:
    """How big a history to make; ``open_votes`` does not count the one paused vote."""

    groups: int
    people: int
    rfcs: int
    ballots: int
    elections: int
    open_votes: int


FULL = Scale(groups=50, people=1000, rfcs=5000, ballots=100_000, elections=36, open_votes=6)
SMOKE = Scale(groups=2, people=40, rfcs=20, ballots=200, elections=2, open_votes=2)


@dataclass(frozen=True)
class OpenVote:
    """A vote still live at ``NOW``, with the electors who have not voted in it yet."""

    rfc: str
    state: str
    not_voted: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """What was generated: row counts per table, the live votes, and how long it took."""

    path: str
    seed: int
    scale: Scale
    generator: str
    now: str
    counts: dict[str, int]
    outcomes: dict[str, int]
    open_votes: tuple[OpenVote, ...]
    seconds: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """The summary as stored beside a cached history."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        """Read back ``to_json``."""
        return cls(
            path=data["path"],
            seed=data["seed"],
            scale=Scale(**data["scale"]),
            generator=data["generator"],
            now=data["now"],
            counts=dict(data["counts"]),
            outcomes=dict(data["outcomes"]),
            open_votes=tuple(
                OpenVote(v["rfc"], v["state"], tuple(v["not_voted"])) for v in data["open_votes"]
            ),
            seconds=dict(data["seconds"]),
        )


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- text ------------------------------------------------------------------------------------

FIRST = _words(
    "Ada Bo Cyrus Dmitri Elena Farah Gwen Hiroshi Imani Jonas Kavya Liam Mei Nadia Omar Priya "
    "Quentin Rosa Sven Tomás Uma Viktor Wen Xiomara Yusuf Zoë Amara Björn Chiara Darius Eun-ji "
    "Femi Greta Hamid Ines Jakub Keiko Lars Maya Nikolai Olu Paulina Rafael Saanvi Teodor"
)
LAST = _words(
    "Lindqvist Chen Farahani Volkov Márquez Haddad Pritchard Tanaka Okoro Becker Raman O'Sullivan "
    "Wu Petrova Siddiqui Nair Dubois Álvarez Eriksen Kowalski Mensah Novak Park Rossi Schmidt "
    "Takahashi Ueda Varga Walker Yilmaz Zhang Adeyemi Brennan Castillo Dimitrov Esposito Fischer "
    "García Horvat Ivanova Jensen Kaur Laine Moreau Nguyen"
)
TOPICS = _words(
    "steering datasets training interop red-team community evaluation safety licensing "
    "infrastructure captioning tokenizers inference documentation release security privacy "
    "multilingual audio video robotics benchmarks fine-tuning alignment compute storage web design "
    "outreach education research metadata provenance accessibility localization tooling finance "
    "legal events mentorship diversity ethics hardware compilers kernels distillation quantization "
    "retrieval agents vision"
)
VERBS = _words(
    "Adopt Require Standardise Deprecate Publish Define Fund Replace Document Automate Review "
    "Pilot Extend Retire Clarify"
)
OBJECTS = (
    "dataset cards",
    "model cards",
    "the evaluation harness",
    "safetensors for every checkpoint",
    "a caption quality rubric",
    "the release checklist",
    "reproducible training configs",
    "a tokenizer test suite",
    "opt-out handling for crawled data",
    "licence scanning in CI",
    "the compute grant process",
    "mirror hosting for weights",
    "a security disclosure policy",
    "benchmark baselines",
    "the contributor guide",
    "metadata schema v2",
    "nightly builds",
    "a red-team rota",
    "the meeting schedule",
    "a deprecation window for APIs",
    "signed releases",
    "the code of conduct appeals process",
    "a data retention policy",
    "translation memory for docs",
)
ODD_TITLES = (
    "Use `|` as the field separator in *metadata* exports",
    "Escape <script> tags & [links](javascript:alert) in model cards",
    "Rename #general to #community, again?",
    "Allow @everyone pings in release announcements | yes/no",
    "Ship a **2.0** of the licence guide_",
)
SENTENCES = (
    "The current process grew by accident and nobody owns it end to end.",
    "Contributors keep asking the same questions in the channel, which tells us the docs are thin.",
    "We propose a small, reversible step rather than a rewrite.",
    "The cost is a few hours of maintainer time per release.",
    "Other open-model projects have done this for a year without trouble.",
    "Nothing here changes the licence of anything already released.",
    "The working group reviews the outcome after six months and may revert it.",
    "Datasets without provenance records would be flagged, not removed.",
    "The steering committee asked for this in its last quarterly report.",
    "Compute spent on failed runs is the largest avoidable cost we have.",
    "A checklist in the repository is easier to audit than a wiki page.",
    "People in every time zone must be able to take part asynchronously.",
    "The change is backwards compatible: old files keep loading.",
    "We measured the overhead on the reference cluster and it is under two percent.",
    "Reviewers get a template so that reviews look alike and are quicker to read.",
    "Security reports go to a private address and are answered within three days.",
)
CONCERNS = (
    "This needs a migration plan for the existing checkpoints first.",
    "The budget impact is not stated; please add numbers before we vote.",
    "I object until the privacy review has signed off.",
    "The wording would let a single maintainer block releases.",
    "We have not heard from the downstream projects this affects.",
)
OVERRIDES = (
    "Answered in the thread; the author has not replied for three weeks.",
    "The concern is out of this group's scope and is tracked by the steering committee.",
    "Covered by the revised text of section 2.",
)
CANCELS = (
    "Opened before the final text was agreed.",
    "The proposal was split in two; votes follow on each part.",
    "Wrong policy: this changes the charter.",
)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


# --- in-memory rows --------------------------------------------------------------------------


class Ref:
    """A row id known only once every row of its table is made, numbered in creation order."""

    __slots__ = ("id",)

    def __init__(self) -> None:
        self.id = 0


def _resolved(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.id if isinstance(v, Ref) else v) for k, v in row.items()}


@dataclass
class Person:
    """A registered person; ``id`` is final (people are made in order)."""

    id: int
    handle: str
    name: str
    github: str | None
    discord_id: str | None
    created_at: datetime


@dataclass
class Stint:
    """One membership row: a role in a group over a period."""

    person: int
    role: str
    since: datetime
    row: dict[str, Any]

    @property
    def until(self) -> datetime | None:
        """When it ended, if it has."""
        value: datetime | None = self.row["until"]
        return value


@dataclass
class Group:
    """A group and its roster over time."""

    id: int
    slug: str
    name: str
    kind: str
    membership: str
    size: int
    founded: datetime
    front: dict[str, Any]
    stints: list[Stint] = field(default_factory=list)
    current: dict[int, Stint] = field(default_factory=dict)

    def holders(self, at: datetime, roles: Sequence[str]) -> list[int]:
        """Ids of the people holding one of ``roles`` at ``at``."""
        return [
            s.person
            for s in self.stints
            if s.role in roles and s.since <= at and (s.until is None or at < s.until)
        ]


@dataclass
class Cast:
    """One ballot cast or changed."""

    at: datetime
    person: int
    choice: str
    binding: bool


@dataclass
class Proposal:
    """An RFC as planned before its lifecycle is played out."""

    number: int
    group: Group
    proposed: datetime
    fate: str  # decided, withdrawn, stale, discussion, open, paused
    author: int = 0
    row: dict[str, Any] = field(default_factory=dict)


Event = tuple[datetime, int, int, str, str, str, dict[str, Any]]
"""A ledger entry before numbering: at, priority, creation order, actor, action, subject,
payload. Roster changes have priority 0 so a vote opened at the same instant sees them."""


class History:
    """The simulation: people, groups, RFCs, votes, elections and the ledger, in memory."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.order = itertools.count()
        self.events: list[Event] = []
        self.rows: dict[str, list[tuple[datetime, int, dict[str, Any]]]] = {t: [] for t in TABLES}
        self.people: list[Person] = []
        self.joined: list[datetime] = []  # people's created_at, ascending
        self.groups: list[Group] = []
        self.foundation: dict[str, Any] = {}
        self.admins: list[str] = []
        self.files: dict[str, str] = {}  # charter file name -> sha256
        self.cast_so_far = 0
        self.outcomes: dict[str, int] = {}
        self.live: list[tuple[str, str, list[str]]] = []
        self.by_handle: dict[str, int] = {}

    # --- plumbing ----------------------------------------------------------------------------

    def between(self, start: datetime, end: datetime) -> datetime:
        """A uniform instant in [start, end), to the microsecond."""
        return start + (end - start) * self.rng.random()

    def span(self, shortest: timedelta, longest: timedelta) -> timedelta:
        """A uniform duration in [shortest, longest)."""
        return shortest + (longest - shortest) * self.rng.random()

    def record(
        self, at: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]
    ) -> None:
        """A ledger entry, as ``UnitOfWork.record`` would append it."""
        priority = 0 if action.startswith(("group.", "charters.", "person.")) else 1
        self.events.append((at, priority, next(self.order), actor, action, subject, payload))

    def add(self, table: str, at: datetime, row: dict[str, Any]) -> dict[str, Any]:
        """A row whose id will follow ``at`` (then creation order) within its table."""
        self.rows[table].append((at, next(self.order), row))
        return row

    def handle(self, person: int) -> str:
        """The handle of a person id."""
        return self.people[person - 1].handle

    def registered(self, at: datetime) -> int:
        """How many people are registered at ``at`` (ids 1..n)."""
        return bisect.bisect_right(self.joined, at)

    # --- people and charters -----------------------------------------------------------------

    def make_people(self) -> None:
        """Founders in people.yaml at the start; the rest added by an admin over the years."""
        count = self.scale.people
        founders = max(10, count // 5)
        later = sorted(self.between(START + DAY, NOW - 20 * DAY) for _ in range(count - founders))
        seen: set[str] = set()
        for index in range(count):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            base = f"{_ascii(first)}-{_ascii(last)}"
            handle, n = base, 1
            while handle in seen:
                n += 1
                handle = f"{base}-{n}"
            seen.add(handle)
            github = f"{handle}-gh" if self.rng.random() < 0.85 else None
            discord = f"1{self.rng.getrandbits(56):017d}"[:18] if self.rng.random() < 0.7 else None
            at = START if index < founders else later[index - founders]
            self.people.append(Person(index + 1, handle, f"{first} {last}", github, discord, at))
            self.joined.append(at)
        discord_ids = [p.discord_id for p in self.people if p.discord_id]
        assert len(set(discord_ids)) == len(discord_ids)
        self.by_handle = {p.handle: p.id for p in self.people}
        self.admins = [self.people[0].handle, self.people[1].handle]
        for who in self.people:
            self.add(
                "people",
                who.created_at,
                {
                    "id": who.id,
                    "handle": who.handle,
                    "name": who.name,
                    "github": who.github,
                    "discord_id": who.discord_id,
                    "created_at": who.created_at,
                },
            )
            if who.id > founders:
                self.record(
                    who.created_at,
                    self.rng.choice(self.admins),
                    "person.added",
                    who.handle,
                    {"name": who.name, "github": who.github},
                )
        people_yaml = [
            {"handle": p.handle, "name": p.name, "github": p.github, "discord_id": p.discord_id}
            for p in self.people[:founders]
        ]
        self.files["people.yaml"] = _sha(yaml.safe_dump({"people": people_yaml}))
        dumped = FoundationFile.model_validate(
            {
                "name": "Open Model Initiative",
                "description": "Openly licensed image and text models, built in the open.",
                "admins": self.admins,
                "docs": {"repo": "open-model-initiative/governance"},
                "labels": {"rfc": "rfc", "vote_open": "vote/open", "group_prefix": "wg/"},
                "policies": {
                    "default": {
                        "duration": "7d",
                        "min_duration": "72h",
                        "quorum": 0.5,
                        "pass": "majority",
                        "close_early": True,
                    },
                    "charter-change": {"duration": "14d", "quorum": 0.66, "pass": "supermajority"},
                    "election": {
                        "duration": "14d",
                        "min_duration": "7d",
                        "quorum": 0.5,
                        "close_early": False,
                    },
                    "personnel": {"duration": "10d", "secret": True, "close_early": False},
                },
            }
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        self.files["foundation.yaml"] = _sha(yaml.safe_dump(dumped))
        self.foundation = {
            "id": 1,
            "name": dumped["name"],
            "description": dumped.get("description", ""),
            "admins": dumped["admins"],
            "policies": dumped.get("policies", {}),
            "labels": dumped.get("labels", {}),
            "docs": dumped.get("docs", {}),
            "people_applied": {
                p["handle"]: {f: p[f] for f in ("name", "github", "discord_id")}
                for p in people_yaml
            },
        }

    def make_groups(self) -> None:
        """Groups founded by charter syncs: a quarter at the start, the others over six years.

        Ids follow the syncs, and within one sync the slugs' order, as ``sync_charters`` goes.
        """
        count = self.scale.groups
        at_start = max(1, count // 4)
        later = sorted(
            self.between(START + 30 * DAY, START + 6 * 365 * DAY) for _ in range(count - at_start)
        )
        cap = max(6, int(self.scale.people * 0.7))
        specs: list[tuple[datetime, str, dict[str, Any], int]] = []
        for index in range(count):
            slug = TOPICS[index % len(TOPICS)] + ("" if index < len(TOPICS) else f"-{index}")
            committee = index == 0 or self.rng.random() < 0.1
            size = min(cap, max(8, int(self.rng.lognormvariate(3.85, 0.5))))
            founded = START if index < at_start else later[index - at_start]
            name = slug.replace("-", " ").title() + (" Committee" if committee else " Group")
            front: dict[str, Any] = {
                "slug": slug,
                "name": name,
                "kind": "committee" if committee else "working-group",
                "membership": "approval" if committee or self.rng.random() < 0.4 else "open",
            }
            roll = self.rng.random()
            if roll < 0.2:
                front["policies"] = {"default": {"quorum": 0.6}}
            elif roll < 0.3:
                front["policies"] = {
                    "default": {"pass": "supermajority"},
                    "charter-change": {"duration": "21d", "quorum": 0.75},
                }
            if self.rng.random() < 0.6:
                front["discord"] = {
                    "channel": f"9{self.rng.getrandbits(56):017d}"[:18],
                    "role": f"4{self.rng.getrandbits(56):017d}"[:18],
                }
            if self.rng.random() < 0.6:
                front["github"] = {"team": f"{slug}-wg"}
            specs.append((founded, slug, front, size))
        specs.sort(key=lambda s: (s[0], s[1]))
        for number, (founded, slug, front, size) in enumerate(specs, start=1):
            self.groups.append(
                Group(
                    number,
                    slug,
                    front["name"],
                    front["kind"],
                    front["membership"],
                    size,
                    founded,
                    front,
                )
            )
        for founded, batch in itertools.groupby(self.groups, key=lambda g: g.founded):
            self.found(founded, list(batch), first=founded == START)

    def found(self, at: datetime, groups: list[Group], *, first: bool) -> None:
        """One charter sync founding ``groups`` with their rosters, as ``sync_charters`` does."""
        changes: list[dict[str, str]] = []
        for group in groups:
            pool = list(range(1, self.registered(at) + 1))
            self.rng.shuffle(pool)
            chairs = pool[: self.rng.choice((1, 1, 2))]
            members = pool[len(chairs) : len(chairs) + max(2, int(group.size * 0.3))]
            start = len(chairs) + len(members)
            observers = pool[start : start + self.rng.choice((0, 0, 1, 2))]
            founding = [(p, "chair") for p in chairs] + [(p, "member") for p in members]
            founding += [(p, "observer") for p in observers]
            roster = {
                role: sorted(self.handle(p) for p, r in founding if r == role)
                for role in (r.value for r in model.Role)
            }
            front = {
                **group.front,
                "chairs": roster["chair"],
                "members": roster["member"],
                "observers": roster["observer"],
                "emeritus": [],
            }
            charter = CharterFrontMatter.model_validate(front).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            body = _charter_body(group.name, self.rng)
            sha = _sha(f"---\n{yaml.safe_dump(charter, sort_keys=False)}---\n{body}")
            self.files[f"{group.slug}.md"] = sha
            self.add(
                "groups",
                at,
                {
                    "id": group.id,
                    "slug": group.slug,
                    "name": group.name,
                    "kind": group.kind,
                    "membership_policy": group.membership,
                    "charter": charter,
                    "body": body,
                    "charter_path": f"{group.slug}.md",
                    "charter_sha256": sha,
                    "created_at": at,
                    "updated_at": at,
                },
            )
            for person, role in sorted(founding, key=lambda f: self.handle(f[0])):
                self.start(group, person, role, at)
                changes.append({"group": group.slug, "person": self.handle(person), "role": role})
            self.add(
                "charter_revisions",
                at,
                {"group_id": group.id, "sha256": sha, "roster": roster, "applied_at": at},
            )
        digest = combine(self.files)
        self.foundation["charters_digest"] = digest
        self.foundation["synced_at"] = at
        self.record(
            at,
            SYSTEM,
            "charters.synced",
            "charters",
            {
                "digest": digest,
                "people_added": [p.handle for p in self.people if p.created_at == START]
                if first
                else [],
                "people_updated": [],
                "groups_founded": [g.slug for g in groups],
                "groups_revised": [],
                "roster_changes": changes,
                "conflicts": [],
            },
        )

    # --- rosters -----------------------------------------------------------------------------

    def start(self, group: Group, person: int, role: str, at: datetime) -> None:
        """End the person's current stint in the group, if any, and begin one in ``role``."""
        self.end(group, person, at)
        row = self.add(
            "memberships",
            at,
            {"group_id": group.id, "person_id": person, "role": role, "since": at, "until": None},
        )
        stint = Stint(person, role, at, row)
        group.stints.append(stint)
        group.current[person] = stint

    def end(self, group: Group, person: int, at: datetime) -> Stint | None:
        """End the person's current stint; returns it."""
        stint = group.current.pop(person, None)
        if stint is not None:
            stint.row["until"] = at
        return stint

    def simulate_roster(self, group: Group) -> None:
        """Joins, approvals, leaves, emeritus and chair rotations over the group's life."""
        years = (NOW - group.founded).days / 365.25
        queue: list[tuple[datetime, int, str, int]] = []
        plan = (
            ("join", round(group.size * 1.1)),
            ("leave", round(group.size * 0.35)),
            ("emeritus", round(group.size * 0.04)),
            ("rotate", int(years / 2.5)),
        )
        for kind, count in plan:
            for _ in range(count):
                at = self.between(group.founded + HOUR, NOW - HOUR)
                heapq.heappush(queue, (at, next(self.order), kind, 0))
        if group.membership == "approval":  # requests a chair has not answered yet
            for _ in range(self.rng.choice((0, 1, 2))):
                at = NOW - self.span(HOUR, 4 * DAY)
                heapq.heappush(queue, (at, next(self.order), "join", 0))
        pending: dict[int, tuple[int, dict[str, Any]]] = {}  # person -> (token, request row)
        while queue:
            at, token, kind, who = heapq.heappop(queue)
            chairs = [p for p, s in group.current.items() if s.role == "chair"]
            members = [p for p, s in group.current.items() if s.role == "member"]
            if kind == "join":
                self.join(group, at, token, pending, queue)
            elif kind == "approve":
                if who not in pending or pending[who][0] != token:
                    continue
                _, request = pending.pop(who)
                chair = self.rng.choice(chairs)
                request.update(state="approved", decided_at=at, decided_by_id=chair)
                self.start(group, who, "member", at)
                self.record(
                    at,
                    self.handle(chair),
                    "group.join-approved",
                    group.slug,
                    {"person": self.handle(who), "role": "member"},
                )
            elif kind == "leave":
                self.leave(group, at, chairs, pending)
            elif kind == "emeritus" and members:
                chair, person = self.rng.choice(chairs), self.rng.choice(members)
                self.set_role(group, at, chair, person, "emeritus")
            elif kind == "rotate" and members:
                self.set_role(group, at, self.rng.choice(chairs), self.rng.choice(members), "chair")
                old = self.rng.choice(chairs)
                heapq.heappush(queue, (at + self.span(MINUTE, HOUR), next(self.order), "down", old))
            elif kind == "down":
                stint = group.current.get(who)
                others = [c for c in chairs if c != who]
                if stint is not None and stint.role == "chair" and others:
                    self.set_role(group, at, self.rng.choice(others), who, "member")

    def join(
        self,
        group: Group,
        at: datetime,
        token: int,
        pending: dict[int, tuple[int, dict[str, Any]]],
        queue: list[tuple[datetime, int, str, int]],
    ) -> None:
        """Someone without a vote joins an open group, or asks to join an approval group."""
        known = self.registered(at)
        for _ in range(20):
            person = self.rng.randint(1, known)
            stint = group.current.get(person)
            if person not in pending and (stint is None or stint.role not in VOTING):
                break
        else:
            return
        handle = self.handle(person)
        if group.membership == "open":
            self.start(group, person, "member", at)
            self.record(
                at, handle, "group.joined", group.slug, {"person": handle, "role": "member"}
            )
            return
        request = self.add(
            "join_requests",
            at,
            {
                "group_id": group.id,
                "person_id": person,
                "state": "pending",
                "requested_at": at,
                "decided_at": None,
                "decided_by_id": None,
            },
        )
        pending[person] = (token, request)
        self.record(at, handle, "group.join-requested", group.slug, {"person": handle})
        decided = at + self.span(2 * HOUR, 5 * DAY)
        if decided < NOW - 5 * DAY:
            heapq.heappush(queue, (decided, token, "approve", person))

    def leave(
        self,
        group: Group,
        at: datetime,
        chairs: list[int],
        pending: dict[int, tuple[int, dict[str, Any]]],
    ) -> None:
        """Someone leaves, or a chair removes them; never the last chair.

        As ``leave_group``, leaving also withdraws a pending request to join.
        """
        leavers = [p for p, s in group.current.items() if s.role != "chair"]
        if len(chairs) > 1:
            leavers += chairs
        if not leavers:
            return
        person = self.rng.choice(leavers)
        stint = self.end(group, person, at)
        assert stint is not None
        if person in pending:
            _, request = pending.pop(person)
            request.update(state="withdrawn", decided_at=at)
        others = [c for c in chairs if c != person]
        actor = person if not others or self.rng.random() < 0.8 else self.rng.choice(others)
        self.record(
            at,
            self.handle(actor),
            "group.left",
            group.slug,
            {"person": self.handle(person), "role": stint.role},
        )

    def set_role(self, group: Group, at: datetime, chair: int, person: int, role: str) -> None:
        """A chair sets someone's role, as ``groups.set_role`` does."""
        previous = group.current[person].role
        self.start(group, person, role, at)
        self.record(
            at,
            self.handle(chair),
            "group.role-set",
            group.slug,
            {"person": self.handle(person), "role": role, "previous": previous},
        )

    def electorate(self, group: Group, at: datetime, voters: str = "members") -> list[str]:
        """Handles with a voting role at ``at``, sorted, as ``common.electorate`` freezes them."""
        roles = CHAIRS if voters == "chairs" else VOTING
        return sorted(self.handle(p) for p in group.holders(at, roles))

    # --- RFCs --------------------------------------------------------------------------------

    def plan_rfcs(self) -> list[Proposal]:
        """Every RFC's group, proposal time and fate, numbered in proposal order."""
        scale = self.scale
        live = scale.open_votes + 1
        recent = max(1, round(scale.rfcs * 0.015))
        historic = scale.rfcs - live - recent
        assert historic > 0, "the scale leaves no room for decided RFCs"
        plans: list[tuple[datetime, Group, str]] = []
        weights = [g.size for g in self.groups]
        for _ in range(historic):
            at = self.between(START + 2 * DAY, NOW - 75 * DAY)
            open_ = [(g, w) for g, w in zip(self.groups, weights, strict=True) if g.founded < at]
            group = self.rng.choices([g for g, _ in open_], [w for _, w in open_])[0]
            roll = self.rng.random()
            fate = "withdrawn" if roll < 0.05 else "stale" if roll < 0.07 else "decided"
            plans.append((at, group, fate))
        for index in range(live):
            at = self.between(NOW - 20 * DAY, NOW - 4 * DAY)
            fate = "paused" if index == 0 else "open"
            plans.append((at, self.rng.choices(self.groups, weights)[0], fate))
        for _ in range(recent):
            at = self.between(NOW - 30 * DAY, NOW - HOUR)
            plans.append((at, self.rng.choices(self.groups, weights)[0], "discussion"))
        plans.sort(key=lambda p: p[0])
        proposals = []
        for number, (at, group, fate) in enumerate(plans, start=1):
            proposal = Proposal(number, group, at, fate)
            proposal.author = self.rng.choice(group.holders(at, VOTING))
            if self.rng.random() < 0.02:
                title = self.rng.choice(ODD_TITLES)
            else:
                title = f"{self.rng.choice(VERBS)} {self.rng.choice(OBJECTS)}"
                if self.rng.random() < 0.3:
                    title += f" for {group.name}"
            proposal.row = self.add(
                "rfcs",
                at,
                {
                    "id": number,
                    "number": number,
                    "group_id": group.id,
                    "title": title,
                    "body": _rfc_body(title, self.rng),
                    "author_id": proposal.author,
                    "status": "discussion",
                    "created_at": at,
                    "updated_at": at,
                    "discord_thread_id": None,
                    "github_issue": None,
                },
            )
            self.record(
                at,
                self.handle(proposal.author),
                "rfc.proposed",
                rfc_label(number),
                {"group": group.slug, "title": title},
            )
            proposals.append(proposal)
        return proposals

    def raise_concern(
        self, proposal: Proposal, author: int, raised: datetime, *, vote_paused: bool
    ) -> tuple[Ref, dict[str, Any]]:
        """What ``rfcs.raise_concern`` writes: an open concern and its ledger entry."""
        ref = Ref()
        text = self.rng.choice(CONCERNS)
        row = self.add(
            "concerns",
            raised,
            {
                "id": ref,
                "rfc_id": proposal.number,
                "author_id": author,
                "text": text,
                "state": "open",
                "raised_at": raised,
                "resolved_at": None,
                "resolved_by_id": None,
                "reason": None,
            },
        )
        self.record(
            raised,
            self.handle(author),
            "concern.raised",
            rfc_label(proposal.number),
            {"concern_id": ref, "text": text, "vote_paused": vote_paused},
        )
        return ref, row

    def touch(self, proposal: Proposal, at: datetime, status: str | None = None) -> None:
        """The RFC row after a change at ``at``."""
        proposal.row["updated_at"] = at
        if status is not None:
            proposal.row["status"] = status

    def play(self, proposals: list[Proposal]) -> None:
        """Play out every RFC: decided ones first, sharing the ballot budget, then the live ones."""
        decided = [p for p in proposals if p.fate == "decided"]
        live = [p for p in proposals if p.fate in ("open", "paused")]
        expected = {
            p.number: len(p.group.holders(p.proposed, VOTING)) * MEAN_SHARE + MEAN_NON_BINDING
            for p in decided
        }
        remaining = sum(expected.values())
        reserve = sum(0.45 * len(p.group.holders(p.proposed, VOTING)) + 1 for p in live)
        target = self.scale.ballots - reserve
        for proposal in proposals:
            if proposal.fate == "withdrawn":
                settled = self.concerns(proposal, proposal.proposed, 0.05)
                at = settled + self.span(DAY, 20 * DAY)
                self.touch(proposal, at, "withdrawn")
                self.record(
                    at,
                    self.handle(proposal.author),
                    "rfc.withdrawn",
                    rfc_label(proposal.number),
                    {},
                )
            elif proposal.fate in ("stale", "discussion"):
                self.concerns(proposal, proposal.proposed + HOUR, 0.1, resolve=False)
        planned = 0.0  # ballots the decided votes so far were expected to take at their scale
        for proposal in self.rng.sample(decided, len(decided)):
            efficiency = self.cast_so_far / planned if planned else 1.0
            scale = (target - self.cast_so_far) / max(1.0, remaining * efficiency)
            scale = max(0.2, min(2.5, scale))
            self.decide(proposal, scale)
            remaining -= expected[proposal.number]
            planned += expected[proposal.number] * scale
        self.play_live(live)

    def concerns(
        self, proposal: Proposal, after: datetime, chance: float, *, resolve: bool = True
    ) -> datetime:
        """Perhaps a concern in discussion, resolved or overridden; returns when that settled."""
        if self.rng.random() >= chance:
            return after
        group = proposal.group
        raised = after + self.span(HOUR, 4 * DAY)
        if raised >= NOW - MINUTE:
            return after
        author = self.rng.choice(group.holders(raised, VOTING))
        ref, row = self.raise_concern(proposal, author, raised, vote_paused=False)
        label = rfc_label(proposal.number)
        if not resolve:
            return raised
        settled = raised + self.span(2 * HOUR, 4 * DAY)
        chairs = [c for c in group.holders(settled, CHAIRS) if c != author]
        if chairs and self.rng.random() < 0.3:
            by, state, reason = self.rng.choice(chairs), "overridden", self.rng.choice(OVERRIDES)
        else:
            by, state, reason = author, "resolved", None
        row.update(state=state, resolved_at=settled, resolved_by_id=by, reason=reason)
        self.record(
            settled,
            self.handle(by),
            f"concern.{state}",
            label,
            {"concern_id": ref, "reason": reason},
        )
        return settled

    def decide(self, proposal: Proposal, scale: float) -> None:
        """Discussion, then votes until one closes; a cancelled vote or a re-proposal goes again."""
        at = self.concerns(proposal, proposal.proposed, 0.08)
        for round_ in range(3):
            opened = at + self.span(2 * DAY, 21 * DAY)
            roll = self.rng.random()
            name = "personnel" if roll < 0.03 else "charter-change" if roll < 0.1 else "default"
            frozen = self.policy(proposal.group, name)
            if opened + frozen.duration >= NOW - HOUR:
                return
            cancel = round_ < 2 and self.rng.random() < 0.015
            outcome, at = self.vote(proposal, opened, name, frozen, scale, cancel=cancel)
            if outcome == rules.Outcome.CANCELLED:
                continue
            if outcome == rules.Outcome.PASSED or self.rng.random() >= 0.08 or round_ == 2:
                return
            again = self.repropose(proposal, at)
            if again is None:
                return
            at = again

    def repropose(self, proposal: Proposal, after: datetime) -> datetime | None:
        """The author brings the rejected RFC back, changed; None when too late in the history."""
        at = after + self.span(5 * DAY, 45 * DAY)
        if at >= NOW - 60 * DAY:
            return None
        row = proposal.row
        previous = {"title": row["title"], "body": row["body"]}
        row["title"] = (row["title"] + " (revised)")[:200]
        row["body"] = f"Revised after the vote closed on {iso(after)}.\n\n{row['body']}"
        self.touch(proposal, at, "discussion")
        self.record(
            at,
            self.handle(proposal.author),
            "rfc.reproposed",
            rfc_label(proposal.number),
            {"title": row["title"], "previous": previous},
        )
        return at

    def policy(self, group: Group, name: str) -> rules.Policy:
        """The policy a vote would freeze, resolved through the foundation's and group's layers."""
        return policies.resolve(
            name, self.foundation["policies"], group.front.get("policies", {}) or {}
        )

    def open_vote(
        self, proposal: Proposal, opened: datetime, name: str, frozen: rules.Policy
    ) -> tuple[dict[str, Any], list[str], int]:
        """The vote row and its ledger entry; returns the row, the electorate and the opener."""
        group = proposal.group
        electors = self.electorate(group, opened, frozen.voters)
        chair = self.rng.choice(group.holders(opened, CHAIRS))
        ref = Ref()
        closes_at = opened + frozen.duration
        frozen_dict = policies.policy_to_dict(frozen)
        row = self.add(
            "votes",
            opened,
            {
                "id": ref,
                "rfc_id": proposal.number,
                "group_id": group.id,
                "policy_name": name,
                "policy": frozen_dict,
                "electorate": electors,
                "state": "open",
                "opened_at": opened,
                "opened_by_id": chair,
                "closes_at": closes_at,
                "closed_at": None,
                "outcome": None,
                "reason": None,
                "result": None,
                "remaining_seconds": None,
            },
        )
        self.touch(proposal, opened, "voting")
        self.record(
            opened,
            self.handle(chair),
            "vote.opened",
            rfc_label(proposal.number),
            {
                "vote_id": ref,
                "policy_name": name,
                "policy": frozen_dict,
                "electorate": electors,
                "closes_at": iso(closes_at),
                "paused": False,
            },
        )
        return row, electors, chair

    def plan_casts(
        self,
        electors: list[str],
        opened: datetime,
        end: datetime,
        binding: int,
        non_binding: int,
    ) -> list[Cast]:
        """Who votes, when and how, with a few minds changed later; in time order."""
        ids = self.by_handle
        voters = self.rng.sample(electors, min(binding, len(electors)))
        others = self.outsiders(electors, opened, non_binding)
        mood = self.rng.random()
        weights = (
            (0.82, 0.1, 0.08)
            if mood < 0.7
            else (0.5, 0.42, 0.08)
            if mood < 0.93
            else (
                0.2,
                0.72,
                0.08,
            )
        )
        casts: list[Cast] = []
        span = end - opened
        people = [(ids[h], True) for h in voters] + [(p, False) for p in others]
        for person, is_binding in people:
            at = opened + span * (self.rng.random() ** 2)
            choice = self.rng.choices(CHOICE_NAMES, weights)[0]
            casts.append(Cast(at, person, choice, is_binding))
            if self.rng.random() < 0.08:
                later = at + (end - at) * self.rng.random()
                other = self.rng.choice([c for c in CHOICE_NAMES if c != choice])
                casts.append(Cast(later, person, other, is_binding))
        casts.sort(key=lambda c: c.at)
        return casts

    def vote(
        self,
        proposal: Proposal,
        opened: datetime,
        name: str,
        frozen: rules.Policy,
        scale: float,
        *,
        cancel: bool,
    ) -> tuple[str, datetime]:
        """One vote from opening to its close (or cancel); returns the outcome and its time."""
        row, electors, _ = self.open_vote(proposal, opened, name, frozen)
        usual = self.rng.random() < USUAL
        share = self.rng.uniform(*SHARE_USUAL) if usual else self.rng.uniform(*SHARE_LOW)
        binding = min(len(electors), round(len(electors) * share * scale))
        non_binding = self.rng.choices(*NON_BINDING)[0]
        closes_at = opened + frozen.duration
        casts = self.plan_casts(electors, opened, closes_at - MINUTE, binding, non_binding)
        label = rfc_label(proposal.number)
        if cancel:
            at = opened + self.span(HOUR, frozen.min_duration)
            taken = [c for c in casts if c.at < at]
            self.record_casts(row, label, frozen, taken)
            reason = self.rng.choice(CANCELS)
            row.update(
                state="cancelled", outcome="cancelled", reason=reason, closed_at=at, closes_at=None
            )
            self.touch(proposal, at, "discussion")
            self.record(
                at,
                self.handle(self.rng.choice(proposal.group.holders(at, CHAIRS))),
                "vote.cancelled",
                label,
                {"vote_id": row["id"], "reason": reason},
            )
            self.count_outcome("cancelled")
            return rules.Outcome.CANCELLED, at
        moment, taken_count = closing(frozen, len(electors), opened, casts)
        tally = self.record_casts(row, label, frozen, casts[:taken_count])
        self.close(proposal, row, tally, moment)
        return tally.outcome, moment

    def record_casts(
        self, row: dict[str, Any], label: str, frozen: rules.Policy, casts: list[Cast]
    ) -> rules.Tally:
        """Ballots, their history and their ledger entries; returns the tally they make."""
        ballots: dict[int, dict[str, Any]] = {}
        for cast in casts:
            ballot = ballots.get(cast.person)
            previous = None if ballot is None else ballot["choice"]
            receipt = f"{self.rng.getrandbits(256):064x}" if frozen.secret else None
            if ballot is None:
                ballot = self.add(
                    "ballots",
                    cast.at,
                    {"vote_id": row["id"], "person_id": cast.person, "binding": cast.binding},
                )
                ballots[cast.person] = ballot
            ballot.update(choice=cast.choice, cast_at=cast.at, receipt=receipt)
            self.add(
                "ballot_history",
                cast.at,
                {
                    "vote_id": row["id"],
                    "person_id": cast.person,
                    "choice": cast.choice,
                    "binding": cast.binding,
                    "cast_at": cast.at,
                },
            )
            payload: dict[str, Any] = {"vote_id": row["id"], "binding": cast.binding}
            if frozen.secret:
                payload["choice"] = "secret"
                payload["changed"] = previous is not None
            else:
                payload["choice"] = cast.choice
                payload["changed_from"] = previous
            if receipt:
                payload["receipt"] = receipt
            self.record(cast.at, self.handle(cast.person), "ballot.cast", label, payload)
        self.cast_so_far += len(ballots)
        counts = {c: 0 for c in CHOICE_NAMES}
        for ballot in ballots.values():
            if ballot["binding"]:
                counts[ballot["choice"]] += 1
        non_binding = sum(1 for b in ballots.values() if not b["binding"])
        return rules.count(
            frozen,
            len(row["electorate"]),
            counts["yes"],
            counts["no"],
            counts["abstain"],
            non_binding,
        )

    def close(
        self, proposal: Proposal, row: dict[str, Any], tally: rules.Tally, at: datetime
    ) -> None:
        """What ``rfcs.close_vote`` writes: the outcome, the result and the RFC's new status."""
        result = status.stored_result(tally)
        outcome = tally.outcome.value
        row.update(state="closed", outcome=outcome, closed_at=at, result=result)
        passed = tally.outcome == rules.Outcome.PASSED
        self.touch(proposal, at, "accepted" if passed else "rejected")
        self.record(
            at,
            SYSTEM,
            "vote.closed",
            rfc_label(proposal.number),
            {"vote_id": row["id"], "outcome": outcome, "closed_at": iso(at), **result},
        )
        self.count_outcome(outcome)

    def count_outcome(self, outcome: str) -> None:
        """Tally of outcomes, for the summary."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def play_live(self, live: list[Proposal]) -> None:
        """Votes open at ``NOW`` (one paused by a concern) take the rest of the ballot budget."""
        left = self.scale.ballots - self.cast_so_far
        assert left >= 0, "the decided votes took more ballots than the whole budget"
        opened_votes = []
        for proposal in live:
            paused = proposal.fate == "paused"
            ago = self.span(30 * HOUR, 60 * HOUR) if paused else self.span(2 * HOUR, 60 * HOUR)
            opened = max(NOW - ago, proposal.proposed + HOUR)
            frozen = self.policy(proposal.group, "default")
            assert opened + frozen.min_duration > NOW, "a live vote could have closed early"
            row, electors, _ = self.open_vote(proposal, opened, "default", frozen)
            opened_votes.append((proposal, opened, frozen, row, electors))
        sizes = [len(v[4]) for v in opened_votes]
        shares = [left * size // max(1, sum(sizes)) for size in sizes]
        shares[0] += left - sum(shares)
        for (proposal, opened, frozen, row, electors), share in zip(
            opened_votes, shares, strict=True
        ):
            binding = min(share, round(len(electors) * 0.8))
            casts = self.plan_casts(electors, opened, NOW - MINUTE, binding, share - binding)
            label = rfc_label(proposal.number)
            if proposal.fate == "paused":
                self.pause(proposal, row, electors, opened)
            voted = {c.person for c in casts}
            if len(voted) != share:
                raise RuntimeError(f"{label}: {len(voted)} voters for a share of {share} ballots")
            self.record_casts(row, label, frozen, casts)
            not_voted = [h for h in electors if self.by_handle[h] not in voted]
            self.live.append((label, row["state"], not_voted))

    def pause(
        self, proposal: Proposal, row: dict[str, Any], electors: list[str], opened: datetime
    ) -> None:
        """A concern raised during the vote pauses it: the clock stops, ``closes_at`` is null."""
        raised = self.between(max(opened + HOUR, NOW - 20 * HOUR), NOW - 2 * HOUR)
        author = self.by_handle[self.rng.choice(electors)]
        self.raise_concern(proposal, author, raised, vote_paused=True)
        closes_at: datetime = row["closes_at"]
        row.update(
            state="paused",
            closes_at=None,
            remaining_seconds=max(0, int((closes_at - raised).total_seconds())),
        )
        self.touch(proposal, raised, "paused")

    def outsiders(self, electors: list[str], at: datetime, count: int) -> list[int]:
        """``count`` people registered at ``at`` outside the electorate: non-binding voters."""
        inside = {self.by_handle[h] for h in electors}
        known = self.registered(at)
        chosen: list[int] = []
        for _ in range(count * 10):
            if len(chosen) == count:
                return chosen
            person = self.rng.randint(1, known)
            if person not in inside and person not in chosen:
                chosen.append(person)
        pool = [p for p in range(1, known + 1) if p not in inside and p not in chosen]
        return chosen + self.rng.sample(pool, count - len(chosen))

    # --- elections ---------------------------------------------------------------------------

    def make_elections(self) -> None:
        """Ranked-ballot elections over the years, closed at their deadline; one still open."""
        count = self.scale.elections
        plans: list[tuple[datetime, Group, bool]] = []
        weights = [g.size for g in self.groups]
        for _ in range(count * 50):
            if len(plans) >= count - 1:
                break
            at = self.between(START + 60 * DAY, NOW - 30 * DAY)
            group = self.rng.choices(self.groups, weights)[0]
            if group.founded < at and len(group.holders(at, VOTING)) >= 3:
                plans.append((at, group, False))
        if count:
            largest = max(self.groups, key=lambda g: len(g.holders(NOW, VOTING)))
            plans.append((NOW - self.span(HOUR, 3 * DAY), largest, True))
        plans.sort(key=lambda p: p[0])
        for number, (at, group, live) in enumerate(plans, start=1):
            self.election(number, at, group, live=live)

    def election(self, number: int, opened: datetime, group: Group, *, live: bool) -> None:
        """One election as ``open_election``, ``rank`` and ``close_election`` write it."""
        frozen = self.policy(group, "election")
        electors = self.electorate(group, opened, frozen.voters)
        chair = self.rng.choice(group.holders(opened, CHAIRS))
        pool = [self.handle(p) for p in group.holders(opened, VOTING)]
        candidates = self.rng.sample(pool, min(len(pool), self.rng.randint(2, 6)))
        seats = 1 if len(candidates) <= 3 else self.rng.randint(1, 2)
        title = f"{group.name} election"
        closes_at = opened + frozen.duration
        frozen_dict = policies.policy_to_dict(frozen)
        label = election_label(number)
        row = self.add(
            "elections",
            opened,
            {
                "id": number,
                "number": number,
                "title": title,
                "seats": seats,
                "candidates": candidates,
                "group_id": group.id,
                "policy_name": "election",
                "policy": frozen_dict,
                "electorate": electors,
                "state": "open",
                "opened_at": opened,
                "opened_by_id": chair,
                "closes_at": closes_at,
                "closed_at": None,
                "outcome": None,
                "reason": None,
                "result": None,
            },
        )
        self.record(
            opened,
            self.handle(chair),
            "election.opened",
            label,
            {
                "group": group.slug,
                "title": title,
                "seats": seats,
                "candidates": candidates,
                "policy_name": "election",
                "policy": frozen_dict,
                "electorate": electors,
                "closes_at": iso(closes_at),
            },
        )
        end = NOW - MINUTE if live else closes_at - MINUTE
        voters = self.rng.sample(electors, round(len(electors) * self.rng.uniform(0.4, 0.9)))
        casts = [(self.between(opened, end), self.by_handle[h], True) for h in voters]
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            person = self.rng.randint(1, self.registered(opened))
            if self.handle(person) not in electors and person not in {c[1] for c in casts}:
                casts.append((self.between(opened, end), person, False))
        changes = [
            (a + (end - a) * self.rng.random(), p, b)
            for a, p, b in casts
            if self.rng.random() < 0.1
        ]
        ballots: dict[int, dict[str, Any]] = {}
        for at, person, binding in sorted(casts + changes):
            tiers = self.ranking(candidates)
            ballot = ballots.get(person)
            previous = None if ballot is None else ballot["ranking"]
            if ballot is None:
                ballot = self.add(
                    "ranked_ballots",
                    at,
                    {"election_id": number, "person_id": person, "binding": binding},
                )
                ballots[person] = ballot
            ballot.update(ranking=tiers, cast_at=at)
            entry: dict[str, Any] = {"ranking": tiers, "binding": binding, "changed_from": previous}
            if frozen.secret:
                entry = {"ranking": "secret", "binding": binding, "changed": previous is not None}
            self.record(at, self.handle(person), "election.ranked", label, entry)
        if live:
            return
        binding_rankings = [b["ranking"] for b in ballots.values() if b["binding"]]
        count = rules.schulze(candidates, binding_rankings, seats)
        ranked = len(binding_rankings)
        tally = rules.count(frozen, len(electors), 0, 0, ranked, len(ballots) - ranked)
        if not tally.quorum_met:
            outcome = rules.Outcome.NO_QUORUM.value
        else:
            outcome = "tie" if count.tied else "elected"
        result = {
            "ranking": [list(t) for t in count.ranking],
            "winners": list(count.winners) if outcome != rules.Outcome.NO_QUORUM else [],
            "tied": list(count.tied) if outcome != rules.Outcome.NO_QUORUM else [],
            "ballots": tally.participation,
            "non_binding": tally.non_binding,
            "quorum_needed": tally.quorum_needed,
            "quorum_met": tally.quorum_met,
        }
        row.update(state="closed", outcome=outcome, closed_at=closes_at, result=result)
        self.record(
            closes_at,
            SYSTEM,
            "election.closed",
            label,
            {"outcome": outcome, "closed_at": iso(closes_at), **result},
        )
        self.count_outcome(f"election {outcome}")

    def ranking(self, candidates: list[str]) -> list[list[str]]:
        """A ranked ballot in tiers, sometimes with a tie or the last candidate left unranked."""
        order = self.rng.sample(candidates, len(candidates))
        if len(order) > 2 and self.rng.random() < 0.15:
            order = order[:-1]
        tiers = [[h] for h in order]
        if len(tiers) > 2 and self.rng.random() < 0.2:
            i = self.rng.randrange(len(tiers) - 1)
            tiers[i : i + 2] = [sorted(tiers[i] + tiers[i + 1])]
        return tiers

    # --- output ------------------------------------------------------------------------------

    def build(self) -> None:
        """Play out the whole history in memory."""
        self.make_people()
        self.make_groups()
        for group in self.groups:
            self.simulate_roster(group)
        self.play(self.plan_rfcs())
        self.make_elections()

    def finish(self) -> dict[str, list[dict[str, Any]]]:
        """Number every row in creation order and chain the ledger; returns rows by table."""
        tables: dict[str, list[dict[str, Any]]] = {}
        for table, rows in self.rows.items():
            rows.sort(key=lambda r: (r[0], r[1]))
            for number, (_, _, row) in enumerate(rows, start=1):
                ref = row.get("id")
                if isinstance(ref, Ref):
                    ref.id = number
                elif ref is None:
                    row["id"] = number
                elif ref != number:
                    raise AssertionError(f"{table} row {ref} is not the {number}th created")
        for table, rows in self.rows.items():
            tables[table] = [_resolved(row) for _, _, row in rows]
        self.events.sort(key=lambda e: (e[0], e[1], e[2]))
        entries: list[dict[str, Any]] = []
        prev = ledger.GENESIS
        for seq, (at, _, _, actor, action, subject, payload) in enumerate(self.events, start=1):
            text = ledger.canonical(_resolved(payload))
            digest = ledger.entry_hash(seq, at, actor, action, subject, text, prev)
            entries.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "subject": subject,
                    "payload": text,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        tables["ledger"] = entries
        first = entries[0]["at"]
        tables["foundation"] = [self.foundation]
        tables["outbox"] = [
            {
                "id": 1,
                "kind": "publish",
                "key": DOCS_KEY,
                "payload": {"since": iso(first)},
                "created_at": first,
                "attempts": 0,
                "next_attempt_at": None,
                "done_at": None,
                "last_error": None,
            }
        ]
        return tables


def closing(
    frozen: rules.Policy, electorate: int, opened: datetime, casts: list[Cast]
) -> tuple[datetime, int]:
    """When the vote closes and how many of the planned casts came before, by the services' rules.

    With ``close_early``, a cast at or after ``min_duration`` that settles the outcome closes the
    vote at once (``cast_ballot``); a vote already settled when ``min_duration`` ends closes then
    (``tick`` at its closing moment) and refuses later casts. Otherwise it closes at its deadline.
    """
    earliest = opened + frozen.min_duration
    deadline = opened + frozen.duration
    current: dict[int, Cast] = {}
    counts = {c: 0 for c in CHOICE_NAMES}
    non_binding = 0

    def settled() -> bool:
        tally = rules.count(
            frozen, electorate, counts["yes"], counts["no"], counts["abstain"], non_binding
        )
        return len(rules.reachable(frozen, tally)) == 1

    crossed = False
    for index, cast in enumerate(casts):
        if frozen.close_early and not crossed and cast.at >= earliest:
            crossed = True
            if settled():
                return earliest, index
        before = current.get(cast.person)
        if cast.binding:
            if before is not None:
                counts[before.choice] -= 1
            counts[cast.choice] += 1
        elif before is None:
            non_binding += 1
        current[cast.person] = cast
        if frozen.close_early and cast.at >= earliest and settled():
            return cast.at, index + 1
    if frozen.close_early and not crossed and settled():
        return earliest, len(casts)
    return deadline, len(casts)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _charter_body(name: str, rng: random.Random) -> str:
    mission = " ".join(rng.sample(SENTENCES, 3))
    scope = "\n".join(f"- {s}" for s in rng.sample(SENTENCES, 4))
    return (
        f"# {name}\n\n## Mission\n{mission}\n\n## Scope\n{scope}\n\n"
        f"## Deliverables\n{' '.join(rng.sample(SENTENCES, 2))}\n"
    )


def _rfc_body(title: str, rng: random.Random) -> str:
    parts = [f"## Summary\n\n{title}. {' '.join(rng.sample(SENTENCES, 2))}"]
    parts.append(f"## Motivation\n\n{' '.join(rng.sample(SENTENCES, rng.randint(2, 5)))}")
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(rng.sample(SENTENCES, 3), start=1))
    parts.append(f"## Proposal\n\n{steps}")
    if rng.random() < 0.5:
        parts.append(f"## Alternatives\n\n{' '.join(rng.sample(SENTENCES, 2))}")
    return "\n\n".join(parts) + "\n"


# --- writing ---------------------------------------------------------------------------------


def write(store: Store, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Every row in one transaction, table by table in foreign-key order, with executemany."""
    metadata = SQLModel.metadata
    with store.engine.begin() as connection:
        for name in TABLES:
            rows = tables.get(name, [])
            if rows:
                connection.execute(sa.insert(metadata.tables[name]), rows)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def counts(store: Store) -> dict[str, int]:
    """Rows per table."""
    with store.engine.connect() as connection:
        return {
            name: int(connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in TABLES
        }


def verify(store: Store) -> ledger.Verification:
    """Recompute the ledger's hash chain, as ``govbot ledger verify`` does."""
    with Session(store.engine) as session:
        return ledger.verify(ledger_entries(session))


def audit(store: Store, now: datetime = NOW) -> list[str]:
    """Problems that would show the history is not one the services could have written.

    Checked: the ledger's chain and time order; nothing left for ``tick`` at ``now``; every
    closed vote's stored result against a recount of its ballots under its frozen policy, and
    its closing moment against the early-close rule; no ballot after a close; every electorate
    against the roster at the vote's opening; each RFC's status against its latest vote; each
    ballot against its history; one current membership per person and group, a chair in each.
    """
    problems: list[str] = []
    with store.read() as uow:
        session = uow.session
        checked = ledger.verify(ledger_entries(session))
        if not checked.ok:
            problems.append(f"ledger broken at {checked.broken_at}: {checked.problem}")
        times = session.exec(select(model.LedgerEntry.at).order_by(col(model.LedgerEntry.seq)))
        previous = None
        for at in times:
            if previous is not None and at < previous:
                problems.append(f"ledger goes back in time at {iso(at)}")
                break
            previous = at
        due = [rfc_label(r.number) for _, r, _ in rfcs.due_votes(uow, now)]
        due += [election_label(e.number) for e, _ in elections.due_elections(uow, now)]
        if due:
            problems.append(f"due at {iso(now)} but not closed: {', '.join(due)}")
        problems += _audit_votes(session)
        problems += _audit_rosters(session)
    return problems


def _audit_votes(session: Session) -> list[str]:
    problems: list[str] = []
    handles = dict(session.exec(select(model.Person.id, model.Person.handle)).all())
    stints: dict[int, list[tuple[str, str, datetime, datetime | None]]] = {}
    for m in session.exec(select(model.Membership)):
        stints.setdefault(m.group_id, []).append((handles[m.person_id], m.role, m.since, m.until))
    ballots: dict[int, list[model.Ballot]] = {}
    for ballot in session.exec(select(model.Ballot)):
        ballots.setdefault(ballot.vote_id, []).append(ballot)
    last_cast: dict[tuple[int, int], model.BallotChange] = {}
    latest_change: dict[int, datetime] = {}
    for change in session.exec(select(model.BallotChange).order_by(col(model.BallotChange.id))):
        last_cast[(change.vote_id, change.person_id)] = change
        latest_change[change.vote_id] = max(
            change.cast_at, latest_change.get(change.vote_id, change.cast_at)
        )
    rfc_rows = {r.id: r for r in session.exec(select(model.Rfc))}
    latest: dict[int, model.Vote] = {}
    for vote in session.exec(select(model.Vote).order_by(col(model.Vote.id))):
        assert vote.id is not None and vote.rfc_id is not None
        label = f"{rfc_label(rfc_rows[vote.rfc_id].number)} vote {vote.id}"
        latest[vote.rfc_id] = vote
        frozen = policies.policy_from_dict(vote.policy)
        roles = CHAIRS if frozen.voters == "chairs" else VOTING
        electors = sorted(
            h
            for h, role, since, until in stints[vote.group_id]
            if role in roles
            and since <= vote.opened_at
            and (until is None or vote.opened_at < until)
        )
        if electors != vote.electorate:
            problems.append(f"{label}: electorate differs from the roster at its opening")
        mine = ballots.get(vote.id, [])
        for ballot in mine:
            change = last_cast[(vote.id, ballot.person_id)]
            if (change.choice, change.cast_at) != (ballot.choice, ballot.cast_at):
                problems.append(f"{label}: ballot of {ballot.person_id} differs from its history")
            if ballot.binding != (handles[ballot.person_id] in vote.electorate):
                problems.append(f"{label}: ballot of {ballot.person_id} has the wrong binding")
        if (
            vote.closed_at is not None
            and latest_change.get(vote.id, vote.closed_at) > vote.closed_at
        ):
            problems.append(f"{label}: a ballot was cast after it closed")
        if vote.state != model.VoteState.CLOSED:
            continue
        binding = [b.choice for b in mine if b.binding]
        tally = rules.count(
            frozen,
            len(vote.electorate),
            binding.count("yes"),
            binding.count("no"),
            binding.count("abstain"),
            len(mine) - len(binding),
        )
        counted = {k: getattr(tally, k) for k in (vote.result or {})}
        if counted != vote.result or tally.outcome != vote.outcome:
            problems.append(f"{label}: result {vote.result} but a recount gives {counted}")
        assert vote.closed_at is not None and vote.closes_at is not None
        settled = len(rules.reachable(frozen, tally)) == 1
        earliest = vote.opened_at + frozen.min_duration
        if vote.closed_at < vote.closes_at and not (
            frozen.close_early and settled and vote.closed_at >= earliest
        ):
            problems.append(f"{label}: closed early at {iso(vote.closed_at)} without cause")
        if vote.closed_at == vote.closes_at and frozen.close_early and settled:
            problems.append(f"{label}: settled but ran to its deadline")
    for rfc in rfc_rows.values():
        expected = _status(latest.get(rfc.id or 0), rfc)
        if rfc.status not in expected:
            problems.append(f"{rfc_label(rfc.number)} is {rfc.status}, expected {expected}")
    return problems


def _status(vote: model.Vote | None, rfc: model.Rfc) -> tuple[str, ...]:
    """The statuses an RFC may have after its latest vote."""
    if vote is None:
        return ("discussion", "withdrawn")
    if vote.state == model.VoteState.OPEN:
        return ("voting",)
    if vote.state == model.VoteState.PAUSED:
        return ("paused",)
    if vote.state == model.VoteState.CANCELLED:
        return ("discussion", "withdrawn")
    if vote.outcome == rules.Outcome.PASSED:
        return ("accepted",)
    return ("rejected",) if rfc.updated_at == vote.closed_at else ("rejected", "discussion")


def _audit_rosters(session: Session) -> list[str]:
    problems: list[str] = []
    current: dict[tuple[int, int], int] = {}
    chairs: set[int] = set()
    for m in session.exec(select(model.Membership).where(col(model.Membership.until).is_(None))):
        key = (m.group_id, m.person_id)
        current[key] = current.get(key, 0) + 1
        if m.role == model.Role.CHAIR:
            chairs.add(m.group_id)
    problems += [
        f"group {g} person {p}: {n} current memberships" for (g, p), n in current.items() if n > 1
    ]
    groups = set(session.exec(select(model.Group.id)).all())
    problems += [
        f"group {g} has no chair"
        for g in sorted(g for g in groups if g is not None)
        if g not in chairs
    ]
    return problems


def generate(path: Path, scale: Scale = FULL, seed: int = SEED) -> Summary:
    """Make the history in a fresh SQLite file at ``path`` (which must not exist yet)."""
    if path.exists():
        raise FileExistsError(f"{path} exists; generate into a new file")
    began = time.perf_counter()
    history = History(scale, seed)
    history.build()
    simulated = time.perf_counter()
    tables = history.finish()
    chained = time.perf_counter()
    store = Store.open(path)
    try:
        migrated = time.perf_counter()
        write(store, tables)
        written = time.perf_counter()
        rows = counts(store)
        with store.engine.connect() as connection:
            states = {
                str(state): int(number)
                for state, number in connection.exec_driver_sql(
                    "SELECT state, count(*) FROM votes GROUP BY state ORDER BY state"
                )
            }
    finally:
        store.close()
    return Summary(
        path=str(path),
        seed=seed,
        scale=scale,
        generator=GENERATOR,
        now=iso(NOW) or "",
        counts=rows,
        outcomes=dict(sorted(history.outcomes.items()))
        | {f"votes {k}": v for k, v in states.items()},
        open_votes=tuple(
            OpenVote(label, state, tuple(not_voted)) for label, state, not_voted in history.live
        ),
        seconds={
            "simulate": simulated - began,
            "ledger": chained - simulated,
            "migrate": migrated - chained,
            "write": written - migrated,
            "total": written - began,
        },
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the SQLite file to create")
    parser.add_argument("--smoke", action="store_true", help="the small scale of the smoke test")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument(
        "--verify", action="store_true", help="then audit it (ledger, votes, rosters)"
    )
    args = parser.parse_args(argv)
    summary = generate(args.path, SMOKE if args.smoke else FULL, args.seed)
    print(json.dumps(summary.to_json(), indent=2))
    if args.verify:
        store = Store.open(args.path)
        try:
            began = time.perf_counter()
            problems = audit(store)
            took = time.perf_counter() - began
        finally:
            store.close()
        print(f"audit: {len(problems)} problems ({took:.1f} s)")
        for problem in problems[:50]:
            print(f"  {problem}")


if __name__ == "__main__":
    main()
