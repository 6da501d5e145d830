"""Migrations: an empty database becomes the current schema, and the models never drift from it."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from governance.store import HEAD_REVISION, MIGRATIONS, Store, upgrade
from tests.conftest import Db

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
    "published_pages",
    "publications",
}


def test_head_constant_matches_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_empty_file_is_migrated_on_open(db: Db) -> None:
    assert db.tables() == []
    store = Store.open(db.url)
    try:
        assert set(db.tables()) >= TABLES
        assert db.query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
        if db.is_sqlite:
            assert db.query("PRAGMA journal_mode") == [("wal",)]
        assert upgrade(store.engine) is False  # a second run has nothing to do
    finally:
        store.close()


def test_models_match_the_migrations(db: Db) -> None:
    store = Store.open(db.url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        store.close()
    assert diff == []


def test_connection_pragmas(tmp_path: Path) -> None:
    """SQLite's own settings: a SQLite file on every run."""
    store = Store.open(tmp_path / "p.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
