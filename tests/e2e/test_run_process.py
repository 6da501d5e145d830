"""``govbot run`` as operators run it: a real child process, configured only by its environment.

The in-process ``Running`` harness cannot show what only a process shows: the signal handlers,
the exit code, what reaches stdout and stderr, and what a SIGKILL leaves in the SQLite file. Each
test starts ``python -m bot.cli run`` with an explicit environment in a temporary directory, reads
the port from the log line, talks to it over loopback HTTP and stops it through its Popen handle.
The fake GitHub runs in the test process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlmodel import select

from bot import cli
from governance.clock import utcnow
from governance.model import Delivery
from governance.refs import rfc_label
from governance.services import rfcs
from governance.store import Store
from tests.conftest import Db
from tests.fakes.discord import FakeDiscord
from tests.fakes.github import FakeGitHub
from tests.support import webhooks
from tests.support.keys import rsa_key
from tests.support.service import BOT, REPO, SECRET, foundation_charters, labeled_payload

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
"""Generous bound on a start (about a second here) so a loaded CI machine does not flake."""
EXIT_TIMEOUT = 40.0
"""Bound on exiting after SIGTERM: the service's 20 s grace for work in hand, plus margin."""
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
RFC_TITLE = "Caption provenance"
RFC_BODY = "Every caption records its source."
FUTURE = "2099-01-04T10:00:00Z"
"""A time ahead of any real clock these tests meet: a typo in the year."""

# urllib would send loopback requests through a proxy named in the environment
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Govbot:
    """One ``govbot run`` child process; threads collect its output line by line as it comes."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))
        ]
        for reader in self._readers:
            reader.start()
        self.port: int | None = None

    def _read(self, stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything printed so far, stdout then stderr."""
        with self._changed:
            return "\n".join([*self.stdout, *self.stderr])

    def wait_for(
        self, pattern: re.Pattern[str] | str, timeout: float = START_TIMEOUT
    ) -> re.Match[str]:
        """The first output line matching ``pattern``; fails if the process ends without one."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in [*self.stderr, *self.stdout]:
                    if found := regex.search(line):
                        return found
                if self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(
                        f"govbot exited ({self.proc.returncode}) without printing "
                        f"{regex.pattern!r}:\n{self.output}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {regex.pattern!r} in {timeout} s:\n{self.output}")
                self._changed.wait(min(left, 0.5))

    def ready(self) -> Govbot:
        """Wait until it listens and ``/readyz`` says ready (startup is done)."""
        self.port = int(self.wait_for(LISTENING).group(1))
        deadline = time.monotonic() + START_TIMEOUT
        while (status := self.get("/readyz")[0]) != 200:
            assert self.proc.poll() is None, f"govbot exited during startup:\n{self.output}"
            assert time.monotonic() < deadline, f"/readyz still {status}:\n{self.output}"
            time.sleep(0.05)
        return self

    @property
    def url(self) -> str:
        assert self.port is not None, "wait for ready() first"
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One loopback HTTP request; the answer decoded from JSON when it is JSON."""
        request = urllib.request.Request(
            self.url + path, data=body, headers=headers or {}, method=method
        )
        try:
            with HTTP.open(request, timeout=15) as answer:
                status, raw, kind = answer.status, answer.read(), answer.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get_content_type()
        text = raw.decode()
        return status, json.loads(text) if kind == "application/json" else text

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(
        self, event: str, payload: dict[str, Any], *, secret: str | None = SECRET
    ) -> tuple[int, Any]:
        """A delivery as GitHub sends it: compact JSON, signed with ``secret``."""
        body = webhooks.encode(payload)
        return self.request("POST", "/webhooks/github", body, webhooks.headers(event, body, secret))

    def finish(self, timeout: float = EXIT_TIMEOUT) -> int:
        """Wait for the exit and for all its output; returns the exit code."""
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def terminate(self) -> int:
        """SIGTERM, as systemd and docker stop a service; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.finish()

    def crash(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed but what the OS already has."""
        self.proc.kill()
        self.finish()


Spawn = Callable[..., Govbot]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Starts ``govbot run`` in ``tmp_path`` with only the given settings in its environment;
    whatever is still running at the end is killed through its own handle."""
    started: list[Govbot] = []
    home = tmp_path / "home"
    home.mkdir()

    def start(**settings: str) -> Govbot:
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),  # the checkout under test, not whatever is installed
            "PYTHONUNBUFFERED": "1",
            "GOVBOT_HTTP_PORT": "0",
        }
        env.update(settings)
        started.append(Govbot(tmp_path, env))
        return started[-1]

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
        one.proc.wait(EXIT_TIMEOUT)
        for stream in (one.proc.stdout, one.proc.stderr):
            if stream is not None:
                stream.close()


def github_settings(tmp: Path, fake: FakeGitHub, **extra: str) -> dict[str, str]:
    """What an operator writes for a token-authenticated govbot, pointed at the fake GitHub."""
    charters = tmp / "charters"
    if not charters.exists():
        foundation_charters(charters)
    values = {
        "GOVBOT_DATABASE_URL": str(tmp / "govbot.db"),
        "GOVBOT_CHARTERS": str(charters),
        "GOVBOT_DOCS_DIR": str(tmp / "docs"),
        "GOVBOT_DOCS_DEBOUNCE": "0.05",
        "GOVBOT_DOCS_MAX_DELAY": "0.2",
        "GOVBOT_GITHUB_API_URL": fake.api_url,
        "GOVBOT_GITHUB_TOKEN": fake.issue_token(BOT, write=True),
        "GOVBOT_GITHUB_REPO": REPO,
        "GOVBOT_GITHUB_WEBHOOK_SECRET": SECRET,
    }
    return values | extra


def open_rfc_issue(fake: FakeGitHub | None) -> tuple[int, dict[str, Any]]:
    """ada (chair of datasets) opens an RFC issue; returns its number and the delivery.

    Without ``fake`` only the delivery is made (issue 1), for tests that never process it.
    """
    labels = ["rfc", "wg/datasets"]
    number = 1
    if fake is not None:
        number = fake.open_issue(REPO, RFC_TITLE, RFC_BODY, by="ada-gh", labels=labels)
    payload = webhooks.issue_payload(
        "opened",
        repo=REPO,
        number=number,
        title=RFC_TITLE,
        body=RFC_BODY,
        sender="ada-gh",
        labels=labels,
    )
    return number, payload


def label_payload(fake: FakeGitHub, number: int, label: str, by: str) -> dict[str, Any]:
    """``by`` adds ``label`` on GitHub; the delivery GitHub sends for it."""
    fake.label_issue(REPO, number, label, by=by)
    return labeled_payload(fake, number, label, by=by)


def deliveries(db: Path) -> dict[str, str]:
    """Every stored delivery's key and state, read from the file the process left."""
    store = Store.open(db)
    try:
        with store.read() as uow:
            return {d.key: d.state for d in uow.session.exec(select(Delivery))}
    finally:
        store.close()


def imported(db: Path, number: int) -> tuple[str, str, str | None] | None:
    """The RFC the issue carries (its id, title and vote state), if it was imported."""
    store = Store.open(db)
    try:
        with store.read() as uow:
            rfc = rfcs.rfc_of_issue(uow, REPO, number)
            if rfc is None:
                return None
            ref = rfcs.show_rfc(uow, rfc_label(rfc.number), utcnow())
            return ref.rfc, ref.title, None if ref.vote is None else ref.vote.state
    finally:
        store.close()


# --- stopping ---------------------------------------------------------------------------------


def test_sigterm_finishes_the_deliveries_in_hand_and_exits_0(
    spawn: Spawn, fake: FakeGitHub, tmp_path: Path
) -> None:
    govbot = spawn(**github_settings(tmp_path, fake)).ready()
    assert "signed in to GitHub as govbot-bot" in govbot.output

    number, opened = open_rfc_issue(fake)
    status, answer = govbot.post("issues", opened)
    assert (status, answer["status"]) == (202, "accepted")
    status, answer = govbot.post("issues", label_payload(fake, number, "vote/open", by="ada-gh"))
    assert (status, answer["status"]) == (202, "accepted")
    code = govbot.terminate()  # at once: the label's delivery is at best being processed

    assert code == 0, govbot.output
    assert "stopping: finishing the work in hand" in govbot.output
    assert govbot.stdout[-2].endswith("govbot stopped"), govbot.output  # the log is on stdout
    assert govbot.stdout[-1] == "govbot stopped."
    assert govbot.stderr == [], govbot.output
    stored = deliveries(tmp_path / "govbot.db")
    assert len(stored) == 2 and set(stored.values()) == {"done"}, stored
    assert imported(tmp_path / "govbot.db", number) == ("RFC-0001", RFC_TITLE, "open")


def test_a_crash_after_the_202_loses_nothing(
    spawn: Spawn, fake: FakeGitHub, tmp_path: Path
) -> None:
    settings = github_settings(tmp_path, fake)
    govbot = spawn(**settings).ready()
    number, opened = open_rfc_issue(fake)
    status, answer = govbot.post("issues", opened)
    assert status == 202
    govbot.crash()  # SIGKILL right after the answer
    assert govbot.proc.returncode == -signal.SIGKILL

    db = tmp_path / "govbot.db"
    assert deliveries(db).get(answer["key"]) in {"pending", "done"}, "the 202 was not durable"

    again = spawn(**settings).ready()  # processes what was stored before it says ready
    stored = deliveries(db)  # with what catching up with GitHub read back (the labelling)
    assert stored[answer["key"]] == "done" and set(stored.values()) == {"done"}, stored
    assert imported(db, number) == ("RFC-0001", RFC_TITLE, None)
    status, body = again.get("/readyz")
    assert status == 200 and body["ready"] is True
    assert body["deliveries"] == {"done": len(stored)}
    assert again.terminate() == 0, again.output


# --- the embedded default ---------------------------------------------------------------------


def test_without_github_settings_it_runs_on_the_embedded_default(
    spawn: Spawn, tmp_path: Path
) -> None:
    govbot = spawn().ready()  # nothing set but the port: a local record, local docs
    assert "embedded default" in govbot.output
    assert govbot.get("/healthz") == (200, "ok\n")
    status, body = govbot.get("/readyz")
    assert status == 200 and body["ready"] is True
    status, body = govbot.post("issues", webhooks.example("issues", "opened"))
    assert status == 404 and "not configured" in body["error"]
    assert govbot.terminate() == 0, govbot.output
    assert (tmp_path / "govbot.db").is_file()
    # the service acts in real time: the record is live, and a future --now is refused on it
    record = Db.sqlite_file(tmp_path / "govbot.db")
    assert [row[0] for row in record.query("SELECT name FROM checkpoints")] == ["record:live"]
    before = record.snapshot()
    code, out, err = cli.run(["--db", str(tmp_path / "govbot.db"), "--now", FUTURE, "tick"])
    assert code == 2 and out == "" and err.startswith("govbot: This record is live"), err
    assert record.snapshot() == before
    record.dispose()


def test_settings_in_the_working_directorys_dotenv_are_used(spawn: Spawn, tmp_path: Path) -> None:
    """``bot.settings`` reads ``./.env``; ``govbot run`` must not override what it read there."""
    charters = foundation_charters(tmp_path / "charters")
    (tmp_path / ".env").write_text(
        f"GOVBOT_DATABASE_URL=record.db\nGOVBOT_CHARTERS={charters}\nGOVBOT_LOG_LEVEL=WARNING\n"
    )
    govbot = spawn(GOVBOT_LOG_LEVEL="INFO").ready()  # the environment wins over the file
    assert govbot.terminate() == 0, govbot.output
    summary = govbot.wait_for(r"settings: (.*)").group(1).split()
    assert f"GOVBOT_CHARTERS={charters}" in summary, summary
    assert "GOVBOT_DATABASE_URL=record.db" in summary, summary
    assert (tmp_path / "record.db").is_file() and not (tmp_path / "govbot.db").exists()


# --- refusing to start ------------------------------------------------------------------------


def test_a_record_dated_ahead_of_the_clock_stops_startup_with_one_line(
    spawn: Spawn, tmp_path: Path
) -> None:
    """A record a future --now moved ahead (before it was live) is not run as if all were well."""
    database = str(tmp_path / "govbot.db")
    code, _, err = cli.run(["--db", database, "--now", FUTURE, "charters", "sync"])
    assert code == 0, err
    record = Db.sqlite_file(tmp_path / "govbot.db")
    before = record.snapshot()
    govbot = spawn()  # the embedded default: ./govbot.db, the bundled charters
    outcome = govbot.wait_for(r"^govbot: |govbot is ready on ")
    if outcome.group(0) != "govbot: ":
        govbot.crash()
        pytest.fail(f"govbot started on a record dated ahead of the clock:\n{govbot.output}")
    assert govbot.finish() == 2, govbot.output
    assert len(govbot.stderr) == 1, govbot.output
    line = govbot.stderr[0]
    assert line.startswith("govbot: the record at govbot.db was last changed at " + FUTURE), line
    assert "ahead of the real time" in line and "backup" in line, line
    assert record.snapshot() == before  # not migrated, not marked live, nothing synced
    record.dispose()


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return rsa_key()


def app_settings(tmp: Path, fake: FakeGitHub, key: tuple[str, str]) -> dict[str, str]:
    """Settings signing in as a GitHub App installed on every repository of the fake."""
    private, public = key
    app_id = fake.register_app(public)
    installation = fake.install_app(app_id, None)
    settings = github_settings(tmp, fake)
    del settings["GOVBOT_GITHUB_TOKEN"]
    return settings | {
        "GOVBOT_GITHUB_APP_ID": str(app_id),
        "GOVBOT_GITHUB_PRIVATE_KEY": private,
        "GOVBOT_GITHUB_INSTALLATION_ID": str(installation),
    }


def refusal(case: str, tmp: Path, fake: FakeGitHub, taken: int) -> tuple[dict[str, str], str]:
    """A wrong configuration, and the variable its one line must name."""
    good = github_settings(tmp, fake)
    app = {k: v for k, v in good.items() if k != "GOVBOT_GITHUB_TOKEN"}
    empty = tmp / "empty"
    empty.mkdir()
    cases = {
        "port-not-a-number": ({"GOVBOT_HTTP_PORT": "abc"}, "GOVBOT_HTTP_PORT"),
        "app-id-alone": (app | {"GOVBOT_GITHUB_APP_ID": "1234"}, "GOVBOT_GITHUB_PRIVATE_KEY"),
        "token-without-repo": (
            {k: v for k, v in good.items() if k != "GOVBOT_GITHUB_REPO"},
            "GOVBOT_GITHUB_REPO",
        ),
        "token-without-secret": (
            {k: v for k, v in good.items() if k != "GOVBOT_GITHUB_WEBHOOK_SECRET"},
            "GOVBOT_GITHUB_WEBHOOK_SECRET",
        ),
        "empty-charters": (good | {"GOVBOT_CHARTERS": str(empty)}, "GOVBOT_CHARTERS"),
        "missing-key-file": (
            app
            | {
                "GOVBOT_GITHUB_APP_ID": "1234",
                "GOVBOT_GITHUB_PRIVATE_KEY": str(tmp / "missing.pem"),
                "GOVBOT_GITHUB_INSTALLATION_ID": "5678",
            },
            "GOVBOT_GITHUB_PRIVATE_KEY",
        ),
        "wrong-token": (good | {"GOVBOT_GITHUB_TOKEN": "ghp_" + "0" * 36}, "GOVBOT_GITHUB_TOKEN"),
        "port-in-use": ({"GOVBOT_HTTP_PORT": str(taken)}, "GOVBOT_HTTP_PORT"),
    }
    return cases[case]


@pytest.mark.parametrize(
    "case",
    [
        "port-not-a-number",
        "app-id-alone",
        "token-without-repo",
        "token-without-secret",
        "empty-charters",
        "missing-key-file",
        "wrong-token",
        "port-in-use",
    ],
)
def test_a_wrong_setting_stops_startup_with_one_line(
    case: str, spawn: Spawn, fake: FakeGitHub, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:  # another program's port
        other.bind(("127.0.0.1", 0))
        other.listen()
        settings, name = refusal(case, tmp_path, fake, other.getsockname()[1])
        govbot = spawn(**settings)
        code = govbot.finish(START_TIMEOUT)

    assert code == 2, govbot.output
    assert not any("ERROR" in line or "Traceback" in line for line in govbot.stdout), govbot.output
    last = govbot.stderr[-1] if govbot.stderr else ""
    assert last.startswith("govbot: ") and name in last, govbot.output
    assert govbot.stderr == [last], f"more than the one line on stderr:\n{govbot.output}"


@pytest.mark.parametrize("case", ["repository-not-visible", "app-not-installed"])
def test_credentials_that_cannot_reach_the_repository_stop_startup(
    case: str, spawn: Spawn, fake: FakeGitHub, tmp_path: Path, app_key: tuple[str, str]
) -> None:
    """Signing in is not enough: without the watched repository govbot would run blind."""
    if case == "repository-not-visible":
        settings = github_settings(tmp_path, fake, GOVBOT_GITHUB_REPO="omi/no-such-repo")
        named = ("GOVBOT_GITHUB_REPO", "omi/no-such-repo")
    else:
        settings = app_settings(tmp_path, fake, app_key)
        settings["GOVBOT_GITHUB_INSTALLATION_ID"] = "999999"  # the App is not installed there
        named = ("GOVBOT_GITHUB_INSTALLATION_ID", "App settings")
    govbot = spawn(**settings)
    outcome = govbot.wait_for(r"^govbot: |govbot is ready on ")
    if outcome.group(0) != "govbot: ":
        govbot.crash()
        pytest.fail(f"govbot started although it cannot read the repository:\n{govbot.output}")
    assert govbot.finish() == 2, govbot.output
    last = govbot.stderr[-1]
    assert last.startswith("govbot: ") and any(n in last for n in named), govbot.output


# --- secrets ----------------------------------------------------------------------------------


def leaks(output: str, secrets: dict[str, str]) -> list[str]:
    """Which secrets (for a PEM key: any line of it) appear in ``output``."""
    found = []
    for name, value in secrets.items():
        pieces = [line for line in value.splitlines() if len(line) >= 16] or [value]
        if any(piece in output for piece in pieces):
            found.append(name)
    return found


def start_refuse_stop(govbot: Govbot) -> None:
    """A start, a forged delivery refused, a shutdown: output a secret could leak into."""
    govbot.ready()
    _, opened = open_rfc_issue(None)
    status, _ = govbot.post("issues", opened, secret="not the secret")
    assert status == 401
    govbot.wait_for("refused a GitHub delivery with a wrong signature")  # logged, no more
    assert govbot.terminate() == 0, govbot.output


def test_token_and_webhook_secret_never_reach_the_output(
    spawn: Spawn, fake: FakeGitHub, tmp_path: Path
) -> None:
    discord_token = "discord-SECRET-MTIzNDU2Nzg5"
    secrets = {
        "GOVBOT_GITHUB_TOKEN": fake.issue_token(BOT, token="ghp_TOKENtokenTOKEN0123456789abcdefAB"),
        "GOVBOT_GITHUB_WEBHOOK_SECRET": "hook-SECRET-4f1c9b2e77d0",
        "GOVBOT_DISCORD_TOKEN": discord_token,
    }
    discord_fake = FakeDiscord(token=discord_token).start()
    secrets_at = {
        "GOVBOT_DISCORD_API_URL": discord_fake.api_url,
        "GOVBOT_DISCORD_GATEWAY_URL": discord_fake.gateway_url,
    }
    try:
        _secrets_stay_hidden(spawn, fake, tmp_path, secrets, secrets_at)
    finally:
        discord_fake.stop()


def _secrets_stay_hidden(
    spawn: Spawn,
    fake: FakeGitHub,
    tmp_path: Path,
    secrets: dict[str, str],
    extra: dict[str, str],
) -> None:
    settings = github_settings(tmp_path, fake, GOVBOT_LOG_LEVEL="DEBUG", **secrets, **extra)
    govbot = spawn(**settings)
    start_refuse_stop(govbot)
    assert "GOVBOT_GITHUB_TOKEN=set" in govbot.output  # the summary says "set", nothing more

    wrong = "ghp_WRONGwrongWRONG0123456789abcdefAB"
    failing = spawn(**settings | {"GOVBOT_GITHUB_TOKEN": wrong})
    assert failing.finish(START_TIMEOUT) == 2
    assert "GitHub refused" in failing.stderr[-1], failing.output

    output = govbot.output + "\n" + failing.output
    assert leaks(output, secrets | {"the wrong token": wrong}) == [], output


def test_an_app_private_key_never_reaches_the_output(
    spawn: Spawn, fake: FakeGitHub, tmp_path: Path, app_key: tuple[str, str]
) -> None:
    settings = app_settings(tmp_path, fake, app_key) | {"GOVBOT_LOG_LEVEL": "DEBUG"}
    govbot = spawn(**settings)
    start_refuse_stop(govbot)
    assert "signed in to GitHub as govbot[bot]" in govbot.output

    other = rsa_key()[0]  # a key GitHub does not know: the App's JWT is refused
    failing = spawn(**settings | {"GOVBOT_GITHUB_PRIVATE_KEY": other})
    assert failing.finish(START_TIMEOUT) == 2
    assert failing.stderr[-1].startswith("govbot: GitHub refused"), failing.output

    output = govbot.output + "\n" + failing.output
    secrets = {"the private key": app_key[0], "the other key": other, "the webhook secret": SECRET}
    assert leaks(output, secrets) == [], output
    assert "PRIVATE KEY" not in output
    assert "ghs_" not in output and "eyJ" not in output  # nor installation tokens, nor JWTs


# --- with Discord ---------------------------------------------------------------------------------


def discord_env(discord_fake: FakeDiscord, token: str | None = None) -> dict[str, str]:
    """The three Discord settings, pointing at the fake Discord."""
    return {
        "GOVBOT_DISCORD_TOKEN": token or discord_fake.token,
        "GOVBOT_DISCORD_API_URL": discord_fake.api_url,
        "GOVBOT_DISCORD_GATEWAY_URL": discord_fake.gateway_url,
    }


def test_sigterm_closes_the_discord_gateway_cleanly(
    spawn: Spawn, fake: FakeGitHub, tmp_path: Path
) -> None:
    with FakeDiscord() as discord_fake:
        govbot = spawn(**github_settings(tmp_path, fake, **discord_env(discord_fake)))
        govbot.ready()
        govbot.wait_for("signed in to Discord")
        assert discord_fake.connected
        assert govbot.terminate() == 0, govbot.output
        assert discord_fake.gateway_closes == [1000]


@pytest.mark.parametrize(
    ("fake_options", "token", "line"),
    [
        ({}, "not-the-token", "GOVBOT_DISCORD_TOKEN: Discord refused the token"),
        ({"members_intent": False}, None, "turn on 'Server Members Intent'"),
    ],
)
def test_a_wrong_discord_token_or_a_missing_intent_stops_startup_with_one_line(
    spawn: Spawn,
    fake: FakeGitHub,
    tmp_path: Path,
    fake_options: dict[str, Any],
    token: str | None,
    line: str,
) -> None:
    with FakeDiscord(**fake_options) as discord_fake:
        govbot = spawn(**github_settings(tmp_path, fake, **discord_env(discord_fake, token)))
        assert govbot.finish(START_TIMEOUT) == 2
        assert len(govbot.stderr) == 1, govbot.output
        assert line in govbot.stderr[0]
        assert "Traceback" not in govbot.output
