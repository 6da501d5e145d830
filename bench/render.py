"""The docs renderer and publisher on a ten-year record: a full publication, then one ballot.

    python3 bench/render.py [--history PATH] [--rounds R] [--smoke] [--seed N]
                            [--dir DIR] [--keep] [--json] [--profile]

1. History: the synthetic record of ``bench/history.py`` (50 groups, 1,000 people, 5,000 RFCs,
   100,000 ballots, 36 elections, a verified ledger), generated into the temp dir, or copied
   from ``--history PATH`` (generated there the first time, with its summary beside it).
2. Render only: ``render_docs(session)``, every page, no git: the rendering share of (3).
3. Full publication: ``publish_now(store, LocalGitPublisher(docs), NOW)`` on a fresh docs
   repository: everything rendered, compared, committed in one ``git fast-import`` commit.
4. Incremental publication, R rounds: one ballot cast through ``rfcs.cast_ballot`` on an open
   vote, then ``publish_now`` again; then a publication with nothing new, its fixed cost.
   Reported as the median, and as a ratio of the full publication measured in the same run.

Each phase runs in a process of its own (this script with ``--phase``) that times it with
``perf_counter`` and reads its memory only before and after, so measuring costs the timing
nothing. Memory is the process's resident set before the phase and its peak during it
(Linux: ``VmRSS`` and ``VmHWM``, the peak reset with ``/proc/self/clear_refs`` when the phase
starts). ``ru_maxrss`` is not used on Linux because it keeps the peak of the parent across exec,
and tracemalloc not at all: it slows Python code several times and misses SQLite's memory. git
runs in processes of its own; their memory is not counted. ``--profile`` adds separate runs of
(2) and of one more round of (4) under cProfile. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import json
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import history
from sqlmodel import col, select

from governance.clock import iso, parse_instant
from governance.model import Group, Membership, Person
from governance.publish import LocalGitPublisher, publish_now
from governance.render import render_docs
from governance.services import rfcs
from governance.store import Store

PHASES = ("render", "full", "incremental")
SQLITE = ("-wal", "-shm", "-journal")


# --- one phase, in its own process -----------------------------------------------------------


def memory_mib() -> tuple[float, float]:
    """This process's resident set now and at its peak, in MiB.

    On Linux from ``/proc/self/status`` (``VmRSS``, ``VmHWM``): ``ru_maxrss`` would carry over
    the peak of the process that started this one (Linux keeps it across exec). Elsewhere the
    peak is ``ru_maxrss`` and the current size is not known (reported as the peak).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mib = peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
        return mib, mib
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return _kib(fields["VmRSS"]) / 1024, _kib(fields["VmHWM"]) / 1024


def _kib(value: str) -> float:
    return float(value.split()[0])


def reset_peak() -> None:
    """Start the peak afresh from the current resident set (Linux; elsewhere nothing happens)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def run_phase(args: argparse.Namespace) -> dict[str, Any]:
    """Measure one phase on the database and docs repository named in ``args``."""
    at = parse_instant(args.at)
    store = Store.open(args.db)
    publisher = LocalGitPublisher(args.docs)
    profiler = cProfile.Profile() if args.profile else None
    try:
        figures: dict[str, Any] = {"phase": args.phase}
        if args.phase == "incremental":
            began = time.perf_counter()
            with store.write() as uow:
                cast = rfcs.cast_ballot(uow, args.voter, at, rfcs.CastBallot(args.rfc, "yes"))
            figures["cast_seconds"] = time.perf_counter() - began
            if not (cast.changed and cast.binding):
                raise RuntimeError(f"{args.voter}'s ballot on {args.rfc} was not a binding change")
            at += timedelta(seconds=30)
        reset_peak()
        figures["rss_before_mib"] = memory_mib()[0]
        if profiler is not None:
            profiler.enable()
        began = time.perf_counter()
        if args.phase == "render":
            with store.read() as uow:
                pages = render_docs(uow.session)
            figures["seconds"] = time.perf_counter() - began
            figures["pages"] = len(pages)
            figures["bytes"] = sum(len(text.encode()) for text in pages.values())
        else:
            done = publish_now(store, publisher, at)
            figures["seconds"] = time.perf_counter() - began
            figures |= _publication(done)
        if profiler is not None:
            profiler.disable()
            figures["profile"] = _profile(profiler)
        figures["peak_mib"] = memory_mib()[1]
        if args.phase == "incremental":
            began = time.perf_counter()
            idle = publish_now(store, publisher, at + timedelta(seconds=30))
            figures["idle_seconds"] = time.perf_counter() - began
            figures["idle_files"] = len(idle.changed) + len(idle.deleted)
        if args.phase != "render":
            figures["files_in_repository"] = len(publisher.snapshot().blobs)
    finally:
        store.close()
    return figures


def _profile(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write("--- top 20 by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(20)
    out.write("--- top 10 by own time\n")
    stats.sort_stats("tottime").print_stats(10)
    return out.getvalue()


def _publication(done: Any) -> dict[str, Any]:
    return {
        "commit": done.commit,
        "full": done.full,
        "events": len(done.events),
        "changed": len(done.changed),
        "deleted": len(done.deleted),
        "paths": list(done.changed[:12]) + [f"(deleted) {p}" for p in done.deleted[:4]],
    }


def in_child(
    phase: str, db: Path, docs: Path, at: datetime, *, profile: bool = False, **more: str
) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and return its figures."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--phase", phase]
    argv += ["--db", str(db), "--docs", str(docs), "--at", iso_at(at)]
    argv += ["--profile"] if profile else []
    for key, value in more.items():
        argv += [f"--{key}", value]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} exited {done.returncode}:\n{done.stderr.strip()}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def iso_at(at: datetime) -> str:
    """An instant as the child reads it back."""
    text = iso(at)
    assert text is not None
    return text


# --- the history -----------------------------------------------------------------------------


def sidecar(path: Path) -> Path:
    """Where the summary of a cached history is kept."""
    return path.with_name(path.name + ".summary.json")


def obtain_history(
    cache: Path | None, work: Path, scale: history.Scale, seed: int
) -> tuple[history.Summary, Path, bool]:
    """The history as a fresh copy in ``work``: returns its summary, the copy, and whether it
    was generated in this run (rather than reused from the cache)."""
    db = work / "govbot.db"
    if cache is None:
        return history.generate(db, scale, seed), db, True
    summary = cached(cache, scale, seed)
    generated = summary is None
    if summary is None:
        for stale in (cache, sidecar(cache), *(cache.with_name(cache.name + s) for s in SQLITE)):
            stale.unlink(missing_ok=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        summary = history.generate(cache, scale, seed)
        sidecar(cache).write_text(json.dumps(summary.to_json(), indent=2))
    shutil.copyfile(cache, db)
    return summary, db, generated


def cached(cache: Path, scale: history.Scale, seed: int) -> history.Summary | None:
    """The summary of the history cached at ``cache`` if it can be reused; None to make it anew.

    A file without the summary beside it is not one of ours (perhaps a real record): refused.
    """
    if not cache.exists():
        return None
    if not sidecar(cache).exists():
        raise SystemExit(f"{cache} has no {sidecar(cache).name}: not a history made by this bench")
    try:
        summary = history.Summary.from_json(json.loads(sidecar(cache).read_text()))
    except (KeyError, TypeError, ValueError):
        return None
    if (summary.scale, summary.seed, summary.generator) != (scale, seed, history.GENERATOR):
        return None
    return summary


# --- GitHub: requests per publication ----------------------------------------------------------


@dataclass(frozen=True)
class GitHubRequests:
    """What one publication to GitHub cost, for a given number of changed files."""

    changed_files: int
    requests: int
    seconds: float
    by_route: dict[str, int] = field(default_factory=dict)


def github_requests(db: Path, work: Path, sizes: Sequence[int]) -> list[GitHubRequests]:
    """Requests a publication makes to GitHub (the fake), by the number of files it changes.

    A copy of the history is published in full to a fake repository holding one other file; then,
    for each size, that many RFCs are proposed through the service (each adds its page; the
    indexes and the group's page change with them) and the docs are published again. The
    requests the fake saw for each publication are counted, by route.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    fakes = importlib.import_module("tests.fakes.github")
    from bot.github.auth import github_client
    from bot.github.publisher import GitHubPublisher

    copy = work / "github.db"
    shutil.copyfile(db, copy)
    store = Store.open(copy)
    results: list[GitHubRequests] = []
    with fakes.FakeGitHub() as fake:
        fake.create_repo("omi/governance", {"CONTRIBUTING.md": "How to help.\n"})
        token = fake.issue_token("govbot", write=True)
        publisher = GitHubPublisher(
            github_client(base_url=fake.api_url, token=token), "omi/governance"
        )
        with store.read() as uow:
            row = uow.session.exec(
                select(Person.handle, Group.slug)
                .join(Membership, col(Membership.person_id) == col(Person.id))
                .join(Group, col(Group.id) == col(Membership.group_id))
                .where(col(Membership.until).is_(None), Membership.role == "chair")
                .limit(1)
            ).one()
        author, group = row
        now = history.NOW + timedelta(days=1)
        for size in [0, *sizes]:
            for i in range(size):
                now += timedelta(seconds=1)
                with store.write() as uow:
                    rfcs.propose_rfc(
                        uow,
                        author,
                        now,
                        rfcs.ProposeRfc(group, f"Bench proposal {now:%H%M%S} {i}", "Text."),
                    )
            fake.clear_log()
            started = time.perf_counter()
            done = publish_now(store, publisher, now)
            seconds = time.perf_counter() - started
            routes: dict[str, int] = {}
            for exchange in fake.log:
                key = str(exchange.operation)
                routes[key] = routes.get(key, 0) + 1
            results.append(
                GitHubRequests(
                    len(done.changed) + len(done.deleted), len(fake.log), seconds, routes
                )
            )
    store.close()
    return results


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything one run measured."""

    directory: str
    history: dict[str, Any]
    history_generated: bool
    history_mib: float
    render: dict[str, Any]
    full: dict[str, Any]
    incremental: list[dict[str, Any]]
    github: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)

    @property
    def incremental_s(self) -> float:
        """Median wall time of an incremental publication."""
        return float(statistics.median(r["seconds"] for r in self.incremental))

    @property
    def ratio(self) -> float:
        """The incremental publication as a share of the full one."""
        return float(self.incremental_s / self.full["seconds"])


def measure(args: argparse.Namespace, work: Path) -> Figures:
    """The history, then each phase in its own process, in order, on the same record."""
    scale = history.SMOKE if args.smoke else history.FULL
    summary, db, generated = obtain_history(args.history, work, scale, args.seed)
    voters = [v for v in summary.open_votes if v.state == "open"]
    vote = max(voters, key=lambda v: len(v.not_voted))
    if len(vote.not_voted) < args.rounds + 1:
        raise SystemExit(f"{vote.rfc} has only {len(vote.not_voted)} electors left to vote")
    docs = work / "docs"
    now = history.NOW
    render = in_child("render", db, docs, now)
    full = in_child("full", db, docs, now)
    rounds = [
        in_child(
            "incremental",
            db,
            docs,
            now + timedelta(minutes=1 + i),
            rfc=vote.rfc,
            voter=vote.not_voted[i],
        )
        for i in range(args.rounds)
    ]
    profiles: dict[str, str] = {}
    if args.profile:
        profiles["render only"] = in_child("render", db, docs, now, profile=True)["profile"]
        extra = in_child(
            "incremental",
            db,
            docs,
            now + timedelta(minutes=1 + args.rounds),
            profile=True,
            rfc=vote.rfc,
            voter=vote.not_voted[args.rounds],
        )
        profiles["incremental publication"] = extra["profile"]
    github = []
    if args.github:
        sizes = [int(size) for size in args.github.split(",")]
        github = [asdict(r) for r in github_requests(db, work, sizes)]
    return Figures(
        directory=str(work),
        history=summary.to_json(),
        history_generated=generated,
        history_mib=db.stat().st_size / (1024 * 1024),
        render=render,
        full=full,
        incremental=rounds,
        github=github,
        profiles=profiles,
    )


def report(f: Figures) -> str:
    """The figures for people to read."""
    h = f.history
    counts, seconds = h["counts"], h["seconds"]
    made = (
        f"generated in {seconds['total']:.1f} s (simulate {seconds['simulate']:.1f}, "
        f"ledger {seconds['ledger']:.1f}, write {seconds['write']:.1f})"
        if f.history_generated
        else f"reused from the cache (generated in {seconds['total']:.1f} s)"
    )
    lines = [
        f"directory        {f.directory}",
        f"history          {made}; {f.history_mib:.0f} MiB",
        f"                 {counts['groups']} groups, {counts['people']:,} people, "
        f"{counts['rfcs']:,} RFCs, {counts['votes']:,} votes, {counts['ballots']:,} ballots "
        f"({counts['ballot_history']:,} cast), {counts['elections']} elections, "
        f"{counts['ledger']:,} ledger entries",
        "",
        _line("render only", f.render)
        + f"{f.render['pages']:,} pages, {f.render['bytes'] / 1e6:.1f} MB of Markdown",
        _line("full publish", f.full)
        + f"{f.full['changed'] + f.full['deleted']:,} files written in one commit, "
        f"{f.full['events']:,} events",
        f"                 render only is {f.render['seconds'] / f.full['seconds']:.0%} "
        "of the full publication",
    ]
    times = ", ".join(f"{r['seconds']:.2f}" for r in f.incremental)
    last = f.incremental[-1]
    lines += [
        _line("incremental", last, f.incremental_s)
        + f"median of {len(f.incremental)} ({times} s), each after one ballot",
        f"                 {last['changed'] + last['deleted']} files written: "
        + ", ".join(last["paths"]),
        f"                 casting the ballot took {last['cast_seconds'] * 1000:.0f} ms; "
        f"a publication with nothing new {last['idle_seconds']:.2f} s "
        f"({last['idle_files']} files)",
        f"incremental / full {100 * f.ratio:7.2f} %",
    ]
    for g in f.github:
        lines.append(
            f"github           {g['changed_files']:>5} files changed: {g['requests']} requests "
            f"({', '.join(f'{n} {r}' for r, n in sorted(g['by_route'].items()))}) "
            f"in {g['seconds']:.2f} s"
        )
    if f.github:
        counts = {g["requests"] for g in f.github}
        lines.append(
            "github           requests per publication: "
            + ("the same whatever the number of files" if len(counts) == 1 else f"{sorted(counts)}")
        )
    for name, text in f.profiles.items():
        lines += ["", f"cProfile of {name} (a separate run; times inflated)", text.rstrip()]
    return "\n".join(lines)


def _line(name: str, phase: dict[str, Any], seconds: float | None = None) -> str:
    took = phase["seconds"] if seconds is None else seconds
    return (
        f"{name:<16} {took:8.2f} s  peak {phase['peak_mib']:4.0f} MiB "
        f"(from {phase['rss_before_mib']:3.0f})  "
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--history", type=Path, help="cached history file (made if missing)")
    parser.add_argument("--rounds", type=int, default=3, help="incremental rounds (3)")
    parser.add_argument("--smoke", action="store_true", help="the smoke test's small history")
    parser.add_argument("--seed", type=int, default=history.SEED, help="history seed")
    parser.add_argument("--dir", type=Path, help="where to make the temp dir (system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (docs repo, db)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="also profile render and one round")
    parser.add_argument(
        "--github",
        default="1,10,100,1000",
        help="RFCs proposed before each GitHub publication ('' to skip; default 1,10,100,1000)",
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    parser.add_argument("--rfc", help=argparse.SUPPRESS)
    parser.add_argument("--voter", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("need --rounds >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.phase:
        print(json.dumps(run_phase(args)))
        return
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="govbot-render-", dir=args.dir))
        figures = measure(args, work)
    else:
        with tempfile.TemporaryDirectory(prefix="govbot-render-", dir=args.dir) as temp:
            figures = measure(args, Path(temp))
    if args.json:
        print(json.dumps(asdict(figures) | {"ratio": figures.ratio}, indent=2))
    else:
        print(report(figures))


if __name__ == "__main__":
    main()
