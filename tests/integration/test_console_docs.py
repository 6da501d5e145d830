"""The console's docs commands: render a tree, publish in one commit, show what is waiting."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Db
from tests.integration.test_console import Console, at


@pytest.fixture
def govbot(db: Db, charters_dir: Path) -> Console:
    return Console(db, charters_dir)


def git_log(directory: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(directory), "log", "--format=%s"], capture_output=True, text=True
    )
    return out.stdout.split("\n")[:-1]


def test_render_writes_the_whole_tree(govbot: Console, tmp_path: Path) -> None:
    govbot.propose(at(4))
    out, _ = govbot("render", "--out", str(tmp_path / "site"))
    assert out.startswith("Wrote 10 pages to ")  # 8 pages, the ledger's month file, verify.py
    assert (
        (tmp_path / "site/rfcs/0001-t.md").read_text(encoding="utf-8").startswith("# RFC-0001: T")
    )
    assert (tmp_path / "site/groups/core/README.md").exists()
    (tmp_path / "file").write_text("x")
    _, err = govbot("render", "--out", str(tmp_path / "file"), code=2)
    assert "is a file" in err


def test_publish_commits_once_and_outbox_says_what_waits(govbot: Console, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    govbot("charters", "sync", "--now", at(4))
    out, _ = govbot("outbox", "--now", at(4))
    assert "publish:docs: waiting since" in out and "not attempted yet" in out
    out, _ = govbot("publish", "--docs", str(docs), "--now", at(4))
    assert out.startswith(f"Published 1 change(s) to {docs} (main): commit ")
    out, _ = govbot("outbox", "--now", at(4))
    assert out.startswith("Nothing is waiting")
    out, _ = govbot("publish", "--docs", str(docs), "--now", at(4))
    assert out.startswith("Nothing changed in the docs; no commit made")
    govbot.propose(at(5))
    data = govbot.json("publish", "--docs", str(docs), "--now", at(5))
    assert data["events"] == ["rfc.proposed RFC-0001 by bo"]
    assert data["changed"] == [
        "README.md",
        "groups/core/README.md",
        f"ledger/{at(5)[:7]}.jsonl",
        "ledger/README.md",
        "rfcs/0001-t.md",
        "rfcs/README.md",
    ]
    assert git_log(docs) == [
        "Record rfc.proposed RFC-0001 by bo",
        "Record charters.synced charters by govbot",
    ]


def test_a_failed_publish_says_nothing_is_lost(govbot: Console, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    out, _ = govbot("publish", "--docs", str(blocker), "--now", at(4), code=1)
    assert out.startswith("The docs were not published: ")
    assert "cannot create the docs repository at" in out and "Nothing was lost" in out


def test_demo_runs_from_the_console_and_refuses_a_used_directory(tmp_path: Path) -> None:
    from bot.cli import run

    target = tmp_path / "demo"
    rc, out, err = run(["demo", str(target), "--json"])
    assert rc == 0, err
    data = json.loads(out)
    assert data["ledger_ok"] is True and len(data["commits"]) > 20
    assert data["outcomes"]["RFC-0005"] == "rejected"
    assert git_log(target / "docs")[0].startswith("Record ")
    rc, _, err = run(["demo", str(target)])
    assert rc == 2 and "not empty" in err
