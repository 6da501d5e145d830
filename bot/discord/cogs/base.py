"""What every cog shares: the bridge, a guarded service call, and the autocompletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import lookups
from bot.discord.bridge import Bridge
from bot.discord.replies import refuse
from bot.discord.views import bridge_of

T = TypeVar("T")
Choices = list[app_commands.Choice[str]]


class Area(commands.GroupCog):
    """A command group (``/rfc``, ``/wg``...) with the bridge to the record."""

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge

    async def act(
        self, interaction: discord.Interaction[Any], service: Callable[..., T], command: Any
    ) -> T | None:
        """Defer (ephemerally), run one service as the member; None after a refusal."""
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            _, result = await self.bridge.act(interaction.user, service, command)
        except Exception as error:
            await refuse(interaction, error)
            return None
        return result

    async def look(
        self, interaction: discord.Interaction[Any], query: Callable[..., T], *args: Any
    ) -> T | None:
        """A read for an answer; None after a refusal (an unknown RFC, say)."""
        try:
            return await self.bridge.read(lambda uow: query(uow, *args))
        except Exception as error:
            await refuse(interaction, error)
            return None

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Anything a command did not handle itself: a refusal, never silence."""
        original = getattr(error, "original", error)
        await refuse(interaction, original)


# --- autocomplete, shared by the cogs (free functions: discord.py calls them unbound) --------


async def group_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """Groups."""
    return await bridge_of(interaction).read(lambda uow: lookups.groups(uow, current))


async def rfc_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """Every RFC."""
    return await bridge_of(interaction).read(lambda uow: lookups.rfcs(uow, current))


async def live_rfc_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """RFCs in discussion or being voted on."""
    return await bridge_of(interaction).read(
        lambda uow: lookups.rfcs(uow, current, statuses=lookups.LIVE_RFCS)
    )


async def person_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """People."""
    return await bridge_of(interaction).read(lambda uow: lookups.people(uow, current))


async def election_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """Elections."""
    return await bridge_of(interaction).read(lambda uow: lookups.elections(uow, current))


async def policy_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """Policies of the group of the RFC typed so far."""
    rfc = str(getattr(interaction.namespace, "rfc", "") or "")
    return await bridge_of(interaction).read(lambda uow: lookups.policies(uow, rfc, current))
