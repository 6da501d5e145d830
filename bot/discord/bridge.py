"""Between Discord's event loop and the record: every command turns into one service call.

Writes run one at a time on the writer thread (the record has one writer), so a burst of clicks
queues there while the loop keeps acknowledging interactions within Discord's 3 s; reads run on
the default thread pool and never wait behind writes, so autocomplete answers at once.

A Discord member the registry does not know is registered on first use: the handle comes from
the username, and the Discord id is recorded, so anyone can join an open group unaided.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import discord
from sqlmodel import col, select

from governance import policy as policies
from governance.clock import utcnow
from governance.errors import NotFound
from governance.model import Group, Person, Rfc, Vote
from governance.refs import rfc_label
from governance.services import common, groups
from governance.store import Store, UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
KNOWN_FOR = 60.0


@dataclass(frozen=True)
class VoteFacts:
    """What a vote button needs, frozen when the vote opened, so it is read once."""

    vote_id: int
    rfc: str
    group: str
    electorate: frozenset[str]
    secret: bool


@dataclass(frozen=True)
class Member:
    """The person behind a Discord user."""

    handle: str
    discord_id: str


class Bridge:
    """Runs services for the Discord front end and tells the service when the record changed."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.changed = changed
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="govbot-writer")
        # Discord id -> handle, read for everyone at once and again every KNOWN_FOR seconds:
        # a burst of clicks costs one read, and an account an admin relinks acts as its new
        # person within a minute.
        self._known: dict[str, str] = {}
        self._loaded_at = -KNOWN_FOR
        self._loading = asyncio.Lock()
        self._votes: dict[int, VoteFacts] = {}

    def close(self) -> None:
        """Let queued writes finish; no new ones are taken."""
        self.writer.shutdown(wait=True)

    async def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """A read on the thread pool; it never waits for the writer."""

        def run() -> T:
            with self.store.read() as uow:
                return query(uow)

        return await asyncio.to_thread(run)

    async def write(self, work: Callable[[UnitOfWork, datetime], T]) -> T:
        """A write on the writer thread; the service commits once, then the service is told."""

        def run() -> T:
            with self.store.write() as uow:
                return work(uow, self.clock())

        result = await asyncio.get_running_loop().run_in_executor(self.writer, run)
        self.changed()
        return result

    async def _load_known(self) -> None:
        async with self._loading:
            if time.monotonic() - self._loaded_at < KNOWN_FOR:
                return  # loaded while this call waited
            rows = await self.read(
                lambda uow: uow.session.exec(
                    select(Person.discord_id, Person.handle).where(
                        col(Person.discord_id).is_not(None)
                    )
                ).all()
            )
            self._known = {str(discord_id): handle for discord_id, handle in rows}
            self._loaded_at = time.monotonic()

    async def member(self, user: discord.abc.User) -> Member:
        """The person behind ``user``, registered now if the record does not know them."""
        discord_id = str(user.id)
        if time.monotonic() - self._loaded_at >= KNOWN_FOR:
            await self._load_known()
        handle = self._known.get(discord_id)
        if handle is None:
            found = await self.read(lambda uow: common.person_by_discord(uow, discord_id))
            if found is None:
                name = getattr(user, "global_name", None) or user.name
                command = groups.RegisterMember(discord_id, user.name, name)
                view = await self.write(lambda uow, now: groups.register_member(uow, now, command))
                handle = view.handle
                log.info("registered Discord member %s as %s", discord_id, handle)
            else:
                handle = found.handle
            self._known[discord_id] = handle
        return Member(handle, discord_id)

    async def vote_facts(self, vote_id: int) -> VoteFacts:
        """The vote behind a button: its RFC, group and frozen electorate."""
        facts = self._votes.get(vote_id)
        if facts is None:
            facts = await self.read(lambda uow: _vote_facts(uow, vote_id))
            self._votes[vote_id] = facts
        return facts

    async def act(
        self, user: discord.abc.User, service: Callable[..., T], command: Any
    ) -> tuple[Member, T]:
        """``service(uow, actor, now, command)`` as the person behind ``user``."""
        who = await self.member(user)
        result = await self.write(lambda uow, now: service(uow, who.handle, now, command))
        return who, result


def _vote_facts(uow: UnitOfWork, vote_id: int) -> VoteFacts:
    vote = uow.session.get(Vote, vote_id)
    rfc = None if vote is None or vote.rfc_id is None else uow.session.get(Rfc, vote.rfc_id)
    group = None if vote is None else uow.session.get(Group, vote.group_id)
    if vote is None or rfc is None or group is None:
        raise NotFound(
            "This vote is not in the record any more (the message is older than the record); "
            "use `/vote status` to find the RFC's current vote."
        )
    frozen = policies.policy_from_dict(vote.policy)
    return VoteFacts(
        vote_id, rfc_label(rfc.number), group.slug, frozenset(vote.electorate), frozen.secret
    )


__all__ = ["Bridge", "Member", "VoteFacts"]
