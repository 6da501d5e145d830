"""``/wg``: list and show groups, join, leave, approve requests, set roles."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.cogs.base import Area, group_choices, person_choices
from bot.discord.messages import CONTENT_MAX, cut, quiet
from bot.discord.replies import say
from governance.model import Role
from governance.services import groups

ROLES = [app_commands.Choice(name=r.value, value=r.value) for r in Role]


def membership_text(result: groups.MembershipResult, done: str) -> str:
    """The answer to a membership change."""
    if result.pending:
        return (
            f"{result.handle} asked to join {result.group}; a chair must approve it "
            f"(`/wg approve group:{result.group} member:{result.handle}`)."
        )
    return f"{result.handle} {done} {result.group}" + (
        f" as {result.role}." if result.role else "."
    )


class Groups(Area, group_name="wg", group_description="Working groups and committees"):
    """Groups from Discord."""

    @app_commands.command(name="list", description="Every group, with its membership policy")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """One line per group."""
        views = await self.look(interaction, lambda uow: groups.list_groups(uow))
        if views is None:
            return
        lines = [
            f"**{v.slug}** {quiet(v.name)} · {v.kind} · membership {v.membership} · "
            f"{len(v.roster)} on the roster"
            for v in views
        ]
        await say(interaction, cut("\n".join(lines) or "No groups yet.", CONTENT_MAX))

    @app_commands.command(name="info", description="A group's charter summary and roster")
    @app_commands.autocomplete(group=group_choices)
    async def info(self, interaction: discord.Interaction[Any], group: str) -> None:
        """The roster by role."""
        view = await self.look(interaction, groups.show_group, group)
        if view is None:
            return
        embed = discord.Embed(
            title=cut(f"{quiet(view.name)} ({view.slug})", 256),
            description=cut(quiet(view.body.strip()), 1500) or None,
        )
        embed.add_field(name="Kind", value=view.kind)
        embed.add_field(name="Membership", value=view.membership)
        for role in Role:
            names = [m.handle for m in view.roster if m.role == role.value]
            if names:
                embed.add_field(
                    name=f"{role.value}s", value=cut(", ".join(names), 1024), inline=False
                )
        if view.pending:
            embed.add_field(
                name="Asking to join", value=cut(", ".join(view.pending), 1024), inline=False
            )
        await say(interaction, embed=embed)

    @app_commands.command(name="join", description="Join a group (or ask, if a chair approves)")
    @app_commands.autocomplete(group=group_choices)
    async def join(self, interaction: discord.Interaction[Any], group: str) -> None:
        """Open groups take you at once."""
        result = await self.act(interaction, groups.join_group, groups.JoinGroup(group))
        if result is not None:
            await say(interaction, membership_text(result, "joined"))

    @app_commands.command(name="leave", description="Leave a group, or (chairs) remove a member")
    @app_commands.autocomplete(group=group_choices, member=person_choices)
    async def leave(
        self, interaction: discord.Interaction[Any], group: str, member: str | None = None
    ) -> None:
        """Yourself unless a member is named."""
        result = await self.act(interaction, groups.leave_group, groups.LeaveGroup(group, member))
        if result is not None:
            await say(interaction, membership_text(result, "left"))

    @app_commands.command(name="approve", description="Approve a request to join (chairs)")
    @app_commands.autocomplete(group=group_choices, member=person_choices)
    async def approve(self, interaction: discord.Interaction[Any], group: str, member: str) -> None:
        """The request becomes a membership."""
        result = await self.act(interaction, groups.approve_join, groups.ApproveJoin(group, member))
        if result is not None:
            await say(interaction, membership_text(result, "joined"))

    @app_commands.command(name="role", description="Set a member's role (chairs)")
    @app_commands.autocomplete(group=group_choices, member=person_choices)
    @app_commands.choices(role=ROLES)
    async def role(
        self, interaction: discord.Interaction[Any], group: str, member: str, role: str
    ) -> None:
        """Chair, member, observer or emeritus."""
        result = await self.act(interaction, groups.set_role, groups.SetRole(group, member, role))
        if result is not None:
            await say(interaction, f"{result.handle} is now {result.role} of {result.group}.")
