"""``/rfc``: propose (through a modal), show, list, withdraw, concern, resolve, and open a vote."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.cogs.base import (
    Area,
    group_choices,
    live_rfc_choices,
    policy_choices,
    rfc_choices,
)
from bot.discord.messages import CONTENT_MAX, cut, quiet, vote_embed, when
from bot.discord.replies import say
from bot.discord.views import ProposeModal
from governance.services import common, rfcs

STATUSES = [
    app_commands.Choice(name=s, value=s)
    for s in ("discussion", "voting", "accepted", "rejected", "withdrawn")
]


class Rfcs(Area, group_name="rfc", group_description="Proposals: propose, discuss, decide"):
    """RFCs from Discord."""

    @app_commands.command(name="propose", description="Propose an RFC to a group (opens a form)")
    @app_commands.describe(group="The group that decides it")
    @app_commands.autocomplete(group=group_choices)
    async def propose(self, interaction: discord.Interaction[Any], group: str) -> None:
        """The modal asks for the title, summary and text; the group is checked first."""
        found = await self.look(interaction, common.group, group)
        if found is not None:
            await interaction.response.send_modal(ProposeModal(found.slug))

    @app_commands.command(name="show", description="Show an RFC, its concerns and its vote")
    @app_commands.autocomplete(rfc=rfc_choices)
    async def show(self, interaction: discord.Interaction[Any], rfc: str) -> None:
        """The RFC as the record has it."""
        now = self.bridge.clock()
        view = await self.look(interaction, rfcs.show_rfc, rfc, now)
        if view is None:
            return
        embed = discord.Embed(
            title=cut(f"{view.rfc}: {quiet(view.title)}", 256),
            description=cut(quiet(view.body), 2000),
        )
        embed.add_field(name="Group", value=view.group)
        embed.add_field(name="Author", value=view.author)
        embed.add_field(name="Status", value=view.status)
        for concern in view.concerns[:10]:
            embed.add_field(
                name=f"Concern {concern.concern_id} by {concern.author} ({concern.state})",
                value=cut(quiet(concern.text), 1024),
                inline=False,
            )
        embeds = [embed]
        if view.vote is not None:
            embeds.append(vote_embed(view.vote, view.title))
        await interaction.response.send_message(embeds=embeds, ephemeral=True)

    @app_commands.command(name="list", description="List RFCs, by group or status")
    @app_commands.autocomplete(group=group_choices)
    @app_commands.choices(status=STATUSES)
    async def list_(
        self,
        interaction: discord.Interaction[Any],
        group: str | None = None,
        status: str | None = None,
    ) -> None:
        """Newest last, cut to one message."""
        rows = await self.look(interaction, rfcs.list_rfcs, group, status)
        if rows is None:
            return
        lines = [f"**{r['rfc']}** {r['status']} · {r['group']} · {quiet(r['title'])}" for r in rows]
        text = "\n".join(lines[-30:]) or "No RFCs yet. Propose one with `/rfc propose`."
        if len(lines) > 30:
            text = f"The last 30 of {len(lines)}:\n" + text
        await say(interaction, cut(text, CONTENT_MAX))

    @app_commands.command(name="withdraw", description="Withdraw your RFC while in discussion")
    @app_commands.autocomplete(rfc=live_rfc_choices)
    async def withdraw(self, interaction: discord.Interaction[Any], rfc: str) -> None:
        """The author takes it back."""
        ref = await self.act(interaction, rfcs.withdraw_rfc, rfcs.WithdrawRfc(rfc))
        if ref is not None:
            await say(interaction, f"{ref.rfc} is withdrawn.")

    @app_commands.command(name="concern", description="Raise a concern (pauses an open vote)")
    @app_commands.autocomplete(rfc=live_rfc_choices)
    @app_commands.describe(text="What must change before this can be accepted")
    async def concern(
        self,
        interaction: discord.Interaction[Any],
        rfc: str,
        text: app_commands.Range[str, 1, 2000],
    ) -> None:
        """A concern, as in the console."""
        result = await self.act(interaction, rfcs.raise_concern, rfcs.RaiseConcern(rfc, text))
        if result is None:
            return
        paused = (
            " The vote is paused until it is resolved." if result.vote_state == "paused" else ""
        )
        await say(
            interaction,
            f"Concern {result.concern_id} raised on {result.rfc}.{paused} You resolve it with "
            f"`/rfc resolve rfc:{result.rfc} concern:{result.concern_id}`.",
        )

    @app_commands.command(name="resolve", description="Resolve a concern (a chair may override)")
    @app_commands.autocomplete(rfc=live_rfc_choices)
    async def resolve(
        self,
        interaction: discord.Interaction[Any],
        rfc: str,
        concern: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        """Resolve or override."""
        command = rfcs.ResolveConcern(rfc, concern, reason)
        result = await self.act(interaction, rfcs.resolve_concern, command)
        if result is None:
            return
        resumed = (
            f" The vote resumes and closes {when(result.closes_at)}."
            if result.vote_state == "open" and result.closes_at
            else ""
        )
        await say(
            interaction, f"Concern {result.concern_id} on {result.rfc} is {result.state}.{resumed}"
        )

    @app_commands.command(name="vote", description="Open the vote on an RFC (chairs)")
    @app_commands.autocomplete(rfc=live_rfc_choices, policy=policy_choices)
    @app_commands.describe(policy="The policy by name (default: the group's default)")
    async def vote(
        self, interaction: discord.Interaction[Any], rfc: str, policy: str = "default"
    ) -> None:
        """The vote message with its buttons is posted in the group's channel and the thread."""
        status = await self.act(interaction, rfcs.open_vote, rfcs.OpenVote(rfc, policy))
        if status is None:
            return
        await say(
            interaction,
            f"The vote on {status.rfc} is open under {status.policy_name} until "
            f"{when(status.closes_at)}; its message with the buttons is being posted in the "
            "group's channel and the RFC's thread.",
        )
