"""People, groups and memberships: the registry, charter syncs, joins, approvals, leaves, roles."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select

from governance import authority, ledger
from governance.authority import Action, Standing
from governance.clock import iso
from governance.errors import Conflict, InvalidInput, NotFound
from governance.model import (
    VOTING_ROLES,
    CharterRevision,
    Foundation,
    Group,
    JoinRequest,
    JoinState,
    LedgerEntry,
    Membership,
    Person,
    Role,
)
from governance.services import common
from governance.store import UnitOfWork

if TYPE_CHECKING:
    from governance.charters import Charters

ROLES = tuple(r.value for r in Role)
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
"""GitHub's rule for logins (as ``charters.GITHUB_LOGIN_PATTERN``): no ``%`` or ``_`` to match
as LIKE wildcards when looking for a clash."""
RESERVED_HANDLES = frozenset({common.SYSTEM})
"""Handles nobody may register: ``govbot`` is the actor of automatic changes in the ledger."""


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddPerson:
    """Register someone new."""

    handle: str
    name: str
    github: str | None = None
    discord_id: str | None = None


@dataclass(frozen=True)
class LinkPerson:
    """Attach a GitHub login or a Discord id to a registered person."""

    handle: str
    github: str | None = None
    discord_id: str | None = None


@dataclass(frozen=True)
class PersonView:
    """A person as front ends show them."""

    handle: str
    name: str
    github: str | None
    discord_id: str | None

    @classmethod
    def of(cls, who: Person) -> PersonView:
        """Build from the table row."""
        return cls(who.handle, who.name, who.github, who.discord_id)


def _check_discord_id(discord_id: str) -> None:
    if not common.SNOWFLAKE.fullmatch(discord_id):
        raise InvalidInput(
            f"'{discord_id[:40]}' is not a Discord user id; it is a number of 17 to 20 digits "
            "(Developer Mode, right-click the user, Copy User ID)."
        )


def _check_accounts(
    uow: UnitOfWork, github: str | None, discord_id: str | None, me: int | None
) -> None:
    if github is not None:
        if not GITHUB_LOGIN.match(github) or len(github) > 39:
            raise InvalidInput(
                f"'{github[:60]}' is not a GitHub login; a login is letters, digits and single "
                "dashes between them, at most 39 characters, like 'ada-lindqvist'."
            )
        other = uow.session.exec(
            select(Person).where(col(Person.github).ilike(github), col(Person.id) != me)
        ).first()
        if other is not None:
            raise Conflict(
                f"The GitHub login '{github}' is already linked to {other.handle}; "
                "unlink it there first."
            )
    if discord_id is not None:
        _check_discord_id(discord_id)
        other = uow.session.exec(
            select(Person).where(Person.discord_id == discord_id, col(Person.id) != me)
        ).first()
        if other is not None:
            raise Conflict(f"That Discord id is already linked to {other.handle}.")


def add_person(uow: UnitOfWork, actor: str, now: datetime, command: AddPerson) -> PersonView:
    """Foundation admins register people (the charters' people.yaml registers the founders)."""
    uow.check_time(now)
    authority.require(uow, Action.REGISTER_PERSON, actor)
    if command.github is not None or command.discord_id is not None:
        authority.require(uow, Action.LINK_ACCOUNTS, actor)
    handle = common.check_handle(command.handle)
    name = common.clean_text(command.name, "name", limit=100, multiline=False)
    if uow.session.exec(select(Person).where(Person.handle == handle)).first() is not None:
        raise Conflict(f"The handle '{handle}' is already registered; choose another.")
    _check_accounts(uow, command.github, command.discord_id, None)
    who = Person(
        handle=handle,
        name=name,
        github=command.github,
        discord_id=command.discord_id,
        created_at=now,
    )
    uow.session.add(who)
    uow.record(
        now,
        actor,
        "person.added",
        handle,
        {"name": name, "github": command.github, "discord_id": command.discord_id},
    )
    uow.commit()
    return PersonView.of(who)


def link_person(uow: UnitOfWork, actor: str, now: datetime, command: LinkPerson) -> PersonView:
    """Admins set accounts by hand; everyone else proves theirs (``govbot link``, Discord)."""
    uow.check_time(now)
    who = common.person(uow, command.handle)
    authority.require(uow, Action.LINK_ACCOUNTS, actor)
    if command.github is None and command.discord_id is None:
        raise InvalidInput("Nothing to link: give a GitHub login, a Discord id, or both.")
    _check_accounts(uow, command.github, command.discord_id, who.id)
    if command.github is not None:
        who.github = command.github
    if command.discord_id is not None:
        who.discord_id = command.discord_id
    uow.session.add(who)
    uow.record(
        now,
        actor,
        "person.linked",
        who.handle,
        {"github": command.github, "discord_id": command.discord_id},
    )
    uow.commit()
    return PersonView.of(who)


@dataclass(frozen=True)
class RegisterMember:
    """A Discord member the registry does not know yet, as Discord describes them."""

    discord_id: str
    username: str
    name: str


def register_member(uow: UnitOfWork, now: datetime, command: RegisterMember) -> PersonView:
    """Register a Discord member on first use, so anyone can take part without an admin.

    The handle comes from the Discord username (see ``member_handle``), made unique with ``-2``,
    ``-3``...; the Discord id is recorded, so the same member is found again next time. Someone
    already linked to that Discord id is returned unchanged, with no ledger entry and no commit:
    asking twice is harmless. The new person is the actor of their own registration.
    """
    _check_discord_id(command.discord_id)
    known = common.person_by_discord(uow, command.discord_id)
    if known is not None:
        return PersonView.of(known)
    uow.check_time(now)
    handle = _free_handle(uow, member_handle(command.username))
    name = _member_name(command, handle)
    who = Person(handle=handle, name=name, discord_id=command.discord_id, created_at=now)
    uow.session.add(who)
    uow.record(
        now,
        handle,
        "person.registered",
        handle,
        {"handle": handle, "name": name, "discord_id": command.discord_id, "via": "discord"},
    )
    uow.commit()
    return PersonView.of(who)


def member_handle(username: str) -> str:
    """The handle a username asks for: ``Ada.Lovelace`` -> ``ada-lovelace``, ``Zoë`` -> ``zoe``.

    Accents are dropped, every run of characters a handle cannot hold becomes one dash, dashes
    at the ends go, and the result is cut to the handle length limit; nothing left: ``member``.
    """
    folded = unicodedata.normalize("NFKD", username)
    text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[: common.HANDLE_MAX].rstrip("-") or "member"


def _free_handle(uow: UnitOfWork, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... (cut to fit): the first nobody has."""
    stem = base[:20]  # every candidate starts with it: suffixes take at most 10 characters
    taken = set(uow.session.exec(select(Person.handle).where(col(Person.handle).like(f"{stem}%"))))
    taken |= RESERVED_HANDLES
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: common.HANDLE_MAX - len(suffix)].rstrip("-") + suffix
    return common.check_handle(candidate)


def _member_name(command: RegisterMember, handle: str) -> str:
    """The display name, else the username, else the handle: registration never fails on it."""
    for text in (command.name, command.username):
        try:
            return common.clean_text(text, "name", limit=100, multiline=False)
        except InvalidInput:
            continue
    return handle


def list_people(uow: UnitOfWork) -> list[PersonView]:
    """Everyone registered, by handle."""
    return [PersonView.of(p) for p in uow.session.exec(select(Person).order_by(Person.handle))]


# --- charters --------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What a charter sync changed."""

    digest: str
    changed: bool = False
    people_added: list[str] = field(default_factory=list)
    people_updated: list[str] = field(default_factory=list)
    groups_founded: list[str] = field(default_factory=list)
    groups_revised: list[str] = field(default_factory=list)
    roster_changes: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    people_withheld: list[str] = field(default_factory=list)  # entries not applied: conflicts
    people: list[dict[str, Any]] = field(default_factory=list)
    """Each person added or updated with their fields as stored: what a replay restores."""
    groups: list[dict[str, Any]] = field(default_factory=list)
    """Each group founded or revised with its fields as stored and its charter's content hash."""


def _file_roster(front: Any) -> dict[str, list[str]]:
    return {
        Role.CHAIR: sorted(front.chairs),
        Role.MEMBER: sorted(front.members),
        Role.OBSERVER: sorted(front.observers),
        Role.EMERITUS: sorted(getattr(front, "emeritus", []) or []),
    }


def _role_by_person(roster: dict[str, list[str]]) -> dict[str, str]:
    return {handle: role for role, handles in roster.items() for handle in handles}


def sync_charters(uow: UnitOfWork, actor: str, now: datetime, charters: Charters) -> SyncReport:
    """Apply the charters: the registry, foundation settings, each changed charter's roster diff.

    A revised charter is applied as the difference from the previous revision of the same file,
    so joins and leaves made through the bot are not undone by an unrelated edit.
    """
    uow.check_time(now)
    digest = charters.digest
    report = SyncReport(digest=digest)
    settings = common.foundation(uow)
    if settings is not None and settings.charters_digest == digest:
        return report
    if settings is None:
        settings = Foundation(name=charters.foundation.name, synced_at=now)
    settings.name = charters.foundation.name
    settings.description = charters.foundation.description or ""
    settings.admins = list(charters.foundation.admins)
    dumped = charters.foundation.model_dump(mode="json", by_alias=True, exclude_none=True)
    settings.policies = dumped.get("policies", {})
    settings.labels = dumped.get("labels", {})
    settings.docs = dumped.get("docs", {})
    settings.github = dumped.get("github", {})
    settings.discord = dumped.get("discord", {})
    settings.charters_digest = digest
    settings.synced_at = now
    uow.session.add(settings)
    _sync_people(uow, now, settings, charters, report)
    uow.session.flush()
    for slug, charter in sorted(charters.groups.items()):
        _sync_group(uow, now, slug, charter, report)
    report.changed = True
    uow.record(
        now,
        actor,
        "charters.synced",
        "charters",
        {
            "digest": digest,
            "people_added": report.people_added,
            "people_updated": report.people_updated,
            "groups_founded": report.groups_founded,
            "groups_revised": report.groups_revised,
            "roster_changes": report.roster_changes,
            "conflicts": report.conflicts,
            "foundation": {
                "name": settings.name,
                "description": settings.description,
                "admins": settings.admins,
                "policies": settings.policies,
                "labels": settings.labels,
                "docs": settings.docs,
                "github": settings.github,
                "discord": settings.discord,
            },
            "people": report.people,
            "groups": report.groups,
        },
    )
    uow.commit()
    return report


PERSON_FIELDS = ("name", "github", "discord_id")


def _sync_people(
    uow: UnitOfWork, now: datetime, settings: Foundation, charters: Charters, report: SyncReport
) -> None:
    """Apply people.yaml as the difference from the version applied before, field by field.

    Accounts linked through govbot so survive edits that do not touch that person's entry.
    Nobody is ever removed. Someone who registered through Discord and was never listed keeps
    their record: an entry with their handle is applied only when it names their Discord id
    (the same person, listed now); otherwise it is a conflict, reported and left out.
    """
    previous: dict[str, dict[str, Any]] = settings.people_applied or {}
    existing = {p.handle: p for p in uow.session.exec(select(Person))}
    unlisted = [
        e.handle for e in charters.people if e.handle in existing and e.handle not in previous
    ]
    registered = _registered_members(uow, unlisted)
    applied: dict[str, dict[str, Any]] = {}
    for entry in charters.people:
        fields = {f: getattr(entry, f) for f in PERSON_FIELDS}
        who = existing.get(entry.handle)
        if who is not None and who.handle in registered and entry.discord_id != who.discord_id:
            report.conflicts.append(
                f"{entry.handle}: the handle belongs to a member who registered through Discord "
                f"(Discord id {who.discord_id}); not applied. Give the entry another handle, or "
                f'add discord_id: "{who.discord_id}" to it if it is the same person'
            )
            report.people_withheld.append(entry.handle)
            continue
        applied[entry.handle] = fields
        if who is None:
            who = Person(handle=entry.handle, name=entry.name, created_at=now)
            changed = dict(fields)
            report.people_added.append(entry.handle)
        else:
            before = previous.get(entry.handle, {})
            changed = {
                f: v for f, v in fields.items() if before.get(f) != v and getattr(who, f) != v
            }
            if not changed:
                continue
            report.people_updated.append(entry.handle)
        for field_name, value in changed.items():
            holder = (
                None
                if field_name == "name" or value is None
                else _holder(uow, field_name, value, who)
            )
            if holder is not None:
                report.conflicts.append(
                    f"{entry.handle}: {field_name} {value} is linked to {holder.handle}; not "
                    f"applied. If they are the same person, give the entry the handle "
                    f"{holder.handle}"
                )
                continue
            setattr(who, field_name, value)
        uow.session.add(who)
        uow.session.flush()
        report.people.append({"handle": who.handle, **{f: getattr(who, f) for f in PERSON_FIELDS}})
    settings.people_applied = applied


def _registered_members(uow: UnitOfWork, handles: list[str]) -> set[str]:
    """Those of ``handles`` who registered themselves through Discord (the ledger says so)."""
    if not handles:
        return set()
    return set(
        uow.session.exec(
            select(LedgerEntry.subject).where(
                LedgerEntry.action == "person.registered", col(LedgerEntry.subject).in_(handles)
            )
        )
    )


def _holder(uow: UnitOfWork, field_name: str, value: str, who: Person) -> Person | None:
    """Someone other than ``who`` already linked to this GitHub login or Discord id."""
    if field_name == "github":
        match = func.lower(col(Person.github)) == value.lower()
    else:
        match = col(Person.discord_id) == value
    return uow.session.exec(select(Person).where(match, col(Person.id) != who.id)).first()


def _sync_group(
    uow: UnitOfWork, now: datetime, slug: str, charter: Any, report: SyncReport
) -> None:
    """Found or revise a group from its charter, applying the roster as a diff.

    People whose people.yaml entry was withheld get no role from it; the revision records the
    roster without them, so once their entry applies, the same charter gives them their role.
    """
    front = charter.front
    found = uow.session.exec(select(Group).where(Group.slug == slug)).first()
    new = {
        role: [h for h in handles if h not in report.people_withheld]
        for role, handles in _file_roster(front).items()
    }
    last = None
    if found is not None:
        last = uow.session.exec(
            select(CharterRevision)
            .where(CharterRevision.group_id == found.id)
            .order_by(col(CharterRevision.id).desc())
        ).first()
        if found.charter_sha256 == charter.sha256 and (last is None or last.roster == new):
            return
    previous: dict[str, list[str]] = {}
    if found is None:
        found = Group(
            slug=slug,
            name=front.name,
            kind=front.kind,
            membership_policy=front.membership,
            created_at=now,
            updated_at=now,
        )
        report.groups_founded.append(slug)
    else:
        previous = last.roster if last is not None else {}
        report.groups_revised.append(slug)
    found.name = front.name
    found.kind = front.kind
    found.membership_policy = front.membership
    found.charter = front.model_dump(mode="json", by_alias=True, exclude_none=True)
    found.body = charter.body
    found.charter_path = str(charter.path.name)
    found.charter_sha256 = charter.sha256
    found.updated_at = now
    uow.session.add(found)
    uow.session.flush()
    assert found.id is not None
    report.groups.append(
        {
            "slug": slug,
            "founded": slug in report.groups_founded,
            "name": found.name,
            "kind": found.kind,
            "membership_policy": found.membership_policy,
            "charter_path": found.charter_path,
            "charter_sha256": found.charter_sha256,
            "content": ledger.content_hash(found.charter, found.body),
            "roster": new,
        }
    )
    for role, handles in _file_roster(front).items():
        for handle in sorted(set(handles) & set(report.people_withheld)):
            report.conflicts.append(
                f"{slug}: {handle} was not made {role}: their people.yaml entry was not applied"
            )
    _apply_roster_diff(uow, now, found, _role_by_person(previous), _role_by_person(new), report)
    uow.session.add(
        CharterRevision(group_id=found.id, sha256=charter.sha256, roster=new, applied_at=now)
    )


def _apply_roster_diff(
    uow: UnitOfWork,
    now: datetime,
    group_: Group,
    before: dict[str, str],
    after: dict[str, str],
    report: SyncReport,
) -> None:
    assert group_.id is not None
    for handle in sorted(set(before) | set(after)):
        old, new = before.get(handle), after.get(handle)
        if old == new:
            continue
        who = common.person(uow, handle)
        assert who.id is not None
        current = common.current_membership(uow, group_.id, who.id)
        if new is None:
            if current is not None and current.role == old:
                current.until = now
                uow.session.add(current)
                report.roster_changes.append(
                    {"group": group_.slug, "person": handle, "left": old or ""}
                )
            continue
        if current is not None and current.role == new:
            continue
        if current is not None:
            current.until = now
            uow.session.add(current)
        uow.session.add(Membership(group_id=group_.id, person_id=who.id, role=new, since=now))
        settled = _settle(uow, now, group_, who, None) if new in VOTING_ROLES else None
        change = {"group": group_.slug, "person": handle, "role": new}
        if settled is not None:
            change["request"] = settled
        report.roster_changes.append(change)


# --- memberships -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinGroup:
    """Ask to join a group (immediately when its membership is open)."""

    group: str


@dataclass(frozen=True)
class ApproveJoin:
    """A chair approves a pending request."""

    group: str
    handle: str


@dataclass(frozen=True)
class LeaveGroup:
    """Leave a group, or (a chair) remove someone from it."""

    group: str
    handle: str | None = None


@dataclass(frozen=True)
class SetRole:
    """A chair changes someone's role (``emeritus`` makes them emeritus)."""

    group: str
    handle: str
    role: str


@dataclass(frozen=True)
class MembershipResult:
    """What a membership change did, for the front end's answer."""

    group: str
    handle: str
    role: str | None
    pending: bool = False


def _start(
    uow: UnitOfWork,
    now: datetime,
    group_: Group,
    who: Person,
    role: str,
    decided_by: int | None = None,
) -> str | None:
    """End the current membership, start one in ``role``; the state a pending request took."""
    assert group_.id is not None and who.id is not None
    current = common.current_membership(uow, group_.id, who.id)
    if current is not None:
        current.until = now
        uow.session.add(current)
    uow.session.add(Membership(group_id=group_.id, person_id=who.id, role=role, since=now))
    if role in VOTING_ROLES:
        return _settle(uow, now, group_, who, decided_by)
    return None


def _pending(uow: UnitOfWork, group_: Group, who: Person) -> JoinRequest | None:
    return uow.session.exec(
        select(JoinRequest).where(
            JoinRequest.group_id == group_.id,
            JoinRequest.person_id == who.id,
            JoinRequest.state == JoinState.PENDING,
        )
    ).first()


def _settle(
    uow: UnitOfWork,
    now: datetime,
    group_: Group,
    who: Person,
    decided_by: int | None,
    state: str = JoinState.APPROVED,
) -> str | None:
    """Close a pending request once it is answered: a vote given (approved), or the person left.

    A request left pending after its answer would still be listed, and approving it later would
    restart the person as a member: a chair would be demoted, perhaps the last one.
    """
    request = _pending(uow, group_, who)
    if request is None:
        return None
    request.state = state
    request.decided_at = now
    request.decided_by_id = decided_by
    uow.session.add(request)
    return state


def join_group(uow: UnitOfWork, actor: str, now: datetime, command: JoinGroup) -> MembershipResult:
    """Join an open group at once, or file a request a chair of an approval group must approve."""
    uow.check_time(now)
    group_ = common.group(uow, command.group)
    who = authority.require(uow, Action.JOIN, actor, group=group_)
    if group_.membership_policy == "open":
        settled = _start(uow, now, group_, who, Role.MEMBER)
        uow.record(
            now,
            actor,
            "group.joined",
            group_.slug,
            {"person": who.handle, "role": "member", "request": settled},
        )
        uow.commit()
        return MembershipResult(group_.slug, who.handle, Role.MEMBER)
    if _pending(uow, group_, who) is not None:
        raise Conflict(
            f"{who.handle} already asked to join {group_.slug}; a chair has yet to approve it."
        )
    assert group_.id is not None and who.id is not None
    uow.session.add(JoinRequest(group_id=group_.id, person_id=who.id, requested_at=now))
    uow.record(now, actor, "group.join-requested", group_.slug, {"person": who.handle})
    uow.commit()
    return MembershipResult(group_.slug, who.handle, None, pending=True)


def approve_join(
    uow: UnitOfWork, actor: str, now: datetime, command: ApproveJoin
) -> MembershipResult:
    """A chair (or admin) approves a pending request; the person becomes a member."""
    uow.check_time(now)
    group_ = common.group(uow, command.group)
    chair = authority.require(uow, Action.APPROVE_JOIN, actor, group=group_)
    who = common.person(uow, command.handle)
    request = _pending(uow, group_, who)
    if request is None:
        raise NotFound(
            f"{who.handle} has no pending request to join {group_.slug}; "
            "they can ask with `wg join`."
        )
    request.state = JoinState.APPROVED
    request.decided_at = now
    request.decided_by_id = chair.id
    uow.session.add(request)
    role = common.role_of(uow, group_, who)
    if role in VOTING_ROLES:  # a request from before they got a vote: never demote them
        uow.record(
            now,
            actor,
            "group.join-approved",
            group_.slug,
            {"person": who.handle, "role": role, "started": False},
        )
        uow.commit()
        return MembershipResult(group_.slug, who.handle, role)
    _start(uow, now, group_, who, Role.MEMBER)
    uow.record(
        now,
        actor,
        "group.join-approved",
        group_.slug,
        {"person": who.handle, "role": "member", "started": True},
    )
    uow.commit()
    return MembershipResult(group_.slug, who.handle, Role.MEMBER)


def _chairs_left(uow: UnitOfWork, group_: Group, without: Person) -> int:
    assert group_.id is not None
    return sum(
        1 for p, m in common.roster(uow, group_.id) if m.role == Role.CHAIR and p.id != without.id
    )


def leave_group(
    uow: UnitOfWork, actor: str, now: datetime, command: LeaveGroup
) -> MembershipResult:
    """Leave a group yourself; chairs and admins may remove others. The last chair cannot go."""
    uow.check_time(now)
    group_ = common.group(uow, command.group)
    removing = command.handle is not None and command.handle != actor
    me = authority.registered(uow, Action.REMOVE_MEMBER if removing else Action.LEAVE, actor)
    who = me if command.handle is None else common.person(uow, command.handle)
    if who.id != me.id:
        authority.require(uow, Action.REMOVE_MEMBER, actor, group=group_, subject=who.handle)
    assert group_.id is not None and who.id is not None
    current = common.current_membership(uow, group_.id, who.id)
    if current is None:
        request = _pending(uow, group_, who)
        if request is None:
            raise authority.refusal(
                Action.LEAVE, who.handle, frozenset({Standing.REGISTERED}), group=group_
            )
        request.state = JoinState.WITHDRAWN
        request.decided_at = now
        uow.session.add(request)
        uow.record(now, actor, "group.join-withdrawn", group_.slug, {"person": who.handle})
        uow.commit()
        return MembershipResult(group_.slug, who.handle, None)
    if current.role == Role.CHAIR and _chairs_left(uow, group_, who) == 0:
        raise Conflict(
            f"{who.handle} is the last chair of {group_.slug}; make someone else chair first."
        )
    current.until = now
    uow.session.add(current)
    settled = _settle(uow, now, group_, who, None, JoinState.WITHDRAWN)
    uow.record(
        now,
        actor,
        "group.left",
        group_.slug,
        {"person": who.handle, "role": current.role, "request": settled},
    )
    uow.commit()
    return MembershipResult(group_.slug, who.handle, None)


def set_role(uow: UnitOfWork, actor: str, now: datetime, command: SetRole) -> MembershipResult:
    """Chairs set roles: chair, member, observer, or emeritus for former members."""
    uow.check_time(now)
    if command.role not in ROLES:
        raise InvalidInput(f"'{command.role[:40]}' is not a role; use one of {', '.join(ROLES)}.")
    group_ = common.group(uow, command.group)
    me = authority.require(uow, Action.SET_ROLE, actor, group=group_)
    who = common.person(uow, command.handle)
    current = common.role_of(uow, group_, who)
    if current == command.role:
        raise Conflict(f"{who.handle} is already a {current} of {group_.slug}.")
    if current == Role.CHAIR and _chairs_left(uow, group_, who) == 0:
        raise Conflict(
            f"{who.handle} is the last chair of {group_.slug}; make someone else chair first."
        )
    settled = _start(uow, now, group_, who, command.role, me.id)
    uow.record(
        now,
        actor,
        "group.role-set",
        group_.slug,
        {"person": who.handle, "role": command.role, "previous": current, "request": settled},
    )
    uow.commit()
    return MembershipResult(group_.slug, who.handle, command.role)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One line of a roster."""

    handle: str
    name: str
    role: str
    since: str | None


@dataclass(frozen=True)
class GroupView:
    """A group as front ends show it."""

    slug: str
    name: str
    kind: str
    membership: str
    roster: list[MemberView]
    pending: list[str]
    charter: dict[str, Any]
    body: str

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "slug": self.slug,
            "name": self.name,
            "kind": self.kind,
            "membership": self.membership,
            "roster": [m.__dict__ for m in self.roster],
            "pending": self.pending,
        }


def show_group(uow: UnitOfWork, slug: str) -> GroupView:
    """The group with its live roster and pending requests."""
    group_ = common.group(uow, slug)
    assert group_.id is not None
    members = [
        MemberView(p.handle, p.name, m.role, iso(m.since)) for p, m in common.roster(uow, group_.id)
    ]
    order = {r.value: i for i, r in enumerate(Role)}
    members.sort(key=lambda m: (order.get(m.role, 9), m.handle))
    pending = uow.session.exec(
        select(Person.handle)
        .join(JoinRequest, col(JoinRequest.person_id) == col(Person.id))
        .where(JoinRequest.group_id == group_.id, JoinRequest.state == JoinState.PENDING)
        .order_by(Person.handle)
    ).all()
    return GroupView(
        group_.slug,
        group_.name,
        group_.kind,
        group_.membership_policy,
        members,
        list(pending),
        group_.charter,
        group_.body,
    )


def list_groups(uow: UnitOfWork) -> list[GroupView]:
    """Every group, by slug."""
    return [
        show_group(uow, slug) for slug in uow.session.exec(select(Group.slug).order_by(Group.slug))
    ]
