"""The web server: GitHub's webhooks, and the health checks of whatever runs govbot.

``POST /webhooks/github`` checks ``X-Hub-Signature-256`` over the raw body in constant time
(401 when missing or wrong), reads the event, and stores what govbot acts on before it answers
202; processing happens after the answer, from the stored row, so a crash loses nothing. A
redelivery (same ``X-GitHub-Delivery``, or the same comment) is answered 200 and not stored
again. Malformed payloads get 400; events govbot does not act on get 202 and are dropped.

``GET /healthz`` answers while the process runs; ``GET /readyz`` answers 200 once startup is
done (record migrated, charters synced, missed deadlines closed) and the record answers, 503
before that or while stopping.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.github.processor import EVENTS, SOURCE, Watch, delivery_key, ignored_because, problem
from governance import inbox
from governance.clock import utcnow
from governance.store import Store

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
SIGNATURE = "X-Hub-Signature-256"


class Receiver:
    """Stores deliveries that arrive together in one commit, and answers each once committed.

    One writer: a burst of deliveries would otherwise queue for the write lock one commit (and
    one fsync) each; here whatever arrived while the previous commit ran is stored in the next.
    """

    BATCH = 200

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[inbox.Arrival, asyncio.Future[inbox.Received]]] = []
        self._running: asyncio.Task[None] | None = None
        self.commits = 0

    async def receive(self, arrival: inbox.Arrival) -> inbox.Received:
        """Store one delivery; returns once it is committed (new) or found (a redelivery)."""
        future: asyncio.Future[inbox.Received] = asyncio.get_running_loop().create_future()
        self._queue.append((arrival, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._commit_all())
        return await future

    async def _commit_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.BATCH], self._queue[self.BATCH :]
            try:
                answers = await asyncio.to_thread(
                    inbox.receive_many, self.store, [arrival for arrival, _ in batch]
                )
            except Exception as error:  # the record failed: every waiting request gets a 500
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.commits += 1
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)


@dataclass
class WebState:
    """What the handlers share with the running service."""

    store: Store
    secret: bytes | None
    watch: Watch | None
    received: Callable[[], None] = lambda: None
    """Called after a delivery is stored, to wake the processor."""
    clock: Callable[[], datetime] = utcnow
    ready: bool = False
    checks: list[Callable[[], Awaitable[dict[str, Any]]]] = field(default_factory=list)
    receiver: Receiver = field(init=False)

    def __post_init__(self) -> None:
        self.receiver = Receiver(self.store)


STATE = web.AppKey("state", WebState)


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is GitHub's HMAC-SHA256 of ``body``, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _answer(http_status: int, **data: Any) -> web.Response:
    return web.json_response(data, status=http_status)


async def github_webhook(request: web.Request) -> web.Response:
    """Receive one GitHub delivery."""
    state: WebState = request.app[STATE]
    if state.secret is None or state.watch is None:
        return _answer(404, error="GitHub is not configured on this govbot")
    body = await request.read()
    if not signature_ok(state.secret, body, request.headers.get(SIGNATURE)):
        log.warning(
            "refused a GitHub delivery with a %s signature from %s",
            "wrong" if request.headers.get(SIGNATURE) else "missing",
            request.remote,
        )
        return _answer(401, error=f"missing or wrong {SIGNATURE}")
    event = request.headers.get("X-GitHub-Event", "")
    delivery = request.headers.get("X-GitHub-Delivery", "")
    if not event or not delivery:
        return _answer(400, error="X-GitHub-Event and X-GitHub-Delivery are required")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _answer(400, error=f"the body is not JSON: {error}")
    if event == "ping":
        return _answer(200, status="pong")
    if event not in EVENTS:
        return _answer(202, status="ignored", reason=f"govbot does not act on {event} events")
    wrong = problem(event, payload)
    if wrong is not None:
        return _answer(400, error=f"malformed {event} payload: {wrong}")
    reason = ignored_because(event, payload, state.watch)
    if reason is not None:
        return _answer(202, status="ignored", reason=reason)
    key = delivery_key(event, delivery, payload)
    received = await state.receiver.receive(
        inbox.Arrival(SOURCE, key, event, payload, state.clock())
    )
    if not received.new:
        return _answer(200, status="duplicate", key=key)
    state.received()
    return _answer(202, status="accepted", key=key)


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    """Startup is done and the record answers; the body says what is waiting."""
    state: WebState = request.app[STATE]
    if not state.ready:
        return _answer(503, ready=False, reason="starting or stopping")
    try:
        details: dict[str, Any] = {}
        for check in state.checks:
            details.update(await check())
    except Exception as error:  # a broken database must show here, not crash the handler
        log.exception("readiness check failed")
        return _answer(503, ready=False, reason=f"{type(error).__name__}: {error}")
    return _answer(200, ready=True, **details)


def make_app(state: WebState) -> web.Application:
    """The aiohttp application, with the routes above."""
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE] = state
    app.router.add_post("/webhooks/github", github_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
