"""The ledger on a real database: one entry per change, chained, and tampering is found."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from governance import ledger
from governance.services import rfcs
from governance.store import Store, ledger_entries
from tests.conftest import T0, Actor

H = timedelta(hours=1)


def verify(store: Store) -> ledger.Verification:
    with store.read() as uow:
        return ledger.verify(ledger_entries(uow.session))


def history(act: Actor) -> None:
    ref = act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "Title", "Body")).rfc
    act(rfcs.open_vote, "ada", T0 + H, rfcs.OpenVote(ref))
    act(rfcs.cast_ballot, "bo", T0 + 2 * H, rfcs.CastBallot(ref, "yes"))
    act(rfcs.cast_ballot, "cy", T0 + 3 * H, rfcs.CastBallot(ref, "no"))


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT seq, actor, action, subject, payload FROM ledger ORDER BY seq"
        ).fetchall()


def test_every_change_is_one_chained_entry(act: Actor, store: Store, db_path: Path) -> None:
    history(act)
    entries = rows(db_path)
    assert [(e[1], e[2], e[3]) for e in entries] == [
        ("govbot", "charters.synced", "charters"),
        ("bo", "rfc.proposed", "RFC-0001"),
        ("ada", "vote.opened", "RFC-0001"),
        ("bo", "ballot.cast", "RFC-0001"),
        ("cy", "ballot.cast", "RFC-0001"),
    ]
    assert json.loads(entries[3][4])["choice"] == "yes"
    result = verify(store)
    assert result.ok and result.entries == 5
    with sqlite3.connect(db_path) as conn:
        chain = conn.execute("SELECT prev_hash, hash FROM ledger ORDER BY seq").fetchall()
    assert chain[0][0] == ledger.GENESIS
    assert all(chain[i][0] == chain[i - 1][1] for i in range(1, len(chain)))
    assert result.head == chain[-1][1]


def test_edited_payload_is_named(act: Actor, store: Store, db_path: Path) -> None:
    history(act)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE ledger SET payload = replace(payload, 'no', 'yes') WHERE seq = 5")
    result = verify(store)
    assert (result.ok, result.broken_at, result.entries) == (False, 5, 4)
    assert "do not match its hash" in (result.problem or "")


def test_edited_time_or_actor_is_named(act: Actor, store: Store, db_path: Path) -> None:
    history(act)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE ledger SET actor = 'ada' WHERE seq = 4")
    assert verify(store).broken_at == 4


def test_deleted_entry_is_named(act: Actor, store: Store, db_path: Path) -> None:
    history(act)
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM ledger WHERE seq = 3")
    result = verify(store)
    assert result.broken_at == 4
    assert "sequence jumps from 2 to 4" in (result.problem or "")


def test_rehashed_entry_breaks_the_next_link(act: Actor, store: Store, db_path: Path) -> None:
    """A forger who recomputes the edited entry's own hash is still caught by the next one."""
    history(act)
    with sqlite3.connect(db_path) as conn:
        seq, at, actor, action, subject, payload, prev = conn.execute(
            "SELECT seq, at, actor, action, subject, payload, prev_hash FROM ledger WHERE seq = 4"
        ).fetchone()
        forged = payload.replace('"yes"', '"no"')
        from datetime import datetime

        from governance.clock import as_utc

        new_hash = ledger.entry_hash(
            seq, as_utc(datetime.fromisoformat(at)), actor, action, subject, forged, prev
        )
        conn.execute("UPDATE ledger SET payload = ?, hash = ? WHERE seq = 4", (forged, new_hash))
    result = verify(store)
    assert result.broken_at == 5
    assert "prev_hash" in (result.problem or "")
