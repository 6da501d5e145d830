"""The renderer benchmark's synthetic history, at a small scale, so the generator cannot rot.

It must stay a record the services could have written: the ledger verifies, every audit check
passes, the counts are the ones asked for, and the services keep working on top of it.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

from governance.services import rfcs, ticks
from governance.store import Store

# bench/ is a directory of scripts that import each other as top-level modules (mypy names
# bench/history.py "history"); a static ``from bench import history`` would name it twice.
history = importlib.import_module("bench.history")


def test_smoke_history_is_a_record_the_services_could_have_written(tmp_path: Path) -> None:
    scale = history.SMOKE
    summary = history.generate(tmp_path / "history.db", scale)

    counts = summary.counts
    assert counts["groups"] == scale.groups
    assert counts["people"] == scale.people
    assert counts["rfcs"] == scale.rfcs
    assert counts["ballots"] == scale.ballots
    assert counts["elections"] == scale.elections
    assert counts["ballot_history"] >= counts["ballots"]
    assert counts["ledger"] > counts["ballot_history"]
    assert summary.outcomes["votes open"] == scale.open_votes
    assert summary.outcomes["votes paused"] == 1
    assert [v.state for v in summary.open_votes].count("open") == scale.open_votes

    store = Store.open(tmp_path / "history.db")
    try:
        assert history.verify(store).ok
        assert history.audit(store) == []

        vote = next(v for v in summary.open_votes if v.state == "open" and v.not_voted)
        later = history.NOW + timedelta(minutes=1)
        with store.write() as uow:
            cast = rfcs.cast_ballot(uow, vote.not_voted[0], later, rfcs.CastBallot(vote.rfc, "yes"))
        assert cast.binding and cast.changed and cast.status.state == "open"
        with store.write() as uow:
            assert not ticks.tick(uow, later).changed
        verified = history.verify(store)
        assert verified.ok and verified.entries == counts["ledger"] + 1
        assert history.audit(store, later) == []
    finally:
        store.close()


def test_the_same_seed_gives_the_same_history(tmp_path: Path) -> None:
    heads = []
    for name in ("a.db", "b.db"):
        history.generate(tmp_path / name, history.SMOKE, seed=7)
        store = Store.open(tmp_path / name)
        try:
            heads.append(history.verify(store).head)
        finally:
            store.close()
    assert heads[0] == heads[1]
    history.generate(tmp_path / "c.db", history.SMOKE, seed=8)
    store = Store.open(tmp_path / "c.db")
    try:
        assert history.verify(store).head != heads[0]
    finally:
        store.close()
