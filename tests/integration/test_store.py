"""A service's answer is built inside its transaction: once it returns, no write lock is held."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from governance.services import elections, rfcs
from governance.store import Store
from tests.conftest import T0, Actor

H = timedelta(hours=1)


def call_and_check(store: Store, service: Any, actor: str, now: Any, command: Any) -> Any:
    with store.write() as uow:
        result = service(uow, actor, now, command)
        assert not uow.session.in_transaction(), f"{service.__name__} left a transaction open"
    return result


@pytest.fixture
def voting(act: Actor) -> Actor:
    act(rfcs.propose_rfc, "bo", T0 - H, rfcs.ProposeRfc("core", "T", "B"))
    return act


def test_vote_services_release_the_writer(voting: Actor, store: Store) -> None:
    call_and_check(store, rfcs.open_vote, "ada", T0, rfcs.OpenVote("RFC-0001"))
    call_and_check(store, rfcs.cast_ballot, "bo", T0 + H, rfcs.CastBallot("RFC-0001", "yes"))
    call_and_check(store, rfcs.cast_ballot, "bo", T0 + H, rfcs.CastBallot("RFC-0001", "yes"))
    call_and_check(store, rfcs.cancel_vote, "ada", T0 + H, rfcs.CancelVote("RFC-0001", "Redo"))


def test_election_services_release_the_writer(store: Store) -> None:
    open_ = elections.OpenElection("core", 1, ("bo", "cy"))
    call_and_check(store, elections.open_election, "ada", T0, open_)
    call_and_check(store, elections.rank, "bo", T0 + H, elections.RankCandidates("E-0001", "cy,bo"))
    cancel = elections.CancelElection("E-0001", "Wrong seats")
    call_and_check(store, elections.cancel_election, "ada", T0 + H, cancel)
