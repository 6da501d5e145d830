"""Every change leaves its side effects in the outbox in its own transaction; refusals none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from governance import errors
from governance.model import OutboxItem
from governance.services import rfcs
from governance.store import DOCS_KEY, Store
from tests.conftest import T0, Actor

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
