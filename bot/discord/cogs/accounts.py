"""``/link github`` starts linking a GitHub account; ``/govbot help`` says what there is."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.base import Area
from bot.discord.replies import say
from governance.services import linking

HELP = "\n".join(
    [
        "**govbot**: the foundation's governance, on Discord.",
        "**RFCs** · `/rfc propose` (a form) · `/rfc show` · `/rfc list` · `/rfc withdraw` · "
        "`/rfc concern` · `/rfc resolve` · `/rfc vote` (chairs open the vote)",
        "**Votes** · the buttons under a vote message · `/vote cast` (also non-binding, if you "
        "are not an elector) · `/vote status`",
        "**Groups** · `/wg list` · `/wg info` · `/wg join` · `/wg leave` · `/wg approve` and "
        "`/wg role` (chairs)",
        "**Elections** · `/election open` (chairs) · `/election rank`",
        "**Accounts** · `/link github` links your GitHub login, so `/vote` comments on RFC "
        "issues count as yours.",
        "Your answers are shown only to you; the record of every decision is published in the "
        "docs repository.",
    ]
)


class Link(Area, group_name="link", group_description="Link your accounts on other platforms"):
    """Account linking."""

    @app_commands.command(name="github", description="Link your GitHub account (gives a code)")
    @app_commands.describe(login="Your GitHub login")
    async def github(
        self, interaction: discord.Interaction[Any], login: app_commands.Range[str, 1, 39]
    ) -> None:
        """The code is shown only to the member; GitHub proves the login by a comment."""
        started = await self.act(interaction, linking.start_link, linking.StartLink(login))
        if started is not None:
            await say(
                interaction,
                f"{started.instructions}\nThe code is shown only to you and works once.",
            )


class Help(commands.GroupCog, group_name="govbot", group_description="About govbot"):
    """Help."""

    @app_commands.command(name="help", description="What govbot can do here")
    async def help_(self, interaction: discord.Interaction[Any]) -> None:
        """Every command, in one message."""
        await say(interaction, HELP)
