"""Who may do what: one declaration of every action and the standings that may take it.

The services check every permission here, through ``require``, so a refusal always names its
rule and says what to do; the README's table is generated from the same declaration
(``python -m governance.authority --readme`` rewrites it), and the tests take every action
against every standing on every front end that offers it.

A person's *standing* towards an action is their place in the group concerned (a registered
person outside it, an observer, a member, a chair or an emeritus), plus ``admin`` for foundation
admins, ``author`` for the author of the RFC or concern, and ``elector`` for someone in the
frozen electorate of the vote or election at hand. Someone the registry does not know is a
``stranger`` (on Discord nobody is: see ``REGISTERS_ON_FIRST_USE``). A rule allows a person
when any of their standings is among the rule's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlmodel import select

from governance.errors import Conflict, GovernanceError, NotEligible, NotFound, PermissionDenied
from governance.model import Group, Person, Role
from governance.services import common
from governance.store import UnitOfWork


class Standing(StrEnum):
    """Who someone is, as far as one action is concerned."""

    STRANGER = "stranger"
    REGISTERED = "registered"
    OBSERVER = "observer"
    MEMBER = "member"
    CHAIR = "chair"
    EMERITUS = "emeritus"
    ADMIN = "admin"
    AUTHOR = "author"
    ELECTOR = "elector"


STANDING_MEANING: dict[Standing, str] = {
    Standing.STRANGER: "someone the registry does not know",
    Standing.REGISTERED: "a registered person outside the group",
    Standing.OBSERVER: "an observer of the group",
    Standing.MEMBER: "a member of the group",
    Standing.CHAIR: "a chair of the group",
    Standing.EMERITUS: "an emeritus of the group",
    Standing.ADMIN: "a foundation admin (`admins` in foundation.yaml), who also has their own "
    "place in the group",
    Standing.AUTHOR: "the author of the RFC or concern at hand",
    Standing.ELECTOR: "in the frozen electorate of the vote or election at hand",
}

REGISTERED = frozenset(
    {
        Standing.REGISTERED,
        Standing.OBSERVER,
        Standing.MEMBER,
        Standing.CHAIR,
        Standing.EMERITUS,
        Standing.ADMIN,
    }
)
"""Everyone the registry knows, whatever their place in the group."""
IN_GROUP = frozenset({Standing.OBSERVER, Standing.MEMBER, Standing.CHAIR, Standing.EMERITUS})
CHAIRS = frozenset({Standing.CHAIR, Standing.ADMIN})


class FrontEnd(StrEnum):
    """Where people act."""

    CONSOLE = "console"
    DISCORD = "discord"
    GITHUB = "github"


class Action(StrEnum):
    """Every action a person may be refused; the value is the rule's name in refusals."""

    REGISTER_PERSON = "register-person"
    LINK_ACCOUNTS = "link-accounts"
    START_LINK = "start-link"
    JOIN = "join"
    LEAVE = "leave"
    REMOVE_MEMBER = "remove-member"
    APPROVE_JOIN = "approve-join"
    SET_ROLE = "set-role"
    PROPOSE_RFC = "propose-rfc"
    LINK_THREAD = "link-thread"
    WITHDRAW_RFC = "withdraw-rfc"
    REPROPOSE_RFC = "repropose-rfc"
    RAISE_CONCERN = "raise-concern"
    RESOLVE_CONCERN = "resolve-concern"
    OVERRIDE_CONCERN = "override-concern"
    OPEN_VOTE = "open-vote"
    CANCEL_VOTE = "cancel-vote"
    CAST_BALLOT = "cast-ballot"
    BINDING_BALLOT = "binding-ballot"
    OPEN_ELECTION = "open-election"
    CANCEL_ELECTION = "cancel-election"
    RANK = "rank"


@dataclass(frozen=True)
class Rule:
    """Who may take one action, and what a refusal says.

    ``refusal`` is the sentence a refused person reads, formatted with ``who`` (their handle),
    ``group`` (the group's slug), ``subject`` (the RFC, concern or person at hand) and
    ``standing`` (what they are, in words); ``hint`` says what to do instead. ``error`` is the
    class of the refusal: most are ``PermissionDenied``; a rule about state (already a member,
    nothing to leave) or about the electorate keeps the class callers already tell apart.
    """

    action: Action
    summary: str
    allowed: frozenset[Standing]
    refusal: str
    hint: str
    fronts: tuple[FrontEnd, ...]
    error: type[GovernanceError] = PermissionDenied
    counted: str = ""
    """For a ballot or ranking: what it counts for (taken by anyone registered)."""

    @property
    def name(self) -> str:
        """The rule's name, as refusals cite it."""
        return self.action.value


C, D, G = FrontEnd.CONSOLE, FrontEnd.DISCORD, FrontEnd.GITHUB
S = Standing

REGISTERS_ON_FIRST_USE: frozenset[FrontEnd] = frozenset({FrontEnd.DISCORD})
"""Front ends where nobody acts as a stranger: a member of the foundation's Discord server
the registry does not know is registered on their first action there (``register_member``)
and is then judged as a registered person. Elsewhere a stranger is refused."""

RULES: tuple[Rule, ...] = (
    Rule(
        Action.REGISTER_PERSON,
        "register a person (`people add`)",
        frozenset({S.ADMIN}),
        "Only a foundation admin may register people; {who} is not one",
        "Ask an admin, or add the person to charters/people.yaml.",
        (C,),
    ),
    Rule(
        Action.LINK_ACCOUNTS,
        "set a GitHub login or Discord id by console (`people link`, `people add --github`)",
        frozenset({S.ADMIN}),
        "Only a foundation admin may set a GitHub login or Discord id by console; {who} is not one",
        "To prove your own GitHub account, run `govbot link github LOGIN --as {who}` (or "
        "`/link github` on Discord) and comment the code it gives on GitHub; your Discord "
        "account is linked when you first use govbot on the foundation's server.",
        (C,),
    ),
    Rule(
        Action.START_LINK,
        "start linking your own GitHub account (`link github`, `/link github`)",
        REGISTERED,
        "Only registered people may link accounts; {who} is not registered",
        "Ask a foundation admin to register you, or use govbot once on the foundation's "
        "Discord server.",
        (C, D),
    ),
    Rule(
        Action.JOIN,
        "join a group, or ask to (approval groups: pending until a chair approves)",
        frozenset({S.REGISTERED, S.OBSERVER, S.EMERITUS}),
        "{who} is already a {standing} of {group}; nothing to do",
        "A chair changes roles with `wg role`.",
        (C, D),
        error=Conflict,
    ),
    Rule(
        Action.LEAVE,
        "leave a group you are in, or withdraw your request to join",
        IN_GROUP,
        "{who} is not in {group}; nothing to leave",
        "Only people in a group, or who asked to join it, can leave it.",
        (C, D),
        error=NotFound,
    ),
    Rule(
        Action.REMOVE_MEMBER,
        "remove someone else from a group; the last chair cannot go",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may remove {subject}; {who} is not one",
        "Ask a chair of {group}.",
        (C, D),
    ),
    Rule(
        Action.APPROVE_JOIN,
        "approve a request to join",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may approve members; {who} is not one",
        "Ask a chair of {group}.",
        (C, D),
    ),
    Rule(
        Action.SET_ROLE,
        "set someone's role (chair, member, observer, emeritus)",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may change roles; {who} is not one",
        "Ask a chair of {group}.",
        (C, D),
    ),
    Rule(
        Action.PROPOSE_RFC,
        "propose an RFC (GitHub: the labels `rfc` and `wg/<slug>` on an issue)",
        frozenset({S.MEMBER, S.CHAIR, S.ADMIN}),
        "Only members and chairs of {group} may propose RFCs there; {who} is {standing}",
        "Join it first with `wg join`.",
        (C, D, G),
    ),
    Rule(
        Action.LINK_THREAD,
        "link an RFC to its Discord thread (govbot links the thread it opens)",
        frozenset({S.AUTHOR, S.CHAIR, S.ADMIN}),
        "Only the author of {subject}, a chair of {group} or a foundation admin may link it to "
        "a Discord thread; {who} is none of them",
        "Ask its author or a chair of {group}.",
        (),
    ),
    Rule(
        Action.WITHDRAW_RFC,
        "withdraw an RFC in discussion",
        frozenset({S.AUTHOR, S.ADMIN}),
        "Only the author of {subject} may withdraw it; {who} is not",
        "Ask its author, or a foundation admin.",
        (C, D),
    ),
    Rule(
        Action.REPROPOSE_RFC,
        "re-propose a rejected RFC, changed",
        frozenset({S.AUTHOR, S.ADMIN}),
        "Only the author of {subject} may re-propose it; {who} is not",
        "Ask its author, or propose a new RFC.",
        (C,),
    ),
    Rule(
        Action.RAISE_CONCERN,
        "raise a blocking concern (pauses an open vote)",
        frozenset({S.MEMBER, S.CHAIR, S.ELECTOR}),
        "Only people with a vote in {group} may raise blocking concerns; {who} has none",
        "Comment in the discussion instead.",
        (C, D, G),
        error=NotEligible,
    ),
    Rule(
        Action.RESOLVE_CONCERN,
        "resolve your own concern",
        frozenset({S.AUTHOR}),
        "Only the author of concern {subject} may resolve it, or a chair of {group} may "
        "override it with a reason; {who} is neither",
        "Ask its author, or a chair of {group}.",
        (C, D, G),
    ),
    Rule(
        Action.OVERRIDE_CONCERN,
        "override someone else's concern, with a reason",
        CHAIRS,
        "Only the author of concern {subject} may resolve it, or a chair of {group} may "
        "override it with a reason; {who} is neither",
        "Ask its author, or a chair of {group}.",
        (C, D, G),
    ),
    Rule(
        Action.OPEN_VOTE,
        "open the vote on an RFC (GitHub: the label `vote/open`)",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may open votes; {who} is not one",
        "Ask a chair of {group}.",
        (C, D, G),
    ),
    Rule(
        Action.CANCEL_VOTE,
        "cancel a vote, with a reason",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may cancel votes; {who} is not one",
        "Ask a chair of {group}.",
        (C,),
    ),
    Rule(
        Action.CAST_BALLOT,
        "cast or change a ballot",
        REGISTERED,
        "Only registered people may vote; {who} is not registered",
        "Ask a foundation admin to register you.",
        (C, D, G),
        counted="recorded for anyone registered; counted only for the vote's electors",
    ),
    Rule(
        Action.BINDING_BALLOT,
        "a ballot or ranking that counts",
        frozenset({S.ELECTOR}),
        "{who} is not an elector of this vote; the ballot is recorded as non-binding",
        "Electors are the voting members when the vote opened.",
        (),
    ),
    Rule(
        Action.OPEN_ELECTION,
        "open an election",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may open elections; {who} is not one",
        "Ask a chair of {group}.",
        (C, D),
    ),
    Rule(
        Action.CANCEL_ELECTION,
        "cancel an election, with a reason",
        CHAIRS,
        "Only a chair of {group} or a foundation admin may cancel elections; {who} is not one",
        "Ask a chair of {group}.",
        (C,),
    ),
    Rule(
        Action.RANK,
        "rank the candidates of an election",
        REGISTERED,
        "Only registered people may rank candidates; {who} is not registered",
        "Ask a foundation admin to register you.",
        (C, D),
        counted="recorded for anyone registered; counted only for the election's electors",
    ),
)

BY_ACTION: dict[Action, Rule] = {rule.action: rule for rule in RULES}
assert set(BY_ACTION) == set(Action), "every action has exactly one rule"


def rule(action: Action) -> Rule:
    """The rule of an action."""
    return BY_ACTION[action]


def standings(
    uow: UnitOfWork,
    who: Person | None,
    *,
    group: Group | None = None,
    author_id: int | None = None,
    electorate: Collection[str] | None = None,
) -> frozenset[Standing]:
    """Everything ``who`` is, as far as the action at hand is concerned."""
    if who is None:
        return frozenset({Standing.STRANGER})
    found: set[Standing] = set()
    role = None if group is None else common.role_of(uow, group, who)
    found.add(Standing.REGISTERED if role is None else Standing(Role(role).value))
    if common.is_admin(uow, who.handle):
        found.add(Standing.ADMIN)
    if author_id is not None and who.id == author_id:
        found.add(Standing.AUTHOR)
    if electorate is not None and who.handle in electorate:
        found.add(Standing.ELECTOR)
    return frozenset(found)


def allows(action: Action, have: Iterable[Standing]) -> bool:
    """Whether someone with these standings may take the action."""
    return not BY_ACTION[action].allowed.isdisjoint(have)


def _in_words(have: frozenset[Standing], group: Group | None) -> str:
    for standing in (S.CHAIR, S.MEMBER, S.OBSERVER, S.EMERITUS):
        if standing in have:
            return f"a {standing.value}"
    return "not in the group" if group is not None else "registered"


def refusal(
    action: Action,
    who: str,
    have: frozenset[Standing],
    *,
    group: Group | None = None,
    subject: str = "",
) -> GovernanceError:
    """The error refusing ``action`` to ``who``: the rule's sentence, what to do, its name."""
    spec = BY_ACTION[action]
    fields = {
        "who": who,
        "group": "" if group is None else group.slug,
        "subject": subject,
        "standing": _in_words(have, group),
    }
    if Standing.STRANGER in have:
        return NotFound(
            f"No person with handle '{who[:60]}' is registered; add them to charters/people.yaml "
            f"or ask a foundation admin to run `people add`. (rule {spec.name}: "
            f"{spec.summary}: {_who_may(spec)})"
        )
    if action is Action.JOIN:
        fields["standing"] = _in_words(have, group).removeprefix("a ")
    text = spec.refusal.format(**fields)
    hint = spec.hint.format(**fields)
    return spec.error(f"{text}. {hint} (rule {spec.name})")


def registered(uow: UnitOfWork, action: Action, actor: str) -> Person:
    """The acting person, or the stranger's refusal of ``action``: for checks made later."""
    who = uow.session.exec(select(Person).where(Person.handle == actor)).first()
    if who is None:
        raise refusal(action, actor, frozenset({Standing.STRANGER}))
    return who


def require(
    uow: UnitOfWork,
    action: Action,
    actor: str,
    *,
    group: Group | None = None,
    author_id: int | None = None,
    electorate: Collection[str] | None = None,
    subject: str = "",
) -> Person:
    """The acting person, if the action's rule allows them; otherwise its refusal, raised.

    Call it before changing anything, so a refusal leaves the record as it was.
    """
    who = uow.session.exec(select(Person).where(Person.handle == actor)).first()
    have = standings(uow, who, group=group, author_id=author_id, electorate=electorate)
    if not allows(action, have):
        raise refusal(action, actor, have, group=group, subject=subject)
    assert who is not None
    return who


# --- the table -------------------------------------------------------------------------------

COLUMNS = (
    S.STRANGER,
    S.REGISTERED,
    S.OBSERVER,
    S.MEMBER,
    S.CHAIR,
    S.EMERITUS,
    S.ADMIN,
    S.AUTHOR,
    S.ELECTOR,
)
FRONT_NAMES = {C: "console", D: "Discord", G: "GitHub"}


def _who_may(spec: Rule) -> str:
    names = [s.value for s in COLUMNS if s in spec.allowed]
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def markdown_table() -> str:
    """The README's who-may-do-what table, generated from ``RULES``."""
    head = ["rule", "action", *[s.value for s in COLUMNS], "where"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for spec in RULES:
        marks = ["yes" if s in spec.allowed else "" for s in COLUMNS]
        where = ", ".join(FRONT_NAMES[f] for f in spec.fronts) or "govbot itself"
        if spec.action is Action.BINDING_BALLOT:
            where = "counting"
        action = spec.summary + (f"; {spec.counted}" if spec.counted else "")
        lines.append("| " + " | ".join([f"`{spec.name}`", action, *marks, where]) + " |")
    legend = "; ".join(f"**{s.value}**: {STANDING_MEANING[s]}" for s in COLUMNS)
    return "\n".join(lines) + "\n\n" + legend + ".\n"


BEGIN = "<!-- BEGIN AUTHORITY -->"
END = "<!-- END AUTHORITY -->"
REGENERATE = "python -m governance.authority --readme"


def with_table(readme: str) -> str:
    """The README with the text between the markers replaced by the generated table."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {BEGIN} ... {END} pair to fill")
    return readme[: start + len(BEGIN)] + "\n" + markdown_table() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    """Print the table, or (``--readme``) rewrite it in the README in place."""
    parser = argparse.ArgumentParser(prog="python -m governance.authority", description=__doc__)
    parser.add_argument(
        "--readme",
        nargs="?",
        const=str(Path(__file__).resolve().parents[1] / "README.md"),
        metavar="PATH",
        help="rewrite the table between the AUTHORITY markers of this README (default: ours)",
    )
    args = parser.parse_args(argv)
    if args.readme is None:
        sys.stdout.write(markdown_table())
        return 0
    path = Path(args.readme)
    path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
