"""The ledger as the docs publish it: month files anyone can verify, and every published head.

A real record played through the services, published with real git to a local repository;
``ledger/verify.py`` runs in a bare interpreter (standard library only) in that clone, and
``govbot ledger verify --docs`` reads the clone's history. Tampering is done with raw SQL on the
record, or by editing a copy of the clone, as someone with the files would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli import run
from governance import ledger
from governance.publish import LocalGitPublisher, Publication, publish_now
from governance.published import check_published, heads_of
from governance.render.ledger_files import line
from governance.services import rfcs
from governance.store import Store
from tests.conftest import Db
from tests.integration.scenario import Built, D, H, build

CHOICES = {"yes", "no", "abstain"}


@pytest.fixture
def built(tmp_path: Path, open_store: Callable[[], Store]) -> Built:
    return build(tmp_path, open_store)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return tmp_path / "docs"


def propose(built: Built, at: datetime, title: str) -> None:
    built.act(rfcs.propose_rfc, "bo", at, rfcs.ProposeRfc("core", title, "Text."))


def verify_py(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python3 ledger/verify.py`` in the clone, isolated and without site-packages."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "ledger/verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def govbot(built: Built, db: Db, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(
        ["ledger", "verify", "--db", db.url, "--charters", str(built.charters), "--json", *args]
    )
    assert err == ""
    return code, json.loads(out)


def govbot_text(built: Built, db: Db, *args: str) -> tuple[int, str]:
    code, out, err = run(
        ["ledger", "verify", "--db", db.url, "--charters", str(built.charters), *args]
    )
    assert err == ""
    return code, out


def month_lines(docs: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted((docs / "ledger").glob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def three_publications(built: Built, docs: Path) -> list[Publication]:
    """Publish the scenario, then two more entries and publish, then two more and publish."""
    publisher = LocalGitPublisher(docs)
    done = [publish_now(built.store, publisher, built.now)]
    for round_ in (1, 2):
        at = built.now + round_ * H
        propose(built, at, f"Round {round_} first")
        propose(built, at, f"Round {round_} second")
        done.append(publish_now(built.store, publisher, at))
    assert [d.to_seq for d in done] == [41, 43, 45]
    assert all(d.commit for d in done)
    return done


def test_published_verifier_agrees_with_govbot_and_needs_only_the_standard_library(
    built: Built, docs: Path, db: Db
) -> None:
    three_publications(built, docs)
    checked = verify_py(docs)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    code, data = govbot(built, db)
    assert code == 0 and data["ok"]
    assert checked.stdout == f"{data['entries']} entries, head {data['head']}\n"
    message = subprocess.run(
        ["git", "-C", str(docs), "log", "-1", "--format=%B"], capture_output=True, text=True
    ).stdout
    assert message.strip().endswith(f"Ledger head: 45 {data['head']}")
    # given the folder instead of run from inside it: the clone or its ledger/
    script = str(docs / "ledger" / "verify.py")
    for folder in (docs, docs / "ledger"):
        other = subprocess.run(
            [sys.executable, "-I", "-S", script, str(folder)], capture_output=True, text=True
        )
        assert other.stdout == checked.stdout


def test_the_published_lines_are_the_entries_exactly_as_hashed(
    built: Built, docs: Path, db: Db
) -> None:
    publish_now(built.store, LocalGitPublisher(docs), built.now)
    lines = month_lines(docs)
    stored = db.query(
        "SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM ledger ORDER BY seq"
    )
    assert [
        (e["seq"], e["actor"], e["action"], e["subject"], e["payload"], e["prev_hash"], e["hash"])
        for e in lines
    ] == [(s, actor, act, sub, p, prev, h) for s, _, actor, act, sub, p, prev, h in stored]
    assert [e["at"] for e in lines] == [ledger.at_text(row[1]) for row in stored]
    for entry in lines:
        assert entry["hash"] == ledger.entry_hash(
            entry["seq"],
            datetime.fromisoformat(entry["at"].replace("Z", "+00:00")),
            entry["actor"],
            entry["action"],
            entry["subject"],
            entry["payload"],
            entry["prev_hash"],
        )
    text = (docs / "ledger" / "2027-01.jsonl").read_text(encoding="utf-8")
    assert text.isascii() and text.endswith("}\n")


def test_an_edited_published_entry_is_caught_and_named(
    built: Built, docs: Path, tmp_path: Path
) -> None:
    three_publications(built, docs)
    copy = tmp_path / "copy"
    shutil.copytree(docs, copy)
    month = copy / "ledger" / "2027-01.jsonl"
    lines = month.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, text in enumerate(lines) if '\\"choice\\":\\"no\\"' in text)
    entry = json.loads(lines[index])
    seq = entry["seq"]
    assert entry["action"] == "ballot.cast" and seq == index + 1
    entry["payload"] = entry["payload"].replace('"choice":"no"', '"choice":"yes"')
    lines[index] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    month.write_text("".join(lines), encoding="utf-8")
    checked = verify_py(copy)
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        f"Broken at entry {seq} (2027-01.jsonl line {index + 1}): its contents do not match "
        f"its hash (edited after the fact). The {seq - 1} entries before it check out"
    )
    # removing the line instead breaks the sequence at the next one
    del lines[index]
    month.write_text("".join(lines), encoding="utf-8")
    checked = verify_py(copy)
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        f"Broken at entry {seq + 1} (2027-01.jsonl line {index + 1}): the sequence jumps "
        f"from {seq - 1} to {seq + 1}."
    )
    # and the original clone still verifies
    assert verify_py(docs).returncode == 0


def test_the_verifier_refuses_a_folder_without_ledger_files(tmp_path: Path, docs: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "governance/render/static/verify.py"
    checked = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 2
    assert "No ledger files (YYYY-MM.jsonl) in" in checked.stderr


def test_an_intact_record_passes_against_every_published_head(
    built: Built, docs: Path, db: Db
) -> None:
    done = three_publications(built, docs)
    code, data = govbot(built, db, "--docs", str(docs))
    assert code == 0, data
    published = data["published"]
    assert published["ok"] and published["heads"] == 3 and published["commits"] == 3
    assert published["latest"] == {"commit": done[-1].commit, "seq": 45, "hash": done[-1].head}
    assert published["contradicted"] is None and published["difference"] is None
    assert published["compared"] == 45 and published["files"] == 1
    code, text = govbot_text(built, db, "--docs", str(docs))
    assert code == 0
    assert text.startswith(f"Ledger intact: 45 entries, head {done[-1].head}; every table matches")
    assert "Published heads: all 3 `Ledger head:` lines of the 3 commit(s) of" in text
    assert "the 45 entries in the 1 month file(s) at the tip match the record" in text
    # entries recorded since the last publication are not a difference
    propose(built, built.now + 3 * H, "Not published yet")
    assert govbot(built, db, "--docs", str(docs))[0] == 0


def test_a_record_that_lost_its_last_entries_is_caught(built: Built, docs: Path, db: Db) -> None:
    done = three_publications(built, docs)
    # a careful hand removes the last entries and the proposals they made, so the shortened
    # record replays cleanly and verifies by itself
    db.execute("DELETE FROM ledger WHERE seq > 42")
    db.execute(
        "DELETE FROM rfcs WHERE title IN ('Round 1 second', 'Round 2 first', 'Round 2 second')"
    )
    code, data = govbot(built, db)
    assert code == 0 and data["entries"] == 42 and data["differences"] == []
    code, data = govbot(built, db, "--docs", str(docs))
    assert code == 1
    first = data["published"]["contradicted"]
    assert first["commit"] == done[1].commit  # the oldest head past entry 42
    assert (first["seq"], first["published"], first["record"]) == (43, done[1].head, None)
    assert data["published"]["contradictions"] == 2
    code, text = govbot_text(built, db, "--docs", str(docs))
    assert code == 1
    assert (
        f"Published heads CONTRADICTED: commit {done[1].commit} published entry 43 as the "
        f"ledger head ({done[1].head}), but the record ends at entry 42: the record lost "
        "entries 43-45 after they were published." in text
    )
    assert "the published files hold entries 43-45, which the record does not have" in text


def test_a_record_rehashed_from_the_middle_is_caught(built: Built, docs: Path, db: Db) -> None:
    done = three_publications(built, docs)
    # someone turns entry 42 (a proposal) into another and re-hashes the chain from there on
    rows = db.query(
        "SELECT seq, at, actor, action, subject, payload, prev_hash FROM ledger "
        "WHERE seq >= 42 ORDER BY seq"
    )
    prev = db.query("SELECT hash FROM ledger WHERE seq = 41")[0][0]
    for seq, at, actor, action, subject, payload, _ in rows:
        if seq == 42:
            payload = payload.replace("Round 1 first", "Round 1 changed")
        digest = ledger.entry_hash(seq, at, actor, action, subject, payload, prev)
        db.execute(
            "UPDATE ledger SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            payload,
            prev,
            digest,
            seq,
        )
        prev = digest
    db.execute("UPDATE rfcs SET title = 'Round 1 changed' WHERE title = 'Round 1 first'")
    code, data = govbot(built, db)
    assert code == 0 and data["ok"]  # the chain itself still verifies, and the tables replay
    code, data = govbot(built, db, "--docs", str(docs))
    assert code == 1
    first = data["published"]["contradicted"]
    assert (first["commit"], first["seq"], first["published"]) == (done[1].commit, 43, done[1].head)
    assert first["record"] not in (None, done[1].head)
    difference = data["published"]["difference"]
    assert difference["seq"] == 42 and difference["where"] == "ledger/2027-01.jsonl line 42"
    assert set(difference["fields"]) == {"payload", "hash"}
    code, text = govbot_text(built, db, "--docs", str(docs))
    assert (
        f"commit {done[1].commit} published entry 43 with hash {done[1].head}, but the record's "
        f"entry 43 has hash {first['record']}: the record was re-hashed from entry 42 after it "
        "was published" in text
    )


def test_docs_that_are_not_a_clone_are_a_usage_error(db: Db, tmp_path: Path, built: Built) -> None:
    code, out, err = run(["ledger", "verify", "--db", db.url, "--docs", str(tmp_path / "none")])
    assert code == 2 and out == ""
    assert "is not a directory; give a clone of the docs repository" in err
    (tmp_path / "plain").mkdir()
    code, out, err = run(["ledger", "verify", "--db", db.url, "--docs", str(tmp_path / "plain")])
    assert code == 2 and "is not a git clone with commits" in err


def test_a_new_month_rewrites_only_its_own_file(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    january = (docs / "ledger" / "2027-01.jsonl").read_bytes()
    february = datetime(2027, 2, 2, 9, tzinfo=built.now.tzinfo)
    propose(built, february, "A February proposal")
    done = publish_now(built.store, publisher, february)
    assert "ledger/2027-02.jsonl" in done.changed
    assert "ledger/2027-01.jsonl" not in done.changed
    assert (docs / "ledger" / "2027-01.jsonl").read_bytes() == january
    [line] = (docs / "ledger" / "2027-02.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["seq"] == 42 and json.loads(line)["at"].startswith("2027-02-02T09")
    propose(built, february + D, "Another")
    again = publish_now(built.store, publisher, february + D)
    assert "ledger/2027-02.jsonl" in again.changed
    assert "ledger/2027-01.jsonl" not in again.changed
    # a full publication renders every month and finds nothing to change
    full = publish_now(built.store, publisher, february + D, full=True)
    assert full.full and full.commit is None
    assert verify_py(docs).stdout.startswith("43 entries, head ")


def test_no_secret_choice_is_published(built: Built, docs: Path) -> None:
    publish_now(built.store, LocalGitPublisher(docs), built.now)
    secret = [
        json.loads(e["payload"])
        for e in month_lines(docs)
        if e["subject"] == "RFC-0004" and e["action"] == "ballot.cast"
    ]
    assert len(secret) == 5  # ada, bo, cy and di voted yes, ed no: none of it shows
    for payload in secret:
        assert not CHOICES & {str(v) for v in payload.values()}, payload
    # while an open, non-secret vote's ballots show their choice
    assert any(
        json.loads(e["payload"]).get("choice") == "yes"
        for e in month_lines(docs)
        if e["subject"] == "RFC-0006" and e["action"] == "ballot.cast"
    )


def test_heads_and_contradictions_without_git() -> None:
    """The core check works on texts: commit messages newest first, and month files."""
    entries = [
        ledger.EntryView(
            1,
            datetime.fromisoformat("2027-01-04T10:00:00+00:00"),
            "a",
            "x",
            "s",
            "{}",
            ledger.GENESIS,
            "1" * 64,
        ),
    ]
    history = [
        ("c3", "Edit README by hand"),
        ("c2", f"Record two\n\nLedger head: 2 {'2' * 64}\n"),
        ("c1", f"Record one\n\nLedger head: 1 {'1' * 64}\n"),
    ]
    assert [h.commit for h in heads_of(history)] == ["c1", "c2"]
    check = check_published(entries, history, {})
    assert check.commits == 3 and check.heads == 2 and not check.ok
    assert check.contradicted is not None and check.contradicted.commit == "c2"
    assert "the record lost entry 2 after it was published" in check.contradicted.problem
    assert check_published(entries, history[2:], {}).ok
    published = "\n".join(line(e) for e in entries) + "\n"
    assert check_published(entries, history[2:], {"ledger/2027-01.jsonl": published}).ok
    junk = published + "not json\n" + published
    stray = check_published(entries, history[2:], {"ledger/2027-01.jsonl": junk})
    assert not stray.ok and stray.difference is None
    assert stray.files_problem == (
        "ledger/2027-01.jsonl line 2 is not a ledger entry (2 such lines)"
    )
    assert re.search(r"ends at entry 1", check.contradicted.problem)
