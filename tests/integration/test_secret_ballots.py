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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import run
from governance import ledger, secrecy
from governance.render import render_docs
from governance.services import elections, ticks
from governance.store import Store
from tests.conftest import DEFAULT_GROUPS, T0, Actor, Db, charter, write_charters

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
    a.mkdir()
    b.mkdir()
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


def test_a_secret_election_shows_no_running_count_and_publishes_its_sheet_at_the_close(
    tmp_path: Path, open_store: Callable[[], Store], db: Db
) -> None:
    from bot import wiring

    charters = write_charters(tmp_path / "charters", **{**DEFAULT_GROUPS, "core": SECRET_CORE})
    store = open_store()
    wiring.sync_charters(store, charters, T0 - timedelta(days=1))
    act = Actor(store)
    act(elections.open_election, "ada", T0, elections.OpenElection("core", 1, ("bo", "cy", "di"),
        title="Core chair", policy="secret"))  # fmt: skip
    given: dict[str, str] = {}
    superseded = ""
    for who, ranking in [("ada", "bo,cy,di"), ("bo", "bo,di,cy"), ("cy", "di,cy,bo"),
                         ("cy", "cy,bo,di"), ("hal", "di,cy,bo")]:  # fmt: skip
        answer = act(elections.rank, who, T0 + timedelta(hours=1),
                     elections.RankCandidates("E-0001", ranking))  # fmt: skip
        assert answer.sealed and answer.tiers == [] and answer.pairwise == {}
        assert answer.receipt is not None
        if who in given:
            superseded = given[who]  # cy's first ranking, replaced by the second
        given[who] = answer.receipt
    shown = act.read(elections.election_status, "E-0001")
    assert shown.sealed and shown.ranking == [] and shown.voted == ["ada", "bo", "cy"]
    with store.read() as uow:
        page = render_docs(uow.session)["elections/0001-core-chair.md"]
    assert "the pairwise table is published when the election closes" in page
    assert " &gt; " not in page and "Tally sheet" not in page
    payloads = [
        json.loads(p)
        for (p,) in db.query("SELECT payload FROM ledger WHERE action = ?", "election.ranked")
    ]
    assert [sorted(p) for p in payloads] == [
        ["binding", "changed", "commitment", "election_id"]
    ] * 5
    rows = db.query("SELECT ranking, nonce FROM ranked_ballots ORDER BY id")
    committed = {secrecy.commitment(1, ledger.canonical(r), n) for r, n in rows}
    assert committed <= {p["commitment"] for p in payloads}
    check = act.read(elections.check_receipt, elections.CheckElectionReceipt("E-0001", given["cy"]))
    assert check.standing == "recorded" and check.ranking is None

    with store.write() as uow:
        ticks.tick(uow, T0 + timedelta(days=8))
    closed = act.read(elections.election_status, "E-0001")
    assert not closed.sealed and closed.winners == ["bo"] and closed.pairwise["bo"]["cy"] == 2
    with store.read() as uow:
        page = render_docs(uow.session)["elections/0001-core-chair.md"]
    sheet = page[page.index("#### Tally sheet") :]
    counted = sheet.split("Non-binding")[0]
    assert len(re.findall(r"^\| `[0-9a-f]{20}` \|", counted, re.M)) == 3
    assert f"| `{given['cy']}` | `cy` &gt; `bo` &gt; `di` |" in counted
    assert f"`{given['hal']}`" in sheet.split("Non-binding")[1]
    mine = act.read(elections.check_receipt, elections.CheckElectionReceipt("E-0001", given["cy"]))
    assert mine.standing == "counted" and mine.ranking == [["cy"], ["bo"], ["di"]]
    hal = act.read(elections.check_receipt, elections.CheckElectionReceipt("E-0001", given["hal"]))
    assert hal.standing == "non-binding"
    old = act.read(elections.check_receipt, elections.CheckElectionReceipt("E-0001", superseded))
    assert old.standing == "unknown"


def test_ballots_cast_before_commitments_are_counted_but_never_listed(
    records: tuple[Record, Record],
) -> None:
    """Before schema 0005 a secret ballot's ledger entry held its receipt next to the voter's name.

    Such a receipt on the tally sheet would tell how that person voted, so the sheet leaves those
    ballots out and says how many it left out; the result still counts them.
    """
    import sqlite3

    a, _ = records
    a("tick", "--now", at(8))
    with sqlite3.connect(a.db) as connection:  # the record as an older govbot left it
        connection.execute("UPDATE ballots SET nonce = NULL")
        connection.execute("UPDATE ballot_history SET nonce = NULL, receipt = NULL")
    page = a.pages(at(8))["rfcs/0001-disclose.md"]
    assert "| Result | 3 yes, 0 no, 0 abstain; 1 non-binding |" in page
    sheet = page[page.index("#### Tally sheet") :]
    assert not RANDOM.search(sheet)  # no receipt at all, current or superseded
    assert "4 ballot(s) cast before govbot kept receipts apart from names are not listed" in sheet
    assert "No binding ballot was cast." not in sheet
    answer = a.json("vote", "receipt", "RFC-0001", a.receipts["bo"][0], "--now", at(8))
    assert answer["standing"] == "unlisted" and answer["choice"] is None
    assert "its choice is never published" in answer["message"]
