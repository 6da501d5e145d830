"""The loop every background worker of the service runs: a pass, then a wait.

A worker waits until it is notified (something changed in this process), until the time its
last pass said work falls due, or until its idle poll (which notices changes made from other
processes, such as the console). ``run`` returns once ``stop`` is set and the pass in hand has
finished; what the pass left undone stays in the record for the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from governance.clock import utcnow


class Worker:
    """Subclasses do one pass in ``step`` and return when the next work falls due, if known."""

    gather = 0.0
    """Seconds to wait after a notification before the pass, so a burst makes one pass."""

    def __init__(self, *, idle: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self.idle = idle
        self.clock = clock
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Something changed: look again now instead of at the next idle poll."""
        self._wake.set()

    async def step(self) -> datetime | None:
        """One pass; returns when the next one is due (None: nothing known to be due)."""
        raise NotImplementedError

    async def finish(self) -> None:
        """The last work after ``stop``: nothing by default."""

    async def run(self, stop: asyncio.Event) -> None:
        """Pass and wait until ``stop`` is set, then ``finish``."""
        while not stop.is_set():
            self._wake.clear()
            next_at = await self.step()
            wait = self.idle
            if next_at is not None:
                wait = min(wait, max(timedelta(0), next_at - self.clock()))
            await _first(stop, self._wake, wait.total_seconds())
            if self.gather and self._wake.is_set():
                await _first(stop, asyncio.Event(), self.gather)
        await self.finish()


async def _first(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    """Wait until either event is set or the timeout passes."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
