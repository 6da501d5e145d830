"""Group membership mirrored to one Discord role per group (``discord: {role}`` in the charter).

A person holds a group's role while they are on its roster (chair, member or observer; not
emeritus) and their Discord account is known. Single changes (a join, a leave) are applied as
they happen. A whole sync compares each role's holders on the server with the roster and plans
additions and removals: ``govbot discord roles`` shows that plan (a dry run) unless ``--apply``,
and even then refuses to remove more than a quarter of a role's holders without ``--force`` —
a wrong role id or a charter mistake must not strip a community of its roles in one go.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import discord
from sqlmodel import col, select

from governance.model import Group, Membership, Person, Role
from governance.services import common
from governance.store import Store, UnitOfWork

MIRRORED = (Role.CHAIR, Role.MEMBER, Role.OBSERVER)
REMOVAL_SHARE = 0.25
"""The largest share of a role's holders one sync removes without ``--force``."""
PAGE = 1000


@dataclass(frozen=True)
class Wanted:
    """Whether one person should hold one group's role."""

    group: str
    role: str
    discord_id: str
    member: bool
    reason: str


def _groups_with_roles(uow: UnitOfWork, slug: str | None = None) -> list[tuple[Group, str]]:
    query = select(Group).order_by(Group.slug)
    if slug is not None:
        query = query.where(Group.slug == slug)
    found = []
    for group in uow.session.exec(query):
        role = (group.charter.get("discord") or {}).get("role")
        if role:
            found.append((group, str(role)))
    return found


def _holders(uow: UnitOfWork, group: Group) -> dict[str, str]:
    """Discord id -> handle of everyone who should hold the group's role."""
    rows = uow.session.exec(
        select(Person.discord_id, Person.handle)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(
            Membership.group_id == group.id,
            col(Membership.until).is_(None),
            col(Membership.role).in_([r.value for r in MIRRORED]),
            col(Person.discord_id).is_not(None),
        )
    ).all()
    return {str(discord_id): handle for discord_id, handle in rows}


def wanted_for(uow: UnitOfWork, handle: str, group: str | None) -> list[Wanted]:
    """The roles one person should or should not hold: in one group, or in all of them."""
    who = uow.session.exec(select(Person).where(Person.handle == handle)).first()
    if who is None or who.discord_id is None:
        return []
    out = []
    for found, role in _groups_with_roles(uow, group):
        assert found.id is not None and who.id is not None
        membership = common.current_membership(uow, found.id, who.id)
        member = membership is not None and membership.role in MIRRORED
        why = f"govbot: {handle} {'is on' if member else 'left'} the {found.slug} roster"
        out.append(Wanted(found.slug, role, who.discord_id, member, why))
    return out


@dataclass
class GroupPlan:
    """One role's sync: who gains it, who loses it, and whether it may go ahead."""

    group: str
    role: str
    holders: int
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # on the roster, not on the server
    refused: str | None = None
    applied: bool = False

    def lines(self, names: dict[str, str]) -> list[str]:
        """The plan for people to read."""
        head = (
            f"{self.group} (role {self.role}, {self.holders} holder(s) now): "
            f"+{len(self.add)} -{len(self.remove)}"
        )
        if self.refused:
            head += f"; REFUSED: {self.refused}"
        elif self.applied:
            head += "; applied"
        out = [head]
        out += [f"  + {names.get(i, i)} ({i})" for i in self.add]
        out += [f"  - {i}" for i in self.remove]
        if self.absent:
            out.append("  not on the server: " + ", ".join(sorted(self.absent)))
        return out


@dataclass
class SyncReport:
    """Every group's plan, applied or not."""

    plans: list[GroupPlan]
    names: dict[str, str]
    dry_run: bool

    def summary(self) -> str:
        """One paragraph per group."""
        lines = ["Dry run: nothing was changed." if self.dry_run else "Role sync:"]
        for plan in self.plans:
            lines += plan.lines(self.names)
        if not self.plans:
            lines.append("No group charter names a Discord role.")
        return "\n".join(lines)


async def server_members(client: discord.Client, guild_id: int) -> dict[str, set[str]]:
    """Every member of the server and the roles they hold (needs the members intent)."""
    found: dict[str, set[str]] = {}
    after = 0
    while True:
        page: list[Any] = await client.http.get_members(guild_id, PAGE, after)
        for member in page:
            found[str(member["user"]["id"])] = {str(r) for r in member.get("roles", [])}
        if len(page) < PAGE:
            return found
        after = max(int(m["user"]["id"]) for m in page)


def plan(
    rosters: list[tuple[str, str, dict[str, str]]],
    members: dict[str, set[str]],
    *,
    force: bool,
) -> list[GroupPlan]:
    """Compare rosters with the server; a plan that removes too many is refused."""
    plans = []
    for slug, role, wanted in rosters:
        holding = {user for user, held in members.items() if role in held}
        item = GroupPlan(slug, role, len(holding))
        item.add = sorted(u for u in wanted if u in members and u not in holding)
        item.absent = [wanted[u] for u in wanted if u not in members]
        item.remove = sorted(holding - set(wanted))
        limit = int(len(holding) * REMOVAL_SHARE)
        if item.remove and len(item.remove) > limit and not force:
            item.refused = (
                f"it would remove {len(item.remove)} of {len(holding)} holders, more than a "
                f"quarter ({limit}); check the role id in the {slug} charter, then run "
                "`govbot discord roles --apply --force` if this is right"
            )
        plans.append(item)
    return plans


async def sync(
    store: Store,
    client: discord.Client,
    guild_id: int,
    *,
    apply: bool,
    force: bool,
    group: str | None = None,
) -> SyncReport:
    """Plan every group's role (or one) and, with ``apply``, carry out the plans not refused."""

    def read() -> list[tuple[str, str, dict[str, str]]]:
        with store.read() as uow:
            return [(g.slug, role, _holders(uow, g)) for g, role in _groups_with_roles(uow, group)]

    rosters = await asyncio.to_thread(read)
    members = await server_members(client, guild_id)
    plans = plan(rosters, members, force=force)
    names = {u: h for _, _, wanted in rosters for u, h in wanted.items()}
    if apply:
        for item in plans:
            if item.refused:
                continue
            for user in item.add:
                await client.http.add_role(
                    guild_id, int(user), int(item.role), reason=f"govbot: {item.group} roster"
                )
            for user in item.remove:
                await client.http.remove_role(
                    guild_id,
                    int(user),
                    int(item.role),
                    reason=f"govbot: not on the {item.group} roster",
                )
            item.applied = True
    return SyncReport(plans, names, dry_run=not apply)


async def mirror_from_console(
    store: Store, settings: Any, *, apply: bool, force: bool, group: str | None = None
) -> SyncReport:
    """``govbot discord roles``: sign in over REST only (no gateway) and sync."""
    from bot.discord.client import DiscordError, point_at
    from governance.services import common as lookups

    point_at(settings.discord_api_url, settings.discord_gateway_url)
    with store.read() as uow:
        found = lookups.foundation(uow)
        guild = None if found is None else (found.discord or {}).get("guild")
    if guild is None:
        raise DiscordError(
            'charters/foundation.yaml names no Discord server; add discord: {guild: "<id>"}'
        )
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise DiscordError(
                "GOVBOT_DISCORD_TOKEN: Discord refused the token (401 Unauthorized)"
            ) from None
        try:
            return await sync(store, client, int(guild), apply=apply, force=force, group=group)
        except discord.Forbidden as error:
            raise DiscordError(
                f"Discord refused ({error.status}: {error.text}); the members list needs the "
                "Server Members intent, and a role can be given only when the bot's own role is "
                "above it"
            ) from None
    finally:
        await client.close()
