"""Reading the ledger from a checkpoint: how each front end learns what the record did.

GitHub and Discord each keep a checkpoint (the last ledger entry they turned into operations),
read the entries after it, and move it in the same transaction that queues the operations, so
an entry is acted on once whatever crashes. Their first read starts at the ledger's head:
history from before the front end was configured is not replayed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from governance.clock import utcnow
from governance.model import Checkpoint, LedgerEntry
from governance.store import Store, UnitOfWork


def entries_after(
    uow: UnitOfWork, name: str, *, batch: int, start: bool = True
) -> tuple[Checkpoint | None, Sequence[LedgerEntry]]:
    """The checkpoint ``name`` and up to ``batch`` entries after it.

    Without a checkpoint: with ``start`` one is made at the ledger's head (and nothing is
    read); without it, nothing happens (None).
    """
    point = uow.session.get(Checkpoint, name)
    if point is None:
        if start:
            head, head_at, _ = uow.head()
            uow.session.add(Checkpoint(name=name, seq=head, at=head_at or utcnow()))
        return None, []
    entries = uow.session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.seq) > point.seq)
        .order_by(col(LedgerEntry.seq))
        .limit(batch)
    ).all()
    return point, entries


def advance(uow: UnitOfWork, point: Checkpoint, entries: Sequence[LedgerEntry]) -> None:
    """Move the checkpoint past ``entries`` (in the caller's transaction)."""
    point.seq = entries[-1].seq or point.seq
    point.at = entries[-1].at
    uow.session.add(point)


def caught_up(store: Store, name: str) -> bool:
    """Whether checkpoint ``name`` is at the ledger's head: one read, no write lock.

    A worker woken by every click asks this first, so its passes leave the writer to ballots.
    """
    with store.read() as uow:
        point = uow.session.get(Checkpoint, name)
        return point is not None and point.seq >= uow.head()[0]
