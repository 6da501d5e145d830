"""What GitHub shows of the record: labels, comments, closed issues and RFC issues.

Two steps, both durable:

1. ``follow`` reads the ledger entries after its checkpoint and turns them into GitHub
   operations in the outbox, in the same transaction that moves the checkpoint. It follows the
   ledger rather than the service's own calls, so changes made from the console, or while GitHub
   was down, reach GitHub all the same. On its first run it starts at the ledger's head: history
   from before GitHub was configured is not replayed.
2. ``GitHubEffects.perform`` carries out one operation with PyGithub. The worker performs them in
   outbox order (a label before the comment that explains it), backs off on failure, waits as
   long as a rate limit asks, and paces content-creating requests under GitHub's 80 a minute.

An operation can be tried twice when govbot stops between GitHub's answer and the outbox row
being marked done. Labels and reactions are idempotent; comments and issues carry a hidden
marker, looked for before a retry creates them again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from github import Github, GithubException
from github.Issue import Issue
from github.Repository import Repository
from sqlmodel import col, select

from bot import following
from bot.github.outbox import OUTBOX_KIND, labels_of
from bot.github.publisher import error_message, rate_limit_wait
from governance import policy as policies
from governance.charters import Labels
from governance.clock import iso, utcnow
from governance.model import Group, LedgerEntry, OutboxItem, Vote
from governance.publish.outbox import backoff
from governance.services import common, rfcs
from governance.store import Store, UnitOfWork
from governance.worker import Worker

log = logging.getLogger(__name__)

CHECKPOINT = "github:ledger"
BATCH = 500
ERROR_MAX = 500
WRITES_PER_MINUTE = 80
STYLES = {
    "rfc": ("5319e7", "A proposal decided by the foundation's governance (govbot)"),
    "vote_open": ("fbca04", "A vote is open on this RFC (govbot)"),
    "vote_passed": ("0e8a16", "The vote on this RFC passed (govbot)"),
    "vote_rejected": ("d93f0b", "The vote on this RFC was rejected (govbot)"),
    "vote_no_quorum": ("c5def5", "The vote on this RFC missed its quorum (govbot)"),
    "vote_cancelled": ("bfdadc", "A chair cancelled the vote on this RFC (govbot)"),
}
GROUP_STYLE = ("1d76db", "An RFC of the {group} group (govbot)")
PLAIN_STYLE = ("ededed", "Used by govbot")
OUTCOME_LABEL = {
    "passed": "vote_passed",
    "rejected": "vote_rejected",
    "no-quorum": "vote_no_quorum",
    "cancelled": "vote_cancelled",
}
OUTCOME_TEXT = {
    "passed": "passed",
    "rejected": "was rejected",
    "no-quorum": "did not reach its quorum",
}


def styles(names: Labels, group: str | None = None) -> dict[str, list[str]]:
    """Colour and description of each label govbot may create, by the name foundation.yaml gives."""
    out = {getattr(names, role): list(style) for role, style in STYLES.items()}
    if group is not None:
        colour, description = GROUP_STYLE
        out[f"{names.group_prefix}{group}"] = [colour, description.format(group=group)]
    return out


ACTIONS = frozenset(
    {
        "rfc.proposed",
        "vote.opened",
        "vote.closed",
        "vote.cancelled",
        "rfc.withdrawn",
        "rfc.reproposed",
    }
)
"""The ledger actions that call for GitHub operations (``operations`` says which)."""


def marker(key: str) -> str:
    """The hidden line that lets a retry find a comment or issue it already created."""
    return f"<!-- govbot:{key} -->"


# --- 1. the ledger, as GitHub operations -----------------------------------------------------


def follow(store: Store, *, batch: int = BATCH) -> int:
    """Queue the GitHub operations of new ledger entries; returns how many entries it read.

    The first call, when govbot starts with GitHub for the first time, sets the checkpoint at
    the ledger's head: earlier history is not replayed onto GitHub.
    """
    if following.caught_up(store, CHECKPOINT):
        return 0
    with store.write() as uow:
        read = follow_in(uow, batch=batch, start=True)
        uow.commit()
        return read


def follow_in(uow: UnitOfWork, *, batch: int = BATCH, start: bool = False) -> int:
    """``follow`` inside a transaction that is already open, without committing it.

    Processing a delivery calls it before queueing its replies, so that what the record did
    (a vote's announcement) reaches GitHub before the answers to later comments about it.
    """
    point, entries = following.entries_after(uow, CHECKPOINT, batch=batch, start=start)
    if point is None or not entries:
        return 0
    emitted = 0
    if any(entry.action in ACTIONS for entry in entries):
        names = labels_of(uow)
        settings = common.foundation(uow)
        github_settings = settings.github if settings is not None else {}
        for entry in entries:
            assert entry.seq is not None
            for index, op in enumerate(operations(uow, entry, names, github_settings)):
                uow.emit(entry.at, OUTBOX_KIND, f"github:ledger:{entry.seq}:{index}", op)
                emitted += 1
    if emitted or start:  # entries that call for nothing may be passed over again, cheaply
        following.advance(uow, point, entries)
    return len(entries)


def operations(
    uow: UnitOfWork, entry: LedgerEntry, names: Labels, github: dict[str, Any]
) -> list[dict[str, Any]]:
    """The GitHub operations one ledger entry calls for (none for most)."""
    action, label = entry.action, entry.subject
    if action not in ACTIONS or not label.startswith("RFC-"):
        return []
    payload = json.loads(entry.payload)
    every_outcome = [getattr(names, OUTCOME_LABEL[o]) for o in OUTCOME_LABEL]
    if action == "rfc.proposed":
        if payload.get("github"):
            return []  # imported from an issue: it has one
        rfc = common.rfc(uow, label)
        group = uow.session.get(Group, rfc.group_id)
        slug = group.slug if group is not None else str(payload.get("group"))
        record = _record_link(uow, rfc.number, rfc.title)
        author = common.person_by_id(uow, rfc.author_id).handle
        body = (
            f"{rfc.body}\n\n---\n*{label} of the `{slug}` group, proposed by "
            f"`{author}` through govbot. Discuss it here; electors vote "
            f"with `/vote yes`, `/vote no` or `/vote abstain` once a chair opens the vote.*"
            f"{record}\n\n{marker(label)}"
        )
        return [
            {
                "op": "create-issue",
                "rfc": label,
                "title": f"{label}: {rfc.title}",
                "body": body,
                "labels": [names.rfc, f"{names.group_prefix}{slug}"],
                "styles": styles(names, slug),
            }
        ]
    if action == "vote.opened":
        return [
            {
                "op": "labels",
                "rfc": label,
                "add": [names.vote_open],
                "remove": every_outcome,
                "styles": styles(names),
            },
            {"op": "comment", "rfc": label, "body": _opened_text(label, payload)},
        ]
    if action == "vote.closed":
        outcome = str(payload.get("outcome"))
        ops: list[dict[str, Any]] = [
            {
                "op": "labels",
                "rfc": label,
                "add": [getattr(names, OUTCOME_LABEL.get(outcome, "vote_rejected"))],
                "remove": [names.vote_open],
                "styles": styles(names),
            },
            {"op": "comment", "rfc": label, "body": _closed_text(uow, label, payload)},
        ]
        if outcome == "passed" and github.get("close_accepted"):
            ops.append({"op": "close", "rfc": label, "reason": "completed"})
        return ops
    if action == "vote.cancelled":
        reason = str(payload.get("reason", ""))
        return [
            {
                "op": "labels",
                "rfc": label,
                "add": [names.vote_cancelled],
                "remove": [names.vote_open],
                "styles": styles(names),
            },
            {
                "op": "comment",
                "rfc": label,
                "body": f"**The vote on {label} was cancelled** by `{entry.actor}`; the RFC is "
                f"back in discussion.\n\n> {_quote(reason)}",
            },
        ]
    if action == "rfc.withdrawn":
        return [
            {"op": "comment", "rfc": label, "body": f"`{entry.actor}` withdrew {label}."},
            {"op": "close", "rfc": label, "reason": "not_planned"},
        ]
    if action == "rfc.reproposed":
        return [
            {"op": "labels", "rfc": label, "add": [], "remove": every_outcome},
            {
                "op": "comment",
                "rfc": label,
                "body": f"`{entry.actor}` re-proposed {label} with changes; it is back in "
                "discussion.",
            },
        ]
    return []


def _record_link(uow: UnitOfWork, number: int, title: str) -> str:
    """A line linking the RFC's page in the docs repository, when that is on GitHub."""
    from governance.render.pages import rfc_path

    settings = common.foundation(uow)
    if settings is None or not settings.docs.get("repo"):
        return ""
    web = str((settings.github or {}).get("web_url") or "https://github.com").rstrip("/")
    url = f"{web}/{settings.docs['repo']}/blob/main/{rfc_path(number, title)}"
    return f"\n\nIts record (history, concerns, every ballot): {url}"


def _quote(text: str) -> str:
    """User text inside a blockquote: every line quoted, mentions broken, HTML shown as text."""
    from governance.render import markdown as md

    return "\n> ".join(str(md.inline(line)) for line in text.splitlines() or [""])


def _opened_text(label: str, payload: dict[str, Any]) -> str:
    frozen = policies.policy_from_dict(payload.get("policy") or {})
    electorate = payload.get("electorate") or []
    closes = payload.get("closes_at")
    early = " or earlier, once the outcome is settled" if frozen.close_early else ""
    when = (
        f"It closes at {closes} (UTC){early}."
        if closes
        else "It is paused by an open concern: its clock starts when the concern is resolved."
    )
    how = (
        "This vote is **secret**: vote in Discord or with the console, not in comments."
        if frozen.secret
        else "Electors vote by commenting `/vote yes`, `/vote no` or `/vote abstain`; the latest "
        "comment counts. Anyone else's ballot is recorded as non-binding."
    )
    return (
        f"**The vote on {label} is open** under the `{payload.get('policy_name', 'default')}` "
        f"policy: {policies.describe(frozen)}.\n\n{when}\n\n"
        f"Electorate ({len(electorate)}): {', '.join(f'`{h}`' for h in electorate)}.\n\n"
        f"{how} An elector can block it with `/concern TEXT`."
    )


def _closed_text(uow: UnitOfWork, label: str, payload: dict[str, Any]) -> str:
    outcome = str(payload.get("outcome"))
    vote = uow.session.get(Vote, payload.get("vote_id"))
    policy = "" if vote is None else f" under the `{vote.policy_name}` policy"
    secret = vote is not None and bool((vote.policy or {}).get("secret"))
    record = (
        "It was a secret ballot: the tally sheet in the governance docs lists every counted "
        "receipt with its choice, without names, so each voter can find their line."
        if secret
        else "The full record, every ballot included, is in the governance docs."
    )
    electorate = payload.get("electorate", 0)
    met = "met" if payload.get("quorum_met") else "not met"
    return (
        f"**{label} {OUTCOME_TEXT.get(outcome, outcome)}**{policy}; the vote closed at "
        f"{payload.get('closed_at')} (UTC).\n\n"
        "| Yes | No | Abstain | Participation | Quorum | Non-binding |\n"
        "|---:|---:|---:|---:|---:|---:|\n"
        f"| {payload.get('yes', 0)} | {payload.get('no', 0)} | {payload.get('abstain', 0)} "
        f"| {payload.get('participation', 0)} of {electorate} "
        f"| {payload.get('quorum_needed', 0)} ({met}) | {payload.get('non_binding', 0)} |\n\n"
        f"{record}"
    )


# --- 2. performing operations ----------------------------------------------------------------


class Permanent(Exception):
    """GitHub refused for good (a deleted issue, a bad request): retrying cannot help."""


class Passing(Exception):
    """A failure worth retrying; ``retry_after`` is GitHub's requested wait, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Done:
    """What an operation did: a line for the log, and the issue it created, if any."""

    result: str
    writes: int
    created_issue: tuple[str, int] | None = None


class GitHubEffects:
    """Carries out outbox operations on GitHub with PyGithub (synchronous: run it in a thread)."""

    def __init__(self, client: Github, repo: str) -> None:
        self.client = client
        self.repo_name = repo
        self._repos: dict[str, Repository] = {}
        self._labels_known: set[tuple[str, str]] = set()

    def _repo(self, name: str) -> Repository:
        if name not in self._repos:
            self._repos[name] = self.client.get_repo(name)
        return self._repos[name]

    def perform(
        self, op: dict[str, Any], target: tuple[str, int] | None, key: str, retry: bool
    ) -> Done:
        """Do one operation; raises ``Passing`` (retry later) or ``Permanent`` (give up)."""
        try:
            return self._perform(op, target, key, retry)
        except GithubException as error:
            status, message = error.status, error_message(error)
            headers = {k.lower(): v for k, v in (error.headers or {}).items()}
            wait = rate_limit_wait(status, message, headers)
            text = f"GitHub answered {status} {message!r} to {op.get('op')}"
            if wait is not None:
                raise Passing(f"{text}; rate limited for {wait:.0f} s", wait) from error
            if status in {400, 404, 410, 422}:
                raise Permanent(text) from error
            raise Passing(text) from error
        except OSError as error:  # connection refused, reset, timed out
            raise Passing(f"GitHub did not answer ({type(error).__name__})") from error

    def _perform(
        self, op: dict[str, Any], target: tuple[str, int] | None, key: str, retry: bool
    ) -> Done:
        kind = op["op"]
        if kind == "create-issue":
            return self._create_issue(op, retry)
        if kind == "react":
            issue = self._repo(op["repo"]).get_issue(int(op["issue"]))
            issue.get_comment(int(op["comment_id"])).create_reaction(op["content"])
            return Done(f"reacted {op['content']} to comment {op['comment_id']}", 1)
        if target is None:
            return Done("skipped: the RFC has no GitHub issue", 0)
        repo = self._repo(target[0])
        issue = repo.get_issue(target[1])
        where = f"{target[0]}#{target[1]}"
        if kind == "labels":
            return self._labels(repo, issue, op, where)
        if kind == "comment":
            text = f"{op['body']}\n\n{marker(key)}"
            if retry and self._has_comment(issue, key):
                return Done(f"comment on {where} was already made", 0)
            issue.create_comment(text)
            return Done(f"commented on {where}", 1)
        if kind == "close":
            issue.edit(state="closed", state_reason=op.get("reason") or "completed")
            return Done(f"closed {where} ({op.get('reason')})", 1)
        raise Permanent(f"unknown operation {kind!r}")

    def _has_comment(self, issue: Issue, key: str) -> bool:
        needle = marker(key)
        return any(needle in (c.body or "") for c in issue.get_comments())

    def _labels(self, repo: Repository, issue: Issue, op: dict[str, Any], where: str) -> Done:
        """Add and remove labels in one replacement of the issue's labels.

        Replacing the list (PUT) instead of deleting one label at a time keeps label names with
        a slash, like ``vote/open``, out of URL paths, where GitHub would read them as segments.
        """
        writes = 0
        current = [label.name for label in issue.get_labels()]
        lowered = {name.lower() for name in current}
        add = [name for name in op.get("add", []) if name.lower() not in lowered]
        drop = {name.lower() for name in op.get("remove", [])} & lowered
        if not add and not drop:
            return Done(f"labels on {where} already right", 0)
        for name in add:
            writes += self._ensure_label(repo, name, op)
        final = [name for name in current if name.lower() not in drop] + add
        issue.set_labels(*final)
        return Done(f"labels on {where}: +{add} -{sorted(drop)}", writes + 1)

    def _ensure_label(self, repo: Repository, name: str, op: dict[str, Any]) -> int:
        """Create a label govbot uses, with its colour and description, if the repo lacks it."""
        known = (repo.full_name or self.repo_name, name.lower())
        if known in self._labels_known:
            return 0
        try:
            repo.get_label(name).color  # noqa: B018  (the label is fetched when read)
        except GithubException as error:
            if error.status != 404:
                raise
            colour, description = (op.get("styles") or {}).get(name, PLAIN_STYLE)
            try:
                repo.create_label(name, colour, description)
            except GithubException as refused:
                if refused.status != 422:  # 422: created meanwhile by someone else
                    raise
            self._labels_known.add(known)
            return 1
        self._labels_known.add(known)
        return 0

    def _create_issue(self, op: dict[str, Any], retry: bool) -> Done:
        repo = self._repo(self.repo_name)
        needle = marker(op["rfc"])
        if retry:
            for issue in repo.get_issues(state="all", labels=[op["labels"][0]]):
                if needle in (issue.body or ""):
                    where = (self.repo_name, issue.number)
                    return Done(
                        f"{op['rfc']} already has {self.repo_name}#{issue.number}", 0, where
                    )
        writes = 0
        for name in op["labels"]:
            writes += self._ensure_label(repo, name, op)
        issue = repo.create_issue(title=op["title"][:256], body=op["body"], labels=op["labels"])
        return Done(
            f"opened {self.repo_name}#{issue.number} for {op['rfc']}",
            writes + 1,
            (self.repo_name, issue.number),
        )


# --- the worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """One pass of the worker: operations done, and when to look again."""

    done: int
    error: str | None
    next_at: datetime | None


def _target(uow: UnitOfWork, op: dict[str, Any]) -> tuple[str, int] | None:
    if "repo" in op and "issue" in op:
        return str(op["repo"]), int(op["issue"])
    if "rfc" in op:
        rfc = common.rfc(uow, str(op["rfc"]))
        if rfc.github_repo and rfc.github_issue:
            return rfc.github_repo, rfc.github_issue
    return None


class Pacer:
    """At most ``limit`` content-creating requests in any minute, as GitHub asks of clients."""

    def __init__(
        self, limit: int = WRITES_PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.sent: deque[float] = deque()

    def wait_for(self, writes: int) -> float:
        """Seconds to wait before ``writes`` more requests fit in the window."""
        now = self.clock()
        while self.sent and now - self.sent[0] >= 60:
            self.sent.popleft()
        room = self.limit - len(self.sent)
        if room >= writes or not self.sent:
            return 0.0
        return max(0.0, 60 - (now - self.sent[min(len(self.sent) - 1, writes - room - 1)]))

    def spent(self, writes: int) -> None:
        """Count requests just made."""
        now = self.clock()
        self.sent.extend([now] * writes)


def perform_due(
    store: Store, effects: GitHubEffects, now: datetime, pacer: Pacer, *, limit: int = 50
) -> Pass:
    """Follow the ledger, then perform due GitHub operations in order until one fails."""
    follow(store)
    done = 0
    while done < limit:
        with store.read() as uow:
            item = uow.session.exec(
                select(OutboxItem)
                .where(OutboxItem.kind == OUTBOX_KIND, col(OutboxItem.done_at).is_(None))
                .order_by(col(OutboxItem.id))
                .limit(1)
            ).first()
            if item is None:
                return Pass(done, None, None)
            if item.next_attempt_at is not None and item.next_attempt_at > now:
                return Pass(done, item.last_error, item.next_attempt_at)
            target = (
                _target(uow, item.payload) if item.payload.get("op") != "create-issue" else None
            )
            op, key, attempts, item_id = dict(item.payload), item.key, item.attempts, item.id
        wait = pacer.wait_for(3)
        if wait > 0:
            return Pass(done, None, now + timedelta(seconds=wait))
        try:
            result = effects.perform(op, target, key, retry=attempts > 0)
        except Passing as error:
            return _failed(store, item_id, now, str(error), error.retry_after, done)
        except Permanent as error:
            log.warning("github operation %s given up: %s", key, error)
            _complete(store, item_id, now, f"gave up: {error}", None)
            done += 1
            continue
        pacer.spent(result.writes)
        _complete(store, item_id, now, None, result, op)
        log.info("github: %s", result.result)
        done += 1
    return Pass(done, None, now)


def _complete(
    store: Store,
    item_id: int | None,
    now: datetime,
    error: str | None,
    result: Done | None,
    op: dict[str, Any] | None = None,
) -> None:
    """Mark the operation done; an issue it created is linked to its RFC in the same commit."""
    with store.write() as uow:
        item = uow.session.get(OutboxItem, item_id)
        assert item is not None
        with uow.hold():
            if result is not None and result.created_issue is not None and op is not None:
                repo, number = result.created_issue
                last = uow.head()[1]
                moment = now if last is None else max(now, last)
                rfcs.link_issue(uow, common.SYSTEM, moment, rfcs.LinkIssue(op["rfc"], repo, number))
        item.done_at = now
        item.last_error = error
        uow.session.add(item)
        uow.commit()


def _failed(
    store: Store,
    item_id: int | None,
    now: datetime,
    message: str,
    retry_after: float | None,
    done: int,
) -> Pass:
    with store.write() as uow:
        item = uow.session.get(OutboxItem, item_id)
        assert item is not None
        item.attempts += 1
        wait = backoff(item.attempts)
        if retry_after is not None:
            wait = max(timedelta(seconds=retry_after), timedelta(seconds=1))
        item.next_attempt_at = now + wait
        item.last_error = message[:ERROR_MAX]
        uow.session.add(item)
        uow.commit()
        next_at = item.next_attempt_at
    log.warning("github operation failed (%s); next attempt at %s", message, iso(next_at))
    return Pass(done, message, next_at)


class GitHubWorker(Worker):
    """Performs GitHub operations in the background of ``govbot run``."""

    gather = 0.25

    def __init__(
        self,
        store: Store,
        effects: GitHubEffects,
        *,
        idle: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(idle=idle, clock=clock)
        self.store = store
        self.effects = effects
        self.pacer = Pacer()
        self.last: Pass | None = None

    async def step(self) -> datetime | None:
        """Follow the ledger and perform what is due; an error never stops the worker."""
        try:
            self.last = await asyncio.to_thread(
                perform_due, self.store, self.effects, self.clock(), self.pacer
            )
        except Exception:  # try again after the idle wait
            log.exception("the GitHub worker failed")
            self.last = Pass(0, "internal error", None)
        return self.last.next_at


__all__ = [
    "CHECKPOINT",
    "GitHubEffects",
    "GitHubWorker",
    "Pacer",
    "follow",
    "follow_in",
    "operations",
    "perform_due",
]
