"""Shared fixtures: a small foundation on disk and a real record synced from it.

The record is a fresh SQLite file per test, or, when ``GOVBOT_TEST_DATABASE_URL`` names a
PostgreSQL server (a role that may CREATE DATABASE), a fresh database created on it per test and
dropped afterwards. Tests reach the raw rows through ``Db``, which reads the same on both.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from governance.store import Store, database_url

T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)

FOUNDATION = """\
name: Test Foundation
admins: [root]
labels: {rfc: rfc, vote_open: vote/open, group_prefix: wg/}
policies:
  default: {duration: 7d, min_duration: 72h, quorum: 0.5, pass: majority, close_early: true}
  charter-change: {duration: 14d, quorum: 0.66, pass: supermajority}
  election: {duration: 7d, min_duration: 72h, quorum: 0.5}
"""

PEOPLE = ["root", "ada", "bo", "cy", "di", "ed", "fay", "gus", "hal", "ivy"]


def people_yaml(handles: list[str]) -> str:
    lines = ["people:"]
    for i, handle in enumerate(handles):
        lines.append(
            f"  - {{handle: {handle}, name: {handle.title()} Example, github: {handle}-gh, "
            f'discord_id: "1{i:017d}"}}'
        )
    return "\n".join(lines) + "\n"


def charter(
    slug: str,
    *,
    kind: str = "working-group",
    membership: str = "open",
    chairs: list[str],
    members: list[str],
    observers: list[str] | None = None,
    policies: str = "",
) -> str:
    front = textwrap.dedent(
        f"""\
        ---
        slug: {slug}
        name: {slug.title()} Group
        kind: {kind}
        membership: {membership}
        chairs: [{", ".join(chairs)}]
        members: [{", ".join(members)}]
        observers: [{", ".join(observers or [])}]
        """
    )
    if policies:
        front += "policies:\n" + textwrap.indent(textwrap.dedent(policies), "  ")
    return front + f"---\n# {slug.title()} Group\n\nMission of {slug}.\n"


def write_charters(directory: Path, **groups: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "foundation.yaml").write_text(FOUNDATION)
    (directory / "people.yaml").write_text(people_yaml(PEOPLE))
    for slug, text in groups.items():
        (directory / f"{slug}.md").write_text(text)
    return directory


DEFAULT_GROUPS = {
    "core": charter(
        "core",
        kind="committee",
        membership="approval",
        chairs=["ada"],
        members=["bo", "cy", "di", "ed"],
        observers=["hal"],
    ),
    "docs": charter("docs", chairs=["fay"], members=["gus"]),
}


@pytest.fixture
def charters_dir(tmp_path: Path) -> Path:
    return write_charters(tmp_path / "charters", **DEFAULT_GROUPS)


# --- the database under test ------------------------------------------------------------------

TEST_DATABASE_URL = os.environ.get("GOVBOT_TEST_DATABASE_URL", "").strip()

# SQLite keeps JSON columns as text; decode them by their declared type, as PostgreSQL's driver
# does, so ``Db.query`` answers alike on both. Only connections opened with PARSE_DECLTYPES (the
# ones ``Db`` opens) use this.
sqlite3.register_converter("JSON", json.loads)

# How SQLAlchemy writes a DateTime into SQLite (naive UTC); computed columns such as ``max(at)``
# lose their declared type, so times are recognised by their form.
_SQLITE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")
# Quoted text, a ``?`` placeholder or a ``%``: for the PostgreSQL driver's ``%s`` style.
_SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%")


def _normal(value: Any) -> Any:
    """One value as both backends should give it: times are aware UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str) and _SQLITE_TIME.fullmatch(value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def _pyformat(sql: str) -> str:
    """``?`` placeholders (outside quotes) to ``%s``; every literal ``%`` to ``%%``."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        return {"?": "%s", "%": "%%"}.get(token, token.replace("%", "%%"))

    return _SQL_TOKEN.sub(one, sql)


class Db:
    """The database a test runs on, whichever backend: its URL and its raw rows.

    ``url`` is what ``Store.open`` and the console's ``--db`` take (a file path for SQLite).
    ``query`` and ``execute`` take ``?`` placeholders on both backends; values come back
    comparable across them (times as aware UTC datetimes, JSON columns as Python objects).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = database_url(url).startswith("sqlite")
        self._engine: Engine | None = None

    @classmethod
    def sqlite_file(cls, path: Path) -> Db:
        """A SQLite file, whatever the run's backend (for tests that are SQLite by nature)."""
        return cls(str(path))

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"Db({self.url!r})"

    @property
    def path(self) -> Path:
        """The SQLite file."""
        assert self.is_sqlite, "only a SQLite database is a file"
        return Path(self.url)

    @property
    def engine(self) -> Engine:
        """A plain engine, apart from the store's (``dispose`` closes its connections)."""
        if self._engine is None:
            if self.is_sqlite:
                self._engine = sa.create_engine(
                    database_url(self.url),
                    poolclass=NullPool,  # a file: nothing stays open between calls
                    connect_args={"detect_types": sqlite3.PARSE_DECLTYPES},
                )
            else:
                self._engine = sa.create_engine(self.url, pool_size=1)
        return self._engine

    def _rows(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        sql = sql if self.is_sqlite else _pyformat(sql)
        rows = conn.exec_driver_sql(sql, params).fetchall()
        return [tuple(_normal(v) for v in row) for row in rows]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Every row of a query, as tuples of comparable values."""
        with self.engine.connect() as conn:
            return self._rows(conn, sql, params)

    def execute(self, sql: str, *params: Any) -> None:
        """Run one statement and commit it (tests use this to tamper with the record)."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql if self.is_sqlite else _pyformat(sql), tuple(params))

    def tables(self) -> list[str]:
        """The names of every table."""
        with self.engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names())

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table by its first column, to show a refusal changed nothing."""
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.connect() as conn:
            return {
                t: self._rows(conn, f"SELECT * FROM {quote(t)} ORDER BY 1", ())
                for t in sorted(sa.inspect(conn).get_table_names())
            }

    def dispose(self) -> None:
        """Close the connections this object opened."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Engine | None]:
    """An AUTOCOMMIT connection to the server in GOVBOT_TEST_DATABASE_URL, or None for SQLite."""
    if not TEST_DATABASE_URL:
        yield None
        return
    engine = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def db(tmp_path: Path, pg_server: Engine | None) -> Iterator[Db]:
    """A fresh, empty database for this test: a SQLite file, or a new PostgreSQL database."""
    if pg_server is None:
        fresh = Db.sqlite_file(tmp_path / "govbot.db")
        yield fresh
        fresh.dispose()
        return
    name = f"govbot_test_{uuid.uuid4().hex[:16]}"
    with pg_server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    fresh = Db(make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield fresh
    finally:
        fresh.dispose()
        with pg_server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def open_store(db: Db) -> Iterator[Callable[[], Store]]:
    """Opens (and migrates) stores on ``db`` for tests that sync their own charters; all are
    closed when the test ends."""
    opened: list[Store] = []

    def open_() -> Store:
        opened.append(Store.open(db.url))
        return opened[-1]

    yield open_
    for one in opened:
        one.close()


@pytest.fixture
def store(db: Db, charters_dir: Path) -> Iterator[Store]:
    from bot import wiring

    opened = Store.open(db.url)
    wiring.sync_charters(opened, charters_dir, T0 - timedelta(days=1))
    yield opened
    opened.close()


class Actor:
    """Calls services as people do: one write unit of work per call."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, service: Any, actor: str, now: datetime, command: Any) -> Any:
        with self.store.write() as uow:
            return service(uow, actor, now, command)

    def read(self, query: Any, *args: Any) -> Any:
        with self.store.read() as uow:
            return query(uow, *args)


@pytest.fixture
def act(store: Store) -> Actor:
    return Actor(store)
