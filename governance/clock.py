"""Time for the core: always timezone-aware UTC, always passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FUTURE_TOLERANCE = timedelta(seconds=5)
"""How far ahead of the real clock a time may be on a live record: clocks of machines differ a
little, and a command's time is taken as it starts."""


def utcnow() -> datetime:
    """The wall-clock time, used only at the edges (console, scheduler) to build ``now``."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Normalise to aware UTC; naive values from the database are UTC by convention."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; ``Z`` and offsets are accepted, a naive value is read as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(value))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, seconds precision, or None."""
    if moment is None:
        return None
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ahead(moment: datetime, real: datetime) -> bool:
    """Whether ``moment`` is later than the real time ``real``, beyond the tolerance."""
    return as_utc(moment) > as_utc(real) + FUTURE_TOLERANCE
