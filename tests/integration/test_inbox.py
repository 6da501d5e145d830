"""Received deliveries: stored once per key, and stored together when they arrive together."""

from __future__ import annotations

import asyncio

from bot.web import Receiver
from governance import inbox
from governance.store import Store
from tests.conftest import T0, Db


def arrival(key: str, n: int = 0) -> inbox.Arrival:
    return inbox.Arrival("github", key, "issue_comment", {"n": n}, T0)


def test_a_key_is_stored_once_in_and_across_batches(store: Store, db: Db) -> None:
    first = inbox.receive_many(store, [arrival("a"), arrival("b"), arrival("a", 1)])
    assert [r.new for r in first] == [True, True, False] and first[0].id == first[2].id
    again = inbox.receive_many(store, [arrival("b", 2), arrival("c")])
    assert [r.new for r in again] == [False, True] and again[0].id == first[1].id
    rows = db.query("SELECT key, payload, state FROM deliveries ORDER BY id")
    assert rows == [
        ("a", {"n": 0}, "pending"),
        ("b", {"n": 0}, "pending"),
        ("c", {"n": 0}, "pending"),
    ]
    assert inbox.pending(store, T0) == [first[0].id, first[1].id, again[1].id]


def test_deliveries_arriving_together_share_one_commit(store: Store, db: Db) -> None:
    receiver = Receiver(store)

    async def burst() -> list[inbox.Received]:
        keys = [f"k{i % 40}" for i in range(50)]  # ten of them redelivered at once
        return await asyncio.gather(*(receiver.receive(arrival(k)) for k in keys))

    answers = asyncio.run(burst())
    assert sum(a.new for a in answers) == 40 and len({a.id for a in answers}) == 40
    assert receiver.commits == 1
    assert db.query("SELECT count(*) FROM deliveries") == [(40,)]
