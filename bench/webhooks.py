"""Signed GitHub deliveries POSTed to the running service, against a minimal HMAC server.

    python3 bench/webhooks.py [--deliveries N] [--concurrency C] [--electors E]
                              [--dir DIR] [--json] [--profile]

1. Setup: ``bot.app.Service`` wired as ``govbot run`` wires it (the harness of
   ``tests/support/service.py``: real aiohttp on loopback, a real SQLite file, unmodified
   PyGithub against the fake GitHub, the production docs debounce), with a ``datasets`` group of
   one chair and E members, each with a linked GitHub login, and a group policy that cannot
   close during the run (``close_early: false``, 8 weeks). RFC-0001 is imported from an issue
   and its vote opened by the ``vote/open`` label, both through deliveries, as in the e2e test.
   N ``/vote`` comments are then made on the fake GitHub (so the reactions govbot queues can
   succeed later) and their ``issue_comment.created`` deliveries built from GitHub's example
   payload, encoded and signed, before anything is timed. Elector ``i % E`` writes comment
   ``i`` and changes their choice at every comment (yes, no, abstain in turn).
2. Floor: a minimal aiohttp server, in a thread of this process as the service is, whose one
   handler checks the same HMAC (``bot.web.signature_ok``) and answers 202 without parsing or
   storing anything: what HTTP and the signature cost on this machine. Measured before and after
   the service, with the same requests and the same concurrency; the two runs are pooled.
3. Service: the same N POSTs to ``/webhooks/github``. Reported: 2xx answers per second of wall
   time (first POST sent to last answer received), p50 and p99 time to the 2xx, p99 as a share
   of GitHub's 10 s limit, and the time from the first POST until every delivery is processed
   (``done`` in the record, its ballot in the ledger), with processed deliveries per second,
   split at the last answer (while the POSTs came, and the backlog after them). The service's
   workers run meanwhile as in production: the docs publication (debounced; the report counts
   the publications made during the run) and the GitHub side effects (a reaction per ballot,
   paced under 80 writes a minute, so mostly after the run and never waited for).

The C clients are threads with a keep-alive ``http.client`` connection each, in a separate
process (this script with ``--client``) so they do not compete with the server for this
process's interpreter lock; both processes stamp times with ``time.monotonic``, one clock for
the whole machine. ``--profile`` runs cProfile around each delivery's processing in the same
run (which slows processing: read the profile for shares, and the figures of another run).
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import http.client
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub
    from tests.support.service import Running

REPO_ROOT = Path(__file__).resolve().parent.parent
GITHUB_LIMIT_S = 10.0  # GitHub gives up on a delivery not answered within 10 s
CHOICES = ("yes", "no", "abstain")
CHAIR = "ada"
ISSUE_BODY = "Every caption records its source."
WEBHOOK_PATH = "/webhooks/github"
WAIT_FACTOR_S = 0.5  # give up waiting for processing after 30 s + this much per delivery


# --- the clients (a process of their own) ---------------------------------------------------


@dataclass
class Load:
    """What the clients saw: monotonic stamps of the first POST and the last answer, statuses,
    and the latency of every 2xx answer (seconds)."""

    started: float
    ended: float
    statuses: dict[str, int]
    latencies: list[float]

    @property
    def accepted(self) -> int:
        """Answers with a 2xx status."""
        return sum(n for status, n in self.statuses.items() if status.startswith("2"))

    @property
    def wall_s(self) -> float:
        return self.ended - self.started


def post_all(url: str, requests: list[tuple[dict[str, str], bytes]], concurrency: int) -> Load:
    """POST every request, ``concurrency`` at a time, each thread on its own connection."""
    parts = urllib.parse.urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    results: list[tuple[float, float, int]] = [(0.0, 0.0, 0)] * len(requests)
    order = iter(range(len(requests)))
    lock = threading.Lock()
    gate = threading.Barrier(concurrency + 1)

    def connect() -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.connect()
        return conn

    def client() -> None:
        conn = connect()
        gate.wait()
        while True:
            with lock:
                index = next(order, None)
            if index is None:
                break
            headers, body = requests[index]
            began = time.monotonic()
            try:
                conn.request("POST", path, body, headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                status = 0  # no answer: counted apart, and a fresh connection for the next
                conn.close()
                conn = connect()
            results[index] = (began, time.monotonic(), status)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    gate.wait()
    for thread in threads:
        thread.join()
    statuses = Counter(str(status) for _, _, status in results)
    return Load(
        started=min(began for began, _, _ in results),
        ended=max(ended for _, ended, _ in results),
        statuses=dict(statuses),
        latencies=[ended - began for began, ended, s in results if 200 <= s < 300],
    )


def client_main(args: argparse.Namespace) -> None:
    """``--client FILE``: POST the requests in FILE to ``--url``; print the Load as JSON."""
    data = json.loads(Path(args.client).read_text())
    requests = [(dict(headers), body.encode()) for headers, body in data]
    print(json.dumps(asdict(post_all(args.url, requests, args.concurrency))))


def start_clients(url: str, requests: Path, concurrency: int) -> subprocess.Popen[str]:
    """The clients, in a fresh interpreter; ``finish_clients`` reads what they saw."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--client", str(requests)]
    argv += ["--url", url, "--concurrency", str(concurrency)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_clients(process: subprocess.Popen[str]) -> Load:
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the clients exited {process.returncode}:\n{err.strip()}")
    return Load(**json.loads(out.strip().splitlines()[-1]))


# --- the floor: HTTP and the signature, nothing else ----------------------------------------


class Floor:
    """A minimal aiohttp server on loopback, in a thread: checks the HMAC, answers 202."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="floor", daemon=True)
        self.runner: Any = None
        self.url = ""

    async def _start(self) -> str:
        from aiohttp import web

        from bot.web import SIGNATURE, signature_ok

        async def receive(request: web.Request) -> web.Response:
            body = await request.read()
            if not signature_ok(self.secret, body, request.headers.get(SIGNATURE)):
                return web.json_response({"error": f"missing or wrong {SIGNATURE}"}, status=401)
            return web.json_response({"status": "accepted"}, status=202)

        app = web.Application(client_max_size=25 * 1024 * 1024)
        app.router.add_post(WEBHOOK_PATH, receive)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def __enter__(self) -> Floor:
        self.thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


def floor_run(secret: bytes, requests: Path, concurrency: int) -> Load:
    with Floor(secret) as floor:
        return finish_clients(start_clients(floor.url + WEBHOOK_PATH, requests, concurrency))


# --- the world: charters, the service, the RFC and its open vote ----------------------------


def voter(index: int) -> str:
    return f"v{index:04d}"


def write_world_charters(directory: Path, electors: int) -> Path:
    """The e2e foundation (docs to the fake GitHub) with ``electors`` more members in datasets.

    ``datasets``: chair ada, members v0000.. (GitHub ``<handle>-gh``); a default policy that
    cannot close during the run, so every ballot is accepted and binding.
    """
    from tests.conftest import PEOPLE, charter, people_yaml, write_charters
    from tests.support.service import DOCS_REPO

    voters = [voter(i) for i in range(electors)]
    path = write_charters(
        directory,
        datasets=charter(
            "datasets",
            chairs=[CHAIR],
            members=voters,
            policies="default: {duration: 8w, min_duration: 72h, close_early: false}\n",
        ),
    )
    (path / "people.yaml").write_text(people_yaml([*PEOPLE, *voters]))
    foundation = path / "foundation.yaml"
    foundation.write_text(
        foundation.read_text() + f"docs: {{repo: {DOCS_REPO}}}\ngithub: {{close_accepted: true}}\n"
    )
    return path


def open_the_vote(running: Running, fake: FakeGitHub, electors: int) -> int:
    """RFC-0001 imported from an issue and its vote opened, through deliveries; its number."""
    from governance.services import rfcs
    from tests.support.service import GitHubSide

    side = GitHubSide(fake, lambda: running)
    number = side.open_issue(
        "Caption provenance", ISSUE_BODY, by=f"{CHAIR}-gh", labels=["rfc", "wg/datasets"]
    )
    running.settle(60)
    status, answer = side.label(number, "vote/open", by=f"{CHAIR}-gh")
    if status != 202:
        raise RuntimeError(f"the vote/open label was answered {status}: {answer}")
    running.settle(60)
    with running.store.read() as uow:
        shown = rfcs.vote_status(uow, "RFC-0001", running.clock())
    if shown.state != "open" or shown.electorate != electors + 1:
        raise RuntimeError(f"the vote is {shown.state} with {shown.electorate} electors")
    return number


def comment_deliveries(
    fake: FakeGitHub, number: int, count: int, electors: int, secret: str
) -> list[tuple[dict[str, str], str]]:
    """``count`` ``/vote`` comments made on the fake GitHub, as signed deliveries (headers,
    body). Elector ``i % electors`` writes comment ``i``, changing their choice each time."""
    from governance.clock import iso
    from tests.support import webhooks as payloads
    from tests.support.service import REPO

    view = fake.issue(REPO, number)
    out: list[tuple[dict[str, str], str]] = []
    for i in range(count):
        who = f"{voter(i % electors)}-gh"
        text = f"/vote {CHOICES[(i // electors) % len(CHOICES)]}"
        comment_id = fake.comment_issue(REPO, number, text, by=who)
        payload = payloads.comment_payload(
            "created",
            repo=REPO,
            number=number,
            body=text,
            sender=who,
            comment_id=comment_id,
            issue_labels=view.labels,
            issue_title=view.title,
        )
        written = fake.repo(REPO).comments[comment_id].created_at
        stamp = iso(datetime.fromtimestamp(written, UTC))
        payload["comment"]["created_at"] = payload["comment"]["updated_at"] = stamp
        body = payloads.encode(payload)
        out.append((payloads.headers("issue_comment", body, secret), body.decode()))
    return out


# --- the service run ------------------------------------------------------------------------


@dataclass
class Effects:
    """When the record held every delivery's effect, and what the record says afterwards."""

    done_at: float | None  # monotonic; None when processing did not finish in time
    processed: int
    processed_by_last_answer: int
    docs_commits: int  # docs publications to GitHub between the first POST and done_at
    states: dict[str, int]
    voted: int
    unchanged: int
    ballot_entries: int
    tally: dict[str, int | None]  # counts are None only for a secret vote still open


def wait_for_processing(
    running: Running, clients: subprocess.Popen[str], before: int, count: int
) -> tuple[Load, float | None, list[tuple[float, int]]]:
    """Poll the processor's count until every accepted delivery is processed.

    The target is ``count`` until the clients have reported, then the 2xx answers they got.
    Returns what the clients saw, the monotonic time the last delivery was processed, and the
    count each time it moved, as (monotonic time, deliveries processed since ``before``).
    """
    processor = running.service.processor
    assert processor is not None
    target = before + count
    load: Load | None = None
    deadline = time.monotonic() + 30 + WAIT_FACTOR_S * count
    done_at: float | None = None
    samples: list[tuple[float, int]] = []
    while time.monotonic() < deadline:
        processed = processor.processed
        if not samples or processed != samples[-1][1] + before:
            samples.append((time.monotonic(), processed - before))
        if processed >= target:
            done_at = samples[-1][0]
            break
        if load is None and clients.poll() is not None:
            load = finish_clients(clients)
            target = before + load.accepted
            continue
        time.sleep(0.005)
    if load is None:
        load = finish_clients(clients)
    return load, done_at, samples


def record_effects(
    running: Running,
    load: Load,
    done_at: float | None,
    samples: list[tuple[float, int]],
    docs_commits: int,
) -> Effects:
    """What the record holds once processing ended (or was given up on)."""
    from sqlmodel import col, func, select

    from governance import inbox
    from governance.model import Delivery, LedgerEntry
    from governance.services import rfcs

    with running.store.read() as uow:
        results = uow.session.exec(
            select(Delivery.result).where(col(Delivery.key).like("github:comment:%"))
        ).all()
        entries = uow.session.exec(
            select(func.count()).where(LedgerEntry.action == "ballot.cast")
        ).one()
        shown = rfcs.vote_status(uow, "RFC-0001", running.clock())
    voted = [r for r in results if r is not None and " voted " in r]
    return Effects(
        done_at=done_at,
        processed=samples[-1][1] if samples else 0,
        processed_by_last_answer=max((n for at, n in samples if at <= load.ended), default=0),
        docs_commits=docs_commits,
        states=inbox.counts(running.store),
        voted=len(voted),
        unchanged=sum(1 for r in voted if r.endswith("(unchanged)")),
        ballot_entries=int(entries),
        tally={
            "yes": shown.yes,
            "no": shown.no,
            "abstain": shown.abstain,
            "electorate": shown.electorate,
        },
    )


def service_and_floor(
    work: Path, args: argparse.Namespace
) -> tuple[Load, Effects, list[Load], str | None]:
    """Start the service and open the vote; then the floor (the service idle), the timed
    deliveries to the service, and the floor again once the service has stopped."""
    from tests.fakes.github import FakeGitHub
    from tests.support.service import DOCS_REPO, REPO, SECRET, Clock, Running, settings_for

    requests = work / "requests.json"
    with FakeGitHub() as fake:
        fake.create_repo(REPO, {"README.md": "RFCs of the Open Model Initiative\n"})
        fake.create_repo(DOCS_REPO, {"README.md": "governance\n"})
        charters = write_world_charters(work / "charters", args.electors)
        # the production docs debounce (5 s, 60 s at most), not the tests' 0.05 s
        settings = settings_for(
            work, fake, charters, GOVBOT_DOCS_DEBOUNCE="", GOVBOT_DOCS_MAX_DELAY=""
        )
        with Running(settings, Clock(fake)) as running:
            number = open_the_vote(running, fake, args.electors)
            deliveries = comment_deliveries(fake, number, args.deliveries, args.electors, SECRET)
            requests.write_text(json.dumps(deliveries))
            floors = [floor_run(SECRET.encode(), requests, args.concurrency)]
            running.settle(60)
            processor = running.service.processor
            assert processor is not None
            before = processor.processed
            profiler = ProcessingProfile() if args.profile else None
            commits = len(fake.commits(DOCS_REPO))
            clients = start_clients(running.url + WEBHOOK_PATH, requests, args.concurrency)
            load, done_at, samples = wait_for_processing(running, clients, before, args.deliveries)
            published = len(fake.commits(DOCS_REPO)) - commits
            effects = record_effects(running, load, done_at, samples, published)
            profile = profiler.report() if profiler is not None else None
        floors.append(floor_run(SECRET.encode(), requests, args.concurrency))
    return load, effects, floors, profile


class ProcessingProfile:
    """cProfile around each delivery's processing (``bot.github.processor.process``).

    The processor handles one delivery at a time, so one profiler is never enabled twice.
    """

    def __init__(self) -> None:
        from bot.github import processor

        self.profiler = cProfile.Profile()
        self.module = processor
        self.original = processor.process
        self.calls = 0

        def profiled(*a: Any, **k: Any) -> str:
            self.calls += 1
            result: str = self.profiler.runcall(self.original, *a, **k)
            return result

        processor.process = profiled

    def report(self) -> str:
        self.module.process = self.original
        out = io.StringIO()
        stats = pstats.Stats(self.profiler, stream=out).strip_dirs()
        out.write(f"cProfile of processing {self.calls} deliveries (times inflated)\n")
        out.write("\n--- top 25 by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(25)
        out.write("--- top 15 by own time\n")
        stats.sort_stats("tottime").print_stats(15)
        return out.getvalue()


# --- figures --------------------------------------------------------------------------------


@dataclass
class Side:
    """One server's figures."""

    posts: int
    accepted: int
    statuses: dict[str, int]
    wall_s: float
    rate: float
    p50_ms: float
    p99_ms: float

    @property
    def p99_share(self) -> float:
        """p99 as a share of GitHub's 10 s limit."""
        return self.p99_ms / 1000 / GITHUB_LIMIT_S


def side_of(loads: list[Load]) -> Side:
    """Pooled figures of one or more runs: 2xx answers over the summed wall time."""
    latencies = sorted(x for load in loads for x in load.latencies)
    statuses: Counter[str] = Counter()
    for load in loads:
        statuses.update(load.statuses)
    accepted = sum(load.accepted for load in loads)
    wall = sum(load.wall_s for load in loads)
    return Side(
        posts=sum(statuses.values()),
        accepted=accepted,
        statuses=dict(statuses),
        wall_s=wall,
        rate=accepted / wall if wall > 0 else 0.0,
        p50_ms=1000 * percentile(latencies, 50),
        p99_ms=1000 * percentile(latencies, 99),
    )


def percentile(sorted_values: list[float], p: int) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[p - 1]


@dataclass
class Figures:
    """Everything one run measured."""

    deliveries: int
    concurrency: int
    electors: int
    govbot: Side
    floor: Side
    floor_runs: list[Side]
    rate_ratio: float  # govbot / floor, 2xx answers per second
    p99_ratio: float  # govbot / floor, p99 time to the 2xx
    last_answer_s: float  # from the first POST to the last 2xx
    effects_s: float | None  # from the first POST until every delivery was processed
    processed_rate: float | None  # deliveries processed per second over effects_s
    burst_processed: int  # processed by the time of the last answer
    burst_rate: float  # processed per second while the POSTs were coming
    backlog_rate: float | None  # processed per second after the last answer
    all_processed: bool  # every accepted delivery done, each a ballot
    record: dict[str, Any]  # what the record holds afterwards
    profile: str | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["govbot"]["p99_share_of_10s"] = self.govbot.p99_share
        out["floor"]["p99_share_of_10s"] = self.floor.p99_share
        return out


def measure(args: argparse.Namespace, work: Path) -> Figures:
    load, effects, floors, profile = service_and_floor(work, args)
    govbot, floor = side_of([load]), side_of(floors)
    effects_s = None if effects.done_at is None else effects.done_at - load.started
    burst = effects.processed_by_last_answer
    after_s = None if effects_s is None else effects_s - load.wall_s
    states = effects.states
    all_processed = (
        effects_s is not None
        and effects.processed == govbot.accepted
        and effects.voted == govbot.accepted
        and set(states) == {"done"}
    )
    record = asdict(effects)
    del record["done_at"]  # a monotonic stamp, meaningless outside the run
    return Figures(
        deliveries=args.deliveries,
        concurrency=args.concurrency,
        electors=args.electors,
        govbot=govbot,
        floor=floor,
        floor_runs=[side_of([f]) for f in floors],
        rate_ratio=govbot.rate / floor.rate if floor.rate else float("nan"),
        p99_ratio=govbot.p99_ms / floor.p99_ms if floor.p99_ms else float("nan"),
        last_answer_s=load.wall_s,
        effects_s=effects_s,
        processed_rate=effects.processed / effects_s if effects_s else None,
        burst_processed=burst,
        burst_rate=burst / load.wall_s if load.wall_s > 0 else float("nan"),
        backlog_rate=(effects.processed - burst) / after_s if after_s else None,
        all_processed=all_processed,
        record=record,
        profile=profile,
    )


def report(f: Figures) -> str:
    """The figures for people to read."""
    g, fl, r = f.govbot, f.floor, f.record
    lines = [
        f"{f.deliveries} issue_comment.created deliveries (/vote), {f.concurrency} concurrent "
        f"clients, {f.electors + 1} electors",
        "",
        f"{'':<24}{'2xx/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'p99/10 s':>10}  answers",
        _row("govbot (stored, 202)", g),
        _row("floor (HMAC only, 202)", fl),
        f"{'govbot / floor':<24}{f.rate_ratio:>9.2f}x{'':>10}{f.p99_ratio:>9.1f}x",
        "floor runs              "
        + ", ".join(f"{s.rate:.0f}/s p99 {s.p99_ms:.2f} ms" for s in f.floor_runs)
        + " (service idle; service stopped)",
        "",
    ]
    if f.effects_s is None:
        lines.append(
            f"processed   NOT all: {r['processed']} of {g.accepted} (states {r['states']})"
        )
    else:
        backlog = "-" if f.backlog_rate is None else f"{f.backlog_rate:.1f}/s"
        lines += [
            f"processed   all {r['processed']} {f.effects_s:.2f} s after the first POST "
            f"(last 2xx at {f.last_answer_s:.2f} s): {f.processed_rate:.1f} processed/s",
            f"            {f.burst_processed} while the POSTs came ({f.burst_rate:.1f}/s), "
            f"the rest after the last answer ({backlog})",
        ]
    lines += [
        f"            docs published to GitHub {r['docs_commits']} times meanwhile",
        "record      deliveries "
        + ", ".join(f"{n} {state}" for state, n in sorted(r["states"].items()))
        + f" (2 of them the setup's); {r['voted']} ballots "
        f"({r['unchanged']} unchanged), {r['ballot_entries']} ballot.cast ledger entries; "
        f"tally yes {r['tally']['yes']} no {r['tally']['no']} abstain {r['tally']['abstain']} "
        f"of {r['tally']['electorate']} electors",
        f"all processed: {'yes' if f.all_processed else 'NO'}",
    ]
    if f.profile:
        lines += ["", f.profile.rstrip()]
    return "\n".join(lines)


def _row(name: str, s: Side) -> str:
    answers = ", ".join(f"{n} x {status}" for status, n in sorted(s.statuses.items()))
    return (
        f"{name:<24}{s.rate:>10.1f}{s.p50_ms:>10.2f}{s.p99_ms:>10.2f}"
        f"{100 * s.p99_share:>9.2f}%  {answers}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000, help="deliveries (1000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--electors", type=int, default=200, help="members who vote (200)")
    parser.add_argument("--dir", type=Path, help="where to make the temp dir (system temp)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="cProfile the processing")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: be the clients
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.deliveries < 1 or args.concurrency < 1 or args.electors < 1:
        parser.error("--deliveries, --concurrency and --electors must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.client:
        client_main(args)
        return
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # the harness lives in tests/
    with tempfile.TemporaryDirectory(prefix="govbot-bench-", dir=args.dir) as temp:
        figures = measure(args, Path(temp))
    if args.json:
        print(json.dumps(figures.to_json(), indent=2))
    else:
        print(report(figures))


if __name__ == "__main__":
    main()
