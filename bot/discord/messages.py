"""What members see on Discord: vote messages, outcomes, reminders and answers, within limits.

Discord refuses a message over 2,000 characters, embeds over 6,000 in all (4,096 in a
description, 1,024 in a field), and custom ids over 100; everything here is cut to fit first.
User text is shown with mentions broken, so an RFC title can never ping @everyone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import discord

from governance.clock import parse_instant
from governance.status import VoteStatus

CONTENT_MAX = 2000
DESCRIPTION_MAX = 4096
FIELD_MAX = 1024
TITLE_MAX = 256
THREAD_NAME_MAX = 100
CHOICES = ("yes", "no", "abstain")
COLOURS = {
    "open": discord.Colour.gold(),
    "paused": discord.Colour.light_grey(),
    "passed": discord.Colour.green(),
    "rejected": discord.Colour.red(),
    "no-quorum": discord.Colour.dark_grey(),
    "cancelled": discord.Colour.dark_grey(),
}
OUTCOME_TEXT = {
    "passed": "passed",
    "rejected": "was rejected",
    "no-quorum": "did not reach its quorum",
    "cancelled": "was cancelled",
}


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quiet(text: str) -> str:
    """User text that cannot mention anyone: @ gets a zero-width joiner after it."""
    return text.replace("@", "@\u2060")


def when(moment: str | datetime | None) -> str:
    """Discord's local-time format: every member sees the moment in their own time zone."""
    if moment is None:
        return "-"
    at = parse_instant(moment) if isinstance(moment, str) else moment
    stamp = int(at.timestamp())
    return f"<t:{stamp}:F> (<t:{stamp}:R>)"


def totals(status: VoteStatus) -> str:
    """The counts line; a secret vote shows how many voted, not how, until it closes."""
    voted = f"{status.participation} of {status.electorate} electors voted"
    quorum = f"quorum {status.quorum_needed}: {'met' if status.quorum_met else 'not met yet'}"
    if status.sealed:
        counts = f"{voted} ({quorum}); the choices stay secret until it closes"
    else:
        counts = (
            f"Yes **{status.yes}** · No **{status.no}** · Abstain **{status.abstain}**\n"
            f"{voted} ({quorum})"
        )
    if status.non_binding:
        counts += f"\n{status.non_binding} non-binding ballot(s), shown apart and not counted"
    return counts


def vote_embed(status: VoteStatus, title: str, record: str | None = None) -> discord.Embed:
    """The vote message: question, policy, deadline, live totals and state."""
    state = status.outcome if status.state == "closed" and status.outcome else status.state
    embed = discord.Embed(
        title=cut(f"Vote on {status.rfc}: {quiet(title)}", TITLE_MAX),
        description=cut(
            f"Should **{status.rfc}** be accepted? Vote with the buttons below; you can change "
            "your mind until the vote closes."
            + (" Your ballot is secret: only you see your answer." if status.secret else ""),
            DESCRIPTION_MAX,
        ),
        colour=COLOURS.get(state, discord.Colour.blurple()),
    )
    embed.add_field(
        name="Policy", value=cut(f"{status.policy_name}: {status.policy}", FIELD_MAX), inline=False
    )
    if status.state == "open":
        embed.add_field(name="Closes", value=when(status.closes_at), inline=False)
    elif status.state == "paused":
        embed.add_field(
            name="Paused",
            value="A concern paused this vote; the clock resumes when it is resolved.",
            inline=False,
        )
    else:
        outcome = OUTCOME_TEXT.get(status.outcome or "", status.outcome or status.state)
        embed.add_field(
            name="Closed", value=f"The vote {outcome} ({when(status.closed_at)}).", inline=False
        )
    embed.add_field(name="Totals", value=cut(totals(status), FIELD_MAX), inline=False)
    if record:
        embed.add_field(name="Record", value=cut(record, FIELD_MAX), inline=False)
    return embed


def outcome_text(status: VoteStatus, title: str) -> str:
    """The message posted when a vote closes."""
    outcome = OUTCOME_TEXT.get(status.outcome or "", status.outcome or status.state)
    text = f"The vote on **{status.rfc}: {quiet(title)}** {outcome}."
    if status.outcome != "cancelled" and not status.sealed:
        text += (
            f" Yes {status.yes}, no {status.no}, abstain {status.abstain}; "
            f"{status.participation} of {status.electorate} electors voted "
            f"(quorum {status.quorum_needed}: {'met' if status.quorum_met else 'not met'})."
        )
    elif status.reason:
        text += f" Reason: {quiet(status.reason)}"
    return cut(text, CONTENT_MAX)


def own_ballot_text(rfc: str, choice: str | None, binding: bool, receipt: str | None) -> str:
    """A member's own ballot, for their eyes only (an ephemeral answer)."""
    if choice is None:
        return f"You have not voted on {rfc}."
    kind = "" if binding else " (non-binding: you are not in this vote's electorate)"
    text = f"Your ballot on {rfc}: **{choice}**{kind}. Only you see this."
    if receipt:
        text += f"\nYour receipt: `{receipt}`."
    return text


def digest(payload: dict[str, Any]) -> str:
    """What a message shows, hashed, so an edit that changes nothing is never sent."""
    return hashlib.sha256(repr(sorted(payload.items())).encode()).hexdigest()[:32]


def chunks(head: str, items: list[str], *, limit: int = CONTENT_MAX) -> list[str]:
    """``head`` followed by ``items`` separated by spaces, split into messages under ``limit``."""
    out: list[str] = []
    current = head
    for item in items:
        if len(current) + 1 + len(item) > limit:
            out.append(current)
            current = head
        current += " " + item
    out.append(current)
    return out
