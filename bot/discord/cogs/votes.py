"""``/vote``: cast or change a ballot, and see a vote's status.

Discord does not let a command with subcommands be run on its own, so casting is ``/vote cast``
next to ``/vote status``. Every answer is ephemeral: the public state is the vote message.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.cogs.base import Area, live_rfc_choices, rfc_choices
from bot.discord.messages import own_ballot_text, vote_embed
from bot.discord.replies import say
from bot.discord.views import ballot_text
from governance.services import rfcs

CHOICE = [app_commands.Choice(name=c.capitalize(), value=c) for c in ("yes", "no", "abstain")]


class Votes(Area, group_name="vote", group_description="Cast a ballot, or see a vote"):
    """Ballots from Discord."""

    @app_commands.command(name="cast", description="Cast or change your ballot on an RFC")
    @app_commands.autocomplete(rfc=live_rfc_choices)
    @app_commands.choices(choice=CHOICE)
    async def cast(self, interaction: discord.Interaction[Any], rfc: str, choice: str) -> None:
        """Electors' ballots bind; anyone else's is recorded as non-binding."""
        result = await self.act(interaction, rfcs.cast_ballot, rfcs.CastBallot(rfc, choice))
        if result is not None:
            await say(interaction, ballot_text(result))

    @app_commands.command(
        name="status", description="An RFC's vote: totals or turnout, deadline, your own ballot"
    )
    @app_commands.autocomplete(rfc=rfc_choices)
    async def status(self, interaction: discord.Interaction[Any], rfc: str) -> None:
        """The latest vote on the RFC, and (only to the member) their own ballot."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # private from the start
        view = await self.look(interaction, rfcs.show_rfc, rfc, self.bridge.clock())
        if view is None:
            return
        if view.vote is None:
            await say(
                interaction, f"{view.rfc} has no vote yet; a chair opens it with `/rfc vote`."
            )
            return
        who = await self.bridge.member(interaction.user)
        mine = await self.look(interaction, rfcs.own_ballot, rfc, who.handle)
        if mine is None:
            return
        own = own_ballot_text(mine.rfc, mine.choice, mine.binding, mine.receipt)
        await say(interaction, own, embed=vote_embed(view.vote, view.title))
