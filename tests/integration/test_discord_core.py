"""What the Discord front end needs from the core, on a real database.

Registration on first use, RFC threads, the foundation's Discord server, vote reminders a day
before the deadline, and the 0004 migration. The fixture's foundation (``tests.conftest``):
``core`` with chair ada, members bo, cy, di, ed (an electorate of five) and observer hal;
``docs`` (open) with chair fay and member gus; ivy in no group. Everyone in people.yaml has
Discord id ``1000...0<n>`` (root 0, ada 1, ... ivy 9). The default policy runs 7 days.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot import wiring
from governance import errors
from governance import policy as policies
from governance.render import render_docs, scope_of
from governance.render.record import Scope
from governance.services import common, groups, rfcs, ticks
from governance.store import HEAD_REVISION, MIGRATIONS, Store, create_engine, database_url
from tests.conftest import FOUNDATION, PEOPLE, T0, Actor, Db, charter, people_yaml, write_charters

H = timedelta(hours=1)
D = timedelta(days=1)
ZOE = "200000000000000001"  # a Discord member nobody registered
GUILD = "894437515683143721"
THREAD = "300000000000000001"
OTHER_THREAD = "300000000000000002"


def ledger(db: Db, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, subject, payload) of the entries with this action, oldest first."""
    rows = db.query(
        "SELECT actor, subject, payload FROM ledger WHERE action = ? ORDER BY seq", action
    )
    return [(actor, subject, json.loads(payload)) for actor, subject, payload in rows]


def refused(db: Db, error: type[Exception], match: str, call: Any, *args: Any) -> None:
    """``call(*args)`` raises ``error`` and leaves every table exactly as it was."""
    before = db.snapshot()
    with pytest.raises(error, match=match):
        call(*args)
    assert db.snapshot() == before


def register(
    act: Actor, username: str, name: str = "", discord_id: str = ZOE, at=T0
) -> groups.PersonView:
    with act.store.write() as uow:
        return groups.register_member(uow, at, groups.RegisterMember(discord_id, username, name))


def render(store: Store, scope: Scope | None = None) -> dict[str, str]:
    with store.read() as uow:
        return render_docs(uow.session, scope)


def propose(act: Actor, author: str = "bo", at=T0 - H) -> str:
    ref = act(rfcs.propose_rfc, author, at, rfcs.ProposeRfc("core", "Caption format", "Text."))
    return str(ref.rfc)


# --- registration on first use -------------------------------------------------------------------


def test_a_new_member_is_registered_from_their_username(act: Actor, db: Db) -> None:
    view = register(act, "Zoe.Example", "Zoë Example")
    assert view == groups.PersonView("zoe-example", "Zoë Example", None, ZOE)
    assert ledger(db, "person.registered") == [
        (
            "zoe-example",
            "zoe-example",
            {"handle": "zoe-example", "name": "Zoë Example", "discord_id": ZOE, "via": "discord"},
        )
    ]
    assert db.query("SELECT created_at FROM people WHERE handle = 'zoe-example'") == [(T0,)]
    with act.store.read() as uow:
        found = common.person_by_discord(uow, ZOE)
        assert common.person_by_discord(uow, "299999999999999999") is None
    assert found is not None and found.handle == "zoe-example"  # still readable after the read
    # Registered, they can take part at once: join an open group.
    joined = act(groups.join_group, "zoe-example", T0 + H, groups.JoinGroup("docs"))
    assert joined.role == "member"


def test_registering_again_changes_nothing(act: Actor, db: Db) -> None:
    first = register(act, "zoe", "Zoë")
    before = db.snapshot()
    # Asked again, even after a rename on Discord: the same person, no entry, no commit.
    assert register(act, "zoe_renamed", "Someone Else", at=T0 + D) == first
    assert db.snapshot() == before


def test_a_person_from_people_yaml_is_found_not_registered(act: Actor, db: Db) -> None:
    before = db.snapshot()
    ada = register(act, "ada_on_discord", "Ada", discord_id="100000000000000001")
    assert (ada.handle, ada.github) == ("ada", "ada-gh")
    assert db.snapshot() == before


def test_a_taken_handle_gets_the_next_number(act: Actor) -> None:
    assert register(act, "Ada", discord_id="200000000000000001").handle == "ada-2"
    assert register(act, "ADA", discord_id="200000000000000002").handle == "ada-3"
    assert register(act, "ada.", discord_id="200000000000000003").handle == "ada-4"
    # govbot is the actor of automatic changes: no member may look like it in the ledger.
    assert register(act, "govbot", discord_id="200000000000000004").handle == "govbot-2"
    # A suffix still fits in 40 characters, and never leaves a dash before it.
    long = "a" * 38 + "_b"
    assert register(act, long, discord_id="200000000000000005").handle == "a" * 38 + "-b"
    assert register(act, long, discord_id="200000000000000006").handle == "a" * 38 + "-2"
    assert register(act, "x" * 45, discord_id="200000000000000007").handle == "x" * 40
    assert register(act, "x" * 45, discord_id="200000000000000008").handle == "x" * 38 + "-2"


@pytest.mark.parametrize(
    ("username", "handle"),
    [
        ("zoe", "zoe"),
        ("Ada.Lovelace", "ada-lovelace"),
        ("__bo__", "bo"),
        ("cy--di", "cy-di"),
        ("Zoë", "zoe"),
        ("ﬁona", "fiona"),  # a ligature, folded
        ("Mr. T 😀", "mr-t"),
        ("日本語", "member"),
        ("...", "member"),
        ("", "member"),
        ("9lives", "9lives"),
        ("x" * 39 + ".y", "x" * 39),  # cut to 40, then the trailing dash goes
    ],
)
def test_odd_usernames_become_valid_handles(username: str, handle: str) -> None:
    assert groups.member_handle(username) == handle
    assert common.check_handle(handle) == handle


@pytest.mark.parametrize(
    ("username", "name", "expected"),
    [
        ("zoe", "Zoë Example", "Zoë Example"),
        ("zoe", "", "zoe"),  # no display name on Discord: the username
        ("zoe", "   ", "zoe"),
        ("zoe", "bell\x07", "zoe"),  # a control character: the username
        ("日本語", "", "日本語"),
        ("", "", "member"),  # nothing usable: the handle
    ],
)
def test_the_name_falls_back_to_the_username(
    act: Actor, username: str, name: str, expected: str
) -> None:
    assert register(act, username, name).name == expected


@pytest.mark.parametrize(
    "discord_id",
    [
        "123",
        "2000000000000000011234",  # 22 digits
        "20000000000000000x",
        "２００００００００００００００００１",  # full-width digits are digits to isdigit()
        f"{ZOE}\n",
        "",
    ],
)
def test_an_invalid_discord_id_is_refused_and_nothing_changes(
    act: Actor, db: Db, discord_id: str
) -> None:
    refused(
        db, errors.InvalidInput, "is not a Discord user id", register, act, "zoe", "Zoë", discord_id
    )


def test_linking_takes_ascii_digits_only(act: Actor, db: Db) -> None:
    refused(
        db,
        errors.InvalidInput,
        "is not a Discord user id",
        act,
        groups.link_person,
        "root",
        T0,
        groups.LinkPerson("ivy", discord_id="２" * 18),
    )


def test_a_registration_shows_on_the_ledger_page_only(act: Actor) -> None:
    assert scope_of([("zoe", "person.registered")], ["core"]) == Scope(indexes=False)
    before = render(act.store)
    register(act, "zoe", "Zoë", at=T0)
    after = render(act.store)
    assert set(after) == set(before)
    # the ledger's page and its month file, which holds the new entry
    assert sorted(p for p in after if after[p] != before[p]) == [
        "ledger/2027-01.jsonl",
        "ledger/README.md",
    ]


# --- people.yaml never clobbers a registered member ----------------------------------------------


def sync(store: Store, directory: Path, at=T0 + D) -> list[str]:
    """Sync the charters; the conflicts the sync recorded."""
    assert wiring.sync_charters(store, directory, at) is True
    with store.read() as uow:
        entry = (
            uow.session.execute(
                sa.text(
                    "SELECT payload FROM ledger WHERE action = 'charters.synced' "
                    "ORDER BY seq DESC LIMIT 1"
                )
            )
            .scalars()
            .one()
        )
    conflicts: list[str] = json.loads(entry)["conflicts"]
    return conflicts


def person(act: Actor, handle: str) -> groups.PersonView:
    return next(p for p in act.read(groups.list_people) if p.handle == handle)


def test_a_people_yaml_entry_with_a_registered_members_discord_id_is_a_conflict(
    act: Actor, store: Store, charters_dir: Path
) -> None:
    register(act, "zoe", "Zoë")
    (charters_dir / "people.yaml").write_text(
        people_yaml(PEOPLE) + f'  - {{handle: zed, name: Zed, discord_id: "{ZOE}"}}\n'
    )
    conflicts = sync(store, charters_dir)
    assert conflicts == [
        f"zed: discord_id {ZOE} is linked to zoe; not applied. If they are the same person, "
        "give the entry the handle zoe"
    ]
    assert person(act, "zoe") == groups.PersonView("zoe", "Zoë", None, ZOE)
    assert person(act, "zed").discord_id is None


def test_a_people_yaml_entry_with_a_registered_members_handle_is_withheld(
    act: Actor, store: Store, charters_dir: Path, db: Db
) -> None:
    register(act, "zoe", "Zoë")
    # Someone else called zoe is listed, and made a member of core in the same change.
    (charters_dir / "people.yaml").write_text(
        people_yaml(PEOPLE) + "  - {handle: zoe, name: Zoe Other, github: zoe-other}\n"
    )
    core = charter(
        "core",
        kind="committee",
        membership="approval",
        chairs=["ada"],
        members=["bo", "cy", "di", "ed", "zoe"],
        observers=["hal"],
    )
    (charters_dir / "core.md").write_text(core)
    conflicts = sync(store, charters_dir)
    assert conflicts == [
        "zoe: the handle belongs to a member who registered through Discord "
        f"(Discord id {ZOE}); not applied. Give the entry another handle, or add "
        f'discord_id: "{ZOE}" to it if it is the same person',
        "core: zoe was not made member: their people.yaml entry was not applied",
    ]
    assert person(act, "zoe") == groups.PersonView("zoe", "Zoë", None, ZOE)
    roster = [m.handle for m in act.read(groups.show_group, "core").roster]
    assert "zoe" not in roster  # the Discord member got no vote from someone else's entry

    # The entry names her Discord id: the same person, listed now. The unchanged core.md
    # gives her the role it withheld.
    (charters_dir / "people.yaml").write_text(
        people_yaml(PEOPLE)
        + f'  - {{handle: zoe, name: Zoe Other, github: zoe-other, discord_id: "{ZOE}"}}\n'
    )
    assert sync(store, charters_dir, T0 + 2 * D) == []
    assert person(act, "zoe") == groups.PersonView("zoe", "Zoe Other", "zoe-other", ZOE)
    roster = [m.handle for m in act.read(groups.show_group, "core").roster]
    assert "zoe" in roster
    revised = json.loads(
        db.query("SELECT payload FROM ledger WHERE action = 'charters.synced' ORDER BY seq")[-1][0]
    )
    assert revised["roster_changes"] == [{"group": "core", "person": "zoe", "role": "member"}]
    # From now on the entry is people.yaml's like any other: unrelated edits leave her alone.
    path = charters_dir / "docs.md"
    path.write_text(path.read_text() + "\nMore.\n")
    assert sync(store, charters_dir, T0 + 3 * D) == []
    assert "zoe" in [m.handle for m in act.read(groups.show_group, "core").roster]


# --- threads -------------------------------------------------------------------------------------


def link(act: Actor, ref: str, thread: str, actor: str = "bo", at=T0) -> rfcs.RfcRef:
    return act(rfcs.link_thread, actor, at, rfcs.LinkThread(ref, thread))


def test_an_rfc_is_linked_to_its_thread(act: Actor, db: Db) -> None:
    ref = propose(act)
    linked = link(act, ref, THREAD)
    assert (linked.rfc, linked.status) == (ref, "discussion")
    assert db.query("SELECT discord_thread_id FROM rfcs") == [(THREAD,)]
    before = db.snapshot()
    assert link(act, ref, THREAD, at=T0 + H) == linked  # the same thread: nothing changes
    assert db.snapshot() == before
    link(act, ref, OTHER_THREAD, actor="ada", at=T0 + 2 * H)  # a chair moves it
    assert db.query("SELECT discord_thread_id FROM rfcs") == [(OTHER_THREAD,)]
    assert ledger(db, "rfc.thread-linked") == [
        ("bo", ref, {"discord": THREAD, "previous": None}),
        ("ada", ref, {"discord": OTHER_THREAD, "previous": THREAD}),
    ]
    with act.store.read() as uow:
        found = rfcs.rfc_of_thread(uow, OTHER_THREAD)
        assert found is not None and found.number == 1
        assert rfcs.rfc_of_thread(uow, THREAD) is None


def test_govbot_and_admins_may_link_a_thread(act: Actor) -> None:
    ref = propose(act)
    assert link(act, ref, THREAD, actor=common.SYSTEM).rfc == ref
    assert link(act, ref, OTHER_THREAD, actor="root").rfc == ref


@pytest.mark.parametrize(
    ("actor", "thread", "error", "message"),
    [
        ("bo", "123", errors.InvalidInput, "'123' is not a Discord thread id"),
        ("bo", "３" * 18, errors.InvalidInput, "is not a Discord thread id"),
        ("bo", OTHER_THREAD, errors.Conflict, f"{OTHER_THREAD} already carries RFC-0002"),
        (
            "cy",
            THREAD,
            errors.PermissionDenied,
            "Only the author of RFC-0001, a chair of core or a foundation admin",
        ),
        ("nobody", THREAD, errors.NotFound, "No person with handle 'nobody'"),
    ],
)
def test_thread_link_refusals_change_nothing(
    act: Actor, db: Db, actor: str, thread: str, error: type[Exception], message: str
) -> None:
    ref = propose(act)
    link(act, propose(act, "cy"), OTHER_THREAD, actor="cy")
    refused(db, error, message, link, act, ref, thread, actor)


def test_the_rfc_page_names_the_thread_without_a_server(act: Actor) -> None:
    ref = propose(act)
    link(act, ref, THREAD)
    page = render(act.store)["rfcs/0001-caption-format.md"]
    assert f"| Discussion | Discord thread {THREAD} |" in page
    assert f"| `bo` | linked the Discord thread: {THREAD} |" in page
    assert "discord.com" not in page


def test_the_rfc_page_links_the_thread_on_the_foundations_server(
    act: Actor, store: Store, charters_dir: Path, db: Db
) -> None:
    (charters_dir / "foundation.yaml").write_text(FOUNDATION + f'discord: {{guild: "{GUILD}"}}\n')
    wiring.sync_charters(store, charters_dir, T0 - H)
    assert db.query("SELECT discord FROM foundation") == [({"guild": GUILD},)]
    ref = propose(act)
    link(act, ref, THREAD)
    full = render(store)
    page = full["rfcs/0001-caption-format.md"]
    assert (
        f"| Discussion | [Discord thread](https://discord.com/channels/{GUILD}/{THREAD}) |" in page
    )
    # The link shows on the RFC's page only: a scoped render redoes that page, and alike.
    scope = scope_of([(ref, "rfc.thread-linked")], ["core", "docs"])
    assert scope == Scope(rfcs=frozenset({1}), indexes=False)
    scoped = render(store, scope)
    assert set(scoped) == {
        "ledger/2027-01.jsonl",
        "ledger/README.md",
        "ledger/verify.py",
        "rfcs/0001-caption-format.md",
    }
    assert all(scoped[p] == full[p] for p in scoped)


def test_without_a_server_the_foundation_stores_none(db: Db, store: Store) -> None:
    assert db.query("SELECT discord FROM foundation") == [({},)]


# --- reminders -----------------------------------------------------------------------------------


def open_vote(act: Actor, ref: str, at=T0) -> None:
    act(rfcs.open_vote, "ada", at, rfcs.OpenVote(ref))


def cast(act: Actor, ref: str, who: str, choice: str, at) -> None:
    act(rfcs.cast_ballot, who, at, rfcs.CastBallot(ref, choice))


def tick(store: Store, at) -> ticks.TickReport:
    with store.write() as uow:
        return ticks.tick(uow, at)


def reminders_listed(store: Store) -> dict[str, Any]:
    with store.read() as uow:
        return {d.key: d.at for d in ticks.deadlines(uow) if d.key.endswith(":reminder")}


def reminded_at(db: Db) -> list[Any]:
    return [r[0] for r in db.query("SELECT reminded_at FROM votes ORDER BY id")]


@pytest.fixture
def voting(act: Actor) -> str:
    """RFC-0001 under a 7-day vote opened at T0 (closes T0 + 7d); ada and bo voted."""
    ref = propose(act)
    open_vote(act, ref)
    cast(act, ref, "ada", "yes", T0 + H)
    cast(act, ref, "bo", "no", T0 + H)
    return ref


def test_electors_are_reminded_a_day_before_the_deadline(
    act: Actor, store: Store, db: Db, voting: str
) -> None:
    assert timedelta(hours=24) == ticks.REMINDER_LEAD
    assert reminders_listed(store) == {"vote:1:reminder": T0 + 6 * D}
    assert not tick(store, T0 + 6 * D - timedelta(seconds=1)).changed
    report = tick(store, T0 + 6 * D)
    expected = {"rfc": voting, "vote": 1, "closes_at": "2027-01-11T10:00:00Z", "waiting": 3}
    assert report.changed
    assert (report.reminded, report.closed_votes) == ([expected], [])
    assert ledger(db, "vote.reminded") == [(common.SYSTEM, voting, expected)]
    assert reminded_at(db) == [T0 + 6 * D]
    assert reminders_listed(store) == {}  # sent: the scheduler has nothing more to fire
    assert not tick(store, T0 + 6 * D + H).changed  # at most once
    assert tick(store, T0 + 7 * D).closed_votes == [{"rfc": voting, "outcome": "no-quorum"}]
    assert len(ledger(db, "vote.reminded")) == 1


def test_a_restart_does_not_remind_again(act: Actor, store: Store, db: Db, voting: str) -> None:
    tick(store, T0 + 6 * D)
    store.close()
    again = Store.open(db.url)  # a new process on the same record
    try:
        assert reminders_listed(again) == {}
        assert not tick(again, T0 + 6 * D + H).changed
    finally:
        again.close()
    assert len(ledger(db, "vote.reminded")) == 1


def test_a_late_tick_still_reminds_before_the_deadline_but_not_after(
    act: Actor, store: Store, db: Db, voting: str
) -> None:
    other = propose(act, "cy", at=T0 + 2 * H)
    open_vote(act, other, at=T0 + 2 * H)  # closes two hours after the first
    # The scheduler was down; it comes back between the two deadlines.
    late = T0 + 7 * D + timedelta(minutes=30)
    report = tick(store, late)
    assert report.closed_votes == [{"rfc": voting, "outcome": "no-quorum"}]
    assert [r["rfc"] for r in report.reminded] == [other]  # only the vote still open
    assert [entry[1] for entry in ledger(db, "vote.reminded")] == [other]
    assert reminded_at(db) == [None, late]


def test_waiting_electors_are_those_without_a_ballot(act: Actor, voting: str) -> None:
    cast(act, voting, "hal", "yes", T0 + 2 * H)  # an observer: non-binding
    cast(act, voting, "ivy", "yes", T0 + 2 * H)  # outside the group
    cast(act, voting, "cy", "abstain", T0 + 2 * H)  # an abstention is a ballot
    with act.store.read() as uow:
        vote = rfcs.latest_vote(uow, common.rfc(uow, voting))
        assert vote is not None
        waiting = rfcs.waiting_electors(uow, vote)
    # Front ends read the people after the read has ended (to mention them on Discord).
    assert [(p.handle, p.discord_id) for p in waiting] == [
        ("di", "100000000000000004"),
        ("ed", "100000000000000005"),
    ]
    assert tick(act.store, T0 + 6 * D).reminded[0]["waiting"] == 2


def test_the_rfc_history_shows_the_reminder(act: Actor, store: Store, voting: str) -> None:
    tick(store, T0 + 6 * D)
    full = render(store)
    page = full["rfcs/0001-caption-format.md"]
    assert "| 2027-01-10 10:00 UTC | `govbot` | reminder sent: 3 electors had not voted |" in page
    scope = scope_of([(voting, "vote.reminded")], ["core", "docs"])
    assert scope == Scope(rfcs=frozenset({1}), indexes=False)
    scoped = render(store, scope)
    assert all(scoped[p] == full[p] for p in scoped)


def raise_concern(act: Actor, ref: str, at) -> int:
    return act(rfcs.raise_concern, "cy", at, rfcs.RaiseConcern(ref, "Unclear")).concern_id


def resolve(act: Actor, ref: str, concern: int, at) -> str | None:
    done = act(rfcs.resolve_concern, "cy", at, rfcs.ResolveConcern(ref, concern))
    return done.closes_at


def test_a_paused_vote_is_not_reminded_until_it_resumes(
    act: Actor, store: Store, db: Db, voting: str
) -> None:
    concern = raise_concern(act, voting, T0 + D)  # 6 days left
    assert reminders_listed(store) == {}
    assert not tick(store, T0 + 6 * D).changed
    assert not tick(store, T0 + 20 * D).changed
    assert resolve(act, voting, concern, T0 + 30 * D) == "2027-02-09T10:00:00Z"
    assert reminders_listed(store) == {"vote:1:reminder": T0 + 35 * D}
    assert not tick(store, T0 + 35 * D - H).changed
    assert tick(store, T0 + 35 * D).reminded[0]["closes_at"] == "2027-02-09T10:00:00Z"


def test_a_vote_is_reminded_once_even_if_paused_and_resumed(
    act: Actor, store: Store, db: Db, voting: str
) -> None:
    tick(store, T0 + 6 * D)
    concern = raise_concern(act, voting, T0 + 6 * D + H)
    closes_at = resolve(act, voting, concern, T0 + 8 * D)  # the 72h minimum: T0 + 11d
    assert closes_at == "2027-01-15T10:00:00Z"
    assert reminders_listed(store) == {}
    assert not tick(store, T0 + 10 * D).changed
    assert not tick(store, T0 + 10 * D + 12 * H).changed
    assert len(ledger(db, "vote.reminded")) == 1
    assert reminded_at(db) == [T0 + 6 * D]


@pytest.fixture
def foundation_with(tmp_path: Path, open_store: Callable[[], Store]) -> Callable[[str], Actor]:
    """A foundation whose group ``core`` (chair ada, members bo, cy) has these policies."""

    def make(policies_: str) -> Actor:
        directory = write_charters(
            tmp_path / "c",
            core=charter("core", chairs=["ada"], members=["bo", "cy"], policies=policies_),
        )
        store = open_store()
        wiring.sync_charters(store, directory, T0 - D)
        return Actor(store)

    return make


@pytest.mark.parametrize(("duration", "reminder"), [("24h", None), ("90m", None), ("25h", T0 + H)])
def test_a_vote_of_a_day_or_less_gets_no_reminder(
    foundation_with: Callable[[str], Actor], duration: str, reminder: Any
) -> None:
    act = foundation_with(f"default: {{duration: {duration}, min_duration: 1h}}\n")
    ref = propose(act)
    open_vote(act, ref)
    listed = reminders_listed(act.store)
    assert listed == ({} if reminder is None else {"vote:1:reminder": reminder})
    reminded = tick(act.store, T0 + H).reminded
    assert [r["rfc"] for r in reminded] == ([] if reminder is None else [ref])


def test_a_vote_resumed_with_less_than_a_day_left_is_reminded_at_once(
    foundation_with: Callable[[str], Actor],
) -> None:
    act = foundation_with("default: {min_duration: 12h}\n")
    ref = propose(act)
    open_vote(act, ref)
    concern = raise_concern(act, ref, T0 + 6 * D + 12 * H)  # 12 hours left
    assert resolve(act, ref, concern, T0 + 10 * D) == "2027-01-14T22:00:00Z"
    assert tick(act.store, T0 + 10 * D + timedelta(minutes=1)).reminded == [
        {"rfc": ref, "vote": 1, "closes_at": "2027-01-14T22:00:00Z", "waiting": 3}
    ]


def test_no_reminder_when_every_elector_has_voted(
    foundation_with: Callable[[str], Actor],
) -> None:
    act = foundation_with("default: {close_early: false}\n")
    ref = propose(act)
    open_vote(act, ref)
    assert reminders_listed(act.store) == {"vote:1:reminder": T0 + 6 * D}
    for who in ("ada", "bo", "cy"):
        cast(act, ref, who, "yes", T0 + H)
    assert reminders_listed(act.store) == {}  # nobody is left to remind, and never will be
    assert not tick(act.store, T0 + 6 * D).changed


# --- the migration -------------------------------------------------------------------------------


def test_a_0003_record_is_upgraded_with_its_data(db: Db) -> None:
    engine = create_engine(database_url(db.url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    frozen = policies.policy_to_dict(policies.resolve("default", {}, {}))
    tables = sa.MetaData()
    with engine.begin() as connection:
        tables.reflect(connection)
        t = tables.tables
        naive = T0.replace(tzinfo=None)
        connection.execute(
            t["foundation"].insert(),
            {
                "id": 1,
                "name": "Old Foundation",
                "description": "",
                "admins": ["ada"],
                "policies": {},
                "labels": {},
                "docs": {},
                "github": {"close_accepted": True},
                "charters_digest": "d",
                "people_applied": {},
                "synced_at": naive,
            },
        )
        people = [
            {"id": i, "handle": h, "name": h, "created_at": naive}
            for i, h in ((1, "ada"), (2, "bo"))
        ]
        connection.execute(t["people"].insert(), people)
        connection.execute(
            t["groups"].insert(),
            {
                "id": 1,
                "slug": "core",
                "name": "Core",
                "kind": "committee",
                "membership_policy": "open",
                "charter": {},
                "body": "",
                "charter_path": "core.md",
                "charter_sha256": "s",
                "created_at": naive,
                "updated_at": naive,
            },
        )
        connection.execute(
            t["rfcs"].insert(),
            {
                "id": 1,
                "number": 1,
                "group_id": 1,
                "title": "Old",
                "body": "Text.",
                "author_id": 1,
                "status": "voting",
                "created_at": naive,
                "updated_at": naive,
            },
        )
        connection.execute(
            t["votes"].insert(),
            {
                "id": 1,
                "rfc_id": 1,
                "group_id": 1,
                "policy_name": "default",
                "policy": frozen,
                "electorate": ["ada", "bo"],
                "state": "open",
                "opened_at": naive,
                "opened_by_id": 1,
                "closes_at": naive + 7 * D,
            },
        )
        connection.execute(
            t["ballots"].insert(),
            {"vote_id": 1, "person_id": 1, "choice": "yes", "binding": True, "cast_at": naive},
        )
        connection.execute(
            t["checkpoints"].insert(), {"name": "github:ledger", "seq": 0, "at": naive}
        )
    engine.dispose()

    store = Store.open(db.url)  # opening migrates
    try:
        assert db.query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
        assert db.query("SELECT github, discord FROM foundation") == [
            ({"close_accepted": True}, {})
        ]
        assert db.query("SELECT name, value FROM checkpoints") == [("github:ledger", "")]
        assert db.query("SELECT reminded_at FROM votes") == [(None,)]
        assert db.query("SELECT count(*) FROM discord_posts") == [(0,)]
        # The old open vote is reminded like a new one, its waiting elector counted.
        report = tick(store, T0 + 6 * D)
        assert report.reminded == [
            {"rfc": "RFC-0001", "vote": 1, "closes_at": "2027-01-11T10:00:00Z", "waiting": 1}
        ]
    finally:
        store.close()
