"""One writer: concurrent clicks and concurrent console processes never see "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from governance import ledger
from governance.services import rfcs
from governance.store import Store, ledger_entries
from tests.conftest import PEOPLE, T0, Actor, Db

H = timedelta(hours=1)
ROOT = Path(__file__).resolve().parents[2]


def open_rfc_vote(act: Actor) -> None:
    act(rfcs.propose_rfc, "bo", T0 - H, rfcs.ProposeRfc("core", "T", "B"))
    act(rfcs.open_vote, "ada", T0, rfcs.OpenVote("RFC-0001"))


def test_threads_share_one_writer(act: Actor, store: Store) -> None:
    open_rfc_vote(act)
    voters = [p for p in PEOPLE if p != "root"] * 3  # repeated: changes race with first ballots

    def vote(i_who: tuple[int, str]) -> bool:
        i, who = i_who
        choice = ("yes", "no", "abstain")[i % 3]
        result = act(rfcs.cast_ballot, who, T0 + H, rfcs.CastBallot("RFC-0001", choice))
        return bool(result.rfc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(vote, enumerate(voters)))
    with store.read() as uow:
        result = ledger.verify(ledger_entries(uow.session))
    assert result.ok


def test_processes_wait_for_each_other(db: Db, charters_dir: Path, act: Actor) -> None:
    open_rfc_vote(act)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "bot.cli", "--db", str(db), "--charters", str(charters_dir)]
    procs = [
        subprocess.Popen(
            [
                *base,
                "--now",
                "2027-01-04T11:00:00Z",
                "vote",
                "cast",
                "RFC-0001",
                "yes",
                "--as",
                who,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for who in ("bo", "cy", "hal", "ivy", "gus", "fay")
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [rc for rc, _ in results] == [0] * 6, results
    status = act.read(rfcs.vote_status, "RFC-0001", T0 + 2 * H)
    assert (status.yes, status.non_binding) == (2, 4)
