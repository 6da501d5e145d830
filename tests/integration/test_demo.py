"""`govbot demo`: the month it plays leaves the record it tells, and it never touches old data.

The demo runs once per module (a few seconds), replayed from ``--start 2027-03-01`` so the record
is the same on every run; each test reads what it left behind through the services, the console
and the docs repository. The demo that ends now (its default) is played by the README's test,
``test_readme.py``, whose tour runs on it.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.demo import START, DemoReport, run_demo
from governance import charters as charter_files
from governance import errors, ledger
from governance.services import elections, groups, rfcs
from governance.store import Store, ledger_entries

CHARTERS = Path(__file__).resolve().parents[2] / "charters"
DATED = re.compile(r"^2027-03-(\d\d)  \S")
END = datetime(2027, 4, 1, tzinfo=UTC)


@dataclass
class Played:
    report: DemoReport
    lines: list[str]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    lines: list[str] = []
    report = run_demo(
        tmp_path_factory.mktemp("demo") / "month",
        charters=CHARTERS,
        echo=lines.append,
        start=START,
    )
    return Played(report, lines)


@pytest.fixture
def store(played: Played) -> Iterator[Store]:
    opened = Store.open(played.report.database)
    yield opened
    opened.close()


def entries(store: Store, subject: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, action, payload) of every ledger entry about ``subject``, in order."""
    with store.read() as uow:
        return [
            (e.actor, e.action, json.loads(e.payload))
            for e in ledger_entries(uow.session)
            if e.subject == subject
        ]


def console(played: Played, *argv: str) -> tuple[int, Any]:
    return console_on(played.report.database, *argv)


def console_on(database: Path, *argv: str) -> tuple[int, Any]:
    code, out, err = cli.run(["--db", str(database), "--json", *argv])
    assert err == "", err
    return code, json.loads(out)


# --- the outcomes of the month -----------------------------------------------------------------


def test_every_rfc_ends_where_the_story_says(played: Played) -> None:
    assert played.report.rfcs == {
        "RFC-0001": "accepted",
        "RFC-0002": "accepted",
        "RFC-0003": "accepted",
        "RFC-0004": "accepted",
        "RFC-0005": "rejected",
        "RFC-0006": "discussion",  # no quorum, then re-proposed with changes
    }
    assert played.report.outcomes == {
        "RFC-0001": "passed",
        "RFC-0002": "passed",
        "RFC-0003": "passed",
        "RFC-0004": "passed",
        "RFC-0005": "rejected",
        "RFC-0006": "no-quorum",
    }


def test_the_report_matches_the_database(played: Played, store: Store) -> None:
    with store.read() as uow:
        listed = {r["rfc"]: r["status"] for r in rfcs.list_rfcs(uow)}
    assert listed == played.report.rfcs
    code, data = console(played, "rfc", "list")
    assert code == 0
    assert {r["rfc"]: r["status"] for r in data} == played.report.rfcs


def test_a_concern_pauses_the_consent_vote_which_resumes_and_passes(store: Store) -> None:
    actions = [(actor, action) for actor, action, _ in entries(store, "RFC-0001")]
    raised = actions.index(("cy", "concern.raised"))
    resolved = actions.index(("cy", "concern.resolved"))
    assert actions.index(("mei", "vote.opened")) < raised < resolved
    assert ("gwen", "ballot.cast") in actions[raised:resolved]  # cast while paused
    assert actions[-2:] == [("omar", "ballot.cast"), ("govbot", "vote.closed")]
    payloads = {action: payload for _, action, payload in entries(store, "RFC-0001")}
    assert payloads["concern.raised"]["vote_paused"] is True
    assert payloads["vote.closed"]["outcome"] == "passed"
    with store.read() as uow:
        view = rfcs.show_rfc(uow, "RFC-0001", END)
    assert [(c.author, c.state, c.resolved_by) for c in view.concerns] == [("cy", "resolved", "cy")]
    assert view.vote is not None
    # Paused on 03-05 11:00 with 6 days 4 hours left, resumed on 03-08 10:00: the deadline moved
    # to 03-14 14:00, but five yes ballots settled it on 03-09 09:00.
    assert view.vote.closed_at == "2027-03-09T09:00:00Z"
    assert (view.vote.yes, view.vote.no, view.vote.electorate) == (5, 0, 7)


def test_a_concern_in_discussion_is_resolved_before_the_vote(store: Store) -> None:
    actions = [action for _, action, _ in entries(store, "RFC-0003")]
    assert actions.index("concern.resolved") < actions.index("vote.opened")
    payloads = {action: payload for _, action, payload in entries(store, "RFC-0003")}
    assert payloads["concern.raised"]["vote_paused"] is False
    assert payloads["vote.opened"]["paused"] is False
    assert payloads["vote.opened"]["policy_name"] == "spec-release"


def test_a_changed_ballot_and_a_non_binding_one(store: Store) -> None:
    with store.read() as uow:
        status = rfcs.vote_status(uow, "RFC-0002", END)
    assert status.outcome == "passed"
    assert status.ballots is not None and status.non_binding_ballots is not None
    assert {b.handle: b.choice for b in status.ballots}["omar"] == "yes"
    assert [(b.handle, b.choice) for b in status.non_binding_ballots] == [("jonas", "yes")]
    assert "jonas" not in status.electors
    assert (status.yes, status.no, status.non_binding) == (5, 0, 1)
    omar = [
        (p["choice"], p["changed_from"], p["binding"])
        for actor, action, p in entries(store, "RFC-0002")
        if actor == "omar" and action == "ballot.cast"
    ]
    assert omar == [("no", None, True), ("yes", "no", True)]


def test_the_compute_budget_misses_its_supermajority(store: Store) -> None:
    with store.read() as uow:
        status = rfcs.vote_status(uow, "RFC-0005", END)
    assert status.policy_name == "compute-allocation"
    assert (status.yes, status.no, status.electorate) == (3, 3, 6)
    assert status.quorum_met
    assert status.outcome == "rejected"


def test_the_survey_vote_runs_to_its_deadline_without_a_quorum(store: Store) -> None:
    with store.read() as uow:
        status = rfcs.vote_status(uow, "RFC-0006", END)
    assert status.outcome == "no-quorum"
    assert status.participation == 3 and status.quorum_needed == 4
    assert status.opened_at == "2027-03-16T10:00:00Z"
    assert status.closed_at == "2027-03-23T10:00:00Z"  # opened + 7d: the tick at its deadline
    closed = [p for a, action, p in entries(store, "RFC-0006") if action == "vote.closed"]
    assert [p["outcome"] for p in closed] == ["no-quorum"]
    assert [a for a, action, _ in entries(store, "RFC-0006")][-1] == "priya"  # re-proposed


def test_the_steering_committee_elects_and_seats_its_chair(played: Played, store: Store) -> None:
    election = played.report.election
    assert election.state == "closed" and election.outcome == "elected"
    assert election.winners == ["elena"]
    assert election.ranking == ["elena", "kavya", "hiro"]
    assert (election.ballots, election.electorate, election.non_binding) == (6, 6, 1)
    assert election.closed_at == "2027-03-22T09:00:00Z"  # close_early is off: the deadline
    assert election.pairwise["elena"] == {"hiro": 4, "kavya": 4}
    with store.read() as uow:
        roster = {m.handle: m.role for m in groups.show_group(uow, "steering").roster}
        again = elections.election_status(uow, "E-0001")
    assert again == election
    assert roster["elena"] == "chair" and roster["ada"] == "member"


def test_joins_open_and_by_approval(store: Store) -> None:
    with store.read() as uow:
        interop = {m.handle: m.role for m in groups.show_group(uow, "interop").roster}
        datasets = groups.show_group(uow, "datasets")
    assert interop["nadia"] == "member"
    assert {m.handle: m.role for m in datasets.roster}["kavya"] == "member"
    assert datasets.pending == []
    assert [a for a, _, _ in entries(store, "datasets")] == ["kavya", "bo"]
    assert [action for _, action, _ in entries(store, "datasets")] == [
        "group.join-requested",
        "group.join-approved",
    ]


def test_the_ledger_verifies(played: Played, store: Store) -> None:
    assert played.report.ledger.ok
    with store.read() as uow:
        again = ledger.verify(ledger_entries(uow.session))
    assert again == played.report.ledger
    assert again.entries >= len(played.report.steps)
    code, data = console(played, "ledger", "verify")
    assert code == 0 and data["ok"] is True and data["head"] == again.head
    assert data["differences"] == [] and data["unchecked"] == []  # every table replayed, equal
    assert len(data["tables"]) == 13
    # every step's commit published a head the record still has, and the month files match it
    code, data = console(played, "ledger", "verify", "--docs", str(played.report.docs))
    assert code == 0 and data["published"]["ok"] is True
    assert data["published"]["heads"] == len(played.report.commits)
    assert data["published"]["compared"] == again.entries


# --- what it prints -------------------------------------------------------------------------


def test_it_tells_the_month_in_order_with_dates(played: Played) -> None:
    steps = played.report.steps
    assert [s.line for s in steps] == played.lines[: len(steps)]
    days = [int(m.group(1)) for line in played.lines if (m := DATED.match(line))]
    assert len(days) == len(steps) and days == sorted(days)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    told = "\n".join(played.lines)
    for sentence in (
        "2027-03-03  bo proposed RFC-0002 'Caption format v1' in datasets",
        "kavya asked to join datasets",
        "The vote is paused",
        "omar changed their ballot on RFC-0002 from no to yes",
        "jonas, who has no vote in datasets, voted yes on RFC-0002: recorded as non-binding",
        "RFC-0005 is rejected",
        "no-quorum",
        "Elected: elena.",
    ):
        assert sentence in told, sentence


def test_it_says_where_to_look(played: Played) -> None:
    tail = played.lines[len(played.report.steps) :]
    report = played.report
    told = "\n".join(tail)
    assert shlex.quote(str(report.docs / "README.md")) in told
    assert f"git -C {shlex.quote(str(report.docs))} log --stat" in told
    assert "--charters" not in told  # the bundled charters need no flag
    commands = [shlex.split(line, comments=True) for line in tail if "govbot --db" in line]
    assert len(commands) >= 5
    for argv in commands:
        assert argv[:3] == ["govbot", "--db", str(report.database)]
        code, out, err = cli.run(argv[1:])
        assert (code, err) == (0, ""), (argv, err)
        assert out.strip(), argv


def test_it_is_quick(played: Played) -> None:
    assert played.report.seconds < 30


def test_the_same_month_every_run(played: Played, tmp_path: Path) -> None:
    """`govbot demo --start 2027-03-01`: word for word, commit for commit, byte for byte; an
    existing but empty directory is fine too."""
    target = tmp_path / "again"
    target.mkdir()
    code, out, err = cli.run(["demo", str(target), "--start", "2027-03-01"])
    assert (code, err) == (0, "")
    lines = out.rstrip("\n").split("\n")
    here, there = str(played.report.directory), str(target)
    assert [line.replace(there, "DIR") for line in lines] == [
        line.replace(here, "DIR") for line in played.lines
    ]
    assert git(target / "docs", "rev-list", "--reverse", "main").split() == list(
        played.report.commits
    )  # commit ids hash every page's bytes, every message and every date
    code, data = console_on(target / "govbot.db", "ledger", "verify")
    assert data["head"] == played.report.ledger.head
    assert lines[-1] == (
        "The month ran from 2027-03-01 09:00 to 2027-03-25 10:00 UTC. The record was made with "
        "explicit times and is not live: act on it with --now, at 2027-03-25T10:00:00Z or later."
    )


def test_a_replayed_month_is_not_live_and_accepts_any_later_now(
    played: Played, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(played.report.database, copy)
    assert not played.report.live
    assert sqlite3.connect(copy).execute("SELECT name FROM checkpoints").fetchall() == []
    far = "2099-03-26T10:00:00Z"  # ahead of any real clock this test will meet
    code, out, err = cli.run(["--db", str(copy), "--now", far, "tick"])
    assert (code, err) == (0, ""), err
    code, out, err = cli.run(["--db", str(copy), "--now", far, "rfc", "list"])
    assert (code, err) == (0, "") and "RFC-0006" in out


def test_a_bad_start_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    code, _, err = cli.run(["demo", str(tmp_path / "d"), "--start", "March"])
    assert code == 2 and "--start 'March' is not a date; write it like 2027-03-01" in err
    code, _, err = cli.run(["demo", str(tmp_path / "d"), "--now", "2027-03-01T09:00:00Z"])
    assert code == 2 and "drop --now" in err
    assert not (tmp_path / "d").exists()


# --- the docs repository ----------------------------------------------------------------------


def git(docs: Path, *argv: str) -> str:
    out = subprocess.run(["git", "-C", str(docs), *argv], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_docs_repository_has_one_commit_per_step(played: Played) -> None:
    report = played.report
    history = git(report.docs, "rev-list", "--reverse", "main").split()
    assert history == list(report.commits)
    assert all(step.commit is not None for step in report.steps)  # every step changed something
    assert len(set(history)) == len(report.steps)
    git(report.docs, "fsck", "--strict")
    dates = [int(t) for t in git(report.docs, "log", "--reverse", "--format=%ct").split()]
    assert dates[0] == int(datetime(2027, 3, 1, 9, tzinfo=UTC).timestamp())
    assert dates == sorted(dates)
    assert dates[-1] == int(report.steps[-1].at.timestamp())


def test_each_commit_holds_its_step(played: Played) -> None:
    report = played.report
    proposed = next(s for s in report.steps if s.text.startswith("bo proposed RFC-0002"))
    assert proposed.commit is not None
    touched = git(report.docs, "show", "--name-only", "--format=", proposed.commit).split()
    assert "rfcs/0002-caption-format-v1.md" in touched
    page = git(report.docs, "show", f"{proposed.commit}:rfcs/0002-caption-format-v1.md")
    assert "Caption format v1" in page and "`alt`" in page
    message = git(report.docs, "log", "-1", "--format=%B", report.commits[-1])
    assert report.ledger.head in message  # the last commit names the ledger head


def test_the_working_tree_reads_as_the_record(played: Played) -> None:
    docs = played.report.docs
    assert git(docs, "status", "--porcelain") == ""
    readme = (docs / "README.md").read_text(encoding="utf-8")
    assert readme == git(docs, "show", "main:README.md")
    assert "Open Model Initiative" in readme
    steering = (docs / "groups" / "steering" / "README.md").read_text(encoding="utf-8")
    assert "Elena" in steering
    decisions = (docs / "decisions.md").read_text(encoding="utf-8")
    for label in ("RFC-0001", "RFC-0005", "RFC-0006", "E-0001"):
        assert label in decisions, label


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "govbot.db").write_bytes(b"someone's record")
    (target / "notes").mkdir()
    before = sorted((p.relative_to(target), p.stat().st_mtime_ns) for p in target.rglob("*"))
    told: list[str] = []
    with pytest.raises(errors.InvalidInput, match="not empty"):
        run_demo(target, charters=CHARTERS, echo=told.append)
    after = sorted((p.relative_to(target), p.stat().st_mtime_ns) for p in target.rglob("*"))
    assert after == before
    assert (target / "govbot.db").read_bytes() == b"someone's record"
    assert told == []


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(errors.InvalidInput, match="is a file"):
        run_demo(target, charters=CHARTERS, echo=lambda _line: None)
    assert target.read_text() == "x"


def test_refuses_invalid_charters_before_creating_anything(tmp_path: Path) -> None:
    broken = tmp_path / "charters"
    shutil.copytree(CHARTERS, broken)
    (broken / "foundation.yaml").write_text("name: [unclosed\n")
    target = tmp_path / "month"
    with pytest.raises(charter_files.CharterError):
        run_demo(target, charters=broken, echo=lambda _line: None)
    assert not target.exists()
