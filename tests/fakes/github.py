"""A fake GitHub on a loopback port, strict enough that passing against it means something.

Unmodified PyGithub talks to it with ``base_url=fake.api_url``. It keeps git objects in memory
under the hashes git computes, so a blob hash computed locally equals the one it serves. It
refuses what GitHub refuses: ref updates that are not fast-forwards (422), Git Data calls on an
empty repository (409), unknown or expired credentials (401), writes with read-only credentials
(403), repositories the caller cannot see (404), malformed trees and commits (422). It can answer
the next requests with a 5xx or a rate limit, and it logs every exchange, response body included,
so tests can assert on what the client really did.

    with FakeGitHub() as fake:
        fake.create_repo("org/docs", {"README.md": "hello\\n"})
        token = fake.issue_token("ada", write=True)
        gh = github.Github(auth=github.Auth.Token(token), base_url=fake.api_url, retry=None)

Issues keep GitHub's event list (``labeled``, ``unlabeled``, ``closed``, ``reopened``, each with
its actor). An installation token acts as its App's ``<slug>[bot]`` account (type ``Bot``), and
what it does carries ``performed_via_github_app``. Tests simulate people acting on GitHub
(while the bot is down, say) with ``open_issue``, ``label_issue``, ``unlabel_issue``,
``close_issue``, ``reopen_issue``, ``comment_issue``, ``edit_comment`` and ``react_comment``:
they change state through the same functions as the routes, so they leave the same events, and
``issue``, ``labels`` and ``events`` read the state back.

The aiohttp server runs on its own event loop in a background thread because PyGithub is
synchronous; every handler runs under one lock shared with the helpers tests call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, TypeVar

import jsonschema
import jwt
from aiohttp import web

JSON_TYPE = "application/json; charset=utf-8"
DOCS = "https://docs.github.com/rest"
API_PREFIX = "/api/v3"
EMPTY_REPOSITORY = "Git Repository is empty."
NOT_FAST_FORWARD = "Update is not a fast forward"
DEFAULT_PERMISSIONS = {"contents": "write", "issues": "write", "metadata": "read"}
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
TREE_MODE = "040000"
COMMIT_MODE = "160000"
_SHA = re.compile(r"[0-9a-f]{40}")
_COLOR = re.compile(r"[0-9a-fA-F]{6}")


# --- git objects, hashed as git hashes them ---------------------------------------------------


def git_hash(kind: str, body: bytes) -> str:
    """The object id git gives ``body`` stored as ``kind`` (blob, tree or commit)."""
    header = b"%s %d\0" % (kind.encode(), len(body))
    return hashlib.sha1(header + body, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Blob:
    data: bytes

    kind: ClassVar[str] = "blob"

    def body(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class Entry:
    """One tree entry; ``mode`` as the API writes it (``040000`` for a subtree)."""

    name: str
    mode: str
    sha: str

    @property
    def type(self) -> str:
        return {TREE_MODE: "tree", COMMIT_MODE: "commit"}.get(self.mode, "blob")

    def sort_key(self) -> bytes:
        """Git orders a subtree as if its name ended with a slash."""
        return self.name.encode() + (b"/" if self.mode == TREE_MODE else b"")


@dataclass(frozen=True)
class Tree:
    entries: tuple[Entry, ...]

    kind: ClassVar[str] = "tree"

    def body(self) -> bytes:
        out = bytearray()
        for entry in sorted(self.entries, key=Entry.sort_key):
            mode = "40000" if entry.mode == TREE_MODE else entry.mode
            out += f"{mode} {entry.name}".encode() + b"\0" + bytes.fromhex(entry.sha)
        return bytes(out)

    def by_name(self) -> dict[str, Entry]:
        return {entry.name: entry for entry in self.entries}


@dataclass(frozen=True)
class Signature:
    """A commit's author or committer: ``when`` in Unix seconds, ``offset`` like ``+0200``."""

    name: str
    email: str
    when: int
    offset: str = "+0000"

    def line(self) -> str:
        return f"{self.name} <{self.email}> {self.when} {self.offset}"

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "date": iso(self.when)}


@dataclass(frozen=True)
class Commit:
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str

    kind: ClassVar[str] = "commit"

    def body(self) -> bytes:
        lines = [f"tree {self.tree}"]
        lines += [f"parent {parent}" for parent in self.parents]
        lines += [f"author {self.author.line()}", f"committer {self.committer.line()}"]
        return ("\n".join(lines) + "\n\n" + self.message).encode()


GitObject = Blob | Tree | Commit
_Obj = TypeVar("_Obj", Blob, Tree, Commit)


def iso(seconds: float) -> str:
    """GitHub's timestamp form: UTC, whole seconds, ``Z``."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CommitInfo:
    """A commit as tests inspect it."""

    sha: str
    message: str
    parents: tuple[str, ...]
    tree: str
    author: Signature
    committer: Signature


@dataclass(frozen=True)
class IssueView:
    """An issue as tests inspect it: a snapshot, so changing it changes nothing in the fake.

    ``comments`` are ``(login, body)`` oldest first; ``comment_ids`` and ``reactions`` (each a
    list of ``(login, content)``) are aligned with them.
    """

    number: int
    title: str
    body: str | None
    author: str
    state: str
    state_reason: str | None
    labels: list[str]
    comments: list[tuple[str, str]]
    comment_ids: list[int]
    reactions: list[list[tuple[str, str]]]
    issue_reactions: list[tuple[str, str]]

    def reactions_on(self, comment_id: int) -> list[tuple[str, str]]:
        """The ``(login, content)`` reactions on one comment of this issue."""
        return self.reactions[self.comment_ids.index(comment_id)]


@dataclass(frozen=True)
class EventView:
    """One issue event as tests inspect it; ``label``/``color`` only for (un)labeled ones."""

    id: int
    event: str
    actor: str
    label: str | None
    color: str | None
    state_reason: str | None
    created_at: float
    via_app: bool


# --- the state behind the API -----------------------------------------------------------------


@dataclass
class User:
    login: str
    id: int
    type: str = "User"
    created_at: float = 0.0


@dataclass(frozen=True)
class Actor:
    """Who does something: a user, and the App whose installation acted through it (if any)."""

    user: User
    app: int | None = None


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str | None


@dataclass
class Reaction:
    id: int
    content: str
    user: User
    created_at: float


@dataclass
class Comment:
    id: int
    issue: int
    body: str
    user: User
    created_at: float
    updated_at: float
    reactions: list[Reaction] = field(default_factory=list)
    app: int | None = None


@dataclass
class IssueEvent:
    """One entry of an issue's event list; ``label`` is ``(name, color)`` as it was then."""

    id: int
    issue: int
    event: Literal["labeled", "unlabeled", "closed", "reopened"]
    actor: User
    created_at: float
    label: tuple[str, str] | None = None
    state_reason: str | None = None
    app: int | None = None


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: User
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    app: int | None = None


@dataclass
class Repo:
    """One repository: its git objects and refs, its issues, labels and comments."""

    id: int
    owner: User
    name: str
    private: bool
    default_branch: str
    created_at: float
    objects: dict[str, GitObject] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    events: list[IssueEvent] = field(default_factory=list)
    pushed_at: float | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def empty(self) -> bool:
        return not self.refs

    def put(self, obj: GitObject) -> str:
        sha = git_hash(obj.kind, obj.body())
        self.objects[sha] = obj
        return sha

    def label(self, name: str) -> Label | None:
        return self.labels.get(name.lower())


@dataclass
class Credential:
    """What a token may do: per-area permissions and the repositories it sees (None: all)."""

    kind: Literal["token", "installation", "app"]
    user: User
    permissions: dict[str, str]
    repos: frozenset[str] | None
    expires_at: int | None = None
    installation: int | None = None
    app: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "token":
            return f"token:{self.user.login}"
        if self.kind == "installation":
            return f"installation:{self.installation}"
        return f"app:{self.app}"

    def may(self, area: str, write: bool) -> bool:
        """Every token may read a repository's metadata, as on GitHub."""
        level = self.permissions.get(area)
        if write:
            return level == "write"
        return area == "metadata" or level in {"read", "write"}


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: User
    public_key: Any
    created_at: float


@dataclass
class Installation:
    id: int
    app: int
    account: User
    repos: frozenset[str] | None
    permissions: dict[str, str]
    created_at: float


@dataclass
class Fault:
    remaining: int
    kind: Literal["status", "primary", "secondary"]
    status: int
    method: str | None
    path: str | None
    retry_after: int | None = None
    reset_in: int = 60

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as logged."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    credential: str
    operation: str | None
    request: Any
    response: Any
    headers: dict[str, str]
    token: str | None = None


class Refusal(Exception):
    """An error answer, shaped as GitHub shapes them."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            out["errors"] = self.errors
        out["status"] = str(self.status)
        return out


def invalid(resource: str, field_name: str, code: str = "missing_field") -> Refusal:
    return Refusal(
        422,
        "Validation Failed",
        errors=[{"resource": resource, "code": code, "field": field_name}],
    )


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    operation: str | None = None


@dataclass
class Ctx:
    """What a handler needs about the request it answers."""

    api: str
    html: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    credential: Credential | None
    repo: Repo | None = None

    @property
    def rbase(self) -> str:
        assert self.repo is not None
        return f"{self.api}/repos/{self.repo.full_name}"

    @property
    def rhtml(self) -> str:
        assert self.repo is not None
        return f"{self.html}/{self.repo.full_name}"

    def the_repo(self) -> Repo:
        assert self.repo is not None
        return self.repo


Handler = Callable[["FakeGitHub", Ctx], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    area: str | None
    write: bool
    operation: str
    regex: re.Pattern[str]


_PARAM_PATTERNS = {
    "ref": ".+",
    "path": ".+",
    "name": ".+",
    "issue_number": r"\d+",
    "comment_id": r"\d+",
    "event_id": r"\d+",
    "installation_id": r"\d+",
}


def _compile(template: str) -> re.Pattern[str]:
    pattern = ""
    for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
        pattern += re.escape(literal)
        if name:
            pattern += f"(?P<{name}>{_PARAM_PATTERNS.get(name, '[^/]+')})"
    return re.compile(pattern)


ROUTES: list[Route] = []


def route(
    method: str, template: str, *, area: str | None, write: bool = False, alias: str | None = None
) -> Callable[[Handler], Handler]:
    """Serve ``method template``.

    ``area`` is the permission it needs (``contents``, ``issues``, ``metadata``; None: only a
    GitHub App's JWT may call it); ``alias`` names the documented operation it answers like.
    """

    def register(handler: Handler) -> Handler:
        operation = f"{method} {alias or template}"
        ROUTES.append(Route(method, template, handler, area, write, operation, _compile(template)))
        return handler

    return register


def operations() -> list[str]:
    """Every documented operation the fake serves, as ``METHOD /path/{param}``."""
    return sorted({r.operation for r in ROUTES})


# --- the server -------------------------------------------------------------------------------


class FakeGitHub:
    """The fake server and its state; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._repos: dict[str, Repo] = {}
        self._users: dict[str, User] = {}
        self._tokens: dict[str, Credential] = {}
        self._apps: dict[int, App] = {}
        self._installations: dict[int, Installation] = {}
        self._faults: list[Fault] = []
        self._log: list[Exchange] = []
        self._offset = 0.0
        self._request_ids = itertools.count(1)
        self.installation_token_lifetime = 3600.0
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # lifecycle

    def start(self) -> FakeGitHub:
        """Serve on 127.0.0.1 on a free port, from a background thread."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-github", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        self.port = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    async def _serve(self) -> int:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port: int = self._runner.addresses[0][1]
        return port

    def stop(self) -> None:
        """Stop serving and end the thread; safe to call twice."""
        loop, thread, runner = self._loop, self._thread, self._runner
        self._loop = self._thread = self._runner = None
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()

    def __enter__(self) -> FakeGitHub:
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
        """What PyGithub takes as ``base_url`` (GitHub Enterprise's layout)."""
        return self.url + API_PREFIX

    # time

    def now(self) -> float:
        """The fake's clock: real time plus whatever ``advance`` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (to expire tokens without waiting)."""
        with self._lock:
            self._offset += seconds

    # setting up state

    def user(self, login: str, kind: str | None = None) -> User:
        """The account ``login``, created on first use.

        Its type is ``kind``, else ``Bot`` for a ``name[bot]`` login (as GitHub names an App's
        acting account), else ``User``.
        """
        with self._lock:
            if login not in self._users:
                kind = kind or ("Bot" if login.endswith("[bot]") else "User")
                self._users[login] = User(login, next(self._ids), kind, self.now())
            return self._users[login]

    def create_repo(
        self,
        full_name: str,
        files: Mapping[str, str] | None = None,
        *,
        default_branch: str = "main",
        private: bool = True,
        message: str = "Initial commit",
    ) -> Repo:
        """A repository: empty when ``files`` is None, else with one commit holding them."""
        owner, name = full_name.split("/")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} exists")
            repo = Repo(
                id=next(self._ids),
                owner=self.user(owner, "Organization"),
                name=name,
                private=private,
                default_branch=default_branch,
                created_at=self.now(),
            )
            self._repos[full_name.lower()] = repo
            if files is not None:
                self.push(full_name, dict(files), message=message, branch=default_branch)
            return repo

    def repo(self, full_name: str) -> Repo:
        with self._lock:
            return self._repos[full_name.lower()]

    def issue_token(
        self,
        login: str,
        *,
        write: bool = True,
        repos: Iterable[str] | None = None,
        token: str | None = None,
    ) -> str:
        """A personal access token for ``login``; ``repos`` limits what it sees."""
        level = "write" if write else "read"
        token = token or "ghp_" + secrets.token_hex(18)
        with self._lock:
            self._tokens[token] = Credential(
                kind="token",
                user=self.user(login),
                permissions={"contents": level, "issues": level, "metadata": "read"},
                repos=_repo_set(repos),
            )
        return token

    def register_app(
        self, public_key_pem: str | bytes, *, slug: str = "govbot", owner: str = "org"
    ) -> int:
        """A GitHub App verified with this RSA public key; returns its id."""
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        with self._lock:
            app = App(
                id=next(self._ids),
                slug=slug,
                name=slug.title(),
                owner=self.user(owner, "Organization"),
                public_key=load_pem_public_key(pem),
                created_at=self.now(),
            )
            self._apps[app.id] = app
            self.user(f"{slug}[bot]", "Bot")
            return app.id

    def install_app(
        self,
        app_id: int,
        repos: Iterable[str] | None,
        *,
        permissions: Mapping[str, str] | None = None,
    ) -> int:
        """Install the app on these repositories (None: on every one); returns its id."""
        with self._lock:
            app = self._apps[app_id]
            installation = Installation(
                id=next(self._ids),
                app=app_id,
                account=app.owner,
                repos=_repo_set(repos),
                permissions=dict(permissions or DEFAULT_PERMISSIONS),
                created_at=self.now(),
            )
            self._installations[installation.id] = installation
            return installation.id

    def issue_installation_token(self, installation_id: int) -> tuple[str, int]:
        """What POST /app/installations/{id}/access_tokens grants: the token and its expiry."""
        with self._lock:
            installation = self._installations[installation_id]
            app = self._apps[installation.app]
            expires_at = int(self.now() + self.installation_token_lifetime)
            token = "ghs_" + secrets.token_hex(18)
            self._tokens[token] = Credential(
                kind="installation",
                user=self.user(f"{app.slug}[bot]", "Bot"),
                permissions=dict(installation.permissions),
                repos=installation.repos,
                expires_at=expires_at,
                installation=installation.id,
                app=app.id,
            )
            return token, expires_at

    def push(
        self,
        full_name: str,
        changes: Mapping[str, str | None],
        *,
        message: str = "Someone else's change",
        branch: str | None = None,
        when: int | None = None,
    ) -> str:
        """Commit these changes (None deletes) on top of the branch, as another client would."""
        with self._lock:
            repo = self.repo(full_name)
            ref = "refs/heads/" + (branch or repo.default_branch)
            parent = repo.refs.get(ref)
            base = _commit(repo, parent).tree if parent else None
            edits: list[tuple[str, str | None, str]] = []
            for path, text in changes.items():
                sha = None if text is None else repo.put(Blob(text.encode()))
                edits.append((path, sha, "100644"))
            tree = _edit_tree(repo, base, edits)
            who = Signature("Someone Else", "someone@example.org", int(when or self.now()))
            sha = repo.put(Commit(tree, (parent,) if parent else (), who, who, message))
            repo.refs[ref] = sha
            repo.pushed_at = self.now()
            return sha

    # what people do on GitHub, without the API (the same state changes as the routes make)

    def open_issue(
        self,
        full_name: str,
        title: str,
        body: str | None = None,
        *,
        by: str,
        labels: Iterable[str] = (),
    ) -> int:
        """Open an issue as ``by`` (labels created if missing); returns its number."""
        with self._lock:
            repo = self.repo(full_name)
            issue = _open_issue(self, repo, title, body, list(labels), Actor(self.user(by)))
            return issue.number

    def label_issue(self, full_name: str, number: int, label: str, *, by: str) -> None:
        """Add a label as ``by`` (created if missing); a label already there changes nothing."""
        with self._lock:
            repo = self.repo(full_name)
            _add_labels(self, repo, _issue_of(repo, number), [label], Actor(self.user(by)))

    def unlabel_issue(self, full_name: str, number: int, label: str, *, by: str) -> None:
        """Remove a label as ``by``; a label the issue lacks is refused (404), as by GitHub."""
        with self._lock:
            repo = self.repo(full_name)
            _remove_label(self, repo, _issue_of(repo, number), label, Actor(self.user(by)))

    def close_issue(
        self, full_name: str, number: int, *, by: str, reason: str = "completed"
    ) -> None:
        """Close an issue as ``by`` with this state reason."""
        with self._lock:
            repo = self.repo(full_name)
            issue = _issue_of(repo, number)
            _set_state(self, repo, issue, "closed", reason, Actor(self.user(by)))

    def reopen_issue(self, full_name: str, number: int, *, by: str) -> None:
        """Reopen an issue as ``by``."""
        with self._lock:
            repo = self.repo(full_name)
            issue = _issue_of(repo, number)
            _set_state(self, repo, issue, "open", None, Actor(self.user(by)))

    def comment_issue(self, full_name: str, number: int, body: str, *, by: str) -> int:
        """Comment on an issue as ``by``; returns the comment's id."""
        with self._lock:
            repo = self.repo(full_name)
            issue = _issue_of(repo, number)
            return _add_comment(self, repo, issue, body, Actor(self.user(by))).id

    def edit_comment(self, full_name: str, comment_id: int, body: str) -> None:
        """Change a comment's text (its ``updated_at`` moves, as on GitHub)."""
        with self._lock:
            comment = self.repo(full_name).comments[comment_id]
            _edit_comment(self, comment, body)

    def react_comment(self, full_name: str, comment_id: int, content: str, *, by: str) -> None:
        """React to a comment as ``by`` (``+1``, ``-1``, ``heart``...)."""
        with self._lock:
            comment = self.repo(full_name).comments[comment_id]
            _add_reaction(self, comment.reactions, content, self.user(by))

    # faults

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 502,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (a 5xx)."""
        with self._lock:
            self._faults.append(Fault(count, "status", status, method, path))

    def rate_limit_next(
        self,
        kind: Literal["primary", "secondary"] = "primary",
        *,
        count: int = 1,
        status: int = 403,
        retry_after: int | None = 60,
        reset_in: int = 60,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Refuse the next ``count`` matching requests as GitHub's rate limits do.

        A primary limit answers ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` (now plus
        ``reset_in``); a secondary one answers ``Retry-After: retry_after`` (None omits it).
        """
        with self._lock:
            fault = Fault(count, kind, status, method, path, retry_after, reset_in)
            self._faults.append(fault)

    # inspecting state

    @property
    def log(self) -> list[Exchange]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def head(self, full_name: str, branch: str | None = None) -> str | None:
        with self._lock:
            repo = self.repo(full_name)
            return repo.refs.get("refs/heads/" + (branch or repo.default_branch))

    def files(self, full_name: str, branch: str | None = None) -> dict[str, str]:
        """Every file on the branch as ``{path: text}``."""
        with self._lock:
            repo = self.repo(full_name)
            head = self.head(full_name, branch)
            if head is None:
                return {}
            out: dict[str, str] = {}
            for path, entry in _walk(repo, _commit(repo, head).tree):
                obj = repo.objects[entry.sha]
                if isinstance(obj, Blob):
                    out[path] = obj.data.decode("utf-8", errors="replace")
            return out

    def issue(self, full_name: str, number: int) -> IssueView:
        """A snapshot of one issue: text, state, labels, comments and their reactions."""
        with self._lock:
            repo = self.repo(full_name)
            issue = _issue_of(repo, number)
            comments = [repo.comments[i] for i in issue.comments]
            return IssueView(
                number=issue.number,
                title=issue.title,
                body=issue.body,
                author=issue.user.login,
                state=issue.state,
                state_reason=issue.state_reason,
                labels=list(issue.labels),
                comments=[(c.user.login, c.body) for c in comments],
                comment_ids=[c.id for c in comments],
                reactions=[[(r.user.login, r.content) for r in c.reactions] for c in comments],
                issue_reactions=[(r.user.login, r.content) for r in issue.reactions],
            )

    def labels(self, full_name: str) -> dict[str, tuple[str, str | None]]:
        """The repository's labels as ``{name: (color, description)}``."""
        with self._lock:
            return {
                label.name: (label.color, label.description)
                for label in self.repo(full_name).labels.values()
            }

    def events(self, full_name: str, number: int) -> list[EventView]:
        """The issue's events, oldest first, as GET .../issues/{number}/events lists them."""
        with self._lock:
            repo = self.repo(full_name)
            _issue_of(repo, number)
            return [
                EventView(
                    id=e.id,
                    event=e.event,
                    actor=e.actor.login,
                    label=e.label[0] if e.label else None,
                    color=e.label[1] if e.label else None,
                    state_reason=e.state_reason,
                    created_at=e.created_at,
                    via_app=e.app is not None,
                )
                for e in repo.events
                if e.issue == number
            ]

    def commits(self, full_name: str, branch: str | None = None) -> list[CommitInfo]:
        """The branch's first-parent history, newest first."""
        with self._lock:
            repo = self.repo(full_name)
            sha = self.head(full_name, branch)
            out: list[CommitInfo] = []
            while sha is not None:
                c = _commit(repo, sha)
                out.append(CommitInfo(sha, c.message, c.parents, c.tree, c.author, c.committer))
                sha = c.parents[0] if c.parents else None
            return out

    # dispatch

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        with self._lock:
            status, headers, body = self._answer(request, raw)
        text = b"" if body is None else json.dumps(body).encode()
        response = web.Response(status=status, body=text, headers=headers)
        if body is not None:
            response.headers["Content-Type"] = JSON_TYPE
        return response

    def _answer(self, request: web.Request, raw: bytes) -> tuple[int, dict[str, str], Any | None]:
        full_path = request.rel_url.raw_path
        prefix = API_PREFIX if full_path.startswith(API_PREFIX + "/") else ""
        path = full_path[len(prefix) :]
        host = f"{request.scheme}://{request.host}"
        query = {k: v for k, v in request.rel_url.query.items()}
        method = request.method
        credential: Credential | None = None
        who = "invalid" if request.headers.get("Authorization") else "anonymous"
        operation: str | None = None
        try:
            body = _parse_body(raw)
        except Refusal:
            body = raw.decode("utf-8", errors="replace")
        headers = {"x-github-request-id": f"FAKE:{next(self._request_ids):06d}"}
        try:
            credential, who = self._identify(request.headers.get("Authorization"))
            self._inject_fault(method, path, credential)
            if isinstance(body, str):
                raise Refusal(400, "Problems parsing JSON")
            matched = self._route(method, path)
            operation = matched[0].operation
            ctx = Ctx(host + prefix, host, path, matched[1], query, body, credential)
            self._authorize(matched[0], ctx)
            reply = matched[0].handler(self, ctx)
            operation = reply.operation or operation
            status, answer = reply.status, reply.body
            headers.update(reply.headers)
        except Refusal as refusal:
            status, answer = refusal.status, refusal.body()
            headers.update(refusal.headers)
        except Exception as error:  # a bug in the fake: answer it, log it, keep serving
            status, answer = 500, {"message": f"fake GitHub failed: {error!r}"}
        headers.update(self._rate_headers(headers))
        token = (request.headers.get("Authorization") or " ").partition(" ")[2].strip() or None
        self._log.append(
            Exchange(
                method, path, query, status, who, operation, body, answer, dict(headers), token
            )
        )
        return status, headers, None if status == 204 else answer

    def _rate_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        if "x-ratelimit-remaining" in headers:
            return {}
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-used": "1",
            "x-ratelimit-reset": str(int(self.now()) + 3600),
            "x-ratelimit-resource": "core",
        }

    def _identify(self, header: str | None) -> tuple[Credential | None, str]:
        if not header:
            return None, "anonymous"
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() not in {"token", "bearer"} or not secret:
            raise Refusal(401, "Bad credentials")
        if secret.count(".") == 2:
            credential = self._verify_jwt(secret)
            return credential, credential.label
        found = self._tokens.get(secret)
        if found is None:
            raise Refusal(401, "Bad credentials")
        if found.expires_at is not None and self.now() >= found.expires_at:
            raise Refusal(401, "Bad credentials")
        return found, found.label

    def _verify_jwt(self, token: str) -> Credential:
        undecodable = Refusal(401, "A JSON web token could not be decoded")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise undecodable from None
        app = self._apps.get(int(claims["iss"])) if str(claims.get("iss", "")).isdigit() else None
        if header.get("alg") != "RS256" or app is None:
            raise undecodable
        try:
            jwt.decode(
                token,
                app.public_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise undecodable from None
        now = self.now()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or exp <= now:
            raise Refusal(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the future"
                " time at which the assertion expires",
            )
        if exp > now + 600 + 1:
            raise Refusal(401, "'Expiration time' claim ('exp') is too far in the future")
        if not isinstance(iat, int) or iat > now + 1:
            raise Refusal(
                401, "'Issued at' claim ('iat') must be an Integer representing a time in the past"
            )
        return Credential(kind="app", user=app.owner, permissions={}, repos=frozenset(), app=app.id)

    def _inject_fault(self, method: str, path: str, credential: Credential | None) -> None:
        fault = next((f for f in self._faults if f.matches(method, path)), None)
        if fault is None:
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.remove(fault)
        if fault.kind == "status":
            raise Refusal(fault.status, "Server Error" if fault.status < 503 else "Unavailable")
        if fault.kind == "primary":
            reset = int(self.now()) + fault.reset_in
            raise Refusal(
                fault.status,
                f"API rate limit exceeded for {_rate_subject(credential)}."
                " If you reach out to GitHub Support for help, please include the request ID.",
                headers={
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "5000",
                    "x-ratelimit-reset": str(reset),
                    "x-ratelimit-resource": "core",
                },
            )
        extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        raise Refusal(
            fault.status,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try"
            " again. If you reach out to GitHub Support for help, please include the request ID.",
            headers=extra,
        )

    def _route(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for candidate in ROUTES:
            match = candidate.regex.fullmatch(path)
            if match and candidate.method == method:
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                return candidate, params
        raise Refusal(404, "Not Found")

    def _authorize(self, matched: Route, ctx: Ctx) -> None:
        credential = ctx.credential
        if matched.area is None:
            if credential is None or credential.kind != "app":
                raise Refusal(401, "A JSON web token could not be decoded")
        elif credential is not None and credential.kind == "app":
            raise Refusal(403, "Resource not accessible by integration")
        if "owner" not in ctx.params:
            return
        repo = self._repos.get(f"{ctx.params['owner']}/{ctx.params['repo']}".lower())
        if repo is None or not self._sees(credential, repo):
            raise Refusal(404, "Not Found")
        ctx.repo = repo
        if matched.area is None or (credential is None and not matched.write):
            return
        if credential is None:
            raise Refusal(401, "Requires authentication")
        if not credential.may(matched.area, matched.write):
            by = "integration" if credential.kind == "installation" else "personal access token"
            raise Refusal(403, f"Resource not accessible by {by}")

    def _sees(self, credential: Credential | None, repo: Repo) -> bool:
        if credential is None:
            return not repo.private
        if credential.kind == "app":
            return any(
                i.app == credential.app and _covers(i.repos, repo)
                for i in self._installations.values()
            )
        return _covers(credential.repos, repo) or not repo.private

    # --- JSON shapes ---------------------------------------------------------------------------

    def user_json(self, ctx: Ctx, user: User) -> dict[str, Any]:
        login = urllib.parse.quote(user.login)
        url = f"{ctx.api}/users/{login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": f"U_{user.id}",
            "avatar_url": f"{ctx.html}/avatars/u/{user.id}",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{ctx.html}/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def private_user_json(self, ctx: Ctx, user: User) -> dict[str, Any]:
        """What GET /user answers: the account's own, private view of its profile."""
        return {
            **self.user_json(ctx, user),
            "user_view_type": "private",
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.created_at),
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }

    def app_json(self, ctx: Ctx, app_id: int | None) -> dict[str, Any] | None:
        """A GitHub App as GET /app and ``performed_via_github_app`` show it (None: no app)."""
        if app_id is None:
            return None
        app = self._apps[app_id]
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": f"A_{app.id}",
            "client_id": f"Iv1.{app.id:016x}",
            "owner": self.user_json(ctx, app.owner),
            "name": app.name,
            "description": None,
            "external_url": f"{ctx.html}/{app.owner.login}",
            "html_url": f"{ctx.html}/apps/{app.slug}",
            "created_at": iso(app.created_at),
            "updated_at": iso(app.created_at),
            "permissions": dict(DEFAULT_PERMISSIONS),
            "events": [],
        }

    def repo_json(self, ctx: Ctx, repo: Repo) -> dict[str, Any]:
        r = f"{ctx.api}/repos/{repo.full_name}"
        html = f"{ctx.html}/{repo.full_name}"
        host = urllib.parse.urlsplit(ctx.html).netloc
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        credential = ctx.credential
        push = credential is not None and credential.may("contents", True)
        out: dict[str, Any] = {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user_json(ctx, repo.owner),
            "html_url": html,
            "description": None,
            "fork": False,
            "url": r,
            **{key: r + suffix for key, suffix in templates.items()},
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{host}:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "size": sum(len(o.data) for o in repo.objects.values() if isinstance(o, Blob)) // 1024,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "default_branch": repo.default_branch,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "license": None,
            "topics": [],
            "pushed_at": iso(repo.pushed_at or repo.created_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.pushed_at or repo.created_at),
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": push,
                "triage": push,
                "pull": True,
            },
            "network_count": 0,
            "subscribers_count": 0,
        }
        return out

    def ref_json(self, ctx: Ctx, name: str, sha: str) -> dict[str, Any]:
        return {
            "ref": name,
            "node_id": "REF_" + base64.b64encode(name.encode()).decode().rstrip("="),
            "url": f"{ctx.rbase}/git/{urllib.parse.quote(name)}",
            "object": {"sha": sha, "type": "commit", "url": f"{ctx.rbase}/git/commits/{sha}"},
        }

    def commit_json(self, ctx: Ctx, sha: str, commit: Commit) -> dict[str, Any]:
        return {
            "sha": sha,
            "node_id": f"C_{sha[:20]}",
            "url": f"{ctx.rbase}/git/commits/{sha}",
            "html_url": f"{ctx.rhtml}/commit/{sha}",
            "author": commit.author.json(),
            "committer": commit.committer.json(),
            "tree": {"sha": commit.tree, "url": f"{ctx.rbase}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [
                {
                    "sha": p,
                    "url": f"{ctx.rbase}/git/commits/{p}",
                    "html_url": f"{ctx.rhtml}/commit/{p}",
                }
                for p in commit.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def entry_json(self, ctx: Ctx, path: str, entry: Entry) -> dict[str, Any]:
        repo = ctx.the_repo()
        out: dict[str, Any] = {
            "path": path,
            "mode": entry.mode,
            "type": entry.type,
            "sha": entry.sha,
        }
        obj = repo.objects.get(entry.sha)
        if isinstance(obj, Blob):
            out["size"] = len(obj.data)
        if entry.type != "commit":
            out["url"] = f"{ctx.rbase}/git/{entry.type}s/{entry.sha}"
        return out

    def tree_json(self, ctx: Ctx, sha: str, recursive: bool) -> dict[str, Any]:
        repo = ctx.the_repo()
        if recursive:
            listing = list(_walk(repo, sha, subtrees=True))
        else:
            tree = repo.objects[sha]
            assert isinstance(tree, Tree)
            listing = [(e.name, e) for e in sorted(tree.entries, key=Entry.sort_key)]
        return {
            "sha": sha,
            "url": f"{ctx.rbase}/git/trees/{sha}",
            "tree": [self.entry_json(ctx, path, entry) for path, entry in listing],
            "truncated": False,
        }

    def label_json(self, ctx: Ctx, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": f"LA_{label.id}",
            "url": f"{ctx.rbase}/labels/{urllib.parse.quote(label.name)}",
            "name": label.name,
            "description": label.description,
            "color": label.color,
            "default": False,
        }

    def reactions_json(self, url: str, reactions: list[Reaction]) -> dict[str, Any]:
        counts = {content: 0 for content in REACTIONS}
        for reaction in reactions:
            counts[reaction.content] += 1
        return {"url": url, "total_count": len(reactions), **counts}

    def issue_json(self, ctx: Ctx, issue: Issue) -> dict[str, Any]:
        repo = ctx.the_repo()
        url = f"{ctx.rbase}/issues/{issue.number}"
        return {
            "id": issue.id,
            "node_id": f"I_{issue.id}",
            "url": url,
            "repository_url": ctx.rbase,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{ctx.rhtml}/issues/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user_json(ctx, issue.user),
            "labels": [
                self.label_json(ctx, label)
                for name in issue.labels
                if (label := repo.label(name)) is not None
            ],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": None if issue.closed_at is None else iso(issue.closed_at),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "author_association": "NONE",
            "reactions": self.reactions_json(f"{url}/reactions", issue.reactions),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": self.app_json(ctx, issue.app),
        }

    def comment_json(self, ctx: Ctx, comment: Comment) -> dict[str, Any]:
        url = f"{ctx.rbase}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": f"IC_{comment.id}",
            "url": url,
            "html_url": f"{ctx.rhtml}/issues/{comment.issue}#issuecomment-{comment.id}",
            "issue_url": f"{ctx.rbase}/issues/{comment.issue}",
            "body": comment.body,
            "user": self.user_json(ctx, comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": "NONE",
            "reactions": self.reactions_json(f"{url}/reactions", comment.reactions),
            "performed_via_github_app": self.app_json(ctx, comment.app),
        }

    def event_json(self, ctx: Ctx, event: IssueEvent) -> dict[str, Any]:
        prefix = {"labeled": "LE", "unlabeled": "UNLE", "closed": "CE", "reopened": "REE"}
        out: dict[str, Any] = {
            "id": event.id,
            "node_id": f"{prefix[event.event]}_{event.id}",
            "url": f"{ctx.rbase}/issues/events/{event.id}",
            "actor": self.user_json(ctx, event.actor),
            "event": event.event,
            "commit_id": None,
            "commit_url": None,
            "created_at": iso(event.created_at),
            "performed_via_github_app": self.app_json(ctx, event.app),
        }
        if event.label is not None:
            out["label"] = {"name": event.label[0], "color": event.label[1]}
        if event.event in {"closed", "reopened"}:
            out["state_reason"] = event.state_reason
        return out

    def reaction_json(self, ctx: Ctx, reaction: Reaction) -> dict[str, Any]:
        return {
            "id": reaction.id,
            "node_id": f"REA_{reaction.id}",
            "user": self.user_json(ctx, reaction.user),
            "content": reaction.content,
            "created_at": iso(reaction.created_at),
        }

    def page(self, ctx: Ctx, items: list[Any]) -> Reply:
        """One page of a list, with GitHub's Link header pointing at the others."""
        try:
            per_page = min(max(int(ctx.query.get("per_page", "30")), 1), 100)
            number = max(int(ctx.query.get("page", "1")), 1)
        except ValueError:
            raise Refusal(422, "Invalid request.\n\npage and per_page must be integers.") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []

        def link(n: int, rel: str) -> str:
            query = urllib.parse.urlencode({**ctx.query, "per_page": per_page, "page": n})
            return f'<{ctx.api}{ctx.path}?{query}>; rel="{rel}"'

        if number < last:
            links += [link(number + 1, "next"), link(last, "last")]
        if number > 1:
            links += [link(1, "first"), link(number - 1, "prev")]
        chunk = items[(number - 1) * per_page : number * per_page]
        return Reply(200, chunk, {"Link": ", ".join(links)} if links else {})

    # --- the git objects a handler may name --------------------------------------------------

    def stored(self, ctx: Ctx) -> Repo:
        """The repository, refusing Git Data calls while it is empty, as GitHub does."""
        repo = ctx.the_repo()
        if repo.empty:
            raise Refusal(409, EMPTY_REPOSITORY)
        return repo

    def fresh_id(self) -> int:
        return next(self._ids)

    def author_of(self, ctx: Ctx, raw: Any, fallback: Signature | None) -> Signature:
        if raw is None:
            if fallback is not None:
                return fallback
            user = ctx.credential.user if ctx.credential else self.user("ghost")
            email = f"{user.id}+{user.login}@users.noreply.github.com"
            return Signature(user.login, email, int(self.now()))
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("email"):
            raise Refusal(422, "Invalid request.\n\nname and email are required for an author.")
        date = raw.get("date")
        if date is None:
            return Signature(str(raw["name"]), str(raw["email"]), int(self.now()))
        try:
            moment = datetime.fromisoformat(str(date))
        except ValueError:
            raise Refusal(422, f"Invalid request.\n\n{date!r} is not a valid date-time.") from None
        if moment.tzinfo is None:
            raise Refusal(422, f"Invalid request.\n\n{date!r} is not a valid date-time.")
        delta = moment.utcoffset()
        minutes = int(delta.total_seconds()) // 60 if delta else 0
        sign = "-" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return Signature(str(raw["name"]), str(raw["email"]), int(moment.timestamp()), offset)


def _repo_set(repos: Iterable[str] | None) -> frozenset[str] | None:
    return None if repos is None else frozenset(r.lower() for r in repos)


def _covers(repos: frozenset[str] | None, repo: Repo) -> bool:
    return repos is None or repo.full_name.lower() in repos


def _rate_subject(credential: Credential | None) -> str:
    if credential is None:
        return "127.0.0.1"
    if credential.kind == "installation":
        return f"installation ID {credential.installation}"
    return f"user ID {credential.user.id}"


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise Refusal(400, "Problems parsing JSON") from None


def _commit(repo: Repo, sha: str) -> Commit:
    obj = repo.objects[sha]
    assert isinstance(obj, Commit)
    return obj


def _walk(repo: Repo, tree_sha: str, *, subtrees: bool = False) -> Iterator[tuple[str, Entry]]:
    """Every entry under a tree, depth first in git's order, as ``(path, entry)``."""
    tree = repo.objects[tree_sha]
    assert isinstance(tree, Tree)
    for entry in sorted(tree.entries, key=Entry.sort_key):
        if entry.mode == TREE_MODE:
            if subtrees:
                yield entry.name, entry
            for path, child in _walk(repo, entry.sha, subtrees=subtrees):
                yield f"{entry.name}/{path}", child
        else:
            yield entry.name, entry


def _edit_tree(repo: Repo, base: str | None, edits: list[tuple[str, str | None, str]]) -> str:
    """A new tree: ``base`` with each ``(path, sha or None to delete, mode)`` applied in order.

    Nested paths create subtrees; a subtree left empty disappears, as in git. Deleting a path
    that is not there, or writing beneath a file, is refused as GitHub refuses it.
    """
    root: dict[str, Any] = _load(repo, base) if base else {}
    for path, sha, mode in edits:
        *dirs, name = path.split("/")
        node = root
        for part in dirs:
            child = node.get(part)
            if child is None:
                if sha is None:
                    raise Refusal(422, "GitRPC::BadObjectState")
                child = node[part] = {}
            if not isinstance(child, dict):
                raise Refusal(422, "GitRPC::BadObjectState")
            node = child
        if sha is None:
            if name not in node:
                raise Refusal(422, "GitRPC::BadObjectState")
            del node[name]
        elif mode == TREE_MODE:
            node[name] = _load(repo, sha)
        else:
            if isinstance(node.get(name), dict):
                raise Refusal(422, "GitRPC::BadObjectState")
            node[name] = Entry(name, mode, sha)
    return _store(repo, root)


def _load(repo: Repo, sha: str) -> dict[str, Any]:
    tree = repo.objects[sha]
    assert isinstance(tree, Tree)
    return {e.name: _load(repo, e.sha) if e.mode == TREE_MODE else e for e in tree.entries}


def _store(repo: Repo, node: dict[str, Any]) -> str:
    entries: list[Entry] = []
    for name, value in node.items():
        if isinstance(value, dict):
            if value:
                entries.append(Entry(name, TREE_MODE, _store(repo, value)))
        else:
            entries.append(value)
    return repo.put(Tree(tuple(entries)))


def _valid_path(path: Any) -> bool:
    if not isinstance(path, str) or not path:
        return False
    return all(part not in {"", ".", "..", ".git"} for part in path.split("/"))


def _object_of(repo: Repo, sha: str, kind: type[_Obj]) -> _Obj:
    obj = repo.objects.get(sha) if _SHA.fullmatch(sha) else None
    if not isinstance(obj, kind):
        raise Refusal(404, "Not Found")
    return obj


# --- routes: repositories and git data --------------------------------------------------------


@route("GET", "/repos/{owner}/{repo}", area="metadata")
def _get_repo(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return Reply(200, fake.repo_json(ctx, ctx.the_repo()))


def _ref_name(ctx: Ctx) -> str:
    return "refs/" + ctx.params["ref"]


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref}", area="contents")
def _get_ref(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    name = _ref_name(ctx)
    if name not in repo.refs:
        raise Refusal(404, "Not Found")
    return Reply(200, fake.ref_json(ctx, name, repo.refs[name]))


@route(
    "GET",
    "/repos/{owner}/{repo}/git/refs/{ref}",
    area="contents",
    alias="/repos/{owner}/{repo}/git/ref/{ref}",
)
def _get_refs_legacy(fake: FakeGitHub, ctx: Ctx) -> Reply:
    """The older form: one ref when the name is exact, else every ref under that prefix."""
    repo = fake.stored(ctx)
    name = _ref_name(ctx)
    if name in repo.refs:
        return Reply(200, fake.ref_json(ctx, name, repo.refs[name]))
    found = [fake.ref_json(ctx, n, s) for n, s in sorted(repo.refs.items()) if n.startswith(name)]
    if not found:
        raise Refusal(404, "Not Found")
    return Reply(200, found, operation="GET /repos/{owner}/{repo}/git/matching-refs/{ref}")


@route(
    "GET",
    "/repos/{owner}/{repo}/git/refs",
    area="contents",
    alias="/repos/{owner}/{repo}/git/matching-refs/{ref}",
)
def _list_refs(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    return fake.page(ctx, [fake.ref_json(ctx, n, s) for n, s in sorted(repo.refs.items())])


@route("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}", area="contents")
def _matching_refs(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    name = _ref_name(ctx)
    refs = sorted((n, s) for n, s in repo.refs.items() if n.startswith(name))
    return Reply(200, [fake.ref_json(ctx, n, s) for n, s in refs])


def _descends(repo: Repo, sha: str, ancestor: str) -> bool:
    seen: set[str] = set()
    todo = [sha]
    while todo:
        current = todo.pop()
        if current == ancestor:
            return True
        if current in seen:
            continue
        seen.add(current)
        obj = repo.objects.get(current)
        if isinstance(obj, Commit):
            todo.extend(obj.parents)
    return False


@route("POST", "/repos/{owner}/{repo}/git/refs", area="contents", write=True)
def _create_ref(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    name, sha = body.get("ref"), body.get("sha")
    if not isinstance(name, str) or not name.startswith("refs/") or name.count("/") < 2:
        raise Refusal(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str) or not isinstance(repo.objects.get(sha), Commit):
        raise Refusal(422, "Object does not exist")
    if name in repo.refs:
        raise Refusal(422, "Reference already exists")
    repo.refs[name] = sha
    return Reply(
        201, fake.ref_json(ctx, name, sha), {"Location": fake.ref_json(ctx, name, sha)["url"]}
    )


@route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", area="contents", write=True)
def _update_ref(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    name, sha, force = _ref_name(ctx), body.get("sha"), body.get("force", False)
    if not isinstance(sha, str):
        raise Refusal(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if not isinstance(force, bool):
        raise Refusal(422, "Invalid request.\n\nforce is not a boolean.")
    if name not in repo.refs:
        raise Refusal(422, "Reference does not exist")
    if not isinstance(repo.objects.get(sha), Commit):
        raise Refusal(422, "Object does not exist")
    if not force and not _descends(repo, sha, repo.refs[name]):
        raise Refusal(422, NOT_FAST_FORWARD)
    repo.refs[name] = sha
    repo.pushed_at = fake.now()
    return Reply(200, fake.ref_json(ctx, name, sha))


@route("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", area="contents", write=True)
def _delete_ref(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    name = _ref_name(ctx)
    if name not in repo.refs:
        raise Refusal(422, "Reference does not exist")
    del repo.refs[name]
    return Reply(204, None)


@route("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}", area="contents")
def _get_commit(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    sha = ctx.params["commit_sha"]
    commit = _object_of(repo, sha, Commit)
    return Reply(200, fake.commit_json(ctx, sha, commit))


@route("POST", "/repos/{owner}/{repo}/git/commits", area="contents", write=True)
def _create_commit(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    message, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
    if not isinstance(message, str):
        raise Refusal(422, 'Invalid request.\n\n"message" wasn\'t supplied.')
    if not isinstance(tree, str) or not isinstance(repo.objects.get(tree), Tree):
        raise Refusal(422, "Tree SHA does not exist")
    if not isinstance(parents, list) or not all(
        isinstance(p, str) and isinstance(repo.objects.get(p), Commit) for p in parents
    ):
        raise Refusal(422, "Parent SHA does not exist or is not a commit object")
    author = fake.author_of(ctx, body.get("author"), None)
    committer = fake.author_of(ctx, body.get("committer"), author)
    commit = Commit(tree, tuple(parents), author, committer, message)
    sha = repo.put(commit)
    reply = fake.commit_json(ctx, sha, commit)
    return Reply(201, reply, {"Location": reply["url"]})


def _peel(repo: Repo, name: str) -> str | None:
    """A tree id from a tree id, a commit id or a branch name, as GET trees accepts."""
    if name in repo.objects:
        obj = repo.objects[name]
        if isinstance(obj, Commit):
            return obj.tree
        return name if isinstance(obj, Tree) else None
    head = repo.refs.get("refs/heads/" + name)
    return _commit(repo, head).tree if head else None


@route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", area="contents")
def _get_tree(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    sha = _peel(repo, ctx.params["tree_sha"])
    if sha is None:
        raise Refusal(404, "Not Found")
    recursive = ctx.query.get("recursive", "") not in {"", "0", "false"}
    return Reply(200, fake.tree_json(ctx, sha, recursive))


_MODE_TYPES = {
    "100644": "blob",
    "100755": "blob",
    "120000": "blob",
    TREE_MODE: "tree",
    COMMIT_MODE: "commit",
}


def _tree_edit(repo: Repo, item: Any) -> tuple[str, str | None, str]:
    """One requested tree entry, checked as GitHub checks it, as ``(path, sha, mode)``."""
    if not isinstance(item, dict):
        raise Refusal(422, "Invalid request.\n\nFor 'items', is not an object.")
    path, mode, kind = item.get("path"), item.get("mode"), item.get("type")
    if not _valid_path(path):
        raise Refusal(422, "tree.path contains a malformed path component")
    assert isinstance(path, str)
    if mode not in _MODE_TYPES:
        raise Refusal(422, f"Invalid request.\n\n{mode!r} is not a valid tree.mode.")
    if kind != _MODE_TYPES[mode]:
        raise Refusal(422, f"Invalid request.\n\ntree.type {kind!r} does not match mode {mode}.")
    has_sha, has_content = "sha" in item, "content" in item
    if has_sha == has_content:
        raise Refusal(
            422,
            "Must supply either tree.sha or tree.content. Request will be rejected if both are"
            " present.",
        )
    if has_content:
        content = item["content"]
        if not isinstance(content, str) or kind != "blob":
            raise Refusal(422, "Invalid request.\n\ntree.content must be a string for a blob.")
        return path, repo.put(Blob(content.encode())), mode
    sha = item["sha"]
    if sha is None:
        return path, None, mode
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise Refusal(422, f"tree.sha {sha} is not a valid {kind}")
    wanted = {"blob": Blob, "tree": Tree}.get(kind)
    if wanted is not None and not isinstance(repo.objects.get(sha), wanted):
        raise Refusal(422, f"tree.sha {sha} is not a valid {kind}")
    return path, sha, mode


@route("POST", "/repos/{owner}/{repo}/git/trees", area="contents", write=True)
def _create_tree(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    items, base = body.get("tree"), body.get("base_tree")
    if not isinstance(items, list):
        raise Refusal(422, 'Invalid request.\n\n"tree" wasn\'t supplied.')
    if base is not None and (
        not isinstance(base, str) or not isinstance(repo.objects.get(base), Tree)
    ):
        raise Refusal(422, "base_tree is not a valid tree oid")
    edits = [_tree_edit(repo, item) for item in items]
    sha = _edit_tree(repo, base, edits)
    reply = fake.tree_json(ctx, sha, recursive=False)
    return Reply(201, reply, {"Location": reply["url"]})


@route("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}", area="contents")
def _get_blob(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    sha = ctx.params["file_sha"]
    blob = _object_of(repo, sha, Blob)
    encoded = base64.b64encode(blob.data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return Reply(
        200,
        {
            "sha": sha,
            "node_id": f"B_{sha[:20]}",
            "size": len(blob.data),
            "url": f"{ctx.rbase}/git/blobs/{sha}",
            "content": wrapped,
            "encoding": "base64",
        },
    )


@route("POST", "/repos/{owner}/{repo}/git/blobs", area="contents", write=True)
def _create_blob(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo = fake.stored(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    content, encoding = body.get("content"), body.get("encoding", "utf-8")
    if not isinstance(content, str):
        raise Refusal(422, 'Invalid request.\n\n"content" wasn\'t supplied.')
    if encoding == "utf-8":
        data = content.encode()
    elif encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except binascii.Error:
            raise Refusal(422, "content is not valid Base64") from None
    else:
        raise Refusal(422, f"Invalid request.\n\nencoding {encoding!r} is not utf-8 or base64.")
    sha = repo.put(Blob(data))
    url = f"{ctx.rbase}/git/blobs/{sha}"
    return Reply(201, {"url": url, "sha": sha}, {"Location": url})


@route("PUT", "/repos/{owner}/{repo}/contents/{path}", area="contents", write=True)
def _put_contents(fake: FakeGitHub, ctx: Ctx) -> Reply:
    """The Contents API: one file per commit; how an empty repository gets its first commit."""
    repo = ctx.the_repo()
    body = ctx.body if isinstance(ctx.body, dict) else {}
    path, message, content = ctx.params["path"], body.get("message"), body.get("content")
    if not _valid_path(path):
        raise Refusal(422, "path contains a malformed path component")
    if not isinstance(message, str):
        raise Refusal(422, 'Invalid request.\n\n"message" wasn\'t supplied.')
    if not isinstance(content, str):
        raise Refusal(422, 'Invalid request.\n\n"content" wasn\'t supplied.')
    try:
        data = base64.b64decode(content, validate=True)
    except binascii.Error:
        raise Refusal(422, "content is not valid Base64") from None
    branch = body.get("branch") or repo.default_branch
    ref = f"refs/heads/{branch}"
    parent = repo.refs.get(ref)
    if parent is None and not repo.empty:
        raise Refusal(404, f"Branch {branch} not found")
    base = _commit(repo, parent).tree if parent else None
    existing = _lookup(repo, base, path) if base else None
    if existing is not None:
        if "sha" not in body:
            raise Refusal(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if body["sha"] != existing.sha:
            raise Refusal(409, f"{path} does not match {body['sha']}")
    blob = repo.put(Blob(data))
    tree = _edit_tree(repo, base, [(path, blob, "100644")])
    author = fake.author_of(ctx, body.get("author"), None)
    committer = fake.author_of(ctx, body.get("committer"), author)
    commit = Commit(tree, (parent,) if parent else (), author, committer, message)
    sha = repo.put(commit)
    repo.refs[ref] = sha
    repo.pushed_at = fake.now()
    quoted = urllib.parse.quote(path)
    url = f"{ctx.rbase}/contents/{quoted}?ref={branch}"
    git_url = f"{ctx.rbase}/git/blobs/{blob}"
    html_url = f"{ctx.rhtml}/blob/{branch}/{quoted}"
    content_json = {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": blob,
        "size": len(data),
        "url": url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": f"{ctx.html}/raw/{ctx.the_repo().full_name}/{branch}/{quoted}",
        "type": "file",
        "_links": {"self": url, "git": git_url, "html": html_url},
    }
    commit_json = fake.commit_json(ctx, sha, commit)
    return Reply(201 if existing is None else 200, {"content": content_json, "commit": commit_json})


def _lookup(repo: Repo, tree_sha: str, path: str) -> Entry | None:
    tree = repo.objects[tree_sha]
    *dirs, name = path.split("/")
    for part in dirs:
        assert isinstance(tree, Tree)
        entry = tree.by_name().get(part)
        if entry is None or entry.mode != TREE_MODE:
            return None
        tree = repo.objects[entry.sha]
    assert isinstance(tree, Tree)
    return tree.by_name().get(name)


# --- routes: issues, labels, comments, reactions ----------------------------------------------
#
# Each state change lives in one function that both the routes and the test helpers call, so
# what a person does on GitHub (a helper) and what a client does (a route) leave the same issue
# events, timestamps and labels behind.


def _issue_of(repo: Repo, number: int) -> Issue:
    issue = repo.issues.get(number)
    if issue is None:
        raise Refusal(404, "Not Found")
    return issue


def _issue(ctx: Ctx) -> Issue:
    return _issue_of(ctx.the_repo(), int(ctx.params["issue_number"]))


def _actor(fake: FakeGitHub, ctx: Ctx) -> Actor:
    """Who a request acts as: an installation token acts as its App's ``slug[bot]`` account."""
    credential = ctx.credential
    if credential is None:
        return Actor(fake.user("ghost"))
    app = credential.app if credential.kind == "installation" else None
    return Actor(credential.user, app)


def _label_names(fake: FakeGitHub, repo: Repo, raw: Any) -> list[str]:
    """Label names from a request; unknown labels are created, as GitHub creates them."""
    if isinstance(raw, dict):
        raw = raw.get("labels")
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
        raise invalid("Label", "name", "invalid")
    names: list[str] = []
    for name in raw:
        label = repo.label(name)
        if label is None:
            label = Label(fake.fresh_id(), name, "ededed", None)
            repo.labels[name.lower()] = label
        if label.name not in names:
            names.append(label.name)
    return names


def _record(
    fake: FakeGitHub,
    repo: Repo,
    issue: Issue,
    event: Literal["labeled", "unlabeled", "closed", "reopened"],
    actor: Actor,
    *,
    label: str | None = None,
) -> None:
    found = repo.label(label) if label is not None else None
    snapshot = (found.name, found.color) if found is not None else None
    reason = issue.state_reason if event in {"closed", "reopened"} else None
    repo.events.append(
        IssueEvent(
            id=fake.fresh_id(),
            issue=issue.number,
            event=event,
            actor=actor.user,
            created_at=fake.now(),
            label=snapshot,
            state_reason=reason,
            app=actor.app,
        )
    )


def _open_issue(
    fake: FakeGitHub, repo: Repo, title: Any, body: Any, labels: Any, actor: Actor
) -> Issue:
    if not isinstance(title, str) or not title.strip():
        raise invalid("Issue", "title")
    if body is not None and not isinstance(body, str):
        raise invalid("Issue", "body", "invalid")
    names = _label_names(fake, repo, labels)
    now = fake.now()
    number = max([*repo.issues, 0]) + 1
    issue = Issue(fake.fresh_id(), number, title, body, actor.user, now, now, app=actor.app)
    repo.issues[number] = issue
    _add_labels(fake, repo, issue, names, actor)
    issue.updated_at = now
    return issue


def _add_labels(fake: FakeGitHub, repo: Repo, issue: Issue, raw: Any, actor: Actor) -> None:
    """Add labels (created if unknown); one ``labeled`` event per label the issue lacked."""
    for name in _label_names(fake, repo, raw):
        if name.lower() not in {n.lower() for n in issue.labels}:
            issue.labels.append(name)
            _record(fake, repo, issue, "labeled", actor, label=name)
    issue.updated_at = fake.now()


def _remove_label(fake: FakeGitHub, repo: Repo, issue: Issue, name: str, actor: Actor) -> None:
    kept = [n for n in issue.labels if n.lower() != name.lower()]
    if len(kept) == len(issue.labels):
        raise Refusal(404, "Label does not exist")
    removed = next(n for n in issue.labels if n.lower() == name.lower())
    issue.labels = kept
    _record(fake, repo, issue, "unlabeled", actor, label=removed)
    issue.updated_at = fake.now()


def _set_labels(fake: FakeGitHub, repo: Repo, issue: Issue, raw: Any, actor: Actor) -> None:
    """Replace the labels: ``unlabeled`` events for those dropped, ``labeled`` for those added."""
    wanted = _label_names(fake, repo, raw)
    for name in list(issue.labels):
        if name.lower() not in {n.lower() for n in wanted}:
            _remove_label(fake, repo, issue, name, actor)
    _add_labels(fake, repo, issue, wanted, actor)


STATE_REASONS = {"completed", "not_planned", "duplicate", "reopened"}


def _set_state(
    fake: FakeGitHub, repo: Repo, issue: Issue, state: Any, reason: Any, actor: Actor
) -> None:
    """Close or reopen (an event each time the state changes); the reason is kept only then."""
    if state not in {"open", "closed"}:
        raise invalid("Issue", "state", "invalid")
    if reason is not None and reason not in STATE_REASONS:
        raise invalid("Issue", "state_reason", "invalid")
    if state == issue.state:
        return
    issue.state = state
    issue.closed_at = fake.now() if state == "closed" else None
    issue.state_reason = reason or ("completed" if state == "closed" else "reopened")
    issue.updated_at = fake.now()
    _record(fake, repo, issue, "closed" if state == "closed" else "reopened", actor)


def _add_comment(fake: FakeGitHub, repo: Repo, issue: Issue, text: Any, actor: Actor) -> Comment:
    _check_comment(text)
    now = fake.now()
    comment = Comment(fake.fresh_id(), issue.number, text, actor.user, now, now, app=actor.app)
    repo.comments[comment.id] = comment
    issue.comments.append(comment.id)
    issue.updated_at = now
    return comment


def _check_comment(text: Any) -> None:
    if not isinstance(text, str) or not text:
        raise invalid("IssueComment", "body")
    if len(text) > 65536:
        raise invalid("IssueComment", "body", "custom")


def _edit_comment(fake: FakeGitHub, comment: Comment, text: Any) -> None:
    _check_comment(text)
    comment.body = text
    comment.updated_at = fake.now()


def _add_reaction(
    fake: FakeGitHub, reactions: list[Reaction], content: Any, user: User
) -> tuple[Reaction, bool]:
    """The user's reaction, and whether it is new (reacting twice alike changes nothing)."""
    if content not in REACTIONS:
        raise invalid("Reaction", "content", "invalid")
    for reaction in reactions:
        if reaction.user.id == user.id and reaction.content == content:
            return reaction, False
    reaction = Reaction(fake.fresh_id(), str(content), user, fake.now())
    reactions.append(reaction)
    return reaction, True


def _since(ctx: Ctx) -> float | None:
    """The ``since`` filter as a Unix time (None: absent); a malformed one is refused."""
    raw = ctx.query.get("since")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Refusal(422, f"Invalid request.\n\n{raw!r} is not a valid date-time.") from None
    if moment.tzinfo is None:
        raise Refusal(422, f"Invalid request.\n\n{raw!r} is not a valid date-time.")
    return moment.timestamp()


def _body(ctx: Ctx) -> dict[str, Any]:
    return ctx.body if isinstance(ctx.body, dict) else {}


@route("GET", "/user", area="metadata")
def _get_authenticated_user(fake: FakeGitHub, ctx: Ctx) -> Reply:
    """The token's own account; GitHub refuses it to installation tokens."""
    credential = ctx.credential
    if credential is None:
        raise Refusal(401, "Requires authentication")
    if credential.kind != "token":
        raise Refusal(403, "Resource not accessible by integration")
    return Reply(200, fake.private_user_json(ctx, credential.user))


@route("POST", "/repos/{owner}/{repo}/issues", area="issues", write=True)
def _create_issue(fake: FakeGitHub, ctx: Ctx) -> Reply:
    body = _body(ctx)
    issue = _open_issue(
        fake,
        ctx.the_repo(),
        body.get("title"),
        body.get("body"),
        body.get("labels", []),
        _actor(fake, ctx),
    )
    reply = fake.issue_json(ctx, issue)
    return Reply(201, reply, {"Location": reply["url"]})


@route("GET", "/repos/{owner}/{repo}/issues", area="issues")
def _list_issues(fake: FakeGitHub, ctx: Ctx) -> Reply:
    state = ctx.query.get("state", "open")
    if state not in {"open", "closed", "all"}:
        raise invalid("Issue", "state", "invalid")
    wanted = [n.strip().lower() for n in ctx.query.get("labels", "").split(",") if n.strip()]
    issues = [
        issue
        for issue in ctx.the_repo().issues.values()
        if state in {"all", issue.state} and set(wanted) <= {n.lower() for n in issue.labels}
    ]
    key = "updated_at" if ctx.query.get("sort") == "updated" else "created_at"
    issues.sort(
        key=lambda i: (getattr(i, key), i.number), reverse=ctx.query.get("direction") != "asc"
    )
    return fake.page(ctx, [fake.issue_json(ctx, issue) for issue in issues])


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}", area="issues")
def _get_issue(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return Reply(200, fake.issue_json(ctx, _issue(ctx)))


@route("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", area="issues", write=True)
def _update_issue(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo, issue, body, actor = ctx.the_repo(), _issue(ctx), _body(ctx), _actor(fake, ctx)
    title, state = body.get("title", issue.title), body.get("state", issue.state)
    if not isinstance(title, str) or not title.strip():
        raise invalid("Issue", "title", "invalid")
    if state not in {"open", "closed"}:
        raise invalid("Issue", "state", "invalid")
    reason = body.get("state_reason")
    if reason is not None and reason not in STATE_REASONS:
        raise invalid("Issue", "state_reason", "invalid")
    if "body" in body and body["body"] is not None and not isinstance(body["body"], str):
        raise invalid("Issue", "body", "invalid")
    if "labels" in body:
        _set_labels(fake, repo, issue, body["labels"], actor)
    issue.title = title
    if "body" in body:
        issue.body = body["body"]
    _set_state(fake, repo, issue, state, reason, actor)
    issue.updated_at = fake.now()
    return Reply(200, fake.issue_json(ctx, issue))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/events", area="issues")
def _list_issue_events(fake: FakeGitHub, ctx: Ctx) -> Reply:
    number = _issue(ctx).number
    events = [e for e in ctx.the_repo().events if e.issue == number]
    return fake.page(ctx, [fake.event_json(ctx, event) for event in events])


@route("GET", "/repos/{owner}/{repo}/issues/events/{event_id}", area="issues")
def _get_issue_event(fake: FakeGitHub, ctx: Ctx) -> Reply:
    """One event with its issue, as PyGithub fetches it when ``raw_data`` is read."""
    repo, wanted = ctx.the_repo(), int(ctx.params["event_id"])
    event = next((e for e in repo.events if e.id == wanted), None)
    if event is None:
        raise Refusal(404, "Not Found")
    issue = fake.issue_json(ctx, _issue_of(repo, event.issue))
    return Reply(200, {**fake.event_json(ctx, event), "issue": issue})


@route("POST", "/repos/{owner}/{repo}/labels", area="issues", write=True)
def _create_label(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo, body = ctx.the_repo(), _body(ctx)
    name, color = body.get("name"), str(body.get("color", "ededed")).lstrip("#")
    description = body.get("description")
    if not isinstance(name, str) or not name.strip():
        raise invalid("Label", "name")
    if not _COLOR.fullmatch(color):
        raise invalid("Label", "color", "invalid")
    if description is not None and (not isinstance(description, str) or len(description) > 100):
        raise invalid("Label", "description", "invalid")
    if repo.label(name) is not None:
        raise invalid("Label", "name", "already_exists")
    label = Label(fake.fresh_id(), name, color.lower(), description)
    repo.labels[name.lower()] = label
    reply = fake.label_json(ctx, label)
    return Reply(201, reply, {"Location": reply["url"]})


@route("GET", "/repos/{owner}/{repo}/labels", area="issues")
def _list_labels(fake: FakeGitHub, ctx: Ctx) -> Reply:
    labels = sorted(ctx.the_repo().labels.values(), key=lambda label: label.id)
    return fake.page(ctx, [fake.label_json(ctx, label) for label in labels])


@route("GET", "/repos/{owner}/{repo}/labels/{name}", area="issues")
def _get_label(fake: FakeGitHub, ctx: Ctx) -> Reply:
    label = ctx.the_repo().label(ctx.params["name"])
    if label is None:
        raise Refusal(404, "Not Found")
    return Reply(200, fake.label_json(ctx, label))


def _issue_labels(fake: FakeGitHub, ctx: Ctx, issue: Issue) -> list[dict[str, Any]]:
    repo = ctx.the_repo()
    return [
        fake.label_json(ctx, label) for n in issue.labels if (label := repo.label(n)) is not None
    ]


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", area="issues")
def _list_issue_labels(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return fake.page(ctx, _issue_labels(fake, ctx, _issue(ctx)))


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", area="issues", write=True)
def _add_issue_labels(fake: FakeGitHub, ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    _add_labels(fake, ctx.the_repo(), issue, ctx.body, _actor(fake, ctx))
    return Reply(200, _issue_labels(fake, ctx, issue))


@route("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels", area="issues", write=True)
def _set_issue_labels(fake: FakeGitHub, ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    _set_labels(fake, ctx.the_repo(), issue, ctx.body, _actor(fake, ctx))
    return Reply(200, _issue_labels(fake, ctx, issue))


@route(
    "DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", area="issues", write=True
)
def _remove_issue_label(fake: FakeGitHub, ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    _remove_label(fake, ctx.the_repo(), issue, ctx.params["name"], _actor(fake, ctx))
    return Reply(200, _issue_labels(fake, ctx, issue))


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", area="issues", write=True)
def _create_comment(fake: FakeGitHub, ctx: Ctx) -> Reply:
    repo, issue = ctx.the_repo(), _issue(ctx)
    comment = _add_comment(fake, repo, issue, _body(ctx).get("body"), _actor(fake, ctx))
    reply = fake.comment_json(ctx, comment)
    return Reply(201, reply, {"Location": reply["url"]})


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", area="issues")
def _list_comments(fake: FakeGitHub, ctx: Ctx) -> Reply:
    """The comments, oldest first; ``since`` keeps those updated at or after it."""
    issue, since = _issue(ctx), _since(ctx)
    comments = [ctx.the_repo().comments[i] for i in issue.comments]
    if since is not None:
        comments = [c for c in comments if int(c.updated_at) >= since]
    return fake.page(ctx, [fake.comment_json(ctx, comment) for comment in comments])


def _comment(ctx: Ctx) -> Comment:
    comment = ctx.the_repo().comments.get(int(ctx.params["comment_id"]))
    if comment is None:
        raise Refusal(404, "Not Found")
    return comment


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", area="issues")
def _get_comment(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return Reply(200, fake.comment_json(ctx, _comment(ctx)))


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", area="issues", write=True)
def _update_comment(fake: FakeGitHub, ctx: Ctx) -> Reply:
    comment = _comment(ctx)
    _edit_comment(fake, comment, _body(ctx).get("body"))
    return Reply(200, fake.comment_json(ctx, comment))


def _react(fake: FakeGitHub, ctx: Ctx, reactions: list[Reaction]) -> Reply:
    content = _body(ctx).get("content")
    reaction, new = _add_reaction(fake, reactions, content, _actor(fake, ctx).user)
    return Reply(201 if new else 200, fake.reaction_json(ctx, reaction))


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions", area="issues", write=True)
def _react_issue(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return _react(fake, ctx, _issue(ctx).reactions)


@route(
    "POST",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    area="issues",
    write=True,
)
def _react_comment(fake: FakeGitHub, ctx: Ctx) -> Reply:
    return _react(fake, ctx, _comment(ctx).reactions)


# --- routes: GitHub Apps ----------------------------------------------------------------------


def _app(fake: FakeGitHub, ctx: Ctx) -> App:
    assert ctx.credential is not None and ctx.credential.app is not None
    return fake._apps[ctx.credential.app]


def _installation_json(fake: FakeGitHub, ctx: Ctx, installation: Installation) -> dict[str, Any]:
    app = fake._apps[installation.app]
    account = installation.account
    return {
        "id": installation.id,
        "account": fake.user_json(ctx, account),
        "repository_selection": "all" if installation.repos is None else "selected",
        "access_tokens_url": f"{ctx.api}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{ctx.api}/installation/repositories",
        "html_url": f"{ctx.html}/organizations/{account.login}/settings/installations/"
        f"{installation.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "client_id": f"Iv1.{app.id:016x}",
        "target_id": account.id,
        "target_type": account.type,
        "permissions": installation.permissions,
        "events": [],
        "created_at": iso(installation.created_at),
        "updated_at": iso(installation.created_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


@route("GET", "/app", area=None)
def _get_app(fake: FakeGitHub, ctx: Ctx) -> Reply:
    app = _app(fake, ctx)
    count = sum(1 for i in fake._installations.values() if i.app == app.id)
    return Reply(200, {**(fake.app_json(ctx, app.id) or {}), "installations_count": count})


@route("GET", "/repos/{owner}/{repo}/installation", area=None)
def _get_repo_installation(fake: FakeGitHub, ctx: Ctx) -> Reply:
    app, repo = _app(fake, ctx), ctx.the_repo()
    for installation in fake._installations.values():
        if installation.app == app.id and _covers(installation.repos, repo):
            return Reply(200, _installation_json(fake, ctx, installation))
    raise Refusal(404, "Not Found")


@route("POST", "/app/installations/{installation_id}/access_tokens", area=None)
def _create_installation_token(fake: FakeGitHub, ctx: Ctx) -> Reply:
    app = _app(fake, ctx)
    installation = fake._installations.get(int(ctx.params["installation_id"]))
    if installation is None or installation.app != app.id:
        raise Refusal(404, "Not Found")
    body = ctx.body if isinstance(ctx.body, dict) else {}
    asked = body.get("permissions") or {}
    if not isinstance(asked, dict) or any(
        installation.permissions.get(area)
        not in ({"read", "write"} if level == "read" else {"write"})
        for area, level in asked.items()
    ):
        raise Refusal(422, "The permissions requested are not granted to this installation.")
    token, expires_at = fake.issue_installation_token(installation.id)
    if asked:
        fake._tokens[token].permissions = {str(k): str(v) for k, v in asked.items()}
    return Reply(
        201,
        {
            "token": token,
            "expires_at": iso(expires_at),
            "permissions": fake._tokens[token].permissions,
            "repository_selection": "all" if installation.repos is None else "selected",
        },
    )


# --- checking answers against GitHub's OpenAPI description ------------------------------------

SUBSET = Path(__file__).with_name("openapi") / "github-subset.json"


def shape_problems(exchanges: Iterable[Exchange]) -> list[str]:
    """How logged answers differ from GitHub's published response schemas (empty: none do).

    A documented status is checked against its schema; an undocumented error (401, a rate
    limit, a 5xx) against GitHub's basic error shape; an undocumented success is a problem.
    """
    subset = json.loads(SUBSET.read_text())
    components = subset["components"]
    problems: list[str] = []
    for exchange in exchanges:
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        responses = subset["operations"].get(exchange.operation, {}).get("responses")
        if exchange.operation is not None and responses is None:
            problems.append(f"{where}: {exchange.operation} missing from {SUBSET.name}")
            continue
        schema: Any = (responses or {}).get(str(exchange.status), _UNDOCUMENTED)
        if schema is _UNDOCUMENTED:
            if exchange.status < 400:
                problems.append(f"{where}: status not documented for {exchange.operation}")
                continue
            schema = {"$ref": "#/components/schemas/basic-error"}
        if schema is None:
            if exchange.response is not None:
                problems.append(f"{where}: documented without a body, answered one")
            continue
        validator = jsonschema.Draft4Validator({**schema, "components": components})
        problems += [
            f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
            for error in validator.iter_errors(exchange.response)
        ]
    return problems


_UNDOCUMENTED = object()
