"""Votes through the service layer on a real database: every rule of decision, worked out.

The group ``core`` has chair ada and members bo, cy, di, ed (an electorate of five), observer hal
(non-binding), and ivy outside it. The default policy: 7d, min 72h, quorum 0.5 (3 of 5), majority.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot import wiring
from governance import errors
from governance.services import groups, rfcs, ticks
from governance.status import VoteStatus
from governance.store import Store
from tests.conftest import T0, Actor, Db, charter, write_charters

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture
def foundation_with(tmp_path: Path, open_store: Callable[[], Store]) -> Callable[..., Actor]:
    """A foundation with one group ``core`` whose charter sets ``policies`` (YAML text)."""

    def make(policies: str, *, chairs: list[str], members: list[str]) -> Actor:
        directory = write_charters(
            tmp_path / "c", core=charter("core", chairs=chairs, members=members, policies=policies)
        )
        store = open_store()
        wiring.sync_charters(store, directory, T0 - D)
        return Actor(store)

    return make


def propose(act: Actor, author: str = "bo", at=T0 - H, group: str = "core") -> str:
    return act(
        rfcs.propose_rfc, author, at, rfcs.ProposeRfc(group, "Adopt a dataset licence", "Body.")
    ).rfc


def open_vote(act: Actor, ref: str, at=T0, policy: str = "default") -> VoteStatus:
    return act(rfcs.open_vote, "ada", at, rfcs.OpenVote(ref, policy))


def cast(act: Actor, ref: str, who: str, choice: str, at) -> rfcs.BallotResult:
    return act(rfcs.cast_ballot, who, at, rfcs.CastBallot(ref, choice))


def status(act: Actor, ref: str, at=T0) -> VoteStatus:
    return act.read(rfcs.vote_status, ref, at)


def tick(act: Actor, at) -> ticks.TickReport:
    with act.store.write() as uow:
        return ticks.tick(uow, at)


# --- opening -----------------------------------------------------------------------------------


def test_open_freezes_policy_and_electorate(act: Actor) -> None:
    ref = propose(act)
    opened = open_vote(act, ref)
    assert opened.state == "open"
    assert opened.electors == ["ada", "bo", "cy", "di", "ed"]
    assert opened.electorate == 5
    assert opened.quorum_needed == 3
    assert opened.closes_at == "2027-01-11T10:00:00Z"
    assert act.read(rfcs.show_rfc, ref, T0).status == "voting"


def test_named_policy_resolves_key_by_key(act: Actor) -> None:
    ref = propose(act)
    opened = open_vote(act, ref, policy="charter-change")
    # charter-change: 14d, quorum 0.66 -> ceil(3.3) = 4 of 5, supermajority; min 72h inherited.
    assert opened.closes_at == "2027-01-18T10:00:00Z"
    assert opened.quorum_needed == 4
    assert "supermajority" in opened.policy


def test_group_override_of_one_key(foundation_with: Callable[..., Actor]) -> None:
    act = foundation_with(
        "default: {quorum: 0.8}\n", chairs=["ada"], members=["bo", "cy", "di", "ed"]
    )
    ref = propose(act)
    opened = open_vote(act, ref)
    assert opened.quorum_needed == 4  # 0.8 of 5
    assert opened.closes_at == "2027-01-11T10:00:00Z"  # duration still the foundation's 7d


def test_only_chairs_open_votes(act: Actor, db: Db) -> None:
    ref = propose(act)
    before = db.snapshot()
    with pytest.raises(errors.PermissionDenied, match="Only a chair of core"):
        act(rfcs.open_vote, "bo", T0, rfcs.OpenVote(ref))
    assert db.snapshot() == before


def test_admin_may_open_votes(act: Actor) -> None:
    ref = propose(act)
    assert act(rfcs.open_vote, "root", T0, rfcs.OpenVote(ref)).state == "open"


def test_duplicate_open_vote_is_refused(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    before = db.snapshot()
    with pytest.raises(errors.Conflict, match="already has an open vote"):
        open_vote(act, ref, at=T0 + H)
    assert db.snapshot() == before


def test_unknown_policy_is_refused(act: Actor) -> None:
    ref = propose(act)
    with pytest.raises(
        errors.InvalidInput, match=r"no policy named 'charter-chnage'.*charter-change"
    ):
        open_vote(act, ref, policy="charter-chnage")


def test_voters_chairs_narrows_the_electorate(foundation_with: Callable[..., Actor]) -> None:
    act = foundation_with(
        "steering: {voters: chairs}\n", chairs=["ada", "bo"], members=["cy", "di"]
    )
    ref = propose(act, author="cy")
    opened = open_vote(act, ref, policy="steering")
    assert opened.electors == ["ada", "bo"]


# --- ballots -----------------------------------------------------------------------------------


def test_ballot_outside_electorate_is_non_binding(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    observer = cast(act, ref, "hal", "yes", T0 + H)
    outsider = cast(act, ref, "ivy", "no", T0 + H)
    assert not observer.binding and not outsider.binding
    now = status(act, ref, T0 + H)
    assert (now.yes, now.no, now.non_binding, now.participation) == (0, 0, 2, 0)
    assert now.non_binding_ballots is not None
    assert [b.handle for b in now.non_binding_ballots] == ["hal", "ivy"]


def test_ballot_change_keeps_history(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    cast(act, ref, "bo", "no", T0 + H)
    changed = cast(act, ref, "bo", "yes", T0 + 2 * H)
    assert changed.changed
    same = cast(act, ref, "bo", "yes", T0 + 3 * H)
    assert not same.changed
    now = status(act, ref, T0 + 3 * H)
    assert (now.yes, now.no) == (1, 0)
    history = db.query("SELECT choice FROM ballot_history ORDER BY id")
    current = db.query("SELECT choice FROM ballots")
    assert history == [("no",), ("yes",)]
    assert current == [("yes",)]


@pytest.mark.parametrize(
    ("who", "choice", "error", "message"),
    [
        ("bo", "maybe", errors.InvalidInput, "vote yes, no or abstain"),
        ("nobody", "yes", errors.NotFound, "No person with handle 'nobody'"),
    ],
)
def test_bad_ballots_change_nothing(act: Actor, db: Db, who, choice, error, message) -> None:
    ref = propose(act)
    open_vote(act, ref)
    before = db.snapshot()
    with pytest.raises(error, match=message):
        cast(act, ref, who, choice, T0 + H)
    assert db.snapshot() == before


def test_ballot_on_unknown_rfc(act: Actor) -> None:
    with pytest.raises(errors.NotFound, match="There is no RFC-0042"):
        cast(act, "RFC-0042", "bo", "yes", T0)


def test_ballot_without_vote(act: Actor) -> None:
    ref = propose(act)
    with pytest.raises(errors.NotFound, match="has no vote open"):
        cast(act, ref, "bo", "yes", T0)


def test_electorate_is_frozen_at_opening(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    act(groups.join_group, "ivy", T0 + H, groups.JoinGroup("core"))
    act(groups.approve_join, "ada", T0 + H, groups.ApproveJoin("core", "ivy"))
    act(groups.leave_group, "bo", T0 + H, groups.LeaveGroup("core"))
    assert not cast(act, ref, "ivy", "yes", T0 + 2 * H).binding
    assert cast(act, ref, "bo", "yes", T0 + 2 * H).binding


# --- closing -----------------------------------------------------------------------------------


def test_early_close_waits_for_min_duration(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + H)  # 3 yes of 5: the other two cannot flip it
    assert status(act, ref, T0 + H).state == "open"
    assert not tick(act, T0 + 71 * H).changed
    report = tick(act, T0 + 72 * H)
    assert report.closed_votes == [{"rfc": ref, "outcome": "passed"}]
    closed = status(act, ref, T0 + 72 * H)
    assert (closed.state, closed.outcome, closed.closed_at) == (
        "closed",
        "passed",
        "2027-01-07T10:00:00Z",
    )
    assert act.read(rfcs.show_rfc, ref, T0).status == "accepted"


def test_decisive_ballot_after_min_duration_closes_at_once(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    cast(act, ref, "ada", "yes", T0 + 80 * H)
    cast(act, ref, "bo", "yes", T0 + 80 * H)
    assert status(act, ref, T0 + 80 * H).state == "open"  # 2 yes: the other 3 could still reject
    result = cast(act, ref, "cy", "yes", T0 + 81 * H)
    assert result.status.state == "closed"
    assert result.status.outcome == "passed"
    assert result.status.closed_at == "2027-01-07T19:00:00Z"


def test_every_elector_voted_closes_early_even_when_close(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who, choice in [
        ("ada", "yes"),
        ("bo", "yes"),
        ("cy", "no"),
        ("di", "no"),
        ("ed", "abstain"),
    ]:
        cast(act, ref, who, choice, T0 + 100 * H)
    final = status(act, ref, T0 + 100 * H)
    assert (final.state, final.outcome) == ("closed", "rejected")  # a 2-2 tie is rejected


def test_close_early_false_waits_for_deadline(foundation_with: Callable[..., Actor]) -> None:
    act = foundation_with("default: {close_early: false}\n", chairs=["ada"], members=["bo", "cy"])
    ref = propose(act)
    open_vote(act, ref)
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + 100 * H)
    assert status(act, ref, T0 + 100 * H).state == "open"
    assert not tick(act, T0 + 7 * D - H).changed
    assert tick(act, T0 + 7 * D).closed_votes == [{"rfc": ref, "outcome": "passed"}]


@pytest.mark.parametrize(
    ("ballots", "outcome"),
    [
        ({"ada": "yes", "bo": "yes", "cy": "no"}, "passed"),  # quorum 3 met, 2 > 1
        ({"ada": "yes", "bo": "no", "cy": "abstain"}, "rejected"),  # tie
        ({"ada": "abstain", "bo": "abstain", "cy": "abstain"}, "rejected"),  # yes+no == 0
        ({"ada": "yes", "bo": "yes"}, "no-quorum"),  # 2 of 5 < 3
        ({"ada": "no", "bo": "no", "cy": "yes"}, "rejected"),
    ],
)
def test_outcome_at_deadline(act: Actor, ballots: dict[str, str], outcome: str) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who, choice in ballots.items():
        cast(act, ref, who, choice, T0 + H)
    cast(act, ref, "hal", "yes", T0 + H)  # non-binding never counts
    report = tick(act, T0 + 9 * D)  # the scheduler was down for two days
    assert report.closed_votes == [{"rfc": ref, "outcome": outcome}]
    final = status(act, ref, T0 + 9 * D)
    assert final.closed_at == "2027-01-11T10:00:00Z"  # closed at its deadline, not when noticed
    expected_rfc = "accepted" if outcome == "passed" else "rejected"
    assert act.read(rfcs.show_rfc, ref, T0).status == expected_rfc


def test_ballot_after_deadline_is_refused_and_closes_the_vote(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    cast(act, ref, "ada", "yes", T0 + H)
    with pytest.raises(errors.VoteClosed, match="no longer accepted"):
        cast(act, ref, "bo", "yes", T0 + 7 * D)
    final = status(act, ref, T0 + 7 * D)
    assert (final.state, final.outcome, final.yes) == ("closed", "no-quorum", 1)


def test_ballot_after_close_is_refused(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + 80 * H)
    assert status(act, ref, T0 + 80 * H).state == "closed"
    before = db.snapshot()
    with pytest.raises(errors.VoteClosed):
        cast(act, ref, "ed", "no", T0 + 81 * H)
    assert db.snapshot() == before


# --- concerns ----------------------------------------------------------------------------------


def concern(
    act: Actor, ref: str, who: str, at, text: str = "Licence is unclear"
) -> rfcs.ConcernResult:
    return act(rfcs.raise_concern, who, at, rfcs.RaiseConcern(ref, text))


def resolve(
    act: Actor, ref: str, who: str, cid: int, at, reason: str | None = None
) -> rfcs.ConcernResult:
    return act(rfcs.resolve_concern, who, at, rfcs.ResolveConcern(ref, cid, reason))


def test_concern_pauses_and_resume_keeps_time_left(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    raised = concern(act, ref, "bo", T0 + D)
    assert raised.vote_state == "paused"
    paused = status(act, ref, T0 + D)
    assert (paused.state, paused.closes_at) == ("paused", None)
    assert act.read(rfcs.show_rfc, ref, T0 + D).status == "paused"
    for who in ("ada", "bo", "cy", "di", "ed"):
        cast(act, ref, who, "yes", T0 + 4 * D)  # ballots may still be cast
    assert not tick(act, T0 + 30 * D).changed  # a paused vote never closes
    resumed = resolve(act, ref, "bo", raised.concern_id, T0 + 31 * D)
    assert resumed.vote_state == "open"
    assert resumed.closes_at == "2027-02-10T10:00:00Z"  # T0+31d + the 6 days it had left
    assert act.read(rfcs.show_rfc, ref, T0 + 31 * D).status == "voting"


def test_resume_gives_at_least_min_duration(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    raised = concern(act, ref, "cy", T0 + 6 * D + 12 * H)  # 12 hours left
    resumed = resolve(act, ref, "cy", raised.concern_id, T0 + 8 * D)
    assert resumed.closes_at == "2027-01-15T10:00:00Z"  # T0+8d + 72h


def test_vote_opened_with_open_concern_starts_paused(act: Actor) -> None:
    ref = propose(act)
    raised = concern(act, ref, "di", T0 - H / 2)
    opened = open_vote(act, ref)
    assert (opened.state, opened.closes_at) == ("paused", None)
    resumed = resolve(act, ref, "di", raised.concern_id, T0 + D)
    assert resumed.closes_at == "2027-01-12T10:00:00Z"  # the full 7d from the resume


def test_all_concerns_must_be_resolved(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    first = concern(act, ref, "bo", T0 + H)
    second = concern(act, ref, "cy", T0 + 2 * H, "Scope is too wide")
    assert resolve(act, ref, "bo", first.concern_id, T0 + 3 * H).vote_state == "paused"
    assert resolve(act, ref, "cy", second.concern_id, T0 + 4 * H).vote_state == "open"


def test_only_electors_raise_concerns(act: Actor, db: Db) -> None:
    ref = propose(act)
    before = db.snapshot()
    for who in ("hal", "ivy"):
        with pytest.raises(errors.NotEligible, match="Only people with a vote in core"):
            concern(act, ref, who, T0)
    assert db.snapshot() == before


def test_frozen_elector_who_left_may_still_raise_concern(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    act(groups.leave_group, "ed", T0 + H, groups.LeaveGroup("core"))
    assert concern(act, ref, "ed", T0 + 2 * H).vote_state == "paused"


def test_override_needs_a_chair_and_a_reason(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    raised = concern(act, ref, "bo", T0 + H)
    before = db.snapshot()
    with pytest.raises(errors.PermissionDenied, match="Only the author of concern"):
        resolve(act, ref, "cy", raised.concern_id, T0 + 2 * H, "no")
    with pytest.raises(errors.InvalidInput, match="needs a reason"):
        resolve(act, ref, "ada", raised.concern_id, T0 + 2 * H)
    assert db.snapshot() == before
    overridden = resolve(act, ref, "ada", raised.concern_id, T0 + 2 * H, "Addressed in section 3")
    assert (overridden.state, overridden.vote_state) == ("overridden", "open")
    view = act.read(rfcs.show_rfc, ref, T0 + 2 * H)
    assert view.concerns[0].reason == "Addressed in section 3"
    assert view.concerns[0].resolved_by == "ada"


def test_resolving_twice_or_unknown_concern(act: Actor) -> None:
    ref = propose(act)
    raised = concern(act, ref, "bo", T0)
    resolve(act, ref, "bo", raised.concern_id, T0 + H)
    with pytest.raises(errors.Conflict, match="already resolved"):
        resolve(act, ref, "bo", raised.concern_id, T0 + 2 * H)
    with pytest.raises(errors.NotFound, match="has no concern 99"):
        resolve(act, ref, "bo", 99, T0 + 2 * H)


# --- cancelling --------------------------------------------------------------------------------


def test_cancel_returns_rfc_to_discussion_and_allows_a_new_vote(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    before = db.snapshot()
    with pytest.raises(errors.PermissionDenied):
        act(rfcs.cancel_vote, "bo", T0 + H, rfcs.CancelVote(ref, "mistake"))
    with pytest.raises(errors.InvalidInput, match="reason is empty"):
        act(rfcs.cancel_vote, "ada", T0 + H, rfcs.CancelVote(ref, "  "))
    assert db.snapshot() == before
    cancelled = act(rfcs.cancel_vote, "ada", T0 + H, rfcs.CancelVote(ref, "Wrong policy"))
    assert (cancelled.state, cancelled.outcome, cancelled.reason) == (
        "cancelled",
        "cancelled",
        "Wrong policy",
    )
    assert act.read(rfcs.show_rfc, ref, T0 + H).status == "discussion"
    again = open_vote(act, ref, at=T0 + 2 * H, policy="charter-change")
    assert again.state == "open"


def test_cancel_is_the_only_end_of_a_paused_vote(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    concern(act, ref, "bo", T0 + H)
    assert (
        act(rfcs.cancel_vote, "ada", T0 + 2 * H, rfcs.CancelVote(ref, "Blocked")).state
        == "cancelled"
    )


# --- RFCs --------------------------------------------------------------------------------------


def test_rfcs_are_numbered_foundation_wide(act: Actor) -> None:
    assert propose(act) == "RFC-0001"
    assert propose(act, author="gus", group="docs") == "RFC-0002"
    rows = act.read(rfcs.list_rfcs, "docs")
    assert [r["rfc"] for r in rows] == ["RFC-0002"]


@pytest.mark.parametrize(
    ("author", "error"),
    [("hal", errors.PermissionDenied), ("ivy", errors.PermissionDenied), ("zed", errors.NotFound)],
)
def test_who_may_propose(act: Actor, author: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        propose(act, author=author)


def test_admin_may_propose_anywhere(act: Actor) -> None:
    assert propose(act, author="root") == "RFC-0001"


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "body", "title is empty"),
        ("   ", "body", "title is empty"),
        ("x" * 10_000, "body", "title is 10,000 characters long; the limit is 200"),
        ("Bad\x07title", "body", "control character U\\+0007"),
        ("Two\nlines", "body", "line break"),
        ("Fine", "", "body is empty"),
        ("Fine", "a\x00b", "control character U\\+0000"),
    ],
)
def test_bad_proposals_change_nothing(act: Actor, db: Db, title, body, message) -> None:
    before = db.snapshot()
    with pytest.raises(errors.InvalidInput, match=message):
        act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", title, body))
    assert db.snapshot() == before


def test_unknown_group(act: Actor) -> None:
    with pytest.raises(errors.NotFound, match="There is no group 'nope'; known groups: core, docs"):
        act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("nope", "Title", "Body"))


def test_withdraw_only_by_author_in_discussion(act: Actor) -> None:
    ref = propose(act)
    with pytest.raises(errors.PermissionDenied):
        act(rfcs.withdraw_rfc, "cy", T0, rfcs.WithdrawRfc(ref))
    open_vote(act, ref)
    with pytest.raises(errors.Conflict, match="cancel the vote first"):
        act(rfcs.withdraw_rfc, "bo", T0 + H, rfcs.WithdrawRfc(ref))
    act(rfcs.cancel_vote, "ada", T0 + H, rfcs.CancelVote(ref, "Author wants to withdraw"))
    assert act(rfcs.withdraw_rfc, "bo", T0 + 2 * H, rfcs.WithdrawRfc(ref)).status == "withdrawn"


def test_time_never_goes_backwards(act: Actor, db: Db) -> None:
    ref = propose(act)
    open_vote(act, ref)
    before = db.snapshot()
    with pytest.raises(errors.ClockSkew, match="earlier than the last recorded change"):
        cast(act, ref, "bo", "yes", T0 - D)
    assert db.snapshot() == before


def test_secret_vote_publishes_totals_and_receipts(
    db: Db, foundation_with: Callable[..., Actor]
) -> None:
    act = foundation_with("private: {secret: true}\n", chairs=["ada"], members=["bo", "cy"])
    ref = propose(act)
    open_vote(act, ref, policy="private")
    result = cast(act, ref, "bo", "yes", T0 + H)
    assert result.receipt is not None and len(result.receipt) == 20
    view = status(act, ref, T0 + H)
    assert view.secret and view.yes == 1
    assert view.ballots == [] and view.non_binding_ballots == []
    payloads = [r[0] for r in db.query("SELECT payload FROM ledger WHERE action='ballot.cast'")]
    assert '"commitment":' in payloads[0] and '"yes"' not in payloads[0]


def test_late_tick_dates_an_early_close_to_its_own_moment(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + H)  # settled now; closable once 72h have passed
    assert tick(act, T0 + 10 * D).closed_votes == [{"rfc": ref, "outcome": "passed"}]
    assert status(act, ref, T0 + 10 * D).closed_at == "2027-01-07T10:00:00Z"  # T0+72h, not 7d


def test_ballot_after_an_unnoticed_early_close_is_refused(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + H)
    with pytest.raises(errors.VoteClosed, match="since 2027-01-07T10:00:00Z"):
        cast(act, ref, "di", "no", T0 + 80 * H)  # no tick ran at 72h; the vote had closed then
    assert status(act, ref, T0 + 80 * H).no == 0


def test_early_close_after_a_pause_counts_from_the_resume(act: Actor) -> None:
    ref = propose(act)
    open_vote(act, ref)
    raised = concern(act, ref, "bo", T0 + H)
    for who in ("ada", "bo", "cy", "di", "ed"):
        cast(act, ref, who, "yes", T0 + 2 * H)  # everyone voted while paused: nothing closes
    resolve(act, ref, "bo", raised.concern_id, T0 + 100 * H)
    assert tick(act, T0 + 101 * H).closed_votes == [{"rfc": ref, "outcome": "passed"}]
    assert status(act, ref, T0 + 101 * H).closed_at == "2027-01-08T14:00:00Z"  # the resume


def test_the_public_ledger_never_shows_a_secret_choice(
    foundation_with: Callable[..., Actor], db: Db
) -> None:
    act = foundation_with(
        "secret: {secret: true}\n", chairs=["ada"], members=["bo", "cy", "di", "ed"]
    )
    ref = propose(act)
    open_vote(act, ref, policy="secret")
    cast(act, ref, "bo", "no", T0 + H)
    cast(act, ref, "bo", "yes", T0 + 2 * H)
    payloads = [
        json.loads(row[0])
        for row in db.query("SELECT payload FROM ledger WHERE action = 'ballot.cast'")
    ]
    assert [p["changed"] for p in payloads] == [False, True]
    assert all(set(p) == {"vote_id", "binding", "commitment", "changed"} for p in payloads)
