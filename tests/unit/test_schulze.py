"""Schulze elections (DESIGN.md section 2): ranked ballots with ties and unranked candidates.

The published worked example from Wikipedia's "Schulze method" article is reproduced in full
(pairwise matrix, strongest paths, ranking); properties are checked with hypothesis, and the
strongest paths against a brute-force search over every simple path.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.rules import (
    Ranking,
    SchulzeResult,
    pairwise_preferences,
    schulze,
    strongest_paths,
)

# --- Wikipedia's worked example ---------------------------------------------------------------

WIKIPEDIA_BALLOTS = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]
CANDIDATES = "ABCDE"

# Rows: a; columns: b; entries d[a, b] (None on the diagonal).
WIKIPEDIA_D = [
    [None, 20, 26, 30, 22],
    [25, None, 16, 33, 18],
    [19, 29, None, 17, 24],
    [15, 12, 28, None, 14],
    [23, 27, 21, 31, None],
]
WIKIPEDIA_P = [
    [None, 28, 28, 30, 24],
    [25, None, 28, 33, 24],
    [25, 29, None, 29, 24],
    [25, 28, 28, None, 24],
    [25, 28, 28, 31, None],
]


def matrix(rows: list[list[int | None]]) -> dict[tuple[str, str], int]:
    return {
        (a, b): value
        for a, row in zip(CANDIDATES, rows, strict=True)
        for b, value in zip(CANDIDATES, row, strict=True)
        if value is not None
    }


def wikipedia_ballots() -> list[list[list[str]]]:
    return [[[c] for c in order] for count, order in WIKIPEDIA_BALLOTS for _ in range(count)]


def test_wikipedia_example_has_45_voters() -> None:
    assert len(wikipedia_ballots()) == 45


def test_wikipedia_pairwise_matrix() -> None:
    result = schulze(list(CANDIDATES), wikipedia_ballots(), 1)
    assert result.pairwise == matrix(WIKIPEDIA_D)
    for a, b in itertools.permutations(CANDIDATES, 2):
        assert result.pairwise[a, b] + result.pairwise[b, a] == 45  # complete ballots


def test_wikipedia_strongest_paths() -> None:
    result = schulze(list(CANDIDATES), wikipedia_ballots(), 1)
    assert result.strength == matrix(WIKIPEDIA_P)


def test_wikipedia_ranking() -> None:
    result = schulze(list(CANDIDATES), wikipedia_ballots(), 1)
    assert result == SchulzeResult(
        candidates=tuple(CANDIDATES),
        pairwise=matrix(WIKIPEDIA_D),
        strength=matrix(WIKIPEDIA_P),
        ranking=(("E",), ("A",), ("C",), ("B",), ("D",)),
        winners=("E",),
        tied=(),
    )


@pytest.mark.parametrize(
    ("seats", "winners"),
    [(1, ("E",)), (2, ("E", "A")), (3, ("E", "A", "C")), (5, ("E", "A", "C", "B", "D"))],
)
def test_wikipedia_seats(seats: int, winners: tuple[str, ...]) -> None:
    result = schulze(list(CANDIDATES), wikipedia_ballots(), seats)
    assert result.winners == winners
    assert result.tied == ()


def test_wikipedia_with_string_tiers_and_shuffled_candidates() -> None:
    # A tier given as a plain string is one candidate's name.
    ballots = [list(order) for count, order in WIKIPEDIA_BALLOTS for _ in range(count)]
    result = schulze(["D", "B", "E", "A", "C"], ballots, 1)
    assert result.candidates == ("D", "B", "E", "A", "C")
    assert result.pairwise == matrix(WIKIPEDIA_D)
    assert result.strength == matrix(WIKIPEDIA_P)
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))


def test_wikipedia_last_candidate_unranked_is_the_same() -> None:
    # Leaving the last candidate off every ballot means the same as ranking it last.
    ballots = [
        [[c] for c in order[:-1]] for count, order in WIKIPEDIA_BALLOTS for _ in range(count)
    ]
    result = schulze(list(CANDIDATES), ballots, 1)
    assert result.pairwise == matrix(WIKIPEDIA_D)
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))


# --- ties and unranked candidates on ballots --------------------------------------------------


def test_ties_in_ballots_and_unranked_candidates() -> None:
    ballots: list[Ranking] = [
        [{"A", "B"}, {"C"}],  # A = B > C > D (D unranked)
        [["C"]],  # C > A = B = D
        [["B"], ("A", "D")],  # B > A = D > C
        [],  # ranks nobody: counts for nothing
    ]
    result = schulze(["A", "B", "C", "D"], ballots, 1)
    assert result.pairwise == {
        ("A", "B"): 0,
        ("B", "A"): 1,
        ("A", "C"): 2,
        ("C", "A"): 1,
        ("A", "D"): 1,
        ("D", "A"): 0,
        ("B", "C"): 2,
        ("C", "B"): 1,
        ("B", "D"): 2,
        ("D", "B"): 0,
        ("C", "D"): 2,
        ("D", "C"): 1,
    }
    assert result.ranking == (("B",), ("A",), ("C",), ("D",))
    assert result.winners == ("B",)


def test_empty_tiers_are_ignored() -> None:
    a = schulze(["A", "B", "C"], [[[], ["B"], [], ["A"]]], 1)
    b = schulze(["A", "B", "C"], [[["B"], ["A"]]], 1)
    assert a.pairwise == b.pairwise
    assert a.ranking == b.ranking == (("B",), ("A",), ("C",))


def test_no_ballots_ties_everyone() -> None:
    result = schulze(["C", "A", "B"], [], 2)
    assert set(result.pairwise.values()) == {0}
    assert set(result.strength.values()) == {0}
    assert result.ranking == (("A", "B", "C"),)
    assert result.winners == ()
    assert result.tied == ("A", "B", "C")


def test_single_candidate() -> None:
    result = schulze(["Ada"], [[["Ada"]], []], 1)
    assert result.pairwise == {}
    assert result.strength == {}
    assert result.ranking == (("Ada",),)
    assert result.winners == ("Ada",)
    assert result.tied == ()


# --- ties at the cut --------------------------------------------------------------------------


def test_tie_straddling_the_seat_cut() -> None:
    # E first for everyone; then A and B split the voters evenly; C last.
    ballots: list[Ranking] = [[["E"], ["A"], ["B"], ["C"]], [["E"], ["B"], ["A"], ["C"]]]
    candidates = ["A", "B", "C", "E"]
    result = schulze(candidates, ballots, 2)
    assert result.ranking == (("E",), ("A", "B"), ("C",))
    assert result.winners == ("E",)
    assert result.tied == ("A", "B")
    # The cut between tiers is not a tie.
    assert schulze(candidates, ballots, 1).winners == ("E",)
    assert schulze(candidates, ballots, 1).tied == ()
    assert schulze(candidates, ballots, 3).winners == ("E", "A", "B")
    assert schulze(candidates, ballots, 3).tied == ()
    assert schulze(candidates, ballots, 4).winners == ("E", "A", "B", "C")


def test_tie_for_the_only_seat() -> None:
    result = schulze(["Bob", "Ann"], [[["Ann"], ["Bob"]], [["Bob"], ["Ann"]]], 1)
    assert result.ranking == (("Ann", "Bob"),)
    assert result.winners == ()
    assert result.tied == ("Ann", "Bob")


def test_condorcet_cycle_of_equal_strength_is_a_tie() -> None:
    # A > B > C > A, each by 2 to 1: every strongest path is 2, nobody beats anybody.
    ballots: list[Ranking] = [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]]
    result = schulze(["A", "B", "C"], ballots, 1)
    assert result.pairwise[("A", "B")] == result.pairwise[("B", "C")] == 2
    assert result.pairwise[("C", "A")] == 2
    assert set(result.strength.values()) == {2}
    assert result.ranking == (("A", "B", "C"),)
    assert result.tied == ("A", "B", "C")


def test_condorcet_cycle_is_resolved_by_strength() -> None:
    # A > B by 7:2, B > C by 6:3, C > A by 5:4. A's path to C (6) beats C's link to A (5).
    ballots: list[Ranking] = [
        *[["A", "B", "C"]] * 4,
        *[["B", "C", "A"]] * 2,
        *[["C", "A", "B"]] * 3,
    ]
    result = schulze(["A", "B", "C"], ballots, 1)
    assert result.pairwise[("A", "B")] == 7
    assert result.pairwise[("B", "C")] == 6
    assert result.pairwise[("C", "A")] == 5
    assert result.strength[("A", "C")] == 6
    assert result.ranking == (("A",), ("B",), ("C",))


# --- invalid input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "ballots", "seats"),
    [
        ([], [], 1),  # no candidates
        (["A", "A"], [], 1),  # duplicates
        (["A", ""], [], 1),  # an empty name
        (["A", "B"], [], 0),  # no seats
        (["A", "B"], [], 3),  # more seats than candidates
        (["A", "B"], [], -1),
        (["A", "B"], [[["A"], ["Z"]]], 1),  # not a candidate
        (["A", "B"], [[["A"], ["A"]]], 1),  # ranked twice
        (["A", "B"], [[["A", "A"]]], 1),  # twice in one tier
    ],
)
def test_invalid_input(candidates: list[str], ballots: list[Ranking], seats: int) -> None:
    with pytest.raises(ValueError):
        schulze(candidates, ballots, seats)


def test_seats_must_be_an_int() -> None:
    with pytest.raises(ValueError):
        schulze(["A", "B"], [], True)
    with pytest.raises(ValueError):
        schulze(["A", "B"], [], 1.0)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

POOL = "ABCDEF"


@st.composite
def elections(draw: st.DrawFn, max_candidates: int = 5) -> tuple[list[str], list[Ranking]]:
    """Candidates and ballots with ties, gaps and unranked candidates."""
    n = draw(st.integers(1, max_candidates))
    candidates = list(draw(st.permutations(POOL[:n])))
    ballots: list[Ranking] = []
    for _ in range(draw(st.integers(0, 12))):
        # A label per candidate; equal labels tie; label n leaves the candidate unranked.
        labels = draw(st.lists(st.integers(0, n), min_size=n, max_size=n))
        tiers = [
            [c for c, label in zip(candidates, labels, strict=True) if label == level]
            for level in sorted(set(labels) - {n})
        ]
        ballots.append(tiers)
    return candidates, ballots


def rank_of(ballot: Ranking, candidate: str) -> int:
    for index, tier in enumerate(ballot):
        if candidate in tier:
            return index
    return len(ballot)


def condorcet_winner(candidates: Sequence[str], ballots: Sequence[Ranking]) -> str | None:
    for c in candidates:
        if all(
            sum(rank_of(b, c) < rank_of(b, x) for b in ballots)
            > sum(rank_of(b, x) < rank_of(b, c) for b in ballots)
            for x in candidates
            if x != c
        ):
            return c
    return None


def brute_force_strength(
    candidates: Sequence[str], d: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Best path strength over every simple path, straight from the definition."""

    def link(a: str, b: str) -> int:
        return d[a, b] if d[a, b] > d[b, a] else 0

    best: dict[tuple[str, str], int] = {}
    for a, b in itertools.permutations(candidates, 2):
        others = [c for c in candidates if c not in (a, b)]
        strength = 0
        for k in range(len(others) + 1):
            for middle in itertools.permutations(others, k):
                path = (a, *middle, b)
                strength = max(strength, min(link(x, y) for x, y in itertools.pairwise(path)))
        best[a, b] = strength
    return best


def beats(result: SchulzeResult, a: str, b: str) -> bool:
    return result.strength[a, b] > result.strength[b, a]


@given(elections())
def test_condorcet_winner_is_ranked_alone_first(election: tuple[list[str], list[Ranking]]) -> None:
    candidates, ballots = election
    winner = condorcet_winner(candidates, ballots)
    result = schulze(candidates, ballots, 1)
    if winner is not None:
        assert result.ranking[0] == (winner,)
        assert result.winners == (winner,)


@given(elections(), st.data())
def test_planted_condorcet_winner_is_ranked_alone_first(
    election: tuple[list[str], list[Ranking]], data: st.DataObject
) -> None:
    candidates, ballots = election
    favourite = data.draw(st.sampled_from(candidates))
    # More ballots with the favourite alone on top than all the others: a sure Condorcet winner.
    ballots = ballots + [[[favourite]]] * (len(ballots) + 1)
    assert condorcet_winner(candidates, ballots) == favourite
    result = schulze(candidates, ballots, 1)
    assert result.ranking[0] == (favourite,)
    assert result.winners == (favourite,)
    assert result.tied == ()


@settings(max_examples=200)
@given(elections())
def test_strongest_paths_match_brute_force(election: tuple[list[str], list[Ranking]]) -> None:
    candidates, ballots = election
    result = schulze(candidates, ballots, 1)
    assert result.strength == brute_force_strength(candidates, result.pairwise)


@given(elections())
def test_pairwise_matches_direct_count(election: tuple[list[str], list[Ranking]]) -> None:
    candidates, ballots = election
    result = schulze(candidates, ballots, 1)
    expected = {
        (a, b): sum(rank_of(ballot, a) < rank_of(ballot, b) for ballot in ballots)
        for a, b in itertools.permutations(candidates, 2)
    }
    assert result.pairwise == expected
    assert pairwise_preferences(candidates, ballots) == expected
    assert strongest_paths(candidates, expected) == result.strength
    for a, b in itertools.permutations(candidates, 2):
        assert result.pairwise[a, b] + result.pairwise[b, a] <= len(ballots)


@given(elections(), st.integers(1, 6))
def test_ranking_and_winners_are_consistent(
    election: tuple[list[str], list[Ranking]], seats: int
) -> None:
    candidates, ballots = election
    seats = min(seats, len(candidates))
    result = schulze(candidates, ballots, seats)
    # Keys: every ordered pair of distinct candidates, nothing else.
    pairs = set(itertools.permutations(candidates, 2))
    assert set(result.pairwise) == pairs == set(result.strength)
    # The ranking is a partition of the candidates into sorted, non-empty tiers.
    flat = [c for tier in result.ranking for c in tier]
    assert sorted(flat) == sorted(candidates)
    assert all(tier and list(tier) == sorted(tier) for tier in result.ranking)
    # Nobody in a tier beats another in it; everyone below the top is beaten from the tier above.
    for upper, tier in itertools.pairwise(result.ranking):
        for c in tier:
            assert any(beats(result, u, c) for u in upper)
    for tier in result.ranking:
        for a, b in itertools.permutations(tier, 2):
            assert not beats(result, a, b)
    # Nobody lower beats anybody higher.
    for i, upper in enumerate(result.ranking):
        for lower in result.ranking[i + 1 :]:
            for u, w in itertools.product(upper, lower):
                assert not beats(result, w, u)
    # Winners are whole tiers from the top; a straddling tier is reported as tied.
    assert tuple(flat[: len(result.winners)]) == result.winners
    if result.tied:
        assert len(result.winners) < seats < len(result.winners) + len(result.tied)
        assert result.tied in result.ranking
        assert flat[len(result.winners) : len(result.winners) + len(result.tied)] == list(
            result.tied
        )
    else:
        assert len(result.winners) == seats


@given(elections())
def test_beats_is_transitive(election: tuple[list[str], list[Ranking]]) -> None:
    candidates, ballots = election
    result = schulze(candidates, ballots, 1)
    for a, b, c in itertools.permutations(candidates, 3):
        if beats(result, a, b) and beats(result, b, c):
            assert beats(result, a, c)


@given(elections(), st.randoms(use_true_random=False))
def test_result_is_independent_of_ballot_and_candidate_order(
    election: tuple[list[str], list[Ranking]], rnd
) -> None:
    candidates, ballots = election
    shuffled_ballots = list(ballots)
    rnd.shuffle(shuffled_ballots)
    shuffled_candidates = list(candidates)
    rnd.shuffle(shuffled_candidates)
    a = schulze(candidates, ballots, 1)
    b = schulze(shuffled_candidates, shuffled_ballots, 1)
    assert (a.pairwise, a.strength, a.ranking, a.winners, a.tied) == (
        b.pairwise,
        b.strength,
        b.ranking,
        b.winners,
        b.tied,
    )


@given(elections())
def test_explicit_last_tier_equals_leaving_candidates_unranked(
    election: tuple[list[str], list[Ranking]],
) -> None:
    candidates, ballots = election
    completed: list[Ranking] = []
    for ballot in ballots:
        ranked = {c for tier in ballot for c in tier}
        rest = [c for c in candidates if c not in ranked]
        completed.append([*ballot, rest] if rest else list(ballot))
    assert schulze(candidates, ballots, 1) == schulze(candidates, completed, 1)


@given(elections())
def test_reversing_every_ballot_reverses_pairwise(
    election: tuple[list[str], list[Ranking]],
) -> None:
    candidates, ballots = election
    # Rank everyone explicitly, then reverse: d[a, b] and d[b, a] swap.
    completed = []
    for ballot in ballots:
        ranked = {c for tier in ballot for c in tier}
        rest = [c for c in candidates if c not in ranked]
        completed.append([*ballot, rest] if rest else list(ballot))
    forward = schulze(candidates, completed, 1)
    backward = schulze(candidates, [list(reversed(b)) for b in completed], 1)
    for a, b in itertools.permutations(candidates, 2):
        assert backward.pairwise[a, b] == forward.pairwise[b, a]
