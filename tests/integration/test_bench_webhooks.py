"""The webhook benchmark at a tiny size, so it cannot rot: it runs, prints every figure, and
every delivery it POSTs is accepted and processed into a ballot. Nothing here looks at times.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

# bench/ is a directory of scripts (mypy names bench/webhooks.py "webhooks"); see
# test_bench_history.py for why this is not a static import.
webhooks = importlib.import_module("bench.webhooks")

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "webhooks.py"
# every elector comments twice (yes, then no): both ballots change the record in any order
SMALL = ["--deliveries", "24", "--electors", "12", "--concurrency", "3"]


def test_the_report_has_its_figures_and_every_delivery_is_processed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    webhooks.main([*SMALL, "--dir", str(tmp_path)])
    text = capsys.readouterr().out

    assert "24 issue_comment.created deliveries (/vote), 3 concurrent clients, 13 electors" in text
    for header in ("2xx/s", "p50 ms", "p99 ms", "p99/10 s"):
        assert header in text
    rows = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "24 x 202" in rows["govbot (stored, 202)"]
    assert "48 x 202" in rows["floor (HMAC only, 202)"]  # two floor runs, pooled
    assert rows["govbot / floor"].count("x") == 2
    assert "floor runs" in text and "(service idle; service stopped)" in text
    assert "processed   all 24 " in text and "processed/s" in text
    assert "while the POSTs came" in text and "after the last answer" in text
    assert "docs published to GitHub" in text
    assert "26 done (2 of them the setup's); 24 ballots (0 unchanged)" in text
    assert "24 ballot.cast ledger entries" in text
    assert "tally yes 0 no 12 abstain 0 of 13 electors" in text
    assert text.rstrip().endswith("all processed: yes")
    assert list(tmp_path.iterdir()) == []  # the temp dir is gone


def test_the_script_prints_json() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *SMALL, "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)

    assert figures["all_processed"] is True
    for side in ("govbot", "floor"):
        assert figures[side]["accepted"] == figures[side]["posts"]
        for key in ("rate", "p50_ms", "p99_ms", "p99_share_of_10s", "wall_s"):
            assert figures[side][key] > 0
    assert figures["govbot"]["statuses"] == {"202": 24}
    assert len(figures["floor_runs"]) == 2
    for key in ("rate_ratio", "p99_ratio", "last_answer_s", "effects_s", "processed_rate"):
        assert figures[key] > 0
    record = figures["record"]
    assert record["processed"] == record["voted"] == record["ballot_entries"] == 24
    assert record["states"] == {"done": 26}
    assert record["tally"] == {"yes": 0, "no": 12, "abstain": 0, "electorate": 13}
    assert 0 <= figures["burst_processed"] <= 24
    assert figures["profile"] is None
