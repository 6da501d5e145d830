"""``ledger verify`` replays the ledger and compares every table: an edit made past govbot is named.

The record is the scenario's (every vote state, a secret vote, a concern, an election), built
through the services on a real database; each edit is made with raw SQL, as someone with the
database could, and must come back as the table, the row's natural key and the field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import run
from governance import ledger, replay
from governance.store import Store
from tests.conftest import Db
from tests.integration import scenario


@pytest.fixture
def built(tmp_path: Path, open_store: Callable[[], Store]) -> Iterator[scenario.Built]:
    yield scenario.build(tmp_path, open_store)


def compare(store: Store) -> replay.Comparison:
    with store.read() as uow:
        return replay.compare(uow.session)


def found(store: Store) -> list[tuple[str, str, str | None, object, object]]:
    return [(d.table, d.key, d.field, d.ledger, d.table_value) for d in compare(store).differences]


def vote_of(db: Db, number: int) -> int:
    [(vote_id,)] = db.query(
        "SELECT v.id FROM votes v JOIN rfcs r ON r.id = v.rfc_id WHERE r.number = ?", number
    )
    return int(vote_id)


BALLOT = (
    "vote_id = (SELECT v.id FROM votes v JOIN rfcs r ON r.id = v.rfc_id WHERE r.number = ?) "
    "AND person_id = (SELECT id FROM people WHERE handle = ?)"
)


def test_an_intact_record_matches_the_ledger_in_every_table(built: scenario.Built) -> None:
    result = compare(built.store)
    assert result.differences == []
    assert result.tables == list(replay.TABLES)
    assert result.unchecked == [] and result.predating == []
    assert result.ok and result.rows > 50


def test_an_edited_ballot_choice_is_named(built: scenario.Built, db: Db) -> None:
    db.execute(f"UPDATE ballots SET choice = 'yes' WHERE {BALLOT}", 2, "cy")
    assert found(built.store) == [
        ("ballots", f"vote {vote_of(db, 2)}, person cy", "choice", "no", "yes")
    ]


def test_an_edited_secret_ballot_does_not_open_its_commitment(
    built: scenario.Built, db: Db
) -> None:
    db.execute(f"UPDATE ballots SET choice = 'yes' WHERE {BALLOT}", 4, "ed")
    db.execute(f"UPDATE ballot_history SET choice = 'yes' WHERE {BALLOT}", 4, "ed")
    vote = vote_of(db, 4)
    differences = compare(built.store).differences
    assert [(d.table, d.key, d.field, d.table_value) for d in differences] == [
        ("ballots", f"vote {vote}, person ed", "choice", "yes"),
        ("ballot_history", f"vote {vote}, person ed, #1", "choice", "yes"),
    ]
    assert all(str(d.ledger).startswith("the choice it committed to (") for d in differences)
    assert '"no"' not in json.dumps([d.to_json() for d in differences])  # the secret stays


def test_an_edited_membership_role_is_named(built: scenario.Built, db: Db) -> None:
    db.execute(
        "UPDATE memberships SET role = 'chair' WHERE person_id = "
        "(SELECT id FROM people WHERE handle = 'bo') AND group_id = "
        "(SELECT id FROM groups WHERE slug = 'core')"
    )
    assert found(built.store) == [("memberships", "core, bo, #1", "role", "member", "chair")]


def test_an_edited_rfc_status_is_named(built: scenario.Built, db: Db) -> None:
    db.execute("UPDATE rfcs SET status = 'discussion' WHERE number = 5")
    assert found(built.store) == [("rfcs", "RFC-0005", "status", "withdrawn", "discussion")]


def test_an_edited_vote_deadline_is_named(built: scenario.Built, db: Db) -> None:
    vote = vote_of(db, 6)
    [(closes_at,)] = db.query("SELECT closes_at FROM votes WHERE id = ?", vote)
    later = closes_at.replace(day=closes_at.day + 1)
    db.execute("UPDATE votes SET closes_at = ? WHERE id = ?", later.replace(tzinfo=None), vote)
    assert found(built.store) == [("votes", f"vote {vote}", "closes_at", closes_at, later)]
    [line] = [d.line() for d in compare(built.store).differences]
    assert line == (
        f"votes[vote {vote}].closes_at: ledger says {ledger.at_text(closes_at)}, "
        f"table says {ledger.at_text(later)}"
    )


def test_a_deleted_ballot_is_named(built: scenario.Built, db: Db) -> None:
    db.execute(f"DELETE FROM ballots WHERE {BALLOT}", 1, "ed")
    key = f"vote {vote_of(db, 1)}, person ed"
    assert found(built.store) == [("ballots", key, None, "present", "missing")]
    [line] = [d.line() for d in compare(built.store).differences]
    assert line == f"ballots[{key}]: the ledger made this row, the table does not have it"


def test_an_extra_ballot_is_named(built: scenario.Built, db: Db) -> None:
    vote = vote_of(db, 6)
    db.execute(
        "INSERT INTO ballots (vote_id, person_id, choice, binding, cast_at) "
        "SELECT ?, id, 'no', ?, cast_at FROM people, "
        "(SELECT max(cast_at) AS cast_at FROM ballots) latest WHERE handle = 'bo'",
        vote,
        True,
    )
    assert found(built.store) == [
        ("ballots", f"vote {vote}, person bo", None, "missing", "present")
    ]


def test_an_edited_github_login_is_named(built: scenario.Built, db: Db) -> None:
    db.execute("UPDATE people SET github = 'mallory' WHERE handle = 'cy'")
    assert found(built.store) == [("people", "cy", "github", "cy-gh", "mallory")]


def test_an_edited_concern_state_is_named(built: scenario.Built, db: Db) -> None:
    [(concern,)] = db.query("SELECT id FROM concerns")
    db.execute("UPDATE concerns SET state = 'open' WHERE id = ?", concern)
    assert found(built.store) == [
        ("concerns", f"RFC-0003, concern {concern}", "state", "overridden", "open")
    ]


def test_an_edited_election_result_is_named(built: scenario.Built, db: Db) -> None:
    [(result,)] = db.query("SELECT result FROM elections WHERE number = 1")
    edited = {**result, "winners": ["cy"]}
    cast = "?" if db.is_sqlite else "CAST(? AS JSON)"
    db.execute(f"UPDATE elections SET result = {cast} WHERE number = 1", json.dumps(edited))
    assert found(built.store) == [("elections", "E-0001", "result", result, edited)]


def test_a_charter_body_edited_in_the_table_is_caught_by_its_hash(
    built: scenario.Built, db: Db
) -> None:
    db.execute("UPDATE groups SET body = 'A mission nobody agreed to.' WHERE slug = 'docs'")
    [(table, key, name, _, _)] = found(built.store)
    assert (table, key, name) == ("groups", "docs", "content")


NEWER = {
    "foundation",
    "people",
    "groups",
    "body",
    "clock",
    "result",
    "closed_at_exact",
    "closes_at_exact",
    "request",
    "started",
    "paused",
    "resumed",
    "resolved_by",
    "state",
    "election_id",
}


def strip_to_old_payloads(db: Db) -> None:
    """Rewrite the ledger as a govbot from before replayable payloads wrote it, chain and all."""
    rows = db.query("SELECT seq, at, actor, action, subject, payload FROM ledger ORDER BY seq")
    prev = ledger.GENESIS
    for seq, at, actor, action, subject, text in rows:
        payload = {k: v for k, v in json.loads(text).items() if k not in NEWER}
        if payload.pop("commitment", None) is not None:  # secret casts said "secret"
            payload["choice"] = "secret"
        if action == "person.added":
            payload.pop("discord_id", None)
        if action == "rfc.proposed":
            payload.pop("author", None)
        text = ledger.canonical(payload)
        digest = ledger.entry_hash(seq, at, actor, action, subject, text, prev)
        db.execute(
            "UPDATE ledger SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            text,
            prev,
            digest,
            seq,
        )
        prev = digest


def test_an_older_record_says_what_it_could_not_replay(built: scenario.Built, db: Db) -> None:
    strip_to_old_payloads(db)
    db.execute(f"UPDATE ballots SET choice = 'yes' WHERE {BALLOT}", 2, "cy")
    result = compare(built.store)
    assert not result.ok
    assert (result.predating[0].seq, result.predating[0].action) == (1, "charters.synced")
    assert {"people", "groups", "memberships", "rfcs", "ballots.choice"} <= set(result.unchecked)
    assert {"ballots", "ballot_history", "concerns", "elections"} <= set(result.tables)
    # what the old payloads do carry is still compared: a public ballot's choice
    assert [(d.table, d.field) for d in result.differences] == [("ballots", "choice")]
    rc, out, _ = run(["--db", str(db), "ledger", "verify"])
    assert rc == 1
    assert "Ledger intact" in out and "differ from what the ledger says in 1 place" in out
    assert "were written before entries carried everything a replay needs" in out
    assert "tables foundation, people, groups" in out and "ballots.choice" in out


def test_an_older_intact_record_is_never_called_fully_checked(
    built: scenario.Built, db: Db
) -> None:
    strip_to_old_payloads(db)
    rc, out, _ = run(["--db", str(db), "ledger", "verify"])
    assert rc == 1
    assert "every table matches" not in out
    assert "the record cannot be fully replayed" in out


def test_the_console_names_each_difference_and_exits_1(built: scenario.Built, db: Db) -> None:
    rc, out, _ = run(["--db", str(db), "ledger", "verify"])
    assert rc == 0
    assert "Ledger intact: " in out and "every table matches the ledger (13 tables, " in out
    db.execute("UPDATE rfcs SET status = 'accepted' WHERE number = 2")
    db.execute(f"UPDATE ballots SET choice = 'yes' WHERE {BALLOT}", 2, "cy")
    rc, out, _ = run(["--db", str(db), "ledger", "verify"])
    assert rc == 1
    lines = out.strip().split("\n")
    assert "but the tables differ from what the ledger says in 2 places:" in lines[0]
    assert (
        f"  ballots[vote {vote_of(db, 2)}, person cy].choice: ledger says no, table says yes"
        in lines
    )
    assert "  rfcs[RFC-0002].status: ledger says rejected, table says accepted" in lines
    assert "changed outside govbot" in out
    rc, out, _ = run(["--db", str(db), "--json", "ledger", "verify"])
    data = json.loads(out)
    assert rc == 1 and data["ok"] is False and data["broken_at"] is None
    assert {
        "table": "rfcs",
        "key": "RFC-0002",
        "field": "status",
        "ledger": "rejected",
        "table_value": "accepted",
    } in data["differences"]
    assert set(data) >= {"ok", "entries", "head", "broken_at", "problem", "differences"}


def test_the_list_of_differences_is_capped(built: scenario.Built, db: Db) -> None:
    for table in ("ballots", "ballot_history"):
        db.execute(f"UPDATE {table} SET cast_at = ?, binding = NOT binding", "2030-01-01 00:00:00")
    rc, out, _ = run(["--db", str(db), "ledger", "verify"])
    total = len(compare(built.store).differences)
    assert rc == 1 and total > 50
    assert len([line for line in out.split("\n") if line.startswith("  ballot")]) == 50
    assert f"... and {total - 50} more (`ledger verify --json` lists them all)." in out


def test_verify_changes_nothing(built: scenario.Built, db: Db) -> None:
    db.execute(f"UPDATE ballots SET choice = 'yes' WHERE {BALLOT}", 2, "cy")
    before = db.snapshot()
    run(["--db", str(db), "ledger", "verify"])
    assert db.snapshot() == before


def test_replaying_a_long_record_is_fast(built: scenario.Built) -> None:
    """Thousands of entries: each ballot cast and changed through the services, then replayed."""
    from datetime import timedelta

    from governance.services import rfcs

    now = built.now
    with built.store.write() as uow, uow.hold():  # one transaction: the casts, not the fsyncs
        for i in range(1000):
            now += timedelta(seconds=1)
            choice = ("yes", "no")[i % 2]
            rfcs.cast_ballot(uow, "ivy", now, rfcs.CastBallot("RFC-0006", choice))
        uow.session.commit()
    start = time.perf_counter()
    result = compare(built.store)
    took = time.perf_counter() - start
    assert result.ok and result.rows > 1000
    assert took < 2.0, took  # about 0.1 s here; 5,000 entries replay in about 0.4 s


def test_an_edited_secret_ranking_does_not_open_its_commitment(
    built: scenario.Built, db: Db
) -> None:
    from governance.services import elections

    act, now = built.act, built.now
    label = act(
        elections.open_election,
        "ada",
        now,
        elections.OpenElection("core", 1, ("bo", "cy"), title="Secret seat", policy="secret"),
    ).election
    act(elections.rank, "di", now, elections.RankCandidates(label, "bo,cy"))
    assert compare(built.store).differences == []
    cast = "?" if db.is_sqlite else "CAST(? AS JSON)"
    db.execute(
        f"UPDATE ranked_ballots SET ranking = {cast} WHERE person_id = "
        "(SELECT id FROM people WHERE handle = 'di') AND election_id = "
        "(SELECT id FROM elections WHERE number = 2)",
        '[["cy"], ["bo"]]',
    )
    [difference] = compare(built.store).differences
    assert (difference.table, difference.key, difference.field) == (
        "ranked_ballots",
        f"{label}, person di",
        "ranking",
    )
    assert str(difference.ledger).startswith("the ranking it committed to (")
