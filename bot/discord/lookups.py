"""Autocomplete: groups, RFCs, people, policies and elections matching what a member typed.

Discord gives an autocomplete 3 s and no way to defer, so these are single indexed reads that
never wait for the writer, and they answer with at most 25 choices.
"""

from __future__ import annotations

from typing import Any

from discord import app_commands
from sqlmodel import col, or_, select

from governance.errors import GovernanceError
from governance.model import Election, Group, Person, Rfc, RfcStatus, VoteState
from governance.refs import election_label, rfc_label
from governance.store import UnitOfWork

LIMIT = 25
NAME_MAX = 100


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=name[:NAME_MAX], value=value[:NAME_MAX])


def _like(current: str) -> str:
    return "%" + current.strip().lower().replace("%", "").replace("_", "") + "%"


def groups(uow: UnitOfWork, current: str) -> list[app_commands.Choice[str]]:
    """Groups whose slug or name contains what was typed."""
    pattern = _like(current)
    rows = uow.session.exec(
        select(Group.slug, Group.name)
        .where(or_(col(Group.slug).ilike(pattern), col(Group.name).ilike(pattern)))
        .order_by(Group.slug)
        .limit(LIMIT)
    ).all()
    return [_choice(f"{name} ({slug})", slug) for slug, name in rows]


def rfcs(
    uow: UnitOfWork, current: str, *, statuses: tuple[str, ...] = ()
) -> list[app_commands.Choice[str]]:
    """RFCs by number or title, newest first; ``statuses`` narrows to those that can act."""
    text = current.strip().lower().removeprefix("rfc-").lstrip("0")
    query = select(Rfc.number, Rfc.title, Rfc.status)
    if statuses:
        query = query.where(col(Rfc.status).in_(statuses))
    if text:
        pattern = _like(text)
        query = query.where(
            or_(col(Rfc.title).ilike(pattern), _number_text(text) == col(Rfc.number))
        )
    rows = uow.session.exec(query.order_by(col(Rfc.number).desc()).limit(LIMIT)).all()
    return [
        _choice(f"{rfc_label(number)}: {title} ({status})", rfc_label(number))
        for number, title, status in rows
    ]


def _number_text(text: str) -> Any:
    return int(text) if text.isdigit() else -1


LIVE_RFCS = (RfcStatus.DISCUSSION, RfcStatus.VOTING)


def people(uow: UnitOfWork, current: str) -> list[app_commands.Choice[str]]:
    """People by handle or name."""
    pattern = _like(current)
    rows = uow.session.exec(
        select(Person.handle, Person.name)
        .where(or_(col(Person.handle).ilike(pattern), col(Person.name).ilike(pattern)))
        .order_by(Person.handle)
        .limit(LIMIT)
    ).all()
    return [_choice(f"{handle} ({name})", handle) for handle, name in rows]


def policies(uow: UnitOfWork, rfc: str, current: str) -> list[app_commands.Choice[str]]:
    """The policy names an RFC's group can vote under."""
    from governance.services import common

    names: set[str] = {"default"}
    try:
        group = uow.session.get(Group, common.rfc(uow, rfc).group_id)
    except GovernanceError:  # no such RFC typed yet: the foundation's names
        group = None
    found = common.foundation(uow)
    if found is not None:
        names |= set(found.policies)
    if group is not None:
        names |= set(group.charter.get("policies") or {})
    typed = current.strip().lower()
    return [_choice(n, n) for n in sorted(names) if typed in n.lower()][:LIMIT]


def elections(uow: UnitOfWork, current: str) -> list[app_commands.Choice[str]]:
    """Open elections first, by number or title."""
    text = current.strip().lower().removeprefix("e-").lstrip("0")
    query = select(Election.number, Election.title, Election.state)
    if text:
        query = query.where(
            or_(col(Election.title).ilike(_like(text)), _number_text(text) == col(Election.number))
        )
    rows = uow.session.exec(
        query.order_by(col(Election.state) != VoteState.OPEN, col(Election.number).desc()).limit(
            LIMIT
        )
    ).all()
    return [
        _choice(f"{election_label(number)}: {title} ({state})", election_label(number))
        for number, title, state in rows
    ]
