"""The cases of the who-may-do-what matrix: the same people everywhere, built from the rules.

Every front end's test takes, for each action its rule says that front end offers, the action
as each of these people and expects what the declaration says: allowed (the change happens) or
refused with a message naming the rule, and nothing changed. A front end's table of cases must
cover every action the declaration says it offers; ``missing`` tells which it does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from governance import authority
from governance.authority import Action, FrontEnd, Standing

S = Standing


@dataclass(frozen=True)
class Persona:
    """One column of the table, as a person of the test foundation."""

    standing: Standing
    handle: str
    base: frozenset[Standing]


PERSONAS = (
    Persona(S.STRANGER, "zed", frozenset({S.STRANGER})),
    Persona(S.REGISTERED, "ivy", frozenset({S.REGISTERED})),
    Persona(S.OBSERVER, "hal", frozenset({S.OBSERVER})),
    Persona(S.MEMBER, "bo", frozenset({S.MEMBER})),
    Persona(S.CHAIR, "ada", frozenset({S.CHAIR})),
    Persona(S.EMERITUS, "gus", frozenset({S.EMERITUS})),
    Persona(S.ADMIN, "root", frozenset({S.REGISTERED, S.ADMIN})),
    Persona(S.AUTHOR, "cy", frozenset({S.MEMBER})),  # the author of the RFCs and concern 1
    Persona(S.ELECTOR, "di", frozenset({S.OBSERVER})),  # a member when the votes opened
)
ELECTORS = frozenset({"ada", "bo", "cy", "di"})
"""The personas in the frozen electorates (with the chair ed and the member fay)."""
AUTHOR = "cy"


def standings(
    persona: Persona, *, authored: bool, electoral: bool, front: FrontEnd | None = None
) -> frozenset[Standing]:
    """What the persona is for a case: the author of its subject, an elector of its vote.

    On a front end that registers people on first use, the stranger acts as registered.
    """
    have = set(persona.base)
    if front in authority.REGISTERS_ON_FIRST_USE and S.STRANGER in have:
        have = {S.REGISTERED}
    if authored and persona.handle == AUTHOR:
        have.add(S.AUTHOR)
    if electoral and persona.handle in ELECTORS:
        have.add(S.ELECTOR)
    return frozenset(have)


def expected(
    action: Action,
    persona: Persona,
    *,
    authored: bool = False,
    electoral: bool = False,
    front: FrontEnd | None = None,
) -> bool:
    """Whether the declaration lets the persona take the action in this case (on ``front``)."""
    have = standings(persona, authored=authored, electoral=electoral, front=front)
    return authority.allows(action, have)


def offered(front: FrontEnd) -> set[Action]:
    """The actions the declaration says this front end offers."""
    return {rule.action for rule in authority.RULES if front in rule.fronts}


def missing(front: FrontEnd, cases: Iterable[Action] | Mapping[Action, object]) -> set[Action]:
    """Actions the front end offers that have no case: a new action needs its row."""
    return offered(front) - set(cases)
