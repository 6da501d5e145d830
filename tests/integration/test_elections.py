"""Elections through the service layer on a real database: ranked ballots counted by Schulze.

The group ``core`` has chair ada and members bo, cy, di, ed (an electorate of five), observer hal
(non-binding), and ivy outside it; fay chairs ``docs``, and root is a foundation admin. The
foundation's ``election`` policy: 7d, min 72h, quorum 0.5 (3 of 5), close early when everyone
has ranked. Candidates are bo, cy and di unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from governance import errors
from governance.services import elections, groups, ticks
from tests.conftest import T0, Actor, Db

H = timedelta(hours=1)
D = timedelta(days=1)
CANDIDATES = ("bo", "cy", "di")

# Five rankings with a Condorcet winner. Pairwise d[x, y] = ballots preferring x to y:
#   d[bo, cy] = 3 (ada, bo, di)     d[cy, bo] = 2 (cy, ed)
#   d[bo, di] = 4 (ada, bo, cy, ed) d[di, bo] = 1 (di)
#   d[cy, di] = 3 (ada, cy, ed)     d[di, cy] = 2 (bo, di)
# bo beats both, cy beats di: the ranking is bo, cy, di.
CONDORCET = {
    "ada": "bo,cy,di",
    "bo": "bo,di,cy",
    "cy": "cy,bo,di",
    "di": "di,bo,cy",
    "ed": "cy,bo,di",
}
CONDORCET_PAIRWISE = {
    "bo": {"cy": 3, "di": 4},
    "cy": {"bo": 2, "di": 3},
    "di": {"bo": 1, "cy": 2},
}


def stored_ranking(db: Db, who: str) -> list[list[str]]:
    rows = db.query(
        "SELECT b.ranking FROM ranked_ballots b JOIN people p ON p.id = b.person_id "
        "WHERE p.handle = ?",
        who,
    )
    assert len(rows) == 1, rows
    return rows[0][0]


def open_election(
    act: Actor,
    *,
    seats: int = 1,
    candidates: tuple[str, ...] = CANDIDATES,
    actor: str = "ada",
    group: str = "core",
    at=T0,
) -> elections.ElectionStatus:
    return act(elections.open_election, actor, at, elections.OpenElection(group, seats, candidates))


def rank(act: Actor, who: str, ranking: str, at, ref: str = "E-0001") -> elections.ElectionStatus:
    return act(elections.rank, who, at, elections.RankCandidates(ref, ranking))


def status(act: Actor, ref: str = "E-0001") -> elections.ElectionStatus:
    return act.read(elections.election_status, ref)


def tick(act: Actor, at) -> ticks.TickReport:
    with act.store.write() as uow:
        return ticks.tick(uow, at)


def refused(db: Db, error: type[Exception], match: str, call: Any, *args: Any, **kw: Any) -> None:
    """``call(...)`` raises ``error`` and leaves every table exactly as it was."""
    before = db.snapshot()
    with pytest.raises(error, match=match):
        call(*args, **kw)
    assert db.snapshot() == before


# --- opening -----------------------------------------------------------------------------------


def test_open_freezes_policy_and_electorate(act: Actor, db: Db) -> None:
    opened = open_election(act, seats=2)
    assert (opened.election, opened.group, opened.state, opened.outcome) == (
        "E-0001",
        "core",
        "open",
        None,
    )
    assert (opened.seats, opened.candidates, opened.policy_name) == (
        2,
        ["bo", "cy", "di"],
        "election",
    )
    assert (opened.electorate, opened.quorum_needed, opened.ballots) == (5, 3, 0)
    assert opened.opened_at == "2027-01-04T10:00:00Z"
    assert opened.closes_at == "2027-01-11T10:00:00Z"  # 7d
    assert opened.winners == [] and opened.tied == []
    assert opened.title == "Core Group election"
    assert db.query("SELECT electorate FROM elections") == [(["ada", "bo", "cy", "di", "ed"],)]
    assert open_election(act, at=T0 + H).election == "E-0002"  # numbered in order


def test_admin_may_open_an_election(act: Actor) -> None:
    assert open_election(act, actor="root").state == "open"


def test_candidates_need_not_be_members(act: Actor) -> None:
    # A committee may elect from outside (ivy is registered but in no group).
    assert open_election(act, candidates=("ivy", "bo")).candidates == ["ivy", "bo"]


@pytest.mark.parametrize("actor", ["bo", "hal", "ivy", "fay"])
def test_only_chairs_open_elections(act: Actor, db: Db, actor: str) -> None:
    refused(
        db,
        errors.PermissionDenied,
        f"Only a chair of core or a foundation admin may open elections; {actor} is not one",
        open_election,
        act,
        actor=actor,
    )


@pytest.mark.parametrize(
    ("seats", "candidates", "error", "message"),
    [
        (0, CANDIDATES, errors.InvalidInput, "0 seats for 3 candidates cannot work"),
        (4, CANDIDATES, errors.InvalidInput, "4 seats for 3 candidates.*between 1 and 3"),
        (-1, CANDIDATES, errors.InvalidInput, "-1 seats"),
        (1, (), errors.InvalidInput, "needs candidates"),
        (1, ("bo", "zed"), errors.NotFound, "No person with handle 'zed'"),
        (1, ("bo", "cy", "bo"), errors.InvalidInput, "listed twice"),
        (1, ("bo", "Not A Handle"), errors.InvalidInput, "not a valid handle"),
    ],
)
def test_bad_elections_change_nothing(act: Actor, db: Db, seats, candidates, error, message):
    refused(db, error, message, open_election, act, seats=seats, candidates=candidates)


def test_unknown_election(act: Actor) -> None:
    with pytest.raises(errors.NotFound, match="There is no election E-0042"):
        rank(act, "bo", "bo", T0, ref="E-0042")
    with pytest.raises(errors.InvalidInput, match="not an election number"):
        rank(act, "bo", "bo", T0, ref="RFC-0001")


def test_electorate_is_frozen_at_opening(act: Actor) -> None:
    open_election(act)
    groups_act = [
        (groups.join_group, "ivy", groups.JoinGroup("core")),
        (groups.approve_join, "ada", groups.ApproveJoin("core", "ivy")),
        (groups.leave_group, "bo", groups.LeaveGroup("core")),
        (groups.set_role, "ada", groups.SetRole("core", "hal", "member")),
    ]
    for service, who, command in groups_act:
        act(service, who, T0 + H, command)
    rank(act, "ivy", "cy", T0 + 2 * H)  # joined after opening: non-binding
    rank(act, "hal", "cy", T0 + 2 * H)  # observer at opening: non-binding
    after = rank(act, "bo", "bo", T0 + 2 * H)  # left after opening: still binding
    assert (after.electorate, after.ballots, after.non_binding) == (5, 1, 2)
    assert after.ranking[0] == "bo"  # only bo's ranking counts: bo over cy and di


# --- ranking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tiers"),
    [
        ("bo,cy,di", [["bo"], ["cy"], ["di"]]),
        ("cy,bo=di", [["cy"], ["bo", "di"]]),
        (" di = bo , cy ", [["bo", "di"], ["cy"]]),
        ("bo=cy=di", [["bo", "cy", "di"]]),
        ("di", [["di"]]),  # unranked candidates come last, tied
    ],
)
def test_ranking_is_parsed_into_tiers(act: Actor, db: Db, text: str, tiers) -> None:
    open_election(act)
    rank(act, "bo", text, T0 + H)
    assert stored_ranking(db, "bo") == tiers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bo,zed", "'zed' is not a candidate; the candidates are bo, cy, di"),
        ("bo,ed", "'ed' is not a candidate"),  # an elector, not a candidate
        ("bo,cy,bo", "'bo' appears twice"),
        ("bo=bo", "'bo' appears twice"),
        ("bo,,cy", "empty place"),
        ("bo,cy,", "empty place"),
        ("bo=,cy", "empty place"),
        ("", "empty place"),
        ("BO", "'BO' is not a candidate"),
    ],
)
def test_bad_rankings_change_nothing(act: Actor, db: Db, text: str, message: str) -> None:
    open_election(act)
    rank(act, "cy", "cy", T0 + H)
    refused(db, errors.InvalidInput, message, rank, act, "bo", text, T0 + 2 * H)


def test_unregistered_person_cannot_rank(act: Actor, db: Db) -> None:
    open_election(act)
    refused(db, errors.NotFound, "No person with handle 'zed'", rank, act, "zed", "bo", T0)


def test_non_elector_is_recorded_apart_and_never_counted(act: Actor, db: Db) -> None:
    open_election(act)
    rank(act, "ada", "cy,bo,di", T0 + H)
    counted = status(act)
    # hal (observer) and ivy (outsider) both put di first; d[di, x] stays 0.
    rank(act, "hal", "di,bo,cy", T0 + 2 * H)
    now = rank(act, "ivy", "di,bo,cy", T0 + 2 * H)
    assert (now.ballots, now.non_binding) == (1, 2)
    assert now.pairwise == counted.pairwise
    assert now.pairwise["di"] == {"bo": 0, "cy": 0}
    assert now.ranking == ["cy", "bo", "di"]
    binding = db.query(
        "SELECT p.handle, b.binding FROM ranked_ballots b JOIN people p ON p.id = b.person_id "
        "ORDER BY p.handle",
    )
    # 1/0 on SQLite, true/false on PostgreSQL: compared as truth values.
    assert [(h, bool(b)) for h, b in binding] == [("ada", True), ("hal", False), ("ivy", False)]
    # Non-binding rankings do not make a quorum: 1 of 3 needed, whatever hal and ivy do.
    assert tick(act, T0 + 7 * D).closed_elections == [
        {"election": "E-0001", "outcome": "no-quorum"}
    ]


def test_changing_a_ranking_replaces_it(act: Actor, db: Db) -> None:
    open_election(act)
    rank(act, "bo", "di,cy,bo", T0 + H)
    changed = rank(act, "bo", "bo,cy,di", T0 + 2 * H)
    assert changed.ballots == 1
    assert changed.pairwise["bo"] == {"cy": 1, "di": 1}
    assert changed.pairwise["di"] == {"bo": 0, "cy": 0}
    assert stored_ranking(db, "bo") == [["bo"], ["cy"], ["di"]]
    assert db.query("SELECT count(*), max(cast_at) FROM ranked_ballots") == [(1, T0 + 2 * H)]
    entries = db.query("SELECT payload FROM ledger WHERE action='election.ranked' ORDER BY seq")
    assert [json.loads(e[0])["changed_from"] for e in entries] == [None, [["di"], ["cy"], ["bo"]]]


def test_condorcet_winner_ranking_and_pairwise(act: Actor) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + H)
    now = status(act)
    assert now.state == "open"  # everyone ranked, but not before min_duration (72h)
    assert now.ranking == ["bo", "cy", "di"]
    assert now.tiers == [["bo"], ["cy"], ["di"]]
    assert now.pairwise == CONDORCET_PAIRWISE
    assert now.winners == []  # nothing is won until it closes


# --- closing -----------------------------------------------------------------------------------


def test_closes_at_the_deadline_even_when_the_tick_is_late(act: Actor) -> None:
    open_election(act)
    for who in ("ada", "bo", "cy"):  # 3 of 5: quorum met; di and ed never rank
        rank(act, who, CONDORCET[who], T0 + H)
    assert not tick(act, T0 + 7 * D - timedelta(seconds=1)).changed
    report = tick(act, T0 + 9 * D)  # the scheduler was down for two days
    assert report.closed_elections == [{"election": "E-0001", "outcome": "elected"}]
    final = status(act)
    assert (final.state, final.outcome) == ("closed", "elected")
    assert final.closed_at == "2027-01-11T10:00:00Z"  # the deadline, not when it was noticed
    # ada bo>cy>di, bo bo>di>cy, cy cy>bo>di: d[bo,cy]=2, d[bo,di]=3, d[cy,di]=2, d[di,cy]=1.
    assert final.winners == ["bo"] and final.tied == []
    assert final.ranking == ["bo", "cy", "di"]
    assert not tick(act, T0 + 10 * D).changed  # closed once


def test_no_quorum_when_too_few_rank(act: Actor) -> None:
    open_election(act)
    rank(act, "ada", "bo", T0 + H)
    rank(act, "bo", "bo", T0 + H)  # 2 of 5 < 3
    rank(act, "hal", "bo", T0 + H)  # non-binding never makes up the difference
    assert tick(act, T0 + 7 * D).closed_elections == [
        {"election": "E-0001", "outcome": "no-quorum"}
    ]
    final = status(act)
    assert (final.outcome, final.ballots, final.quorum_met) == ("no-quorum", 2, False)
    assert final.winners == [] and final.tied == []


def test_nobody_ranked_is_no_quorum_not_a_tie(act: Actor) -> None:
    open_election(act)
    tick(act, T0 + 7 * D)
    final = status(act)
    # With no ballots every candidate is level; that is a failed election, not a tie to settle.
    assert (final.outcome, final.winners, final.tied) == ("no-quorum", [], [])


def test_early_close_waits_for_min_duration(act: Actor) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + H)
    assert not tick(act, T0 + 72 * H - timedelta(seconds=1)).changed
    report = tick(act, T0 + 72 * H)
    assert report.closed_elections == [{"election": "E-0001", "outcome": "elected"}]
    final = status(act)
    assert (final.closed_at, final.winners) == ("2027-01-07T10:00:00Z", ["bo"])


def test_early_close_after_a_late_tick_dates_from_when_it_was_due(act: Actor) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + H)
    tick(act, T0 + 10 * D)  # nothing ran between T0 + 1h and T0 + 10d
    final = status(act)
    # Everyone had ranked, so it was due at T0 + 72h, before its deadline at T0 + 7d.
    assert (final.state, final.closed_at) == ("closed", "2027-01-07T10:00:00Z")


def test_a_change_after_it_fell_due_is_refused(act: Actor, db: Db) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + H)
    # No tick ran at T0 + 72h; bo's change at T0 + 80h comes after the election was decided.
    with pytest.raises(errors.VoteClosed, match="E-0001 is closed"):
        rank(act, "bo", "di,cy,bo", T0 + 80 * H)
    final = status(act)
    assert (final.closed_at, final.winners) == ("2027-01-07T10:00:00Z", ["bo"])
    assert stored_ranking(db, "bo") == [["bo"], ["di"], ["cy"]]


def test_last_elector_ranking_after_min_duration_closes_at_once(act: Actor) -> None:
    open_election(act)
    for who in ("ada", "bo", "cy", "di"):
        rank(act, who, CONDORCET[who], T0 + H)
    assert status(act).state == "open"
    final = rank(act, "ed", CONDORCET["ed"], T0 + 80 * H)
    assert (final.state, final.outcome, final.closed_at) == (
        "closed",
        "elected",
        "2027-01-07T18:00:00Z",
    )
    assert final.winners == ["bo"]


def test_non_elector_does_not_complete_the_electorate(act: Actor) -> None:
    open_election(act)
    for who in ("ada", "bo", "cy", "di", "hal", "ivy"):
        rank(act, who, "bo", T0 + 80 * H)
    assert status(act).state == "open"  # ed has not ranked
    assert not tick(act, T0 + 100 * H).changed


def test_two_seats_elect_the_top_two(act: Actor) -> None:
    open_election(act, seats=2)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + 80 * H)
    final = status(act)
    assert (final.state, final.outcome) == ("closed", "elected")
    assert final.winners == ["bo", "cy"] and final.tied == []
    assert final.pairwise == CONDORCET_PAIRWISE


def test_an_unbreakable_tie_for_the_only_seat(act: Actor) -> None:
    open_election(act)
    # ada bo>cy>di, bo cy>bo>di, cy bo=cy>di: d[bo,cy] = d[cy,bo] = 1; both beat di 3-0.
    rank(act, "ada", "bo,cy,di", T0 + H)
    rank(act, "bo", "cy,bo,di", T0 + H)
    rank(act, "cy", "bo=cy,di", T0 + H)
    assert tick(act, T0 + 7 * D).closed_elections == [{"election": "E-0001", "outcome": "tie"}]
    final = status(act)
    assert (final.outcome, final.winners, final.tied) == ("tie", [], ["bo", "cy"])
    assert final.tiers == [["bo", "cy"], ["di"]]
    assert final.pairwise["bo"]["cy"] == final.pairwise["cy"]["bo"] == 1


def test_a_tie_below_a_clear_winner(act: Actor) -> None:
    open_election(act, seats=2)
    # ada bo>cy>di, bo bo>di>cy, cy bo>cy=di: bo beats cy and di 3-0; d[cy,di] = d[di,cy] = 1.
    rank(act, "ada", "bo,cy,di", T0 + H)
    rank(act, "bo", "bo,di,cy", T0 + H)
    rank(act, "cy", "bo,cy=di", T0 + H)
    tick(act, T0 + 7 * D)
    final = status(act)
    # bo is wholly above the cut and elected; cy and di straddle the second seat.
    assert (final.outcome, final.winners, final.tied) == ("tie", ["bo"], ["cy", "di"])
    assert final.tiers == [["bo"], ["cy", "di"]]


def test_the_close_is_on_the_record(act: Actor, db: Db) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + 80 * H)
    rows = db.query("SELECT actor, subject, payload FROM ledger WHERE action='election.closed'")
    assert [(r[0], r[1]) for r in rows] == [("govbot", "E-0001")]
    payload = json.loads(rows[0][2])
    assert payload["outcome"] == "elected"
    assert payload["winners"] == ["bo"]
    assert payload["ranking"] == [["bo"], ["cy"], ["di"]]
    assert payload["closed_at"] == "2027-01-07T18:00:00Z"


# --- after the close ---------------------------------------------------------------------------


def test_rankings_after_close_are_refused(act: Actor, db: Db) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + 80 * H)
    assert status(act).state == "closed"
    refused(db, errors.VoteClosed, "E-0001 is closed", rank, act, "bo", "di", T0 + 81 * H)
    refused(db, errors.VoteClosed, "no longer accepted", rank, act, "hal", "di", T0 + 81 * H)


def test_ranking_after_the_deadline_closes_it_and_is_refused(act: Actor) -> None:
    open_election(act)
    for who in ("ada", "bo", "cy"):
        rank(act, who, CONDORCET[who], T0 + H)
    with pytest.raises(errors.VoteClosed, match="no longer accepted"):
        rank(act, "di", "di", T0 + 7 * D)  # exactly at the deadline is too late
    final = status(act)
    assert (final.state, final.outcome, final.closed_at) == (
        "closed",
        "elected",
        "2027-01-11T10:00:00Z",
    )
    assert final.ballots == 3  # di's late ranking was not stored


# --- cancelling --------------------------------------------------------------------------------


def test_chair_cancels_with_a_reason(act: Actor, db: Db) -> None:
    open_election(act)
    rank(act, "bo", "bo", T0 + H)
    cancel = elections.cancel_election
    refused(
        db,
        errors.PermissionDenied,
        "may cancel elections; bo is not one",
        act,
        cancel,
        "bo",
        T0 + 2 * H,
        elections.CancelElection("E-0001", "I lost"),
    )
    refused(
        db,
        errors.InvalidInput,
        "reason is empty",
        act,
        cancel,
        "ada",
        T0 + 2 * H,
        elections.CancelElection("E-0001", " \n "),
    )
    done = act(cancel, "ada", T0 + 2 * H, elections.CancelElection("E-0001", "Wrong candidates"))
    assert (done.state, done.outcome, done.reason) == ("cancelled", "cancelled", "Wrong candidates")
    assert (done.closed_at, done.closes_at, done.winners) == ("2027-01-04T12:00:00Z", None, [])
    refused(db, errors.VoteClosed, "E-0001 is cancelled", rank, act, "cy", "cy", T0 + 3 * H)
    refused(
        db,
        errors.Conflict,
        "cancelled already",
        act,
        cancel,
        "ada",
        T0 + 3 * H,
        elections.CancelElection("E-0001", "again"),
    )
    assert not tick(act, T0 + 8 * D).changed  # a cancelled election never closes


def test_a_closed_election_cannot_be_cancelled(act: Actor, db: Db) -> None:
    open_election(act)
    for who, ranking in CONDORCET.items():
        rank(act, who, ranking, T0 + 80 * H)
    refused(
        db,
        errors.Conflict,
        "E-0001 is closed already",
        act,
        elections.cancel_election,
        "root",
        T0 + 81 * H,
        elections.CancelElection("E-0001", "Too late"),
    )
