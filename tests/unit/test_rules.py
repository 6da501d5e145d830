"""Rules of decision for yes/no votes (DESIGN.md section 2): quorum, pass rules, tally, early close.

Worked numbers first, then properties checked with hypothesis, including ``decided`` against a
brute-force enumeration of every way the electors who have not voted could still behave.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.rules import (
    Basis,
    Choice,
    Outcome,
    PassRule,
    Policy,
    Tally,
    decided,
    may_close_early,
    outcome,
    passes,
    quorum_met,
    quorum_needed,
    reachable_outcomes,
    tally,
)

YES, NO, ABSTAIN = Choice.YES, Choice.NO, Choice.ABSTAIN
HALF = Fraction(1, 2)
OPENED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(hours=72)

MAJORITY = PassRule("majority")
SUPERMAJORITY = PassRule("supermajority")
UNANIMOUS = PassRule("unanimous")


def at_least(x: Fraction) -> PassRule:
    return PassRule("at_least", x)


def policy(
    quorum: Fraction | int = HALF,
    rule: PassRule = MAJORITY,
    basis: Basis = "cast",
    *,
    close_early: bool = True,
    min_duration: timedelta = MIN,
) -> Policy:
    return Policy(
        duration=timedelta(days=7),
        min_duration=min_duration,
        quorum=quorum,
        pass_rule=rule,
        basis=basis,
        close_early=close_early,
    )


def electors(n: int) -> list[str]:
    return [f"e{i}" for i in range(n)]


def vote(
    n: int, yes: int = 0, no: int = 0, abstain: int = 0, outsiders: Iterable[Choice] = ()
) -> tuple[list[str], dict[str, Choice]]:
    """An electorate of ``n`` and ballots: the first electors vote yes, then no, then abstain."""
    assert yes + no + abstain <= n
    people = electors(n)
    choices = [YES] * yes + [NO] * no + [ABSTAIN] * abstain
    ballots: dict[str, Choice] = dict(zip(people, choices, strict=False))
    for i, choice in enumerate(outsiders):
        ballots[f"outsider{i}"] = choice
    return people, ballots


# --- quorum -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quorum", "size", "needed"),
    [
        (HALF, 7, 4),  # 3.5 rounds up
        (HALF, 8, 4),
        (HALF, 1, 1),
        (Fraction(1), 7, 7),  # 1.0 is everyone
        (Fraction(1), 1, 1),
        (Fraction(1, 3), 9, 3),
        (Fraction(1, 3), 10, 4),
        (Fraction(2, 3), 3, 2),
        (Fraction(3, 5), 5, 3),
        (Fraction(1, 100), 3, 1),  # any positive share needs at least one elector
        (HALF, 0, 0),  # an empty electorate needs nobody
        (Fraction(1), 0, 0),
        (5, 10, 5),  # a count
        (5, 3, 5),  # above the electorate: unreachable, never clamped
        (0, 4, 0),
        (0, 0, 0),
    ],
)
def test_quorum_needed(quorum: Fraction | int, size: int, needed: int) -> None:
    assert quorum_needed(quorum, size) == needed


def test_quorum_half_of_seven_needs_four() -> None:
    assert not quorum_met(HALF, 7, 3)
    assert quorum_met(HALF, 7, 4)


def test_quorum_one_is_everyone() -> None:
    assert not quorum_met(Fraction(1), 5, 4)
    assert quorum_met(Fraction(1), 5, 5)


def test_integer_quorum_above_electorate_is_unreachable() -> None:
    people, ballots = vote(3, yes=3)
    t = tally(policy(quorum=5), people, ballots)
    assert t.quorum_needed == 5
    assert not t.quorum_met
    assert t.outcome is Outcome.NO_QUORUM


@pytest.mark.parametrize(
    ("quorum", "error"),
    [
        (Fraction(0), ValueError),
        (Fraction(-1, 2), ValueError),
        (Fraction(3, 2), ValueError),
        (-1, ValueError),
        (0.5, TypeError),  # floats are not exact
        (True, TypeError),
        ("0.5", TypeError),
    ],
)
def test_quorum_invalid(quorum: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        quorum_needed(quorum, 5)  # type: ignore[arg-type]


def test_quorum_invalid_electorate() -> None:
    with pytest.raises(ValueError):
        quorum_needed(HALF, -1)


@given(
    st.integers(1, 30).flatmap(lambda d: st.integers(1, d).map(lambda n: Fraction(n, d))),
    st.integers(0, 200),
)
def test_quorum_fraction_is_the_smallest_participation_reaching_the_share(
    q: Fraction, size: int
) -> None:
    needed = quorum_needed(q, size)
    assert 0 <= needed <= size
    assert Fraction(needed) >= q * size  # enough
    assert needed == 0 or Fraction(needed - 1) < q * size  # and no more than enough


# --- pass rules, basis "cast" -----------------------------------------------------------------

CAST_CASES = [
    # majority: yes > no
    (MAJORITY, 3, 2, True),
    (MAJORITY, 1, 0, True),
    (MAJORITY, 2, 2, False),  # tie
    (MAJORITY, 0, 0, False),  # yes+no == 0
    (MAJORITY, 0, 1, False),
    (MAJORITY, 2, 3, False),
    (MAJORITY, 51, 50, True),
    # supermajority: yes >= 2/3 of yes+no
    (SUPERMAJORITY, 2, 1, True),  # exactly 2/3
    (SUPERMAJORITY, 4, 2, True),  # exactly 2/3
    (SUPERMAJORITY, 6, 3, True),  # exactly 2/3
    (SUPERMAJORITY, 3, 2, False),  # 3/5 < 2/3
    (SUPERMAJORITY, 5, 3, False),  # 5/8 < 2/3
    (SUPERMAJORITY, 66, 34, False),  # 0.66 < 2/3: exact, no float rounding
    (SUPERMAJORITY, 67, 33, True),
    (SUPERMAJORITY, 1, 0, True),
    (SUPERMAJORITY, 2, 2, False),  # tie
    (SUPERMAJORITY, 0, 0, False),
    # unanimous: yes >= 1 and no == 0
    (UNANIMOUS, 1, 0, True),
    (UNANIMOUS, 5, 0, True),
    (UNANIMOUS, 5, 1, False),
    (UNANIMOUS, 0, 0, False),
    (UNANIMOUS, 0, 3, False),
    # at_least(0.6): yes/(yes+no) >= 0.6
    (at_least(Fraction(3, 5)), 3, 2, True),  # exactly 0.6
    (at_least(Fraction(3, 5)), 6, 4, True),  # exactly 0.6
    (at_least(Fraction(3, 5)), 5, 3, True),  # 0.625
    (at_least(Fraction(3, 5)), 5, 4, False),  # 0.555...
    (at_least(Fraction(3, 5)), 59, 41, False),  # 0.59
    (at_least(Fraction(3, 5)), 2, 2, False),  # tie
    (at_least(Fraction(3, 5)), 1, 0, True),
    (at_least(Fraction(3, 5)), 0, 0, False),
    (at_least(Fraction(1)), 3, 0, True),
    (at_least(Fraction(1)), 3, 1, False),
    # at_least(x) is taken literally: with x <= 1/2 a tie reaches "at least x" (documented)
    (at_least(HALF), 2, 2, True),
    (at_least(HALF), 1, 2, False),
    (at_least(HALF), 0, 0, False),
    (at_least(Fraction(1, 3)), 1, 2, True),  # exactly 1/3
    (at_least(Fraction(1, 3)), 1, 3, False),
]


@pytest.mark.parametrize(("rule", "yes", "no", "expected"), CAST_CASES)
def test_passes_cast(rule: PassRule, yes: int, no: int, expected: bool) -> None:
    # On the "cast" basis the size of the electorate plays no part.
    for size in (0, yes + no, yes + no + 10, 1000):
        assert passes(rule, "cast", yes, no, size) is expected


# --- pass rules, basis "electorate" -----------------------------------------------------------

ELECTORATE_CASES = [
    # majority: yes > E/2
    (MAJORITY, 7, 4, 0, True),
    (MAJORITY, 7, 4, 3, True),  # no does not matter, only the share of E in favour
    (MAJORITY, 7, 3, 0, False),  # 3 > 0 but 3 <= 3.5
    (MAJORITY, 8, 4, 0, False),  # exactly half is not more than half
    (MAJORITY, 8, 4, 4, False),  # a tie
    (MAJORITY, 8, 5, 0, True),
    (MAJORITY, 1, 1, 0, True),
    (MAJORITY, 2, 1, 0, False),
    # supermajority: yes >= 2E/3
    (SUPERMAJORITY, 9, 6, 0, True),  # exactly 2/3
    (SUPERMAJORITY, 9, 5, 0, False),
    (SUPERMAJORITY, 10, 7, 0, True),  # 20/3 = 6.67
    (SUPERMAJORITY, 10, 6, 0, False),
    (SUPERMAJORITY, 3, 2, 1, True),
    (SUPERMAJORITY, 3, 1, 0, False),
    # unanimous: every elector voted yes
    (UNANIMOUS, 3, 3, 0, True),
    (UNANIMOUS, 3, 2, 0, False),  # one elector did not vote yes
    (UNANIMOUS, 3, 2, 1, False),
    (UNANIMOUS, 1, 1, 0, True),
    # at_least(x): yes >= x E
    (at_least(Fraction(3, 5)), 5, 3, 0, True),  # exactly 0.6
    (at_least(Fraction(3, 5)), 5, 2, 0, False),
    (at_least(Fraction(3, 5)), 10, 6, 0, True),  # exactly 0.6
    (at_least(Fraction(3, 5)), 10, 5, 0, False),
    (at_least(Fraction(3, 5)), 7, 5, 0, True),  # 4.2 needed
    (at_least(Fraction(3, 5)), 7, 4, 0, False),
    (at_least(HALF), 8, 4, 0, True),  # at least half: exactly half is enough
    (at_least(HALF), 8, 3, 0, False),
    (at_least(Fraction(1)), 4, 4, 0, True),
    (at_least(Fraction(1)), 4, 3, 0, False),
]


@pytest.mark.parametrize(("rule", "size", "yes", "no", "expected"), ELECTORATE_CASES)
def test_passes_electorate(rule: PassRule, size: int, yes: int, no: int, expected: bool) -> None:
    assert passes(rule, "electorate", yes, no, size) is expected


@pytest.mark.parametrize(
    "rule", [MAJORITY, SUPERMAJORITY, UNANIMOUS, at_least(Fraction(1, 10)), at_least(HALF)]
)
def test_empty_electorate_never_passes(rule: PassRule) -> None:
    assert not passes(rule, "electorate", 0, 0, 0)
    assert not passes(rule, "cast", 0, 0, 0)


@pytest.mark.parametrize("basis", ["cast", "electorate"])
@pytest.mark.parametrize(
    "rule", [MAJORITY, SUPERMAJORITY, UNANIMOUS, at_least(Fraction(1, 10)), at_least(Fraction(1))]
)
def test_nothing_passes_without_a_yes(rule: PassRule, basis: Basis) -> None:
    for no in range(6):
        assert not passes(rule, basis, 0, no, 10)


@pytest.mark.parametrize(
    ("rule", "basis", "yes", "no", "size", "error"),
    [
        (PassRule("at_least"), "cast", 1, 0, 1, ValueError),  # no threshold
        (at_least(Fraction(0)), "cast", 1, 0, 1, ValueError),
        (at_least(Fraction(-1, 2)), "cast", 1, 0, 1, ValueError),
        (at_least(Fraction(6, 5)), "cast", 1, 0, 1, ValueError),
        (PassRule("at_least", 0.6), "cast", 1, 0, 1, TypeError),  # type: ignore[arg-type]
        (PassRule("majority", HALF), "cast", 1, 0, 1, ValueError),  # threshold only for at_least
        (PassRule("plurality"), "cast", 1, 0, 1, ValueError),  # type: ignore[arg-type]
        (MAJORITY, "turnout", 1, 0, 1, ValueError),
        (MAJORITY, "cast", -1, 0, 1, ValueError),
        (MAJORITY, "cast", 1, -1, 1, ValueError),
        (MAJORITY, "cast", 1, 0, -1, ValueError),
        (MAJORITY, "electorate", 2, 2, 3, ValueError),  # more ballots than electors
        (MAJORITY, "cast", 1.0, 0, 1, TypeError),
    ],
)
def test_passes_invalid(
    rule: PassRule, basis: str, yes: int, no: int, size: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        passes(rule, basis, yes, no, size)  # type: ignore[arg-type]


def test_at_least_accepts_integer_one() -> None:
    assert passes(PassRule("at_least", 1), "cast", 2, 0, 2)  # type: ignore[arg-type]
    assert not passes(PassRule("at_least", 1), "cast", 2, 1, 3)  # type: ignore[arg-type]


# --- tally ------------------------------------------------------------------------------------


def test_tally_counts_and_fields() -> None:
    people, ballots = vote(7, yes=3, no=1, abstain=1, outsiders=[YES, NO])
    t = tally(policy(), people, ballots)
    assert t == Tally(
        yes=3,
        no=1,
        abstain=1,
        non_binding=2,
        electorate=7,
        participation=5,
        quorum_needed=4,
        quorum_met=True,
        outcome=Outcome.PASSED,
    )


def test_abstain_counts_toward_quorum_but_not_pass() -> None:
    # 0.5 of 7 needs 4: 2 yes + 1 no is 3, short of quorum.
    people, ballots = vote(7, yes=2, no=1)
    assert tally(policy(), people, ballots).outcome is Outcome.NO_QUORUM
    # One abstention brings quorum; the count is still 2 yes to 1 no.
    people, ballots = vote(7, yes=2, no=1, abstain=1)
    t = tally(policy(), people, ballots)
    assert (t.participation, t.quorum_met, t.outcome) == (4, True, Outcome.PASSED)
    # Abstentions never become no on the cast basis, however many.
    people, ballots = vote(13, yes=2, no=1, abstain=10)
    assert tally(policy(rule=SUPERMAJORITY), people, ballots).outcome is Outcome.PASSED


def test_only_abstentions_with_quorum_met_is_rejected() -> None:
    people, ballots = vote(4, abstain=2)
    t = tally(policy(), people, ballots)
    assert t.quorum_met
    assert (t.yes, t.no) == (0, 0)
    assert t.outcome is Outcome.REJECTED


def test_abstain_counts_against_on_the_electorate_basis_only_through_the_denominator() -> None:
    # 3 yes of 7 is not more than half of the electorate, whatever the others did.
    people, ballots = vote(7, yes=3, abstain=4)
    assert tally(policy(basis="electorate"), people, ballots).outcome is Outcome.REJECTED
    assert tally(policy(basis="cast"), people, ballots).outcome is Outcome.PASSED


def test_tie_is_rejected() -> None:
    people, ballots = vote(6, yes=3, no=3)
    assert tally(policy(), people, ballots).outcome is Outcome.REJECTED
    assert tally(policy(basis="electorate"), people, ballots).outcome is Outcome.REJECTED


def test_non_binding_ballots_are_never_counted() -> None:
    people, ballots = vote(3, yes=1, outsiders=[NO, NO, NO, ABSTAIN])
    t = tally(policy(), people, ballots)
    assert (t.yes, t.no, t.abstain, t.non_binding, t.participation) == (1, 0, 0, 4, 1)
    # Outsiders do not bring quorum either: 1 of 3 is short of the 2 needed.
    assert t.outcome is Outcome.NO_QUORUM
    # And outsiders voting yes cannot carry a vote the electors reject.
    people, ballots = vote(3, yes=1, no=2, outsiders=[YES] * 50)
    t = tally(policy(), people, ballots)
    assert (t.yes, t.no, t.non_binding) == (1, 2, 50)
    assert t.outcome is Outcome.REJECTED


def test_quorum_one_needs_every_elector() -> None:
    people, ballots = vote(3, yes=2)
    assert tally(policy(quorum=Fraction(1)), people, ballots).outcome is Outcome.NO_QUORUM
    people, ballots = vote(3, yes=2, abstain=1)
    assert tally(policy(quorum=Fraction(1)), people, ballots).outcome is Outcome.PASSED


def test_integer_quorum() -> None:
    people, ballots = vote(10, yes=4)
    assert tally(policy(quorum=5), people, ballots).outcome is Outcome.NO_QUORUM
    people, ballots = vote(10, yes=4, no=1)
    assert tally(policy(quorum=5), people, ballots).outcome is Outcome.PASSED


def test_empty_electorate() -> None:
    t = tally(policy(), [], {"someone": YES})
    assert (t.electorate, t.quorum_needed, t.quorum_met, t.non_binding) == (0, 0, True, 1)
    assert t.outcome is Outcome.REJECTED
    assert tally(policy(quorum=1), [], {}).outcome is Outcome.NO_QUORUM


def test_tally_accepts_string_choices_and_refuses_others() -> None:
    t = tally(policy(), ["a", "b", "c"], {"a": "yes", "b": "no", "c": "abstain"})  # type: ignore[dict-item]
    assert (t.yes, t.no, t.abstain) == (1, 1, 1)
    with pytest.raises(ValueError):
        tally(policy(), ["a"], {"a": "maybe"})  # type: ignore[dict-item]


def test_duplicate_electors_count_once() -> None:
    t = tally(policy(), ["a", "a", "b"], {"a": YES})
    assert t.electorate == 2
    assert t.quorum_needed == 1


def test_outcome_helper_matches_tally() -> None:
    p = policy(quorum=3, rule=SUPERMAJORITY)
    assert outcome(p, 2, 1, 3, 5) is Outcome.PASSED
    assert outcome(p, 2, 0, 2, 5) is Outcome.NO_QUORUM
    assert outcome(p, 1, 1, 3, 5) is Outcome.REJECTED


def test_tally_never_returns_cancelled() -> None:
    for yes, no, abstain in itertools.product(range(3), repeat=3):
        people, ballots = vote(6, yes, no, abstain)
        assert tally(policy(), people, ballots).outcome is not Outcome.CANCELLED


# --- decided and may_close_early: worked cases ------------------------------------------------


def test_decided_when_everyone_voted() -> None:
    people, ballots = vote(3, yes=1, no=1, abstain=1)
    assert decided(policy(), people, ballots)
    assert tally(policy(), people, ballots).outcome is Outcome.REJECTED


def test_decided_when_majority_cannot_be_overturned() -> None:
    # 5 electors, quorum 3 met; 3 yes vs at most 2 no: passes whatever the last two do.
    people, ballots = vote(5, yes=3)
    assert decided(policy(), people, ballots)
    assert reachable_outcomes(policy(), people, ballots) == {Outcome.PASSED}


def test_not_decided_when_remaining_can_flip() -> None:
    # 7 electors, 4 yes 0 no: quorum met, but 3 remaining no votes cannot beat 4 yes. Decided.
    people, ballots = vote(7, yes=4)
    assert decided(policy(), people, ballots)
    # 7 electors, 4 yes 1 no: quorum met; the last two voting no makes 4-3: still passes.
    people, ballots = vote(7, yes=4, no=1)
    assert decided(policy(), people, ballots)
    # 9 electors, 4 yes 1 no: the last four voting no makes 4-5: can still be rejected.
    people, ballots = vote(9, yes=4, no=1)
    assert not decided(policy(), people, ballots)
    assert reachable_outcomes(policy(), people, ballots) == {Outcome.PASSED, Outcome.REJECTED}


def test_not_decided_while_quorum_not_met() -> None:
    # 10 electors, quorum 5: 4 yes is unanimous so far but the rest could stay away.
    people, ballots = vote(10, yes=4)
    p = policy(rule=UNANIMOUS)
    assert not decided(p, people, ballots)
    assert reachable_outcomes(p, people, ballots) == {
        Outcome.NO_QUORUM,
        Outcome.PASSED,
        Outcome.REJECTED,
    }
    # Even when the count can no longer pass, no-quorum is still possible.
    people, ballots = vote(10, no=4)
    assert reachable_outcomes(p, people, ballots) == {Outcome.NO_QUORUM, Outcome.REJECTED}
    assert not decided(p, people, ballots)


def test_decided_rejected_once_passing_is_impossible() -> None:
    # Unanimous, quorum of 1 met: a single no settles it.
    people, ballots = vote(5, no=1)
    assert decided(policy(quorum=1, rule=UNANIMOUS), people, ballots)
    assert tally(policy(quorum=1, rule=UNANIMOUS), people, ballots).outcome is Outcome.REJECTED


def test_decided_on_the_electorate_basis() -> None:
    # 3 yes of 5 is more than half the electorate: settled.
    people, ballots = vote(5, yes=3)
    assert decided(policy(basis="electorate"), people, ballots)
    # Supermajority of 9 needs 6 yes; with 3 yes and 4 no, at most 5 yes: settled as rejected.
    people, ballots = vote(9, yes=3, no=4)
    p = policy(rule=SUPERMAJORITY, basis="electorate")
    assert decided(p, people, ballots)
    assert tally(p, people, ballots).outcome is Outcome.REJECTED
    # With 3 yes and 3 no, 6 yes is still possible: open.
    people, ballots = vote(9, yes=3, no=3)
    assert not decided(p, people, ballots)


def test_unreachable_quorum_is_decided_as_no_quorum_from_the_start() -> None:
    people, ballots = vote(3)
    assert decided(policy(quorum=5), people, ballots)
    assert reachable_outcomes(policy(quorum=5), people, ballots) == {Outcome.NO_QUORUM}


def test_quorum_one_with_a_no_is_not_decided_until_everyone_votes() -> None:
    p = policy(quorum=Fraction(1), rule=UNANIMOUS)
    people, ballots = vote(3, no=1)
    assert reachable_outcomes(p, people, ballots) == {Outcome.NO_QUORUM, Outcome.REJECTED}
    people, ballots = vote(3, yes=2, no=1)
    assert decided(p, people, ballots)


def test_outsiders_never_decide_a_vote() -> None:
    people, ballots = vote(3, outsiders=[YES] * 20)
    assert not decided(policy(), people, ballots)


def test_decided_is_fast_for_large_electorates() -> None:
    # Quorum met (10000 of 20000); the 10000 silent could still make it 6000 to 13000.
    people, ballots = vote(20_000, yes=6_000, no=3_000, abstain=1_000)
    assert not decided(policy(), people, ballots)
    # 10001 yes against at most 9999 no: settled.
    people, ballots = vote(20_000, yes=10_001)
    assert decided(policy(), people, ballots)
    assert decided(policy(basis="electorate"), people, ballots)
    # Two thirds of 20000 is 13334 yes; with 6667 no already, 13333 is the most possible.
    people, ballots = vote(20_000, yes=10_000, no=6_667)
    assert decided(policy(rule=SUPERMAJORITY, basis="electorate"), people, ballots)
    people, ballots = vote(20_000, yes=10_000, no=6_666)
    assert not decided(policy(rule=SUPERMAJORITY, basis="electorate"), people, ballots)


def test_may_close_early_when_decided_after_min_duration() -> None:
    people, ballots = vote(5, yes=3)
    p = policy()
    assert may_close_early(p, people, ballots, OPENED, OPENED + MIN)  # exactly at min_duration
    assert may_close_early(p, people, ballots, OPENED, OPENED + timedelta(days=6))


def test_may_not_close_early_before_min_duration() -> None:
    people, ballots = vote(5, yes=5)  # everyone voted
    p = policy()
    assert decided(p, people, ballots)
    assert not may_close_early(p, people, ballots, OPENED, OPENED)
    assert not may_close_early(p, people, ballots, OPENED, OPENED + MIN - timedelta(seconds=1))
    assert not may_close_early(p, people, ballots, OPENED, OPENED - timedelta(days=1))


def test_may_not_close_early_when_close_early_is_false() -> None:
    people, ballots = vote(5, yes=5)
    p = policy(close_early=False)
    assert not may_close_early(p, people, ballots, OPENED, OPENED + timedelta(days=30))


def test_may_not_close_early_when_not_decided() -> None:
    people, ballots = vote(10, yes=4)
    assert not may_close_early(policy(), people, ballots, OPENED, OPENED + timedelta(days=6))


def test_zero_min_duration_closes_as_soon_as_decided() -> None:
    people, ballots = vote(1, yes=1)
    p = policy(min_duration=timedelta(0))
    assert may_close_early(p, people, ballots, OPENED, OPENED)


# --- strategies -------------------------------------------------------------------------------

fractions_01 = st.integers(1, 12).flatmap(lambda d: st.integers(1, d).map(lambda n: Fraction(n, d)))
quorums = st.one_of(fractions_01, st.integers(0, 8))
rules = st.one_of(
    st.sampled_from([MAJORITY, SUPERMAJORITY, UNANIMOUS]),
    fractions_01.map(at_least),
)
bases: st.SearchStrategy[Basis] = st.sampled_from(["cast", "electorate"])
policies = st.builds(
    policy,
    quorum=quorums,
    rule=rules,
    basis=bases,
    close_early=st.booleans(),
    min_duration=st.integers(0, 100).map(lambda h: timedelta(hours=h)),
)
maybe_choice = st.sampled_from([None, YES, NO, ABSTAIN])


def build(
    elector_votes: Sequence[Choice | None], outsider_votes: Sequence[Choice]
) -> tuple[list[str], dict[str, Choice]]:
    people = electors(len(elector_votes))
    ballots = {h: c for h, c in zip(people, elector_votes, strict=True) if c is not None}
    ballots.update({f"outsider{i}": c for i, c in enumerate(outsider_votes)})
    return people, ballots


def brute_force_outcomes(
    p: Policy, people: Sequence[str], ballots: dict[str, Choice]
) -> set[Outcome]:
    """Every outcome over every completion: each silent elector votes yes, no, abstain or not."""
    silent = [h for h in people if h not in ballots]
    seen: set[Outcome] = set()
    for completion in itertools.product([None, YES, NO, ABSTAIN], repeat=len(silent)):
        completed = dict(ballots)
        completed.update({h: c for h, c in zip(silent, completion, strict=True) if c is not None})
        seen.add(tally(p, people, completed).outcome)
    return seen


def reference_passes(rule: PassRule, basis: Basis, yes: int, no: int, size: int) -> bool:
    """The rules of DESIGN.md written as shares of a denominator, independently of the module."""
    denominator = yes + no if basis == "cast" else size
    if denominator == 0:
        return False
    share = Fraction(yes, denominator)
    if rule.kind == "majority":
        return share > HALF
    if rule.kind == "supermajority":
        return share >= Fraction(2, 3)
    if rule.kind == "unanimous":
        return share == 1
    assert rule.threshold is not None
    return share >= rule.threshold


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=400)
@given(
    policies,
    st.lists(maybe_choice, max_size=5),
    st.lists(st.sampled_from(list(Choice)), max_size=2),
)
def test_decided_matches_brute_force(
    p: Policy, elector_votes: list[Choice | None], outsider_votes: list[Choice]
) -> None:
    people, ballots = build(elector_votes, outsider_votes)
    every = brute_force_outcomes(p, people, ballots)
    assert reachable_outcomes(p, people, ballots) == every
    assert decided(p, people, ballots) is (len(every) == 1)
    assert tally(p, people, ballots).outcome in every
    if all(v is not None for v in elector_votes):
        assert decided(p, people, ballots)


@given(policies, st.lists(maybe_choice, max_size=6), st.integers(-200, 200))
def test_may_close_early_is_the_conjunction(
    p: Policy, elector_votes: list[Choice | None], hours: int
) -> None:
    people, ballots = build(elector_votes, [])
    now = OPENED + timedelta(hours=hours)
    expected = p.close_early and decided(p, people, ballots) and now >= OPENED + p.min_duration
    assert may_close_early(p, people, ballots, OPENED, now) is expected
    if may_close_early(p, people, ballots, OPENED, now):
        assert now - OPENED >= p.min_duration


@given(rules, bases, st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
def test_passes_matches_reference(rule: PassRule, basis: Basis, yes: int, no: int, extra: int):
    size = yes + no + extra
    assert passes(rule, basis, yes, no, size) is reference_passes(rule, basis, yes, no, size)


@given(rules, bases, st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
def test_passes_is_monotone(rule: PassRule, basis: Basis, yes: int, no: int, extra: int) -> None:
    size = yes + no + extra + 1
    if passes(rule, basis, yes, no, size):
        assert passes(rule, basis, yes + 1, no, size)  # one more yes
        if no:
            assert passes(rule, basis, yes, no - 1, size)  # one fewer no
            assert passes(rule, basis, yes + 1, no - 1, size)  # a no turned yes


@given(st.sampled_from([MAJORITY, SUPERMAJORITY, UNANIMOUS]), st.integers(0, 50))
def test_a_tie_is_rejected(rule: PassRule, n: int) -> None:
    assert not passes(rule, "cast", n, n, 2 * n)
    assert not passes(rule, "electorate", n, n, 2 * n)


@given(
    policies,
    st.lists(maybe_choice, max_size=8),
    st.lists(st.sampled_from(list(Choice)), max_size=3),
    st.randoms(use_true_random=False),
)
def test_outcome_is_independent_of_ballot_order(
    p: Policy, elector_votes: list[Choice | None], outsider_votes: list[Choice], rnd
) -> None:
    people, ballots = build(elector_votes, outsider_votes)
    pairs = list(ballots.items())
    rnd.shuffle(pairs)
    shuffled_people = list(people)
    rnd.shuffle(shuffled_people)
    shuffled = dict(pairs)
    assert tally(p, shuffled_people, shuffled) == tally(p, people, ballots)
    assert decided(p, shuffled_people, shuffled) == decided(p, people, ballots)
    assert set(shuffled_people) == set(people)


@given(policies, st.lists(maybe_choice, min_size=1, max_size=8), st.data())
def test_turning_a_no_into_a_yes_never_turns_passed_into_rejected(
    p: Policy, elector_votes: list[Choice | None], data: st.DataObject
) -> None:
    nos = [i for i, v in enumerate(elector_votes) if v is NO]
    if not nos:
        elector_votes[0] = NO
        nos = [0]
    i = data.draw(st.sampled_from(nos))
    people, before = build(elector_votes, [])
    after = dict(before)
    after[people[i]] = YES
    old, new = tally(p, people, before), tally(p, people, after)
    assert new.participation == old.participation  # quorum is untouched
    if old.outcome is Outcome.PASSED:
        assert new.outcome is Outcome.PASSED
    if new.outcome is Outcome.REJECTED:
        assert old.outcome is Outcome.REJECTED


@given(policies, st.lists(maybe_choice, max_size=8), st.lists(st.sampled_from(list(Choice))))
def test_non_binding_ballots_change_nothing_but_their_count(
    p: Policy, elector_votes: list[Choice | None], outsider_votes: list[Choice]
) -> None:
    people, with_outsiders = build(elector_votes, outsider_votes)
    _, without = build(elector_votes, [])
    a, b = tally(p, people, with_outsiders), tally(p, people, without)
    assert a.non_binding == len(outsider_votes)
    assert b.non_binding == 0
    assert a == Tally(**{**b.__dict__, "non_binding": len(outsider_votes)})
    assert decided(p, people, with_outsiders) == decided(p, people, without)


@given(policies, st.lists(maybe_choice, max_size=8))
def test_tally_invariants(p: Policy, elector_votes: list[Choice | None]) -> None:
    people, ballots = build(elector_votes, [])
    t = tally(p, people, ballots)
    assert t.participation == t.yes + t.no + t.abstain <= t.electorate == len(people)
    assert t.quorum_met is (t.participation >= t.quorum_needed)
    if not t.quorum_met:
        assert t.outcome is Outcome.NO_QUORUM
    else:
        assert t.outcome in (Outcome.PASSED, Outcome.REJECTED)
        assert (t.outcome is Outcome.PASSED) is reference_passes(
            p.pass_rule, p.basis, t.yes, t.no, t.electorate
        )
