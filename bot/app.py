"""``govbot run``: one process, one event loop, everything wired as in production.

In that loop run the aiohttp web server (GitHub webhooks, health checks), the Discord client
(when a token is set), the scheduler (a job at every deadline, a tick every minute), the delivery
processor, and the outbox workers (the docs publication; GitHub's labels, comments and issues;
Discord's threads, vote messages, reminders and roles). Blocking work (the database, git,
PyGithub) runs in threads so the loop keeps answering.

Startup, in order: settings checked; record opened (one whose last change is dated ahead of the
clock is refused), migrated and marked live; charters synced; GitHub's
credentials tried; Discord signed in to, its gateway joined and its commands synced if they
changed; the web server listening (deliveries are stored from here on, answered 202);
missed GitHub activity reconciled; stored deliveries processed; whatever fell due while govbot
was down closed; then the scheduler and the workers start and ``/readyz`` says ready. Any step
that cannot succeed stops startup with one line.

SIGTERM (or Ctrl-C) stops taking deliveries, lets the delivery, publication or GitHub call in
hand finish, processes the deliveries already stored, closes the Discord gateway, and exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.settings import Settings, SettingsError
from bot.web import WebState, make_app
from governance import inbox
from governance.clock import iso, utcnow
from governance.store import Store
from governance.worker import Worker

log = logging.getLogger("govbot")

STOP_GRACE = 20.0
"""Seconds the work in hand may take to finish after SIGTERM."""
RECONCILE_TIMEOUT = 60.0
REFRESH_GATHER = 0.5
"""Seconds a scheduler refresh waits, so a burst of changes reschedules once."""


class StartupError(RuntimeError):
    """Startup cannot go on; the message is the one line to show."""


class DeliveryProcessor(Worker):
    """Processes stored deliveries in order, in a thread, as they arrive."""

    def __init__(
        self,
        store: Store,
        watch: Any,
        *,
        clock: Callable[[], datetime] = utcnow,
        after: Callable[[], None] = lambda: None,
        idle: timedelta = timedelta(seconds=30),
    ) -> None:
        super().__init__(idle=idle, clock=clock)
        self.store = store
        self.watch = watch
        self.after = after
        self.processed = 0
        self._lock = asyncio.Lock()

    async def drain(self) -> int:
        """Process every due delivery now; returns how many were processed."""
        from bot.github.processor import process

        done = 0
        async with self._lock:
            while ids := await asyncio.to_thread(inbox.pending, self.store, self.clock()):
                for delivery_id in ids:
                    try:
                        await asyncio.to_thread(process, self.store, delivery_id, self.watch)
                    except Exception as error:  # a bug or a database error: retry later
                        log.exception("processing delivery %s failed", delivery_id)
                        await asyncio.to_thread(
                            inbox.failed,
                            self.store,
                            delivery_id,
                            self.clock(),
                            f"{type(error).__name__}: {error}",
                        )
                        return done
                    done += 1
                    self.processed += 1
                self.after()
        return done

    async def step(self) -> datetime | None:
        """Process what is due; a delivery that failed for a passing reason is due later."""
        await self.drain()
        return await asyncio.to_thread(inbox.next_retry_at, self.store)

    async def finish(self) -> None:
        """Deliveries stored while stopping are processed before the process exits."""
        await self.drain()


class Service:
    """The running govbot; ``start`` and ``stop`` are what ``govbot run`` calls around a wait."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.store: Store | None = None
        self.state: WebState | None = None
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self.processor: DeliveryProcessor | None = None
        self.scheduler: Any = None
        self.docs_worker: Any = None
        self.github_worker: Any = None
        self.github: Any = None
        self.watch: Any = None
        self.discord: Any = None
        self.bridge: Any = None
        self.discord_worker: Any = None
        self._gateway: asyncio.Task[None] | None = None
        self._refresh_waiting = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Where the web server listens."""
        return f"http://{self.settings.http_host}:{self.port}"

    # --- startup ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start everything, in the order the module docstring gives."""
        settings = self.settings
        try:
            settings.check_for_service()
        except SettingsError as error:
            raise StartupError(str(error)) from None
        log.info("settings: %s", settings.summary())
        self.store = await asyncio.to_thread(self._open_store)
        await asyncio.to_thread(self._sync_charters)
        if settings.github_enabled:
            await asyncio.to_thread(self._connect_github)
        else:
            log.info(
                "no GitHub settings: running on the embedded default (record %s, local docs "
                "repository %s); set GOVBOT_GITHUB_TOKEN or a GitHub App to use GitHub",
                settings.database_shown,
                settings.docs_dir,
            )
        publisher = await asyncio.to_thread(self._docs_publisher)
        if settings.discord_enabled:
            await self._connect_discord()
        secret = settings.github_webhook_secret
        self.state = WebState(
            self.store,
            None if secret is None else secret.get_secret_value().encode(),
            self.watch,
            clock=self.clock,
        )
        self.state.checks.append(self._readiness)
        await self._listen()
        self.processor = DeliveryProcessor(
            self.store, self.watch, clock=self.clock, after=self._changed
        )
        self.state.received = self.processor.notify
        if self.github is not None:
            await self._reconcile()
        await self.processor.drain()
        await self.tick()
        await self._start_workers(publisher)
        self.state.ready = True
        log.info("govbot is ready on %s", self.url)

    def _open_store(self) -> Store:
        """Open the record, refuse one dated ahead of the clock, migrate it, mark it live.

        The service acts in real time: its record is live from the start, so no later command
        can move it past the real clock.
        """
        from governance.store import upgrade

        shown = self.settings.database_shown
        try:
            store = Store.open(
                self.settings.database_url, migrate=False, live=True, clock=self.clock
            )
            existing = store.revision() is not None
            last = store.clock_ahead() if existing else None
        except Exception as error:
            raise StartupError(
                f"GOVBOT_DATABASE_URL: cannot open the record at {shown}: {type(error).__name__}"
            ) from None
        if last is not None:
            store.close()
            raise StartupError(
                f"the record at {shown} was last changed at {iso(last)}, ahead of the real time "
                f"{iso(self.clock())} (a command run with a future --now); govbot would refuse "
                "every action until then. Restore the record from a backup made before that "
                f"change, or start govbot after {iso(last)}"
            )
        try:
            upgrade(store.engine)
            store.mark_live(self.clock())
        except Exception as error:
            store.close()
            raise StartupError(
                f"GOVBOT_DATABASE_URL: cannot open the record at {shown}: {type(error).__name__}"
            ) from None
        return store

    def _sync_charters(self) -> None:
        from bot import wiring
        from governance.charters import CharterError

        directory = Path(self.settings.charters)
        if not (directory / "foundation.yaml").is_file():
            raise StartupError(
                f"GOVBOT_CHARTERS: {directory} holds no foundation.yaml; point it at the "
                "foundation's charters directory"
            )
        assert self.store is not None
        try:
            wiring.sync_charters(self.store, directory, self.clock())
        except CharterError as error:
            raise StartupError(
                f"GOVBOT_CHARTERS: the charters in {directory} do not validate "
                f"({len(error.problems)} problem(s); `govbot check` lists them): "
                f"{error.problems[0]}"
            ) from None

    def _connect_github(self) -> None:
        """Sign in and learn govbot's own login (its own actions come back as webhooks)."""
        from github import GithubException

        from bot.github.auth import app_login
        from bot.github.effects import follow
        from bot.github.processor import Watch

        settings = self.settings
        try:
            client = settings.github_client()
        except SettingsError as error:
            raise StartupError(str(error)) from None
        assert client is not None and settings.github_repo is not None
        try:
            if settings.github_token is not None:
                own = client.get_user().login
            else:
                assert settings.github_private_key is not None
                assert settings.github_app_id is not None
                own = app_login(
                    base_url=settings.github_api_url,
                    app_id=settings.github_app_id,
                    private_key=settings.github_private_key.get_secret_value(),
                )
            client.get_repo(settings.github_repo).id  # noqa: B018  (fetched: checks access)
        except GithubException as error:
            if error.status == 404:
                how = (
                    "the token's account"
                    if settings.github_token is not None
                    else f"the App's installation (GOVBOT_GITHUB_INSTALLATION_ID="
                    f"{settings.github_installation_id})"
                )
                raise StartupError(
                    f"GOVBOT_GITHUB_REPO: {settings.github_repo} does not exist or {how} cannot "
                    "see it; check the name, and give access to it"
                ) from None
            raise StartupError(
                f"GitHub refused govbot's credentials or repository ({error.status}: "
                f"{_github_message(error)}); check GOVBOT_GITHUB_TOKEN (or the App settings) "
                f"and that it can read and write issues of {settings.github_repo}"
            ) from None
        except OSError as error:
            raise StartupError(
                f"GitHub did not answer at {settings.github_api_url} ({type(error).__name__}); "
                "check GOVBOT_GITHUB_API_URL and the network"
            ) from None
        self.github = client
        self.watch = Watch(settings.github_repo, frozenset({own.lower()}))
        assert self.store is not None
        follow(self.store)  # the first start with GitHub begins following the ledger here
        log.info("signed in to GitHub as %s; watching %s", own, settings.github_repo)

    async def _connect_discord(self) -> None:
        """Sign in, join the gateway, sync the commands if they changed."""
        from bot.discord import client as discord_client
        from bot.discord.bridge import Bridge
        from bot.discord.effects import follow

        settings = self.settings
        assert self.store is not None and settings.discord_token is not None
        discord_client.point_at(settings.discord_api_url, settings.discord_gateway_url)
        guild = await asyncio.to_thread(self._discord_guild)
        self.bridge = Bridge(self.store, clock=self.clock, changed=self._changed)
        client = discord_client.GovbotClient(self.bridge, guild)
        try:
            self._gateway = await discord_client.start(
                client, settings.discord_token.get_secret_value(), api_url=settings.discord_api_url
            )
            await client.sync_if_changed(self.store)
        except discord_client.DiscordError as error:
            raise StartupError(str(error)) from None
        self.discord = client
        await asyncio.to_thread(follow, self.store)  # the first start begins following here
        log.info("signed in to Discord as %s; server %s", client.user, guild or "(global commands)")

    def _discord_guild(self) -> int | None:
        from governance.services import common

        assert self.store is not None
        with self.store.read() as uow:
            found = common.foundation(uow)
            guild = None if found is None else (found.discord or {}).get("guild")
        if guild is None:
            log.warning(
                "foundation.yaml names no Discord server (discord: {guild}); commands are "
                "registered globally and roles are not mirrored"
            )
        return None if guild is None else int(guild)

    def _docs_publisher(self) -> Any:
        from bot import wiring

        assert self.store is not None
        try:
            return wiring.docs_publisher(self.store, Path(self.settings.docs_dir), self.github)
        except wiring.WiringError as error:
            raise StartupError(str(error)) from None

    async def _listen(self) -> None:
        assert self.state is not None
        self.runner = web.AppRunner(make_app(self.state), access_log=None, shutdown_timeout=5.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.http_host, self.settings.http_port)
        try:
            await site.start()
        except OSError as error:
            await self.runner.cleanup()
            raise StartupError(
                f"GOVBOT_HTTP_PORT: cannot listen on {self.settings.http_host}:"
                f"{self.settings.http_port} ({error.strerror or error})"
            ) from None
        self.port = int(self.runner.addresses[0][1])
        log.info("listening on %s (webhooks at %s/webhooks/github)", self.url, self.url)

    async def _reconcile(self) -> None:
        from bot.github.reconcile import reconcile

        assert self.store is not None
        window = timedelta(days=self.settings.reconcile_window_days)
        try:
            await asyncio.wait_for(
                asyncio.to_thread(
                    reconcile, self.store, self.github, self.watch, self.clock(), window
                ),
                RECONCILE_TIMEOUT,
            )
        except Exception as error:  # GitHub down: go on, the next start catches up again
            log.warning(
                "could not catch up with GitHub (%s: %s); deliveries missed while govbot was "
                "down will be read back at the next start",
                type(error).__name__,
                error,
            )

    async def _start_workers(self, publisher: Any) -> None:
        from bot.scheduler import Scheduler
        from governance.publish import OutboxWorker

        assert self.store is not None and self.processor is not None
        self.docs_worker = OutboxWorker(
            self.store,
            publisher,
            debounce=timedelta(seconds=self.settings.docs_debounce),
            max_delay=timedelta(seconds=self.settings.docs_max_delay),
            clock=self.clock,
        )
        self._spawn(self.docs_worker.run(self._stop), "docs")
        if self.github is not None:
            from bot.github.effects import GitHubEffects, GitHubWorker

            assert self.settings.github_repo is not None
            effects = GitHubEffects(self.github, self.settings.github_repo)
            self.github_worker = GitHubWorker(self.store, effects, clock=self.clock)
            self._spawn(self.github_worker.run(self._stop), "github")
        if self.discord is not None:
            from bot.discord.effects import DiscordEffects, DiscordWorker

            shown = DiscordEffects(self.store, self.discord, clock=self.clock)
            self.discord_worker = DiscordWorker(self.store, shown, clock=self.clock)
            self._spawn(self.discord_worker.run(self._stop), "discord")
        self._spawn(self.processor.run(self._stop), "deliveries")
        self.scheduler = Scheduler(self.store, self.tick, clock=self.clock)
        await self.scheduler.start()

    def _spawn(self, work: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    # --- running ---------------------------------------------------------------------------

    def _changed(self) -> None:
        """The record changed in this process: publish, tell GitHub and Discord, reschedule."""
        for worker in (self.docs_worker, self.github_worker, self.discord_worker):
            if worker is not None:
                worker.notify()
        if self.scheduler is not None and not self._refresh_waiting:
            # One refresh waiting at a time covers every change before it starts: a burst of
            # clicks reschedules once, not once per click.
            self._refresh_waiting = True
            refresh = asyncio.get_running_loop().create_task(self._refresh())
            self._refreshing.add(refresh)  # kept until done: the loop holds tasks only weakly
            refresh.add_done_callback(self._refreshing.discard)

    async def _refresh(self) -> None:
        await asyncio.sleep(REFRESH_GATHER)  # changes meanwhile are covered by this refresh
        self._refresh_waiting = False
        if self.scheduler is not None and not self._stop.is_set():
            await self.scheduler.refresh()

    async def tick(self) -> list[str]:
        """Close what is due: deliveries received before now are processed first."""
        from bot import wiring

        assert self.store is not None
        if self.processor is not None:
            await self.processor.drain()
        closed = await asyncio.to_thread(wiring.catch_up, self.store, self.clock())
        if closed:
            log.info("closed: %s", "; ".join(closed))
            self._changed()
        return closed

    async def _readiness(self) -> dict[str, Any]:
        assert self.store is not None
        counts = await asyncio.to_thread(inbox.counts, self.store)
        return {"deliveries": counts}

    # --- stopping --------------------------------------------------------------------------

    async def stop(self, *, quiet: bool = False) -> None:
        """Stop taking work, finish the work in hand, close the record.

        ``quiet``: startup failed, so there is nothing to announce (its one line says why).
        """
        if self.state is not None:
            self.state.ready = False
        if self.runner is not None:
            await self.runner.cleanup()  # waits for requests being answered
            self.runner = None
        if self.scheduler is not None:
            self.scheduler.stop()
        for refresh in list(self._refreshing):  # a gathering refresh has nothing left to do
            refresh.cancel()
        await asyncio.gather(*self._refreshing, return_exceptions=True)
        self._stop.set()
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=STOP_GRACE)
            for task in pending:
                log.warning("stopping %s without waiting longer", task.get_name())
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s ended with an error", task.get_name(), exc_info=task.exception())
        self._tasks = []
        await self._close_discord()
        if self.store is not None:
            self.store.close()
        if not quiet:
            log.info("govbot stopped")

    async def _close_discord(self) -> None:
        """Close the gateway with 1000, after the work in hand is done.

        discord.py's ``close()`` alone races its own pending read, which closes the socket first
        with 4000 (a resumable close: the bot would linger online). Stopping the read loop first
        lets ``close()`` send the 1000 that ends the session.
        """
        if self._gateway is not None:
            self._gateway.cancel()
            try:
                await self._gateway
            except asyncio.CancelledError:
                pass
            except Exception as error:  # the gateway ended with an error: nothing left to do
                log.warning("the Discord gateway ended with %s", type(error).__name__)
            self._gateway = None
        if self.discord is not None:
            await self.discord.close()
            self.discord = None
        if self.bridge is not None:
            await asyncio.to_thread(self.bridge.close)
            self.bridge = None


def _github_message(error: Any) -> str:
    from bot.github.publisher import error_message

    return error_message(error) or "no message"


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; returns the exit code."""
    logging.basicConfig(  # stdout: stderr is kept for the one line that says why it stopped
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    for chatty in ("alembic", "apscheduler"):  # their INFO lines say nothing an operator needs
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    service = Service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await service.start()
    except BaseException:
        await service.stop(quiet=True)
        raise
    await stop.wait()
    log.info("stopping: finishing the work in hand")
    await service.stop()
    return 0
