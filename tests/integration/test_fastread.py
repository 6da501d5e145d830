"""The console's plain-sqlite3 read of a vote answers exactly as the services do, or not at all.

That read path exists only for SQLite files, so this module's record is one whatever the run's
backend: its own ``db`` and ``store`` fixtures stand in for the shared ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import wiring
from governance import fastread
from governance.clock import utcnow
from governance.digest import charters_digest
from governance.services import rfcs
from governance.store import Store
from tests.conftest import T0, Actor, Db

H = timedelta(hours=1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Db]:
    sqlite = Db.sqlite_file(tmp_path / "govbot.db")
    yield sqlite
    sqlite.dispose()


@pytest.fixture
def store(db: Db, charters_dir: Path) -> Iterator[Store]:
    opened = Store.open(db.path)
    wiring.sync_charters(opened, charters_dir, T0 - timedelta(days=1))
    yield opened
    opened.close()


def both(act: Actor, db: Path, charters: Path, at) -> tuple[object, object]:
    fast = fastread.vote_status(db, charters_digest(charters), "RFC-0001", at)
    full = act.read(rfcs.vote_status, "RFC-0001", at)
    return fast, full


@pytest.fixture
def voting(act: Actor) -> Actor:
    act(rfcs.propose_rfc, "bo", T0 - H, rfcs.ProposeRfc("core", "T", "B"))
    act(rfcs.open_vote, "ada", T0, rfcs.OpenVote("RFC-0001"))
    act(rfcs.cast_ballot, "bo", T0 + H, rfcs.CastBallot("RFC-0001", "yes"))
    act(rfcs.cast_ballot, "hal", T0 + H, rfcs.CastBallot("RFC-0001", "no"))
    return act


def test_open_vote_matches(voting: Actor, db: Db, charters_dir: Path) -> None:
    fast, full = both(voting, db.path, charters_dir, T0 + 2 * H)
    assert fast is not None and fast == full


def test_paused_and_closed_votes_match(voting: Actor, db: Db, charters_dir: Path) -> None:
    voting(rfcs.raise_concern, "cy", T0 + 2 * H, rfcs.RaiseConcern("RFC-0001", "Unclear"))
    fast, full = both(voting, db.path, charters_dir, T0 + 3 * H)
    assert fast is not None and fast == full and full.state == "paused"  # type: ignore[attr-defined]
    voting(rfcs.resolve_concern, "cy", T0 + 4 * H, rfcs.ResolveConcern("RFC-0001", 1))
    for who in ("ada", "cy"):  # with bo: 3 yes of 5, decided after min_duration
        voting(rfcs.cast_ballot, who, T0 + 100 * H, rfcs.CastBallot("RFC-0001", "yes"))
    fast, full = both(voting, db.path, charters_dir, T0 + 101 * H)
    assert fast is not None and fast == full and full.state == "closed"  # type: ignore[attr-defined]


def test_cancelled_vote_matches(voting: Actor, db: Db, charters_dir: Path) -> None:
    voting(rfcs.cancel_vote, "ada", T0 + 2 * H, rfcs.CancelVote("RFC-0001", "Wrong policy"))
    fast, full = both(voting, db.path, charters_dir, T0 + 3 * H)
    assert fast is not None and fast == full and full.reason == "Wrong policy"  # type: ignore[attr-defined]


def test_a_due_vote_is_shown_due_as_the_full_path_shows_it(
    voting: Actor, db: Db, charters_dir: Path
) -> None:
    before = db.snapshot()
    fast, full = both(voting, db.path, charters_dir, T0 + 7 * 24 * H)
    assert fast is not None and fast == full
    assert (full.state, full.due, full.due_outcome) == ("open", True, "no-quorum")  # type: ignore[attr-defined]
    assert db.snapshot() == before  # neither path closed it: only a tick does


def test_a_time_ahead_of_the_clock_on_a_live_record_takes_the_full_path(
    voting: Actor, db: Db, charters_dir: Path
) -> None:
    digest = charters_digest(charters_dir)
    later = max(T0, utcnow()) + timedelta(days=365)  # ahead of the real clock, whenever run
    assert fastread.vote_status(db.path, digest, "1", later) is not None  # made with times
    db.execute(
        "INSERT INTO checkpoints (name, seq, at, value) VALUES ('record:live', 1, ?, '')", T0
    )
    assert fastread.vote_status(db.path, digest, "1", later) is None  # which refuses it


def test_changed_charters_take_the_full_path(voting: Actor, db: Db, charters_dir: Path) -> None:
    (charters_dir / "docs.md").write_text((charters_dir / "docs.md").read_text() + "\nMore.\n")
    assert fastread.vote_status(db.path, charters_digest(charters_dir), "1", T0 + 2 * H) is None


def test_old_schema_or_missing_file_take_the_full_path(
    voting: Actor, store: Store, db: Db, charters_dir: Path, tmp_path: Path
) -> None:
    digest = charters_digest(charters_dir)
    assert fastread.vote_status(tmp_path / "absent.db", digest, "1", T0) is None
    assert fastread.vote_status(db.path, digest, "RFC-0099", T0 + 2 * H) is None
    db.execute("UPDATE alembic_version SET version_num = '0000'")
    assert fastread.vote_status(db.path, digest, "1", T0 + 2 * H) is None
