"""The ledger on a real database: one entry per change, chained, and tampering is found."""

from __future__ import annotations

import json
from datetime import timedelta

from governance import ledger
from governance.services import rfcs
from governance.store import Store, ledger_entries
from tests.conftest import T0, Actor, Db

H = timedelta(hours=1)


def verify(store: Store) -> ledger.Verification:
    with store.read() as uow:
        return ledger.verify(ledger_entries(uow.session))


def history(act: Actor) -> None:
    ref = act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "Title", "Body")).rfc
    act(rfcs.open_vote, "ada", T0 + H, rfcs.OpenVote(ref))
    act(rfcs.cast_ballot, "bo", T0 + 2 * H, rfcs.CastBallot(ref, "yes"))
    act(rfcs.cast_ballot, "cy", T0 + 3 * H, rfcs.CastBallot(ref, "no"))


def rows(db: Db) -> list[tuple]:
    return db.query("SELECT seq, actor, action, subject, payload FROM ledger ORDER BY seq")


def raw_entry(db: Db, seq: int) -> ledger.EntryView:
    """One ledger row as stored, read past the ORM (``Db.query`` gives its time as aware UTC)."""
    [row] = db.query(
        "SELECT seq, at, actor, action, subject, payload, prev_hash, hash "
        "FROM ledger WHERE seq = ?",
        seq,
    )
    return ledger.EntryView(*row)


def test_every_change_is_one_chained_entry(act: Actor, store: Store, db: Db) -> None:
    history(act)
    entries = rows(db)
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
    chain = db.query("SELECT prev_hash, hash FROM ledger ORDER BY seq")
    assert chain[0][0] == ledger.GENESIS
    assert all(chain[i][0] == chain[i - 1][1] for i in range(1, len(chain)))
    assert result.head == chain[-1][1]
    assert raw_entry(db, 5).at == T0 + 3 * H


def test_edited_payload_is_named(act: Actor, store: Store, db: Db) -> None:
    history(act)
    db.execute("UPDATE ledger SET payload = replace(payload, 'no', 'yes') WHERE seq = 5")
    result = verify(store)
    assert (result.ok, result.broken_at, result.entries) == (False, 5, 4)
    assert "do not match its hash" in (result.problem or "")


def test_edited_time_or_actor_is_named(act: Actor, store: Store, db: Db) -> None:
    history(act)
    db.execute("UPDATE ledger SET actor = 'ada' WHERE seq = 4")
    assert verify(store).broken_at == 4


def test_deleted_entry_is_named(act: Actor, store: Store, db: Db) -> None:
    history(act)
    db.execute("DELETE FROM ledger WHERE seq = 3")
    result = verify(store)
    assert result.broken_at == 4
    assert "sequence jumps from 2 to 4" in (result.problem or "")


def test_rehashed_entry_breaks_the_next_link(act: Actor, store: Store, db: Db) -> None:
    """A forger who recomputes the edited entry's own hash is still caught by the next one."""
    history(act)
    entry = raw_entry(db, 4)
    forged = entry.payload.replace('"yes"', '"no"')
    new_hash = ledger.entry_hash(
        entry.seq, entry.at, entry.actor, entry.action, entry.subject, forged, entry.prev_hash
    )
    db.execute("UPDATE ledger SET payload = ?, hash = ? WHERE seq = 4", forged, new_hash)
    result = verify(store)
    assert result.broken_at == 5
    assert "prev_hash" in (result.problem or "")
