"""Ballot throughput and console start-up, measured against baselines in the same run.

    python bench/ballots.py [--ballots N] [--changes C] [--members M] [--runs R]
                            [--dir DIR] [--json] [--profile]

1. Service path: one group with a large electorate (chair p0000, members p0001..pM), an RFC and
   an open vote that cannot close during the run (``close_early: false``, 8 weeks). N ballots
   go through ``rfcs.cast_ballot`` inside ``store.write()``, one unit of work and one commit each,
   as a front end sends them: N - C first ballots by distinct electors, C changes of an earlier
   ballot mixed in. Reported as ballots/s from the start of the first call to the last return.
2. Baseline: raw ``sqlite3`` on a fresh file in the same directory with the store's pragmas
   (WAL, synchronous=FULL, foreign_keys, busy_timeout): N single-row INSERTs, each in its own
   ``BEGIN IMMEDIATE`` ... ``COMMIT``. Reported as rows/s, with the ratio service/raw.
3. Console: ``python -m bot.cli vote status RFC-0001`` against the service path's database
   beside ``python -c pass``; median wall time of R runs each (after one warm-up), interleaved.

``--profile`` repeats the service path on a fresh database under cProfile and prints the top
functions. Nothing here asserts on time: it prints figures and ratios for people to read.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import wiring
from governance.clock import iso
from governance.services import rfcs
from governance.store import BUSY_TIMEOUT_MS, Store

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
RFC = "RFC-0001"
GROUP = "bench"
CHAIR = "p0000"
CHOICES = ("yes", "no", "abstain")
SERVICE_AIM = 0.25  # the project aims for service/raw >= 25 %
CONSOLE_AIM_S = 0.3  # and for a console call <= 0.3 s above `python -c pass`
OWN_CODE = r"^(rfcs|common|store|policy|rules|ledger|clock|model)\.py"  # after strip_dirs

FOUNDATION = """\
name: Bench Foundation
admins: [p0000]
labels: {rfc: rfc, vote_open: vote/open, group_prefix: wg/}
policies:
  default: {duration: 7d, min_duration: 72h, quorum: 0.5, pass: majority, close_early: true}
  bench: {duration: 8w, min_duration: 72h, quorum: 0.5, pass: majority, close_early: false}
"""


# --- charters --------------------------------------------------------------------------------


def handle(index: int) -> str:
    return f"p{index:04d}"


def people_yaml(count: int) -> str:
    """``count`` people p0000.. with a GitHub login and an 18-digit Discord id each."""
    lines = ["people:"]
    for i in range(count):
        h = handle(i)
        lines.append(
            f'  - {{handle: {h}, name: Person {i:04d}, github: {h}-gh, discord_id: "1{i:017d}"}}'
        )
    return "\n".join(lines) + "\n"


def group_charter(members: int) -> str:
    names = ", ".join(handle(i) for i in range(1, members + 1))
    return (
        "---\n"
        f"slug: {GROUP}\n"
        "name: Bench Group\n"
        "kind: working-group\n"
        "membership: open\n"
        f"chairs: [{CHAIR}]\n"
        f"members: [{names}]\n"
        "---\n"
        "# Bench Group\n\nA group with a large electorate, for measuring ballots.\n"
    )


def write_charters(directory: Path, members: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "foundation.yaml").write_text(FOUNDATION)
    (directory / "people.yaml").write_text(people_yaml(members + 1))
    (directory / f"{GROUP}.md").write_text(group_charter(members))
    return directory


# --- the service path ------------------------------------------------------------------------


def plan(ballots: int, changes: int) -> list[tuple[str, str]]:
    """(handle, choice) in casting order: first ballots by distinct electors, changes mixed in.

    Every change flips an earlier voter's choice, so each cast really writes (no no-op answers).
    """
    first = ballots - changes
    step = max(1, first // changes) if changes else 0
    current: dict[str, str] = {}
    order: list[tuple[str, str]] = []
    changed = 0
    for i in range(first):
        who = handle(i + 1)
        current[who] = "yes" if i % 5 else CHOICES[(i // 5) % 3]
        order.append((who, current[who]))
        if changes and changed < changes and (i + 1) % step == 0:
            again = handle(changed + 1)  # the earliest voters change their minds, in turn
            current[again] = CHOICES[(CHOICES.index(current[again]) + 1) % 3]
            order.append((again, current[again]))
            changed += 1
    return order


def prepare(directory: Path, members: int) -> tuple[Store, Path, Path]:
    """Charters on disk, a synced record, RFC-0001 proposed and its vote open at T0."""
    charters = write_charters(directory / "charters", members)
    db = directory / "govbot.db"
    store = Store.open(db)
    wiring.sync_charters(store, charters, T0 - timedelta(days=1))
    with store.write() as uow:
        ref = rfcs.propose_rfc(
            uow,
            CHAIR,
            T0 - timedelta(hours=1),
            rfcs.ProposeRfc(GROUP, "Adopt the bench licence", "Body."),
        )
    with store.write() as uow:
        opened = rfcs.open_vote(uow, CHAIR, T0, rfcs.OpenVote(ref.rfc, "bench"))
    if opened.state != "open" or opened.electorate != members + 1:
        raise RuntimeError(f"the vote did not open as planned: {opened.state}, {opened.electorate}")
    return store, db, charters


@dataclass
class Casts:
    """What the service path took: wall time, per-cast latency, and time inside COMMIT."""

    elapsed: float
    latencies: list[float]
    commits: list[float]


def cast_all(store: Store, order: list[tuple[str, str]]) -> Casts:
    """Every ballot as a front end sends it: one write unit of work (and one commit) each.

    The dialect's ``do_commit`` is wrapped to time the driver's COMMIT (WAL append and fsync),
    so the report can split the cost between the database and the Python around it.
    """
    dialect = store.engine.dialect
    commit = dialect.do_commit
    commits: list[float] = []

    def timed_commit(dbapi_connection: Any) -> None:
        began = time.perf_counter()
        commit(dbapi_connection)
        commits.append(time.perf_counter() - began)

    dialect.do_commit = timed_commit  # type: ignore[method-assign]
    latencies: list[float] = []
    try:
        start = time.perf_counter()
        for i, (who, choice) in enumerate(order):
            now = T0 + timedelta(hours=1, milliseconds=i)
            began = time.perf_counter()
            with store.write() as uow:
                result = rfcs.cast_ballot(uow, who, now, rfcs.CastBallot(RFC, choice))
            latencies.append(time.perf_counter() - began)
            if not (result.changed and result.binding):
                raise RuntimeError(f"ballot {i} by {who} was not recorded as a binding change")
        elapsed = time.perf_counter() - start
    finally:
        dialect.do_commit = commit  # type: ignore[method-assign]
    return Casts(elapsed, latencies, commits)


def count_rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("ballots", "ballot_history", "ledger", "outbox")
        }


# --- the raw baseline ------------------------------------------------------------------------


def raw_inserts(path: Path, rows: int) -> float:
    """Single-row INSERT + COMMIT with the store's pragmas; returns the elapsed seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE ballots (id INTEGER PRIMARY KEY, vote_id INTEGER NOT NULL, "
        "person_id INTEGER NOT NULL, choice TEXT NOT NULL, binding BOOLEAN NOT NULL, "
        "cast_at DATETIME NOT NULL, UNIQUE (vote_id, person_id))"
    )
    start = time.perf_counter()
    for i in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO ballots (vote_id, person_id, choice, binding, cast_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (1, i + 1, CHOICES[i % 3], 1, iso(T0 + timedelta(milliseconds=i))),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


# --- the console -----------------------------------------------------------------------------


def run_once(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


@dataclass
class Console:
    """Median wall times of `vote status` and of `python -c pass` in one environment."""

    mode: str
    runs: int
    console_s: float
    python_s: float

    @property
    def overhead_s(self) -> float:
        return self.console_s - self.python_s


def console_times(
    db: Path, charters: Path, runs: int, pycache: Path
) -> tuple[list[Console], str, bool]:
    """`vote status` beside `python -c pass`, interleaved, after one warm-up of each.

    Twice: in the environment as given, and with bytecode cached (PYTHONPYCACHEPREFIX in the temp
    dir, PYTHONDONTWRITEBYTECODE unset) as in an ordinary installation, without touching the tree.
    """
    now = iso(T0 + timedelta(days=1))
    assert now is not None
    status = [sys.executable, "-m", "bot.cli", "--db", str(db), "--charters", str(charters)]
    status += ["--now", now, "vote", "status", RFC]
    bare = [sys.executable, "-c", "pass"]
    as_given = {k: v for k, v in os.environ.items() if k != "GOVBOT_DB"}
    cached = {k: v for k, v in as_given.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(pycache)
    given = "as given" + (
        " (PYTHONDONTWRITEBYTECODE set)" if "PYTHONDONTWRITEBYTECODE" in os.environ else ""
    )
    modes = {given: as_given, "bytecode cached": cached}
    shown = subprocess.run(
        status, cwd=REPO, env=as_given, capture_output=True, text=True, check=True
    ).stdout
    imports = subprocess.run(
        [status[0], "-X", "importtime", *status[1:]],
        cwd=REPO,
        env=as_given,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    orm = any(line.split("|")[-1].strip() == "sqlalchemy" for line in imports.splitlines())
    results: list[Console] = []
    for mode, env in modes.items():
        run_once(bare, env)
        run_once(status, env)
        console: list[float] = []
        python: list[float] = []
        for _ in range(runs):
            python.append(run_once(bare, env))
            console.append(run_once(status, env))
        results.append(Console(mode, runs, statistics.median(console), statistics.median(python)))
    return results, shown.strip(), orm


# --- the profile -----------------------------------------------------------------------------


def profile(directory: Path, members: int, order: list[tuple[str, str]]) -> str:
    """The service path again on a fresh database, under cProfile (top 15 cumulative, etc.)."""
    store, _, _ = prepare(directory, members)
    profiler = cProfile.Profile()
    profiler.enable()
    cast_all(store, order)
    profiler.disable()
    store.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"cProfile of the same {len(order)} casts on a fresh database (times inflated)\n")
    out.write("\n--- top 15 by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(15)
    out.write("--- govbot's own functions by cumulative time\n")
    stats.print_stats(OWN_CODE, 15)
    out.write("--- top 10 by own time\n")
    stats.sort_stats("tottime").print_stats(10)
    return out.getvalue()


# --- report ----------------------------------------------------------------------------------


@dataclass
class Figures:
    directory: str
    electorate: int
    ballots: int
    changes: int
    rows: dict[str, int]
    service_s: float
    service_rate: float
    service_commit_s: float
    first_tenth_ms: float
    last_tenth_ms: float
    p99_ms: float
    raw_s: list[float]
    raw_rate: float
    ratio: float
    console: list[dict[str, Any]]
    console_output: str
    console_imports_orm: bool
    profile: str | None = None


def measure(args: argparse.Namespace, directory: Path) -> Figures:
    order = plan(args.ballots, args.changes)
    raw_s = [raw_inserts(directory / "raw-before.db", args.ballots)]
    store, db, charters = prepare(directory / "service", args.members)
    casts = cast_all(store, order)
    store.close()
    raw_s.append(raw_inserts(directory / "raw-after.db", args.ballots))
    rows = count_rows(db)
    consoles, shown, orm = console_times(db, charters, args.runs, directory / "pycache")
    tenth = max(1, len(casts.latencies) // 10)
    service_rate = len(order) / casts.elapsed
    raw_rate = len(raw_s) * args.ballots / sum(raw_s)
    figures = Figures(
        directory=str(directory),
        electorate=args.members + 1,
        ballots=len(order),
        changes=args.changes,
        rows=rows,
        service_s=casts.elapsed,
        service_rate=service_rate,
        service_commit_s=sum(casts.commits),
        first_tenth_ms=1000 * statistics.median(casts.latencies[:tenth]),
        last_tenth_ms=1000 * statistics.median(casts.latencies[-tenth:]),
        p99_ms=1000 * statistics.quantiles(casts.latencies, n=100)[98],
        raw_s=raw_s,
        raw_rate=raw_rate,
        ratio=service_rate / raw_rate,
        console=[c.__dict__ | {"overhead_s": c.overhead_s} for c in consoles],
        console_output=shown,
        console_imports_orm=orm,
    )
    if args.profile:
        figures.profile = profile(directory / "profile", args.members, order)
    return figures


def report(f: Figures) -> str:
    verdict = "meets" if f.ratio >= SERVICE_AIM else "misses"
    commit_share = f.service_commit_s / f.service_s
    lines = [
        f"directory        {f.directory}",
        f"electorate       {f.electorate} (1 chair + {f.electorate - 1} members)",
        f"ballots          {f.ballots} ({f.ballots - f.changes} first ballots, "
        f"{f.changes} changes), one write unit of work and one commit each",
        "rows written     " + ", ".join(f"{k} {v}" for k, v in f.rows.items()),
        "",
        f"service path     {f.service_rate:9.1f} ballots/s  ({f.service_s:.2f} s; "
        f"{f.service_commit_s:.2f} s = {commit_share:.0%} inside COMMIT)",
        f"  per cast       median {f.first_tenth_ms:.2f} ms in the first tenth, "
        f"{f.last_tenth_ms:.2f} ms in the last tenth; p99 {f.p99_ms:.2f} ms",
        f"raw sqlite3      {f.raw_rate:9.1f} rows/s     ("
        + " and ".join(f"{s:.2f} s" for s in f.raw_s)
        + f" for {f.ballots} rows, before and after)",
        f"service / raw    {100 * f.ratio:9.1f} %  ({verdict} the aim of >= {SERVICE_AIM:.0%})",
        "",
        "console          python -m bot.cli vote status RFC-0001 vs python -c pass, medians",
        "  it imports SQLAlchemy (the ORM path)"
        if f.console_imports_orm
        else "  it does not import SQLAlchemy (the fast read path)",
    ]
    for c in f.console:
        aim = "meets" if c["overhead_s"] <= CONSOLE_AIM_S else "misses"
        lines.append(
            f"  {c['mode']:<39} {c['console_s']:.3f} s vs {c['python_s']:.3f} s: "
            f"{c['overhead_s']:+.3f} s over {c['runs']} runs ({aim} <= {CONSOLE_AIM_S} s)"
        )
    lines.append(f"  it printed: {f.console_output.splitlines()[0][:110]}...")
    if f.profile:
        lines += ["", f.profile.rstrip()]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=2000, help="ballots to cast (2000)")
    parser.add_argument(
        "--changes", type=int, help="how many of them change an earlier ballot (ballots // 10)"
    )
    parser.add_argument(
        "--members", type=int, help="members besides the chair (max(2000, ballots))"
    )
    parser.add_argument("--runs", type=int, default=7, help="console runs per median (7)")
    parser.add_argument("--dir", type=Path, help="where to make the temp dir (system temp)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="also profile the service path")
    args = parser.parse_args(argv)
    if args.changes is None:
        args.changes = args.ballots // 10
    if args.members is None:
        args.members = max(2000, args.ballots)
    if not 0 <= args.changes < args.ballots or args.ballots - args.changes > args.members:
        parser.error("need 0 <= --changes < --ballots and --ballots - --changes <= --members")
    if args.runs < 1:
        parser.error("need --runs >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govbot-bench-", dir=args.dir) as temp:
        figures = measure(args, Path(temp))
    if args.json:
        print(json.dumps(figures.__dict__, indent=2))
    else:
        print(report(figures))


if __name__ == "__main__":
    main()
