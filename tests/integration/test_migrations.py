"""Migrations: an empty file becomes the current schema, and the models never drift from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from governance.store import HEAD_REVISION, MIGRATIONS, Store, upgrade

TABLES = {
    "alembic_version",
    "foundation",
    "people",
    "groups",
    "charter_revisions",
    "memberships",
    "join_requests",
    "rfcs",
    "concerns",
    "votes",
    "ballots",
    "ballot_history",
    "elections",
    "ranked_ballots",
    "ledger",
    "outbox",
}


def test_head_constant_matches_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_empty_file_is_migrated_on_open(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    store = Store.open(db)
    with sqlite3.connect(db) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert names >= TABLES
    assert upgrade(store.engine) is False  # a second run has nothing to do


def test_models_match_the_migrations(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "m.db")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_connection_pragmas(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
