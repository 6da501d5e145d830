"""Account linking: a person proves that an outside account (a GitHub login) is theirs.

People whose accounts are in ``people.yaml`` are linked from the start, since that registry is
the foundation's own reviewed file. Everyone else starts linking (from the console, later from
Discord) and receives a one-time code; posting the code from the account, for GitHub a comment
``/govbot verify CODE`` on an issue of a watched repository, proves the account. A code expires
and can be used once. Only the code's hash is stored, and the public ledger never sees the code.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from governance import authority
from governance.authority import Action
from governance.clock import iso
from governance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from governance.model import LinkCode, Person
from governance.services.groups import GITHUB_LOGIN
from governance.store import UnitOfWork

ACCOUNTS = ("github",)
CODE_LIFETIME = timedelta(hours=1)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 10  # 50 bits: guessing one in an hour would take ~10^15 comments
LIVE_CODES_MAX = 5


@dataclass(frozen=True)
class StartLink:
    """Ask for a one-time code to link this account (a GitHub login) to the acting person."""

    login: str
    account: str = "github"


@dataclass(frozen=True)
class LinkStarted:
    """The code (shown once) and how to use it."""

    handle: str
    account: str
    login: str
    code: str
    expires_at: str | None
    instructions: str


@dataclass(frozen=True)
class VerifyLink:
    """An account presents a code: ``login`` is who GitHub says posted it."""

    account: str
    login: str
    code: str


@dataclass(frozen=True)
class Linked:
    """The person the account now belongs to."""

    handle: str
    account: str
    login: str
    previous: str | None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(text: str) -> str:
    """Codes are read case-insensitively, with spaces and dashes ignored."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _check_account(account: str) -> str:
    if account not in ACCOUNTS:
        raise InvalidInput(
            f"'{account[:40]}' is not an account govbot links; it links: {', '.join(ACCOUNTS)}."
        )
    return account


def _check_login(value: str) -> str:
    login = value.strip().removeprefix("@")
    if not GITHUB_LOGIN.match(login) or len(login) > 39:
        raise InvalidInput(
            f"'{login[:60]}' is not a GitHub login; a login is letters, digits and single "
            "dashes between them, at most 39 characters."
        )
    return login


def start_link(uow: UnitOfWork, actor: str, now: datetime, command: StartLink) -> LinkStarted:
    """A registered person asks for a code; earlier unused codes stay valid until they expire."""
    uow.check_time(now)
    account = _check_account(command.account)
    login = _check_login(command.login)
    who = authority.require(uow, Action.START_LINK, actor)
    assert who.id is not None
    if who.github is not None and who.github.lower() == login.lower():
        raise Conflict(f"{who.handle} is already linked to the GitHub account {who.github}.")
    taken = person_by_login(uow, login)
    if taken is not None:
        raise Conflict(
            f"The GitHub account {login} is already linked to {taken.handle}; an admin must "
            "unlink it there first."
        )
    live = uow.session.exec(
        select(func.count())
        .select_from(LinkCode)
        .where(
            LinkCode.person_id == who.id,
            col(LinkCode.used_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
    ).one()
    if live >= LIVE_CODES_MAX:
        raise Conflict(
            f"{who.handle} already has {live} unused codes; use one of them, or wait until they "
            f"expire ({int(CODE_LIFETIME.total_seconds() // 60)} minutes after they were made)."
        )
    code = _new_code()
    expires = now + CODE_LIFETIME
    uow.session.add(
        LinkCode(
            person_id=who.id,
            account=account,
            login=login,
            code_hash=_digest(normalise_code(code)),
            created_at=now,
            expires_at=expires,
        )
    )
    uow.record(now, actor, "person.link-started", who.handle, {"account": account, "login": login})
    uow.commit()
    return LinkStarted(
        who.handle,
        account,
        login,
        code,
        iso(expires),
        f"Comment `/govbot verify {code}` on any issue of the foundation's GitHub repository, "
        f"signed in as {login}, before {iso(expires)}. The code works once, and only for {login}.",
    )


def verify_link(uow: UnitOfWork, actor: str, now: datetime, command: VerifyLink) -> Linked:
    """The account that posted a valid code becomes the code owner's; ``actor`` is ignored.

    The person acting is the code's owner: the code, not the caller, says who they are.
    """
    uow.check_time(now)
    account = _check_account(command.account)
    login = _check_login(command.login)
    code = normalise_code(command.code)
    if not code:
        raise InvalidInput("No code given; write `/govbot verify CODE` with the code you got.")
    row = uow.session.exec(
        select(LinkCode).where(LinkCode.code_hash == _digest(code), LinkCode.account == account)
    ).first()
    if row is None:
        raise NotFound(
            "That code is not one govbot gave out; check it, or ask for a new one "
            "(`govbot link github --as HANDLE`)."
        )
    if row.used_at is not None:
        raise Conflict("That code has been used already; ask for a new one.")
    if row.login.lower() != login.lower():
        raise PermissionDenied(
            f"That code was made for the GitHub account {row.login}, not {login}; only "
            f"{row.login} can use it."
        )
    if row.expires_at <= now:
        raise PermissionDenied(
            f"That code expired at {iso(row.expires_at)}; ask for a new one and use it within "
            f"{int(CODE_LIFETIME.total_seconds() // 60)} minutes."
        )
    who = uow.session.get(Person, row.person_id)
    assert who is not None
    other = uow.session.exec(
        select(Person).where(func.lower(col(Person.github)) == login.lower(), Person.id != who.id)
    ).first()
    if other is not None:
        raise Conflict(
            f"The GitHub account {login} is already linked to {other.handle}; an admin must "
            "unlink it there first."
        )
    previous = who.github
    who.github = login
    row.used_at = now
    uow.session.add(who)
    uow.session.add(row)
    uow.record(
        now,
        who.handle,
        "person.linked",
        who.handle,
        {"github": login, "previous": previous, "proved_by": "code"},
    )
    uow.commit()
    return Linked(who.handle, account, login, previous)


def person_by_login(uow: UnitOfWork, login: str) -> Person | None:
    """The person a GitHub login is linked to (logins compare case-insensitively)."""
    return uow.session.exec(
        select(Person).where(func.lower(col(Person.github)) == login.lower())
    ).first()
