"""Timed work: APScheduler jobs at every deadline in the record, and a tick every minute.

The record is the source of truth for deadlines: at startup the jobs are built from it, and they
are rebuilt after every change this process makes and at every minute tick (which also notices
changes made from the console). Jobs never expire unrun: ``misfire_grace_time=None`` runs a late
job however late (APScheduler's default silently drops a run missed by more than a second), and
``coalesce`` folds several missed runs into one. Whatever fell due while govbot was down is
closed by the catch-up tick at startup, before the scheduler starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from governance.clock import utcnow
from governance.services.ticks import Deadline, deadlines
from governance.store import Store

log = logging.getLogger(__name__)

TICK = "tick"
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def read_deadlines(store: Store) -> list[Deadline]:
    """The deadlines in the record now."""
    with store.read() as uow:
        return deadlines(uow)


class Scheduler:
    """Runs ``on_due`` at every deadline and once a minute, inside the running event loop."""

    def __init__(
        self,
        store: Store,
        on_due: Callable[[], Awaitable[object]],
        *,
        every: timedelta = timedelta(minutes=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.on_due = on_due
        self.every = every
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=dict(JOB_DEFAULTS))
        self.deadlines: dict[str, datetime] = {}

    async def start(self) -> None:
        """Start in the running loop (APScheduler 3 binds to the loop it starts in)."""
        self.scheduler.start()
        self.scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.every.total_seconds(), timezone=UTC),
            id=TICK,
            replace_existing=True,
        )
        await self.refresh()

    async def _tick(self) -> None:
        await self.on_due()
        await self.refresh()

    async def refresh(self) -> None:
        """Make the exact jobs match the deadlines in the record."""
        found = await asyncio.to_thread(read_deadlines, self.store)
        now = self.clock()
        wanted = {d.key: d.at for d in found if d.at > now - timedelta(seconds=1)}
        for key in set(self.deadlines) - set(wanted):
            if self.scheduler.get_job(key) is not None:
                self.scheduler.remove_job(key)
        for key, at in wanted.items():
            if self.deadlines.get(key) == at and self.scheduler.get_job(key) is not None:
                continue
            self.scheduler.add_job(
                self._tick,
                DateTrigger(run_date=max(at, now), timezone=UTC),
                id=key,
                replace_existing=True,
            )
        self.deadlines = wanted

    def next_runs(self) -> dict[str, datetime]:
        """Job ids and their next run times, for health checks and tests."""
        return {
            job.id: job.next_run_time
            for job in self.scheduler.get_jobs()
            if job.next_run_time is not None
        }

    def stop(self) -> None:
        """Stop; a job running now finishes in the loop, none starts after this."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
