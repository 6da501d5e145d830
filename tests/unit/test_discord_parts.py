"""The Discord front end's pure parts: role plans and their guard, messages within limits."""

from __future__ import annotations

import re

import pytest

from bot.discord import messages, roles
from bot.discord.views import RankView, VoteButton, vote_view
from governance.status import VoteStatus


def status(**changes: object) -> VoteStatus:
    base: dict[str, object] = {
        "rfc": "RFC-0007",
        "state": "open",
        "outcome": None,
        "policy_name": "default",
        "policy": "majority of ballots, quorum 50%",
        "secret": False,
        "sealed": False,
        "yes": 3,
        "no": 1,
        "abstain": 0,
        "non_binding": 0,
        "electorate": 9,
        "participation": 4,
        "quorum_needed": 5,
        "quorum_met": False,
        "opened_at": "2027-01-04T10:00:00Z",
        "closes_at": "2027-01-11T10:00:00Z",
        "closed_at": None,
        "reason": None,
        "electors": [],
    }
    base.update(changes)
    return VoteStatus(**base)  # type: ignore[arg-type]


def plan_for(holding: set[str], wanted: set[str], *, force: bool = False) -> roles.GroupPlan:
    members = {u: ({"R"} if u in holding else set()) for u in holding | wanted | {"other"}}
    rosters = [("datasets", "R", {u: f"h{u}" for u in wanted})]
    return roles.plan(rosters, members, force=force)[0]


def test_a_sync_adds_the_missing_and_removes_the_departed() -> None:
    plan = plan_for({"1", "2", "3", "4"}, {"1", "2", "3", "5"})
    assert plan.add == ["5"] and plan.remove == ["4"] and plan.refused is None


def test_removing_more_than_a_quarter_of_holders_is_refused_without_force() -> None:
    plan = plan_for({"1", "2", "3", "4"}, {"1", "2"})
    assert plan.remove == ["3", "4"]
    assert plan.refused is not None and "more than a quarter" in plan.refused
    assert "--force" in plan.refused
    assert plan_for({"1", "2", "3", "4"}, {"1", "2"}, force=True).refused is None


def test_exactly_a_quarter_may_go() -> None:
    plan = plan_for({"1", "2", "3", "4"}, {"1", "2", "3"})
    assert plan.remove == ["4"] and plan.refused is None


def test_people_on_the_roster_but_not_on_the_server_are_reported_not_added() -> None:
    members = {"1": {"R"}}
    plan = roles.plan([("datasets", "R", {"1": "ada", "9": "bo"})], members, force=False)[0]
    assert plan.add == [] and plan.absent == ["bo"]


def test_the_vote_embed_fits_discords_limits_whatever_the_title() -> None:
    embed = messages.vote_embed(status(policy="p" * 5000), "@everyone " + "t" * 400)
    data = embed.to_dict()
    assert len(data["title"]) <= 256
    assert "@everyone" not in data["title"]  # broken with a word joiner
    assert all(len(f["value"]) <= 1024 for f in data["fields"])
    assert len(embed) <= 6000


def test_deadlines_use_discords_local_time_format() -> None:
    assert messages.when("2027-01-11T10:00:00Z") == "<t:1799661600:F> (<t:1799661600:R>)"


def sealed(**changes: object) -> VoteStatus:
    """A secret vote before its close, as ``status.summary`` builds it: no counts at all."""
    return status(secret=True, sealed=True, yes=None, no=None, abstain=None, **changes)


def test_a_secret_open_vote_shows_participation_not_choices() -> None:
    text = messages.totals(sealed())
    assert "4 of 9 electors voted" in text and "Yes" not in text and "None" not in text
    closed = messages.totals(status(secret=True, state="closed", outcome="passed"))
    assert "Yes **3**" in closed


def test_a_sealed_vote_embed_and_outcome_text_carry_no_count() -> None:
    embed = messages.vote_embed(sealed(non_binding=2), "Disclosure").to_dict()
    shown = str(embed)
    assert "secret" in shown and "2 non-binding" in shown
    assert not any(word in shown for word in ("Yes **", "No **", "Abstain **", "None"))
    cancelled = messages.outcome_text(
        sealed(state="cancelled", outcome="cancelled", reason="wrong text"), "Disclosure"
    )
    assert "cancelled" in cancelled and "Yes" not in cancelled and "None" not in cancelled


def test_a_members_own_ballot_is_shown_with_its_receipt() -> None:
    text = messages.own_ballot_text("RFC-0007", "no", True, "0123456789abcdef0123")
    assert "**no**" in text and "`0123456789abcdef0123`" in text and "Only you" in text
    assert "not voted" in messages.own_ballot_text("RFC-0007", None, True, None)


def test_reminder_mentions_are_split_under_the_message_limit() -> None:
    mentions = [f"<@{10**17 + i}>" for i in range(300)]
    parts = messages.chunks("⏰ Not voted yet:", mentions)
    assert len(parts) > 1 and all(len(p) <= messages.CONTENT_MAX for p in parts)
    assert sum(p.count("<@") for p in parts) == 300


def test_vote_buttons_have_stable_custom_ids_within_limits() -> None:
    view = vote_view(123456789)
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids == [f"govbot:vote:123456789:{c}" for c in ("yes", "no", "abstain")]
    pattern = VoteButton.__discord_ui_compiled_template__
    assert all(pattern.fullmatch(i) and len(i) <= 100 for i in ids)
    assert all(item.item.disabled for item in vote_view(1, closed=True).children)  # type: ignore[attr-defined]


@pytest.mark.parametrize("count", [2, 4, 9])
def test_the_ranking_menus_fit_five_rows(count: int) -> None:
    candidates = [f"c{i}" for i in range(count)]
    view = RankView("E-0001", candidates)
    rows = {item.row for item in view.children}
    assert len(rows) <= 5 and len(view.children) == min(4, count) + 1
    view.places = {1: "c1", 2: "c0"}
    ranking = view.ranking()
    assert ranking.startswith("c1,c0")
    assert re.fullmatch(r"c1,c0(,[c0-9=]+)?", ranking)
