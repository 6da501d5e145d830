"""A rejected RFC comes back to discussion only changed, only by its author."""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance import errors
from governance.services import rfcs, ticks
from governance.store import Store, ledger_entries
from tests.conftest import T0, Actor

H = timedelta(hours=1)
D = timedelta(days=1)


def entries(store: Store) -> int:
    with store.read() as uow:
        return sum(1 for _ in ledger_entries(uow.session))


@pytest.fixture
def rejected(act: Actor) -> str:
    ref = act(rfcs.propose_rfc, "bo", T0 - H, rfcs.ProposeRfc("core", "Old title", "Old body")).rfc
    act(rfcs.open_vote, "ada", T0, rfcs.OpenVote(ref))
    for who in ("ada", "cy", "di"):
        act(rfcs.cast_ballot, who, T0 + H, rfcs.CastBallot(ref, "no"))
    with act.store.write() as uow:
        ticks.tick(uow, T0 + 3 * D)
    assert act.read(rfcs.show_rfc, ref, T0 + 3 * D).status == "rejected"
    return ref


def test_author_reproposes_with_changes(act: Actor, rejected: str) -> None:
    ref = act(rfcs.repropose_rfc, "bo", T0 + 4 * D, rfcs.ReproposeRfc(rejected, body="New body"))
    assert ref.status == "discussion"
    view = act.read(rfcs.show_rfc, rejected, T0 + 4 * D)
    assert (view.title, view.body, view.status) == ("Old title", "New body", "discussion")
    assert view.vote is not None and view.vote.outcome == "rejected"  # the old vote stays on record
    reopened = act(rfcs.open_vote, "ada", T0 + 5 * D, rfcs.OpenVote(rejected))
    assert reopened.state == "open" and reopened.yes == 0


@pytest.mark.parametrize(
    ("actor", "command", "error", "message"),
    [
        ("cy", {"body": "Mine now"}, errors.PermissionDenied, "Only the author of RFC-0001"),
        ("bo", {}, errors.InvalidInput, "re-propose it with a changed title or body"),
        ("bo", {"title": "Old title"}, errors.InvalidInput, "changed title or body"),
        ("bo", {"title": ""}, errors.InvalidInput, "title is empty"),
    ],
)
def test_refusals_change_nothing(
    act: Actor, store: Store, rejected: str, actor, command, error, message
) -> None:
    before = entries(store)
    with pytest.raises(error, match=message):
        act(rfcs.repropose_rfc, actor, T0 + 4 * D, rfcs.ReproposeRfc(rejected, **command))
    assert entries(store) == before
    assert act.read(rfcs.show_rfc, rejected, T0 + 4 * D).status == "rejected"


def test_only_rejected_rfcs_come_back(act: Actor) -> None:
    ref = act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "T", "B")).rfc
    with pytest.raises(errors.Conflict, match="only a rejected RFC can be re-proposed"):
        act(rfcs.repropose_rfc, "bo", T0 + H, rfcs.ReproposeRfc(ref, body="C"))


def test_console_repropose(store: Store, charters_dir, rejected: str, tmp_path) -> None:
    from bot.cli import run

    body = tmp_path / "rfc.md"
    body.write_text("Second draft.\n")
    base = ["--db", store.url, "--charters", str(charters_dir), "--now", "2027-01-09T10:00:00Z"]
    rc, out, err = run(
        [*base, "rfc", "repropose", rejected, "--body-file", str(body), "--as", "bo"]
    )
    assert rc == 0, err
    assert "RFC-0001 is back in discussion" in out
    rc, _, err = run([*base, "rfc", "repropose", rejected, "--body", "x", "--as", "bo"])
    assert rc == 1 and "only a rejected RFC can be re-proposed" in err
