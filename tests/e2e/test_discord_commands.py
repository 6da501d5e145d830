"""Every slash command as members use it, refusals included, against the fake Discord."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from governance.model import Person, RankedBallot
from governance.services import rfcs
from tests.e2e.conftest import DiscordWorld
from tests.e2e.test_discord_votes import open_vote, propose, totals_of
from tests.support.discord import eventually

D = timedelta(days=1)


def test_help_lists_every_area(dworld: DiscordWorld) -> None:
    answer = dworld.server.as_("bo").slash("govbot help")
    assert answer.ephemeral
    text = answer.wait_text("govbot")
    for command in ("/rfc propose", "/vote cast", "/wg join", "/election rank", "/link github"):
        assert command in text


def test_an_unknown_member_joins_an_open_group_and_gets_its_role(dworld: DiscordWorld) -> None:
    zed = dworld.server.as_("zed")
    assert "zed joined datasets as member." in zed.slash("wg join", group="datasets").wait_text(
        "joined"
    )
    with dworld.running.store.read() as uow:
        person = uow.session.exec(select(Person).where(Person.handle == "zed")).one()
    assert person.discord_id == zed.user and person.name == "Zed"
    eventually(lambda: dworld.server.role in dworld.server.fake.member_roles(zed.user))
    info = dworld.server.as_("bo").slash("wg info", group="datasets")
    assert "zed" in " ".join(info.texts())
    assert "zed left datasets." in zed.slash("wg leave", group="datasets").wait_text("left")
    eventually(lambda: dworld.server.role not in dworld.server.fake.member_roles(zed.user))
    listing = dworld.server.as_("bo").slash("wg list").wait_text("datasets")
    assert "membership open" in listing


def test_autocomplete_offers_groups_rfcs_people_and_policies(dworld: DiscordWorld) -> None:
    fake, bo = dworld.server.fake, dworld.server.id("bo")
    groups = fake.autocomplete(bo, "rfc propose", focused="group", group="data")
    assert [c["value"] for c in groups] == ["datasets"]
    propose(dworld)
    found = fake.autocomplete(bo, "rfc show", focused="rfc", rfc="capt")
    assert found[0]["value"] == "RFC-0001" and "Caption provenance" in found[0]["name"]
    assert fake.autocomplete(bo, "rfc show", focused="rfc", rfc="1")[0]["value"] == "RFC-0001"
    people = fake.autocomplete(bo, "wg approve", focused="member", group="datasets", member="b")
    assert "bo" in [c["value"] for c in people]
    policies = fake.autocomplete(bo, "rfc vote", focused="policy", rfc="RFC-0001", policy="")
    assert {"default", "charter-change"} <= {c["value"] for c in policies}
    assert dworld.server.fake.deadline_misses == 0


def test_refusals_are_ephemeral_and_say_what_to_do(dworld: DiscordWorld) -> None:
    propose(dworld)
    bo = dworld.server.as_("bo")
    refused = bo.slash("rfc vote", rfc="RFC-0001")
    text = refused.wait_text("⛔")
    assert refused.ephemeral and "chair" in text
    unknown = bo.slash("rfc show", rfc="RFC-0099")
    assert unknown.ephemeral and "RFC-0099" in unknown.wait_text("⛔")
    nowhere = bo.slash("rfc propose", group="nowhere")
    assert nowhere.modal is None and "nowhere" in nowhere.wait_text("⛔")
    with dworld.running.store.read() as uow:
        assert rfcs.show_rfc(uow, "RFC-0001", dworld.clock()).vote is None


def test_concerns_pause_the_vote_and_the_message_says_so(dworld: DiscordWorld) -> None:
    propose(dworld)
    open_vote(dworld)
    cy = dworld.server.as_("cy")
    raised = cy.slash("rfc concern", rfc="RFC-0001", text="Licences of web crawls are unclear.")
    assert "The vote is paused" in raised.wait_text("Concern 1")
    eventually(lambda: all("Paused" in str(m["embeds"][0]) for m in dworld.server.vote_messages()))
    resolved = cy.slash("rfc resolve", rfc="RFC-0001", concern=1, reason="Clarified in text")
    assert "resumes" in resolved.wait_text("resolved")
    shown = dworld.server.as_("bo").slash("rfc show", rfc="RFC-0001")
    assert "Concern 1 by cy (resolved)" in " ".join(shown.texts())


def test_vote_cast_from_a_non_elector_is_non_binding_and_status_shows_it(
    dworld: DiscordWorld,
) -> None:
    propose(dworld)
    open_vote(dworld)
    answer = dworld.server.as_("zed").slash("vote cast", rfc="RFC-0001", choice="no")
    assert "non-binding" in answer.wait_text("recorded")
    status = dworld.server.as_("zed").slash("vote status", rfc="RFC-0001")
    assert "1 non-binding ballot" in status.wait_text("non-binding ballot")
    assert "Your ballot on RFC-0001: **no** (non-binding" in " ".join(status.texts())
    eventually(lambda: "1 non-binding" in totals_of(dworld.server.vote_messages()[0]))


def test_the_author_withdraws_and_lists_show_it(dworld: DiscordWorld) -> None:
    propose(dworld)
    assert "RFC-0001 is withdrawn." in dworld.server.as_("ada").slash(
        "rfc withdraw", rfc="RFC-0001"
    ).wait_text("withdrawn")
    listing = dworld.server.as_("bo").slash("rfc list", status="withdrawn")
    assert "**RFC-0001** withdrawn" in listing.wait_text("RFC-0001")


def test_an_election_is_opened_and_ranked_with_select_menus(dworld: DiscordWorld) -> None:
    ada, bo = dworld.server.as_("ada"), dworld.server.as_("bo")
    opened = ada.slash("election open", group="datasets", candidates="bo, cy, di", title="Chair")
    assert "E-0001 is open" in opened.wait_text("E-0001")
    menus = bo.slash("election rank", election="E-0001")
    message = menus.wait(5).message
    assert message is not None and menus.ephemeral
    fake = dworld.server.fake
    first = fake.select(bo.user, message, "govbot:rank:1", ["cy"]).wait()
    assert first.response is not None and first.response["type"] == 7
    second = fake.select(bo.user, first.message or message, "govbot:rank:2", ["di"]).wait()
    assert "cy > di > bo" in second.wait_text("Your ranking")
    submitted = fake.click(bo.user, second.message or message, "govbot:rank:submit").wait()
    assert "is recorded" in submitted.wait_text("recorded")
    with dworld.running.store.read() as uow:
        ballot = uow.session.exec(select(RankedBallot)).one()
    assert ballot.ranking == [["cy"], ["di"], ["bo"]]
    written = dworld.server.as_("cy").slash("election rank", election="E-0001", ranking="di,bo=cy")
    assert "recorded" in written.wait_text("recorded")


def test_linking_github_from_discord_completes_with_a_comment(dworld: DiscordWorld) -> None:
    zed = dworld.server.as_("zed")
    answer = zed.slash("link github", login="zed-gh")
    text = answer.wait_text("/govbot verify")
    assert answer.ephemeral
    code = text.split("/govbot verify ")[1].split("`")[0]
    number = dworld.github.open_issue("Linking", "", by="ada-gh", labels=[])
    dworld.github.comment(number, f"/govbot verify {code}", by="zed-gh")
    dworld.settle()
    with dworld.running.store.read() as uow:
        person = uow.session.exec(select(Person).where(Person.handle == "zed")).one()
    assert person.github == "zed-gh" and person.discord_id == zed.user
