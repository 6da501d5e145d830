"""Every change leaves its side effects in the outbox in its own transaction; refusals none."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from governance import errors
from governance.model import OutboxItem
from governance.publish import (
    LocalGitPublisher,
    OutboxWorker,
    PublishError,
    RemoteTree,
    Watched,
    backoff,
    docs_due_at,
    drain,
    outbox_view,
    publish_now,
)
from governance.services import rfcs
from governance.store import DOCS_KEY, Store
from tests.conftest import T0, Actor, Db

H = timedelta(hours=1)


def outbox(store: Store) -> list[tuple[str, str, bool]]:
    with store.read() as uow:
        rows = uow.session.exec(select(OutboxItem).order_by(OutboxItem.key)).all()
        return [(row.kind, row.key, row.done_at is None) for row in rows]


def mark_published(store: Store) -> None:
    with store.write() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.key == DOCS_KEY)).one()
        item.done_at = T0
        uow.session.add(item)
        uow.commit()


def test_a_change_marks_the_docs_dirty_once(act: Actor, store: Store) -> None:
    assert outbox(store) == [("publish", DOCS_KEY, True)]  # the charter sync changed the record
    mark_published(store)
    assert outbox(store) == [("publish", DOCS_KEY, False)]
    act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "T", "B"))
    act(rfcs.propose_rfc, "bo", T0 + H, rfcs.ProposeRfc("core", "U", "B"))
    assert outbox(store) == [("publish", DOCS_KEY, True)]  # one pending publication, not two


def test_a_refusal_leaves_nothing_to_publish(act: Actor, store: Store) -> None:
    mark_published(store)
    with pytest.raises(errors.PermissionDenied):
        act(rfcs.propose_rfc, "hal", T0, rfcs.ProposeRfc("core", "T", "B"))
    assert outbox(store) == [("publish", DOCS_KEY, False)]


# --- the drain: debounce, retries, restarts ------------------------------------------------------

S = timedelta(seconds=1)


class FailingPublisher(LocalGitPublisher):
    """A docs repository whose remote refuses commits, as a remote does during an outage."""

    def __init__(self, directory: Path, retry_after: float | None) -> None:
        super().__init__(directory)
        self.retry_after = retry_after

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        raise PublishError("503 Service Unavailable", retry_after=self.retry_after)


def propose(act: Actor, at: datetime, title: str = "T") -> str:
    return str(act(rfcs.propose_rfc, "bo", at, rfcs.ProposeRfc("core", title, "B")).rfc)


def test_the_drain_waits_for_the_record_to_be_quiet(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    publisher = LocalGitPublisher(tmp_path / "docs")
    publish_now(store, publisher, T0)
    propose(act, T0 + H)
    early = drain(store, publisher, T0 + H + 2 * S, debounce=5 * S)
    assert early.publication is None and early.next_at == T0 + H + 5 * S
    due = drain(store, publisher, T0 + H + 5 * S, debounce=5 * S)
    assert due.publication is not None and due.publication.events == (
        "rfc.proposed RFC-0001 by bo",
    )
    assert due.next_at is None and outbox_view(store) == []


def test_a_running_worker_counts_the_quiet_from_when_it_saw_the_change(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    """A change dated in the past (a GitHub comment read back late) still waits the debounce."""
    publisher = LocalGitPublisher(tmp_path / "docs")
    publish_now(store, publisher, T0)
    watched = Watched()
    seen = T0 + 2 * H
    assert drain(store, publisher, seen, debounce=5 * S, watched=watched).next_at is None
    propose(act, T0 + H)  # acted an hour before the worker sees it
    early = drain(store, publisher, seen + S, debounce=5 * S, watched=watched)
    assert early.publication is None and early.next_at == seen + 6 * S
    propose(act, T0 + H + S, "U")  # another change, seen 3 s later: the quiet starts again
    later = drain(store, publisher, seen + 4 * S, debounce=5 * S, watched=watched)
    assert later.publication is None and later.next_at == seen + 9 * S
    busy = drain(store, publisher, seen + 9 * S, debounce=5 * S, watched=watched)
    assert busy.publication is not None and len(busy.publication.events) == 2
    assert drain(store, publisher, seen + 10 * S, debounce=5 * S, watched=watched).next_at is None
    assert docs_due_at(store, debounce=5 * S) is None
    for step in range(4):  # busy for longer than max_delay: published 60 s after first seen
        propose(act, T0 + H + (2 + step) * S, f"V{step}")
        result = drain(
            store,
            publisher,
            seen + (20 + 20 * step) * S,
            watched=watched,
            debounce=30 * S,
            max_delay=60 * S,
        )
        assert (result.publication is not None) == (step == 3)


def test_a_busy_record_is_published_after_the_longest_delay(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    publisher = LocalGitPublisher(tmp_path / "docs")
    publish_now(store, publisher, T0)
    for minute in range(3):
        propose(act, T0 + H + minute * 20 * S, f"T{minute}")
    # changes keep coming every 20 s, so the record is never quiet for 30 s
    assert docs_due_at(store, debounce=30 * S, max_delay=60 * S) == T0 + H + 60 * S


def test_failures_are_retried_after_retry_after_and_nothing_is_lost(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    propose(act, T0)
    failed = drain(store, FailingPublisher(docs, retry_after=30), T0 + H, debounce=S)
    assert failed.error == "503 Service Unavailable" and failed.next_at == T0 + H + 30 * S
    [pending] = outbox_view(store)
    assert pending["attempts"] == 1 and pending["last_error"] == "503 Service Unavailable"
    assert pending["next_attempt_at"] == "2027-01-04T11:00:30Z"
    assert drain(store, LocalGitPublisher(docs), T0 + H + 10 * S, debounce=S).publication is None
    done = drain(store, LocalGitPublisher(docs), T0 + H + 30 * S, debounce=S).publication
    assert done is not None and "rfc.proposed RFC-0001 by bo" in done.events
    assert "charters.synced charters by govbot" in done.events  # from before the failure too
    assert outbox_view(store) == []


def test_without_retry_after_the_backoff_doubles(store: Store, tmp_path: Path) -> None:
    publisher = FailingPublisher(tmp_path / "docs", retry_after=None)
    now = T0
    waits = []
    for _ in range(4):
        result = drain(store, publisher, now, debounce=S)
        assert result.next_at is not None
        waits.append((result.next_at - now).total_seconds())
        now = result.next_at
    assert waits == [2, 4, 8, 16]
    assert backoff(30) == timedelta(minutes=15)


def test_a_pending_retry_survives_a_restart(
    act: Actor, db: Db, store: Store, tmp_path: Path
) -> None:
    propose(act, T0)
    drain(store, FailingPublisher(tmp_path / "docs", retry_after=120), T0 + H, debounce=S)
    store.close()
    reopened = Store.open(db.url)
    try:
        assert docs_due_at(reopened, debounce=S) == T0 + H + 120 * S
        done = drain(reopened, LocalGitPublisher(tmp_path / "docs"), T0 + H + 120 * S, debounce=S)
        assert done.publication is not None and done.publication.commit is not None
    finally:
        reopened.close()


class BusyPublisher(LocalGitPublisher):
    """Someone proposes an RFC while the publication is under way."""

    def __init__(self, directory: Path, act: Actor) -> None:
        super().__init__(directory)
        self.act = act

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        propose(self.act, T0 + 2 * H, "Arrived meanwhile")
        return super().commit(base, changes, message, when=when)


def test_a_change_during_a_publication_keeps_the_docs_dirty(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    first = publish_now(store, BusyPublisher(docs, act), T0 + H)
    assert "rfc.proposed RFC-0001 by bo" not in first.events
    assert [item["key"] for item in outbox_view(store)] == [DOCS_KEY]
    second = publish_now(store, LocalGitPublisher(docs), T0 + 3 * H)
    assert second.events == ("rfc.proposed RFC-0001 by bo",)
    assert outbox_view(store) == []


class GatedPublisher(LocalGitPublisher):
    """A slow remote: each commit waits until the test lets it through."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.entered = threading.Event()
        self.release = threading.Event()

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        self.entered.set()
        assert self.release.wait(10)
        return super().commit(base, changes, message, when=when)


def test_the_worker_publishes_in_the_background_and_never_blocks_a_command(
    act: Actor, store: Store, tmp_path: Path
) -> None:
    publisher = GatedPublisher(tmp_path / "docs")
    clock = [T0 + H]

    async def scenario() -> None:
        worker = OutboxWorker(
            store,
            publisher,
            debounce=timedelta(0),
            idle=timedelta(seconds=0.05),
            clock=lambda: clock[0],
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        assert await asyncio.to_thread(publisher.entered.wait, 10)
        # the publication is stuck on the remote; a command still goes through at once
        ref = await asyncio.to_thread(propose, act, T0 + H, "While publishing")
        assert ref == "RFC-0001"
        publisher.release.set()
        clock[0] = T0 + 2 * H
        worker.notify()
        for _ in range(200):
            if not outbox_view(store):
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 5)
        published = [p.publication for p in worker.passes if p.publication]
        assert [p.commit is not None for p in published] == [True, True]
        assert published[1].events == ("rfc.proposed RFC-0001 by bo",)

    asyncio.run(scenario())
    assert outbox_view(store) == []
