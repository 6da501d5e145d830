"""The outbox drain: publish the docs when they are dirty, debounced, retried with backoff.

Every change marks the docs dirty in its own transaction (``UnitOfWork.record``). The drain waits
until the record has been quiet for ``debounce`` (but never longer than ``max_delay`` after the
first change), publishes, and on failure records the error and the time of the next attempt in
the outbox row itself, so a restart picks up exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select

from governance.clock import as_utc, parse_instant, utcnow
from governance.model import OutboxItem
from governance.publish.port import Publisher, PublishError
from governance.publish.publication import Publication, publish_now
from governance.store import DOCS_KEY, Store
from governance.worker import Worker

log = logging.getLogger(__name__)

DEBOUNCE = timedelta(seconds=5)
MAX_DELAY = timedelta(seconds=60)
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=15)
IDLE = timedelta(seconds=30)
ERROR_MAX = 500
PASSES_KEPT = 100


@dataclass(frozen=True)
class Drained:
    """What one pass of the drain did, and when the next one is due (None: nothing pending)."""

    publication: Publication | None
    error: str | None
    next_at: datetime | None


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... up to 15 minutes between attempts."""
    factor: int = 2 ** max(0, attempts - 1)
    return min(BACKOFF_CAP, BACKOFF_BASE * factor)


@dataclass
class Watched:
    """When a running worker saw the record change, by its own clock.

    Ledger entries carry the time people acted, which can be long before the change was recorded
    (a GitHub comment read back at startup, a backlog of deliveries). Measured from those times,
    the debounce would already be over and every change would be published on its own; a
    running worker measures the quiet from when it saw the ledger head move instead.
    """

    seq: int | None = None
    last_change: datetime | None = None
    first_change: datetime | None = None

    def observe(self, seq: int, dirty: bool, now: datetime) -> None:
        """Note the head as seen ``now``; a clean record starts the next wait afresh."""
        if seq != self.seq:
            self.seq = seq
            self.last_change = now
            if self.first_change is None:
                self.first_change = now
        if not dirty:
            self.first_change = None


def docs_due_at(
    store: Store,
    *,
    debounce: timedelta = DEBOUNCE,
    max_delay: timedelta = MAX_DELAY,
    watched: Watched | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """When the pending docs publication is due, or None when the docs are clean.

    With ``watched`` (and ``now``), the quiet and the longest wait count from when the worker saw
    the changes; without, from the times recorded in the ledger (the console, tests).
    """
    with store.read() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.key == DOCS_KEY)).first()
        seq, last_change, _ = uow.head()
        dirty = item is not None and item.done_at is None
        if watched is not None and now is not None:
            watched.observe(seq, dirty, now)
        if item is None or not dirty:
            return None
        since_text = item.payload.get("since")
        created_at, next_attempt_at = item.created_at, item.next_attempt_at
    since = parse_instant(str(since_text)) if since_text else None
    if watched is not None and watched.last_change is not None:
        last_change, since = watched.last_change, watched.first_change
    quiet = as_utc(last_change) + debounce if last_change else None
    candidates = [m for m in (quiet, since + max_delay if since else None) if m is not None]
    due = min(candidates) if candidates else as_utc(created_at)
    if next_attempt_at is not None:
        due = max(due, as_utc(next_attempt_at))
    return due


def drain(
    store: Store,
    publisher: Publisher,
    now: datetime,
    *,
    debounce: timedelta = DEBOUNCE,
    max_delay: timedelta = MAX_DELAY,
    watched: Watched | None = None,
) -> Drained:
    """Publish if the docs are dirty and due; on failure schedule the next attempt."""
    due = docs_due_at(store, debounce=debounce, max_delay=max_delay, watched=watched, now=now)
    if due is None or due > now:
        return Drained(None, None, due)
    try:
        publication = publish_now(store, publisher, now)
    except PublishError as error:
        return _failed(store, now, str(error), error.retry_after, debounce, max_delay)
    except Exception as error:  # a publication must never take the service down; retry later
        log.exception("publishing the docs failed")
        return _failed(store, now, f"{type(error).__name__}: {error}", None, debounce, max_delay)
    after = docs_due_at(store, debounce=debounce, max_delay=max_delay, watched=watched, now=now)
    return Drained(publication, None, after)


def _failed(
    store: Store,
    now: datetime,
    message: str,
    retry_after: float | None,
    debounce: timedelta,
    max_delay: timedelta,
) -> Drained:
    """Record the failure in the outbox row: attempts, next attempt, last error."""
    with store.write() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.key == DOCS_KEY)).first()
        if item is None:
            return Drained(None, message, None)
        item.attempts += 1
        wait = backoff(item.attempts)
        if retry_after is not None:
            wait = max(timedelta(seconds=retry_after), BACKOFF_BASE)
        item.next_attempt_at = now + wait
        item.last_error = message[:ERROR_MAX]
        uow.session.add(item)
        uow.commit()
        next_at = item.next_attempt_at
    log.warning("docs not published (%s); next attempt at %s", message, next_at)
    return Drained(None, message, next_at)


class OutboxWorker(Worker):
    """Drains the outbox in the background of the running service; commands never wait for it.

    ``notify()`` after a command makes it look sooner than its idle poll; ``run(stop)`` returns
    once ``stop`` is set and the publication in hand (if any) has finished.
    """

    def __init__(
        self,
        store: Store,
        publisher: Publisher,
        *,
        debounce: timedelta = DEBOUNCE,
        max_delay: timedelta = MAX_DELAY,
        idle: timedelta = IDLE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(idle=idle, clock=clock)
        self.store = store
        self.publisher = publisher
        self.debounce = debounce
        self.max_delay = max_delay
        self.passes: deque[Drained] = deque(maxlen=PASSES_KEPT)  # the latest, for health checks
        self.watched = Watched()

    async def step(self) -> datetime | None:
        """Publish if due."""
        result = await asyncio.to_thread(
            drain,
            self.store,
            self.publisher,
            self.clock(),
            debounce=self.debounce,
            max_delay=self.max_delay,
            watched=self.watched,
        )
        self.passes.append(result)
        return result.next_at
