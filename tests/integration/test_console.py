"""The `govbot` console: options anywhere, JSON output, exit codes, and whole lifecycles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import run
from tests.conftest import Db

ROOT = Path(__file__).resolve().parents[2]


class Console:
    """Runs console commands in-process against one database and charters directory."""

    def __init__(self, db: Db, charters: Path) -> None:
        self.db = db
        self.charters = charters

    def __call__(self, *argv: str, code: int = 0) -> tuple[str, str]:
        rc, out, err = run(["--db", str(self.db), "--charters", str(self.charters), *argv])
        assert rc == code, f"exit {rc} (wanted {code}): {out}{err}"
        return out, err

    def propose(
        self, now: str, *, title: str = "T", body: str = "B", author: str = "bo", code: int = 0
    ) -> tuple[str, str]:
        """Propose an RFC in core."""
        argv = ["rfc", "propose", "--group", "core", "--title", title, "--body", body]
        return self(*argv, "--as", author, "--now", now, code=code)

    def json(self, *argv: str, code: int = 0) -> dict:
        out, _ = self(*argv, "--json", code=code)
        return json.loads(out)


@pytest.fixture
def govbot(db: Db, charters_dir: Path) -> Console:
    return Console(db, charters_dir)


def at(day: int, hour: int = 10) -> str:
    return f"2027-01-{day:02d}T{hour:02d}:00:00Z"


def ledger_count(db: Db) -> int:
    return db.query("SELECT count(*) FROM ledger")[0][0]


def test_global_options_stand_before_or_after_the_command(db: Db, charters_dir: Path) -> None:
    base = ["--charters", str(charters_dir)]
    rc, out, _ = run(
        [
            "--db",
            str(db),
            *base,
            "--now",
            at(3),
            "rfc",
            "propose",
            "--group",
            "core",
            "--title",
            "T",
            "--body",
            "B",
            "--as",
            "bo",
            "--json",
        ]
    )
    assert rc == 0 and json.loads(out)["rfc"] == "RFC-0001"
    rc, out, _ = run(
        ["vote", "open", "RFC-0001", "--as", "ada", "--db", str(db), *base, "--now", at(4)]
    )
    assert rc == 0, out
    rc, out, _ = run(
        [
            "--db",
            str(db),
            *base,
            "--now",
            at(4, 11),
            "vote",
            "cast",
            "RFC-0001",
            "yes",
            "--as",
            "bo",
            "--json",
        ]
    )
    assert rc == 0 and json.loads(out)["binding"] is True


def test_vote_status_json_fields(govbot: Console) -> None:
    govbot.propose(at(3))
    govbot("vote", "open", "RFC-0001", "--as", "ada", "--now", at(4))
    govbot("vote", "cast", "RFC-0001", "yes", "--as", "bo", "--now", at(4, 11))
    govbot("vote", "cast", "RFC-0001", "no", "--as", "hal", "--now", at(4, 12))
    status = govbot.json("vote", "status", "RFC-0001", "--now", at(4, 13))
    assert {
        k: status[k]
        for k in (
            "rfc",
            "state",
            "outcome",
            "yes",
            "no",
            "abstain",
            "non_binding",
            "electorate",
            "quorum_met",
            "closes_at",
        )
    } == {
        "rfc": "RFC-0001",
        "state": "open",
        "outcome": None,
        "yes": 1,
        "no": 0,
        "abstain": 0,
        "non_binding": 1,
        "electorate": 5,
        "quorum_met": False,
        "closes_at": "2027-01-11T10:00:00Z",
    }


def test_full_rfc_lifecycle(govbot: Console, db: Db) -> None:
    """Propose, discuss, concern, resolve, vote, early close, outcome; then verify the ledger."""
    out, _ = govbot.propose(
        at(1), title="Open captions dataset", body="We publish captions under CC-BY."
    )
    assert "RFC-0001" in out
    concern = govbot.json(
        "rfc",
        "concern",
        "RFC-0001",
        "Which licence for derived data?",
        "--as",
        "cy",
        "--now",
        at(2),
    )
    assert concern["concern_id"] == 1
    opened = govbot.json("vote", "open", "RFC-0001", "--as", "ada", "--now", at(3))
    assert (opened["state"], opened["closes_at"]) == ("paused", None)
    govbot("vote", "cast", "RFC-0001", "yes", "--as", "bo", "--now", at(3, 11))
    resolved = govbot.json("rfc", "resolve", "RFC-0001", "1", "--as", "cy", "--now", at(4))
    assert resolved["vote_state"] == "open" and resolved["closes_at"] == "2027-01-11T10:00:00Z"
    for who in ("ada", "cy"):
        govbot("vote", "cast", "RFC-0001", "yes", "--as", who, "--now", at(4, 12))
    status = govbot.json("vote", "status", "RFC-0001", "--now", at(6, 9))
    assert status["state"] == "open"  # decided, but min_duration (72h from the 3rd) not yet over
    out, _ = govbot("tick", "--now", at(7))
    assert "RFC-0001: passed" in out
    status = govbot.json("vote", "status", "RFC-0001", "--now", at(7))
    assert (status["state"], status["outcome"], status["yes"]) == ("closed", "passed", 3)
    assert status["closed_at"] == "2027-01-06T10:00:00Z"  # the moment min_duration ran out
    shown = govbot.json("rfc", "show", "RFC-0001", "--now", at(7))
    assert shown["status"] == "accepted"
    assert shown["concerns"][0]["state"] == "resolved"
    verified = govbot.json("ledger", "verify")
    assert verified["ok"] and verified["entries"] == ledger_count(db)


def test_lifecycle_to_deadline_and_rejection(govbot: Console) -> None:
    govbot.propose(at(1))
    govbot("vote", "open", "RFC-0001", "--as", "ada", "--now", at(2))
    govbot("vote", "cast", "RFC-0001", "no", "--as", "bo", "--now", at(2, 11))
    govbot("vote", "cast", "RFC-0001", "no", "--as", "cy", "--now", at(2, 11))
    govbot("vote", "cast", "RFC-0001", "yes", "--as", "di", "--now", at(2, 11))
    # a read shows the vote due, with the outcome it will close with, and closes nothing
    status = govbot.json("vote", "status", "RFC-0001", "--now", at(12))
    assert (status["state"], status["outcome"]) == ("open", None)
    assert (status["due"], status["due_outcome"]) == (True, "rejected")
    out, _ = govbot("vote", "status", "RFC-0001", "--now", at(12))
    assert "due: closes as rejected at the next tick" in out
    # any command that changes something catches up with the deadline first
    _, err = govbot("vote", "cast", "RFC-0001", "yes", "--as", "ed", "--now", at(12), code=1)
    assert "ballots are no longer accepted" in err
    status = govbot.json("vote", "status", "RFC-0001", "--now", at(12))
    assert (status["state"], status["outcome"], status["due"]) == ("closed", "rejected", False)


def test_election_end_to_end(govbot: Console) -> None:
    opened = govbot.json(
        "election",
        "open",
        "--group",
        "core",
        "--seats",
        "1",
        "--candidates",
        "bo,cy,di",
        "--title",
        "Chair 2027",
        "--as",
        "ada",
        "--now",
        at(1),
    )
    assert opened["election"] == "E-0001" and opened["state"] == "open"
    ballots = {"ada": "cy,bo,di", "bo": "bo,cy=di", "cy": "cy,di,bo", "di": "di,cy,bo", "ed": "cy"}
    for who, ranking in ballots.items():
        govbot("election", "rank", "E-0001", ranking, "--as", who, "--now", at(2))
    open_status = govbot.json("election", "status", "E-0001", "--now", at(2))
    assert open_status["state"] == "open" and open_status["ranking"][0] == "cy"
    due = govbot.json("election", "status", "E-0001", "--now", at(4))
    assert (due["state"], due["due"], due["due_outcome"]) == ("open", True, "elected")
    out, _ = govbot("election", "status", "E-0001", "--now", at(4))
    assert "due: closes as elected at the next tick" in out
    out, _ = govbot("tick", "--now", at(4))
    assert out == "Closed: E-0001: elected\n"
    status = govbot.json("election", "status", "E-0001", "--now", at(4))
    assert (status["state"], status["due"]) == ("closed", False)
    # cy beats bo 4:1 and di 3:1; bo and di split 2:2, so they share the second place.
    assert status["tiers"] == [["cy"], ["bo", "di"]]
    assert status["ranking"] == ["cy", "bo", "di"]
    assert status["closed_at"] == "2027-01-04T10:00:00Z"  # all ranked; closes once 72h are up
    assert status["pairwise"]["cy"] == {"bo": 4, "di": 3}
    assert status["winners"] == ["cy"]


def test_election_bad_ranking(govbot: Console) -> None:
    govbot(
        "election",
        "open",
        "--group",
        "core",
        "--seats",
        "1",
        "--candidates",
        "bo,cy",
        "--as",
        "ada",
        "--now",
        at(1),
    )
    _, err = govbot("election", "rank", "E-0001", "bo,zed", "--as", "cy", "--now", at(1), code=2)
    assert "'zed' is not a candidate; the candidates are bo, cy." in err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["rfc", "propose", "--group", "nope", "--title", "T", "--body", "B", "--as", "bo"],
            1,
            "There is no group 'nope'",
        ),
        (
            ["rfc", "propose", "--group", "core", "--title", "", "--body", "B", "--as", "bo"],
            2,
            "title is empty",
        ),
        (
            [
                "rfc",
                "propose",
                "--group",
                "core",
                "--title",
                "x" * 10_000,
                "--body",
                "B",
                "--as",
                "bo",
            ],
            2,
            "limit is 200",
        ),
        (
            ["rfc", "propose", "--group", "core", "--title", "a\x1bb", "--body", "B", "--as", "bo"],
            2,
            "control character U+001B",
        ),
        (
            ["rfc", "propose", "--group", "core", "--title", "T", "--body", "B", "--as", "zed"],
            1,
            "No person with handle 'zed'",
        ),
        (["vote", "status", "RFC-0009"], 1, "There is no RFC-0009"),
        (["vote", "cast", "RFC-0001", "yes"], 2, "add --as HANDLE"),
        (["vote", "status", "RFC-0001", "--now", "yesterday"], 2, "not an ISO 8601 time"),
        (["vote", "status", "banana"], 2, "'banana' is not an RFC number"),
    ],
)
def test_bad_input_gets_one_clear_sentence(govbot: Console, db: Db, argv, code, message) -> None:
    govbot("charters", "sync")
    before = ledger_count(db)
    _, err = govbot(*argv, code=code)
    assert message in err
    assert ledger_count(db) == before


def test_now_before_last_entry_is_refused(govbot: Console, db: Db) -> None:
    govbot.propose(at(5))
    before = ledger_count(db)
    _, err = govbot.propose(at(4), title="T2", code=1)
    assert "earlier than the last recorded change (2027-01-05T10:00:00Z)" in err
    assert ledger_count(db) == before


def test_json_errors(govbot: Console) -> None:
    govbot("charters", "sync")
    out, _ = govbot("vote", "status", "RFC-0009", "--json", code=1)
    assert json.loads(out) == {"error": "not-found", "message": json.loads(out)["message"]}


def test_non_binding_answer_says_so(govbot: Console) -> None:
    govbot.propose(at(1))
    govbot("vote", "open", "RFC-0001", "--as", "ada", "--now", at(2))
    out, _ = govbot("vote", "cast", "RFC-0001", "yes", "--as", "ivy", "--now", at(2, 11))
    assert "non-binding" in out and "not in this vote's electorate" in out


def test_ledger_verify_exits_1_when_tampered(govbot: Console, db: Db) -> None:
    govbot.propose(at(1))
    govbot.propose(at(2), title="U")
    db.execute("UPDATE ledger SET subject = 'RFC-0009' WHERE seq = 2")
    out, _ = govbot("ledger", "verify", code=1)
    assert "Ledger broken at entry 2" in out


def test_check_reports_problems_with_exit_1(tmp_path: Path, charters_dir: Path) -> None:
    bad = charters_dir / "core.md"
    bad.write_text(bad.read_text().replace("kind: committee", "kind: comittee"))
    rc, out, _ = run(["--charters", str(charters_dir), "check"])
    assert rc == 1
    assert "core.md:" in out


def test_schema_is_json(charters_dir: Path) -> None:
    rc, out, _ = run(["charters", "schema"])
    assert rc == 0
    assert "slug" in json.loads(out)["properties"]


def test_people_and_groups_commands(govbot: Console) -> None:
    govbot("people", "add", "zoe", "--name", "Zoe Example", "--github", "zoe-gh", "--as", "root")
    _, err = govbot("people", "add", "yan", "--name", "Yan", "--as", "bo", code=1)
    assert "Only a foundation admin may register people" in err
    assert any(p["handle"] == "zoe" for p in govbot.json("people", "list"))
    out, _ = govbot("wg", "join", "docs", "--as", "zoe")
    assert "zoe joined docs as member" in out
    out, _ = govbot("wg", "join", "core", "--as", "zoe")
    assert "a chair must approve" in out
    govbot("wg", "approve", "core", "zoe", "--as", "ada")
    govbot("wg", "role", "core", "zoe", "emeritus", "--as", "ada")
    shown = govbot.json("wg", "show", "core")
    assert {"handle": "zoe", "role": "emeritus"}.items() <= next(
        m for m in shown["roster"] if m["handle"] == "zoe"
    ).items()
    govbot("wg", "leave", "docs", "--as", "zoe")
    assert "zoe" not in [m["handle"] for m in govbot.json("wg", "show", "docs")["roster"]]


def test_unknown_command_is_usage_error() -> None:
    rc, _, _ = run(["frobnicate"])
    assert rc == 2


def test_installed_entry_point_runs_as_written(db: Db) -> None:
    """The README's form, through a real process and the bundled charters."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bot.cli", "--db", str(db), "--now", "2027-01-04T10:00:00Z"]
    synced = subprocess.run(
        [*cmd, "charters", "sync"], capture_output=True, text=True, env=env, check=False
    )
    assert synced.returncode == 0 and synced.stdout.startswith("Applied the charters"), synced
    listing = subprocess.run(
        [*cmd, "wg", "list", "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert listing.returncode == 0, listing.stderr
    slugs = [g["slug"] for g in json.loads(listing.stdout)]
    assert slugs == ["community", "datasets", "interop", "red-team", "steering", "training"]
    bad = subprocess.run(
        [*cmd, "vote", "status", "RFC-0001"], capture_output=True, text=True, env=env, check=False
    )
    assert bad.returncode == 1 and "There is no RFC-0001" in bad.stderr


def test_malformed_duration_in_a_charter_is_refused_clearly(govbot: Console, db: Db) -> None:
    govbot("charters", "sync")
    before = ledger_count(db)
    path = govbot.charters / "foundation.yaml"
    path.write_text(path.read_text().replace("duration: 14d", "duration: 14days"))
    out, _ = govbot("check", code=1)
    assert "foundation.yaml:" in out and "'14days' is not a duration" in out
    _, err = govbot(
        "rfc", "propose", "--group", "core", "--title", "T", "--body", "B", "--as", "bo", code=1
    )
    assert "The charters do not validate" in err and "14days" in err
    assert ledger_count(db) == before
