"""Rules of decision: pure functions over frozen policies, electorates and ballots.

Nothing here reads a clock, a database or the network: the time is passed in, and every
fraction is exact (``fractions.Fraction``), never a float.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal


class Choice(enum.StrEnum):
    """A ballot's choice in a yes/no vote."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Outcome(enum.StrEnum):
    """How a vote or election ended; ``cancelled`` outranks everything, then ``no-quorum``."""

    PASSED = "passed"
    REJECTED = "rejected"
    NO_QUORUM = "no-quorum"
    CANCELLED = "cancelled"


PassKind = Literal["majority", "supermajority", "unanimous", "at_least"]
Basis = Literal["cast", "electorate"]
Voters = Literal["members", "chairs"]


@dataclass(frozen=True)
class PassRule:
    """``majority``, ``supermajority``, ``unanimous`` or ``at_least`` with its threshold."""

    kind: PassKind
    threshold: Fraction | None = None  # only for ``at_least``, in (0, 1]


@dataclass(frozen=True)
class Policy:
    """A vote policy as frozen when a vote opens.

    ``quorum`` is a ``Fraction`` in (0, 1] (share of the electorate) or an ``int`` (count of
    electors).
    """

    duration: timedelta
    min_duration: timedelta
    quorum: Fraction | int
    pass_rule: PassRule
    basis: Basis = "cast"
    close_early: bool = True
    secret: bool = False
    voters: Voters = "members"


@dataclass(frozen=True)
class Tally:
    """Counts of a vote as it stands; only electors' ballots are binding."""

    yes: int
    no: int
    abstain: int
    non_binding: int
    electorate: int
    participation: int  # electors who cast any ballot, abstain included
    quorum_needed: int  # participation needed for quorum (may exceed ``electorate``)
    quorum_met: bool
    outcome: Outcome  # the outcome if the vote closed now: no-quorum, passed or rejected


def _is_int(value: object) -> bool:
    """``bool`` is an ``int`` to Python but never a meaningful count or share here."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_count(name: str, value: int) -> None:
    """Reject negative or non-integer counts early: they can only come from a bug upstream."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def quorum_needed(quorum: Fraction | int, electorate: int) -> int:
    """Smallest participation that meets ``quorum`` for an electorate of this size.

    A ``Fraction`` q in (0, 1] needs ``ceil(q * electorate)`` (exact; 0 for an empty electorate).
    An ``int`` n >= 0 needs n, even above ``electorate`` (quorum is then unreachable, by design:
    a charter asking for more electors than exist must not pass anything silently).
    Floats are refused (``TypeError``) because they are not exact.
    """
    _check_count("electorate", electorate)
    if isinstance(quorum, Fraction):
        if not 0 < quorum <= 1:
            raise ValueError(f"a quorum fraction must be in (0, 1], got {quorum}")
        return math.ceil(quorum * electorate)
    if _is_int(quorum):
        if quorum < 0:
            raise ValueError(f"a quorum count must be >= 0, got {quorum}")
        return quorum
    raise TypeError(f"quorum must be a Fraction or an int, got {type(quorum).__name__}")


def quorum_met(quorum: Fraction | int, electorate: int, participation: int) -> bool:
    """Whether ``participation`` (electors' ballots, abstain included) meets ``quorum``."""
    _check_count("participation", participation)
    return participation >= quorum_needed(quorum, electorate)


def _threshold(rule: PassRule) -> Fraction:
    """Return the exact threshold of an ``at_least`` rule; a bad charter must fail loudly."""
    x = rule.threshold
    if x is None:
        raise ValueError("an at_least pass rule needs a threshold")
    if not isinstance(x, Fraction) and not _is_int(x):
        raise TypeError(f"a threshold must be a Fraction, got {type(x).__name__}")
    x = Fraction(x)
    if not 0 < x <= 1:
        raise ValueError(f"a threshold must be in (0, 1], got {x}")
    return x


def passes(rule: PassRule, basis: Basis, yes: int, no: int, electorate: int) -> bool:
    """Whether ``yes``/``no`` meet the pass rule (a tie, and yes+no == 0 on ``cast``, do not).

    ``cast`` (denominator yes+no): majority yes > no; supermajority yes >= 2/3 (yes+no);
    unanimous yes >= 1 and no == 0; at_least(x) yes >= x (yes+no).
    ``electorate`` (denominator E): majority yes > E/2; supermajority yes >= 2E/3; unanimous
    yes == E; at_least(x) yes >= x E.

    Whatever the rule, nothing passes without at least one yes (this is what makes yes+no == 0
    and an empty electorate reject). A tie is rejected by majority, supermajority and unanimous;
    ``at_least(x)`` is taken literally, so with x <= 1/2 a tie does reach "at least x" and
    passes: refusing it would make adding a yes able to turn a pass into a rejection.
    Every rule is monotone: more yes or fewer no never turns a pass into a rejection.
    """
    _check_count("yes", yes)
    _check_count("no", no)
    _check_count("electorate", electorate)
    threshold = _threshold(rule) if rule.kind == "at_least" else None
    if rule.kind not in ("majority", "supermajority", "unanimous", "at_least"):
        raise ValueError(f"unknown pass rule {rule.kind!r}")
    if threshold is None and rule.threshold is not None:
        raise ValueError(f"a {rule.kind} pass rule takes no threshold")
    if basis == "cast":
        total = yes + no
    elif basis == "electorate":
        if yes + no > electorate:
            raise ValueError(f"{yes} yes + {no} no exceed an electorate of {electorate}")
        total = electorate
    else:
        raise ValueError(f"unknown basis {basis!r}")
    if yes == 0:
        return False
    if rule.kind == "majority":
        return 2 * yes > (total if basis == "electorate" else 2 * no)
    if rule.kind == "supermajority":
        return 3 * yes >= 2 * total
    if rule.kind == "unanimous":
        return yes == total if basis == "electorate" else no == 0
    assert threshold is not None
    return yes >= threshold * total


def outcome(policy: Policy, yes: int, no: int, participation: int, electorate: int) -> Outcome:
    """Return the outcome if the vote closed now: no-quorum, else passed or rejected.

    ``cancelled`` is never returned: only a chair cancels, and services record that.
    """
    if not quorum_met(policy.quorum, electorate, participation):
        return Outcome.NO_QUORUM
    if passes(policy.pass_rule, policy.basis, yes, no, electorate):
        return Outcome.PASSED
    return Outcome.REJECTED


def tally(policy: Policy, electorate: Collection[str], ballots: Mapping[str, Choice]) -> Tally:
    """Count ``ballots`` (keyed by handle) against the frozen ``electorate``.

    Ballots of handles outside the electorate are counted only in ``non_binding``. Choices may
    be given as ``Choice`` or as their string values; anything else raises ``ValueError``.
    """
    electors = frozenset(electorate)
    counts = {choice: 0 for choice in Choice}
    non_binding = 0
    for handle, raw in ballots.items():
        choice = Choice(raw)
        if handle in electors:
            counts[choice] += 1
        else:
            non_binding += 1
    return count(
        policy,
        len(electors),
        counts[Choice.YES],
        counts[Choice.NO],
        counts[Choice.ABSTAIN],
        non_binding,
    )


def count(
    policy: Policy, electorate: int, yes: int, no: int, abstain: int, non_binding: int = 0
) -> Tally:
    """The tally from counts already made (a database can count binding ballots by choice)."""
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        _check_count(name, value)
    participation = yes + no + abstain
    if participation > electorate:
        raise ValueError(f"{participation} binding ballots exceed an electorate of {electorate}")
    needed = quorum_needed(policy.quorum, electorate)
    return Tally(
        yes=yes,
        no=no,
        abstain=abstain,
        non_binding=non_binding,
        electorate=electorate,
        participation=participation,
        quorum_needed=needed,
        quorum_met=participation >= needed,
        outcome=outcome(policy, yes, no, participation, electorate),
    )


def reachable_outcomes(
    policy: Policy, electorate: Collection[str], ballots: Mapping[str, Choice]
) -> frozenset[Outcome]:
    """Return every outcome the vote can still end with; cast ballots stand.

    Completions range over all behaviours of the electors who have not voted: each may vote
    yes, no, abstain or not at all.

    Closed form, O(1) after the tally: participation only grows, so no-quorum is reachable
    exactly when quorum is not met yet; quorum is reachable exactly when everyone remaining
    voting would meet it. Pass rules are monotone (more yes or fewer no never hurt) and
    abstaining changes neither count, so among completions that meet quorum, "all remaining
    vote yes" is the most favourable and "all remaining vote no" the least, and both have the
    highest participation: passed (rejected) is reachable iff that extreme passes (fails).
    """
    return reachable(policy, tally(policy, electorate, ballots))


def reachable(policy: Policy, t: Tally) -> frozenset[Outcome]:
    """``reachable_outcomes`` from a tally: the counts are all it needs."""
    remaining = t.electorate - t.participation
    reachable: set[Outcome] = set()
    if not t.quorum_met:
        reachable.add(Outcome.NO_QUORUM)
    if t.participation + remaining >= t.quorum_needed:
        rule, basis = policy.pass_rule, policy.basis
        if passes(rule, basis, t.yes + remaining, t.no, t.electorate):
            reachable.add(Outcome.PASSED)
        if not passes(rule, basis, t.yes, t.no + remaining, t.electorate):
            reachable.add(Outcome.REJECTED)
    return frozenset(reachable)


def decided(policy: Policy, electorate: Collection[str], ballots: Mapping[str, Choice]) -> bool:
    """Whether the outcome is settled; cast ballots count as they stand.

    Settled means every elector voted, or no choice by the electors who have not voted
    (including not voting) can change the outcome.

    When every elector has voted only the current outcome is reachable, so that case needs no
    branch of its own. A quorum that can never be reached (an integer above the electorate)
    is settled as no-quorum from the start.
    """
    return len(reachable_outcomes(policy, electorate, ballots)) == 1


def may_close_early(
    policy: Policy,
    electorate: Collection[str],
    ballots: Mapping[str, Choice],
    opened_at: datetime,
    now: datetime,
) -> bool:
    """``close_early`` and ``decided`` and at least ``min_duration`` since ``opened_at``.

    The minimum duration is checked first: nothing closes early before it, whatever the count.
    """
    if not policy.close_early or now < opened_at + policy.min_duration:
        return False
    return decided(policy, electorate, ballots)


# --- elections -------------------------------------------------------------------------------

Ranking = Sequence[Collection[str]]
"""A ranked ballot: tiers best first; candidates in one tier are tied; unranked ones come last."""


@dataclass(frozen=True)
class SchulzeResult:
    """The Schulze count: pairwise preferences, strongest paths, and the ranking in tiers."""

    candidates: tuple[str, ...]
    pairwise: dict[tuple[str, str], int]  # d[a, b]: voters preferring a to b
    strength: dict[tuple[str, str], int]  # p[a, b]: strength of the strongest path a -> b
    ranking: tuple[tuple[str, ...], ...]  # tiers best first, each tier sorted by name
    winners: tuple[str, ...]  # the top ``seats`` when no tie straddles the cut
    tied: tuple[str, ...] = field(default=())  # the tier straddling the cut, for a chair to settle


def _positions(ballot: Ranking, known: frozenset[str]) -> dict[str, int]:
    """Tier index of every candidate a ballot ranks (unranked candidates are absent).

    A tier given as a plain ``str`` is one name, not a collection of letters. Names that are
    not candidates, or a candidate ranked twice, raise ``ValueError``: a ballot the voter did
    not mean is better refused than silently reinterpreted.
    """
    positions: dict[str, int] = {}
    for index, tier in enumerate(ballot):
        names: Collection[str] = (tier,) if isinstance(tier, str) else tier
        for name in names:
            if name not in known:
                raise ValueError(f"{name!r} on a ballot is not a candidate")
            if name in positions:
                raise ValueError(f"{name!r} is ranked twice on one ballot")
            positions[name] = index
    return positions


def pairwise_preferences(
    candidates: Sequence[str], ballots: Sequence[Ranking]
) -> dict[tuple[str, str], int]:
    """d[a, b]: how many ballots strictly prefer a to b (unranked ones come last, tied)."""
    known = frozenset(candidates)
    d = {(a, b): 0 for a in candidates for b in candidates if a != b}
    for ballot in ballots:
        positions = _positions(ballot, known)
        last = len(ballot)
        rank = {c: positions.get(c, last) for c in candidates}
        for a, b in d:
            if rank[a] < rank[b]:
                d[a, b] += 1
    return d


def strongest_paths(
    candidates: Sequence[str], pairwise: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """p[a, b]: strength of the strongest path a -> b (widest path, Floyd-Warshall).

    A link a -> b has strength d[a, b] when d[a, b] > d[b, a] (winning votes), else 0.
    """
    p = {
        (a, b): pairwise[a, b] if pairwise[a, b] > pairwise[b, a] else 0
        for a in candidates
        for b in candidates
        if a != b
    }
    for i in candidates:
        for j in candidates:
            if j == i:
                continue
            for k in candidates:
                if k in (i, j):
                    continue
                p[j, k] = max(p[j, k], min(p[j, i], p[i, k]))
    return p


def schulze(candidates: Sequence[str], ballots: Sequence[Ranking], seats: int) -> SchulzeResult:
    """Rank ``candidates`` by the Schulze method and pick ``seats`` winners.

    a beats b when p[a, b] > p[b, a] (a transitive relation, Schulze 2011). The ranking is built
    in tiers, best first: each tier is the remaining candidates no remaining one beats, sorted
    by name. Winners are the tiers wholly above the cut at ``seats``; a tier straddling the cut
    is returned as ``tied`` instead, for a chair to settle on the record.
    Raises ``ValueError`` for no candidates, duplicate or empty names, ``seats`` outside
    1..len(candidates), and ballots naming non-candidates or ranking one twice.
    """
    names = tuple(candidates)
    if not names:
        raise ValueError("an election needs at least one candidate")
    if len(set(names)) != len(names):
        raise ValueError("candidate names must be distinct")
    if any(not isinstance(name, str) or not name for name in names):
        raise ValueError("candidate names must be non-empty strings")
    if not _is_int(seats) or not 1 <= seats <= len(names):
        raise ValueError(f"seats must be in 1..{len(names)}, got {seats!r}")
    d = pairwise_preferences(names, ballots)
    p = strongest_paths(names, d)
    remaining = set(names)
    ranking: list[tuple[str, ...]] = []
    while remaining:
        tier = tuple(
            sorted(a for a in remaining if not any(p[b, a] > p[a, b] for b in remaining if b != a))
        )
        if not tier:  # impossible: "beats" is a strict partial order, so someone is unbeaten
            raise AssertionError("Schulze strongest paths are inconsistent")
        ranking.append(tier)
        remaining.difference_update(tier)
    winners: list[str] = []
    tied: tuple[str, ...] = ()
    for tier in ranking:
        if len(winners) + len(tier) <= seats:
            winners.extend(tier)
            if len(winners) == seats:
                break
        else:
            tied = tier
            break
    return SchulzeResult(
        candidates=names,
        pairwise=d,
        strength=p,
        ranking=tuple(ranking),
        winners=tuple(winners),
        tied=tied,
    )
