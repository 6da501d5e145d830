"""What Discord shows of the record: RFC threads, vote messages, outcomes, reminders, roles.

As for GitHub, two durable steps:

1. ``follow`` reads the ledger after its checkpoint and queues Discord operations in the outbox
   in the same transaction that moves the checkpoint, so what the console or GitHub changes
   reaches Discord too. On the first start with Discord it begins at the ledger's head.
2. ``DiscordWorker`` performs them in order with discord.py, on the service's event loop.

A vote's live totals are ONE outbox row per vote, re-armed by every ballot: however many members
click, the worker edits the vote's messages at most once every ``TOTALS_INTERVAL``, with the
totals as they are then, and skips an edit that would show nothing new. That is what keeps a
burst of clicks far from Discord's rate limits.

Messages posted are remembered in ``discord_posts`` right after Discord answers; a crash in
between can post a message twice on retry (a duplicate, never a loss).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from sqlmodel import col, select

from bot import following
from bot.discord import messages, roles
from bot.discord.views import vote_view
from governance import policy as policies
from governance.clock import as_utc, iso, utcnow
from governance.errors import NotFound
from governance.model import (
    DiscordPost,
    Group,
    LedgerEntry,
    OutboxItem,
    Person,
    Vote,
)
from governance.publish.outbox import backoff
from governance.refs import rfc_label
from governance.services import common, rfcs
from governance.status import VoteStatus
from governance.store import Store, UnitOfWork
from governance.worker import Worker

log = logging.getLogger(__name__)

CHECKPOINT = "discord:ledger"
OUTBOX_KIND = "discord"
BATCH = 500
ERROR_MAX = 500
TOTALS_INTERVAL = timedelta(seconds=5)
"""The shortest time between two edits of a vote's totals (Discord allows about 5 per 5 s)."""
TOTALS_ACTIONS = frozenset(
    {"ballot.cast", "concern.raised", "concern.resolved", "concern.overridden"}
)
ROLE_ACTIONS = frozenset({"group.joined", "group.left", "group.role-set", "group.join-approved"})
ACTIONS = frozenset(
    {
        "rfc.proposed",
        "rfc.reproposed",
        "vote.opened",
        "vote.closed",
        "vote.cancelled",
        "vote.reminded",
        "person.linked",
        "person.registered",
        "charters.synced",
    }
    | TOTALS_ACTIONS
    | ROLE_ACTIONS
)


# --- 1. the ledger, as Discord operations ----------------------------------------------------


def follow(store: Store, *, batch: int = BATCH) -> int:
    """Queue the Discord operations of new ledger entries; returns how many entries it read."""
    if following.caught_up(store, CHECKPOINT):
        return 0
    with store.write() as uow:
        read = follow_in(uow, batch=batch)
        uow.commit()
        return read


def follow_in(uow: UnitOfWork, *, batch: int = BATCH) -> int:
    """``follow`` in an open transaction; the first call starts at the ledger's head."""
    point, entries = following.entries_after(uow, CHECKPOINT, batch=batch)
    if point is None or not entries:
        return 0
    for entry in entries:
        if entry.action not in ACTIONS:
            continue
        assert entry.seq is not None
        for index, op in enumerate(operations(uow, entry)):
            if op["op"] == "totals":
                _rearm(uow, entry, op)
            else:
                uow.emit(entry.at, OUTBOX_KIND, f"discord:ledger:{entry.seq}:{index}", op)
    following.advance(uow, point, entries)
    return len(entries)


def _rearm(uow: UnitOfWork, entry: LedgerEntry, op: dict[str, Any]) -> None:
    """One totals row per vote: queued again, with the entry that changed it."""
    key = f"discord:totals:{op['vote']}"
    op = {**op, "seq": entry.seq}
    item = uow.session.exec(select(OutboxItem).where(OutboxItem.key == key)).first()
    if item is None:
        uow.emit(entry.at, OUTBOX_KIND, key, op)
        return
    item.payload = op
    if item.done_at is not None:
        item.done_at = None
        item.attempts = 0
        item.last_error = None
        item.next_attempt_at = None
    uow.session.add(item)


def operations(uow: UnitOfWork, entry: LedgerEntry) -> list[dict[str, Any]]:
    """The Discord operations one ledger entry calls for."""
    action, subject = entry.action, entry.subject
    payload = json.loads(entry.payload)
    if action in ("rfc.proposed", "rfc.reproposed"):
        return [{"op": "thread", "rfc": subject}]
    if action in ROLE_ACTIONS:
        return [{"op": "role", "group": subject, "handle": str(payload.get("person"))}]
    if action in ("person.linked", "person.registered"):
        return [{"op": "role", "group": None, "handle": subject}]
    if action == "charters.synced":  # person by person; a whole sync is the console's, dry first
        changes = [
            {"op": "role", "group": c.get("group"), "handle": c.get("person")}
            for c in payload.get("roster_changes") or []
        ]
        updated = [
            {"op": "role", "group": None, "handle": h} for h in payload.get("people_updated") or []
        ]
        return changes + updated
    vote_id = payload.get("vote_id") or payload.get("vote")
    if vote_id is None and subject.startswith("RFC-"):
        try:
            vote = rfcs.latest_vote(uow, common.rfc(uow, subject))
        except NotFound:  # an RFC gone from the record: nothing to show
            return []
        vote_id = None if vote is None else vote.id
    if vote_id is None:
        return []
    if action == "vote.opened":
        return [{"op": "vote-post", "rfc": subject, "vote": vote_id}]
    if action in ("vote.closed", "vote.cancelled"):
        return [{"op": "vote-closed", "rfc": subject, "vote": vote_id}]
    if action == "vote.reminded":
        return [{"op": "remind", "rfc": subject, "vote": vote_id}]
    return [{"op": "totals", "rfc": subject, "vote": vote_id}]


# --- 2. performing them ----------------------------------------------------------------------


class Permanent(Exception):
    """Discord refused for good (a missing permission, an unknown channel): give up, log."""


class Later(Exception):
    """Not now: the vote's totals were edited less than ``TOTALS_INTERVAL`` ago."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"postponed until {iso(at)}")
        self.at = at


@dataclass(frozen=True)
class Place:
    """Where an RFC is shown on Discord."""

    rfc: str
    title: str
    group: str
    channel: str | None
    thread: str | None
    author: str
    author_discord: str | None


@dataclass
class Pass:
    """What one pass did, and when the next is due."""

    done: int = 0
    error: str | None = None
    next_at: datetime | None = None


def _place(uow: UnitOfWork, label: str) -> Place:
    rfc = common.rfc(uow, label)
    group = uow.session.get(Group, rfc.group_id)
    assert group is not None
    links = group.charter.get("discord") or {}
    author = common.person_by_id(uow, rfc.author_id)
    return Place(
        rfc_label(rfc.number),
        rfc.title,
        group.slug,
        links.get("channel"),
        rfc.discord_thread_id,
        author.handle,
        author.discord_id,
    )


def _post(uow: UnitOfWork, key: str) -> DiscordPost | None:
    return uow.session.exec(select(DiscordPost).where(DiscordPost.key == key)).first()


class DiscordEffects:
    """Performs one operation against Discord with the running client."""

    def __init__(
        self, store: Store, client: discord.Client, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.guild_id: int | None = getattr(client, "guild_id", None)
        self.totals_edits = 0  # edits of live totals, for the benchmark and the log

    async def _read(self, query: Callable[[UnitOfWork], Any]) -> Any:
        def run() -> Any:
            with self.store.read() as uow:
                return query(uow)

        return await asyncio.to_thread(run)

    async def _write(self, work: Callable[[UnitOfWork], Any]) -> Any:
        def run() -> Any:
            with self.store.write() as uow:
                result = work(uow)
                uow.commit()
                return result

        return await asyncio.to_thread(run)

    async def _remember(self, key: str, channel: str, message: discord.Message, shown: str) -> None:
        now = self.clock()

        def add(uow: UnitOfWork) -> None:
            uow.session.add(
                DiscordPost(
                    key=key,
                    channel_id=channel,
                    message_id=str(message.id),
                    created_at=now,
                    edited_at=now,
                    shown=shown,
                )
            )

        await self._write(add)

    async def _find(self, key: str) -> DiscordPost | None:
        """The message posted under ``key``, if any."""
        found: DiscordPost | None = await self._read(lambda uow: _post(uow, key))
        return found

    def _channel(self, channel_id: str) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel_id), guild_id=self.guild_id)

    async def perform(self, op: dict[str, Any]) -> str:
        """Carry out ``op``; returns what was done, for the log."""
        kind = op["op"]
        if kind == "thread":
            return await self._thread(op["rfc"])
        if kind == "vote-post":
            return await self._vote_post(op["rfc"], int(op["vote"]))
        if kind == "totals":
            return await self._totals(op["rfc"], int(op["vote"]))
        if kind == "vote-closed":
            return await self._vote_closed(op["rfc"], int(op["vote"]))
        if kind == "remind":
            return await self._remind(op["rfc"], int(op["vote"]))
        if kind == "role":
            return await self._role(op.get("group"), op["handle"])
        raise Permanent(f"unknown operation {kind}")

    # --- threads ---------------------------------------------------------------------------

    async def _thread(self, label: str) -> str:
        place: Place = await self._read(lambda uow: _place(uow, label))
        if place.thread is not None:
            return f"{label} already has its thread"
        if place.channel is None:
            return f"{label}: the {place.group} charter names no Discord channel; no thread"
        key = f"rfc:{label}:starter"
        starter: DiscordPost | None = await self._find(key)
        channel = self._channel(place.channel)
        if starter is None:
            author = f"<@{place.author_discord}>" if place.author_discord else place.author
            text = messages.cut(
                f"📄 **{place.rfc}: {messages.quiet(place.title)}**, proposed by {author} to "
                f"{place.group}. Discuss it in this thread; a chair opens the vote with "
                f"`/rfc vote rfc:{place.rfc}`.",
                messages.CONTENT_MAX,
            )
            sent = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            await self._remember(key, place.channel, sent, "")
            message_id = sent.id
        else:
            message_id = int(starter.message_id)
        name = messages.cut(f"{place.rfc}: {place.title}", messages.THREAD_NAME_MAX)
        try:
            thread = await channel.get_partial_message(message_id).create_thread(
                name=name, auto_archive_duration=10080
            )
            thread_id = str(thread.id)
        except discord.HTTPException as error:
            if error.code != 160004:  # "A thread has already been created for this message"
                raise
            thread_id = str(message_id)  # a thread started from a message shares its id
        now = self.clock()

        def link(uow: UnitOfWork) -> None:
            last = uow.head()[1]
            moment = now if last is None else max(now, as_utc(last))
            rfcs.link_thread(uow, common.SYSTEM, moment, rfcs.LinkThread(label, thread_id))

        await self._write(link)
        return f"{label}: thread {thread_id} opened in {place.channel}"

    # --- votes -----------------------------------------------------------------------------

    async def _vote_state(self, label: str, vote_id: int) -> tuple[Place, VoteStatus]:
        now = self.clock()

        def read(uow: UnitOfWork) -> tuple[Place, VoteStatus]:
            place = _place(uow, label)
            vote = uow.session.get(Vote, vote_id)
            rfc = common.rfc(uow, label)
            assert vote is not None
            return place, rfcs.vote_view(uow, rfc, vote, now)

        result: tuple[Place, VoteStatus] = await self._read(read)
        return result

    def _vote_message(self, place: Place, status: VoteStatus, vote_id: int) -> dict[str, Any]:
        closed = status.state not in ("open", "paused")
        return {
            "embed": messages.vote_embed(status, place.title),
            "view": vote_view(vote_id, closed=closed),
        }

    def _shown(self, status: VoteStatus) -> str:
        return messages.digest(
            {
                "state": status.state,
                "outcome": status.outcome,
                "totals": messages.totals(status),
                "closes": status.closes_at,
            }
        )

    async def _post_once(
        self, targets: list[tuple[str, str | None]], shown: str, **message: Any
    ) -> list[str]:
        """Post ``message`` where each key has no post yet; returns the channels posted in."""
        posted = []
        for key, channel_id in targets:
            if channel_id is None or await self._find(key) is not None:
                continue
            sent = await self._channel(channel_id).send(**message)
            await self._remember(key, channel_id, sent, shown)
            posted.append(channel_id)
        return posted

    async def _vote_post(self, label: str, vote_id: int) -> str:
        place, status = await self._vote_state(label, vote_id)
        targets = [(f"vote:{vote_id}", place.channel), (f"vote:{vote_id}:thread", place.thread)]
        posted = await self._post_once(
            targets, self._shown(status), **self._vote_message(place, status, vote_id)
        )
        if not posted:
            return f"{label}: vote message already posted, or no channel"
        return f"{label}: vote message posted in {', '.join(posted)}"

    async def _posts_of(self, vote_id: int) -> list[DiscordPost]:
        keys = (f"vote:{vote_id}", f"vote:{vote_id}:thread")
        found: list[DiscordPost] = await self._read(
            lambda uow: list(
                uow.session.exec(select(DiscordPost).where(col(DiscordPost.key).in_(keys)))
            )
        )
        return found

    async def _edit_posts(self, place: Place, status: VoteStatus, vote_id: int) -> int:
        shown = self._shown(status)
        edited = 0
        for post in await self._posts_of(vote_id):
            if post.shown == shown:
                continue
            message = self._channel(post.channel_id).get_partial_message(int(post.message_id))
            await message.edit(**self._vote_message(place, status, vote_id))

            at = self.clock()

            def mark(uow: UnitOfWork, post_id: int | None = post.id, at: datetime = at) -> None:
                row = uow.session.get(DiscordPost, post_id)
                assert row is not None
                row.shown, row.edited_at = shown, at
                uow.session.add(row)

            await self._write(mark)
            edited += 1
        return edited

    async def _totals(self, label: str, vote_id: int) -> str:
        posts = await self._posts_of(vote_id)
        if not posts:
            return f"{label}: no vote message to edit"
        last = max((as_utc(p.edited_at) for p in posts if p.edited_at is not None), default=None)
        if last is not None and self.clock() < last + TOTALS_INTERVAL:
            raise Later(last + TOTALS_INTERVAL)
        place, status = await self._vote_state(label, vote_id)
        edited = await self._edit_posts(place, status, vote_id)
        self.totals_edits += edited
        return f"{label}: totals edited on {edited} message(s)"

    async def _vote_closed(self, label: str, vote_id: int) -> str:
        place, status = await self._vote_state(label, vote_id)
        await self._edit_posts(place, status, vote_id)
        text = messages.outcome_text(status, place.title)
        targets = [
            (f"vote:{vote_id}:outcome", place.channel),
            (f"vote:{vote_id}:outcome:thread", place.thread),
        ]
        await self._post_once(
            targets, "", content=text, allowed_mentions=discord.AllowedMentions.none()
        )
        return f"{label}: outcome {status.outcome} posted"

    async def _remind(self, label: str, vote_id: int) -> str:
        def read(uow: UnitOfWork) -> tuple[Place, list[Person], bool, str | None]:
            vote = uow.session.get(Vote, vote_id)
            assert vote is not None
            secret = policies.policy_from_dict(vote.policy).secret
            closes = iso(vote.closes_at)
            return _place(uow, label), rfcs.waiting_electors(uow, vote), secret, closes

        place, waiting, secret, closes = await self._read(read)
        if not waiting:
            return f"{label}: every elector has voted; no reminder"
        reachable = [p for p in waiting if p.discord_id]
        head = (
            f"⏰ The vote on **{place.rfc}: {messages.quiet(place.title)}** closes "
            f"{messages.when(closes)}."
        )
        if secret:  # who has not voted is not shown to others: each is told privately
            sent, closed = 0, []
            for person in reachable:
                key = f"remind:{vote_id}:{person.handle}"
                if await self._find(key) is not None:
                    continue
                dm = await self.client.create_dm(discord.Object(int(person.discord_id or 0)))
                try:
                    message = await dm.send(
                        f"{head} You have not voted yet; use the buttons under the vote message, "
                        f"or `/vote cast rfc:{place.rfc}`."
                    )
                except discord.Forbidden:  # DMs closed to the bot: the others are still told
                    closed.append(person.handle)
                    continue
                await self._remember(key, str(dm.id), message, "")
                sent += 1
            if closed:
                log.info("%s: no reminder for %s (DMs closed)", label, ", ".join(closed))
            return f"{label}: reminded {sent} elector(s) privately"
        where = place.thread or place.channel
        if where is None:
            return f"{label}: no channel to remind in"
        key = f"remind:{vote_id}"
        if await self._find(key) is not None:
            return f"{label}: already reminded"
        mentions = [f"<@{p.discord_id}>" for p in reachable]
        others = [p.handle for p in waiting if not p.discord_id]
        items = mentions + others
        parts = messages.chunks(head + " Not voted yet:", items)
        first: discord.Message | None = None
        for part in parts:
            message = await self._channel(where).send(
                part,
                allowed_mentions=discord.AllowedMentions(users=True, roles=False, everyone=False),
            )
            first = first or message
        assert first is not None
        await self._remember(key, where, first, "")
        return f"{label}: reminded {len(waiting)} elector(s) in {where}"

    # --- roles -----------------------------------------------------------------------------

    async def _role(self, group: str | None, handle: str) -> str:
        if self.guild_id is None:
            return "no Discord server configured"
        wanted: list[roles.Wanted] = await self._read(
            lambda uow: roles.wanted_for(uow, handle, group)
        )
        changed = []
        for want in wanted:
            try:
                if want.member:
                    await self.client.http.add_role(
                        self.guild_id, int(want.discord_id), int(want.role), reason=want.reason
                    )
                else:
                    await self.client.http.remove_role(
                        self.guild_id, int(want.discord_id), int(want.role), reason=want.reason
                    )
            except discord.NotFound:  # not on the server (yet): nothing to mirror
                continue
            changed.append(f"{'+' if want.member else '-'}{want.group}")
        return f"roles of {handle}: {' '.join(changed) or 'nothing to change'}"


async def perform_due(
    store: Store, effects: DiscordEffects, now: datetime, *, limit: int = 100
) -> Pass:
    """Follow the ledger, then perform due operations in order; postponed ones wait aside."""
    await asyncio.to_thread(follow, store)
    result = Pass()
    later: set[int] = set()
    while result.done < limit:
        item = await asyncio.to_thread(_next_due, store, now, later)
        if item is None:
            return result
        if item.next_attempt_at is not None and as_utc(item.next_attempt_at) > now:
            result.next_at = _earliest(result.next_at, as_utc(item.next_attempt_at))
            if item.payload.get("op") == "totals":
                later.add(item.id or 0)
                continue
            return result
        op = dict(item.payload)
        try:
            done = await effects.perform(op)
        except Later as wait:
            await asyncio.to_thread(_postpone, store, item.id, wait.at)
            later.add(item.id or 0)
            result.next_at = _earliest(result.next_at, wait.at)
            continue
        except Permanent as error:
            log.warning("discord operation %s given up: %s", item.key, error)
            await asyncio.to_thread(_complete, store, item.id, now, f"gave up: {error}", op)
        except discord.HTTPException as error:
            if error.status >= 500 or error.status == 429:
                return await _failed(store, item.id, now, _describe(error), result)
            log.warning("discord operation %s refused for good: %s", item.key, _describe(error))
            await asyncio.to_thread(_complete, store, item.id, now, _describe(error), op)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return await _failed(store, item.id, now, f"{type(error).__name__}: {error}", result)
        else:
            await asyncio.to_thread(_complete, store, item.id, now, None, op)
            log.info("discord: %s", done)
        result.done += 1
    result.next_at = now
    return result


def _describe(error: discord.HTTPException) -> str:
    return f"{error.status} {error.text or error.__class__.__name__} (code {error.code})"


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _next_due(store: Store, now: datetime, skip: set[int]) -> OutboxItem | None:
    with store.read() as uow:
        query = select(OutboxItem).where(
            OutboxItem.kind == OUTBOX_KIND, col(OutboxItem.done_at).is_(None)
        )
        if skip:
            query = query.where(col(OutboxItem.id).not_in(skip))
        found: OutboxItem | None = uow.session.exec(
            query.order_by(col(OutboxItem.id)).limit(1)
        ).first()
        return found


def _postpone(store: Store, item_id: int | None, at: datetime) -> None:
    with store.write() as uow:
        item = uow.session.get(OutboxItem, item_id)
        assert item is not None
        item.next_attempt_at = at
        uow.session.add(item)
        uow.commit()


def _complete(
    store: Store, item_id: int | None, now: datetime, error: str | None, op: dict[str, Any]
) -> None:
    """Done, unless a totals row was re-armed by a newer ballot meanwhile."""
    with store.write() as uow:
        item = uow.session.get(OutboxItem, item_id)
        assert item is not None
        if op.get("op") == "totals" and item.payload.get("seq") != op.get("seq"):
            item.next_attempt_at = None
        else:
            item.done_at = now
            item.last_error = error
        uow.session.add(item)
        uow.commit()


async def _failed(
    store: Store, item_id: int | None, now: datetime, message: str, result: Pass
) -> Pass:
    def mark() -> datetime:
        with store.write() as uow:
            item = uow.session.get(OutboxItem, item_id)
            assert item is not None
            item.attempts += 1
            item.next_attempt_at = now + backoff(item.attempts)
            item.last_error = message[:ERROR_MAX]
            uow.session.add(item)
            uow.commit()
            return item.next_attempt_at

    next_at = await asyncio.to_thread(mark)
    log.warning("discord operation failed (%s); next attempt at %s", message, iso(next_at))
    return Pass(result.done, message, _earliest(result.next_at, next_at))


class DiscordWorker(Worker):
    """Performs Discord operations in the background of ``govbot run``."""

    gather = 0.25

    def __init__(
        self,
        store: Store,
        effects: DiscordEffects,
        *,
        idle: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(idle=idle, clock=clock)
        self.store = store
        self.effects = effects
        self.last: Pass | None = None

    async def step(self) -> datetime | None:
        """Follow the ledger and perform what is due; an error never stops the worker."""
        try:
            self.last = await perform_due(self.store, self.effects, self.clock())
        except Exception:  # try again after the idle wait
            log.exception("the Discord worker failed")
            self.last = Pass(0, "internal error", None)
        return self.last.next_at


__all__ = ["CHECKPOINT", "DiscordEffects", "DiscordWorker", "follow", "operations", "perform_due"]
