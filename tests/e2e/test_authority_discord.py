"""Every Discord action as every standing, through unmodified discord.py against the fake Discord.

Slash commands, the proposal form, the vote buttons and the ranking menus are taken as each
standing, in one running govbot for the whole module. Each standing acts on a subject of its
own (its own RFC to withdraw or open a vote on, its own concerns, its own person to approve,
remove or change the role of, groups of their own for joining and leaving), so no case changes
what another finds. Allowed: the change happens (a ledger entry by the member, the table
changed; a ballot or ranking binds exactly when the declaration counts it). Refused: the
member's ephemeral answer names the rule, and the ledger and the table are as they were.

Discord has no strangers. A member of the foundation's server whom the registry does not know is
registered on their first action (``groups.register_member``) and is then judged as a registered
person; the declaration says so (``authority.REGISTERS_ON_FIRST_USE``). The stranger's row is
therefore taken, in every case, by a server member new to govbot: the test checks they were
registered (their Discord id recorded, one ``person.registered`` entry and nothing else when
refused) and then allowed or refused as the declaration says for a registered person.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from governance.authority import Action, FrontEnd, Standing
from governance.services import elections, groups, rfcs
from governance.services.common import rfc_label
from tests.conftest import FOUNDATION, PEOPLE, charter
from tests.e2e.test_discord_votes import _input
from tests.fakes.discord import FakeDiscord, Interaction
from tests.support.authority import PERSONAS, Persona, expected, missing
from tests.support.discord import discord_settings, eventually
from tests.support.service import Clock, Running, settings_for

DISCORD = FrontEnd.DISCORD
LAB = "lab"  # RFCs, concerns, votes and an election; no channel, so no thread for each RFC
VOTING = "voting"  # one RFC whose vote message, with its buttons, is in the group's channel
TARGETS = {p.handle: f"t-{p.handle}" for p in PERSONAS}  # whom each persona approves, removes...
"""The person each persona approves, removes or gives a new role to."""


@dataclass
class Hall:
    """The running govbot, the fake Discord, and the subjects each persona acts on."""

    running: Running
    fake: FakeDiscord
    users: dict[str, str]  # handle -> Discord user id
    channel: str
    withdraw: dict[str, str] = field(default_factory=dict)  # persona -> an RFC in discussion
    to_open: dict[str, str] = field(default_factory=dict)  # persona -> an RFC in discussion
    own_concern: dict[str, int] = field(default_factory=dict)  # persona -> a concern of cy's
    other_concern: dict[str, int] = field(default_factory=dict)  # persona -> a concern of fay's
    concerned: str = ""  # the RFC of those concerns
    ballots: str = ""  # the RFC voted on, in the channel
    blocked: str = ""  # an RFC being voted on, for concerns
    newcomers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """What a query reads in the record now."""
        with self.running.store.read() as uow:
            return [tuple(r) for r in uow.session.connection().exec_driver_sql(sql).fetchall()]

    def ledger_after(self, seq: int) -> list[tuple[int, str, str]]:
        """The entries after ``seq``: (seq, actor, action)."""
        return [
            (int(s), str(actor), str(action))
            for s, actor, action in self.rows(
                f"SELECT seq, actor, action FROM ledger WHERE seq > {seq} ORDER BY seq"
            )
        ]

    def head(self) -> tuple[int, str]:
        """The ledger's last entry: its number and hash."""
        found = self.rows("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        return (int(found[0][0]), str(found[0][1])) if found else (0, "")


@dataclass(frozen=True)
class Actor:
    """Who takes a case: a persona, or for the stranger a server member new to govbot."""

    persona: Persona
    handle: str  # the handle govbot knows them by (a newcomer's: from their username)
    user: str  # their Discord user id

    @property
    def stranger(self) -> bool:
        return self.persona.standing is Standing.STRANGER


def actor(hall: Hall, persona: Persona) -> Actor:
    """The persona as a Discord member; the stranger is someone who just joined the server."""
    if persona.standing is not Standing.STRANGER:
        return Actor(persona, persona.handle, hall.users[persona.handle])
    name = f"newcomer-{next(hall.newcomers)}"
    return Actor(persona, name, hall.fake.add_member(name, global_name=name.title()))


# --- the world ---------------------------------------------------------------------------------


def _charters(
    directory: Path, fake: FakeDiscord, users: dict[str, str], channel: str, role: str
) -> Path:
    """One group per kind of subject, each with every standing in it (but admin and registered)."""
    directory.mkdir(parents=True)
    (directory / "foundation.yaml").write_text(
        FOUNDATION + f'discord: {{guild: "{fake.guild_id}"}}\n'
    )
    people = ["people:"]
    for handle in PEOPLE:
        people.append(
            f"  - {{handle: {handle}, name: {handle.title()} Example, github: {handle}-gh, "
            f'discord_id: "{users[handle]}"}}'
        )
    people += [f"  - {{handle: {t}, name: {t.title()} Example}}" for t in TARGETS.values()]
    (directory / "people.yaml").write_text("\n".join(people) + "\n")
    roster = ["bo", "cy", "di", "fay", "gus"]
    specs = {
        LAB: ("open", roster),
        VOTING: ("open", roster),
        "joins": ("open", roster),
        "leaves": ("open", roster),
        "removals": ("open", [*roster, *TARGETS.values()]),
        "approvals": ("approval", roster),
        "roles": ("open", [*roster, *TARGETS.values()]),
    }
    for slug, (membership, members) in specs.items():
        text = charter(
            slug, membership=membership, chairs=["ada", "ed"], members=members, observers=["hal"]
        )
        if slug == VOTING:
            head, sep, rest = text.partition("\n---\n")
            text = head + f'\ndiscord: {{channel: "{channel}", role: "{role}"}}' + sep + rest
        (directory / f"{slug}.md").write_text(text)
    return directory


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    tmp = tmp_path_factory.mktemp("discord-authority")
    with FakeDiscord() as fake:
        clock = Clock(None, others=[fake])
        channel, role = fake.add_channel(VOTING), fake.add_role("Voting WG")
        users = {h: fake.add_member(h, global_name=h.title()) for h in PEOPLE}
        charters = _charters(tmp / "charters", fake, users, channel, role)
        # The docs are published once, at the stop: none of the cases waits for them.
        quiet = {"GOVBOT_DOCS_DEBOUNCE": "3600", "GOVBOT_DOCS_MAX_DELAY": "3600"}
        settings = settings_for(tmp, None, charters, **discord_settings(fake), **quiet)
        running = Running(settings, clock).start()
        try:
            yield _prepare(Hall(running, fake, users, channel), clock)
        finally:
            running.stop()
        # No member saw "This interaction failed" (a first answer after 3 s), and no call a 429.
        assert fake.deadline_misses == 0
        assert fake.rate_limited == 0


def _prepare(hall: Hall, clock: Clock) -> Hall:
    """The subjects, made through the services as their chairs and authors would."""

    def act(service: Callable[..., Any], who: str, command: object) -> Any:
        with hall.running.store.write() as uow:
            return service(uow, who, clock(), command)

    def rfc(group: str, title: str) -> str:
        return str(act(rfcs.propose_rfc, "cy", rfcs.ProposeRfc(group, title, "B")).rfc)

    everywhere = (LAB, VOTING, "joins", "leaves", "removals", "approvals", "roles")
    for slug in everywhere:
        act(groups.set_role, "ada", groups.SetRole(slug, "gus", "emeritus"))
    for target in TARGETS.values():
        act(groups.join_group, target, groups.JoinGroup("approvals"))
    hall.ballots, hall.blocked, hall.concerned = (
        rfc(VOTING, "Ballots"),
        rfc(LAB, "Blocked"),
        rfc(LAB, "Concerned"),
    )
    for p in PERSONAS:
        hall.withdraw[p.handle] = rfc(LAB, f"Withdrawn by {p.handle}?")
        hall.to_open[p.handle] = rfc(LAB, f"Voted on by {p.handle}?")
        for author, into in (("cy", hall.own_concern), ("fay", hall.other_concern)):
            raised = act(rfcs.raise_concern, author, rfcs.RaiseConcern(hall.concerned, "Unclear."))
            into[p.handle] = raised.concern_id
    for subject in (hall.ballots, hall.blocked):
        act(rfcs.open_vote, "ada", rfcs.OpenVote(subject))
    act(elections.open_election, "ada", elections.OpenElection(LAB, 1, ("bo", "cy"), "Seat"))
    for slug in everywhere:  # di was a member when the votes and the election opened
        act(groups.set_role, "ada", groups.SetRole(slug, "di", "observer"))
    hall.running.wake()
    eventually(lambda: vote_message(hall), what="the vote message with its buttons")
    return hall


def vote_message(hall: Hall) -> dict[str, Any]:
    """The message in the channel with the buttons of the vote on ``hall.ballots``."""
    return next(
        m
        for m in hall.fake.messages(hall.channel)
        if any(
            c.get("custom_id", "").startswith("govbot:vote:")
            for row in m.get("components", [])
            for c in row.get("components", [])
        )
    )


# --- what members do ---------------------------------------------------------------------------


def answer(interaction: Interaction) -> str:
    """The member's answer once govbot has acted: the first text after any deferral."""
    interaction.wait()
    text = interaction.wait_text("")
    assert interaction.ephemeral, f"a public answer: {text}"
    return text


def slash(hall: Hall, who: Actor, command: str, **options: Any) -> str:
    return answer(hall.fake.slash(who.user, command, **options))


def propose(hall: Hall, who: Actor) -> str:
    """``/rfc propose``: the form, filled and submitted."""
    form = hall.fake.slash(who.user, "rfc propose", group=LAB).wait()
    assert form.modal is not None, form.texts()
    values = {
        _input(form.modal, "Title"): f"By {who.handle}",
        _input(form.modal, "Summary"): "A proposal from Discord.",
    }
    return answer(hall.fake.submit(who.user, form, values))


def click(hall: Hall, who: Actor) -> str:
    """The vote message's *No* button."""
    message = vote_message(hall)
    custom = next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("custom_id", "").endswith(":no")
    )
    return answer(hall.fake.click(who.user, message, custom))


def rank_with_menus(hall: Hall, who: Actor) -> str:
    """``/election rank`` without a ranking: cy first in the menu, then *Submit ranking*."""
    menus = hall.fake.slash(who.user, "election rank", election="E-0001").wait()
    message = menus.message
    assert message is not None and menus.ephemeral, menus.texts()
    chosen = hall.fake.select(who.user, message, "govbot:rank:1", ["cy"]).wait()
    return answer(hall.fake.click(who.user, chosen.message or message, "govbot:rank:submit"))


Step = Callable[[Hall, Actor], str]

MEMBERSHIPS = ("SELECT * FROM memberships", "SELECT * FROM join_requests")
RFCS = "SELECT id, number, group_id, title, body, author_id, status FROM rfcs"
VOTES = "SELECT id, rfc_id, state, closes_at, remaining_seconds FROM votes"
CONCERNS = "SELECT * FROM concerns"
BALLOTS = ("SELECT * FROM ballots", "SELECT * FROM ballot_history")
RANKINGS = ("SELECT * FROM ranked_ballots",)
BALLOT_BINDS = (
    "SELECT b.binding FROM ballots b JOIN people p ON p.id = b.person_id JOIN votes v "
    "ON v.id = b.vote_id JOIN rfcs r ON r.id = v.rfc_id WHERE p.handle = :who AND r.number = 1"
)
RANKING_BINDS = (
    "SELECT r.binding FROM ranked_ballots r JOIN people p ON p.id = r.person_id "
    "WHERE p.handle = :who AND r.election_id = 1"
)


@dataclass(frozen=True)
class Case:
    """One way Discord offers an action, and the rows a refusal must leave as they were."""

    action: Action
    how: str
    step: Step
    state: tuple[str, ...]
    authored: bool = False
    electoral: bool = False
    gate: Action | None = None
    """The rule that decides this way of taking the action, when not the action's own."""
    rules: tuple[Action, ...] = ()
    """The rules a refusal may name (the action's own by default)."""
    binding: str = ""
    """For a ballot or ranking: the query of the member's ``binding`` flag (``:who``)."""


CASES: tuple[Case, ...] = (
    Case(
        Action.START_LINK,
        "/link github",
        lambda h, a: slash(h, a, "link github", login=f"{a.handle}-new"),
        ("SELECT * FROM link_codes",),
    ),
    Case(Action.JOIN, "/wg join", lambda h, a: slash(h, a, "wg join", group="joins"), MEMBERSHIPS),
    Case(
        Action.LEAVE, "/wg leave", lambda h, a: slash(h, a, "wg leave", group="leaves"), MEMBERSHIPS
    ),
    Case(
        Action.REMOVE_MEMBER,
        "/wg leave member:",
        lambda h, a: slash(h, a, "wg leave", group="removals", member=TARGETS[a.persona.handle]),
        MEMBERSHIPS,
    ),
    Case(
        Action.APPROVE_JOIN,
        "/wg approve",
        lambda h, a: slash(h, a, "wg approve", group="approvals", member=TARGETS[a.persona.handle]),
        MEMBERSHIPS,
    ),
    Case(
        Action.SET_ROLE,
        "/wg role",
        lambda h, a: slash(
            h, a, "wg role", group="roles", member=TARGETS[a.persona.handle], role="observer"
        ),
        MEMBERSHIPS,
    ),
    Case(Action.PROPOSE_RFC, "/rfc propose and its form", propose, (RFCS,)),
    Case(
        Action.WITHDRAW_RFC,
        "/rfc withdraw",
        lambda h, a: slash(h, a, "rfc withdraw", rfc=h.withdraw[a.persona.handle]),
        (RFCS,),
        authored=True,
    ),
    Case(
        Action.RAISE_CONCERN,
        "/rfc concern",
        lambda h, a: slash(h, a, "rfc concern", rfc=h.blocked, text=f"Unclear to {a.handle}."),
        (CONCERNS, VOTES),
        electoral=True,
    ),
    Case(
        Action.RESOLVE_CONCERN,
        "/rfc resolve",
        lambda h, a: slash(
            h, a, "rfc resolve", rfc=h.concerned, concern=h.own_concern[a.persona.handle]
        ),
        (CONCERNS,),
        authored=True,
        rules=(Action.RESOLVE_CONCERN, Action.OVERRIDE_CONCERN),
    ),
    Case(
        Action.OVERRIDE_CONCERN,
        "/rfc resolve reason:",
        lambda h, a: slash(
            h,
            a,
            "rfc resolve",
            rfc=h.concerned,
            concern=h.other_concern[a.persona.handle],
            reason="Settled in the text.",
        ),
        (CONCERNS,),
    ),
    Case(
        Action.OPEN_VOTE,
        "/rfc vote",
        lambda h, a: slash(h, a, "rfc vote", rfc=h.to_open[a.persona.handle]),
        (VOTES, RFCS),
    ),
    Case(
        Action.CAST_BALLOT,
        "/vote cast",
        lambda h, a: slash(h, a, "vote cast", rfc=h.ballots, choice="yes"),
        BALLOTS,
        electoral=True,
        binding=BALLOT_BINDS,
    ),
    Case(
        Action.CAST_BALLOT,
        "a vote button",
        click,
        BALLOTS,
        electoral=True,
        # The buttons cast binding ballots only: anyone else is sent to /vote cast.
        gate=Action.BINDING_BALLOT,
        binding=BALLOT_BINDS,
    ),
    Case(
        Action.OPEN_ELECTION,
        "/election open",
        lambda h, a: slash(h, a, "election open", group=LAB, candidates="bo, cy", title="Seat"),
        ("SELECT id, number, state FROM elections",),
    ),
    Case(
        Action.RANK,
        "/election rank ranking:",
        lambda h, a: slash(h, a, "election rank", election="E-0001", ranking="bo,cy"),
        RANKINGS,
        electoral=True,
        binding=RANKING_BINDS,
    ),
    Case(
        Action.RANK,
        "/election rank menus",
        rank_with_menus,
        RANKINGS,
        electoral=True,
        binding=RANKING_BINDS,
    ),
)


READS = {"govbot help", "wg list", "wg info", "rfc show", "rfc list", "vote status"}
"""The slash commands that only read the record: no rule applies to them."""


def command_of(case: Case) -> str | None:
    """The slash command a case runs (``/wg leave member:`` -> ``wg leave``); None for a button."""
    return " ".join(case.how.removeprefix("/").split()[:2]) if case.how.startswith("/") else None


def test_every_discord_action_has_a_case() -> None:
    assert missing(DISCORD, [c.action for c in CASES]) == set(), "add a Discord case for these"


def test_every_slash_command_is_a_case_or_a_read(hall: Hall) -> None:
    """The other way round: a command govbot registers is in the declaration, or only reads."""
    registered = {
        f"{command['name']} {sub['name']}"
        for command in hall.fake.commands
        for sub in command.get("options", [])
        if sub.get("type") == 1
    }
    assert registered == {command_of(c) for c in CASES if command_of(c)} | READS


def test_every_standing_on_discord(hall: Hall) -> None:
    assert rfc_label(1) == hall.ballots  # the ballots queries above read RFC 1's vote
    for case in CASES:
        for persona in PERSONAS:
            _take(hall, case, persona)


def _take(hall: Hall, case: Case, persona: Persona) -> None:
    who = actor(hall, persona)
    seq, head = hall.head()
    before = [hall.rows(sql) for sql in case.state]
    said = case.step(hall, who)
    after = [hall.rows(sql) for sql in case.state]
    entries = hall.ledger_after(seq)
    gate = case.gate or case.action
    allowed = expected(
        gate, persona, authored=case.authored, electoral=case.electoral, front=DISCORD
    )
    where = f"{case.how} ({case.action}) as {persona.standing} ({who.handle}): {said}"
    registered = [(who.handle, "person.registered")] if who.stranger else []
    if who.stranger:  # registered on first use, then judged as registered
        known = hall.rows(f"SELECT handle FROM people WHERE discord_id = '{who.user}'")
        assert known == [(who.handle,)], where
        assert [(a, act) for _, a, act in entries[:1]] == registered, where
    if allowed:
        assert not said.startswith("⛔"), where
        done = [(a, act) for _, a, act in entries[len(registered) :]]
        assert done and all(a == who.handle for a, _ in done), where
        assert after != before, where
        if case.binding:
            counts = expected(
                Action.BINDING_BALLOT, persona, electoral=case.electoral, front=DISCORD
            )
            flag = hall.rows(case.binding.replace(":who", f"'{who.handle}'"))
            assert flag and bool(flag[0][0]) is counts, where
    else:
        assert said.startswith("⛔"), where
        assert any(f"(rule {r})" in said for r in case.rules or (gate,)), where
        assert [(a, act) for _, a, act in entries] == registered, where
        if not who.stranger:
            assert hall.head() == (seq, head), where
        assert after == before, where
