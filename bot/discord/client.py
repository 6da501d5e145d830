"""The Discord client of ``govbot run``: signs in, joins the gateway, syncs commands if changed.

It runs in the service's own event loop next to the web server, scheduler and workers. A wrong
token or a missing privileged intent stops startup with one line saying what to fix. Commands
are registered on the foundation's server (``discord: {guild}`` in foundation.yaml) and synced
only when their definitions changed since the last sync: Discord allows 200 command creations
a day per server, and a restart loop must not spend them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.discord.bridge import Bridge
from bot.discord.cogs.accounts import Help, Link
from bot.discord.cogs.elections import Elections
from bot.discord.cogs.groups import Groups
from bot.discord.cogs.rfcs import Rfcs
from bot.discord.cogs.votes import Votes
from bot.discord.replies import refuse
from bot.discord.views import VoteButton
from governance.clock import utcnow
from governance.model import Checkpoint
from governance.store import Store

log = logging.getLogger(__name__)

COMMANDS_CHECKPOINT = "discord:commands"
READY_TIMEOUT = 60.0


class DiscordError(RuntimeError):
    """Discord cannot be used as configured; the message is the one line to show."""


def point_at(api_url: str, gateway_url: str) -> None:
    """Aim discord.py at Discord, or at a stand-in on loopback (its two class-level addresses)."""
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Guilds for channels and threads; members (privileged) to mirror roles."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    return wanted


class GovbotClient(commands.Bot):
    """discord.py's bot with govbot's cogs, dynamic vote buttons and the bridge to the record."""

    def __init__(self, bridge: Bridge, guild_id: int | None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.bridge = bridge
        self.guild_id = guild_id
        self.tree.on_error = self._tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        """Cogs and the vote buttons, before the gateway delivers the first interaction."""
        for cog in (Rfcs, Votes, Groups, Elections, Link):
            await self.add_cog(cog(self.bridge))
        await self.add_cog(Help())
        self.add_dynamic_items(VoteButton)
        if self.guild_id is not None:
            self.tree.copy_global_to(guild=discord.Object(self.guild_id))

    async def _tree_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await refuse(interaction, getattr(error, "original", error))

    def definitions(self) -> list[dict[str, Any]]:
        """The commands as Discord stores them, for the changed-or-not check."""
        guild = None if self.guild_id is None else discord.Object(self.guild_id)
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    async def sync_if_changed(self, store: Store) -> bool:
        """Sync the commands when their definitions differ from the last sync's."""
        text = json.dumps(self.definitions(), sort_keys=True)
        digest = hashlib.sha256(f"{self.guild_id}:{text}".encode()).hexdigest()

        def last() -> str | None:
            with store.read() as uow:
                point = uow.session.get(Checkpoint, COMMANDS_CHECKPOINT)
                return None if point is None else point.value

        if await asyncio.to_thread(last) == digest:
            log.info("Discord commands unchanged; not synced")
            return False
        guild = None if self.guild_id is None else discord.Object(self.guild_id)
        synced = await self.tree.sync(guild=guild)

        def remember() -> None:
            with store.write() as uow:
                point = uow.session.get(Checkpoint, COMMANDS_CHECKPOINT)
                if point is None:
                    point = Checkpoint(name=COMMANDS_CHECKPOINT, seq=0, at=utcnow())
                point.value, point.at = digest, utcnow()
                uow.session.add(point)
                uow.commit()

        await asyncio.to_thread(remember)
        log.info("synced %d Discord command(s)", len(synced))
        return True


async def start(
    client: GovbotClient, token: str, *, api_url: str, timeout: float = READY_TIMEOUT
) -> asyncio.Task[None]:
    """Sign in and connect; returns the gateway task once the client is ready."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        await client.close()
        raise DiscordError(
            "GOVBOT_DISCORD_TOKEN: Discord refused the token (401 Unauthorized); copy the "
            "bot token from the Bot page of the application in Discord's Developer Portal"
        ) from None
    except (aiohttp.ClientError, OSError) as error:
        await client.close()
        raise DiscordError(
            f"GOVBOT_DISCORD_API_URL: Discord did not answer at {api_url} "
            f"({type(error).__name__}); check the address and the network"
        ) from None
    gateway = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({gateway, ready}, timeout=timeout, return_when="FIRST_COMPLETED")
    if gateway in done:
        ready.cancel()
        ended = gateway.exception()
        await client.close()
        if isinstance(ended, discord.PrivilegedIntentsRequired):
            raise DiscordError(
                "Discord refused the Server Members intent: govbot mirrors group membership to "
                "roles, so turn on 'Server Members Intent' on the Bot page of the application "
                "in Discord's Developer Portal"
            )
        raise DiscordError(f"the Discord gateway closed at startup ({ended or 'no reason'})")
    if ready not in done:
        ready.cancel()
        gateway.cancel()
        await client.close()
        raise DiscordError(
            f"the Discord gateway did not get ready within {timeout:.0f} s; check "
            "GOVBOT_DISCORD_GATEWAY_URL and the network"
        )
    if client.guild_id is not None and client.get_guild(client.guild_id) is None:
        gateway.cancel()
        await client.close()
        raise DiscordError(
            f"charters/foundation.yaml names the Discord server {client.guild_id}, but the bot "
            "is not on it; invite the bot there (OAuth2 URL with the bot and "
            "applications.commands scopes), or fix discord: {guild} in foundation.yaml"
        )
    return gateway
