"""Members propose, vote and change their minds on Discord; the outcome reaches every place.

The whole app runs as ``govbot run`` wires it, with unmodified discord.py against the fake
Discord and unmodified PyGithub against the fake GitHub. The fake Discord refuses a first
response later than 3 s, so ``deadline_misses == 0`` at the end of each test means no member
ever saw "This interaction failed".
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.discord.effects import TOTALS_INTERVAL
from governance.model import Person, Rfc
from governance.services import rfcs
from tests.e2e.conftest import DiscordWorld, start_discord_world
from tests.fakes.discord import FakeDiscord
from tests.fakes.github import FakeGitHub
from tests.support.discord import eventually
from tests.support.service import DOCS_REPO, REPO

D = timedelta(days=1)


def propose(world: DiscordWorld, handle: str = "ada", title: str = "Caption provenance") -> str:
    """``/rfc propose`` through its modal; returns the answer the author sees."""
    member = world.server.as_(handle)
    form = member.slash("rfc propose", group="datasets")
    assert form.modal is not None, form.response
    answer = world.server.fake.submit(
        member.user,
        form,
        {
            _input(form.modal, "Title"): title,
            _input(form.modal, "Summary"): "Every caption records where it came from.",
            _input(form.modal, "Text"): "## Motivation\n\nProvenance lets us honour licences.",
        },
    ).wait()
    text = answer.wait_text("Proposed")
    world.settle()
    return text


def _input(modal: dict[str, Any], label: str) -> str:
    """The custom id of the modal's text input whose label starts with ``label``."""
    for row in modal["components"]:
        for item in [row, *row.get("components", []), row.get("component") or {}]:
            if item.get("type") == 4 and str(item.get("label", "")).startswith(label):
                return str(item["custom_id"])
            if item.get("type") == 18 and str(item.get("label", "")).startswith(label):
                return str(item["component"]["custom_id"])
    raise AssertionError(f"no input labelled {label} in {modal}")


def totals_of(message: dict[str, Any]) -> str:
    embed = message["embeds"][0]
    return next(f["value"] for f in embed["fields"] if f["name"] == "Totals")


def open_vote(world: DiscordWorld) -> list[dict[str, Any]]:
    answer = world.server.as_("ada").slash("rfc vote", rfc="RFC-0001")
    assert "The vote on RFC-0001 is open" in answer.wait_text("open")
    world.settle()
    messages = eventually(
        lambda: len(world.server.vote_messages()) == 2 and world.server.vote_messages()
    )
    return list(messages)


def test_a_proposal_through_the_modal_opens_a_thread_an_issue_and_a_docs_commit(
    dworld: DiscordWorld,
) -> None:
    text = propose(dworld)
    assert "RFC-0001" in text
    thread = dworld.server.thread()
    assert thread["name"] == "RFC-0001: Caption provenance"
    starter = dworld.server.channel_messages()[0]
    assert (
        "RFC-0001" in starter["content"] and f"<@{dworld.server.id('ada')}>" in starter["content"]
    )
    with dworld.running.store.read() as uow:
        rfc = uow.session.exec(select(Rfc)).one()
        assert rfc.discord_thread_id == str(thread["id"])
        assert rfc.github_issue is not None
    issue = dworld.fake.issue(REPO, rfc.github_issue)
    assert issue.title == "RFC-0001: Caption provenance"
    dworld.running.settle(docs=True)
    page = next(
        text for path, text in dworld.fake.files(DOCS_REPO).items() if path.startswith("rfcs/0001-")
    )
    assert f"https://discord.com/channels/{dworld.server.fake.guild_id}/{thread['id']}" in page
    assert dworld.server.fake.deadline_misses == 0


def test_members_vote_with_buttons_change_their_minds_and_the_deadline_closes_it(
    dworld: DiscordWorld,
) -> None:
    propose(dworld)
    channel_message, thread_message = open_vote(dworld)
    embed = channel_message["embeds"][0]
    assert embed["title"] == "Vote on RFC-0001: Caption provenance"
    closes = next(f["value"] for f in embed["fields"] if f["name"] == "Closes")
    assert closes.startswith("<t:") and ":F>" in closes  # each member's own local time
    assert "default" in next(f["value"] for f in embed["fields"] if f["name"] == "Policy")

    bo, cy = dworld.server.as_("bo"), dworld.server.as_("cy")
    first = bo.click(channel_message, "yes")
    assert first.ephemeral and "Your **yes** on RFC-0001 is recorded" in first.wait_text("recorded")
    assert "recorded" in cy.click(thread_message, "no").wait_text("recorded")
    changed = cy.click(channel_message, "yes")
    assert "Your **yes**" in changed.wait_text("recorded")
    assert "nothing changed" in cy.click(channel_message, "yes").wait_text("nothing changed")

    def shows_two_yes() -> bool:
        return all("Yes **2** · No **0**" in totals_of(m) for m in dworld.server.vote_messages())

    eventually(shows_two_yes, what="the totals on both vote messages")

    outsider = dworld.server.as_("zed")  # on the server, unknown to the registry
    refused = outsider.click(channel_message, "yes")
    assert refused.ephemeral
    assert "Only the electors of this vote" in refused.wait_text("electors")
    with dworld.running.store.read() as uow:
        zed = uow.session.exec(select(Person).where(Person.handle == "zed")).one()
        assert zed.discord_id == dworld.server.id("zed")  # registered on first use
        status = rfcs.vote_status(uow, "RFC-0001", dworld.clock())
    assert (status.yes, status.no, status.non_binding) == (2, 0, 0)

    dworld.clock.advance(7 * D + timedelta(minutes=1))
    assert dworld.running.tick() == ["RFC-0001: passed"]
    dworld.settle()

    def outcome_posted() -> bool:
        return any(
            "The vote on **RFC-0001" in m.get("content", "")
            for m in dworld.server.channel_messages()
        )

    eventually(outcome_posted, what="the outcome in the channel")
    final = dworld.server.vote_messages()
    assert all(
        c.get("disabled") for m in final for row in m["components"] for c in row["components"]
    )
    outcome = next(
        m["content"]
        for m in dworld.server.thread_messages()
        if "The vote on **RFC-0001" in m.get("content", "")
    )
    assert outcome == (
        "The vote on **RFC-0001: Caption provenance** passed. Yes 2, no 0, abstain 0; "
        "2 of 4 electors voted (quorum 2: met)."
    )
    with dworld.running.store.read() as uow:
        rfc = uow.session.exec(select(Rfc)).one()
    dworld.running.settle(docs=True)
    assert "vote/passed" in dworld.fake.issue(REPO, rfc.github_issue or 0).labels
    page = next(
        text for path, text in dworld.fake.files(DOCS_REPO).items() if path.startswith("rfcs/0001-")
    )
    assert "**Accepted**" in page
    assert dworld.server.fake.deadline_misses == 0
    assert dworld.server.fake.rate_limited == 0


def test_old_buttons_work_after_a_restart_mid_vote(dworld: DiscordWorld) -> None:
    propose(dworld)
    channel_message, _ = open_vote(dworld)
    dworld.server.as_("bo").click(channel_message, "yes").wait_text("recorded")
    writes = dworld.server.fake.command_writes
    dworld.restart()
    dworld.server.fake.wait_connected()
    answer = dworld.server.as_("di").click(channel_message, "no")
    assert "Your **no** on RFC-0001 is recorded" in answer.wait_text("recorded")
    assert dworld.server.fake.command_writes == writes  # unchanged commands are not synced again
    with dworld.running.store.read() as uow:
        status = rfcs.vote_status(uow, "RFC-0001", dworld.clock())
    assert (status.yes, status.no) == (1, 1)
    assert dworld.server.fake.deadline_misses == 0


def test_a_deadline_missed_while_down_is_caught_up_at_startup(dworld: DiscordWorld) -> None:
    propose(dworld)
    channel_message, _ = open_vote(dworld)
    for handle in ("ada", "bo", "cy"):
        dworld.server.as_(handle).click(channel_message, "yes").wait_text("recorded")
    dworld.settle()
    dworld.running.stop()
    dworld.clock.advance(8 * D)
    dworld.restart()
    dworld.settle()
    eventually(
        lambda: any(
            "The vote on **RFC-0001: Caption provenance** passed" in m.get("content", "")
            for m in dworld.server.channel_messages()
        ),
        what="the outcome posted after the restart",
    )


def test_electors_who_have_not_voted_are_reminded_once_a_day_before(dworld: DiscordWorld) -> None:
    propose(dworld)
    channel_message, _ = open_vote(dworld)
    dworld.server.as_("bo").click(channel_message, "yes").wait_text("recorded")
    dworld.clock.advance(6 * D + timedelta(hours=1))
    assert "RFC-0001: reminder" in dworld.running.tick()
    dworld.settle()
    reminder = eventually(
        lambda: next(
            m["content"]
            for m in dworld.server.thread_messages()
            if m.get("content", "").startswith("⏰")
        )
    )
    for handle in ("ada", "cy", "di"):
        assert f"<@{dworld.server.id(handle)}>" in reminder
    assert f"<@{dworld.server.id('bo')}>" not in reminder
    dworld.clock.advance(timedelta(hours=1))
    dworld.running.tick()
    dworld.settle()
    reminders = [
        m for m in dworld.server.thread_messages() if m.get("content", "").startswith("⏰")
    ]
    assert len(reminders) == 1


@pytest.fixture
def secret_world(
    tmp_path: Path, fake: FakeGitHub, discord_fake: FakeDiscord
) -> Iterator[DiscordWorld]:
    """datasets has a ``secret`` policy; RFC-0001 is proposed and its secret vote open."""
    world = start_discord_world(
        tmp_path,
        fake,
        discord_fake,
        group_policies="secret: {duration: 7d, quorum: 0.5, pass: majority, secret: true}\n",
    )
    try:
        propose(world)
        world.server.as_("ada").slash("rfc vote", rfc="RFC-0001", policy="secret").wait_text("open")
        world.settle()
        yield world
    finally:
        world.running.stop()
    assert discord_fake.deadline_misses == 0 and discord_fake.rate_limited == 0


def test_a_secret_vote_answers_ephemerally_from_the_first_response(
    secret_world: DiscordWorld,
) -> None:
    world = secret_world
    channel_message = eventually(lambda: world.server.vote_messages()[0])
    click = world.server.as_("bo").click(channel_message, "no")
    assert click.response is not None and click.response["type"] == 5
    assert click.response["data"]["flags"] & 64  # ephemeral from the first response
    assert "Your receipt" in click.wait_text("receipt")
    eventually(lambda: "1 of 4 electors voted" in totals_of(world.server.vote_messages()[0]))
    assert "No **" not in totals_of(world.server.vote_messages()[0])


COUNTS = ("Yes **", "No **", "Abstain **", " yes,", " no,", "| Yes |")


def test_a_secret_vote_shows_turnout_only_in_public_and_each_member_their_own_ballot(
    secret_world: DiscordWorld,
) -> None:
    world = secret_world
    channel_message, thread_message = eventually(
        lambda: len(world.server.vote_messages()) == 2 and world.server.vote_messages()
    )
    bo, cy, di = (world.server.as_(h) for h in ("bo", "cy", "di"))
    receipts = {}
    for member, message, choice in ((bo, channel_message, "no"), (cy, thread_message, "yes"),
                                    (cy, channel_message, "no")):  # fmt: skip
        click = member.click(message, choice)
        text = click.wait_text("receipt")
        assert click.ephemeral and f"**{choice}**" in text
        receipts[member.handle] = text.split("receipt: `")[1].split("`")[0]
    cast = di.slash("vote cast", rfc="RFC-0001", choice="abstain")
    assert cast.ephemeral and "Your receipt" in cast.wait_text("receipt")
    world.settle()
    eventually(
        lambda: all("3 of 4 electors voted" in totals_of(m) for m in world.server.vote_messages()),
        what="the turnout in both vote messages",
    )
    status = cy.slash("vote status", rfc="RFC-0001")
    assert status.response is not None and status.response["data"]["flags"] & 64
    status.wait_text("Your ballot")
    shown = " ".join(status.texts())
    assert "Your ballot on RFC-0001: **no**" in shown and receipts["cy"] in shown
    assert "3 of 4 electors voted" in shown and not any(c in shown for c in COUNTS)
    ada = world.server.as_("ada").slash("vote status", rfc="RFC-0001")
    assert "You have not voted on RFC-0001" in ada.wait_text("not voted")
    # every message posted or edited in public, on Discord and on GitHub, holds no count
    public = [
        json.dumps(call.request_json)
        for call in world.server.fake.calls
        if call.path.startswith("/channels/") and call.request_json
    ]
    assert public and not any(c in text for text in public for c in COUNTS)
    world.running.settle(docs=True)
    with world.running.store.read() as uow:
        issue = uow.session.exec(select(Rfc)).one().github_issue
    assert issue is not None
    comments = " ".join(body for _, body in world.fake.issue(REPO, issue).comments)
    assert "**secret**" in comments and not any(c in comments for c in COUNTS)
    page = next(t for p, t in world.fake.files(DOCS_REPO).items() if p.startswith("rfcs/0001-"))
    assert "Voted: `bo`, `cy`, `di`." in page and "Tally sheet" not in page
    assert not any(c in page for c in COUNTS) and receipts["cy"] not in page
    # at the close: the totals everywhere, and the tally sheet where each voter finds their line
    world.clock.advance(7 * D + timedelta(hours=1))
    world.running.tick()
    world.settle()
    world.running.settle(docs=True)
    eventually(
        lambda: "| 0 | 2 | 1 |" in " ".join(b for _, b in world.fake.issue(REPO, issue).comments),
        what="the result on the issue",
    )
    assert "tally sheet" in world.fake.issue(REPO, issue).comments[-1][1]
    page = next(t for p, t in world.fake.files(DOCS_REPO).items() if p.startswith("rfcs/0001-"))
    assert "| Result | 0 yes, 2 no, 1 abstain |" in page
    assert f"| `{receipts['cy']}` | no |" in page and f"| `{receipts['bo']}` | no |" in page


def test_a_secret_vote_reminds_each_waiting_elector_privately(secret_world: DiscordWorld) -> None:
    world = secret_world
    channel_message = eventually(lambda: world.server.vote_messages()[0])
    world.server.as_("bo").click(channel_message, "yes").wait_text("recorded")
    world.server.fake.close_dms(world.server.id("ada"))  # DMs closed: the others still hear
    world.clock.advance(6 * D + timedelta(hours=1))
    assert "RFC-0001: reminder" in world.running.tick()
    world.settle()
    waiting = [world.server.id(h) for h in ("cy", "di")]
    eventually(lambda: all(world.server.fake.dms(user) for user in waiting))
    for user in waiting:
        assert "You have not voted yet" in world.server.fake.dms(user)[0]["content"]
    assert world.server.fake.dms(world.server.id("bo")) == []
    assert world.server.fake.dms(world.server.id("ada")) == []
    public = [m for m in world.server.thread_messages() if "⏰" in m.get("content", "")]
    assert public == []  # who has not voted in a secret vote is told to no one else


def test_ballots_cast_on_github_show_in_the_discord_totals(dworld: DiscordWorld) -> None:
    propose(dworld)
    open_vote(dworld)
    with dworld.running.store.read() as uow:
        issue = uow.session.exec(select(Rfc)).one().github_issue
    assert issue is not None
    status, _, _ = dworld.github.comment(issue, "/vote no", by="di-gh")
    assert status == 202
    dworld.settle()
    eventually(
        lambda: all("No **1**" in totals_of(m) for m in dworld.server.vote_messages()),
        what="the GitHub ballot in both vote messages",
    )


def test_totals_are_edited_at_most_once_per_interval_however_many_click(
    dworld: DiscordWorld,
) -> None:
    propose(dworld)
    channel_message, _ = open_vote(dworld)

    def edits() -> list[float]:
        path = f"/messages/{channel_message['id']}"
        return [
            c.at for c in dworld.server.fake.calls if c.method == "PATCH" and c.path.endswith(path)
        ]

    dworld.server.as_("bo").click(channel_message, "yes").wait_text("recorded")

    def shown() -> str:
        return totals_of(dworld.server.fake.message(dworld.server.channel, channel_message["id"]))

    eventually(lambda: "Yes **1**" in shown())
    first = edits()
    for handle, choice in (("cy", "yes"), ("di", "no"), ("ada", "abstain")):
        dworld.server.as_(handle).click(channel_message, choice).wait_text("recorded")
    eventually(
        lambda: (
            "Yes **2** · No **1** · Abstain **1**"
            in totals_of(dworld.server.fake.message(dworld.server.channel, channel_message["id"]))
        ),
        what="the three later ballots in the totals",
    )
    times = edits()[len(first) - 1 :]  # the edit showing bo's ballot, then the later ones
    assert len(times) >= 2
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= TOTALS_INTERVAL.total_seconds()  # however fast the clicks came
