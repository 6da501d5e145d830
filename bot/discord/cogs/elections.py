"""``/election``: open an election, and rank its candidates with select menus."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.cogs.base import Area, election_choices, group_choices
from bot.discord.messages import quiet, when
from bot.discord.replies import say
from bot.discord.views import RANK_PLACES, RankView, receipt_line
from governance.services import elections


class Elections(Area, group_name="election", group_description="Ranked-choice elections"):
    """Elections from Discord."""

    @app_commands.command(name="open", description="Open an election for seats (chairs)")
    @app_commands.autocomplete(group=group_choices)
    @app_commands.describe(candidates="Handles, separated by commas", title="What the seats are")
    async def open_(
        self,
        interaction: discord.Interaction[Any],
        group: str,
        candidates: app_commands.Range[str, 1, 1000],
        seats: app_commands.Range[int, 1, 25] = 1,
        title: app_commands.Range[str, 1, 200] | None = None,
        policy: str | None = None,
    ) -> None:
        """The electorate and policy are frozen now."""
        names = tuple(h.strip() for h in candidates.split(",") if h.strip())
        command = elections.OpenElection(group, seats, names, title, policy)
        status = await self.act(interaction, elections.open_election, command)
        if status is not None:
            await say(
                interaction,
                f"{status.election} is open: {quiet(status.title)}, {status.seats} seat(s) among "
                f"{', '.join(status.candidates)}; it closes {when(status.closes_at)}. Electors "
                f"rank with `/election rank election:{status.election}`.",
            )

    @app_commands.command(name="rank", description="Rank the candidates of an election")
    @app_commands.autocomplete(election=election_choices)
    @app_commands.describe(
        ranking="Optional: write it out, best first, like 'ada,bo=cy' (= ties); else menus"
    )
    async def rank(
        self,
        interaction: discord.Interaction[Any],
        election: str,
        ranking: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        """Menus for the first places, or the ranking written out."""
        if ranking is not None:
            status = await self.act(
                interaction, elections.rank, elections.RankCandidates(election, ranking)
            )
            if status is not None:
                await say(
                    interaction,
                    f"Your ranking for {status.election} is recorded. You can rank again until "
                    "it closes." + receipt_line(status.receipt),
                )
            return
        status = await self.look(interaction, elections.election_status, election)
        if status is None:
            return
        if status.state != "open":
            await say(interaction, f"⛔ {status.election} is {status.state}; rankings are closed.")
            return
        if len(status.candidates) > 25:
            await say(
                interaction,
                f"⛔ {status.election} has more candidates than a menu holds; write the ranking "
                "out with the `ranking` option.",
            )
            return
        view = RankView(status.election, status.candidates)
        places = min(RANK_PLACES, len(status.candidates))
        await say(
            interaction,
            f"Rank the candidates of {status.election} ({quiet(status.title)}): pick your first "
            f"{places} choice(s); the others share the last place. Then submit.",
            view=view,
        )
