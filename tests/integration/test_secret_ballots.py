"""A secret vote through the console, the docs and git: nothing shows a choice before the close.

Two records play the same story with different choices (the same people voting at the same
moments, one changing their ballot). While the vote is open, every page, every commit message
and every console answer of one record is the other's, byte for byte, once the random parts
(receipts, commitments, hashes) are masked: nothing published depends on a choice. After the
close the tally sheet lets each voter find the receipt they were given and anyone recount.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli import run
from governance import secrecy
from tests.conftest import DEFAULT_GROUPS, charter, write_charters

RANDOM = re.compile(r"[0-9a-f]{16,64}")
RUNNING_TOTAL = re.compile(
    r"\b\d+ (yes|no|abstain)\b|\b(yes|no|abstain):? \d|\"(yes|no|abstain)\": \d|\*\*\d+\*\*",
    re.IGNORECASE,
)
SECRET_CORE = charter(
    "core",
    kind="committee",
    membership="approval",
    chairs=["ada"],
    members=["bo", "cy", "di", "ed"],
    observers=["hal"],
    policies="secret: {secret: true}\n",
)
# (day, hour, who, choice in record A, choice in record B); cy changes their mind; hal observes
CASTS = [
    (4, 12, "bo", "yes", "no"),
    (4, 13, "cy", "no", "yes"),
    (4, 14, "di", "yes", "abstain"),
    (4, 15, "hal", "yes", "no"),
    (4, 16, "cy", "yes", "no"),
]


def at(day: int, hour: int = 10) -> str:
    return f"2027-01-{day:02d}T{hour:02d}:00:00Z"


@dataclass
class Record:
    """One record and its docs repository, driven through the console."""

    root: Path
    charters: Path
    receipts: dict[str, list[str]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)  # every console answer while the vote is open

    @property
    def db(self) -> Path:
        return self.root / "govbot.db"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    def __call__(self, *argv: str, code: int = 0) -> str:
        rc, out, err = run(["--db", str(self.db), "--charters", str(self.charters), *argv])
        assert rc == code, f"exit {rc} (wanted {code}): {out}{err}"
        return out

    def json(self, *argv: str, code: int = 0) -> dict:
        return json.loads(self(*argv, "--json", code=code))

    def publish(self, now: str) -> None:
        self("publish", "--docs", str(self.docs), "--now", now)

    def git_log(self) -> str:
        return subprocess.run(
            ["git", "-C", str(self.docs), "log", "--format=%B"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def pages(self, now: str) -> dict[str, str]:
        out = self.root / f"site-{len(self.seen)}"
        self("render", "--out", str(out), "--now", now)
        return {
            str(p.relative_to(out)): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*.md"))
        }


def play(root: Path, charters: Path, column: int) -> Record:
    """The story up to day 5, noon: the secret vote is open with five ballots, one changed."""
    record = Record(root, charters)
    record("rfc", "propose", "--group", "core", "--title", "Disclose", "--body", "B", "--as", "bo",
           "--now", at(4, 10))  # fmt: skip
    record("vote", "open", "RFC-0001", "--policy", "secret", "--as", "ada", "--now", at(4, 11))
    record.publish(at(4, 11))
    for day, hour, who, *choices in CASTS:
        answer = record.json("vote", "cast", "RFC-0001", choices[column], "--as", who,
                             "--now", at(day, hour))  # fmt: skip
        record.receipts.setdefault(who, []).append(answer["receipt"])
        assert answer["status"]["sealed"] and answer["status"]["yes"] is None
        record.seen.append(json.dumps({k: v for k, v in answer.items() if k != "choice"}))
        record.publish(at(day, hour))
    now = at(5, 12)
    for argv in (
        ["vote", "status", "RFC-0001"],
        ["vote", "status", "RFC-0001", "--json"],
        ["rfc", "show", "RFC-0001"],
        ["rfc", "show", "RFC-0001", "--json"],
        ["ledger", "tail", "-n", "50", "--json"],
        ["vote", "receipt", "RFC-0001", record.receipts["bo"][0]],
        ["vote", "receipt", "RFC-0001", record.receipts["cy"][0], "--json"],
    ):
        record.seen.append(record(*argv, "--now", now))
    return record


@pytest.fixture
def records(tmp_path: Path) -> tuple[Record, Record]:
    charters = write_charters(tmp_path / "charters", **{**DEFAULT_GROUPS, "core": SECRET_CORE})
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    return play(a, charters, 0), play(b, charters, 1)


def masked(text: str) -> str:
    return RANDOM.sub("H", text)


def test_while_open_nothing_published_or_answered_depends_on_a_choice(
    records: tuple[Record, Record],
) -> None:
    a, b = records
    now = at(5, 12)
    pages_a, pages_b = a.pages(now), b.pages(now)
    assert {p: masked(t) for p, t in pages_a.items()} == {p: masked(t) for p, t in pages_b.items()}
    assert masked(a.git_log()) == masked(b.git_log())
    assert [masked(s) for s in a.seen] == [masked(s) for s in b.seen]
    # and, read directly: no running total anywhere, and turnout instead
    for text in [*pages_a.values(), a.git_log(), *a.seen]:
        assert not RUNNING_TOTAL.search(text), RUNNING_TOTAL.search(text)
    page = pages_a["rfcs/0001-disclose.md"]
    assert "| Quorum | 3 voted, 3 needed: met |" in page
    assert "Voted: `bo`, `cy`, `di`." in page and "Not voted: `ada`, `ed`." in page
    assert "Tally sheet" not in page and not any(
        r in page for rs in a.receipts.values() for r in rs
    )
    status = a.json("vote", "status", "RFC-0001", "--now", now)
    assert status["sealed"] and [status[k] for k in ("yes", "no", "abstain")] == [None] * 3
    assert (status["participation"], status["non_binding"]) == (3, 1)
    assert status["voted"] == ["bo", "cy", "di"] and status["non_binding_voters"] == ["hal"]
    assert "ballots" not in status and "non_binding_ballots" not in status
    assert "yes" not in json.dumps(a.json("ledger", "tail", "-n", "50", "--now", now))
    receipt = a("vote", "receipt", "RFC-0001", a.receipts["cy"][1], "--now", now)
    assert (
        "is recorded" in receipt and "published on the tally sheet when the vote closes" in receipt
    )


def test_a_voter_sees_their_own_choice_and_receipt_with_as(records: tuple[Record, Record]) -> None:
    a, _ = records
    mine = a.json("vote", "status", "RFC-0001", "--as", "cy", "--now", at(5, 12))["mine"]
    assert (mine["choice"], mine["receipt"], mine["binding"]) == ("yes", a.receipts["cy"][1], True)
    text = a("vote", "status", "RFC-0001", "--as", "ed", "--now", at(5, 12))
    assert "ed has not voted on RFC-0001." in text


def test_after_the_close_each_voter_finds_their_receipt_and_anyone_recounts(
    records: tuple[Record, Record],
) -> None:
    a, b = records
    for record, expected in ((a, (3, 0, 0)), (b, (0, 2, 1))):
        record("tick", "--now", at(8))
        status = record.json("vote", "status", "RFC-0001", "--now", at(8))
        assert not status["sealed"] and (status["yes"], status["no"], status["abstain"]) == expected
        page = record.pages(at(8))["rfcs/0001-disclose.md"]
        sheet = page[page.index("#### Tally sheet") :]
        counted_part = sheet.split("Non-binding")[0]
        lines = re.findall(r"^\| `([0-9a-f]{20})` \| (yes|no|abstain) \|$", counted_part, re.M)
        assert [r for r, _ in lines] == sorted(r for r, _ in lines)
        recount = tuple(sum(1 for _, c in lines if c == k) for k in ("yes", "no", "abstain"))
        assert recount == expected  # the sheet's counts are the published totals
        assert not any(f"`{h}`" in sheet for h in ("ada", "bo", "cy", "di", "ed", "hal"))
        current = {who: receipts[-1] for who, receipts in record.receipts.items()}
        superseded = record.receipts["cy"][0]
        for who in ("bo", "cy", "di"):
            assert current[who] in dict(lines)
        assert f"| `{current['hal']}` |" in sheet.split("Non-binding")[1].split("Superseded")[0]
        assert f"| `{superseded}` |" in sheet.split("Superseded")[1]
        answer = record.json("vote", "receipt", "RFC-0001", current["cy"], "--now", at(8))
        assert answer["standing"] == "counted" and answer["choice"] == dict(lines)[current["cy"]]
        old = record.json("vote", "receipt", "RFC-0001", superseded, "--now", at(8))
        assert old["standing"] == "superseded" and old["choice"] is None
        hal = record.json("vote", "receipt", "RFC-0001", current["hal"], "--now", at(8))
        assert hal["standing"] == "non-binding"
        unknown = record("vote", "receipt", "RFC-0001", "0" * 20, "--now", at(8), code=1)
        assert "No ballot of a secret vote on RFC-0001 has the receipt" in unknown
        bad = run(["--db", str(record.db), "--charters", str(record.charters), "vote", "receipt",
                   "RFC-0001", "not-a-receipt", "--now", at(8)])  # fmt: skip
        assert bad[0] == 2 and "is not a receipt" in bad[2]


def test_the_ledger_commits_to_each_choice_and_holds_no_receipt(
    records: tuple[Record, Record],
) -> None:
    import sqlite3

    a, _ = records
    with sqlite3.connect(a.db) as conn:
        payloads = [
            json.loads(p)
            for (p,) in conn.execute("SELECT payload FROM ledger WHERE action = 'ballot.cast'")
        ]
        history = conn.execute(
            "SELECT vote_id, choice, nonce, receipt FROM ballot_history ORDER BY id"
        ).fetchall()
        everything = " ".join(p for (p,) in conn.execute("SELECT payload FROM ledger"))
    assert [sorted(p) for p in payloads] == [["binding", "changed", "commitment", "vote_id"]] * 5
    assert [p["changed"] for p in payloads] == [False, False, False, False, True]
    assert [p["commitment"] for p in payloads] == [
        secrecy.commitment(vote_id, choice, nonce) for vote_id, choice, nonce, _ in history
    ]
    for _, _, nonce, receipt in history:
        assert nonce not in everything and receipt not in everything
    assert len({receipt for *_, receipt in history}) == 5  # a new receipt for every cast
