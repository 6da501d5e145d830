"""The record's clock and the console's reads: a live record never moves past the real clock,
and a read never writes.

Every test compares a dump of every table (``Db.snapshot``) before and after, so "nothing
changed" means no row anywhere: no ledger entry, no outbox row, no checkpoint, no charter sync.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import run
from governance.clock import iso, parse_instant, utcnow
from tests.conftest import Db
from tests.integration.test_console import Console

FUTURE = "2099-01-04T10:00:00Z"
"""A typo in the year: ahead of any real clock these tests meet."""
PAST = "2020-01-{:02d}T10:00:00Z"
CHANGED = "govbot: the charters changed since the last sync; `govbot charters sync` applies them.\n"


@pytest.fixture
def govbot(db: Db, charters_dir: Path) -> Console:
    return Console(db, charters_dir)


def past(day: int) -> str:
    return PAST.format(day)


def edit_charters(charters: Path) -> None:
    """A roster change on disk, not yet applied: a sync would make a ledger entry."""
    docs = charters / "docs.md"
    docs.write_text(docs.read_text().replace("members: [gus]", "members: [gus, ivy]"))


# --- a live record refuses a time ahead of the real clock --------------------------------------


def live_record(govbot: Console) -> None:
    """A record that acted in real time, with an open vote whose deadline is a week away."""
    govbot("charters", "sync")
    govbot("rfc", "propose", "--group", "core", "--title", "T", "--body", "B", "--as", "bo")
    govbot("vote", "open", "RFC-0001", "--as", "ada")
    govbot("vote", "cast", "RFC-0001", "yes", "--as", "bo")


@pytest.mark.parametrize(
    "argv",
    [
        ["tick"],
        ["charters", "sync"],
        ["vote", "cast", "RFC-0001", "no", "--as", "cy"],
        ["rfc", "propose", "--group", "core", "--title", "U", "--body", "B", "--as", "bo"],
        ["vote", "status", "RFC-0001"],
        ["rfc", "show", "RFC-0001"],
        ["--json", "vote", "status", "RFC-0001"],
    ],
)
def test_a_future_now_on_a_live_record_is_refused_and_changes_nothing(
    govbot: Console, db: Db, argv: list[str]
) -> None:
    live_record(govbot)
    assert db.query("SELECT name FROM checkpoints WHERE name = 'record:live'") == [("record:live",)]
    edit_charters(govbot.charters)  # a sync would apply it, a tick at FUTURE would close the vote
    before = db.snapshot()
    out, err = govbot(*argv, "--now", FUTURE, code=2)
    assert err.count("\n") == 1 and err.startswith("govbot: This record is live"), err
    real = re.search(r"the real time, (\S+);", err)
    assert real is not None and f"the time given, {FUTURE}," in err
    assert abs(utcnow() - parse_instant(real.group(1))) < timedelta(minutes=1)
    assert "drop --now" in err
    if "--json" in argv:
        assert '"error": "clock-ahead"' in out
    else:
        assert out == ""
    assert db.snapshot() == before


def test_the_same_commands_work_on_a_record_made_with_now(govbot: Console, db: Db) -> None:
    govbot("charters", "sync", "--now", past(1))
    govbot.propose(past(2))
    govbot("vote", "open", "RFC-0001", "--as", "ada", "--now", past(3))
    govbot("vote", "cast", "RFC-0001", "yes", "--as", "bo", "--now", past(3))
    assert db.query("SELECT name FROM checkpoints") == []  # never acted in real time
    out, _ = govbot("tick", "--now", FUTURE)
    assert out == "Closed: RFC-0001: no-quorum\n"
    govbot.propose(FUTURE, title="U")
    assert db.query("SELECT name FROM checkpoints") == []
    # the ledger still never goes backwards
    _, err = govbot.propose(past(4), title="V", code=1)
    assert f"earlier than the last recorded change ({FUTURE})" in err


def test_a_time_within_the_tolerance_is_accepted_and_the_past_behaves_as_before(
    govbot: Console, db: Db
) -> None:
    live_record(govbot)
    soon = iso(utcnow() + timedelta(seconds=2))  # clocks differ a little: within 5 s is fine
    assert soon is not None
    govbot("vote", "cast", "RFC-0001", "no", "--as", "cy", "--now", soon)
    _, err = govbot.propose(past(1), code=1)
    assert "earlier than the last recorded change" in err


def test_the_first_real_time_change_makes_a_record_live(govbot: Console, db: Db) -> None:
    govbot("charters", "sync", "--now", past(1))
    govbot.propose(FUTURE)  # a replay may run ahead: the record is not live
    govbot("wg", "list")  # a read in real time changes nothing, so it makes nothing live
    assert db.query("SELECT name FROM checkpoints") == []
    # a change without --now is at the real time, which is before FUTURE: refused, not live
    _, err = govbot("wg", "join", "docs", "--as", "hal", code=1)
    assert "earlier than the last recorded change" in err
    assert db.query("SELECT name FROM checkpoints") == []


def test_a_live_mark_is_written_with_the_change_that_made_it(govbot: Console, db: Db) -> None:
    govbot("charters", "sync", "--now", past(1))
    govbot("wg", "join", "docs", "--as", "hal")
    (seq,) = db.query("SELECT max(seq) FROM ledger")[0]
    assert db.query("SELECT name, seq FROM checkpoints") == [("record:live", seq)]
    _, err = govbot("wg", "leave", "docs", "--as", "hal", "--now", FUTURE, code=2)
    assert "This record is live" in err


# --- reads never write ---------------------------------------------------------------------------

READS = [
    ["rfc", "show", "RFC-0001"],
    ["rfc", "list"],
    ["vote", "status", "RFC-0001"],
    ["--json", "vote", "status", "RFC-0001"],
    ["election", "status", "E-0001"],
    ["people", "list"],
    ["wg", "list"],
    ["wg", "show", "core"],
    ["outbox"],
    ["ledger", "verify"],
    ["ledger", "tail", "-n", "5"],
    ["render", "--out", "{tmp}/site"],
]
NO_RECORD = [["check"], ["charters", "schema"]]  # they never open the record


def due_record(govbot: Console) -> None:
    """A record made in 2020: its vote and its election are long past their deadlines."""
    govbot("charters", "sync", "--now", past(1))
    govbot.propose(past(2))
    govbot("vote", "open", "RFC-0001", "--as", "ada", "--now", past(3))
    for who in ("ada", "bo", "cy"):
        govbot("vote", "cast", "RFC-0001", "yes", "--as", who, "--now", past(3))
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
        past(4),
    )
    govbot("election", "rank", "E-0001", "cy,bo", "--as", "ada", "--now", past(4))


def test_reads_leave_every_table_unchanged(govbot: Console, db: Db, tmp_path: Path) -> None:
    due_record(govbot)
    edit_charters(govbot.charters)
    before = db.snapshot()
    entries = db.query("SELECT count(*) FROM ledger")
    for argv in [*READS, *NO_RECORD]:
        argv = [a.format(tmp=tmp_path) for a in argv]
        out, err = govbot(*argv)  # without --now: at the real time, years after the deadlines
        assert err == ("" if argv in NO_RECORD else CHANGED), (argv, err)
        assert db.snapshot() == before, argv
    assert db.query("SELECT count(*) FROM ledger") == entries
    # what they said: due, with the outcome each will close with
    out, _ = govbot("vote", "status", "RFC-0001")
    assert "Vote on RFC-0001: open." in out
    assert "due: closes as passed at the next tick" in out
    status = govbot.json("vote", "status", "RFC-0001")
    assert (status["state"], status["due"], status["due_outcome"]) == ("open", True, "passed")
    out, _ = govbot("election", "status", "E-0001")
    assert "due: closes as no-quorum at the next tick" in out  # 1 of 5 electors ranked
    # a change applies the charters and closes what is due: the dump can tell
    out, _ = govbot("tick")
    assert out == "Closed: RFC-0001: passed; E-0001: no-quorum\n"
    after = db.snapshot()
    assert after["ledger"] != before["ledger"] and after["votes"] != before["votes"]
    _, err = govbot("wg", "list")
    assert err == ""  # the charters are applied now


def test_the_fast_read_of_a_vote_never_writes_either(
    govbot: Console, db: Db, charters_dir: Path
) -> None:
    due_record(govbot)  # charters as synced: the plain-sqlite3 path answers
    before = db.snapshot()
    status = govbot.json("vote", "status", "RFC-0001")
    assert (status["due"], status["due_outcome"]) == (True, "passed")
    assert db.snapshot() == before


def test_a_read_of_a_record_that_does_not_exist_says_how_to_make_it(
    charters_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "none.db"
    for argv in (["wg", "list"], ["vote", "status", "RFC-0001"], ["ledger", "verify"], ["outbox"]):
        code, out, err = run(["--db", str(missing), "--charters", str(charters_dir), *argv])
        assert code == 2 and out == "", argv
        assert err == (
            f"govbot: There is no record at {missing} yet; `govbot charters sync` creates it "
            f"from the charters ({charters_dir}).\n"
        )
    assert not missing.exists()
    code, out, _ = run(["--db", str(missing), "--charters", str(charters_dir), "charters", "sync"])
    assert code == 0 and out.startswith(f"Applied the charters in {charters_dir}: ")
    assert missing.is_file()


def test_a_read_of_an_older_schema_says_to_upgrade(govbot: Console, db: Db) -> None:
    govbot("charters", "sync")
    db.execute("UPDATE alembic_version SET version_num = '0004'")
    before = db.snapshot()
    _, err = govbot("wg", "list", code=2)
    assert "is at schema 0004" in err and "`govbot db upgrade` migrates it" in err
    assert db.snapshot() == before


def test_charters_sync_says_what_it_applied(govbot: Console, db: Db) -> None:
    out, _ = govbot("charters", "sync", "--now", past(1))
    assert out.startswith("Applied the charters in ")
    assert out.endswith(": registered 10 people; founded core, docs.\n")
    out, _ = govbot("charters", "sync", "--now", past(2))
    assert out.endswith("are the ones last applied; nothing changed.\n")
    entries = db.query("SELECT count(*) FROM ledger")
    edit_charters(govbot.charters)
    out, _ = govbot("charters", "sync", "--now", past(3))
    assert out.endswith(": revised docs; ivy is now member of docs.\n")
    data = govbot.json("charters", "sync", "--now", past(4))
    assert data["changed"] is False
    assert db.query("SELECT count(*) FROM ledger")[0][0] == entries[0][0] + 1
