"""The Discord burst benchmark at a tiny size, so it cannot rot: it runs (the fake Discord in a
process of its own, as by default), every click gets its final answer and its ballot, nothing
misses Discord's deadline or meets a rate limit, the JSON parses and the report prints every
figure. Nothing here looks at times.
"""

from __future__ import annotations

import importlib
import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest

# bench/ is a directory of scripts (mypy names bench/discord_burst.py "discord_burst"); see
# test_bench_history.py for why this is not a static import.
discord_burst = importlib.import_module("bench.discord_burst")

MEMBERS = 20  # 7 yes, 7 no, 6 abstain


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the script's ``main`` with ``--json``, its output parsed."""
    where = tmp_path_factory.mktemp("bench")
    out = io.StringIO()
    with redirect_stdout(out):
        discord_burst.main(["--members", str(MEMBERS), "--json", "--dir", str(where)])
    assert list(where.iterdir()) == []  # the temp dir is gone
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def test_every_click_is_answered_and_recorded_without_misses_or_rate_limits(
    figures: dict[str, Any],
) -> None:
    assert figures["members"] == figures["clicks"] == MEMBERS
    assert figures["choices"] == {"yes": 7, "no": 7, "abstain": 6}
    assert figures["fake"] == "own process"
    govbot, floor = figures["govbot"], figures["floor"]
    assert govbot["clicks"] == govbot["acked"] == MEMBERS
    assert govbot["finals"] == {"recorded": MEMBERS}
    assert figures["ephemeral"] == MEMBERS
    assert floor["clicks"] == floor["acked"] == 2 * MEMBERS  # two floor runs, pooled
    assert floor["finals"] == {"ok": 2 * MEMBERS}
    assert len(figures["floor_runs"]) == 2
    for side in (govbot, floor, *figures["floor_runs"]):
        assert side["misses"] == 0
        for key in ("p50_ms", "p99_ms", "max_ms", "p50_share", "p99_share", "max_share"):
            assert side[key] > 0
        assert side["last_final_s"] > 0
    for key in ("p50_ratio", "p99_ratio", "last_answer_s", "last_ballot_s", "last_edit_s"):
        assert figures[key] > 0
    assert figures["ballots_per_s"] > 0
    assert figures["deadline_misses"] == 0
    assert figures["rate_limited"] == figures["statuses_429"] == 0
    assert figures["floor_rate_limited"] == 0
    assert figures["calls"] >= 2 * MEMBERS  # a deferral and an answer per click
    record = figures["record"]
    assert record["ballots"] == record["ballot_entries"] == MEMBERS
    assert record["tally"] == {"yes": 7, "no": 7, "abstain": 6, "electorate": MEMBERS + 1}
    assert record["totals_shown"] is True
    assert f"{MEMBERS} of {MEMBERS + 1} electors voted" in record["shown"]
    assert record["channel_edits"] >= 1 and record["thread_edits"] >= 1
    assert record["totals_edits"] == record["channel_edits"] + record["thread_edits"]
    assert record["docs_commits"] >= 0
    assert figures["all_recorded"] is True


def test_the_report_prints_every_figure(figures: dict[str, Any]) -> None:
    side = discord_burst.Side
    text = discord_burst.report(
        discord_burst.Figures(
            **{
                **figures,
                "govbot": side(**figures["govbot"]),
                "floor": side(**figures["floor"]),
                "floor_runs": [side(**s) for s in figures["floor_runs"]],
            }
        )
    )

    assert (
        f"{MEMBERS} members, {MEMBERS + 1} electors; {MEMBERS} clicks on the channel's vote "
        "message (7 yes, 7 no, 6 abstain), dispatched in " in text
    )
    assert "the fake Discord in its own process; " in text and "load average" in text
    for header in ("p50 ms", "p99 ms", "max ms", "p50/3 s", "p99/3 s", "max/3 s"):
        assert header in text
    rows = {line[:24].strip(): line for line in text.splitlines()}
    assert rows["govbot (defer, cast)"].endswith(f"  {MEMBERS} recorded")
    assert rows['floor (defer, "ok")'].endswith(f"  {2 * MEMBERS} ok")
    assert rows["govbot / floor"].count("x") == 2
    assert "(before the service; after it stopped)" in rows["floor runs"]
    lines = text.splitlines()
    assert "deadline misses: 0" in lines
    assert "rate-limit responses: 0" in lines
    assert any(line.startswith("429s seen: 0 (of ") for line in lines)
    assert any(line.startswith("totals message edits: ") for line in lines)
    assert "last final answer " in text and "last ballot " in text
    assert "last totals edit " in text
    assert any(line.startswith("ballots committed per second: ") for line in lines)
    assert "docs published to GitHub " in text
    assert (
        f"record: {MEMBERS} ballots, {MEMBERS} ballot.cast ledger entries; tally yes 7 no 7 "
        f"abstain 6 of {MEMBERS + 1} electors" in text
    )
    assert (
        f"totals shown: {MEMBERS} of {MEMBERS + 1} electors voted (quorum 11: met) "
        "(on both vote messages)" in text
    )
    assert text.rstrip().endswith("all recorded: yes")


def test_a_burst_of_no_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        discord_burst.main(["--members", "0"])
    assert "--members must be at least 1" in capsys.readouterr().err
