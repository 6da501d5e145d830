"""Received deliveries: stored before they are acknowledged, processed once, in order.

A front end that receives an event (a GitHub webhook) stores it here in its own short
transaction and only then answers; processing happens afterwards, from the stored row, so a
crash after the answer loses nothing. ``key`` makes receiving idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from governance.clock import iso
from governance.model import Delivery, DeliveryState
from governance.store import Store

ATTEMPTS_MAX = 8
BACKOFF_BASE = timedelta(seconds=1)
BACKOFF_CAP = timedelta(minutes=5)
RESULT_MAX = 500


@dataclass(frozen=True)
class Received:
    """Whether a delivery was new, and its row id."""

    id: int
    new: bool


@dataclass(frozen=True)
class Arrival:
    """A delivery as it arrived, to be stored."""

    source: str
    key: str
    event: str
    payload: dict[str, Any]
    received_at: datetime


def receive(
    store: Store, source: str, key: str, event: str, payload: dict[str, Any], now: datetime
) -> Received:
    """Store a delivery unless one with the same key was stored before."""
    return receive_many(store, [Arrival(source, key, event, payload, now)])[0]


def receive_many(store: Store, arrivals: list[Arrival]) -> list[Received]:
    """Store deliveries that arrived together in ONE commit (a group commit), in order.

    A key seen before, or earlier in the same batch, is not stored again.
    """
    with store.write() as uow:
        keys = {a.key for a in arrivals}
        known: dict[str, int] = {
            key: row_id
            for key, row_id in uow.session.exec(
                select(Delivery.key, Delivery.id).where(col(Delivery.key).in_(keys))
            ).all()
            if row_id is not None
        }
        answers: list[Received] = []
        for arrival in arrivals:
            if arrival.key in known:
                answers.append(Received(known[arrival.key], False))
                continue
            row = Delivery(
                source=arrival.source,
                key=arrival.key,
                event=arrival.event,
                payload=arrival.payload,
                received_at=arrival.received_at,
            )
            uow.session.add(row)
            uow.session.flush()
            assert row.id is not None
            known[arrival.key] = row.id
            answers.append(Received(row.id, True))
        uow.commit()
        return answers


def pending(store: Store, now: datetime, *, limit: int = 100) -> list[int]:
    """Ids of deliveries waiting to be processed and due, oldest first."""
    with store.read() as uow:
        rows = uow.session.exec(
            select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                sa.or_(
                    col(Delivery.next_attempt_at).is_(None),
                    col(Delivery.next_attempt_at) <= now,
                ),
            )
            .order_by(col(Delivery.id))
            .limit(limit)
        ).all()
    return [r for r in rows if r is not None]


def next_retry_at(store: Store) -> datetime | None:
    """When the earliest delivery that failed for a passing reason is due again."""
    with store.read() as uow:
        return uow.session.exec(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.state == DeliveryState.PENDING
            )
        ).one()


def counts(store: Store) -> dict[str, int]:
    """Deliveries by state, for health checks and the console."""
    with store.read() as uow:
        rows = uow.session.exec(
            select(Delivery.state, func.count()).group_by(col(Delivery.state))
        ).all()
    return {state: number for state, number in rows}


def failed(store: Store, delivery_id: int, now: datetime, error: str) -> Delivery:
    """Count a failed attempt; after ``ATTEMPTS_MAX`` the delivery is given up as failed."""
    with store.write() as uow:
        row = uow.session.get(Delivery, delivery_id)
        assert row is not None
        row.attempts += 1
        row.last_error = error[:RESULT_MAX]
        if row.attempts >= ATTEMPTS_MAX:
            row.state = DeliveryState.FAILED
            row.next_attempt_at = None
            row.processed_at = now
        else:
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (row.attempts - 1))
            row.next_attempt_at = now + wait
        uow.session.add(row)
        uow.commit()
        return row


def unfinished(store: Store) -> list[dict[str, Any]]:
    """Deliveries still pending or given up as failed, oldest first, for the console."""
    with store.read() as uow:
        rows = uow.session.exec(
            select(Delivery).where(Delivery.state != DeliveryState.DONE).order_by(col(Delivery.id))
        ).all()
        return [
            {
                "key": row.key,
                "event": row.event,
                "state": row.state,
                "received_at": iso(row.received_at),
                "attempts": row.attempts,
                "next_attempt_at": iso(row.next_attempt_at),
                "last_error": row.last_error,
            }
            for row in rows
        ]
