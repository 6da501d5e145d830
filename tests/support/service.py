"""The whole service as ``govbot run`` wires it, in a test: real aiohttp on loopback, the fake
GitHub behind unmodified PyGithub, a real SQLite file and a real git docs repository.

``Running`` runs ``bot.app.Service`` in an event loop of its own thread, so tests stay plain
synchronous code, POST signed deliveries to it over HTTP and wait for their effects. Its clock
is real time plus an offset the test moves, and the fake GitHub's clock moves with it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import col, select

from bot.app import Service
from bot.settings import Settings, load
from governance.clock import iso
from governance.model import Checkpoint, Delivery, DeliveryState, OutboxItem
from governance.store import DOCS_KEY, Store
from tests.conftest import charter, write_charters
from tests.fakes.github import FakeGitHub
from tests.support import webhooks

SECRET = "It's a Secret to Everybody"
REPO = "omi/rfcs"
DOCS_REPO = "omi/governance"
BOT = "govbot-bot"
T = TypeVar("T")


@dataclass
class Clock:
    """Real time plus an offset; ``advance`` moves the fake GitHub's clock along."""

    fake: FakeGitHub | None = None
    offset: timedelta = field(default_factory=timedelta)
    others: list[Any] = field(default_factory=list)  # more fakes whose clocks move too

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by
        if self.fake is not None:
            self.fake.advance(by.total_seconds())
        for other in self.others:
            other.advance(by.total_seconds())


def foundation_charters(directory: Path, *, group_policies: str = "") -> Path:
    """A foundation whose docs go to the fake GitHub and whose accepted RFC issues are closed.

    ``datasets``: chairs ada; members bo, cy, di. Everyone's GitHub login is ``<handle>-gh``.
    """
    path = write_charters(
        directory,
        datasets=charter(
            "datasets", chairs=["ada"], members=["bo", "cy", "di"], policies=group_policies
        ),
        core=charter("core", kind="committee", chairs=["root"], members=["ed"]),
    )
    foundation = path / "foundation.yaml"
    foundation.write_text(
        foundation.read_text() + f"docs: {{repo: {DOCS_REPO}}}\ngithub: {{close_accepted: true}}\n"
    )
    return path


def settings_for(tmp: Path, fake: FakeGitHub | None, charters: Path, **extra: str) -> Settings:
    """Settings as an operator would write them, pointing at the fake GitHub."""
    values = {
        "GOVBOT_DATABASE_URL": str(tmp / "govbot.db"),
        "GOVBOT_CHARTERS": str(charters),
        "GOVBOT_DOCS_DIR": str(tmp / "docs"),
        "GOVBOT_HTTP_HOST": "127.0.0.1",
        "GOVBOT_HTTP_PORT": "0",
        "GOVBOT_DOCS_DEBOUNCE": "0.05",
        "GOVBOT_DOCS_MAX_DELAY": "0.2",
    }
    if fake is not None:
        values |= {
            "GOVBOT_GITHUB_API_URL": fake.api_url,
            "GOVBOT_GITHUB_TOKEN": fake.issue_token(BOT, write=True),
            "GOVBOT_GITHUB_REPO": REPO,
            "GOVBOT_GITHUB_WEBHOOK_SECRET": SECRET,
        }
    values |= extra
    return load({k: v for k, v in values.items() if v != ""})


class Running:
    """A started ``Service`` on its own loop; stop it with ``stop()`` (or use ``with``)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.service = Service(settings, clock=clock)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="govbot", daemon=True)

    def start(self) -> Running:
        self.thread.start()
        try:
            self.call(self.service.start())
        except BaseException:
            self.stop()
            raise
        return self

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine in the service's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        if self.thread.is_alive():
            try:
                self.call(self.service.stop(), timeout=60)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self.thread.join(timeout=30)
        self.loop.close()

    def __enter__(self) -> Running:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def store(self) -> Store:
        assert self.service.store is not None
        return self.service.store

    @property
    def url(self) -> str:
        return self.service.url

    # HTTP -------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any] | str]:
        """One HTTP request to the service; returns the status and the decoded answer."""
        request = urllib.request.Request(
            self.url + path, data=body, headers=headers or {}, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                status, raw, kind = answer.status, answer.read(), answer.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get_content_type()
        text = raw.decode()
        return status, json.loads(text) if kind == "application/json" else text

    def post(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        secret: str | None = SECRET,
        delivery: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST a delivery as GitHub does: compact JSON, signed with ``secret``."""
        body = webhooks.encode(payload)
        status, answer = self.request(
            "POST", "/webhooks/github", body, webhooks.headers(event, body, secret, delivery)
        )
        assert isinstance(answer, dict), answer
        return status, answer

    # waiting for effects -----------------------------------------------------------------------

    def wake(self) -> None:
        """Tell the processor and the workers to look now."""
        for worker in (
            self.service.processor,
            self.service.github_worker,
            self.service.docs_worker,
            self.service.discord_worker,
        ):
            if worker is not None:
                self.loop.call_soon_threadsafe(worker.notify)

    def settle(self, timeout: float = 20, *, docs: bool = False) -> None:
        """Wait until stored deliveries are processed and GitHub operations performed (and,
        with ``docs``, the docs published)."""
        deadline = time.monotonic() + timeout
        while True:
            self.wake()
            waiting = self.waiting(docs=docs)
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"still waiting after {timeout} s: {waiting}")
            time.sleep(0.05)

    def waiting(self, *, docs: bool = False) -> list[str]:
        """What has not happened yet."""
        with self.store.read() as uow:
            pending = len(
                uow.session.exec(
                    select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)
                ).all()
            )
            items = [
                f"{i.key}: {i.last_error or 'not yet'}"
                for i in uow.session.exec(
                    select(OutboxItem).where(col(OutboxItem.done_at).is_(None))
                )
                if i.kind in ("github", "discord") or (docs and i.key == DOCS_KEY)
            ]
            head = uow.head()[0]
            point = uow.session.get(Checkpoint, "github:ledger")
            behind = self.service.github is not None and (point is None or point.seq < head)
            seen = uow.session.get(Checkpoint, "discord:ledger")
            discord_behind = self.service.discord is not None and (seen is None or seen.seq < head)
        return (
            ([f"{pending} deliveries"] if pending else [])
            + (["ledger entries for GitHub"] if behind else [])
            + (["ledger entries for Discord"] if discord_behind else [])
            + items
        )

    def tick(self) -> list[str]:
        """Run the scheduler's work now (deadlines at the test clock)."""
        return self.call(self.service.tick())


def labeled_payload(fake: FakeGitHub, number: int, label: str, *, by: str) -> dict[str, Any]:
    """The ``issues``/``labeled`` delivery GitHub sends for a label ``by`` just added."""
    view = fake.issue(REPO, number)
    return webhooks.issue_payload(
        "labeled",
        repo=REPO,
        number=number,
        title=view.title,
        body=view.body or "",
        sender=by,
        labels=[name for name in view.labels if name != label],
        label=label,
        author=view.author,
    )


class GitHubSide:
    """What people do on the fake GitHub, each followed by the delivery GitHub would send."""

    def __init__(self, fake: FakeGitHub, running: Callable[[], Running]) -> None:
        self.fake = fake
        self.running = running

    def open_issue(
        self, title: str, body: str, *, by: str, labels: list[str], deliver: bool = True
    ) -> int:
        number = self.fake.open_issue(REPO, title, body, by=by, labels=labels)
        if deliver:
            payload = webhooks.issue_payload(
                "opened",
                repo=REPO,
                number=number,
                title=title,
                body=body,
                sender=by,
                labels=labels,
                author=by,
            )
            self._stamp(payload)
            self.running().post("issues", payload)
        return number

    def label(self, number: int, label: str, *, by: str, deliver: bool = True) -> tuple[int, Any]:
        self.fake.label_issue(REPO, number, label, by=by)
        if not deliver:
            return 0, None
        payload = labeled_payload(self.fake, number, label, by=by)
        self._stamp(payload)
        return self.running().post("issues", payload)

    def _stamp(self, payload: dict[str, Any]) -> None:
        """The issue was updated now, by the fake's clock (as GitHub says when labelling)."""
        now = iso(datetime.fromtimestamp(self.fake.now(), UTC))
        payload["issue"]["updated_at"] = now

    def comment(
        self, number: int, body: str, *, by: str, deliver: bool = True, delivery: str | None = None
    ) -> tuple[int, dict[str, Any] | None, dict[str, Any]]:
        comment_id = self.fake.comment_issue(REPO, number, body, by=by)
        payload = self.comment_payload(number, comment_id, body, by=by)
        if not deliver:
            return 0, None, payload
        status, answer = self.running().post("issue_comment", payload, delivery=delivery)
        return status, answer, payload

    def comment_payload(
        self, number: int, comment_id: int, body: str, *, by: str
    ) -> dict[str, Any]:
        view = self.fake.issue(REPO, number)
        payload = webhooks.comment_payload(
            "created",
            repo=REPO,
            number=number,
            body=body,
            sender=by,
            comment_id=comment_id,
            issue_labels=view.labels,
            issue_title=view.title,
        )
        written = self.fake.repo(REPO).comments[comment_id].created_at
        stamp = iso(datetime.fromtimestamp(written, UTC))
        payload["comment"]["created_at"] = payload["comment"]["updated_at"] = stamp
        return payload

    def bot_comments(self, number: int) -> list[str]:
        return [body for login, body in self.fake.issue(REPO, number).comments if login == BOT]
