"""People, memberships and charter revisions through the service layer on a real database.

The fixture's charters (synced at T0 - 1d): admin root; ``core`` (committee, membership by
approval) with chair ada, members bo, cy, di, ed and observer hal; ``docs`` (open) with chair fay
and member gus. ivy is registered and in no group. Everyone's GitHub login is ``<handle>-gh``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import wiring
from governance import errors
from governance.services import common, groups
from governance.store import Store
from tests.conftest import PEOPLE, T0, Actor, Db, charter, people_yaml

H = timedelta(hours=1)
D = timedelta(days=1)


def utc(day: int, hour: int) -> datetime:
    """A moment in January 2027, as the record gives it back."""
    return datetime(2027, 1, day, hour, tzinfo=UTC)


SYNCED = utc(3, 10)  # T0 - 1d, when the fixture synced the charters


def ledger(db: Db, action: str) -> list[dict[str, Any]]:
    """Payloads of the ledger entries with this action, oldest first."""
    rows = db.query("SELECT payload FROM ledger WHERE action = ? ORDER BY seq", action)
    return [json.loads(r[0]) for r in rows]


def ledger_size(db: Db) -> int:
    return db.query("SELECT count(*) FROM ledger")[0][0]


def roster(act: Actor, slug: str = "core") -> list[tuple[str, str]]:
    """(handle, role) in the order ``show_group`` gives."""
    return [(m.handle, m.role) for m in act.read(groups.show_group, slug).roster]


def pending(act: Actor, slug: str = "core") -> list[str]:
    return act.read(groups.show_group, slug).pending


def history(db: Db, handle: str, slug: str = "core") -> list[tuple[str, datetime, datetime | None]]:
    """Every membership period of a person in a group: (role, since, until), oldest first."""
    return db.query(
        "SELECT m.role, m.since, m.until FROM memberships m "
        "JOIN people p ON p.id = m.person_id JOIN groups g ON g.id = m.group_id "
        "WHERE p.handle = ? AND g.slug = ? ORDER BY m.id",
        handle,
        slug,
    )


def join(act: Actor, who: str, slug: str, at) -> groups.MembershipResult:
    return act(groups.join_group, who, at, groups.JoinGroup(slug))


def approve(act: Actor, chair: str, slug: str, who: str, at) -> groups.MembershipResult:
    return act(groups.approve_join, chair, at, groups.ApproveJoin(slug, who))


def leave(act: Actor, actor: str, slug: str, at, who: str | None = None) -> groups.MembershipResult:
    return act(groups.leave_group, actor, at, groups.LeaveGroup(slug, who))


def set_role(act: Actor, actor: str, who: str, role: str, at) -> groups.MembershipResult:
    return act(groups.set_role, actor, at, groups.SetRole("core", who, role))


def refused(db: Db, error: type[Exception], match: str, call: Any, *args: Any) -> None:
    """``call(*args)`` raises ``error`` and leaves every table exactly as it was."""
    before = db.snapshot()
    with pytest.raises(error, match=match):
        call(*args)
    assert db.snapshot() == before


# --- people ------------------------------------------------------------------------------------


def test_admin_adds_a_person(act: Actor, db: Db) -> None:
    added = act(
        groups.add_person,
        "root",
        T0,
        groups.AddPerson("jo-ann", "Jo Ann", github="JoAnn", discord_id="987654321098765432"),
    )
    assert added == groups.PersonView("jo-ann", "Jo Ann", "JoAnn", "987654321098765432")
    assert "jo-ann" in [p.handle for p in act.read(groups.list_people)]
    assert ledger(db, "person.added") == [
        {"name": "Jo Ann", "github": "JoAnn", "discord_id": "987654321098765432"}
    ]
    # A registered person can act at once: jo-ann joins the open group.
    assert join(act, "jo-ann", "docs", T0 + H).role == "member"


@pytest.mark.parametrize(
    ("actor", "command", "error", "message"),
    [
        ("ada", groups.AddPerson("jo", "Jo"), errors.PermissionDenied, "Only a foundation admin"),
        ("ivy", groups.AddPerson("jo", "Jo"), errors.PermissionDenied, "ivy is not one"),
        ("root", groups.AddPerson("bo", "Another Bo"), errors.Conflict, "'bo' is already"),
        ("root", groups.AddPerson("Jo", "Jo"), errors.InvalidInput, "not a valid handle"),
        ("root", groups.AddPerson("jo ann", "Jo"), errors.InvalidInput, "not a valid handle"),
        ("root", groups.AddPerson("-jo", "Jo"), errors.InvalidInput, "not a valid handle"),
        ("root", groups.AddPerson("j" * 41, "Jo"), errors.InvalidInput, "not a valid handle"),
        ("root", groups.AddPerson("jo", "  "), errors.InvalidInput, "name is empty"),
        (
            "root",
            groups.AddPerson("jo", "Jo", discord_id="12345"),
            errors.InvalidInput,
            "not a Discord user id",
        ),
        (
            "root",
            groups.AddPerson("jo", "Jo", discord_id="12345678901234567x"),
            errors.InvalidInput,
            "not a Discord user id",
        ),
        (
            "root",
            groups.AddPerson("jo", "Jo", github="jo_gh"),
            errors.InvalidInput,
            "not a GitHub login",
        ),
        (
            "root",
            groups.AddPerson("jo", "Jo", github="BO-GH"),
            errors.Conflict,
            "'BO-GH' is already linked to bo",
        ),
        (
            "root",
            groups.AddPerson("jo", "Jo", discord_id="100000000000000002"),  # bo's id
            errors.Conflict,
            "already linked to bo",
        ),
    ],
)
def test_add_person_refusals_change_nothing(
    act: Actor, db: Db, actor, command, error, message
) -> None:
    refused(db, error, message, act, groups.add_person, actor, T0, command)


def test_an_admin_links_accounts_by_hand(act: Actor, db: Db) -> None:
    linked = act(groups.link_person, "root", T0, groups.LinkPerson("ivy", github="Ivy-Works"))
    assert (linked.github, linked.discord_id) == ("Ivy-Works", "100000000000000009")
    # Linking only a Discord id leaves the GitHub login alone.
    linked = act(
        groups.link_person,
        "root",
        T0 + H,
        groups.LinkPerson("ivy", discord_id="222222222222222222"),
    )
    assert (linked.github, linked.discord_id) == ("Ivy-Works", "222222222222222222")
    # Their own login in another case is not a clash with themselves.
    assert act(groups.link_person, "root", T0 + H, groups.LinkPerson("ivy", github="ivy-works"))
    assert [e["github"] for e in ledger(db, "person.linked")] == [
        "Ivy-Works",
        None,
        "ivy-works",
    ]


@pytest.mark.parametrize("actor", ["bo", "ivy"])
def test_only_admins_link_accounts_by_hand_others_prove_theirs(
    act: Actor, db: Db, actor: str
) -> None:
    # Not even for themselves: a login set by hand is unproven; `govbot link github` proves it.
    refused(
        db,
        errors.PermissionDenied,
        "Only a foundation admin may set a GitHub login or Discord id by console; "
        f"{actor} is not one. To prove your own GitHub account, run `govbot link github",
        act,
        groups.link_person,
        actor,
        T0,
        groups.LinkPerson("ivy", github="not-ivy"),
    )
    by_admin = act(groups.link_person, "root", T0, groups.LinkPerson("ivy", github="ivy-real"))
    assert by_admin.github == "ivy-real"


@pytest.mark.parametrize("login", ["bo-gh", "BO-GH", "Bo-Gh"])
def test_github_login_of_another_person_is_refused_in_any_case(
    act: Actor, db: Db, login: str
) -> None:
    refused(
        db,
        errors.Conflict,
        f"'{login}' is already linked to bo",
        act,
        groups.link_person,
        "root",
        T0,
        groups.LinkPerson("ivy", github=login),
    )


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (groups.LinkPerson("ivy"), errors.InvalidInput, "Nothing to link"),
        (groups.LinkPerson("ivy", discord_id="x1"), errors.InvalidInput, "not a Discord user id"),
        (
            groups.LinkPerson("ivy", discord_id="100000000000000001"),  # ada's id
            errors.Conflict,
            "already linked to ada",
        ),
        (groups.LinkPerson("nobody", github="x"), errors.NotFound, "No person with handle"),
    ],
)
def test_link_refusals_change_nothing(act: Actor, db: Db, command, error, message) -> None:
    refused(db, error, message, act, groups.link_person, "root", T0, command)


@pytest.mark.parametrize("login", ["b_-gh", "%", "bo%", "has space", "-ivy", "ivy_gh"])
def test_a_github_login_is_a_login_not_a_pattern(act: Actor, db: Db, login: str) -> None:
    # "b_-gh" and "%" are LIKE patterns that would match bo's "bo-gh"; none is a GitHub login
    # (letters, digits and single inner dashes), so each is refused as input, never as a clash.
    refused(
        db,
        errors.InvalidInput,
        "not a GitHub login",
        act,
        groups.link_person,
        "root",
        T0,
        groups.LinkPerson("ivy", github=login),
    )


# --- joining -----------------------------------------------------------------------------------


def test_open_group_joins_at_once(act: Actor, db: Db) -> None:
    joined = join(act, "ivy", "docs", T0)
    assert joined == groups.MembershipResult("docs", "ivy", "member", pending=False)
    assert roster(act, "docs") == [("fay", "chair"), ("gus", "member"), ("ivy", "member")]
    assert pending(act, "docs") == []
    assert ledger(db, "group.joined") == [{"person": "ivy", "role": "member", "request": None}]
    assert db.query("SELECT count(*) FROM join_requests") == [(0,)]


def test_approval_group_files_a_pending_request(act: Actor, db: Db) -> None:
    asked = join(act, "ivy", "core", T0)
    assert asked == groups.MembershipResult("core", "ivy", None, pending=True)
    assert pending(act) == ["ivy"]
    assert "ivy" not in [h for h, _ in roster(act)]
    with act.store.read() as uow:  # a request gives no vote
        assert common.electorate(uow, common.group(uow, "core"), "members") == [
            "ada",
            "bo",
            "cy",
            "di",
            "ed",
        ]
    assert ledger(db, "group.join-requested") == [{"person": "ivy"}]


def test_asking_twice_is_a_conflict(act: Actor, db: Db) -> None:
    join(act, "ivy", "core", T0)
    refused(db, errors.Conflict, "ivy already asked to join core", join, act, "ivy", "core", T0 + H)


@pytest.mark.parametrize(("who", "slug"), [("bo", "core"), ("ada", "core"), ("gus", "docs")])
def test_members_and_chairs_cannot_join_again(act: Actor, db: Db, who, slug) -> None:
    refused(db, errors.Conflict, f"{who} is already a .* of {slug}", join, act, who, slug, T0)


def test_an_observer_may_ask_to_become_a_member(act: Actor, db: Db) -> None:
    assert join(act, "hal", "core", T0).pending
    approve(act, "ada", "core", "hal", T0 + H)
    assert ("hal", "member") in roster(act)
    assert history(db, "hal") == [
        ("observer", SYNCED, utc(4, 11)),
        ("member", utc(4, 11), None),
    ]


def test_chair_approves_a_request(act: Actor, db: Db) -> None:
    join(act, "ivy", "core", T0)
    approved = approve(act, "ada", "core", "ivy", T0 + H)
    assert approved == groups.MembershipResult("core", "ivy", "member")
    assert ("ivy", "member") in roster(act)
    assert pending(act) == []
    [(state, decided_at, by_ada)] = db.query(
        "SELECT state, decided_at, decided_by_id = (SELECT id FROM people WHERE handle='ada') "
        "FROM join_requests",
    )
    assert (state, decided_at, bool(by_ada)) == ("approved", utc(4, 11), True)
    assert history(db, "ivy") == [("member", utc(4, 11), None)]


def test_admin_approves_in_any_group(act: Actor) -> None:
    join(act, "ivy", "core", T0)
    assert approve(act, "root", "core", "ivy", T0 + H).role == "member"


@pytest.mark.parametrize("who", ["bo", "hal", "fay", "ivy"])
def test_only_a_chair_of_the_group_approves(act: Actor, db: Db, who: str) -> None:
    # bo is a member, hal an observer, fay chairs another group, ivy asks for herself.
    join(act, "ivy", "core", T0)
    refused(
        db,
        errors.PermissionDenied,
        f"Only a chair of core or a foundation admin may approve members; {who} is not one",
        approve,
        act,
        who,
        "core",
        "ivy",
        T0 + H,
    )
    assert pending(act) == ["ivy"]


def test_approving_without_a_request_is_not_found(act: Actor, db: Db) -> None:
    refused(
        db,
        errors.NotFound,
        "ivy has no pending request",
        approve,
        act,
        "ada",
        "core",
        "ivy",
        T0,
    )
    join(act, "ivy", "core", T0)
    approve(act, "ada", "core", "ivy", T0 + H)
    refused(
        db,
        errors.NotFound,
        "ivy has no pending request",
        approve,
        act,
        "ada",
        "core",
        "ivy",
        T0 + H,
    )


# --- leaving -----------------------------------------------------------------------------------


def test_a_member_leaves(act: Actor, db: Db) -> None:
    left = leave(act, "bo", "core", T0)
    assert left == groups.MembershipResult("core", "bo", None)
    assert "bo" not in [h for h, _ in roster(act)]
    assert history(db, "bo") == [("member", SYNCED, utc(4, 10))]
    assert ledger(db, "group.left") == [{"person": "bo", "role": "member", "request": None}]


def test_a_chair_removes_someone(act: Actor, db: Db) -> None:
    leave(act, "ada", "core", T0, who="cy")
    assert "cy" not in [h for h, _ in roster(act)]
    entry = db.query("SELECT actor, subject FROM ledger WHERE action='group.left'")
    assert entry == [("ada", "core")]


def test_an_admin_removes_someone(act: Actor) -> None:
    leave(act, "root", "docs", T0, who="gus")
    assert roster(act, "docs") == [("fay", "chair")]


@pytest.mark.parametrize("actor", ["bo", "hal", "fay"])
def test_others_may_not_remove_someone(act: Actor, db: Db, actor: str) -> None:
    refused(
        db,
        errors.PermissionDenied,
        f"may remove cy; {actor} is not one",
        leave,
        act,
        actor,
        "core",
        T0,
        "cy",
    )


@pytest.mark.parametrize(("actor", "who"), [("ada", None), ("ada", "ada"), ("root", "ada")])
def test_the_last_chair_cannot_leave(act: Actor, db: Db, actor, who) -> None:
    refused(
        db,
        errors.Conflict,
        "ada is the last chair of core",
        leave,
        act,
        actor,
        "core",
        T0,
        who,
    )
    set_role(act, "ada", "bo", "chair", T0)
    leave(act, actor, "core", T0 + H, who)  # with a second chair, ada may go
    assert roster(act)[0] == ("bo", "chair")
    assert "ada" not in [h for h, _ in roster(act)]


def test_leaving_withdraws_a_pending_request(act: Actor, db: Db) -> None:
    join(act, "ivy", "core", T0)
    assert leave(act, "ivy", "core", T0 + H).role is None
    assert pending(act) == []
    assert db.query("SELECT state, decided_at FROM join_requests") == [("withdrawn", utc(4, 11))]
    assert ledger(db, "group.join-withdrawn") == [{"person": "ivy"}]
    # Withdrawn is not pending: the chair can no longer approve it, but ivy may ask again.
    with pytest.raises(errors.NotFound):
        approve(act, "ada", "core", "ivy", T0 + H)
    assert join(act, "ivy", "core", T0 + 2 * H).pending


def test_an_observer_who_leaves_withdraws_their_request_too(act: Actor, db: Db) -> None:
    join(act, "hal", "core", T0)
    leave(act, "hal", "core", T0 + H)
    assert "hal" not in [h for h, _ in roster(act)]
    assert pending(act) == []  # nobody to approve: hal left core altogether
    assert db.query("SELECT state FROM join_requests") == [("withdrawn",)]


def test_a_chair_turns_down_a_request_by_removing_it(act: Actor) -> None:
    join(act, "ivy", "core", T0)
    leave(act, "ada", "core", T0 + H, who="ivy")
    assert pending(act) == []
    assert "ivy" not in [h for h, _ in roster(act)]


def test_leaving_a_group_one_is_not_in(act: Actor, db: Db) -> None:
    refused(
        db,
        errors.NotFound,
        "ivy is not in core; nothing to leave",
        leave,
        act,
        "ivy",
        "core",
        T0,
    )


# --- roles -------------------------------------------------------------------------------------


def test_chair_sets_roles(act: Actor, db: Db) -> None:
    assert set_role(act, "ada", "bo", "chair", T0).role == "chair"
    set_role(act, "ada", "hal", "member", T0 + H)
    set_role(act, "root", "di", "observer", T0 + 2 * H)  # an admin may too
    assert roster(act) == [
        ("ada", "chair"),
        ("bo", "chair"),
        ("cy", "member"),
        ("ed", "member"),
        ("hal", "member"),
        ("di", "observer"),
    ]
    assert ledger(db, "group.role-set")[0] == {
        "person": "bo",
        "role": "chair",
        "previous": "member",
        "request": None,
    }
    with act.store.read() as uow:  # roles decide the vote: di lost hers, hal gained one
        assert common.electorate(uow, common.group(uow, "core"), "members") == [
            "ada",
            "bo",
            "cy",
            "ed",
            "hal",
        ]
        assert common.electorate(uow, common.group(uow, "core"), "chairs") == ["ada", "bo"]


def test_emeritus_has_no_vote_and_stays_on_the_roster(act: Actor, db: Db) -> None:
    set_role(act, "ada", "ed", "emeritus", T0)
    assert roster(act)[-1] == ("ed", "emeritus")
    assert history(db, "ed") == [
        ("member", SYNCED, utc(4, 10)),
        ("emeritus", utc(4, 10), None),
    ]
    with act.store.read() as uow:
        assert "ed" not in common.electorate(uow, common.group(uow, "core"), "members")


def test_setting_a_role_brings_in_a_non_member(act: Actor) -> None:
    set_role(act, "ada", "ivy", "observer", T0)
    assert ("ivy", "observer") in roster(act)


@pytest.mark.parametrize(
    ("actor", "who", "role", "error", "message"),
    [
        ("bo", "cy", "chair", errors.PermissionDenied, "may change roles; bo is not one"),
        ("hal", "hal", "member", errors.PermissionDenied, "hal is not one"),
        ("fay", "cy", "chair", errors.PermissionDenied, "fay is not one"),
        ("ada", "cy", "admin", errors.InvalidInput, "'admin' is not a role"),
        ("ada", "cy", "Chair", errors.InvalidInput, "'Chair' is not a role"),
        ("ada", "cy", "member", errors.Conflict, "cy is already a member of core"),
        ("ada", "hal", "observer", errors.Conflict, "hal is already a observer of core"),
        ("ada", "ada", "member", errors.Conflict, "ada is the last chair of core"),
        ("root", "ada", "emeritus", errors.Conflict, "ada is the last chair of core"),
        ("ada", "nobody", "member", errors.NotFound, "No person with handle 'nobody'"),
    ],
)
def test_set_role_refusals_change_nothing(
    act: Actor, db: Db, actor, who, role, error, message
) -> None:
    refused(db, error, message, set_role, act, actor, who, role, T0)


def test_giving_a_requester_a_vote_settles_their_request(act: Actor, db: Db) -> None:
    join(act, "ivy", "core", T0)
    set_role(act, "ada", "ivy", "member", T0 + H)
    assert pending(act) == []
    assert db.query(
        "SELECT r.state, r.decided_at, p.handle FROM join_requests r "
        "JOIN people p ON p.id = r.decided_by_id",
    ) == [("approved", utc(4, 11), "ada")]


def test_a_stale_request_never_demotes_a_chair(act: Actor, db: Db) -> None:
    # ivy asks to join; ada makes her a chair directly and steps down. Approving ivy's old
    # request must not turn core's only chair into a member.
    join(act, "ivy", "core", T0)
    set_role(act, "ada", "ivy", "chair", T0 + H)
    set_role(act, "ivy", "ada", "member", T0 + 2 * H)
    with pytest.raises(errors.NotFound, match="no pending request"):
        approve(act, "ivy", "core", "ivy", T0 + 3 * H)
    assert [h for h, r in roster(act) if r == "chair"] == ["ivy"]


def test_an_observer_made_observer_again_keeps_their_request(act: Actor) -> None:
    # A request asks for a vote; a role without one does not answer it.
    join(act, "ivy", "core", T0)
    set_role(act, "ada", "ivy", "observer", T0 + H)
    assert pending(act) == ["ivy"]
    approve(act, "ada", "core", "ivy", T0 + 2 * H)
    assert ("ivy", "member") in roster(act)


def test_a_chair_steps_down_once_there_is_another(act: Actor) -> None:
    set_role(act, "ada", "bo", "chair", T0)
    set_role(act, "bo", "ada", "member", T0 + H)
    assert roster(act)[:2] == [("bo", "chair"), ("ada", "member")]


# --- history and reading -----------------------------------------------------------------------


def test_membership_history_keeps_every_period(act: Actor, db: Db) -> None:
    set_role(act, "ada", "bo", "chair", T0)
    leave(act, "bo", "core", T0 + H)
    join(act, "bo", "core", T0 + 2 * H)
    approve(act, "ada", "core", "bo", T0 + 3 * H)
    assert history(db, "bo") == [
        ("member", SYNCED, utc(4, 10)),
        ("chair", utc(4, 10), utc(4, 11)),
        ("member", utc(4, 13), None),
    ]
    # The roster shows the current period with its own since-date.
    bo = next(m for m in act.read(groups.show_group, "core").roster if m.handle == "bo")
    assert (bo.role, bo.since) == ("member", "2027-01-04T13:00:00Z")
    # At most one open period per person and group, whatever happened.
    assert (
        db.query(
            "SELECT group_id, person_id, count(*) FROM memberships WHERE until IS NULL "
            "GROUP BY group_id, person_id HAVING count(*) > 1",
        )
        == []
    )


def test_show_group_orders_roster_by_role_then_handle(act: Actor) -> None:
    set_role(act, "ada", "ed", "emeritus", T0)
    set_role(act, "ada", "cy", "chair", T0)
    set_role(act, "ada", "ivy", "observer", T0)
    join(act, "gus", "core", T0 + H)
    join(act, "fay", "core", T0 + H)
    view = act.read(groups.show_group, "core")
    assert [(m.handle, m.role) for m in view.roster] == [
        ("ada", "chair"),
        ("cy", "chair"),
        ("bo", "member"),
        ("di", "member"),
        ("hal", "observer"),
        ("ivy", "observer"),
        ("ed", "emeritus"),
    ]
    assert view.pending == ["fay", "gus"]
    assert (view.slug, view.kind, view.membership) == ("core", "committee", "approval")
    assert view.roster[0].name == "Ada Example"
    assert view.roster[0].since == "2027-01-03T10:00:00Z"
    assert view.to_json()["pending"] == ["fay", "gus"]
    assert [g.slug for g in act.read(groups.list_groups)] == ["core", "docs"]


def test_unknown_group(act: Actor, db: Db) -> None:
    refused(
        db,
        errors.NotFound,
        "There is no group 'nope'; known groups: core, docs",
        join,
        act,
        "ivy",
        "nope",
        T0,
    )


# --- charter revisions -------------------------------------------------------------------------


def rewrite_core(directory: Path, **roster_: Any) -> str:
    """Write a new revision of core.md; returns the sha256 of its bytes."""
    text = charter("core", kind="committee", membership="approval", **roster_)
    (directory / "core.md").write_text(text)
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_revised_charter_is_applied_as_a_diff(
    act: Actor, store: Store, charters_dir: Path, db: Db
) -> None:
    join(act, "ivy", "core", T0)  # joins through the bot; not in any charter
    approve(act, "ada", "core", "ivy", T0 + H)
    leave(act, "cy", "core", T0 + 2 * H)  # leaves through the bot; still in the charter
    old_sha = db.query("SELECT charter_sha256 FROM groups WHERE slug='core'")[0][0]
    # The revision: bo member -> chair, ed removed, gus added; cy and hal untouched.
    sha = rewrite_core(
        charters_dir,
        chairs=["ada", "bo"],
        members=["cy", "di", "gus"],
        observers=["hal"],
    )
    assert sha != old_sha
    later = T0 + D
    assert wiring.sync_charters(store, charters_dir, later) is True

    assert roster(act) == [
        ("ada", "chair"),
        ("bo", "chair"),
        ("di", "member"),
        ("gus", "member"),
        ("ivy", "member"),  # the bot-made join survived the charter edit
        ("hal", "observer"),
    ]  # cy's bot-made leave survived too: the file did not change cy
    assert history(db, "ed")[-1] == ("member", SYNCED, utc(5, 10))
    assert history(db, "gus") == [("member", utc(5, 10), None)]

    revisions = db.query(
        "SELECT r.sha256, r.roster, r.applied_at FROM charter_revisions r "
        "JOIN groups g ON g.id = r.group_id WHERE g.slug = 'core' ORDER BY r.id",
    )
    assert [r[0] for r in revisions] == [old_sha, sha]
    assert revisions[-1][1] == {
        "chair": ["ada", "bo"],
        "member": ["cy", "di", "gus"],
        "observer": ["hal"],
        "emeritus": [],
    }
    assert revisions[-1][2] == utc(5, 10)
    assert db.query("SELECT charter_sha256 FROM groups WHERE slug='core'") == [(sha,)]

    synced = ledger(db, "charters.synced")
    assert len(synced) == 2  # the fixture's founding sync, then this revision
    from governance import charters

    assert synced[-1]["digest"] == charters.load(charters_dir).digest
    assert synced[-1]["groups_revised"] == ["core"]
    assert synced[-1]["groups_founded"] == []
    assert synced[-1]["people_added"] == []
    assert synced[-1]["roster_changes"] == [
        {"group": "core", "person": "bo", "role": "chair"},
        {"group": "core", "person": "ed", "left": "member"},
        {"group": "core", "person": "gus", "role": "member"},
    ]
    actor = db.query("SELECT actor FROM ledger ORDER BY seq DESC LIMIT 1")
    assert actor == [(common.SYSTEM,)]


def test_an_unrelated_charter_edit_undoes_nothing(
    act: Actor, store: Store, charters_dir: Path, db: Db
) -> None:
    join(act, "ivy", "core", T0)
    approve(act, "ada", "core", "ivy", T0 + H)
    leave(act, "cy", "core", T0 + 2 * H)
    set_role(act, "ada", "bo", "chair", T0 + 3 * H)
    before = roster(act)
    path = charters_dir / "core.md"
    path.write_text(path.read_text() + "\nA new paragraph about scope.\n")
    assert wiring.sync_charters(store, charters_dir, T0 + D) is True
    assert roster(act) == before
    synced = ledger(db, "charters.synced")[-1]
    assert (synced["groups_revised"], synced["roster_changes"]) == (["core"], [])
    assert "A new paragraph about scope." in act.read(groups.show_group, "core").body


def test_a_charter_removing_someone_whose_role_the_bot_changed_leaves_them(
    act: Actor, store: Store, charters_dir: Path
) -> None:
    # The file's removal applies to the role the file gave; a role set through the bot since
    # is a later decision the file's author did not see, so it stands.
    set_role(act, "ada", "bo", "chair", T0)
    rewrite_core(charters_dir, chairs=["ada"], members=["cy", "di", "ed"], observers=["hal"])
    wiring.sync_charters(store, charters_dir, T0 + D)
    assert ("bo", "chair") in roster(act)


def test_a_charter_naming_a_requester_settles_their_request(
    act: Actor, store: Store, charters_dir: Path
) -> None:
    join(act, "ivy", "core", T0)
    rewrite_core(
        charters_dir, chairs=["ada", "ivy"], members=["bo", "cy", "di", "ed"], observers=["hal"]
    )
    wiring.sync_charters(store, charters_dir, T0 + D)
    assert ("ivy", "chair") in roster(act)
    assert pending(act) == []
    with pytest.raises(errors.NotFound, match="no pending request"):
        approve(act, "ada", "core", "ivy", T0 + D)
    assert ("ivy", "chair") in roster(act)


def test_an_unrelated_charter_edit_keeps_links_made_through_the_bot(
    act: Actor, store: Store, charters_dir: Path
) -> None:
    # people.yaml says ivy-gh; ivy linked ivy-works through the bot since. An edit elsewhere,
    # and then one to people.yaml that does not touch ivy's entry, both leave her link alone.
    act(groups.link_person, "root", T0, groups.LinkPerson("ivy", github="ivy-works"))
    path = charters_dir / "docs.md"
    path.write_text(path.read_text() + "\nMore mission.\n")
    wiring.sync_charters(store, charters_dir, T0 + D)
    ivy = next(p for p in act.read(groups.list_people) if p.handle == "ivy")
    assert ivy.github == "ivy-works"
    (charters_dir / "people.yaml").write_text(people_yaml([*PEOPLE, "jo"]))
    wiring.sync_charters(store, charters_dir, T0 + 2 * D)
    ivy = next(p for p in act.read(groups.list_people) if p.handle == "ivy")
    assert ivy.github == "ivy-works"


def test_unchanged_charters_sync_nothing(store: Store, charters_dir: Path, db: Db) -> None:
    before = db.snapshot()
    assert wiring.sync_charters(store, charters_dir, T0 + D) is False
    assert db.snapshot() == before
    assert len(ledger(db, "charters.synced")) == 1


def test_the_same_charters_through_the_service_sync_nothing(
    store: Store, charters_dir: Path, db: Db
) -> None:
    from governance import charters

    before = db.snapshot()
    with store.write() as uow:
        report = groups.sync_charters(uow, common.SYSTEM, T0 + D, charters.load(charters_dir))
    assert not report.changed
    assert db.snapshot() == before


def test_a_new_person_in_people_yaml_is_registered(
    act: Actor, store: Store, charters_dir: Path, db: Db
) -> None:
    (charters_dir / "people.yaml").write_text(people_yaml([*PEOPLE, "jo"]))
    assert wiring.sync_charters(store, charters_dir, T0 + D) is True
    jo = next(p for p in act.read(groups.list_people) if p.handle == "jo")
    assert (jo.name, jo.github, jo.discord_id) == ("Jo Example", "jo-gh", "100000000000000010")
    synced = ledger(db, "charters.synced")[-1]
    assert synced["people_added"] == ["jo"]
    assert (synced["groups_revised"], synced["roster_changes"]) == ([], [])
    # Registered people can take part at once.
    assert join(act, "jo", "docs", T0 + D).role == "member"


def test_a_later_charter_may_name_a_person_added_in_the_same_sync(
    act: Actor, store: Store, charters_dir: Path
) -> None:
    (charters_dir / "people.yaml").write_text(people_yaml([*PEOPLE, "jo"]))
    rewrite_core(
        charters_dir, chairs=["ada"], members=["bo", "cy", "di", "ed", "jo"], observers=["hal"]
    )
    wiring.sync_charters(store, charters_dir, T0 + D)
    assert ("jo", "member") in roster(act)


def test_a_refused_charter_changes_nothing(store: Store, charters_dir: Path, db: Db) -> None:
    from governance.charters import CharterError

    rewrite_core(charters_dir, chairs=["ada"], members=["zed"], observers=[])  # zed is unknown
    before = db.snapshot()
    with pytest.raises(CharterError, match="zed"):
        wiring.sync_charters(store, charters_dir, T0 + D)
    assert db.snapshot() == before
