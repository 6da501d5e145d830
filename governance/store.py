"""Storage: the engine, migrations, and the unit of work every service runs in.

One writer: write units of work are serialised by a lock in this process and, on SQLite, start
with ``BEGIN IMMEDIATE`` so another process waits on the busy timeout instead of failing with
"database is locked" half-way through. SQLite runs in WAL mode with foreign keys on and
``synchronous=FULL``, so an acknowledged change survives a crash or a power cut.

The record's clock: a store that acts in real time (``live=True``: the service, the console
without ``--now``) marks the record live with the ``record:live`` checkpoint in the transaction
of its first change. A live record refuses every time ahead of the real clock, whoever asks:
its deadlines and its scheduler follow the real clock, and one change dated in the future would
close votes early and refuse every real-time action until that moment. A record made only with
explicit times (a replay, a test, ``govbot demo --start``) accepts any time not before its last
entry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from governance import ledger
from governance.clock import ahead, iso, utcnow
from governance.errors import ClockAhead, ClockSkew
from governance.model import Checkpoint, LedgerEntry, OutboxItem
from governance.revision import HEAD_REVISION

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

BUSY_TIMEOUT_MS = 10_000
DOCS_KEY = "publish:docs"
LIVE = "record:live"
"""The checkpoint that marks a record live: it has acted in real time."""

Clock = Callable[[], datetime]

__all__ = ["HEAD_REVISION", "Store", "UnitOfWork", "database_url", "ledger_entries", "upgrade"]


def database_url(path_or_url: str | Path) -> str:
    """Accept a file path (the embedded default) or a SQLAlchemy URL."""
    text = str(path_or_url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def create_engine(url: str) -> Engine:
    """An engine with the pragmas and transaction handling the core relies on."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("govbot_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def current_revision(connection: Connection) -> str | None:
    """The schema revision recorded in the database, or None for an empty one."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


def upgrade(engine: Engine) -> bool:
    """Apply pending migrations; returns whether anything ran. Alembic is imported only then."""
    with engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:
            return False
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return True


class UnitOfWork:
    """One transaction: the session, the ledger entries and the outbox items of one service call."""

    def __init__(
        self, session: Session, *, writable: bool, live: bool = False, clock: Clock = utcnow
    ) -> None:
        self.session = session
        self.writable = writable
        self.live = live
        """This unit acts in real time: its first ledger entry marks the record live."""
        self.clock = clock
        """The real clock, against which a live record refuses later times."""
        self._head: tuple[int, datetime | None, str] | None = None
        self._docs_marked = False
        self._live_marked = False
        self._held = False

    def head(self) -> tuple[int, datetime | None, str]:
        """Sequence, time and hash of the newest ledger entry (0, None, genesis when empty)."""
        if self._head is None:
            last = self.session.exec(
                select(LedgerEntry).order_by(col(LedgerEntry.seq).desc()).limit(1)
            ).first()
            if last is None or last.seq is None:
                self._head = (0, None, ledger.GENESIS)
            else:
                self._head = (last.seq, last.at, last.hash)
        return self._head

    def check_time(self, now: datetime) -> None:
        """Refuse an action dated before the newest ledger entry: the ledger never goes back.

        On a live record, also one dated ahead of the real clock.
        """
        _, last_at, _ = self.head()
        if last_at is not None and now < last_at:
            raise ClockSkew(
                f"The time given ({iso(now)}) is earlier than the last recorded change "
                f"({iso(last_at)}); the record never goes backwards, so act at {iso(last_at)} "
                "or later."
            )
        self.check_ahead(now)

    def is_live(self) -> bool:
        """Whether the record has acted in real time (it holds the ``record:live`` checkpoint)."""
        return self.session.get(Checkpoint, LIVE) is not None

    def check_ahead(self, now: datetime) -> None:
        """Refuse a time ahead of the real clock on a live record (``ClockAhead``)."""
        real = self.clock()
        if ahead(now, real) and self.is_live():
            raise ClockAhead(
                f"This record is live (it has acted in real time), and the time given, "
                f"{iso(now)}, is ahead of the real time, {iso(real)}; a live record never moves "
                "past the real clock. Nothing was changed: drop --now to act at the real time."
            )

    def mark_live(self, seq: int, now: datetime) -> None:
        """Mark the record live in this transaction, once."""
        if self._live_marked:
            return
        if self.session.get(Checkpoint, LIVE) is None:
            self.session.add(Checkpoint(name=LIVE, seq=seq, at=now, value="acted in real time"))
        self._live_marked = True

    def record(
        self, now: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]
    ) -> LedgerEntry:
        """Append one ledger entry to this transaction and mark the docs dirty.

        The ledger is itself the durable stream of events, read by sequence number; the outbox
        holds only side effects addressed to the outside (here: publishing the docs).
        """
        assert self.writable, "ledger entries are written only in a write unit of work"
        self.check_time(now)
        seq, _, prev = self.head()
        text = ledger.canonical(payload)
        entry = LedgerEntry(
            seq=seq + 1,
            at=now,
            actor=actor,
            action=action,
            subject=subject,
            payload=text,
            prev_hash=prev,
            hash=ledger.entry_hash(seq + 1, now, actor, action, subject, text, prev),
        )
        self.session.add(entry)
        self._head = (seq + 1, now, entry.hash)
        if self.live:
            self.mark_live(seq + 1, now)
        if not self._docs_marked:
            self._mark_docs_dirty(now)
            self._docs_marked = True
        return entry

    def emit(self, now: datetime, kind: str, key: str, payload: dict[str, Any]) -> None:
        """Queue a side effect in this transaction; ``key`` makes it idempotent."""
        self.session.add(OutboxItem(kind=kind, key=key, payload=payload, created_at=now))

    def _mark_docs_dirty(self, now: datetime) -> None:
        item = self.session.exec(select(OutboxItem).where(OutboxItem.key == DOCS_KEY)).first()
        if item is None:
            self.session.add(
                OutboxItem(
                    kind="publish", key=DOCS_KEY, payload={"since": iso(now)}, created_at=now
                )
            )
        elif item.done_at is not None:
            item.done_at = None
            item.payload = {"since": iso(now)}
            item.attempts = 0
            item.last_error = None
            self.session.add(item)

    def commit(self) -> None:
        """Commit once; the caller's ``with`` block rolls back on any error before this.

        Inside ``hold()`` this only flushes: the caller commits the service's changes together
        with its own (a received delivery marked done, the replies it queues) in ONE transaction.
        """
        if self._held:
            self.session.flush()
            return
        self.session.commit()

    def rollback(self) -> None:
        """Undo everything since the last commit, to go on in a fresh transaction."""
        self.session.rollback()
        self._head = None
        self._docs_marked = False
        self._live_marked = False

    @contextmanager
    def hold(self) -> Iterator[UnitOfWork]:
        """Let a front end run a service and add its own rows before the one commit."""
        self._held = True
        try:
            yield self
        finally:
            self._held = False


class Store:
    """The database behind the core, with one writer and concurrent readers."""

    def __init__(
        self, url: str, *, migrate: bool = True, live: bool = False, clock: Clock = utcnow
    ) -> None:
        self.url = url
        self.live = live
        """This store acts in real time (the service; the console without ``--now``)."""
        self.clock = clock
        """The real clock."""
        self.engine = create_engine(url)
        self._write_engine = self.engine.execution_options(govbot_write=True)
        self._write_lock = threading.Lock()
        if migrate:
            upgrade(self.engine)

    @classmethod
    def open(
        cls,
        path_or_url: str | Path,
        *,
        migrate: bool = True,
        live: bool = False,
        clock: Clock = utcnow,
    ) -> Store:
        """Open (and by default migrate) the database at a path or URL."""
        return cls(database_url(path_or_url), migrate=migrate, live=live, clock=clock)

    def revision(self) -> str | None:
        """The schema revision of the record, or None when it holds no record yet."""
        with self.engine.connect() as connection:
            return current_revision(connection)

    def check_now(self, now: datetime) -> None:
        """Refuse ``now`` ahead of the real clock on a live record, before anything is done.

        A read: it changes nothing, and costs nothing when ``now`` is not ahead.
        """
        if not ahead(now, self.clock()):
            return
        with self.read() as uow:
            uow.check_ahead(now)

    def clock_ahead(self) -> datetime | None:
        """The time of the last ledger entry when it is ahead of the real clock, else None.

        Such a record was changed at a future time; acting on it now would be refused.
        """
        with self.read() as uow:
            _, last_at, _ = uow.head()
        return last_at if last_at is not None and ahead(last_at, self.clock()) else None

    def mark_live(self, now: datetime) -> None:
        """Mark the record live now, in a transaction of its own (the service, at startup)."""
        with self.write() as uow:
            uow.mark_live(uow.head()[0], now)
            uow.commit()

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """A write unit of work: one at a time in this process, rolled back unless committed."""
        with self._write_lock, Session(self._write_engine, expire_on_commit=False) as session:
            if self.engine.dialect.name == "postgresql":
                session.exec(sa.text("SELECT pg_advisory_xact_lock(727465)"))  # type: ignore[call-overload]
            uow = UnitOfWork(session, writable=True, live=self.live, clock=self.clock)
            try:
                yield uow
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work; it never writes, so it needs no lock.

        It ends by closing the session rather than rolling it back: a rollback would expire the
        rows read, and a row handed out of the block (a person, a vote) could not load again.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield UnitOfWork(session, writable=False, clock=self.clock)
            finally:
                session.close()

    def close(self) -> None:
        """Release pooled connections (tests open many stores)."""
        self.engine.dispose()


def ledger_entries(session: Session) -> Iterator[ledger.EntryView]:
    """Every ledger entry in order, streamed, for verification and display."""
    rows = session.exec(
        select(LedgerEntry).order_by(col(LedgerEntry.seq)).execution_options(yield_per=1000)
    )
    for row in rows:
        assert row.seq is not None
        yield ledger.EntryView(
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.subject,
            row.payload,
            row.prev_hash,
            row.hash,
        )
