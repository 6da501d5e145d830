"""A fake Discord on a loopback port, strict enough that passing against it means something.

Unmodified discord.py talks to it once two class attributes point here::

    with FakeDiscord() as fake:
        discord.http.Route.BASE = fake.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

It serves the REST API v10 routes a bot uses (users/@me, the application, application commands,
interaction callbacks and their webhooks, channel messages, threads, DMs, guild members and
roles, scheduled events) and a gateway websocket speaking JSON with the transport compression the
client asked for (``zlib-stream``, or ``zstd-stream`` when a zstd module is importable): HELLO,
IDENTIFY, READY (with its own ``resume_gateway_url``), GUILD_CREATE, heartbeats, RESUME with the
missed dispatches replayed, REQUEST_GUILD_MEMBERS, and the dispatches Discord sends for what
happens here (INTERACTION_CREATE, MESSAGE_CREATE/UPDATE/DELETE, THREAD_CREATE/UPDATE,
GUILD_MEMBER_ADD/UPDATE, GUILD_SCHEDULED_EVENT_*), each only to sessions whose intents ask for it.

It refuses what Discord refuses:

- a wrong or missing ``Authorization: Bot <token>`` (401; the gateway closes 4004), privileged
  intents the application lacks (gateway close 4014), members listing without the members
  intent (403 50001);
- a first interaction response later than ``deadline`` seconds (404 10062), a second one
  (400 40060), callback types that do not fit the interaction, followups or edits before the
  first response (404 10015) or after ``token_ttl`` (401 50027);
- messages over Discord's limits (content, embeds, components, custom ids, selects, modals),
  empty messages (400 50006), invalid command definitions, role changes at or above the bot's
  highest role (403 50013), unknown channels, messages, members and roles;
- requests past a route's bucket or the global limit (429 with Discord's headers and body).

Every REST exchange is kept in ``calls``; every gateway frame in ``gateway_log``.

Tests act as members with ``slash``, ``autocomplete``, ``click``, ``select`` and ``submit``:
they build INTERACTION_CREATE payloads as the gateway does (typed from the registered command
definitions, with resolved users, channels and roles) and return an ``Interaction`` whose
``response``, ``message``, ``followups`` and ``texts()`` show what the member sees.

Worth knowing:

- GUILD_CREATE carries only the bot in ``members``, as Discord does for a bot without the
  presences intent (which this fake never grants); discord.py then asks for the member list over
  the gateway (op 8) and gets it, when the members intent was granted.
- ``advance`` moves only the clock that ages interactions (the 3 s deadline and the 15 min
  token); snowflakes, timestamps and rate-limit windows follow real time.
- discord.py waits out a bucket it has exhausted before returning from the request that
  exhausted it: with 2 command overwrites a minute, a second sync in a minute takes a minute.
- discord.py 2.7.1's ``Client.close()`` closes the gateway with 4000, not 1000 (its reader
  closes the socket first); ``gateway_closes`` shows what was really sent.
- Error codes and messages are Discord's where they are well known; the inner ``errors`` codes
  of 50035 for rarely hit rules are best guesses, flagged as such where they are made.

Not enforced: heartbeat timeouts and the gateway's send limit (120 a minute); the session start
limit; permissions beyond the role hierarchy (channel overwrites, commands'
``default_member_permissions``, slowmode: the bot may do everything its role allows and every
member may run every command); the invalid-request limit (10,000 per 10 minutes); thread
auto-archiving; followup count limits; ETF encoding and sharding; more than one guild.
Routes the fake does not serve answer 404 (or 405 when another method is served there).

The aiohttp server runs on its own event loop in a background thread, so tests can drive a
client on another loop and act as members synchronously; every handler runs under one lock
shared with the helpers tests call.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import importlib
import itertools
import json
import math
import re
import secrets
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

TOKEN = "fake-bot-token"
API_VERSION = 10
API_PREFIX = f"/api/v{API_VERSION}"
GATEWAY_PATH = "/gateway"
JSON_TYPE = "application/json"
DISCORD_EPOCH_MS = 1_420_070_400_000
HEARTBEAT_INTERVAL_MS = 41_250
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
KNOWN_INTENTS = 0b11_0011_0001_1111_1111_1111_1111  # bits 0-16, 20, 21, 24, 25

# Application flags: an unverified bot gets the "limited" variants of the privileged intents.
APP_FLAG_GUILD_MEMBERS_LIMITED = 1 << 15
APP_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19
APP_FLAG_COMMAND_BADGE = 1 << 23

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_VOICE_MESSAGE = 1 << 13
FLAG_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_VOICE_MESSAGE | FLAG_COMPONENTS_V2
)

# Permission bits.
P_CREATE_INSTANT_INVITE = 1 << 0
P_ADD_REACTIONS = 1 << 6
P_VIEW_CHANNEL = 1 << 10
P_SEND_MESSAGES = 1 << 11
P_MANAGE_MESSAGES = 1 << 13
P_EMBED_LINKS = 1 << 14
P_ATTACH_FILES = 1 << 15
P_READ_MESSAGE_HISTORY = 1 << 16
P_MENTION_EVERYONE = 1 << 17
P_USE_EXTERNAL_EMOJIS = 1 << 18
P_CONNECT = 1 << 20
P_SPEAK = 1 << 21
P_CHANGE_NICKNAME = 1 << 26
P_MANAGE_ROLES = 1 << 28
P_USE_APPLICATION_COMMANDS = 1 << 31
P_MANAGE_EVENTS = 1 << 33
P_MANAGE_THREADS = 1 << 34
P_CREATE_PUBLIC_THREADS = 1 << 35
P_CREATE_PRIVATE_THREADS = 1 << 36
P_SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (
    P_CREATE_INSTANT_INVITE
    | P_ADD_REACTIONS
    | P_VIEW_CHANNEL
    | P_SEND_MESSAGES
    | P_EMBED_LINKS
    | P_ATTACH_FILES
    | P_READ_MESSAGE_HISTORY
    | P_USE_EXTERNAL_EMOJIS
    | P_CONNECT
    | P_SPEAK
    | P_CHANGE_NICKNAME
    | P_USE_APPLICATION_COMMANDS
    | P_CREATE_PUBLIC_THREADS
    | P_CREATE_PRIVATE_THREADS
    | P_SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = (
    EVERYONE_PERMISSIONS
    | P_MANAGE_MESSAGES
    | P_MENTION_EVERYONE
    | P_MANAGE_ROLES
    | P_MANAGE_EVENTS
    | P_MANAGE_THREADS
)

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (PUBLIC_THREAD, PRIVATE_THREAD)

# Interaction types and callback types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
ALLOWED_CALLBACKS: dict[int, set[int]] = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}

# Component types.
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
SELECT_TYPES = (3, 5, 6, 7, 8)
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE_COMPONENT, SEPARATOR = 9, 10, 11, 12, 13, 14
CONTAINER, LABEL = 17, 18
V2_TOP_LEVEL = (
    ACTION_ROW,
    SECTION,
    TEXT_DISPLAY,
    MEDIA_GALLERY,
    FILE_COMPONENT,
    SEPARATOR,
    CONTAINER,
)
LINK_STYLE, PREMIUM_STYLE = 5, 6

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL, OPT_ROLE = 3, 4, 5, 6, 7, 8
OPT_MENTIONABLE, OPT_NUMBER, OPT_ATTACHMENT = 9, 10, 11
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_SAFE_INTEGER = 2**53

# Rate limits: (requests, per seconds) by route key, as ``limits`` overrides them. These are
# plausible values, not Discord's exact ones (Discord does not publish per-route limits and
# changes them; the numbers below match what bots commonly observe). Routes that share a bucket
# on Discord share one here (``_Route.bucket``), keyed by the first route's key. Every other
# route gets DEFAULT_ROUTE_LIMIT.
# discord.py sleeps out an exhausted bucket inside the request that exhausted it, so a bot that
# syncs its commands twice within a minute waits a minute: sync only what changed (DESIGN §6).
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "GET /channels/{channel_id}/messages": (5, 1.0),
    "GET /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "POST /channels/{channel_id}/messages/{message_id}/threads": (10, 10.0),
    "POST /channels/{channel_id}/threads": (10, 10.0),
    "PATCH /channels/{channel_id}": (5, 10.0),
    # PUT and DELETE of a member's role share this bucket.
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": (10, 10.0),
    "GET /guilds/{guild_id}/members": (10, 10.0),
    "PUT /applications/{application_id}/commands": (2, 60.0),
    "PUT /applications/{application_id}/guilds/{guild_id}/commands": (2, 60.0),
    "POST /applications/{application_id}/commands": (5, 20.0),
    "POST /applications/{application_id}/guilds/{guild_id}/commands": (5, 20.0),
    "POST /users/@me/channels": (5, 5.0),
    "POST /guilds/{guild_id}/scheduled-events": (5, 10.0),
    # Interaction routes: per interaction token, and exempt from the global limit.
    "POST /interactions/{interaction_id}/{interaction_token}/callback": (5, 2.0),
    "POST /webhooks/{webhook_id}/{webhook_token}": (5, 2.0),
    "GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (5, 2.0),
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (5, 2.0),
    "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (5, 2.0),
}
DEFAULT_ROUTE_LIMIT: tuple[int, float] = (50, 1.0)
MAJOR_PARAMETERS = (
    "channel_id",
    "guild_id",
    "webhook_id",
    "webhook_token",
    "interaction_id",
    "interaction_token",
)
# Daily creates of application commands per guild (and globally): Discord's documented limit.
DAILY_COMMAND_CREATES = 200


# --- small helpers ----------------------------------------------------------------------------


def iso(seconds: float | None = None) -> str:
    """Discord's timestamp form: ``2027-01-04T10:00:00.123000+00:00``."""
    moment = time.time() if seconds is None else seconds
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds")


def snowflake_time(snowflake: str) -> float:
    """The Unix time a snowflake was made at."""
    return ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000


def _is_snowflake(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value).isdigit()


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


class Refusal(Exception):
    """An error answer: Discord's ``{"message", "code"}`` body, maybe with form ``errors``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int | None = 0,
        *,
        errors: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.code is not None:  # a rate limit's body has no code
            out["code"] = self.code
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


def unknown(what: str, code: int) -> Refusal:
    return Refusal(404, f"Unknown {what}", code)


MISSING_PERMISSIONS = Refusal(403, "Missing Permissions", 50013)


class FormErrors:
    """Collects 50035 errors in Discord's nested shape: ``{"a": {"0": {"_errors": [...]}}}``."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def length(
        self, path: tuple[str | int, ...], value: Any, low: int, high: int, *, required: bool
    ) -> None:
        """A string field: required or not, between ``low`` and ``high`` characters."""
        if value is None:
            if required:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return
        if not isinstance(value, str):
            self.add(path, "BASE_TYPE_STRING", "Must be a string.")
            return
        if low == 0 and len(value) > high:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        elif not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def count(self, path: tuple[str | int, ...], items: Any, low: int, high: int) -> list[Any]:
        """A list field of ``low`` to ``high`` items; returns it (empty if not a list)."""
        if not isinstance(items, list):
            self.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
            return []
        if len(items) > high:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        elif len(items) < low:
            self.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {low} or more in length.")
        return items

    def raise_if_any(self) -> None:
        if self.tree:
            raise Refusal(400, "Invalid Form Body", 50035, errors=self.tree)


# --- what tests read --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One REST exchange. ``route`` is the route's key (``POST /channels/{channel_id}/messages``,
    as ``limits`` takes it; None when no route matched); ``path`` is without ``/api/v10``;
    ``at`` is ``time.monotonic()`` when the request arrived."""

    method: str
    path: str
    route: str | None
    status: int
    request_json: Any
    response_json: Any
    at: float
    query: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayFrame:
    """One gateway message: ``sent`` by the fake or received from the client."""

    sent: bool
    op: int | None
    t: str | None
    s: int | None
    d: Any
    at: float


class Interaction:
    """A member's interaction as the member sees it; see the module docstring.

    ``id``, ``token``, ``user_id``, ``kind`` and ``sent_at`` never change; the rest reads the
    fake's current state.
    """

    def __init__(self, fake: FakeDiscord, state: _Pending) -> None:
        self._fake = fake
        self._state = state
        self.id = state.id
        self.token = state.token
        self.user_id = state.user_id
        self.kind = state.kind
        self.sent_at = state.sent_at

    def __repr__(self) -> str:
        return f"<Interaction {self.id} kind={self.kind} response={self.response!r}>"

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data the gateway dispatched."""
        return _copy(self._state.payload)

    def wait(self, timeout: float = 5) -> Interaction:
        """Until the first response arrived (in time or not). Blocks: never call it on the
        event loop of the client that is to answer."""
        with self._fake._changed:
            if not self._fake._changed.wait_for(lambda: self._state.response is not None, timeout):
                raise TimeoutError(f"no response to interaction {self.id} within {timeout}s")
        return self

    @property
    def response(self) -> dict[str, Any] | None:
        with self._fake._lock:
            return _copy(self._state.response)

    @property
    def ack_latency(self) -> float | None:
        with self._fake._lock:
            if self._state.responded_at is None:
                return None
            return self._state.responded_at - self._state.sent_at

    @property
    def missed(self) -> bool:
        with self._fake._lock:
            return self._state.missed

    @property
    def modal(self) -> dict[str, Any] | None:
        with self._fake._lock:
            return _copy(self._state.modal)

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """The autocomplete choices answered (type 8), if any."""
        with self._fake._lock:
            return _copy(self._state.choices)

    @property
    def message(self) -> dict[str, Any] | None:
        """The response message as it is now.

        After a type 4 or 5 response it is the message the response created (a deferral shows
        as a message with the LOADING flag and no content until it is edited or followed up);
        after a type 6 or 7 response it is the message the component is on; otherwise None.
        """
        with self._fake._lock:
            mid = self._state.original_id
            found = self._fake._messages.get(mid) if mid else None
            return _copy(found)

    @property
    def ephemeral(self) -> bool:
        message = self.message
        return bool(message and message.get("flags", 0) & FLAG_EPHEMERAL)

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Followup messages as they are now, in order. The first followup after a type 5
        deferral is not here: it replaced the deferred message (see ``message``)."""
        with self._fake._lock:
            found = (self._fake._messages.get(mid) for mid in self._state.followup_ids)
            return [_copy(m) for m in found if m is not None]

    def texts(self) -> list[str]:
        """Content, embed and text-display text of the response and every followup, as now."""
        with self._fake._lock:
            return self._texts()

    def _texts(self) -> list[str]:
        out: list[str] = []
        ids = [self._state.original_id, *self._state.followup_ids]
        for mid in ids:
            message = self._fake._messages.get(mid) if mid else None
            if message is not None:
                out.extend(message_texts(message))
        return out

    def wait_text(self, needle: str, timeout: float = 10) -> str:
        """Until some text of this interaction contains ``needle``; returns that text."""
        found: list[str] = []

        def seen() -> bool:
            found[:] = [t for t in self._texts() if needle in t]
            return bool(found)

        with self._fake._changed:
            if self._fake._changed.wait_for(seen, timeout):
                return found[0]
            raise AssertionError(
                f"no text containing {needle!r} within {timeout}s; response "
                f"{self._state.response!r}; texts {self._texts()!r}"
            )


def message_texts(message: Mapping[str, Any]) -> list[str]:
    """Every human-readable text of a message: content, embed parts, text displays."""
    out: list[str] = []
    if message.get("content"):
        out.append(message["content"])
    for embed in message.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                out.append(embed[key])
        for one in embed.get("fields") or []:
            out.append(f"{one.get('name', '')}\n{one.get('value', '')}")
        for key in ("footer", "author"):
            part = embed.get(key) or {}
            text = part.get("text") or part.get("name")
            if text:
                out.append(text)

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for component in components:
            if component.get("type") == TEXT_DISPLAY and component.get("content"):
                out.append(component["content"])
            walk(component.get("components") or [])
            if isinstance(component.get("accessory"), Mapping):
                walk([component["accessory"]])

    walk(message.get("components") or [])
    return out


# --- internal state ---------------------------------------------------------------------------


@dataclass
class _Pending:
    """One interaction: what was dispatched and what the bot answered."""

    id: str
    token: str
    kind: int
    user_id: str
    channel_id: str
    payload: dict[str, Any]
    created: float  # the fake's clock
    sent_at: float  # time.monotonic()
    source_message_id: str | None = None
    response: dict[str, Any] | None = None
    responded_at: float | None = None
    accepted: bool = False
    missed: bool = False
    original_id: str | None = None
    loading: bool = False  # a type 5 deferral not yet edited or followed up
    followup_ids: list[str] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    modal_submitted: bool = False
    choices: list[dict[str, Any]] | None = None


@dataclass
class _Member:
    user_id: str
    roles: list[str]
    joined_at: str
    nick: str | None = None


@dataclass
class _Bucket:
    limit: int
    per: float
    hash: str
    count: int = 0
    reset_at: float = 0.0


class _Reply(NamedTuple):
    status: int
    body: Any


@dataclass
class _Ctx:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[tuple[str, str, bytes]]
    route: str


Handler = Callable[["FakeDiscord", _Ctx], _Reply]


@dataclass
class _Route:
    method: str
    template: str
    handler: Handler
    auth: bool
    bucket: str
    global_exempt: bool
    pattern: re.Pattern[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


_ROUTES: list[_Route] = []
_SORTED_ROUTES: list[_Route] = []  # literal segments (``@me``) before parameters


def _route(
    method: str,
    template: str,
    *,
    auth: bool = True,
    bucket: str | None = None,
    global_exempt: bool = False,
) -> Callable[[Handler], Handler]:
    """Serve ``method template``; ``auth`` False for the interaction and webhook routes,
    which Discord authenticates by the token in the path."""

    def register(handler: Handler) -> Handler:
        pattern = ""
        for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>[^/]+)"
        key = f"{method} {template}"
        compiled = re.compile(pattern)
        _ROUTES.append(
            _Route(method, template, handler, auth, bucket or key, global_exempt, compiled)
        )
        return handler

    return register


class _Connection:
    """One gateway websocket: its outgoing queue (sent in order by one writer task) and the
    transport compression the client asked for."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.session: _Session | None = None
        self.server_closing = False
        self.ready = False
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = _zstd_compressor() if compress == "zstd-stream" else None
        self.zstd_missing = compress == "zstd-stream" and self._zstd is None

    def encode(self, text: str) -> bytes | str:
        raw = text.encode()
        if self._zlib is not None:
            return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return self._zstd(raw)
        return text


def _zstd_compressor() -> Callable[[bytes], bytes] | None:
    """A streaming zstd compressor flushing a block per message, from whichever module
    discord.py would decompress with (``zstandard``, or ``compression.zstd`` on 3.14+)."""
    try:
        zstandard: Any = importlib.import_module("zstandard")
    except ImportError:
        try:
            module: Any = importlib.import_module("compression.zstd")
        except ImportError:
            return None
        compressor = module.ZstdCompressor()
        block = module.ZstdCompressor.FLUSH_BLOCK
        return lambda raw: bytes(compressor.compress(raw, mode=block))
    stream = zstandard.ZstdCompressor().compressobj()
    flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
    return lambda raw: bytes(stream.compress(raw) + stream.flush(flush))


@dataclass
class _Session:
    """A gateway session: survives its connection so that a RESUME replays what was missed."""

    id: str
    intents: int
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    conn: _Connection | None = None
    resumable: bool = True
    members_sent: bool = False


# --- the server -------------------------------------------------------------------------------


class FakeDiscord:
    """The fake Discord and its one guild; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        members_intent: bool = True,
        deadline: float = 3.0,
        token_ttl: float = 900.0,
        limits: dict[str, tuple[int, float]] | None = None,
        global_limit: int = 50,
    ) -> None:
        self.token = token
        self.members_intent = members_intent
        self.deadline = deadline
        self.token_ttl = token_ttl
        self.limits: dict[str, tuple[int, float]] = {**DEFAULT_LIMITS, **(limits or {})}
        self.global_limit = global_limit
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._offset = 0.0
        self._last_snowflake = 0
        self._increments = itertools.count()
        # what tests read
        self.command_writes = 0
        self.rate_limited = 0
        self.deadline_misses = 0
        self._calls: list[Call] = []
        self._frames: list[GatewayFrame] = []
        self._closes: list[int] = []
        self.gateway_compressions: list[str | None] = []
        # the platform's state
        self.application_id = self._snowflake()
        self.bot_id = self._snowflake()
        self.guild_id = self._snowflake()
        self._users: dict[str, dict[str, Any]] = {}
        self._members: dict[str, _Member] = {}
        self._roles: dict[str, dict[str, Any]] = {}
        self._role_order: list[str] = []  # bottom (@everyone) to top
        self._channels: dict[str, dict[str, Any]] = {}
        self._channel_messages: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._ephemeral: dict[str, str] = {}  # ephemeral message id -> the user who sees it
        self._allowed: dict[str, dict[str, Any] | None] = {}  # message id -> allowed_mentions
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}  # -> (message id, when)
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self._closed_dms: set[str] = set()
        self._commands: dict[str | None, list[dict[str, Any]]] = {None: [], self.guild_id: []}
        self._creates: dict[str | None, list[float]] = {}
        self._events: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, _Pending] = {}
        self._by_token: dict[str, _Pending] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_count = 0
        self._global_reset = 0.0
        self._sessions: list[_Session] = []
        self._connections: list[_Connection] = []
        self._joined_at = iso()
        self._setup_guild()
        # the server
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    def _setup_guild(self) -> None:
        """The guild as a new bot finds it: @everyone, the bot's managed role on top, an owner,
        the bot, and a #general channel."""
        self._users[self.bot_id] = self._new_user(self.bot_id, "govbot", None, bot=True)
        self.owner_id = self._snowflake()
        self._users[self.owner_id] = self._new_user(self.owner_id, "owner", "Guild Owner")
        self._roles[self.guild_id] = self._new_role(
            self.guild_id, "@everyone", EVERYONE_PERMISSIONS
        )
        self.bot_role_id = self._snowflake()
        bot_role = self._new_role(self.bot_role_id, "govbot", BOT_PERMISSIONS)
        bot_role["managed"] = True
        bot_role["tags"] = {"bot_id": self.bot_id}
        self._roles[self.bot_role_id] = bot_role
        self._role_order = [self.guild_id, self.bot_role_id]
        self._reposition()
        self._members[self.owner_id] = _Member(self.owner_id, [], self._joined_at)
        self._members[self.bot_id] = _Member(self.bot_id, [self.bot_role_id], self._joined_at)
        self.general_id = self._new_text_channel("general")

    # lifecycle

    def start(self) -> FakeDiscord:
        """Serve on 127.0.0.1 on a free port, from a background thread."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-discord", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        self.port = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    async def _serve(self) -> int:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", GATEWAY_PATH, self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port: int = self._runner.addresses[0][1]
        return port

    def stop(self) -> None:
        """Close every gateway connection, stop serving and end the thread; safe to call twice."""
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        with self._lock:
            for conn in list(self._connections):
                self._close(conn, 1001, "Going away.")
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        self._loop = self._thread = self._runner = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.port is not None, "start() the fake first"
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``discord.http.Route.BASE`` takes."""
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` takes (as a ``yarl.URL``)."""
        assert self.port is not None, "start() the fake first"
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    # time and ids

    def now(self) -> float:
        """The clock that ages interactions: ``time.monotonic()`` plus what ``advance`` added."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the interaction clock forward (to expire tokens and deadlines without waiting)."""
        with self._lock:
            self._offset += seconds

    def _snowflake(self) -> str:
        """A new snowflake made now (so discord.py's ``created_at`` is right), never repeated."""
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            value = (ms << 22) | (1 << 17) | (next(self._increments) & 0xFFF)
            value = max(value, self._last_snowflake + 1)
            self._last_snowflake = value
            return str(value)

    # setting up state

    def add_channel(self, name: str) -> str:
        """A guild text channel; returns its id (CHANNEL_CREATE is dispatched)."""
        with self._lock:
            channel_id = self._new_text_channel(name)
            self._dispatch("CHANNEL_CREATE", self._channel_json(channel_id), INTENT_GUILDS)
            return channel_id

    def add_role(self, name: str, *, above_bot: bool = False) -> str:
        """A role just below the bot's own role, or above it (so the bot cannot grant it)."""
        with self._lock:
            role_id = self._snowflake()
            self._roles[role_id] = self._new_role(role_id, name, EVERYONE_PERMISSIONS)
            if above_bot:
                self._role_order.append(role_id)
            else:
                self._role_order.insert(self._role_order.index(self.bot_role_id), role_id)
            moved = self._reposition()
            self._dispatch(
                "GUILD_ROLE_CREATE",
                {"guild_id": self.guild_id, "role": _copy(self._roles[role_id])},
                INTENT_GUILDS,
            )
            for other in moved:
                if other != role_id:
                    role = _copy(self._roles[other])
                    self._dispatch(
                        "GUILD_ROLE_UPDATE",
                        {"guild_id": self.guild_id, "role": role},
                        INTENT_GUILDS,
                    )
            return role_id

    def add_member(
        self, username: str, *, global_name: str | None = None, roles: Iterable[str] = ()
    ) -> str:
        """A member joins the guild; returns the user id (GUILD_MEMBER_ADD is dispatched)."""
        with self._lock:
            role_ids = list(dict.fromkeys(roles))
            for role_id in role_ids:
                if role_id not in self._roles or role_id == self.guild_id:
                    raise ValueError(f"no role {role_id}")
            user_id = self._snowflake()
            self._users[user_id] = self._new_user(user_id, username, global_name)
            self._members[user_id] = _Member(user_id, role_ids, iso())
            data = {**self._member_json(user_id), "guild_id": self.guild_id}
            self._dispatch("GUILD_MEMBER_ADD", data, INTENT_GUILD_MEMBERS)
            self._changed.notify_all()
            return user_id

    def set_roles(self, user_id: str, roles: Iterable[str]) -> None:
        """Someone else (an admin in the client) sets a member's roles."""
        with self._lock:
            member = self._member(user_id)
            member.roles = list(dict.fromkeys(roles))
            self._member_updated(user_id)

    def close_dms(self, user_id: str) -> None:
        """The member turns off direct messages from server members: the bot's DMs get 50007."""
        with self._lock:
            self._closed_dms.add(user_id)

    # inspecting state

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def gateway_log(self) -> list[GatewayFrame]:
        with self._lock:
            return list(self._frames)

    @property
    def gateway_closes(self) -> list[int]:
        """Close codes the client sent when it closed its gateway connection (1000: clean)."""
        with self._lock:
            return list(self._closes)

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The application commands as Discord stores them: global ones, then the guild's."""
        with self._lock:
            return [_copy(c) for scope in (None, self.guild_id) for c in self._commands[scope]]

    def member_roles(self, user_id: str) -> set[str]:
        with self._lock:
            return set(self._member(user_id).roles)

    def role_members(self, role_id: str) -> set[str]:
        with self._lock:
            return {m.user_id for m in self._members.values() if role_id in m.roles}

    def roles(self) -> list[dict[str, Any]]:
        """Every role, bottom to top."""
        with self._lock:
            return [_copy(self._roles[r]) for r in self._role_order]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Every message in a channel, thread or DM as it is now, oldest first (ephemeral
        messages are not in channels: read them from the ``Interaction``)."""
        with self._lock:
            if channel_id not in self._channels:
                raise KeyError(f"no channel {channel_id}")
            ids = self._channel_messages[channel_id]
            return [_copy(self._messages[mid]) for mid in ids]

    def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        with self._lock:
            if message_id not in self._channel_messages.get(channel_id, []):
                raise KeyError(f"no message {message_id} in {channel_id}")
            return _copy(self._messages[message_id])

    def allowed_mentions(self, message_id: str) -> dict[str, Any] | None:
        """The ``allowed_mentions`` a message was last sent or edited with (None: not given,
        so Discord parsed every mention). Pings are not simulated; ``mentions``,
        ``mention_roles`` and ``mention_everyone`` on the message honour them."""
        with self._lock:
            return _copy(self._allowed[message_id])

    def channel(self, channel_id: str) -> dict[str, Any]:
        with self._lock:
            return self._channel_json(channel_id)

    def threads(self, channel_id: str) -> list[dict[str, Any]]:
        """Threads created in a channel, oldest first."""
        with self._lock:
            return [
                _copy(c)
                for c in self._channels.values()
                if c.get("parent_id") == channel_id and c["type"] in THREAD_TYPES
            ]

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        """What the bot sent this user in their DM channel, oldest first."""
        with self._lock:
            channel_id = self._dm_channels.get(user_id)
            return self.messages(channel_id) if channel_id else []

    def scheduled_events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_copy(e) for e in self._events.values()]

    @property
    def connected(self) -> bool:
        """Whether a client has identified (or resumed) and its connection is open."""
        with self._lock:
            return self._ready_session() is not None

    def _ready_session(self) -> _Session | None:
        for conn in self._connections:
            if conn.ready and conn.session is not None and not conn.server_closing:
                return conn.session
        return None

    def wait_connected(self, timeout: float = 10) -> None:
        """Until a client got READY and GUILD_CREATE (and, when it asked for the member list
        as discord.py does right after GUILD_CREATE, got that too: at most 1 s more)."""
        end = time.monotonic() + timeout
        with self._changed:
            if not self._changed.wait_for(lambda: self._ready_session() is not None, timeout):
                raise TimeoutError(f"no client connected within {timeout}s")
            session = self._ready_session()
            assert session is not None
            if session.intents & INTENT_GUILD_MEMBERS:
                grace = max(0.0, min(1.0, end - time.monotonic()))
                self._changed.wait_for(lambda: session.members_sent, grace)

    def disconnect(self, code: int = 4000) -> None:
        """Close every gateway connection from the server's side; the sessions stay resumable
        unless ``code`` is one after which Discord forbids resuming."""
        with self._lock:
            for conn in list(self._connections):
                if conn.session is not None and code in (4004, 4007, 4009, 4010, 4011, 4012):
                    conn.session.resumable = False
                self._close(conn, code, "Disconnected by the fake.")
            self._changed.notify_all()

    # acting as a member

    def slash(
        self, user_id: str, command: str, *, channel_id: str | None = None, **options: Any
    ) -> Interaction:
        """A member runs ``command`` ("rfc propose"): options typed from its registered
        definition, as Discord's client sends them; what a client cannot send is a ValueError."""
        with self._lock:
            channel = self._interaction_channel(user_id, channel_id)
            data = self._command_data(command, options, focused=None)
            return Interaction(self, self._interact(APPLICATION_COMMAND, user_id, channel, data))

    def autocomplete(
        self,
        user_id: str,
        command: str,
        *,
        focused: str,
        channel_id: str | None = None,
        timeout: float = 5,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """A member types into option ``focused``; returns the choices the bot answered.

        Raises TimeoutError when no answer came within ``timeout``, or when it came after the
        deadline (Discord shows nothing then).
        """
        with self._lock:
            channel = self._interaction_channel(user_id, channel_id)
            data = self._command_data(command, options, focused=focused)
            pending = self._interact(AUTOCOMPLETE, user_id, channel, data)
        Interaction(self, pending).wait(timeout)
        with self._lock:
            if pending.missed or pending.choices is None:
                raise TimeoutError(f"autocomplete {pending.id} was answered too late or wrongly")
            return _copy(pending.choices)

    def click(self, user_id: str, message: Mapping[str, Any], custom_id: str) -> Interaction:
        """A member clicks an enabled button of ``message`` (as it is now in the fake)."""
        with self._lock:
            stored = self._visible_message(user_id, message)
            found = _find_component(stored.get("components") or [], custom_id)
            if found is None or found.get("type") != BUTTON:
                raise ValueError(f"message {stored['id']} has no button {custom_id!r}")
            if found.get("disabled") or found.get("style") in (LINK_STYLE, PREMIUM_STYLE):
                raise ValueError(f"button {custom_id!r} cannot be clicked")
            data = {"custom_id": custom_id, "component_type": BUTTON, "id": found.get("id")}
            pending = self._interact(
                MESSAGE_COMPONENT, user_id, stored["channel_id"], data, source=stored
            )
            return Interaction(self, pending)

    def select(
        self, user_id: str, message: Mapping[str, Any], custom_id: str, values: list[str]
    ) -> Interaction:
        """A member picks ``values`` in a string select of ``message``."""
        with self._lock:
            stored = self._visible_message(user_id, message)
            found = _find_component(stored.get("components") or [], custom_id)
            if found is None or found.get("type") != STRING_SELECT:
                raise ValueError(f"message {stored['id']} has no string select {custom_id!r}")
            if found.get("disabled"):
                raise ValueError(f"select {custom_id!r} is disabled")
            allowed = [o["value"] for o in found.get("options", [])]
            low, high = found.get("min_values", 1), found.get("max_values", 1)
            if any(v not in allowed for v in values) or len(set(values)) != len(values):
                raise ValueError(f"{values!r} are not distinct options of {allowed!r}")
            if not low <= len(values) <= high:
                raise ValueError(f"select {custom_id!r} takes {low} to {high} values")
            data = {
                "custom_id": custom_id,
                "component_type": STRING_SELECT,
                "values": list(values),
                "id": found.get("id"),
            }
            pending = self._interact(
                MESSAGE_COMPONENT, user_id, stored["channel_id"], data, source=stored
            )
            return Interaction(self, pending)

    def submit(self, user_id: str, modal_from: Interaction, values: dict[str, str]) -> Interaction:
        """A member submits the modal ``modal_from`` was answered with; ``values`` by the text
        inputs' custom ids (an input left out keeps its pre-filled value)."""
        with self._lock:
            state = modal_from._state
            modal = state.modal
            if modal is None:
                raise ValueError(f"interaction {state.id} was not answered with a modal")
            if state.modal_submitted:
                raise ValueError(f"the modal of {state.id} was already submitted")
            if user_id != state.user_id:
                raise ValueError("a modal can only be submitted by the member it was shown to")
            inputs = _modal_inputs(modal)
            unknown_ids = set(values) - set(inputs)
            if unknown_ids:
                raise ValueError(f"the modal has no inputs {sorted(unknown_ids)}")
            components = [_submitted(c, values) for c in modal["components"]]
            data = {"custom_id": modal["custom_id"], "components": components}
            source = self._messages.get(state.source_message_id or "")
            pending = self._interact(MODAL_SUBMIT, user_id, state.channel_id, data, source=source)
            state.modal_submitted = True
            return Interaction(self, pending)

    def _interaction_channel(self, user_id: str, channel_id: str | None) -> str:
        if user_id not in self._members:
            raise ValueError(f"{user_id} is not a member of the guild")
        channel_id = channel_id or self.general_id
        channel = self._channels.get(channel_id)
        if channel is None or channel["type"] == DM:
            raise ValueError(f"no guild channel {channel_id}")
        return channel_id

    def _visible_message(self, user_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        if user_id not in self._members:
            raise ValueError(f"{user_id} is not a member of the guild")
        stored = self._messages.get(str(message.get("id")))
        if stored is None:
            raise ValueError(f"message {message.get('id')} does not exist (any more)")
        if self._ephemeral.get(stored["id"], user_id) != user_id:
            raise ValueError("an ephemeral message is only seen by the member it was sent to")
        return stored

    def _interact(
        self,
        kind: int,
        user_id: str,
        channel_id: str,
        data: dict[str, Any],
        *,
        source: Mapping[str, Any] | None = None,
    ) -> _Pending:
        """Dispatch INTERACTION_CREATE as the gateway does and remember the interaction."""
        interaction_id = self._snowflake()
        secret = f"interaction:{interaction_id}:{secrets.token_urlsafe(96)}"
        token = base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")
        permissions = self._permissions(user_id)
        channel = {**self._channel_json(channel_id), "permissions": str(permissions)}
        payload: dict[str, Any] = {
            "app_permissions": str(self._permissions(self.bot_id)),
            "application_id": self.application_id,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "authorizing_integration_owners": {"0": self.guild_id},
            "channel": channel,
            "channel_id": channel_id,
            "context": 0,
            "data": data,
            "entitlement_sku_ids": [],
            "entitlements": [],
            "guild": {"features": [], "id": self.guild_id, "locale": "en-US"},
            "guild_id": self.guild_id,
            "guild_locale": "en-US",
            "id": interaction_id,
            "locale": "en-US",
            "member": self._member_json(user_id, permissions=permissions),
            "token": token,
            "type": kind,
            "version": 1,
        }
        if source is not None:
            payload["message"] = _copy(source)
        pending = _Pending(
            id=interaction_id,
            token=token,
            kind=kind,
            user_id=user_id,
            channel_id=channel_id,
            payload=payload,
            created=self.now(),
            sent_at=time.monotonic(),
            source_message_id=source["id"] if source is not None else None,
        )
        self._pending[interaction_id] = pending
        self._by_token[token] = pending
        self._dispatch("INTERACTION_CREATE", payload, None)
        return pending

    def _find_command(self, name: str) -> tuple[dict[str, Any], str | None]:
        for scope in (self.guild_id, None):
            for command in self._commands[scope]:
                if command["name"] == name and command.get("type", 1) == 1:
                    return command, scope
        raise ValueError(f"no slash command {name!r} is registered")

    def _command_data(
        self, command: str, options: Mapping[str, Any], *, focused: str | None
    ) -> dict[str, Any]:
        """``data`` of a command or autocomplete interaction for ``command``'s words."""
        words = command.split()
        if not words:
            raise ValueError("no command given")
        top, scope = self._find_command(words[0])
        node, chain = top, []
        for word in words[1:]:
            sub = next(
                (
                    o
                    for o in node.get("options") or []
                    if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) and o["name"] == word
                ),
                None,
            )
            if sub is None:
                raise ValueError(f"{command!r}: {node['name']!r} has no subcommand {word!r}")
            chain.append(sub)
            node = sub
        if any(
            o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in node.get("options") or []
        ):
            raise ValueError(f"{command!r} needs a subcommand")
        resolved: dict[str, dict[str, Any]] = {}
        inner = self._typed_options(node.get("options") or [], options, resolved, focused)
        for sub in reversed(chain):
            entry: dict[str, Any] = {"name": sub["name"], "type": sub["type"]}
            if inner:
                entry["options"] = inner
            inner = [entry]
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": 1}
        if inner:
            data["options"] = inner
        if scope is not None:
            data["guild_id"] = scope
        if resolved:
            data["resolved"] = resolved
        return data

    def _typed_options(
        self,
        definitions: list[dict[str, Any]],
        given: Mapping[str, Any],
        resolved: dict[str, dict[str, Any]],
        focused: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in definitions}
        unknown_names = set(given) - set(by_name) - ({focused} if focused else set())
        if unknown_names:
            raise ValueError(f"unknown options {sorted(unknown_names)}; known {sorted(by_name)}")
        out: list[dict[str, Any]] = []
        if focused is not None:
            definition = by_name.get(focused)
            if definition is None or not definition.get("autocomplete"):
                raise ValueError(f"option {focused!r} does not autocomplete")
        for definition in definitions:
            name = definition["name"]
            if name == focused:
                # Discord sends what the member typed so far, as a string, whatever the type.
                typed = given.get(name, "")
                value = typed if isinstance(typed, str) else str(typed)
                out.append(
                    {"name": name, "type": definition["type"], "value": value, "focused": True}
                )
                continue
            if name not in given:
                if definition.get("required") and focused is None:
                    raise ValueError(f"option {name!r} is required")
                continue
            value = self._option_value(definition, given[name], resolved)
            out.append({"name": name, "type": definition["type"], "value": value})
        return out

    def _option_value(
        self, definition: Mapping[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        """Check ``value`` as Discord's client would and fill ``resolved`` for snowflakes."""
        kind, name = definition["type"], definition["name"]
        choices = [c["value"] for c in definition.get("choices") or []]
        problem = f"option {name!r} (type {kind}) cannot take {value!r}"
        if kind == OPT_STRING:
            if not isinstance(value, str):
                raise ValueError(problem)
            low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ValueError(f"{problem}: length must be {low} to {high}")
        elif kind in (OPT_INTEGER, OPT_NUMBER):
            numeric = (int,) if kind == OPT_INTEGER else (int, float)
            if isinstance(value, bool) or not isinstance(value, numeric):
                raise ValueError(problem)
            if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
                raise ValueError(problem)
            low, high = definition.get("min_value"), definition.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{problem}: must be within [{low}, {high}]")
        elif kind == OPT_BOOLEAN:
            if not isinstance(value, bool):
                raise ValueError(problem)
        elif kind in (OPT_USER, OPT_MENTIONABLE, OPT_ROLE, OPT_CHANNEL):
            value = str(value)
            if kind in (OPT_USER, OPT_MENTIONABLE) and value in self._users:
                resolved.setdefault("users", {})[value] = self._public_user(value)
                if value in self._members:
                    member = self._member_json(value, permissions=self._permissions(value))
                    del member["user"]
                    resolved.setdefault("members", {})[value] = member
            elif kind in (OPT_ROLE, OPT_MENTIONABLE) and value in self._roles:
                resolved.setdefault("roles", {})[value] = _copy(self._roles[value])
            elif kind == OPT_CHANNEL and self._channels.get(value, {}).get("guild_id"):
                channel = self._channel_json(value)
                allowed = definition.get("channel_types")
                if allowed and channel["type"] not in allowed:
                    raise ValueError(f"{problem}: channel types {allowed}")
                channel["permissions"] = str(self._permissions(self.bot_id))
                resolved.setdefault("channels", {})[value] = channel
            else:
                raise ValueError(f"{problem}: no such user, channel or role in the guild")
        else:
            raise ValueError(f"{problem}: the fake does not send option type {kind}")
        if choices and value not in choices:
            raise ValueError(f"{problem}: choose one of {choices}")
        return value

    # JSON as Discord shapes it

    def _new_user(
        self, user_id: str, username: str, global_name: str | None, *, bot: bool = False
    ) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "username": username,
            "global_name": global_name,
            "discriminator": "0",
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "clan": None,
            "collectibles": None,
            "display_name_styles": None,
            "primary_guild": None,
            "public_flags": 0,
        }
        if bot:
            user["bot"] = True
        return user

    def _public_user(self, user_id: str) -> dict[str, Any]:
        return _copy(self._users[user_id])

    def _me(self) -> dict[str, Any]:
        """The bot's own user object, as GET /users/@me and READY give it."""
        me = self._public_user(self.bot_id)
        me.update({"verified": True, "mfa_enabled": False, "email": None, "flags": 0, "bio": ""})
        me.update({"locale": "en-US", "premium_type": 0})
        return me

    def _new_role(self, role_id: str, name: str, permissions: int) -> dict[str, Any]:
        return {
            "id": role_id,
            "name": name,
            "description": None,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _reposition(self) -> list[str]:
        """Give roles their positions from ``_role_order``; returns the roles that moved."""
        moved = []
        for position, role_id in enumerate(self._role_order):
            if self._roles[role_id]["position"] != position:
                self._roles[role_id]["position"] = position
                moved.append(role_id)
        return moved

    def _member(self, user_id: str) -> _Member:
        member = self._members.get(user_id)
        if member is None:
            raise KeyError(f"{user_id} is not a member")
        return member

    def _member_json(self, user_id: str, *, permissions: int | None = None) -> dict[str, Any]:
        member = self._member(user_id)
        out: dict[str, Any] = {
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "collectibles": None,
            "communication_disabled_until": None,
            "deaf": False,
            "flags": 0,
            "joined_at": member.joined_at,
            "mute": False,
            "nick": member.nick,
            "pending": False,
            "premium_since": None,
            "roles": list(member.roles),
            "unusual_dm_activity_until": None,
            "user": self._public_user(user_id),
        }
        if permissions is not None:
            out["permissions"] = str(permissions)
        return out

    def _permissions(self, user_id: str) -> int:
        value = int(self._roles[self.guild_id]["permissions"])
        for role_id in self._member(user_id).roles:
            value |= int(self._roles[role_id]["permissions"])
        return value

    def _top_position(self, user_id: str) -> int:
        return max((self._roles[r]["position"] for r in self._member(user_id).roles), default=0)

    def _new_text_channel(self, name: str) -> str:
        channel_id = self._snowflake()
        position = sum(1 for c in self._channels.values() if c["type"] == GUILD_TEXT)
        self._channels[channel_id] = {
            "id": channel_id,
            "type": GUILD_TEXT,
            "guild_id": self.guild_id,
            "name": name,
            "position": position,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "permission_overwrites": [],
            "flags": 0,
            "icon_emoji": None,
            "theme_color": None,
        }
        self._channel_messages[channel_id] = []
        return channel_id

    def _channel_json(self, channel_id: str) -> dict[str, Any]:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id}")
        return _copy(channel)

    def _member_updated(self, user_id: str) -> None:
        data = {**self._member_json(user_id), "guild_id": self.guild_id}
        self._dispatch("GUILD_MEMBER_UPDATE", data, INTENT_GUILD_MEMBERS)
        self._changed.notify_all()

    def _guild_json(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Fake Foundation",
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [_copy(self._roles[r]) for r in self._role_order],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": self.general_id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
            "home_header": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
            "inventory_settings": None,
        }

    def _guild_create(self) -> dict[str, Any]:
        """GUILD_CREATE as Discord sends it to a bot without the presences intent: every
        channel and active thread, but only the bot itself in ``members``."""
        channels, threads = [], []
        for channel in self._channels.values():
            if channel["type"] == GUILD_TEXT:
                channels.append({k: v for k, v in channel.items() if k != "guild_id"})
            elif channel["type"] in THREAD_TYPES and not channel["thread_metadata"]["archived"]:
                threads.append(_copy(channel))
        return {
            **self._guild_json(),
            "joined_at": self._joined_at,
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(self._members),
            "members": [self._member_json(self.bot_id)],
            "channels": channels,
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [_copy(e) for e in self._events.values()],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {"1": 0, "2": 0, "3": 0},
            "version": int(time.time() * 1000),
        }

    def _app_json(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me: the application, owned by the guild's owner."""
        flags = APP_FLAG_MESSAGE_CONTENT_LIMITED | APP_FLAG_COMMAND_BADGE
        if self.members_intent:
            flags |= APP_FLAG_GUILD_MEMBERS_LIMITED
        return {
            "id": self.application_id,
            "name": "govbot",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(self.application_id.encode()).hexdigest(),
            "flags": flags,
            "owner": self._public_user(self.owner_id),
            "team": None,
            "bot": self._public_user(self.bot_id),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": 1,
            "approximate_user_install_count": 0,
        }

    # the gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """One gateway connection: HELLO, then frames from the client until either side closes."""
        ws = web.WebSocketResponse(timeout=2.0, autoping=True, compress=False, max_msg_size=0)
        await ws.prepare(request)
        query = request.rel_url.query
        compress = query.get("compress")
        conn = _Connection(ws, compress if compress in ("zlib-stream", "zstd-stream") else None)
        writer = asyncio.create_task(self._writer(conn))
        with self._lock:
            self._connections.append(conn)
            self.gateway_compressions.append(compress)
            if query.get("v") != str(API_VERSION):
                self._close(conn, 4012, "Invalid API version.")
            elif query.get("encoding", "json") != "json":
                # Discord also speaks ETF; this fake only JSON.
                self._close(conn, 4002, "Decode error.")
            elif compress not in (None, "zlib-stream", "zstd-stream"):
                self._close(conn, 4002, "Decode error.")
            elif compress == "zstd-stream" and conn.zstd_missing:
                # discord.py only asks for zstd when it can decompress it, so we can compress.
                self._close(conn, 4000, "The fake found no zstd module.")
            else:
                trace = [f'["gateway-fake-{self.port}",{{"micros":0}}]']
                hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": trace}
                self._send(conn, {"op": 10, "d": hello, "s": None, "t": None})
        try:
            async for msg in ws:
                with self._lock:
                    if msg.type is WSMsgType.TEXT:
                        self._on_frame(conn, msg.data)
                    else:
                        self._close(conn, 4002, "Decode error.")
        finally:
            with self._lock:
                if not conn.server_closing and ws.close_code is not None:
                    self._closes.append(ws.close_code)
                    if conn.session is not None and ws.close_code in (1000, 1001):
                        # A clean close ends the session: Discord will not resume it.
                        conn.session.resumable = False
                if conn.session is not None and conn.session.conn is conn:
                    conn.session.conn = None
                if conn in self._connections:
                    self._connections.remove(conn)
                self._changed.notify_all()
            conn.queue.put_nowait(("stop", None))
            await writer
        return ws

    async def _writer(self, conn: _Connection) -> None:
        """Send a connection's frames in order, compressed in order, then close if asked."""
        while True:
            kind, item = await conn.queue.get()
            if kind == "stop":
                return
            if kind == "close":
                code, reason = item
                conn.server_closing = True
                await conn.ws.close(code=code, message=reason.encode())
                return
            if conn.ws.closed:
                continue
            data = conn.encode(item)
            try:
                if isinstance(data, bytes):
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(data)
            except (ConnectionError, RuntimeError):
                return

    def _enqueue(self, conn: _Connection, item: tuple[str, Any]) -> None:
        """Always through the loop's callback queue (even from the loop's own thread), so frames
        leave in the order they were made under the lock."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(conn.queue.put_nowait, item)

    def _send(self, conn: _Connection, frame: dict[str, Any]) -> None:
        self._log_frame(True, frame)
        self._enqueue(conn, ("text", json.dumps(frame, separators=(",", ":"))))

    def _close(self, conn: _Connection, code: int, reason: str) -> None:
        if conn.server_closing:
            return
        conn.server_closing = True
        self._frames.append(GatewayFrame(True, None, "CLOSE", None, code, time.monotonic()))
        self._enqueue(conn, ("close", (code, reason)))

    def _log_frame(self, sent: bool, frame: Mapping[str, Any]) -> None:
        self._frames.append(
            GatewayFrame(
                sent,
                frame.get("op"),
                frame.get("t"),
                frame.get("s"),
                frame.get("d"),
                time.monotonic(),
            )
        )

    def _dispatch(self, event: str, data: Mapping[str, Any], intent: int | None) -> None:
        """Send a dispatch to every session whose intents ask for it (kept for a RESUME)."""
        for session in self._sessions:
            if session.resumable and (intent is None or session.intents & intent):
                self._send_dispatch(session, event, _copy(data))
        self._changed.notify_all()

    def _send_dispatch(self, session: _Session, event: str, data: Any) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        del session.backlog[:-10_000]
        if session.conn is not None and not session.conn.server_closing:
            self._send(session.conn, frame)

    def _on_frame(self, conn: _Connection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self._close(conn, 4002, "Decode error.")
            return
        if not isinstance(frame, dict):
            self._close(conn, 4002, "Decode error.")
            return
        self._log_frame(False, frame)
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            self._send(conn, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            self._identify(conn, data)
        elif op == 6:
            self._resume(conn, data)
        elif conn.session is None:
            self._close(conn, 4003, "Not authenticated.")
        elif op == 8:
            self._request_members(conn, conn.session, data)
        elif op in (3, 4):
            pass  # presence and voice state updates: nothing to do here
        else:
            self._close(conn, 4001, "Unknown opcode.")

    def _token_ok(self, token: Any) -> bool:
        return token in (self.token, f"Bot {self.token}")

    def _identify(self, conn: _Connection, data: Any) -> None:
        if conn.session is not None:
            self._close(conn, 4005, "Already authenticated.")
            return
        if not isinstance(data, dict) or not isinstance(data.get("properties"), dict):
            self._close(conn, 4002, "Decode error.")
            return
        if not self._token_ok(data.get("token")):
            self._close(conn, 4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool) or intents & ~KNOWN_INTENTS:
            # API v10 requires intents; a missing or unknown bit closes 4013.
            self._close(conn, 4013, "Invalid intent(s).")
            return
        refused = INTENT_GUILD_PRESENCES | (0 if self.members_intent else INTENT_GUILD_MEMBERS)
        if intents & refused:
            self._close(conn, 4014, "Disallowed intent(s).")
            return
        if data.get("shard") not in (None, [0, 1]):
            self._close(conn, 4010, "Invalid shard.")
            return
        session = _Session(id=secrets.token_hex(16), intents=intents)
        self._sessions.append(session)
        conn.session, session.conn = session, conn
        ready: dict[str, Any] = {
            "v": API_VERSION,
            "user": self._me(),
            "user_settings": {},
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": self._app_json()["flags"]},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": [f'["gateway-fake-{self.port}",{{"micros":0}}]'],
        }
        if data.get("shard") is not None:
            ready["shard"] = [0, 1]
        self._send_dispatch(session, "READY", ready)
        if intents & INTENT_GUILDS:
            self._send_dispatch(session, "GUILD_CREATE", self._guild_create())
        conn.ready = True
        self._changed.notify_all()

    def _resume(self, conn: _Connection, data: Any) -> None:
        if conn.session is not None:
            self._close(conn, 4005, "Already authenticated.")
            return
        if not isinstance(data, dict):
            self._close(conn, 4002, "Decode error.")
            return
        if not self._token_ok(data.get("token")):
            self._close(conn, 4004, "Authentication failed.")
            return
        session = next((s for s in self._sessions if s.id == data.get("session_id")), None)
        seq = data.get("seq") or 0
        if (
            session is None
            or not session.resumable
            or not isinstance(seq, int)
            or seq > session.seq
        ):
            # Discord answers op 9 (not resumable): the client identifies again.
            self._send(conn, {"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            self._close(session.conn, 4000, "Session resumed elsewhere.")
        conn.session, session.conn = session, conn
        for frame in session.backlog:
            if frame["s"] > seq:
                self._send(conn, frame)
        self._send_dispatch(session, "RESUMED", {"_trace": [f'["gateway-fake-{self.port}"]']})
        conn.ready = True
        self._changed.notify_all()

    def _request_members(self, conn: _Connection, session: _Session, data: Any) -> None:
        """REQUEST_GUILD_MEMBERS (op 8): answered with GUILD_MEMBERS_CHUNK to this session."""
        if not isinstance(data, dict) or str(data.get("guild_id")) != self.guild_id:
            return  # Discord ignores requests for guilds the session is not in
        query, limit = data.get("query"), data.get("limit", 0) or 0
        user_ids = data.get("user_ids")
        if data.get("presences") and not session.intents & INTENT_GUILD_PRESENCES:
            self._close(conn, 4013, "Invalid intent(s).")
            return
        if user_ids is None and not query and not session.intents & INTENT_GUILD_MEMBERS:
            # The whole member list needs the members intent. Unsure how Discord refuses it;
            # discord.py never asks without the intent.
            self._close(conn, 4013, "Invalid intent(s).")
            return
        not_found: list[str] = []
        if user_ids is not None:
            wanted = [str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            found = [u for u in wanted if u in self._members]
            not_found = [u for u in wanted if u not in self._members]
        else:
            prefix = str(query or "").lower()
            found = [
                u
                for u in sorted(self._members, key=int)
                if self._users[u]["username"].lower().startswith(prefix)
            ]
            if limit:
                found = found[:limit]
        chunks = [found[i : i + 1000] for i in range(0, len(found), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "guild_id": self.guild_id,
                "members": [self._member_json(u) for u in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if user_ids is not None:
                payload["not_found"] = not_found
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            if data.get("presences"):
                payload["presences"] = []
            self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", payload)
        if user_ids is None and not query:
            session.members_sent = True
        self._changed.notify_all()

    # REST dispatch

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        query = dict(request.rel_url.query)
        body, files, malformed = await _read_body(request)
        with self._lock:
            status, headers, answer, route = self._answer(
                request.method, request.path, query, request.headers, body, files, malformed
            )
            path = (
                request.path[len(API_PREFIX) :]
                if request.path.startswith(API_PREFIX)
                else request.path
            )
            self._calls.append(
                Call(
                    request.method,
                    path,
                    route,
                    status,
                    _copy(body),
                    _copy(answer),
                    arrived,
                    query,
                    tuple(f[1] for f in files),
                )
            )
            self._changed.notify_all()
        headers["Via"] = "1.1 google"  # discord.py treats a 429 without Via as a Cloudflare ban
        if answer is None:
            return web.Response(status=status, headers=headers)
        headers["Content-Type"] = JSON_TYPE
        return web.Response(status=status, headers=headers, body=json.dumps(answer).encode())

    def _answer(
        self,
        method: str,
        full_path: str,
        query: dict[str, str],
        request_headers: Mapping[str, str],
        body: Any,
        files: list[tuple[str, str, bytes]],
        malformed: bool,
    ) -> tuple[int, dict[str, str], Any, str | None]:
        headers: dict[str, str] = {}
        route: _Route | None = None
        try:
            if not full_path.startswith(API_PREFIX + "/"):
                raise Refusal(404, "404: Not Found", 0)
            path = full_path[len(API_PREFIX) :]
            route, params = _match(method, path)
            if route.auth and request_headers.get("Authorization") != f"Bot {self.token}":
                raise Refusal(401, "401: Unauthorized", 0)
            if malformed:
                raise Refusal(400, "The request body contains invalid JSON.", 50109)
            headers.update(self._take(route, params))
            ctx = _Ctx(method, path, params, query, body, files, route.key)
            reply = route.handler(self, ctx)
            return reply.status, headers, reply.body, route.key
        except Refusal as refusal:
            headers.update(refusal.headers)
            return refusal.status, headers, refusal.body(), route.key if route else None
        except Exception:  # a bug in the fake: answer it (discord.py retries 500s), keep serving
            body = {"message": f"fake Discord failed: {traceback.format_exc()}", "code": 0}
            return 500, headers, body, route.key if route else None

    def _take(self, route: _Route, params: Mapping[str, str]) -> dict[str, str]:
        """Count the request in the global window and its bucket; 429 when either is spent."""
        now = time.monotonic()
        if not route.global_exempt:
            if now >= self._global_reset:
                self._global_count, self._global_reset = 0, now + 1.0
            if self._global_count >= self.global_limit:
                self.rate_limited += 1
                retry = self._global_reset - now
                raise Refusal(
                    429,
                    "You are being rate limited.",
                    None,
                    extra={"retry_after": round(retry, 3), "global": True},
                    headers={
                        "Retry-After": str(math.ceil(retry)),
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                    },
                )
            self._global_count += 1
        limit, per = (
            self.limits.get(route.bucket) or self.limits.get(route.key) or DEFAULT_ROUTE_LIMIT
        )
        major = "+".join(params[p] for p in MAJOR_PARAMETERS if p in params)
        bucket = self._buckets.get((route.bucket, major))
        if bucket is None:
            digest = hashlib.sha256(route.bucket.encode()).hexdigest()[:32]
            bucket = self._buckets[(route.bucket, major)] = _Bucket(limit, per, digest)
        if now >= bucket.reset_at:
            bucket.count, bucket.reset_at = 0, now + bucket.per
        reset_after = bucket.reset_at - now
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, bucket.limit - bucket.count - 1)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.hash,
        }
        if bucket.count >= bucket.limit:
            self.rate_limited += 1
            headers["X-RateLimit-Remaining"] = "0"
            headers["Retry-After"] = str(math.ceil(reset_after))
            headers["X-RateLimit-Scope"] = "user"
            raise Refusal(
                429,
                "You are being rate limited.",
                None,
                extra={"retry_after": round(reset_after, 3), "global": False},
                headers=headers,
            )
        bucket.count += 1
        return headers

    # routes: the bot and its application

    @_route("GET", "/users/@me")
    def _get_me(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, self._me())

    @_route("GET", "/users/{user_id}")
    def _get_user(self, ctx: _Ctx) -> _Reply:
        user_id = ctx.params["user_id"]
        if user_id not in self._users:
            raise unknown("User", 10013)
        return _Reply(200, self._public_user(user_id))

    @_route("GET", "/oauth2/applications/@me")
    def _get_oauth_app(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, self._app_json())

    @_route("GET", "/applications/@me")
    def _get_app(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, self._app_json())

    @_route("GET", "/gateway", auth=False)
    def _get_gateway(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, {"url": self.gateway_url})

    @_route("GET", "/gateway/bot")
    def _get_gateway_bot(self, ctx: _Ctx) -> _Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return _Reply(200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    # routes: application commands

    def _scope(self, ctx: _Ctx) -> str | None:
        if ctx.params["application_id"] != self.application_id:
            # Unsure: Discord answers another application's commands with 403 or 404.
            raise Refusal(403, "Missing Access", 50001)
        guild_id = ctx.params.get("guild_id")
        if guild_id is not None and guild_id != self.guild_id:
            raise Refusal(403, "Missing Access", 50001)
        return guild_id

    @_route("GET", "/applications/{application_id}/commands")
    def _list_global_commands(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._commands[self._scope(ctx)]))

    @_route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    def _list_guild_commands(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._commands[self._scope(ctx)]))

    @_route("PUT", "/applications/{application_id}/commands")
    def _put_global_commands(self, ctx: _Ctx) -> _Reply:
        return self._bulk_overwrite(ctx)

    @_route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    def _put_guild_commands(self, ctx: _Ctx) -> _Reply:
        return self._bulk_overwrite(ctx)

    def _bulk_overwrite(self, ctx: _Ctx) -> _Reply:
        """Replace the scope's commands; a command keeps its id while its type and name stay,
        and its ``version`` changes only when its definition does."""
        scope = self._scope(ctx)
        self.command_writes += 1
        errors = FormErrors()
        if not isinstance(ctx.body, list):
            errors.add((), "BASE_TYPE_ARRAY", "Must be an array.")
            errors.raise_if_any()
        checked = [self._check_command(d, errors, (i,), scope) for i, d in enumerate(ctx.body)]
        seen: set[tuple[int, str]] = set()
        per_type: dict[int, int] = {}
        for index, definition in enumerate(checked):
            if definition is None:
                continue
            key = (definition["type"], definition["name"])
            if key in seen:
                errors.add(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {definition['name']}",
                )
            seen.add(key)
            per_type[definition["type"]] = per_type.get(definition["type"], 0) + 1
        # 100 slash commands; context menus: 15 each (Discord raised that from 5 in 2024).
        for kind, most in ((1, 100), (2, 15), (3, 15)):
            if per_type.get(kind, 0) > most:
                errors.add((), "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")
        errors.raise_if_any()
        stored = [self._store_command(scope, d) for d in checked if d is not None]
        self._commands[scope] = stored
        return _Reply(200, _copy(stored))

    @_route("POST", "/applications/{application_id}/commands")
    def _create_global_command(self, ctx: _Ctx) -> _Reply:
        return self._upsert_command(ctx)

    @_route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
    def _create_guild_command(self, ctx: _Ctx) -> _Reply:
        return self._upsert_command(ctx)

    def _upsert_command(self, ctx: _Ctx) -> _Reply:
        scope = self._scope(ctx)
        self.command_writes += 1
        errors = FormErrors()
        definition = self._check_command(ctx.body, errors, (), scope)
        errors.raise_if_any()
        assert definition is not None
        existing = self._command_by_name(scope, definition["type"], definition["name"])
        command = self._store_command(scope, definition)
        commands = self._commands[scope]
        if existing is None:
            commands.append(command)
            return _Reply(201, _copy(command))
        commands[commands.index(existing)] = command
        return _Reply(200, _copy(command))

    def _command_by_name(self, scope: str | None, kind: int, name: str) -> dict[str, Any] | None:
        return next(
            (c for c in self._commands[scope] if (c["type"], c["name"]) == (kind, name)), None
        )

    def _command_by_id(self, ctx: _Ctx) -> tuple[str | None, dict[str, Any]]:
        scope = self._scope(ctx)
        found = next(
            (c for c in self._commands[scope] if c["id"] == ctx.params["command_id"]), None
        )
        if found is None:
            raise unknown("application command", 10063)
        return scope, found

    @_route("GET", "/applications/{application_id}/commands/{command_id}")
    def _get_global_command(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._command_by_id(ctx)[1]))

    @_route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    def _get_guild_command(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._command_by_id(ctx)[1]))

    @_route("PATCH", "/applications/{application_id}/commands/{command_id}")
    def _edit_global_command(self, ctx: _Ctx) -> _Reply:
        return self._edit_command(ctx)

    @_route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    def _edit_guild_command(self, ctx: _Ctx) -> _Reply:
        return self._edit_command(ctx)

    def _edit_command(self, ctx: _Ctx) -> _Reply:
        scope, found = self._command_by_id(ctx)
        self.command_writes += 1
        if not isinstance(ctx.body, dict):
            raise Refusal(400, "Invalid Form Body", 50035, errors={})
        merged = {**_command_definition(found), **ctx.body, "type": found["type"]}
        errors = FormErrors()
        definition = self._check_command(merged, errors, (), scope)
        errors.raise_if_any()
        assert definition is not None
        other = self._command_by_name(scope, definition["type"], definition["name"])
        if other is not None and other is not found:
            errors.add(("name",), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Name already in use")
            errors.raise_if_any()
        command = self._store_command(scope, definition, keep=found)
        commands = self._commands[scope]
        commands[commands.index(found)] = command
        return _Reply(200, _copy(command))

    @_route("DELETE", "/applications/{application_id}/commands/{command_id}")
    def _delete_global_command(self, ctx: _Ctx) -> _Reply:
        return self._delete_command(ctx)

    @_route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    def _delete_guild_command(self, ctx: _Ctx) -> _Reply:
        return self._delete_command(ctx)

    def _delete_command(self, ctx: _Ctx) -> _Reply:
        scope, found = self._command_by_id(ctx)
        self.command_writes += 1
        self._commands[scope].remove(found)
        return _Reply(204, None)

    def _store_command(
        self, scope: str | None, definition: dict[str, Any], keep: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The command as Discord stores it, keeping the id (and version, if unchanged) of the
        same-named command; counts creations against the daily limit."""
        old = keep or self._command_by_name(scope, definition["type"], definition["name"])
        if old is None:
            day = time.monotonic() - 86_400
            creates = [t for t in self._creates.get(scope, []) if t > day]
            if len(creates) >= DAILY_COMMAND_CREATES:
                self.rate_limited += 1
                retry = creates[0] + 86_400 - time.monotonic()
                raise Refusal(
                    429,
                    f"Max number of daily application command creates has been reached "
                    f"({DAILY_COMMAND_CREATES})",
                    30034,
                    extra={"retry_after": round(retry, 3), "global": False},
                    headers={"Retry-After": str(math.ceil(retry))},
                )
            self._creates[scope] = [*creates, time.monotonic()]
        unchanged = old is not None and _command_definition(old) == definition
        stored: dict[str, Any] = {
            "id": old["id"] if old else self._snowflake(),
            "application_id": self.application_id,
            "version": old["version"] if old and unchanged else self._snowflake(),
            **definition,
        }
        if scope is not None:
            stored["guild_id"] = scope
        return stored

    def _check_command(
        self, raw: Any, errors: FormErrors, path: tuple[str | int, ...], scope: str | None
    ) -> dict[str, Any] | None:
        """Validate one command definition; returns it with Discord's defaults filled in."""
        if not isinstance(raw, dict):
            errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            return None
        kind = raw.get("type", 1)
        if kind not in (1, 2, 3):
            errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
            return None
        name, description = raw.get("name"), raw.get("description")
        if kind == 1:
            _check_name(errors, (*path, "name"), name)
            errors.length((*path, "description"), description, 1, 100, required=True)
            _check_options(errors, (*path, "options"), raw.get("options"), 0)
        else:
            errors.length((*path, "name"), name, 1, 32, required=True)
            if description not in (None, ""):
                # Context menu commands have an empty description.
                errors.add(
                    (*path, "description"),
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description",
                )
            if raw.get("options"):
                errors.add(
                    (*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 0 or fewer in length."
                )
        if kind == 1 and _command_size(raw) > 8000:
            errors.add(path, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)")
        permissions = raw.get("default_member_permissions")
        if permissions is not None and not _is_snowflake(permissions):
            errors.add(
                (*path, "default_member_permissions"),
                "NUMBER_TYPE_COERCE",
                f'Value "{permissions}" is not snowflake.',
            )
        out: dict[str, Any] = {
            "type": kind,
            "name": name,
            "description": description if kind == 1 else "",
            "default_member_permissions": None if permissions is None else str(permissions),
            "contexts": raw.get("contexts"),
            "integration_types": raw.get("integration_types") or [0],
            "nsfw": bool(raw.get("nsfw", False)),
        }
        for key in ("name_localizations", "description_localizations"):
            if raw.get(key):
                out[key] = raw[key]
        if scope is None:
            out["dm_permission"] = raw.get("dm_permission", True) is not False
        if raw.get("options"):
            out["options"] = _copy(raw["options"])
        return out

    # routes: interaction responses

    @_route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        auth=False,
        global_exempt=True,
    )
    def _callback(self, ctx: _Ctx) -> _Reply:
        """The first response: in time, once, of a type that fits the interaction."""
        pending = self._pending.get(ctx.params["interaction_id"])
        if pending is None or pending.token != ctx.params["interaction_token"]:
            raise unknown("interaction", 10062)
        if pending.accepted:
            raise Refusal(400, "Interaction has already been acknowledged.", 40060)
        if pending.missed or self.now() - pending.created > self.deadline:
            if not pending.missed:
                pending.missed = True
                pending.response = _copy(ctx.body)
                pending.responded_at = time.monotonic()
                self.deadline_misses += 1
                self._changed.notify_all()
            raise unknown("interaction", 10062)
        body = ctx.body
        errors = FormErrors()
        if not isinstance(body, dict):
            errors.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            errors.raise_if_any()
        kind, data = body.get("type"), body.get("data")
        if kind not in ALLOWED_CALLBACKS[pending.kind]:
            # Discord's exact refusal of a misfit callback type is not documented; this is
            # the form-body error it gives for bad values.
            allowed = ", ".join(str(k) for k in sorted(ALLOWED_CALLBACKS[pending.kind]))
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {{{allowed}}}.")
            errors.raise_if_any()
        data = data if isinstance(data, dict) else {}
        resource: dict[str, Any] = {"type": kind}
        summary: dict[str, Any] = {"id": pending.id, "type": pending.kind}
        if kind in (CHANNEL_MESSAGE, DEFERRED_MESSAGE):
            message = self._respond_with_message(pending, data, ctx.files, kind == DEFERRED_MESSAGE)
            summary["response_message_id"] = message["id"]
            summary["response_message_loading"] = kind == DEFERRED_MESSAGE
            summary["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
            if kind == CHANNEL_MESSAGE:
                resource["message"] = _copy(message)
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            if pending.source_message_id not in self._messages:
                # A modal submitted from a slash command has no message to update.
                raise unknown("Message", 10008)
            pending.original_id = pending.source_message_id
            if kind == UPDATE_MESSAGE:
                assert pending.original_id is not None
                message = self._edit_message(pending.original_id, data, ctx.files)
                summary["response_message_id"] = message["id"]
                summary["response_message_loading"] = False
                summary["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
                resource["message"] = _copy(message)
        elif kind == AUTOCOMPLETE_RESULT:
            pending.choices = self._check_choices(pending, data)
        elif kind == MODAL:
            pending.modal = self._check_modal(data)
        pending.accepted = True
        pending.response = _copy(body)
        pending.responded_at = time.monotonic()
        self._changed.notify_all()
        if ctx.query.get("with_response", "").lower() not in ("1", "true"):
            return _Reply(204, None)
        return _Reply(200, {"interaction": summary, "resource": resource})

    def _respond_with_message(
        self,
        pending: _Pending,
        data: dict[str, Any],
        files: list[tuple[str, str, bytes]],
        defer: bool,
    ) -> dict[str, Any]:
        """A type 4 message, or the LOADING message of a type 5 deferral (whose ``flags``
        decide whether what replaces it is ephemeral)."""
        flags = data.get("flags") or 0
        ephemeral = isinstance(flags, int) and bool(flags & FLAG_EPHEMERAL)
        kind = 20 if pending.kind == APPLICATION_COMMAND else 0
        if defer:
            fields = _empty_fields()
            fields["flags"] = FLAG_LOADING | (FLAG_EPHEMERAL if ephemeral else 0)
            message = self._store_message(pending.channel_id, fields, kind, pending=pending)
            pending.loading = True
        else:
            fields = self._compose(data, files, None, SENDABLE_FLAGS | FLAG_EPHEMERAL)
            message = self._store_message(pending.channel_id, fields, kind, pending=pending)
        pending.original_id = message["id"]
        return message

    def _check_choices(self, pending: _Pending, data: dict[str, Any]) -> list[dict[str, Any]]:
        focused = _focused_option(pending.payload["data"].get("options") or [])
        kind = focused["type"] if focused else OPT_STRING
        errors = FormErrors()
        choices = errors.count(("data", "choices"), data.get("choices"), 0, 25)
        for index, choice in enumerate(choices):
            path: tuple[str | int, ...] = ("data", "choices", index)
            if not isinstance(choice, dict):
                errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                continue
            errors.length((*path, "name"), choice.get("name"), 1, 100, required=True)
            value = choice.get("value")
            if kind == OPT_STRING:
                errors.length((*path, "value"), value, 1, 100, required=True)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                errors.add(
                    (*path, "value"), "NUMBER_TYPE_COERCE", f'Value "{value}" is not a number.'
                )
        errors.raise_if_any()
        return _copy(choices)

    def _check_modal(self, data: dict[str, Any]) -> dict[str, Any]:
        errors = FormErrors()
        base: tuple[str | int, ...] = ("data",)
        errors.length((*base, "custom_id"), data.get("custom_id"), 1, 100, required=True)
        errors.length((*base, "title"), data.get("title"), 1, 45, required=True)
        rows = errors.count((*base, "components"), data.get("components"), 1, 5)
        seen: set[str] = set()
        for index, row in enumerate(rows):
            path: tuple[str | int, ...] = (*base, "components", index)
            if not isinstance(row, dict):
                errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                continue
            if row.get("type") == ACTION_ROW:
                inner = errors.count((*path, "components"), row.get("components"), 1, 1)
                for j, item in enumerate(inner):
                    spot = (*path, "components", j)
                    if isinstance(item, dict) and item.get("type") == TEXT_INPUT:
                        _check_text_input(errors, spot, item, seen, labelled=False)
                    else:
                        _bad_type(errors, spot, (TEXT_INPUT,))
            elif row.get("type") == LABEL:
                errors.length((*path, "label"), row.get("label"), 1, 45, required=True)
                errors.length(
                    (*path, "description"), row.get("description"), 0, 100, required=False
                )
                item = row.get("component")
                spot = (*path, "component")
                if isinstance(item, dict) and item.get("type") == TEXT_INPUT:
                    _check_text_input(errors, spot, item, seen, labelled=True)
                elif isinstance(item, dict) and item.get("type") == STRING_SELECT:
                    _check_select(errors, spot, item, seen)
                else:
                    _bad_type(errors, spot, (TEXT_INPUT, STRING_SELECT))
            elif row.get("type") == TEXT_DISPLAY:
                errors.length((*path, "content"), row.get("content"), 1, 4000, required=True)
            else:
                _bad_type(errors, path, (ACTION_ROW, LABEL, TEXT_DISPLAY))
        errors.raise_if_any()
        modal = _copy(data)
        _assign_ids(modal["components"])
        return modal

    # routes: the interaction webhook (followups and the original response)

    def _webhook(self, ctx: _Ctx) -> _Pending:
        """The interaction behind an interaction webhook. Before any response Discord answers
        404 Unknown Webhook (10015) (observed: the webhook only exists once the interaction is
        acknowledged); after ``token_ttl`` and for tokens it never issued, 401 50027."""
        pending = self._by_token.get(ctx.params["webhook_token"])
        if pending is None:
            raise Refusal(401, "Invalid Webhook Token", 50027)
        if ctx.params["webhook_id"] != self.application_id:
            raise unknown("Webhook", 10015)
        if self.now() - pending.created > self.token_ttl:
            raise Refusal(401, "Invalid Webhook Token", 50027)
        if not pending.accepted or pending.kind == AUTOCOMPLETE:
            raise unknown("Webhook", 10015)
        return pending

    def _webhook_message(self, ctx: _Ctx, pending: _Pending) -> str:
        message_id = ctx.params["message_id"]
        if message_id == "@original":
            if pending.original_id is None or pending.original_id not in self._messages:
                raise unknown("Message", 10008)
            return pending.original_id
        if message_id not in pending.followup_ids or message_id not in self._messages:
            raise unknown("Message", 10008)
        return message_id

    @_route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False, global_exempt=True)
    def _followup(self, ctx: _Ctx) -> _Reply:
        """A followup; the first one after a deferral replaces the LOADING message instead, and
        keeps the deferral's visibility (its own ephemeral flag is ignored)."""
        pending = self._webhook(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        if pending.loading and pending.original_id in self._messages:
            assert pending.original_id is not None
            message = self._edit_message(pending.original_id, body, ctx.files, replace=True)
            pending.loading = False
        else:
            fields = self._compose(body, ctx.files, None, SENDABLE_FLAGS | FLAG_EPHEMERAL)
            message = self._store_message(pending.channel_id, fields, 0, pending=pending)
            pending.followup_ids.append(message["id"])
        self._changed.notify_all()
        if ctx.query.get("wait", "").lower() in ("1", "true"):
            return _Reply(200, _copy(message))
        return _Reply(204, None)

    @_route(
        "GET",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        auth=False,
        global_exempt=True,
    )
    def _get_webhook_message(self, ctx: _Ctx) -> _Reply:
        pending = self._webhook(ctx)
        return _Reply(200, _copy(self._messages[self._webhook_message(ctx, pending)]))

    @_route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        auth=False,
        global_exempt=True,
    )
    def _edit_webhook_message(self, ctx: _Ctx) -> _Reply:
        pending = self._webhook(ctx)
        message_id = self._webhook_message(ctx, pending)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        replacing = pending.loading and message_id == pending.original_id
        message = self._edit_message(message_id, body, ctx.files, replace=replacing)
        if replacing:
            pending.loading = False
        self._changed.notify_all()
        return _Reply(200, _copy(message))

    @_route(
        "DELETE",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        auth=False,
        global_exempt=True,
    )
    def _delete_webhook_message(self, ctx: _Ctx) -> _Reply:
        pending = self._webhook(ctx)
        self._delete_message(self._webhook_message(ctx, pending))
        return _Reply(204, None)

    # messages

    def _compose(
        self,
        payload: Mapping[str, Any],
        files: list[tuple[str, str, bytes]],
        base: Mapping[str, Any] | None,
        allowed_flags: int,
    ) -> dict[str, Any]:
        """Validate a message body (a create when ``base`` is None, else an edit of ``base``)
        and return the message's resulting fields; 400 for anything Discord refuses."""
        errors = FormErrors()
        fields = _empty_fields() if base is None else {k: _copy(base.get(k)) for k in _FIELDS}
        if "content" in payload:
            content = payload["content"]
            if content is not None:
                errors.length(("content",), content, 0, 2000, required=False)
            fields["content"] = content if isinstance(content, str) else ""
        if "embeds" in payload:
            fields["embeds"] = _check_embeds(errors, payload["embeds"] or [])
        if "flags" in payload and payload["flags"] is not None:
            flags = payload["flags"]
            if isinstance(flags, bool) or not isinstance(flags, int):
                errors.add(("flags",), "NUMBER_TYPE_COERCE", f'Value "{flags}" is not int.')
            elif base is None:
                # Unsure: Discord may refuse flags it does not let you set; the fake drops them.
                fields["flags"] = flags & allowed_flags
            else:
                kept = fields["flags"] & ~(FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2)
                v2 = (flags | fields["flags"]) & FLAG_COMPONENTS_V2  # cannot be turned off
                fields["flags"] = kept | (flags & FLAG_SUPPRESS_EMBEDS) | v2
        v2 = bool(fields["flags"] & FLAG_COMPONENTS_V2)
        if "components" in payload or (v2 and base is not None and not _base_v2(base)):
            fields["components"] = _check_components(errors, payload.get("components") or [], v2)
        if v2 and (fields["content"] or fields["embeds"]):
            errors.add(
                ("content",) if fields["content"] else ("embeds",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using "
                "MessageFlags.IS_COMPONENTS_V2",
            )
        if "tts" in payload:
            fields["tts"] = bool(payload["tts"])
        if "allowed_mentions" in payload:
            fields["allowed_mentions"] = _check_allowed_mentions(
                errors, payload["allowed_mentions"]
            )
        if "attachments" in payload or files:
            fields["attachments"] = self._attachments(errors, payload, files, fields["attachments"])
        for key in ("sticker_ids", "poll", "message_reference"):
            if payload.get(key):
                fields[key] = _copy(payload[key])
        errors.raise_if_any()
        if not (
            fields["content"].strip()
            or fields["embeds"]
            or fields["components"]
            or fields["attachments"]
            or fields.get("sticker_ids")
            or fields.get("poll")
        ):
            raise Refusal(400, "Cannot send an empty message", 50006)
        mentions = self._mentions(fields["content"], fields["allowed_mentions"])
        fields.update(mentions)
        return fields

    def _attachments(
        self,
        errors: FormErrors,
        payload: Mapping[str, Any],
        files: list[tuple[str, str, bytes]],
        current: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Kept attachments (by id) and uploaded files (``files[n]`` parts)."""
        if len(files) > 10:
            errors.add(("files",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        uploads = {}
        for field_name, filename, data in files:
            index = (
                field_name[len("files[") : -1] if field_name.startswith("files[") else field_name
            )
            if len(data) > ATTACHMENT_SIZE_LIMIT:
                raise Refusal(413, "Request entity too large", 40005)
            attachment_id = self._snowflake()
            uploads[index] = {
                "id": attachment_id,
                "filename": filename,
                "size": len(data),
                "url": f"{self.url}/attachments/{attachment_id}/{filename}",
                "proxy_url": f"{self.url}/attachments/{attachment_id}/{filename}",
                "content_type": "application/octet-stream",
            }
        listed = payload.get("attachments")
        if listed is None:
            return [*current, *uploads.values()]
        by_id = {a["id"]: a for a in current}
        out = []
        for position, entry in enumerate(listed if isinstance(listed, list) else []):
            key = str(entry.get("id")) if isinstance(entry, dict) else ""
            if key in uploads:
                found = uploads[key]
                if entry.get("description"):
                    found["description"] = entry["description"]
                out.append(found)
            elif key in by_id:
                out.append(by_id[key])
            else:
                errors.add(
                    ("attachments", position, "id"), "ATTACHMENT_NOT_FOUND", "Unknown attachment"
                )
        return out

    def _mentions(self, content: str, allowed: Mapping[str, Any] | None) -> dict[str, Any]:
        """Who a message mentions, honouring ``allowed_mentions`` as Discord does when it
        fills ``mentions``, ``mention_roles`` and ``mention_everyone``."""
        parse = None if allowed is None else allowed.get("parse", [])
        users = [] if allowed is None else [str(u) for u in allowed.get("users", [])]
        roles = [] if allowed is None else [str(r) for r in allowed.get("roles", [])]
        found_users = [
            u
            for u in dict.fromkeys(_USER_MENTION.findall(content))
            if u in self._users and (parse is None or "users" in parse or u in users)
        ]
        found_roles = [
            r
            for r in dict.fromkeys(_ROLE_MENTION.findall(content))
            if r in self._roles and (parse is None or "roles" in parse or r in roles)
        ]
        everyone = bool(re.search(r"@(everyone|here)", content)) and (
            parse is None or "everyone" in parse
        )
        return {
            "mentions": [self._public_user(u) for u in found_users],
            "mention_roles": found_roles,
            "mention_everyone": everyone,
        }

    def _store_message(
        self,
        channel_id: str,
        fields: Mapping[str, Any],
        kind: int,
        *,
        pending: _Pending | None = None,
        author_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a new message; unless ephemeral, it joins its channel and is dispatched."""
        message_id = self._snowflake()
        channel = self._channels[channel_id]
        message: dict[str, Any] = {
            "type": kind,
            "content": fields["content"],
            "mentions": fields["mentions"],
            "mention_roles": fields["mention_roles"],
            "attachments": fields["attachments"],
            "embeds": fields["embeds"],
            "timestamp": iso(),
            "edited_timestamp": None,
            "flags": fields["flags"],
            "components": fields["components"],
            "id": message_id,
            "channel_id": channel_id,
            "author": self._public_user(author_id or self.bot_id),
            "pinned": False,
            "mention_everyone": fields["mention_everyone"],
            "tts": fields["tts"],
        }
        for key in ("sticker_ids", "poll", "nonce"):
            if fields.get(key):
                message[key] = fields[key]
        reference = fields.get("message_reference")
        if reference:
            message["message_reference"] = {"type": 0, "channel_id": channel_id, **reference}
            if kind == 0:
                message["type"] = 19  # REPLY
        if pending is not None:
            user = self._public_user(pending.user_id)
            message["webhook_id"] = self.application_id
            message["application_id"] = self.application_id
            metadata: dict[str, Any] = {
                "id": pending.id,
                "type": pending.kind,
                "user": user,
                "authorizing_integration_owners": {"0": self.guild_id},
            }
            if pending.kind == APPLICATION_COMMAND:
                metadata["name"] = _full_command_name(pending.payload["data"])
                message["interaction"] = {
                    "id": pending.id,
                    "type": pending.kind,
                    "name": metadata["name"],
                    "user": user,
                }
            if pending.source_message_id is not None:
                metadata["interacted_message_id"] = pending.source_message_id
            if pending.original_id is not None and pending.original_id != message_id:
                metadata["original_response_message_id"] = pending.original_id
            message["interaction_metadata"] = metadata
        if channel["type"] in THREAD_TYPES:
            message["position"] = channel["total_message_sent"]
        self._messages[message_id] = message
        self._allowed[message_id] = _copy(fields.get("allowed_mentions"))
        if fields["flags"] & FLAG_EPHEMERAL and pending is not None:
            self._ephemeral[message_id] = pending.user_id
        else:
            self._channel_messages[channel_id].append(message_id)
            channel["last_message_id"] = message_id
            if channel["type"] in THREAD_TYPES and kind not in (18, 21):
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
            self._dispatch_message("MESSAGE_CREATE", message)
        self._changed.notify_all()
        return message

    def _dispatch_message(self, event: str, message: Mapping[str, Any]) -> None:
        """MESSAGE_CREATE/UPDATE as the gateway sends them, with guild_id and member."""
        channel = self._channels[message["channel_id"]]
        data = _copy(message)
        if channel["type"] == DM:
            self._dispatch(event, data, INTENT_DIRECT_MESSAGES)
            return
        data["guild_id"] = self.guild_id
        if message["author"]["id"] in self._members and "webhook_id" not in message:
            member = self._member_json(message["author"]["id"])
            del member["user"]
            data["member"] = member
        for user in data["mentions"]:
            if user["id"] in self._members:
                member = self._member_json(user["id"])
                del member["user"]
                user["member"] = member
        self._dispatch(event, data, INTENT_GUILD_MESSAGES)

    def _edit_message(
        self,
        message_id: str,
        payload: Mapping[str, Any],
        files: list[tuple[str, str, bytes]],
        *,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Edit a message in place. ``replace``: the first edit (or followup) of a deferral,
        which fills the LOADING message without marking it edited."""
        message = self._messages[message_id]
        fields = self._compose(payload, files, message, FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2)
        for key in _FIELDS:
            if key in ("tts", "allowed_mentions", "message_reference"):
                continue
            if fields.get(key) is not None:
                message[key] = fields[key]
        for key in ("mentions", "mention_roles", "mention_everyone"):
            message[key] = fields[key]
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = None if replace else iso()
        if "allowed_mentions" in payload:
            self._allowed[message_id] = _copy(fields["allowed_mentions"])
        if message_id not in self._ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", message)
        self._changed.notify_all()
        return message

    def _delete_message(self, message_id: str) -> None:
        message = self._messages.pop(message_id)
        self._ephemeral.pop(message_id, None)
        ids = self._channel_messages.get(message["channel_id"], [])
        if message_id in ids:
            ids.remove(message_id)
            data = {"id": message_id, "channel_id": message["channel_id"]}
            if self._channels[message["channel_id"]]["type"] != DM:
                data["guild_id"] = self.guild_id
                self._dispatch("MESSAGE_DELETE", data, INTENT_GUILD_MESSAGES)
            else:
                self._dispatch("MESSAGE_DELETE", data, INTENT_DIRECT_MESSAGES)
        self._changed.notify_all()

    # routes: channels and messages

    def _channel(self, ctx: _Ctx) -> dict[str, Any]:
        channel = self._channels.get(ctx.params["channel_id"])
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def _channel_message(self, ctx: _Ctx) -> dict[str, Any]:
        channel = self._channel(ctx)
        message_id = ctx.params["message_id"]
        if message_id not in self._channel_messages[channel["id"]]:
            raise unknown("Message", 10008)
        return self._messages[message_id]

    @_route("GET", "/channels/{channel_id}")
    def _get_channel(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._channel(ctx)))

    @_route("PATCH", "/channels/{channel_id}")
    def _edit_channel(self, ctx: _Ctx) -> _Reply:
        """Rename a channel or thread; archive, lock or unarchive a thread."""
        channel = self._channel(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = FormErrors()
        if "name" in body:
            errors.length(("name",), body["name"], 1, 100, required=True)
        if "topic" in body and body["topic"] is not None:
            errors.length(("topic",), body["topic"], 0, 1024, required=False)
        threadish = channel["type"] in THREAD_TYPES
        if "auto_archive_duration" in body and body["auto_archive_duration"] not in _ARCHIVE:
            errors.add(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            )
        errors.raise_if_any()
        for key in ("name", "topic", "rate_limit_per_user"):
            if key in body:
                channel[key] = body[key]
        if threadish:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = iso()
            self._dispatch("THREAD_UPDATE", _copy(channel), INTENT_GUILDS)
        elif channel["type"] == GUILD_TEXT:
            self._dispatch("CHANNEL_UPDATE", _copy(channel), INTENT_GUILDS)
        return _Reply(200, _copy(channel))

    @_route("GET", "/channels/{channel_id}/messages")
    def _list_messages(self, ctx: _Ctx) -> _Reply:
        channel = self._channel(ctx)
        limit = int(ctx.query.get("limit", "50")) if ctx.query.get("limit", "50").isdigit() else 0
        if not 1 <= limit <= 100:
            raise Refusal(
                400,
                "Invalid Form Body",
                50035,
                errors={
                    "limit": {
                        "_errors": [
                            {
                                "code": "NUMBER_TYPE_MAX",
                                "message": "int value should be less than or equal to 100.",
                            }
                        ]
                    }
                },
            )
        ids = self._channel_messages[channel["id"]]
        if "before" in ctx.query:
            ids = [i for i in ids if int(i) < int(ctx.query["before"])]
        if "after" in ctx.query:
            ids = [i for i in ids if int(i) > int(ctx.query["after"])][:limit]
        newest_first = list(reversed(ids))[:limit]
        return _Reply(200, [_copy(self._messages[i]) for i in newest_first])

    @_route("POST", "/channels/{channel_id}/messages")
    def _create_message(self, ctx: _Ctx) -> _Reply:
        channel = self._channel(ctx)
        if channel["type"] == DM and channel["recipients"][0]["id"] in self._closed_dms:
            raise Refusal(403, "Cannot send messages to this user", 50007)
        if channel["type"] in THREAD_TYPES and channel["thread_metadata"]["locked"]:
            raise MISSING_PERMISSIONS
        body = ctx.body if isinstance(ctx.body, dict) else {}
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            target = str(reference["message_id"])
            if target not in self._channel_messages[channel["id"]]:
                errors = FormErrors()
                errors.add(
                    ("message_reference",),
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                )
                errors.raise_if_any()
        nonce = body.get("nonce")
        key = (channel["id"], str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            # Discord answers a repeated nonce (within a few minutes) with the first message.
            message_id, when = self._nonces.get(key, ("", 0.0))
            if message_id in self._messages and time.monotonic() - when < 300:
                return _Reply(200, _copy(self._messages[message_id]))
        fields = self._compose(body, ctx.files, None, SENDABLE_FLAGS)
        if nonce is not None:
            fields["nonce"] = nonce
        if channel["type"] in THREAD_TYPES and channel["thread_metadata"]["archived"]:
            # Sending in an archived (unlocked) thread unarchives it, as on Discord.
            channel["thread_metadata"]["archived"] = False
            self._dispatch("THREAD_UPDATE", _copy(channel), INTENT_GUILDS)
        message = self._store_message(channel["id"], fields, 0)
        if nonce is not None:
            self._nonces[key] = (message["id"], time.monotonic())
        return _Reply(200, _copy(message))

    @_route("GET", "/channels/{channel_id}/messages/{message_id}")
    def _get_message(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._channel_message(ctx)))

    @_route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    def _patch_message(self, ctx: _Ctx) -> _Reply:
        message = self._channel_message(ctx)
        if message["author"]["id"] != self.bot_id:
            raise Refusal(403, "Cannot edit a message authored by another user", 50005)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        return _Reply(200, _copy(self._edit_message(message["id"], body, ctx.files)))

    @_route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    def _remove_message(self, ctx: _Ctx) -> _Reply:
        self._delete_message(self._channel_message(ctx)["id"])
        return _Reply(204, None)

    @_route("POST", "/channels/{channel_id}/typing")
    def _typing(self, ctx: _Ctx) -> _Reply:
        self._channel(ctx)
        return _Reply(204, None)

    # routes: threads

    def _check_thread(self, body: Any, *, needs_type: bool) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        errors = FormErrors()
        errors.length(("name",), body.get("name"), 1, 100, required=True)
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in _ARCHIVE:
            errors.add(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            )
        slow = body.get("rate_limit_per_user")
        if slow is not None and not (isinstance(slow, int) and 0 <= slow <= 21600):
            errors.add(
                ("rate_limit_per_user",),
                "NUMBER_TYPE_MAX",
                "int value should be less than or equal to 21600.",
            )
        if needs_type and body.get("type") not in THREAD_TYPES:
            # API v10 requires the type of a thread created without a message.
            if body.get("type") is None:
                errors.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
        errors.raise_if_any()
        return body

    def _new_thread(
        self, thread_id: str, parent: Mapping[str, Any], body: Mapping[str, Any], kind: int
    ) -> dict[str, Any]:
        now = iso()
        metadata: dict[str, Any] = {
            "archived": False,
            "auto_archive_duration": body.get("auto_archive_duration") or 4320,
            "archive_timestamp": now,
            "locked": False,
            "create_timestamp": now,
        }
        if kind == PRIVATE_THREAD:
            metadata["invitable"] = body.get("invitable", True) is not False
        thread = {
            "id": thread_id,
            "type": kind,
            "guild_id": self.guild_id,
            "parent_id": parent["id"],
            "owner_id": self.bot_id,
            "name": body["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "flags": 0,
            "total_message_sent": 0,
            "thread_metadata": metadata,
        }
        self._channels[thread_id] = thread
        self._channel_messages[thread_id] = []
        created = {
            **_copy(thread),
            "newly_created": True,
            "member": {"id": thread_id, "user_id": self.bot_id, "join_timestamp": now, "flags": 1},
        }
        self._dispatch("THREAD_CREATE", created, INTENT_GUILDS)
        return thread

    @_route("POST", "/channels/{channel_id}/messages/{message_id}/threads", bucket=None)
    def _thread_from_message(self, ctx: _Ctx) -> _Reply:
        """A public thread on a message: its id is the message's id, as on Discord."""
        channel = self._channel(ctx)
        if channel["type"] != GUILD_TEXT:
            raise Refusal(400, "Cannot execute action on this channel type", 50024)
        message = self._channel_message(ctx)
        if message["id"] in self._channels:
            raise Refusal(400, "A thread has already been created for this message", 160004)
        body = self._check_thread(ctx.body, needs_type=False)
        thread = self._new_thread(message["id"], channel, body, PUBLIC_THREAD)
        message["flags"] |= FLAG_HAS_THREAD
        message["thread"] = _copy(thread)
        self._dispatch_message("MESSAGE_UPDATE", message)
        # The thread opens with a THREAD_STARTER_MESSAGE (type 21) pointing at the message.
        starter = _empty_fields()
        starter["message_reference"] = {
            "type": 0,
            "channel_id": channel["id"],
            "guild_id": self.guild_id,
            "message_id": message["id"],
        }
        self._store_message(thread["id"], starter, 21, author_id=message["author"]["id"])
        return _Reply(201, _copy(thread))

    @_route("POST", "/channels/{channel_id}/threads")
    def _thread_without_message(self, ctx: _Ctx) -> _Reply:
        """A thread with no starter message; a public one announces itself in its channel with a
        THREAD_CREATED (type 18) message, as on Discord."""
        channel = self._channel(ctx)
        if channel["type"] != GUILD_TEXT:
            raise Refusal(400, "Cannot execute action on this channel type", 50024)
        body = self._check_thread(ctx.body, needs_type=True)
        thread = self._new_thread(self._snowflake(), channel, body, body["type"])
        if thread["type"] == PUBLIC_THREAD:
            notice = _empty_fields()
            notice["content"] = thread["name"]
            notice["message_reference"] = {
                "type": 0,
                "channel_id": thread["id"],
                "guild_id": self.guild_id,
            }
            self._store_message(channel["id"], notice, 18)
        return _Reply(201, _copy(thread))

    # routes: the guild, its members and roles

    def _guild(self, ctx: _Ctx) -> None:
        if ctx.params["guild_id"] != self.guild_id:
            raise unknown("Guild", 10004)

    @_route("GET", "/guilds/{guild_id}")
    def _get_guild(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        guild = self._guild_json()
        if ctx.query.get("with_counts", "").lower() == "true":
            guild["approximate_member_count"] = len(self._members)
            guild["approximate_presence_count"] = 0
        return _Reply(200, guild)

    @_route("GET", "/guilds/{guild_id}/channels")
    def _get_channels(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        return _Reply(200, [_copy(c) for c in self._channels.values() if c["type"] == GUILD_TEXT])

    @_route("GET", "/guilds/{guild_id}/roles")
    def _get_roles(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        return _Reply(200, [_copy(self._roles[r]) for r in self._role_order])

    @_route("GET", "/guilds/{guild_id}/members")
    def _list_members(self, ctx: _Ctx) -> _Reply:
        """List members, by id after ``after``; needs the members intent enabled."""
        self._guild(ctx)
        if not self.members_intent:
            raise Refusal(403, "Missing Access", 50001)
        raw_limit, after = ctx.query.get("limit", "1"), ctx.query.get("after", "0")
        limit = int(raw_limit) if raw_limit.isdigit() else -1
        errors = FormErrors()
        if not 1 <= limit <= 1000:
            errors.add(
                ("limit",), "NUMBER_TYPE_MAX", "int value should be less than or equal to 1000."
            )
        if not after.isdigit():
            errors.add(("after",), "NUMBER_TYPE_COERCE", f'Value "{after}" is not snowflake.')
        errors.raise_if_any()
        ids = [u for u in sorted(self._members, key=int) if int(u) > int(after)][:limit]
        return _Reply(200, [self._member_json(u) for u in ids])

    @_route("GET", "/guilds/{guild_id}/members/{user_id}")
    def _get_member(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        if ctx.params["user_id"] not in self._members:
            raise unknown("Member", 10007)
        return _Reply(200, self._member_json(ctx.params["user_id"]))

    def _role_change(self, ctx: _Ctx) -> tuple[_Member, str]:
        """The member and role of a role change the bot may make: the role exists and is below
        the bot's highest role, and the member exists."""
        self._guild(ctx)
        role_id = ctx.params["role_id"]
        if role_id not in self._roles:
            raise unknown("Role", 10011)
        if ctx.params["user_id"] not in self._members:
            raise unknown("Member", 10007)
        role = self._roles[role_id]
        if (
            role_id == self.guild_id
            or role["managed"]
            or role["position"] >= self._top_position(self.bot_id)
        ):
            raise MISSING_PERMISSIONS
        return self._members[ctx.params["user_id"]], role_id

    @_route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    def _add_member_role(self, ctx: _Ctx) -> _Reply:
        member, role_id = self._role_change(ctx)
        if role_id not in member.roles:
            member.roles.append(role_id)
            self._member_updated(member.user_id)
        return _Reply(204, None)

    @_route(
        "DELETE",
        "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
        bucket="PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
    )
    def _remove_member_role(self, ctx: _Ctx) -> _Reply:
        member, role_id = self._role_change(ctx)
        if role_id in member.roles:
            member.roles.remove(role_id)
            self._member_updated(member.user_id)
        return _Reply(204, None)

    # routes: direct messages

    @_route("POST", "/users/@me/channels")
    def _open_dm(self, ctx: _Ctx) -> _Reply:
        """The DM channel with a user (the same one every time)."""
        body = ctx.body if isinstance(ctx.body, dict) else {}
        recipient = body.get("recipient_id")
        if not _is_snowflake(recipient):
            errors = FormErrors()
            errors.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
        user_id = str(recipient)
        if user_id not in self._users:
            raise unknown("User", 10013)
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            channel_id = self._snowflake()
            self._channels[channel_id] = {
                "id": channel_id,
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self._public_user(user_id)],
            }
            self._channel_messages[channel_id] = []
            self._dm_channels[user_id] = channel_id
        return _Reply(200, _copy(self._channels[channel_id]))

    # routes: scheduled events

    def _event(self, ctx: _Ctx) -> dict[str, Any]:
        self._guild(ctx)
        event = self._events.get(ctx.params["event_id"])
        if event is None:
            raise unknown("Guild Scheduled Event", 10070)
        return event

    def _check_event(self, body: Mapping[str, Any], base: Mapping[str, Any] | None) -> None:
        errors = FormErrors()
        merged = {**(base or {}), **body}
        errors.length(("name",), merged.get("name"), 1, 100, required=True)
        if merged.get("description") is not None:
            errors.length(("description",), merged["description"], 0, 1000, required=False)
        if merged.get("privacy_level") != 2:
            errors.add(("privacy_level",), "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        kind = merged.get("entity_type")
        start, end = (
            _parse_time(merged.get("scheduled_start_time")),
            _parse_time(merged.get("scheduled_end_time")),
        )
        if start is None:
            errors.add(("scheduled_start_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif base is None and start < time.time():
            errors.add(
                ("scheduled_start_time",),
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        if start is not None and end is not None and end <= start:
            errors.add(
                ("scheduled_end_time",),
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule event to end before starting.",
            )
        if kind == 3:
            location = (merged.get("entity_metadata") or {}).get("location")
            errors.length(("entity_metadata", "location"), location, 1, 100, required=True)
            if end is None:
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
            if merged.get("channel_id") is not None:
                errors.add(
                    ("channel_id",), "GUILD_SCHEDULED_EVENT_INVALID_CHANNEL", "Invalid channel"
                )
        elif kind in (1, 2):
            # Stage and voice events need such a channel; this guild has none.
            errors.add(("channel_id",), "GUILD_SCHEDULED_EVENT_INVALID_CHANNEL", "Invalid channel")
        else:
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        errors.raise_if_any()

    @_route("GET", "/guilds/{guild_id}/scheduled-events")
    def _list_events(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        return _Reply(200, [_copy(e) for e in self._events.values()])

    @_route("POST", "/guilds/{guild_id}/scheduled-events")
    def _create_event(self, ctx: _Ctx) -> _Reply:
        self._guild(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        self._check_event(body, None)
        event_id = self._snowflake()
        event = {
            "id": event_id,
            "guild_id": self.guild_id,
            "channel_id": None,
            "creator_id": self.bot_id,
            "creator": self._public_user(self.bot_id),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": 2,
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": _copy(body.get("entity_metadata")),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        self._events[event_id] = event
        self._dispatch("GUILD_SCHEDULED_EVENT_CREATE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return _Reply(200, _copy(event))

    @_route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
    def _get_event(self, ctx: _Ctx) -> _Reply:
        return _Reply(200, _copy(self._event(ctx)))

    @_route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
    def _edit_event(self, ctx: _Ctx) -> _Reply:
        """Edit an event; status moves only scheduled -> active/canceled, active -> completed."""
        event = self._event(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        status = body.get("status")
        if status is not None and (event["status"], status) not in ((1, 2), (1, 4), (2, 3)):
            errors = FormErrors()
            errors.add(
                ("status",),
                "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                "Invalid status transition",
            )
            errors.raise_if_any()
        self._check_event(body, event)
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "entity_metadata",
            "status",
        ):
            if key in body:
                event[key] = _copy(body[key])
        self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return _Reply(200, _copy(event))

    @_route("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
    def _delete_event(self, ctx: _Ctx) -> _Reply:
        event = self._event(ctx)
        del self._events[event["id"]]
        self._dispatch("GUILD_SCHEDULED_EVENT_DELETE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return _Reply(204, None)


# --- request plumbing -------------------------------------------------------------------------

_ARCHIVE = (60, 1440, 4320, 10080)
_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_FIELDS = (
    "content",
    "embeds",
    "components",
    "attachments",
    "flags",
    "tts",
    "allowed_mentions",
    "sticker_ids",
    "poll",
    "message_reference",
)


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, str, bytes]], bool]:
    """The JSON body (or a multipart ``payload_json``), the uploaded files, and whether the
    body could not be read as JSON."""
    files: list[tuple[str, str, bytes]] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while True:
            part: Any = await reader.next()
            if part is None:
                break
            data = await part.read(decode=False)
            if part.name == "payload_json":
                try:
                    body = json.loads(data)
                except ValueError:
                    return None, files, True
            else:
                files.append((part.name or "", part.filename or "file", bytes(data)))
        return body, files, False
    raw = await request.read()
    if not raw:
        return None, files, False
    try:
        return json.loads(raw), files, False
    except ValueError:
        return raw.decode("utf-8", errors="replace"), files, True


def _match(method: str, path: str) -> tuple[_Route, dict[str, str]]:
    """The route serving ``method path`` (literal segments such as ``@me`` win over
    parameters); 405 when only another method is served there, else 404."""
    allowed = False
    if len(_SORTED_ROUTES) != len(_ROUTES):
        _SORTED_ROUTES[:] = sorted(_ROUTES, key=lambda r: r.template.count("{"))
    for route in _SORTED_ROUTES:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict()
        allowed = True
    if allowed:
        raise Refusal(405, "405: Method Not Allowed", 0)
    raise Refusal(404, "404: Not Found", 0)


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --- message validation -----------------------------------------------------------------------


def _empty_fields() -> dict[str, Any]:
    return {
        "content": "",
        "embeds": [],
        "components": [],
        "attachments": [],
        "flags": 0,
        "tts": False,
        "allowed_mentions": None,
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
    }


def _base_v2(message: Mapping[str, Any]) -> bool:
    return bool(message.get("flags", 0) & FLAG_COMPONENTS_V2)


def _check_embeds(errors: FormErrors, embeds: Any) -> list[dict[str, Any]]:
    """Discord's embed limits: 10 embeds, 6000 characters across them, and per-field limits."""
    items = errors.count(("embeds",), embeds, 0, 10)
    total = 0
    out = []
    for index, embed in enumerate(items):
        path: tuple[str | int, ...] = ("embeds", index)
        if not isinstance(embed, dict):
            errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errors.length((*path, "title"), embed.get("title"), 0, 256, required=False)
        errors.length((*path, "description"), embed.get("description"), 0, 4096, required=False)
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        fields = errors.count((*path, "fields"), embed.get("fields") or [], 0, 25)
        for j, one in enumerate(fields):
            spot = (*path, "fields", j)
            if not isinstance(one, dict):
                errors.add(spot, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                continue
            errors.length((*spot, "name"), one.get("name"), 1, 256, required=True)
            errors.length((*spot, "value"), one.get("value"), 1, 1024, required=True)
            total += len(str(one.get("name") or "")) + len(str(one.get("value") or ""))
        for key, inner, most in (("footer", "text", 2048), ("author", "name", 256)):
            part = embed.get(key)
            if part is None:
                continue
            if not isinstance(part, dict):
                errors.add(
                    (*path, key), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
                )
                continue
            errors.length((*path, key, inner), part.get(inner), 1, most, required=True)
            total += len(str(part.get(inner) or ""))
        stored = _copy(embed)
        stored.setdefault("type", "rich")
        for one in stored.get("fields") or []:
            if isinstance(one, dict):
                one.setdefault("inline", False)
        out.append(stored)
    if total > 6000:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    return out


def _bad_type(errors: FormErrors, path: tuple[str | int, ...], allowed: Iterable[int]) -> None:
    choices = ", ".join(str(a) for a in allowed)
    errors.add(
        (*path, "type"), "UNION_TYPE_CHOICES", f'Value of field "type" must be one of ({choices}).'
    )


def _check_custom_id(
    errors: FormErrors, path: tuple[str | int, ...], item: Mapping[str, Any], seen: set[str]
) -> None:
    custom_id = item.get("custom_id")
    errors.length((*path, "custom_id"), custom_id, 1, 100, required=True)
    if isinstance(custom_id, str):
        if custom_id in seen:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def _check_button(
    errors: FormErrors, path: tuple[str | int, ...], button: Mapping[str, Any], seen: set[str]
) -> None:
    """Buttons: a style 1-6; link buttons (5) take a url and no custom_id, premium ones (6) a
    sku_id; the others a custom_id; labels up to 80 characters."""
    style = button.get("style")
    if style not in (1, 2, 3, 4, LINK_STYLE, PREMIUM_STYLE):
        errors.add(
            (*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}."
        )
        return
    if button.get("label") is not None:
        errors.length((*path, "label"), button["label"], 0, 80, required=False)
    # The inner codes below are best guesses at Discord's; the 50035 shape is its.
    if style == LINK_STYLE:
        errors.length((*path, "url"), button.get("url"), 1, 512, required=True)
        if button.get("custom_id") is not None:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_LINK_CUSTOM_ID",
                "A link button cannot have a custom id",
            )
    elif style == PREMIUM_STYLE:
        if not _is_snowflake(button.get("sku_id")):
            errors.add((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
    else:
        _check_custom_id(errors, path, button, seen)
        if button.get("url") is not None:
            errors.add(
                (*path, "url"), "BUTTON_COMPONENT_URL_NOT_LINK", "Only link buttons can have a url"
            )
    if style != PREMIUM_STYLE and not button.get("label") and not button.get("emoji"):
        errors.add(
            (*path, "label"),
            "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
            "A label or an emoji is required",
        )


def _check_select(
    errors: FormErrors, path: tuple[str | int, ...], select: Mapping[str, Any], seen: set[str]
) -> None:
    """Selects: custom_id, placeholder up to 150, 0-25 min and 1-25 max values; a string select
    holds 1-25 options with distinct values and labels/values up to 100 characters."""
    _check_custom_id(errors, path, select, seen)
    if select.get("placeholder") is not None:
        errors.length((*path, "placeholder"), select["placeholder"], 0, 150, required=False)
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not isinstance(low, int) or not 0 <= low <= 25:
        errors.add(
            (*path, "min_values"),
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 25.",
        )
    if not isinstance(high, int) or not 1 <= high <= 25:
        errors.add(
            (*path, "max_values"),
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 25.",
        )
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add(
            (*path, "min_values"),
            "SELECT_COMPONENT_MIN_VALUES_TOO_LARGE",
            "min_values must be less than or equal to max_values",
        )
    if select.get("type") != STRING_SELECT:
        return
    options = errors.count((*path, "options"), select.get("options"), 1, 25)
    values: set[Any] = set()
    for index, option in enumerate(options):
        spot = (*path, "options", index)
        if not isinstance(option, dict):
            errors.add(spot, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errors.length((*spot, "label"), option.get("label"), 1, 100, required=True)
        errors.length((*spot, "value"), option.get("value"), 1, 100, required=True)
        if option.get("description") is not None:
            errors.length((*spot, "description"), option["description"], 0, 100, required=False)
        if option.get("value") in values:
            errors.add(
                (*spot, "value"),
                "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                "Select option values must be unique",
            )
        values.add(option.get("value"))
    if isinstance(high, int) and options and high > len(options):
        errors.add(
            (*path, "max_values"),
            "SELECT_COMPONENT_MAX_VALUES_TOO_LARGE",
            f"max_values must be less than or equal to {len(options)}",
        )


def _check_text_input(
    errors: FormErrors,
    path: tuple[str | int, ...],
    item: Mapping[str, Any],
    seen: set[str],
    *,
    labelled: bool,
) -> None:
    """A modal's text input: custom_id, style 1 or 2, its own label (1-45) unless a label
    component wraps it, lengths within 0-4000."""
    _check_custom_id(errors, path, item, seen)
    if item.get("style") not in (1, 2):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    if labelled:
        if item.get("label") is not None:
            errors.add(
                (*path, "label"),
                "TEXT_INPUT_LABEL_IN_LABEL",
                "A text input inside a label cannot have a label",
            )
    else:
        errors.length((*path, "label"), item.get("label"), 1, 45, required=True)
    low, high = item.get("min_length"), item.get("max_length")
    if low is not None and not (isinstance(low, int) and 0 <= low <= 4000):
        errors.add(
            (*path, "min_length"),
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 4000.",
        )
    if high is not None and not (isinstance(high, int) and 1 <= high <= 4000):
        errors.add(
            (*path, "max_length"),
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 4000.",
        )
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add(
            (*path, "min_length"),
            "TEXT_INPUT_MIN_LENGTH_TOO_LARGE",
            "min_length must be less than or equal to max_length",
        )
    if item.get("placeholder") is not None:
        errors.length((*path, "placeholder"), item["placeholder"], 0, 100, required=False)
    if item.get("value") is not None:
        errors.length((*path, "value"), item["value"], 0, 4000, required=False)


def _check_row(
    errors: FormErrors, path: tuple[str | int, ...], row: Mapping[str, Any], seen: set[str]
) -> None:
    """An action row: 1-5 buttons, or exactly one select."""
    children = errors.count((*path, "components"), row.get("components"), 1, 5)
    kinds = [c.get("type") for c in children if isinstance(c, dict)]
    if any(k in SELECT_TYPES for k in kinds) and len(children) > 1:
        errors.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    for index, child in enumerate(children):
        spot = (*path, "components", index)
        if isinstance(child, dict) and child.get("type") == BUTTON:
            _check_button(errors, spot, child, seen)
        elif isinstance(child, dict) and child.get("type") in SELECT_TYPES:
            _check_select(errors, spot, child, seen)
        else:
            _bad_type(errors, spot, (BUTTON, *SELECT_TYPES))


def _check_v2(
    errors: FormErrors,
    path: tuple[str | int, ...],
    item: Any,
    seen: set[str],
    allowed: Iterable[int],
    tally: list[int],
) -> None:
    """One layout component of a components-v2 message, recursively."""
    tally[0] += 1
    if not isinstance(item, dict) or item.get("type") not in tuple(allowed):
        _bad_type(errors, path, allowed)
        return
    kind = item["type"]
    if kind == ACTION_ROW:
        tally[0] += len(item.get("components") or [])
        _check_row(errors, path, item, seen)
    elif kind == TEXT_DISPLAY:
        errors.length((*path, "content"), item.get("content"), 1, 4000, required=True)
        tally[1] += len(item.get("content") or "")
    elif kind == SECTION:
        texts = errors.count((*path, "components"), item.get("components"), 1, 3)
        for index, text in enumerate(texts):
            _check_v2(errors, (*path, "components", index), text, seen, (TEXT_DISPLAY,), tally)
        accessory = item.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == BUTTON:
            tally[0] += 1
            _check_button(errors, (*path, "accessory"), accessory, seen)
        else:
            _check_v2(errors, (*path, "accessory"), accessory, seen, (THUMBNAIL,), tally)
    elif kind == CONTAINER:
        inner = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE_COMPONENT, SEPARATOR)
        children = errors.count((*path, "components"), item.get("components"), 1, 40)
        for index, child in enumerate(children):
            _check_v2(errors, (*path, "components", index), child, seen, inner, tally)
    elif kind in (THUMBNAIL, FILE_COMPONENT):
        key = "media" if kind == THUMBNAIL else "file"
        media = item.get(key)
        if not isinstance(media, dict) or not media.get("url"):
            errors.add((*path, key, "url"), "BASE_TYPE_REQUIRED", "This field is required")
    elif kind == MEDIA_GALLERY:
        errors.count((*path, "items"), item.get("items"), 1, 10)
    elif kind == SEPARATOR and item.get("spacing", 1) not in (1, 2):
        errors.add((*path, "spacing"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")


def _check_components(errors: FormErrors, components: Any, v2: bool) -> list[dict[str, Any]]:
    """A message's components: up to 5 action rows (classic), or up to 40 components in all
    with at most 4000 characters of text (with the IS_COMPONENTS_V2 flag); custom ids unique."""
    seen: set[str] = set()
    if v2:
        top = errors.count(("components",), components, 1, 40)
        tally = [0, 0]
        for index, item in enumerate(top):
            _check_v2(errors, ("components", index), item, seen, V2_TOP_LEVEL, tally)
        if tally[0] > 40:
            errors.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
        if tally[1] > 4000:
            errors.add(
                ("components",),
                "COMPONENT_MAX_TEXT_LENGTH_EXCEEDED",
                "The total text length must be 4000 or fewer.",
            )
    else:
        top = errors.count(("components",), components, 0, 5)
        for index, row in enumerate(top):
            if isinstance(row, dict) and row.get("type") == ACTION_ROW:
                _check_row(errors, ("components", index), row, seen)
            else:
                _bad_type(errors, ("components", index), (ACTION_ROW,))
    out = _copy(top)
    _assign_ids(out)
    return out


def _walk_components(components: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for item in components:
        if not isinstance(item, dict):
            continue
        yield item
        yield from _walk_components(item.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(item.get(key), dict):
                yield from _walk_components([item[key]])


def _assign_ids(components: list[Any]) -> None:
    """Number components without an ``id`` in tree order, skipping ids already used, as
    Discord does."""
    items = list(_walk_components(components))
    used = {c["id"] for c in items if isinstance(c.get("id"), int)}
    counter = itertools.count(1)
    for item in items:
        if not isinstance(item.get("id"), int):
            number = next(counter)
            while number in used:
                number = next(counter)
            item["id"] = number
            used.add(number)


def _find_component(components: Iterable[Any], custom_id: str) -> dict[str, Any] | None:
    return next((c for c in _walk_components(components) if c.get("custom_id") == custom_id), None)


def _check_allowed_mentions(errors: FormErrors, value: Any) -> dict[str, Any] | None:
    """``parse`` holds users/roles/everyone, and may not name a kind that is also listed."""
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.add(
            ("allowed_mentions",),
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        )
        return None
    parse = value.get("parse", [])
    for index, kind in enumerate(parse if isinstance(parse, list) else []):
        if kind not in ("users", "roles", "everyone"):
            errors.add(
                ("allowed_mentions", "parse", index),
                "BASE_TYPE_CHOICES",
                "Value must be one of ('roles', 'users', 'everyone').",
            )
    for kind in ("users", "roles"):
        listed = value.get(kind) or []
        if listed and kind in parse:
            errors.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if len(listed) > 100:
            errors.add(
                ("allowed_mentions", kind),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            )
    return _copy(value)


# --- modals as a member fills them ------------------------------------------------------------


def _modal_inputs(modal: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's inputs (text inputs and selects) by custom id."""
    return {
        c["custom_id"]: c
        for c in _walk_components(modal.get("components") or [])
        if c.get("type") in (TEXT_INPUT, STRING_SELECT) and "custom_id" in c
    }


def _filled(item: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """One input as submitted, checked as Discord's client checks it before sending."""
    custom_id = item["custom_id"]
    required = item.get("required", True) is not False
    if item["type"] == STRING_SELECT:
        chosen = values.get(custom_id)
        picked = [] if chosen in (None, "") else [chosen]
        allowed = [o.get("value") for o in item.get("options", [])]
        if required and not picked:
            raise ValueError(f"the select {custom_id!r} is required")
        if any(p not in allowed for p in picked):
            raise ValueError(f"{chosen!r} is not an option of {custom_id!r}")
        return {
            "type": STRING_SELECT,
            "id": item.get("id"),
            "custom_id": custom_id,
            "values": picked,
        }
    value = values.get(custom_id, item.get("value") or "")
    if required and not value:
        raise ValueError(f"the input {custom_id!r} is required")
    low, high = item.get("min_length") or 0, item.get("max_length") or 4000
    if value and not low <= len(value) <= high:
        raise ValueError(f"the input {custom_id!r} takes {low} to {high} characters")
    return {"type": TEXT_INPUT, "id": item.get("id"), "custom_id": custom_id, "value": value}


def _submitted(component: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A modal's top-level component as MODAL_SUBMIT data carries it."""
    kind = component.get("type")
    if kind == ACTION_ROW:
        inner = [_filled(c, values) for c in component.get("components", [])]
        return {"type": ACTION_ROW, "id": component.get("id"), "components": inner}
    if kind == LABEL:
        return {
            "type": LABEL,
            "id": component.get("id"),
            "component": _filled(component["component"], values),
        }
    return {"type": kind, "id": component.get("id")}


# --- application commands ---------------------------------------------------------------------


def _check_name(errors: FormErrors, path: tuple[str | int, ...], name: Any) -> None:
    if not isinstance(name, str) or not COMMAND_NAME.fullmatch(name) or name != name.lower():
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def _check_options(
    errors: FormErrors, path: tuple[str | int, ...], options: Any, level: int
) -> None:
    """Options at ``level`` 0 (the command), 1 (a subcommand group: only subcommands) or 2 (a
    subcommand: only values). At most 25; names unique; subcommands and values not mixed;
    required values before optional ones; at most 25 choices."""
    if options is None:
        return
    items = errors.count(path, options, 0, 25)
    names: set[Any] = set()
    optional_seen = False
    nested = plain = False
    for index, option in enumerate(items):
        spot = (*path, index)
        if not isinstance(option, dict):
            errors.add(spot, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        kind, name = option.get("type"), option.get("name")
        _check_name(errors, (*spot, "name"), name)
        errors.length((*spot, "description"), option.get("description"), 1, 100, required=True)
        if name in names:
            errors.add(
                (*spot, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(name)
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            nested = True
            if level == 2 or (level == 1 and kind == SUB_COMMAND_GROUP):
                errors.add(
                    (*spot, "type"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Subcommands cannot nest here",
                )
                continue
            _check_options(errors, (*spot, "options"), option.get("options"), 2 if kind == 1 else 1)
            continue
        if kind not in range(3, 12):
            errors.add((*spot, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, ..., 11}.")
            continue
        plain = True
        if level == 1:
            errors.add(
                (*spot, "type"),
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                "A group holds only subcommands",
            )
        if option.get("required"):
            if optional_seen:
                errors.add(
                    (*spot, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        _check_option_values(errors, spot, option)
    if nested and plain:
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all "
            "other types",
        )


def _check_option_values(
    errors: FormErrors, spot: tuple[str | int, ...], option: Mapping[str, Any]
) -> None:
    kind = option["type"]
    choices = option.get("choices")
    if choices:
        listed = errors.count((*spot, "choices"), choices, 0, 25)
        for j, choice in enumerate(listed):
            where = (*spot, "choices", j)
            if not isinstance(choice, dict):
                errors.add(
                    where, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
                )
                continue
            errors.length((*where, "name"), choice.get("name"), 1, 100, required=True)
            value = choice.get("value")
            if kind == OPT_STRING:
                errors.length((*where, "value"), value, 1, 100, required=True)
            elif kind in (OPT_INTEGER, OPT_NUMBER):
                numeric = int if kind == OPT_INTEGER else (int, float)
                if isinstance(value, bool) or not isinstance(value, numeric):
                    errors.add(
                        (*where, "value"), "NUMBER_TYPE_COERCE", f'Value "{value}" is not a number.'
                    )
            else:
                errors.add(
                    (*spot, "choices"),
                    "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                    "This option type takes no choices",
                )
        if option.get("autocomplete"):
            errors.add(
                (*spot, "autocomplete"),
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES",
                "Autocomplete cannot be used with choices",
            )
    if option.get("autocomplete") and kind not in (OPT_STRING, OPT_INTEGER, OPT_NUMBER):
        errors.add(
            (*spot, "autocomplete"),
            "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID",
            "Only strings and numbers autocomplete",
        )
    for key in ("min_length", "max_length"):
        if option.get(key) is not None:
            value = option[key]
            low = 0 if key == "min_length" else 1
            if kind != OPT_STRING or not isinstance(value, int) or not low <= value <= 6000:
                errors.add(
                    (*spot, key),
                    "NUMBER_TYPE_MAX",
                    "int value should be less than or equal to 6000.",
                )
    for key in ("min_value", "max_value"):
        if option.get(key) is not None and kind not in (OPT_INTEGER, OPT_NUMBER):
            errors.add(
                (*spot, key),
                "APPLICATION_COMMAND_OPTION_INVALID",
                "Only numbers take min_value and max_value",
            )


def _command_size(command: Mapping[str, Any]) -> int:
    """What Discord counts against a command's 8000 characters: names, descriptions, choice
    names and values, all the way down."""
    total = len(str(command.get("name") or "")) + len(str(command.get("description") or ""))
    for choice in command.get("choices") or []:
        if isinstance(choice, dict):
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    for option in command.get("options") or []:
        if isinstance(option, dict):
            total += _command_size(option)
    return total


def _command_definition(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored command without what Discord adds (to compare definitions)."""
    return {
        k: _copy(v)
        for k, v in stored.items()
        if k not in ("id", "application_id", "version", "guild_id")
    }


def _full_command_name(data: Mapping[str, Any]) -> str:
    words = [data["name"]]
    options = data.get("options") or []
    while options and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        words.append(options[0]["name"])
        options = options[0].get("options") or []
    return " ".join(words)


def _focused_option(options: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for option in options:
        if option.get("focused"):
            return option
        found = _focused_option(option.get("options") or [])
        if found is not None:
            return found
    return None
