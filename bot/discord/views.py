"""Components: vote buttons that outlive restarts, the proposal modal and the ranking menus.

Vote buttons are ``DynamicItem``s: their custom id ``govbot:vote:<vote id>:<choice>`` carries
all they need, so a button on a message posted weeks ago, before any number of restarts, still
casts a ballot. A click is acknowledged at once (ephemerally: only the member sees the answer,
which a secret vote needs from the first response), then the ballot is written.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.discord.messages import CHOICES, quiet
from bot.discord.replies import refuse, say
from governance.authority import Action
from governance.errors import NotEligible
from governance.services import elections, rfcs

if TYPE_CHECKING:
    from bot.discord.bridge import Bridge

log = logging.getLogger(__name__)

LABELS = {"yes": "Yes", "no": "No", "abstain": "Abstain"}
STYLES = {
    "yes": discord.ButtonStyle.success,
    "no": discord.ButtonStyle.danger,
    "abstain": discord.ButtonStyle.secondary,
}
RANK_PLACES = 4  # four menus and a row for the button: Discord allows five rows


def bridge_of(interaction: discord.Interaction[Any]) -> Bridge:
    """The bridge the client carries (set in ``bot.discord.client``)."""
    bridge: Bridge = interaction.client.bridge
    return bridge


def ballot_text(result: rfcs.BallotResult) -> str:
    """The answer to a ballot, for the member who cast it."""
    if not result.changed:
        text = f"You already voted **{result.choice}** on {result.rfc}; nothing changed."
    elif result.binding:
        text = (
            f"Your **{result.choice}** on {result.rfc} is recorded. You can change it until "
            "the vote closes."
        )
    else:
        text = (
            f"Your **{result.choice}** on {result.rfc} is recorded as non-binding: you are not "
            "in this vote's electorate, so it is shown apart and not counted."
        )
    return text + receipt_line(result.receipt)


def receipt_line(receipt: str | None) -> str:
    """The receipt of a secret ballot or ranking, for the voter alone: their line at the close."""
    if not receipt:
        return ""
    return (
        f"\nYour receipt: `{receipt}`. Keep it: at the close the tally sheet in the record lists "
        "it with your choice and no name, so you can check your ballot was counted."
    )


class VoteButton(
    ui.DynamicItem[ui.Button[Any]],
    template=r"govbot:vote:(?P<vote>[0-9]+):(?P<choice>yes|no|abstain)",
):
    """One choice of one vote."""

    def __init__(self, vote_id: int, choice: str, *, disabled: bool = False) -> None:
        super().__init__(
            ui.Button(
                label=LABELS[choice],
                style=STYLES[choice],
                custom_id=f"govbot:vote:{vote_id}:{choice}",
                disabled=disabled,
            )
        )
        self.vote_id = vote_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        """Rebuilt from the custom id alone, after any restart."""
        return cls(int(match["vote"]), match["choice"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Acknowledge within Discord's 3 s, then cast; only electors may use the buttons."""
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.NotFound:  # too late: the member saw "interaction failed"; cast nothing
            log.warning("a vote click came too late to acknowledge (over 3 s); nothing was cast")
            return
        bridge = bridge_of(interaction)
        try:
            facts = await bridge.vote_facts(self.vote_id)
            who = await bridge.member(interaction.user)
            if who.handle not in facts.electorate:
                raise NotEligible(
                    f"Only the electors of this vote ({facts.group}'s voting members when it "
                    f"opened) may use its buttons, and you ({who.handle}) are not one. To give a "
                    f"non-binding opinion, use `/vote cast rfc:{facts.rfc}`; to vote next "
                    f"time, `/wg join group:{facts.group}`. (rule {Action.BINDING_BALLOT})"
                )
            command = rfcs.CastBallot(facts.rfc, self.choice)
            _, result = await bridge.act(interaction.user, rfcs.cast_ballot, command)
            await say(interaction, ballot_text(result))
        except Exception as error:
            await refuse(interaction, error)


def vote_view(vote_id: int, *, closed: bool = False) -> ui.View:
    """The buttons under a vote message (disabled once it closes)."""
    view = ui.View(timeout=None)
    for choice in CHOICES:
        view.add_item(VoteButton(vote_id, choice, disabled=closed))
    return view


class ProposeModal(ui.Modal, title="Propose an RFC"):
    """Title, summary and text of a new RFC; the group was chosen in the command."""

    rfc_title: ui.TextInput[Any] = ui.TextInput(label="Title", min_length=3, max_length=200)
    summary: ui.TextInput[Any] = ui.TextInput(
        label="Summary", style=discord.TextStyle.paragraph, min_length=10, max_length=1000
    )
    body: ui.TextInput[Any] = ui.TextInput(
        label="Text (Markdown)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=4000,
    )

    def __init__(self, group: str) -> None:
        super().__init__(custom_id=f"govbot:propose:{group}"[:100], timeout=900)
        self.group = group

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """One proposal; the thread and the GitHub issue follow from the record."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        summary = self.summary.value.strip()
        text = self.body.value.strip()
        body = summary if not text else f"{summary}\n\n{text}"
        command = rfcs.ProposeRfc(self.group, self.rfc_title.value, body)
        try:
            _, ref = await bridge_of(interaction).act(interaction.user, rfcs.propose_rfc, command)
        except Exception as error:
            await refuse(interaction, error)
            return
        await say(
            interaction,
            f"Proposed **{ref.rfc}** in {self.group}; it is open for discussion. Its thread opens "
            f"in the group's channel; a chair opens the vote with `/rfc vote rfc:{ref.rfc}`.",
        )

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """Errors outside ``on_submit``'s own handling."""
        await refuse(interaction, error)


class RankView(ui.View):
    """One menu per place; candidates not placed share the last place."""

    def __init__(self, election: str, candidates: list[str]) -> None:
        super().__init__(timeout=840)  # within the 15 minutes an interaction token lives
        self.election = election
        self.candidates = candidates
        self.places: dict[int, str] = {}
        options = [discord.SelectOption(label=c, value=c) for c in candidates[:25]]
        for place in range(1, min(RANK_PLACES, len(candidates)) + 1):
            menu: ui.Select[Any] = ui.Select(
                custom_id=f"govbot:rank:{place}",
                placeholder=f"Choice {place}",
                options=options,
                row=place - 1,
            )
            menu.callback = self._chosen(place, menu)  # type: ignore[method-assign]
            self.add_item(menu)
        submit: ui.Button[Any] = ui.Button(
            label="Submit ranking",
            style=discord.ButtonStyle.primary,
            custom_id="govbot:rank:submit",
            row=min(RANK_PLACES, len(candidates)),
        )
        submit.callback = self._submit  # type: ignore[method-assign]
        self.add_item(submit)

    def _chosen(self, place: int, menu: ui.Select[Any]) -> Any:
        async def chosen(interaction: discord.Interaction[Any]) -> None:
            self.places[place] = menu.values[0]
            await interaction.response.edit_message(content=self.preview(), view=self)

        return chosen

    def ranking(self) -> str:
        """The ballot as ``rank`` reads it: places in order, the rest tied last."""
        ordered: list[str] = []
        for place in sorted(self.places):
            if self.places[place] not in ordered:
                ordered.append(self.places[place])
        rest = [c for c in self.candidates if c not in ordered]
        return ",".join(ordered + (["=".join(rest)] if rest else []))

    def preview(self) -> str:
        """What the member has chosen so far."""
        shown = self.ranking().replace(",", " > ").replace("=", " = ")
        return f"Your ranking for {self.election}: {quiet(shown)}\nSubmit when it is right."

    async def _submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        command = elections.RankCandidates(self.election, self.ranking())
        try:
            _, status = await bridge_of(interaction).act(interaction.user, elections.rank, command)
        except Exception as error:
            await refuse(interaction, error)
            return
        self.stop()
        await interaction.followup.send(
            f"Your ranking for {self.election} is recorded: "
            f"{quiet(self.ranking().replace(',', ' > ').replace('=', ' = '))}. You can rank "
            "again until the election closes." + receipt_line(status.receipt),
            ephemeral=True,
        )
