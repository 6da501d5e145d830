"""What every service needs: looking things up, checking roles, and validating text."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from governance.errors import InvalidInput, NotFound, PermissionDenied
from governance.model import (
    VOTING_ROLES,
    Election,
    Foundation,
    Group,
    Membership,
    Person,
    Rfc,
    Role,
)
from governance.refs import election_label, parse_election_ref, parse_rfc_ref, rfc_label
from governance.store import UnitOfWork

__all__ = ["election_label", "parse_election_ref", "parse_rfc_ref", "rfc_label"]

SYSTEM = "govbot"
"""The actor of automatic changes (deadlines, early closes, charter syncs)."""

HANDLE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
HANDLE_MAX = 40
SNOWFLAKE = re.compile(r"[0-9]{17,20}")
"""A Discord id (user, server, channel, thread): 17 to 20 ASCII digits, matched in full."""
TITLE_MAX = 200
BODY_MAX = 100_000
TEXT_MAX = 4_000


def clean_text(value: str, what: str, *, limit: int, multiline: bool) -> str:
    """Strip, then refuse empty, over-long or control-character text with a clear sentence."""
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(f"The {what} is empty; write at least one visible character.")
    if len(text) > limit:
        raise InvalidInput(
            f"The {what} is {len(text):,} characters long; the limit is {limit:,}. Shorten it."
        )
    allowed = {"\n", "\t"} if multiline else set()
    for index, char in enumerate(text):
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc":
            where = "a line break" if char in "\n\r" else f"control character U+{ord(char):04X}"
            raise InvalidInput(
                f"The {what} contains {where} at position {index + 1}; "
                + (
                    "write it on one line."
                    if char in "\n\r"
                    else "remove it (only ordinary text is accepted)."
                )
            )
    return text


def check_handle(handle: str) -> str:
    """A handle is lowercase letters, digits and inner dashes, at most 40 characters."""
    value = handle.strip()
    if not HANDLE.match(value):
        raise InvalidInput(
            f"'{value[:60]}' is not a valid handle; use lowercase letters, digits and dashes "
            "(at most 40 characters, not starting or ending with a dash), e.g. 'ada' or 'bo-chen'."
        )
    return value


def foundation(uow: UnitOfWork) -> Foundation | None:
    """The synced foundation settings, if any charters were synced yet."""
    return uow.session.exec(select(Foundation)).first()


def person(uow: UnitOfWork, handle: str) -> Person:
    """The registered person with this handle, or a NotFound saying how to register them."""
    found = uow.session.exec(select(Person).where(Person.handle == handle)).first()
    if found is None:
        raise NotFound(
            f"No person with handle '{handle[:60]}' is registered; add them to "
            "charters/people.yaml or ask a foundation admin to run `people add`."
        )
    return found


def person_by_discord(uow: UnitOfWork, discord_id: str) -> Person | None:
    """The person a Discord user is linked to, if any: how the Discord front end knows people."""
    return uow.session.exec(select(Person).where(Person.discord_id == discord_id)).first()


def person_by_id(uow: UnitOfWork, person_id: int) -> Person:
    """A person by row id (ids come from other rows, so the person exists)."""
    found = uow.session.get(Person, person_id)
    assert found is not None, person_id
    return found


def group(uow: UnitOfWork, slug: str) -> Group:
    """The group with this slug, or a NotFound listing the known ones."""
    found = uow.session.exec(select(Group).where(Group.slug == slug)).first()
    if found is None:
        known = ", ".join(uow.session.exec(select(Group.slug).order_by(Group.slug)).all())
        raise NotFound(f"There is no group '{slug[:60]}'; known groups: {known or 'none yet'}.")
    return found


def rfc(uow: UnitOfWork, ref: str) -> Rfc:
    """The RFC named by ``ref``, or a NotFound."""
    number = parse_rfc_ref(ref)
    found = uow.session.exec(select(Rfc).where(Rfc.number == number)).first()
    if found is None:
        raise NotFound(
            f"There is no {rfc_label(number)}; list the RFCs with `rfc list` to find its number."
        )
    return found


def election(uow: UnitOfWork, ref: str) -> Election:
    """The election named by ``ref``, or a NotFound."""
    number = parse_election_ref(ref)
    found = uow.session.exec(select(Election).where(Election.number == number)).first()
    if found is None:
        raise NotFound(f"There is no election {election_label(number)}.")
    return found


def is_admin(uow: UnitOfWork, handle: str) -> bool:
    """Foundation admins may do anything a chair may, in every group."""
    settings = foundation(uow)
    return settings is not None and handle in settings.admins


def current_membership(uow: UnitOfWork, group_id: int, person_id: int) -> Membership | None:
    """The membership that lasts now, if any."""
    return uow.session.exec(
        select(Membership).where(
            Membership.group_id == group_id,
            Membership.person_id == person_id,
            col(Membership.until).is_(None),
        )
    ).first()


def role_of(uow: UnitOfWork, group_: Group, who: Person) -> Role | None:
    """The person's current role in the group, or None."""
    assert group_.id is not None and who.id is not None
    membership = current_membership(uow, group_.id, who.id)
    return None if membership is None else Role(membership.role)


def require_chair(uow: UnitOfWork, group_: Group, who: Person, doing: str) -> None:
    """Chairs of the group and foundation admins pass; everyone else gets a PermissionDenied."""
    if role_of(uow, group_, who) == Role.CHAIR or is_admin(uow, who.handle):
        return
    raise PermissionDenied(
        f"Only a chair of {group_.slug} or a foundation admin may {doing}; "
        f"{who.handle} is not one. Ask a chair of {group_.slug}."
    )


def roster(uow: UnitOfWork, group_id: int) -> list[tuple[Person, Membership]]:
    """Current members with their memberships, by handle."""
    rows = uow.session.exec(
        select(Person, Membership)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(Membership.group_id == group_id, col(Membership.until).is_(None))
        .order_by(Person.handle)
    ).all()
    return [(p, m) for p, m in rows]


def electorate(uow: UnitOfWork, group_: Group, voters: str) -> list[str]:
    """Handles with a voting role now (``voters: chairs`` narrows it to chairs), sorted."""
    assert group_.id is not None
    roles = (Role.CHAIR,) if voters == "chairs" else VOTING_ROLES
    return [p.handle for p, m in roster(uow, group_.id) if m.role in roles]


def next_number(uow: UnitOfWork, column: Any) -> int:
    """The next sequential number for RFCs or elections."""
    from sqlalchemy import func

    current: int | None = uow.session.exec(select(func.max(column))).one()
    return (current or 0) + 1


def after(now: datetime, moment: datetime | None) -> bool:
    """Whether ``moment`` is set and not later than ``now``."""
    return moment is not None and moment <= now
