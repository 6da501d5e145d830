"""The one place where answers and refusals reach a member, whatever stage the interaction is at.

A refusal is always ephemeral and says what happened and what to do; an error of govbot's own
is logged with an id the member can quote. Both work before and after a deferral.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord

from bot.discord.messages import CONTENT_MAX, cut
from governance.errors import GovernanceError

log = logging.getLogger(__name__)


async def say(
    interaction: discord.Interaction[Any],
    text: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer: the first response, or the deferred message edited (keeping its visibility)."""
    kwargs: dict[str, Any] = {}
    if text is not None:
        kwargs["content"] = cut(text, CONTENT_MAX)
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)


def refusal_text(error: BaseException) -> str:
    """What a member reads when an action fails."""
    if isinstance(error, GovernanceError):
        return f"⛔ {error.message}"
    ref = secrets.token_hex(4)
    log.error("Discord interaction failed (ref %s)", ref, exc_info=error)
    return (
        f"⚠️ govbot could not finish this because of an error on its side (ref {ref}). "
        "Try again in a minute; if it keeps failing, give the ref to an operator."
    )


async def refuse(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the member, ephemerally, why nothing happened."""
    text = refusal_text(error)
    try:
        if interaction.response.is_done():
            await interaction.edit_original_response(content=cut(text, CONTENT_MAX), view=None)
        else:
            await interaction.response.send_message(cut(text, CONTENT_MAX), ephemeral=True)
    except discord.HTTPException:  # the interaction expired: the log keeps the reason
        log.warning("could not deliver a refusal: %s", text)
