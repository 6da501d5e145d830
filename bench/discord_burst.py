"""A burst of vote-button clicks through the fake Discord, against a minimal discord.py client.

    python3 bench/discord_burst.py [--members N] [--in-process] [--dir DIR] [--json]

1. Setup: ``bot.app.Service`` wired as ``govbot run`` wires it (the harness of
   ``tests/support/service.py``: real aiohttp on loopback, a real SQLite file, unmodified
   PyGithub against the fake GitHub, unmodified discord.py against the fake Discord of
   ``tests/fakes/discord.py`` with its default limits: 3 s to the first response, per-route
   buckets, 50 requests a second globally; the production docs debounce). The ``datasets`` group
   has the chair ``ada`` and N members ``m0000``..., every one on the fake server with the
   group's role and their Discord id in people.yaml; foundation.yaml names the fake's server and
   the group's charter its channel and role (as ``tests/support/discord.py`` writes them), and
   the group's policy cannot close during the run (``close_early: false``, 8 weeks). RFC-0001 is
   proposed and its vote opened through the Discord commands, as members do it: ``/rfc propose``
   and its modal, then ``/rfc vote``, both by the chair; govbot posts the vote message in the
   group's channel and in the RFC's thread.
2. Burst: each of the N members clicks one of Yes, No, Abstain (member i the i-th in turn) on
   the vote message in the channel. ``FakeDiscord.click`` dispatches INTERACTION_CREATE and
   returns at once, so one loop sends all N as fast as the fake dispatches them. Then the bench
   waits until every click has its final ephemeral answer ("... is recorded"), every ballot is in
   the record, and both vote messages show the ballots (the Discord worker edits the totals at
   most once every ``TOTALS_INTERVAL``, 5 s, so the last edit comes up to 5 s after the last
   ballot).
3. Floor: a minimal ``discord.Client`` (no database, no govbot) in govbot's process, on the same
   fake, connected only while govbot is not (once before the service starts, once after it
   stopped; the two runs are pooled), whose ``DynamicItem`` buttons, on a message of its own, do
   what govbot's do around the work: ``await interaction.response.defer(ephemeral=True,
   thinking=True)`` (the type 5 deferral govbot sends; without ``thinking`` a component's
   deferral is a type 6 update of the clicked message), then ``edit_original_response(content=
   "ok")``. The same N members click it the same way: what discord.py and the fake cost on this
   machine for the same clicks.

The fake Discord and the clicking run in a process of their own (``multiprocessing``, spawned),
as Discord is elsewhere in production and as ``bench/webhooks.py`` runs its clients, so the
fake's work (building, compressing and logging every frame and call) does not take govbot's
interpreter lock; both processes stamp times with ``time.monotonic``, one clock for the machine.
``--in-process`` keeps the fake in this process, as the e2e tests run it.

Reported: the acknowledgement latency (from the click's dispatch to the fake's receiving the
first response: ``Interaction.ack_latency``; a response after the deadline counts with its
latency) p50, p99 and max, in ms and as a share of Discord's 3 s, for govbot and the floor, and
govbot / floor; deadline misses (``fake.deadline_misses``), rate-limit responses
(``fake.rate_limited``) and 429s in the fake's call log, from the first click until the totals
show the ballots; edits of the totals (PATCH calls on each vote message, and
``DiscordEffects.totals_edits``); from the first click to the last final answer, to the last
ballot's ledger entry (ballots committed per second) and to the last totals edit; the docs
publications to GitHub meanwhile; and the machine's load average before the run. ``--json``
prints the same as one JSON object. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import discord
import yarl
from discord import ui

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord, Interaction
    from tests.fakes.github import FakeGitHub
    from tests.support.service import Running

REPO_ROOT = Path(__file__).resolve().parent.parent
DISCORD_LIMIT_S = 3.0  # Discord's deadline for the first response to an interaction
CHOICES = ("yes", "no", "abstain")
CHAIR = "ada"
GROUP = "datasets"
POLICY = "default: {duration: 8w, min_duration: 72h, close_early: false}\n"
WAIT_BASE_S = 60.0  # give up waiting for answers and effects after this ...
WAIT_PER_CLICK_S = 0.05  # ... plus this much per click
TOTALS_WAIT_S = 20.0  # the totals are edited at most every 5 s
VOTE_PREFIX = "govbot:vote:"
FLOOR_PREFIX = "floor:"
CHANNEL_PATCH = "PATCH /channels/{channel_id}/messages/{message_id}"


# --- the fake Discord's side: the members, in a process of their own ------------------------


def member(index: int, members: int) -> str:
    return f"m{index:0{max(4, len(str(members - 1)))}d}"


@dataclass
class Burst:
    """What the members saw of N clicks; stamps are ``time.monotonic``, durations seconds."""

    clicks: int
    first_click: float
    last_click: float
    acks: list[float]  # latency of every first response, in time or late, sorted
    unanswered: int  # clicks with no first response at all
    finals: dict[str, int]  # final answers by kind: recorded, ok, refused, error, none
    ephemeral: int  # final answers only the member sees
    last_final: float | None  # when the fake received the last final answer
    misses: int  # fake.deadline_misses during the burst: first responses refused as late
    rate_limited: int  # fake.rate_limited during the burst


def final_kind(text: str | None) -> str:
    if text is None:
        return "none"
    if "is recorded" in text:
        return "recorded"
    if text == "ok":
        return "ok"
    return "refused" if text.startswith("⛔") else "error"


def final_answers(calls: list[Any]) -> dict[str, float]:
    """Interaction token -> when the fake received its final answer (the deferral's message
    edited, or a first followup), from the call log."""
    out: dict[str, float] = {}
    for call in calls:
        if not 200 <= call.status < 300 or not call.path.startswith("/webhooks/"):
            continue
        parts = call.path.split("/")  # "", webhooks, app id, token[, messages, @original]
        editing = call.method == "PATCH" and call.path.endswith("/messages/@original")
        following = call.method == "POST" and len(parts) == 4
        if editing or following:
            out.setdefault(parts[3], call.at)
    return out


def modal_input(modal: dict[str, Any], label: str) -> str:
    """The custom id of the modal's text input whose label starts with ``label``."""
    for row in modal["components"]:
        for item in [row, *row.get("components", []), row.get("component") or {}]:
            if item.get("type") in (4, 18) and str(item.get("label", "")).startswith(label):
                inner = item if item.get("type") == 4 else item["component"]
                return str(inner["custom_id"])
    raise RuntimeError(f"no input labelled {label} in the modal")


class FakeSide:
    """The fake Discord with the test foundation's people and N members of ``datasets`` on its
    server, and what members do there. Every method takes and answers plain data, so the
    object can live in another process behind a ``multiprocessing`` proxy."""

    def __init__(self, members: int) -> None:
        from tests.fakes.discord import FakeDiscord
        from tests.support.discord import server

        self.fake: FakeDiscord = FakeDiscord().start()
        self.setup = server(self.fake)
        self.handles = [member(i, members) for i in range(members)]
        for handle in self.handles:
            self.setup.users[handle] = self.fake.add_member(
                handle, global_name=handle, roles=[self.setup.role]
            )

    def close(self) -> None:
        self.fake.stop()

    def world(self) -> dict[str, Any]:
        """What the charters, govbot's settings and the floor client need to know."""
        return {
            "api_url": self.fake.api_url,
            "gateway_url": self.fake.gateway_url,
            "guild_id": self.fake.guild_id,
            "general": self.fake.general_id,
            "channel": self.setup.channel,
            "role": self.setup.role,
            "users": dict(self.setup.users),
            "members": list(self.handles),
        }

    def propose(self, handle: str, title: str, summary: str, text: str) -> str:
        """``/rfc propose`` and its modal; the answer the author sees."""
        who = self.setup.as_(handle)
        form = who.slash("rfc propose", group=GROUP)
        if form.modal is None:
            raise RuntimeError(f"/rfc propose answered {form.response}")
        values = {
            modal_input(form.modal, "Title"): title,
            modal_input(form.modal, "Summary"): summary,
            modal_input(form.modal, "Text"): text,
        }
        return self.fake.submit(who.user, form, values).wait().wait_text("Proposed")

    def open_vote(self, handle: str, rfc: str) -> str:
        """``/rfc vote``; the answer the chair sees."""
        return self.setup.as_(handle).slash("rfc vote", rfc=rfc).wait_text("is open")

    def vote_messages(self) -> list[dict[str, Any]]:
        return self.setup.vote_messages()

    def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        return self.fake.message(channel_id, message_id)

    def counters(self) -> tuple[int, int, int]:
        """Deadline misses, rate-limit responses, and the calls logged so far."""
        return self.fake.deadline_misses, self.fake.rate_limited, len(self.fake.calls)

    def calls_since(self, index: int) -> list[tuple[str, str, str | None, int, float]]:
        """(method, path, route, status, at) of every REST call from ``index`` on."""
        return [(c.method, c.path, c.route, c.status, c.at) for c in self.fake.calls[index:]]

    def burst(self, message: dict[str, Any], prefix: str) -> dict[str, Any]:
        """Every member clicks the buttons of ``message`` whose custom ids start with
        ``prefix`` (member i the i-th choice in turn); waits for every final answer."""
        fake = self.fake
        misses, limited, calls_before = self.counters()
        ids: dict[str, str] = {}
        for row in message["components"]:
            for component in row["components"]:
                custom = str(component.get("custom_id", ""))
                if custom.startswith(prefix):
                    ids[custom.rsplit(":", 1)[1]] = custom
        order = [ids[choice] for choice in CHOICES]
        users = [self.setup.users[h] for h in self.handles]
        clicked = [fake.click(u, message, order[i % len(order)]) for i, u in enumerate(users)]
        texts = wait_finals(clicked, WAIT_BASE_S + WAIT_PER_CLICK_S * len(users))
        answered = final_answers(fake.calls[calls_before:])
        finals = [answered.get(i.token) for i in clicked]
        acks = sorted(x for x in (i.ack_latency for i in clicked) if x is not None)
        run = Burst(
            clicks=len(clicked),
            first_click=clicked[0].sent_at,
            last_click=clicked[-1].sent_at,
            acks=acks,
            unanswered=len(clicked) - len(acks),
            finals=dict(Counter(final_kind(t) for t in texts)),
            ephemeral=sum(1 for i, t in zip(clicked, texts, strict=True) if t and i.ephemeral),
            last_final=max((t for t in finals if t is not None), default=None),
            misses=fake.deadline_misses - misses,
            rate_limited=fake.rate_limited - limited,
        )
        return asdict(run)


def wait_finals(clicked: list[Interaction], timeout: float) -> list[str | None]:
    """The first text each member sees (a deferral shows none until its answer replaces it);
    None for a click refused as late or never answered."""
    deadline = time.monotonic() + timeout
    texts: list[str | None] = []
    for interaction in clicked:
        try:
            interaction.wait(max(0.1, deadline - time.monotonic()))
            if interaction.missed:  # the member saw "This interaction failed"
                texts.append(None)
                continue
            texts.append(interaction.wait_text("", max(0.1, deadline - time.monotonic())))
        except (TimeoutError, AssertionError):
            texts.append(None)
    return texts


class Sides(BaseManager):
    """Serves a ``FakeSide`` from a process of its own."""


Sides.register("FakeSide", FakeSide)


@contextmanager
def fake_side(members: int, *, in_process: bool) -> Iterator[FakeSide]:
    """The fake Discord's side, in a spawned process (or in this one)."""
    if in_process:
        local = FakeSide(members)
        try:
            yield local
        finally:
            local.close()
        return
    manager = Sides(ctx=multiprocessing.get_context("spawn"))
    manager.start()
    try:
        side = cast(FakeSide, manager.FakeSide(members))  # type: ignore[attr-defined]
        try:
            yield side
        finally:
            side.close()
    finally:
        manager.shutdown()


# --- the floor: discord.py and the fake, nothing else ---------------------------------------


class FloorButton(ui.DynamicItem[ui.Button[Any]], template=r"floor:(?P<choice>yes|no|abstain)"):
    """A button that defers as govbot's do and answers "ok" with nothing in between."""

    def __init__(self, choice: str) -> None:
        super().__init__(ui.Button(label=choice.title(), custom_id=f"{FLOOR_PREFIX}{choice}"))
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> FloorButton:
        return cls(match["choice"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="ok")


class FloorClient(discord.Client):
    """The least a bot with persistent buttons is: the guilds intent and its dynamic items."""

    def __init__(self) -> None:
        wanted = discord.Intents.none()
        wanted.guilds = True
        super().__init__(intents=wanted, allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FloorButton)


class FloorBot:
    """The floor client on an event loop of its own thread, as ``Running`` runs govbot's."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="floor", daemon=True)
        self.client: FloorClient | None = None
        self.gateway: asyncio.Task[None] | None = None

    def _call(self, work: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def _start(self) -> None:
        from tests.fakes.discord import TOKEN

        # the two class-level addresses, as bot.discord.client.point_at sets them
        discord.http.Route.BASE = self.world["api_url"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.world["gateway_url"])
        self.client = FloorClient()
        await self.client.login(TOKEN)
        self.gateway = asyncio.create_task(self.client.connect(reconnect=False))
        await asyncio.wait_for(self.client.wait_until_ready(), 30)

    async def _post(self, channel_id: str) -> str:
        assert self.client is not None
        view = ui.View(timeout=None)
        for choice in CHOICES:
            view.add_item(FloorButton(choice))
        channel = self.client.get_partial_messageable(
            int(channel_id), guild_id=int(self.world["guild_id"])
        )
        sent = await channel.send("Floor: click a button.", view=view)
        return str(sent.id)

    async def _stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.gateway is not None:
            with suppress(TimeoutError, asyncio.CancelledError, discord.DiscordException, OSError):
                await asyncio.wait_for(self.gateway, 10)

    def __enter__(self) -> FloorBot:
        self.thread.start()
        self._call(self._start())
        return self

    def post(self, channel_id: str) -> str:
        """A message with the three floor buttons; its id."""
        message_id: str = self._call(self._post(channel_id))
        return message_id

    def __exit__(self, *exc: object) -> None:
        try:
            self._call(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()


def floor_run(side: FakeSide, world: dict[str, Any]) -> Burst:
    """One floor burst: connect the floor client, post its buttons, click, disconnect."""
    with FloorBot(world) as floor:
        message_id = floor.post(world["general"])
        message = side.message(world["general"], message_id)
        return Burst(**side.burst(message, FLOOR_PREFIX))


# --- govbot: charters, the service, the RFC and its open vote -------------------------------


def write_world_charters(directory: Path, world: dict[str, Any]) -> Path:
    """The e2e foundation (docs to the fake GitHub, the fake's server) with N members in
    datasets, the group's channel and role, and everyone's Discord id."""
    from tests.conftest import PEOPLE, charter, write_charters
    from tests.support.service import DOCS_REPO

    handles: list[str] = world["members"]
    path = write_charters(
        directory, datasets=charter(GROUP, chairs=[CHAIR], members=handles, policies=POLICY)
    )
    foundation = path / "foundation.yaml"
    foundation.write_text(
        foundation.read_text()
        + f"docs: {{repo: {DOCS_REPO}}}\ngithub: {{close_accepted: true}}\n"
        + f'discord: {{guild: "{world["guild_id"]}"}}\n'
    )
    charter_file = path / f"{GROUP}.md"
    head, sep, rest = charter_file.read_text().partition("\n---\n")
    charter_file.write_text(
        head + f'\ndiscord: {{channel: "{world["channel"]}", role: "{world["role"]}"}}' + sep + rest
    )
    lines = ["people:"]
    for handle in [*PEOPLE, *handles]:
        lines.append(
            f"  - {{handle: {handle}, name: {handle.title()} Example, github: {handle}-gh, "
            f'discord_id: "{world["users"][handle]}"}}'
        )
    (path / "people.yaml").write_text("\n".join(lines) + "\n")
    return path


def wait_until(check: Callable[[], Any], timeout: float, every: float = 0.1) -> Any:
    """``check()`` once it is true, or its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def open_the_vote(
    running: Running, side: FakeSide, world: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """RFC-0001 proposed and its vote opened by the chair through the Discord commands; the
    vote messages in the channel and in the thread, and the vote's id."""
    from governance.services import rfcs

    side.propose(
        CHAIR,
        "Caption provenance",
        "Every caption records where it came from.",
        "## Motivation\n\nProvenance lets us honour licences.",
    )
    running.settle(60)
    side.open_vote(CHAIR, "RFC-0001")
    running.settle(60)
    posted = wait_until(lambda: len(side.vote_messages()) == 2 and side.vote_messages(), 30)
    if not posted:
        raise RuntimeError("govbot did not post the vote messages within 30 s")
    channel = next(m for m in posted if m["channel_id"] == world["channel"])
    thread = next(m for m in posted if m["channel_id"] != world["channel"])
    with running.store.read() as uow:
        shown = rfcs.vote_status(uow, "RFC-0001", running.clock())
    if shown.state != "open" or shown.electorate != len(world["members"]) + 1:
        raise RuntimeError(f"the vote is {shown.state} with {shown.electorate} electors")
    custom = channel["components"][0]["components"][0]["custom_id"]
    return channel, thread, int(custom.split(":")[2])


@dataclass
class Effects:
    """What the record and the vote messages show after the burst; stamps are monotonic."""

    ballots: int  # rows in ``ballots`` for the vote
    ballot_entries: int  # ``ballot.cast`` ledger entries since the burst began
    last_ballot: float | None  # the last of those entries' time
    tally: dict[str, int | None]  # counts are None only for a secret vote still open
    channel_edits: int  # PATCH 200s on the channel's vote message
    thread_edits: int  # the same on the thread's vote message
    last_edit: float | None  # the last of those edits
    totals_edits: int | None  # DiscordEffects.totals_edits
    totals_shown: bool  # both vote messages show every ballot of the record
    shown: str  # the channel message's totals at the end
    deadline_misses: int  # from the first click until the totals were shown
    rate_limited: int
    statuses_429: int  # 429 answers in the call log
    calls: int  # REST calls the fake received
    docs_commits: int  # docs publications to GitHub


def ballots_of(running: Running, vote_id: int) -> int:
    from sqlmodel import func, select

    from governance.model import Ballot

    with running.store.read() as uow:
        count = uow.session.exec(
            select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)
        ).one()
    return int(count)


def totals_field(message: dict[str, Any]) -> str:
    for one in (message.get("embeds") or [{}])[0].get("fields", []):
        if one.get("name") == "Totals":
            return str(one.get("value", ""))
    return ""


def totals_edits(running: Running) -> int | None:
    """``DiscordEffects.totals_edits`` of the running service's Discord worker, if any."""
    effects = getattr(running.service.discord_worker, "effects", None)
    count = getattr(effects, "totals_edits", None)
    return None if count is None else int(count)


def record_effects(
    running: Running,
    github: FakeGitHub,
    side: FakeSide,
    messages: tuple[dict[str, Any], dict[str, Any]],
    vote_id: int,
    burst: Burst,
    before: dict[str, Any],
) -> Effects:
    """Wait for the ballots and the totals; then read the record and the fake's call log."""
    from sqlmodel import col, select

    from governance.clock import as_utc
    from governance.model import LedgerEntry
    from governance.services import rfcs
    from tests.support.service import DOCS_REPO

    # every "recorded" answer follows its commit; a click refused as late cast nothing
    recorded = burst.finals.get("recorded", 0)
    wait_until(lambda: ballots_of(running, vote_id) >= recorded, WAIT_BASE_S)
    ballots = ballots_of(running, vote_id)
    voted = f"{ballots} of {burst.clicks + 1} electors voted"

    def shown_everywhere() -> bool:
        return all(voted in totals_field(side.message(m["channel_id"], m["id"])) for m in messages)

    totals_shown = bool(wait_until(shown_everywhere, TOTALS_WAIT_S, every=0.2))
    misses, limited, _ = side.counters()
    calls = side.calls_since(before["calls"])
    paths = [f"/channels/{m['channel_id']}/messages/{m['id']}" for m in messages]
    edits = [0, 0]
    last_edit = None
    for _method, path, route, code, at in calls:
        if route == CHANNEL_PATCH and path in paths and 200 <= code < 300:
            edits[paths.index(path)] += 1
            last_edit = at if last_edit is None else max(last_edit, at)
    edited = totals_edits(running)
    # ledger times are the service clock's (wall time here), mapped onto the monotonic clock
    offset = time.monotonic() - time.time()
    since = datetime.fromtimestamp(before["wall"], UTC).replace(tzinfo=None)
    with running.store.read() as uow:
        stamps = uow.session.exec(
            select(LedgerEntry.at).where(
                LedgerEntry.action == "ballot.cast", col(LedgerEntry.at) >= since
            )
        ).all()
        status = rfcs.vote_status(uow, "RFC-0001", running.clock())
    last_ballot = max(as_utc(at).timestamp() for at in stamps) + offset if stamps else None
    return Effects(
        ballots=ballots,
        ballot_entries=len(stamps),
        last_ballot=last_ballot,
        tally={
            "yes": status.yes,
            "no": status.no,
            "abstain": status.abstain,
            "electorate": status.electorate,
        },
        channel_edits=edits[0],
        thread_edits=edits[1],
        last_edit=last_edit,
        totals_edits=None if edited is None else edited - before["totals_edits"],
        totals_shown=totals_shown,
        shown=totals_field(side.message(messages[0]["channel_id"], messages[0]["id"])),
        deadline_misses=misses - before["misses"],
        rate_limited=limited - before["rate_limited"],
        statuses_429=sum(1 for call in calls if call[3] == 429),
        calls=len(calls),
        docs_commits=len(github.commits(DOCS_REPO)) - before["docs_commits"],
    )


def service_and_floor(
    work: Path, members: int, *, in_process: bool
) -> tuple[Burst, Effects, list[Burst]]:
    """A floor run; the service with the vote open, and the timed burst; a floor run again
    once the service has stopped."""
    from tests.fakes.discord import TOKEN
    from tests.fakes.github import FakeGitHub
    from tests.support.service import DOCS_REPO, REPO, Clock, Running, settings_for

    with FakeGitHub() as github, fake_side(members, in_process=in_process) as side:
        github.create_repo(REPO, {"README.md": "RFCs of the Open Model Initiative\n"})
        github.create_repo(DOCS_REPO, {"README.md": "governance\n"})
        world = side.world()
        floors = [floor_run(side, world)]
        charters = write_world_charters(work / "charters", world)
        # the production docs debounce (5 s, 60 s at most), not the tests' 0.05 s
        settings = settings_for(
            work,
            github,
            charters,
            GOVBOT_DOCS_DEBOUNCE="",
            GOVBOT_DOCS_MAX_DELAY="",
            GOVBOT_DISCORD_TOKEN=TOKEN,
            GOVBOT_DISCORD_API_URL=world["api_url"],
            GOVBOT_DISCORD_GATEWAY_URL=world["gateway_url"],
        )
        with Running(settings, Clock(github)) as running:
            channel, thread, vote_id = open_the_vote(running, side, world)
            running.settle(60)
            misses, limited, calls = side.counters()
            before = {
                "misses": misses,
                "rate_limited": limited,
                "calls": calls,
                "totals_edits": totals_edits(running) or 0,
                "wall": time.time(),
                "docs_commits": len(github.commits(DOCS_REPO)),
            }
            burst = Burst(**side.burst(channel, VOTE_PREFIX))
            effects = record_effects(
                running, github, side, (channel, thread), vote_id, burst, before
            )
        floors.append(floor_run(side, world))
    return burst, effects, floors


# --- figures --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: int) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[p - 1]


@dataclass
class Side:
    """One client's acknowledgements, pooled over its runs."""

    clicks: int
    acked: int  # clicks with a first response, in time or late
    p50_ms: float
    p99_ms: float
    max_ms: float
    p50_share: float  # of Discord's 3 s
    p99_share: float
    max_share: float
    misses: int  # first responses refused as late
    finals: dict[str, int]
    last_final_s: float | None  # from the first click to the last final answer (worst run)


def side_of(runs: list[Burst]) -> Side:
    acks = sorted(x for run in runs for x in run.acks)
    finals: Counter[str] = Counter()
    for run in runs:
        finals.update(run.finals)
    p50, p99 = percentile(acks, 50), percentile(acks, 99)
    top = acks[-1] if acks else float("nan")
    last = [r.last_final - r.first_click for r in runs if r.last_final is not None]
    return Side(
        clicks=sum(r.clicks for r in runs),
        acked=len(acks),
        p50_ms=1000 * p50,
        p99_ms=1000 * p99,
        max_ms=1000 * top,
        p50_share=p50 / DISCORD_LIMIT_S,
        p99_share=p99 / DISCORD_LIMIT_S,
        max_share=top / DISCORD_LIMIT_S,
        misses=sum(r.misses for r in runs),
        finals=dict(finals),
        last_final_s=max(last) if last and len(last) == len(runs) else None,
    )


@dataclass
class Figures:
    """Everything one run measured; ``*_s`` are seconds from the burst's first click."""

    members: int
    clicks: int
    choices: dict[str, int]
    fake: str  # "own process", or "this process" (``--in-process``)
    cpus: int
    load_before: float  # the 1-minute load average when the run began
    click_s: float  # from the first click's dispatch to the last's
    govbot: Side
    floor: Side
    floor_runs: list[Side]
    p50_ratio: float  # govbot / floor
    p99_ratio: float
    deadline_misses: int
    rate_limited: int
    statuses_429: int
    calls: int
    floor_rate_limited: int
    all_recorded: bool  # every click answered "recorded", ephemerally, and its ballot stored
    ephemeral: int
    last_answer_s: float | None
    last_ballot_s: float | None
    ballots_per_s: float | None  # ballots committed per second over last_ballot_s
    last_edit_s: float | None
    record: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def measure(members: int, work: Path, *, in_process: bool = False) -> Figures:
    load = os.getloadavg()[0]
    burst, effects, floors = service_and_floor(work, members, in_process=in_process)
    govbot, floor = side_of([burst]), side_of(floors)

    def since(at: float | None) -> float | None:
        return None if at is None else at - burst.first_click

    last_ballot_s = since(effects.last_ballot)
    record = asdict(effects)
    for moved in ("last_ballot", "last_edit", "deadline_misses", "rate_limited"):
        del record[moved]  # stamps meaningless outside the run, or reported at the top level
    for moved in ("statuses_429", "calls"):
        del record[moved]
    return Figures(
        members=members,
        clicks=burst.clicks,
        choices={c: len(range(i, burst.clicks, len(CHOICES))) for i, c in enumerate(CHOICES)},
        fake="this process" if in_process else "own process",
        cpus=os.cpu_count() or 0,
        load_before=round(load, 2),
        click_s=burst.last_click - burst.first_click,
        govbot=govbot,
        floor=floor,
        floor_runs=[side_of([f]) for f in floors],
        p50_ratio=govbot.p50_ms / floor.p50_ms if floor.p50_ms else float("nan"),
        p99_ratio=govbot.p99_ms / floor.p99_ms if floor.p99_ms else float("nan"),
        deadline_misses=effects.deadline_misses,
        rate_limited=effects.rate_limited,
        statuses_429=effects.statuses_429,
        calls=effects.calls,
        floor_rate_limited=sum(f.rate_limited for f in floors),
        all_recorded=(
            burst.finals == {"recorded": burst.clicks}
            and burst.ephemeral == burst.clicks
            and effects.ballots == effects.ballot_entries == burst.clicks
        ),
        ephemeral=burst.ephemeral,
        last_answer_s=since(burst.last_final),
        last_ballot_s=last_ballot_s,
        ballots_per_s=effects.ballot_entries / last_ballot_s if last_ballot_s else None,
        last_edit_s=since(effects.last_edit),
        record=record,
    )


def report(f: Figures) -> str:
    """The figures for people to read."""
    g, fl, r = f.govbot, f.floor, f.record
    choices = ", ".join(f"{n} {c}" for c, n in f.choices.items())
    lines = [
        f"{f.members} members, {f.members + 1} electors; {f.clicks} clicks on the channel's "
        f"vote message ({choices}), dispatched in {f.click_s:.2f} s",
        f"the fake Discord in {'its own process' if f.fake == 'own process' else 'this one'}; "
        f"{f.cpus} CPUs, load average {f.load_before:.2f} before the run",
        "",
        f"{'ack latency':<24}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'p50/3 s':>9}{'p99/3 s':>9}{'max/3 s':>9}  final answers",
        _row("govbot (defer, cast)", g),
        _row('floor (defer, "ok")', fl),
        f"{'govbot / floor':<24}{f.p50_ratio:>8.2f}x{f.p99_ratio:>8.2f}x",
        "floor runs              "
        + "; ".join(f"p50 {s.p50_ms:.1f} ms p99 {s.p99_ms:.1f} ms" for s in f.floor_runs)
        + " (before the service; after it stopped)",
        "",
        f"deadline misses: {f.deadline_misses}",
        f"rate-limit responses: {f.rate_limited}",
        f"429s seen: {f.statuses_429} (of {f.calls} REST calls; the floor runs got "
        f"{f.floor_rate_limited} rate-limit responses)",
        f"totals message edits: {r['channel_edits']} (and {r['thread_edits']} of the vote "
        f"message in the thread; DiscordEffects.totals_edits {_opt(r['totals_edits'])})",
        "",
        f"from the first click: last final answer {_secs(f.last_answer_s)}, last ballot "
        f"{_secs(f.last_ballot_s)}, last totals edit {_secs(f.last_edit_s)}",
        f"ballots committed per second: {_opt(f.ballots_per_s, '.1f')}",
        f"docs published to GitHub {r['docs_commits']} times meanwhile",
        f"record: {r['ballots']} ballots, {r['ballot_entries']} ballot.cast ledger entries; "
        f"tally yes {r['tally']['yes']} no {r['tally']['no']} abstain {r['tally']['abstain']} "
        f"of {r['tally']['electorate']} electors",
        f"totals shown: {r['shown'].splitlines()[-1] if r['shown'] else '-'} "
        f"({'on both vote messages' if r['totals_shown'] else 'NOT on both vote messages'})",
        f"all recorded: {'yes' if f.all_recorded else 'NO'}",
    ]
    return "\n".join(lines)


def _row(name: str, s: Side) -> str:
    finals = ", ".join(f"{n} {kind}" for kind, n in sorted(s.finals.items()))
    return (
        f"{name:<24}{s.p50_ms:>9.1f}{s.p99_ms:>9.1f}{s.max_ms:>9.1f}"
        f"{100 * s.p50_share:>8.1f}%{100 * s.p99_share:>8.1f}%{100 * s.max_share:>8.1f}%"
        f"  {finals}"
    )


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _opt(value: float | None, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members who click (1000)")
    parser.add_argument(
        "--in-process", action="store_true", help="the fake Discord in this process, as in e2e"
    )
    parser.add_argument("--dir", type=Path, help="where to make the temp dir (system temp)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.members < 1:
        parser.error("--members must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # the harness lives in tests/
    with tempfile.TemporaryDirectory(prefix="govbot-bench-", dir=args.dir) as temp:
        figures = measure(args.members, Path(temp), in_process=args.in_process)
    if args.json:
        print(json.dumps(figures.to_json(), indent=2))
    else:
        print(report(figures))


if __name__ == "__main__":
    main()
