"""Every console action as every standing: allowed and done, or refused by its rule, unchanged.

One record is prepared for the whole module (a group with every standing in it, RFCs in each
state, an open vote, concerns, a pending request, an election); each case acts on a fresh copy
of that SQLite file, so every case starts from the same record.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli import run
from governance.authority import Action, FrontEnd
from tests.conftest import PEOPLE, charter, people_yaml, write_charters
from tests.support.authority import PERSONAS, Persona, expected, missing

T0 = "2027-01-04T10:00:00Z"
T4 = "2027-01-08T10:00:00Z"  # after the min_duration of RFC-0003's vote: it closes rejected
NOW = "2027-01-08T11:00:00Z"  # when every case acts


@dataclass(frozen=True)
class Case:
    """One console command, and what about its subject makes someone an author or an elector."""

    argv: tuple[str, ...]
    authored: bool = False
    electoral: bool = False
    rules: tuple[Action, ...] = field(default=())


CASES: dict[Action, Case] = {
    Action.REGISTER_PERSON: Case(("people", "add", "newcomer", "--name", "New Comer")),
    Action.LINK_ACCOUNTS: Case(("people", "link", "ivy", "--github", "ivy-elsewhere")),
    Action.START_LINK: Case(("link", "github", "fresh-login")),
    Action.JOIN: Case(("wg", "join", "wg")),
    Action.LEAVE: Case(("wg", "leave", "wg")),
    Action.REMOVE_MEMBER: Case(("wg", "leave", "wg", "--person", "fay")),
    Action.APPROVE_JOIN: Case(("wg", "approve", "wg", "jo")),
    Action.SET_ROLE: Case(("wg", "role", "wg", "fay", "observer")),
    Action.PROPOSE_RFC: Case(("rfc", "propose", "--group", "wg", "--title", "T", "--body", "B")),
    Action.WITHDRAW_RFC: Case(("rfc", "withdraw", "RFC-0001"), authored=True),
    Action.REPROPOSE_RFC: Case(("rfc", "repropose", "RFC-0003", "--body", "New"), authored=True),
    Action.RAISE_CONCERN: Case(("rfc", "concern", "RFC-0002", "Unclear."), electoral=True),
    Action.RESOLVE_CONCERN: Case(
        ("rfc", "resolve", "RFC-0004", "1"),
        authored=True,
        rules=(Action.RESOLVE_CONCERN, Action.OVERRIDE_CONCERN),
    ),
    Action.OVERRIDE_CONCERN: Case(("rfc", "resolve", "RFC-0004", "2", "--reason", "Done.")),
    Action.OPEN_VOTE: Case(("vote", "open", "RFC-0001")),
    Action.CANCEL_VOTE: Case(("vote", "cancel", "RFC-0002", "--reason", "Wrong policy.")),
    Action.CAST_BALLOT: Case(("vote", "cast", "RFC-0002", "yes"), electoral=True),
    Action.OPEN_ELECTION: Case(
        ("election", "open", "--group", "wg", "--seats", "1", "--candidates", "bo,cy")
    ),
    Action.CANCEL_ELECTION: Case(("election", "cancel", "E-0001", "--reason", "Wrong seats.")),
    Action.RANK: Case(("election", "rank", "E-0001", "bo,cy"), electoral=True),
}


class Record:
    """A console bound to one SQLite file and the charters."""

    def __init__(self, db: Path, charters: Path) -> None:
        self.db, self.charters = db, charters

    def __call__(self, *argv: str, code: int | None = 0) -> tuple[int, str, str]:
        rc, out, err = run(["--db", str(self.db), "--charters", str(self.charters), *argv])
        assert code is None or rc == code, f"{argv}: exit {rc}: {out}{err}"
        return rc, out, err

    def dump(self) -> list[str]:
        """Every row of every table: what "nothing changed" compares."""
        with sqlite3.connect(self.db) as conn:
            return list(conn.iterdump())

    def ledger(self) -> list[tuple[str, str, str]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT action, actor, payload FROM ledger ORDER BY seq").fetchall()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Record:
    tmp = tmp_path_factory.mktemp("authority")
    group = charter(
        "wg",
        membership="approval",
        chairs=["ada", "ed"],
        members=["bo", "cy", "di", "fay", "gus"],
        observers=["hal"],
    )
    charters = write_charters(tmp / "charters", wg=group)
    (charters / "people.yaml").write_text(people_yaml([*PEOPLE, "jo"]))
    g = Record(tmp / "govbot.db", charters)
    at = ("--now", T0)
    g("wg", "role", "wg", "gus", "emeritus", "--as", "ada", *at)
    g("wg", "join", "wg", "--as", "jo", *at)
    for title in ("Withdrawn soon", "Voting", "Rejected", "Concerned"):
        g("rfc", "propose", "--group", "wg", "--title", title, "--body", "B", "--as", "cy", *at)
    g("vote", "open", "RFC-0003", "--as", "ada", *at)
    for elector in ("ada", "ed", "bo", "cy", "di", "fay"):
        g("vote", "cast", "RFC-0003", "no", "--as", elector, *at)
    later = ("--now", T4)
    g("vote", "open", "RFC-0002", "--as", "ada", *later)  # RFC-0003 closes (rejected) first
    g("rfc", "concern", "RFC-0004", "Mine.", "--as", "cy", *later)
    g("rfc", "concern", "RFC-0004", "Fay's.", "--as", "fay", *later)
    g(
        "election",
        "open",
        "--group",
        "wg",
        "--seats",
        "1",
        "--candidates",
        "bo,cy",
        "--as",
        "ada",
        *later,
    )
    g("wg", "role", "wg", "di", "observer", "--as", "ada", *later)
    assert "rejected" in g("rfc", "show", "RFC-0003", *later)[1]
    return g


def test_every_console_action_has_a_case() -> None:
    assert missing(FrontEnd.CONSOLE, CASES) == set(), "add a console case for each of these"


@pytest.mark.parametrize("action", list(CASES), ids=str)
def test_every_standing_on_the_console(action: Action, prepared: Record, tmp_path: Path) -> None:
    case = CASES[action]
    rules = case.rules or (action,)
    for persona in PERSONAS:
        g = _copy(prepared, tmp_path / f"{persona.handle}.db")
        before, entries = g.dump(), len(g.ledger())
        rc, out, err = g(*case.argv, "--as", persona.handle, "--now", NOW, code=None)
        allowed = expected(action, persona, authored=case.authored, electoral=case.electoral)
        where = f"{action} as {persona.standing} ({persona.handle}): exit {rc}: {out}{err}"
        if allowed:
            assert rc == 0 and len(g.ledger()) > entries, where
            _check_binding(action, persona, case, g)
        else:
            assert rc != 0 and any(f"rule {r}" in err for r in rules), where
            assert g.dump() == before, where


def _copy(prepared: Record, path: Path) -> Record:
    """The prepared record (its write-ahead log too: WAL mode) as a new file."""
    shutil.copyfile(prepared.db, path)
    for suffix in ("-wal", "-shm"):
        if Path(f"{prepared.db}{suffix}").exists():
            shutil.copyfile(f"{prepared.db}{suffix}", f"{path}{suffix}")
    return Record(path, prepared.charters)


def _check_binding(action: Action, persona: Persona, case: Case, g: Record) -> None:
    """A ballot or ranking binds exactly when the declaration counts it."""
    if action not in (Action.CAST_BALLOT, Action.RANK):
        return
    import json

    payload = json.loads(g.ledger()[-1][2] if action is Action.RANK else _last_cast(g))
    counts = expected(Action.BINDING_BALLOT, persona, electoral=case.electoral)
    assert payload["binding"] is counts, (action, persona)


def _last_cast(g: Record) -> str:
    return next(p for a, _, p in reversed(g.ledger()) if a == "ballot.cast")
