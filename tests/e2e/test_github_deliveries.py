"""GitHub deliveries over real HTTP: what is refused, what is ignored, what acts exactly once.

Every delivery here is a real ``@octokit/webhooks-examples`` payload, signed (or mis-signed) and
POSTed to the running service; its effects are read back from the record and the fake GitHub.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import pytest
from sqlmodel import col, select

from governance.clock import as_utc
from governance.model import Delivery, LedgerEntry, OutboxItem
from governance.services import rfcs
from tests.e2e.conftest import World
from tests.fakes.github import Exchange
from tests.support import webhooks
from tests.support.keys import rsa_key
from tests.support.service import BOT, REPO, SECRET, Clock, labeled_payload

GITHUB = "github"
"""The outbox kind of GitHub operations."""
PROMPT = 5.0
"""Seconds a delivery may take to be answered here; GitHub gives up after 10."""
ANNOUNCED = "The vote on RFC-0001 is open"


# --- reading the record ----------------------------------------------------------------------


def deliveries(world: World) -> list[Delivery]:
    """Every stored delivery, oldest first (a refused or ignored one must not be here)."""
    with world.running.store.read() as uow:
        rows = list(uow.session.exec(select(Delivery).order_by(col(Delivery.id))))
        uow.session.expunge_all()  # readable after the session ends
        return rows


def ledger_actions(world: World) -> list[str]:
    """The record's actions in order: what a delivery changed, if anything."""
    with world.running.store.read() as uow:
        return list(uow.session.exec(select(LedgerEntry.action).order_by(col(LedgerEntry.seq))))


def github_items(world: World) -> list[OutboxItem]:
    """The queued GitHub operations, done or not: what govbot means to do on GitHub."""
    with world.running.store.read() as uow:
        rows = list(
            uow.session.exec(
                select(OutboxItem).where(OutboxItem.kind == GITHUB).order_by(col(OutboxItem.id))
            )
        )
        uow.session.expunge_all()
        return rows


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll until ``condition`` holds; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s, still not: {what}")
        time.sleep(0.05)


# --- acting ----------------------------------------------------------------------------------


def post_raw(
    world: World, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any] | str]:
    """POST exactly these bytes and headers to the webhook endpoint."""
    return world.running.request("POST", "/webhooks/github", body, headers)


def import_rfc(world: World) -> int:
    """An RFC issue of the datasets group, imported and its replies on GitHub."""
    number = world.github.open_issue(
        "Caption provenance",
        "Every caption records its source.",
        by="ada-gh",
        labels=["rfc", "wg/datasets"],
    )
    world.running.settle()
    return number


def comments_by(world: World, number: int, login: str) -> list[str]:
    """The texts ``login`` commented on the issue, oldest first."""
    return [body for who, body in world.fake.issue(REPO, number).comments if who == login]


# --- 1. refused and ignored deliveries -------------------------------------------------------


def test_forged_unsigned_and_malformed_deliveries_change_nothing(world: World) -> None:
    """Only a delivery signed with the secret over its exact bytes may reach the record, and a
    signed but unusable one is refused before it is stored."""
    world.running.settle(docs=True)  # startup's publication done: the log is quiet from here
    title, text = "Caption provenance", "Every caption records its source."
    labels = ["rfc", "wg/datasets"]
    number = world.fake.open_issue(REPO, title, text, by="ada-gh", labels=labels)
    opened = webhooks.issue_payload(
        "opened", repo=REPO, number=number, title=title, body=text, sender="ada-gh", labels=labels
    )
    comment_id = world.fake.comment_issue(REPO, number, "/vote yes", by="bo-gh")
    comment = world.github.comment_payload(number, comment_id, "/vote yes", by="bo-gh")
    head = len(ledger_actions(world))
    world.fake.clear_log()

    body = webhooks.encode(opened)
    refused: list[tuple[str, int, dict[str, Any] | str]] = []

    def refuse(name: str, body: bytes, headers: dict[str, str]) -> None:
        status, answer = post_raw(world, body, headers)
        refused.append((name, status, answer))

    refuse("wrong secret", body, webhooks.headers("issues", body, "not the secret"))
    changed = body.replace(b'"title":"Caption provenance"', b'"title":"Something else"')
    assert changed != body
    refuse("changed after signing", changed, webhooks.headers("issues", body, SECRET))
    refuse("unsigned", body, webhooks.headers("issues", body, None))
    old = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    sha1 = webhooks.headers("issues", body, None) | {"X-Hub-Signature": old}
    refuse("only the old SHA-1 signature", body, sha1)
    empty = webhooks.headers("issues", body, None) | {"X-Hub-Signature-256": ""}
    refuse("empty signature", body, empty)

    not_json = b"action=opened&issue=1"
    refuse("body not JSON", not_json, webhooks.headers("issues", not_json, SECRET))
    array = json.dumps([opened]).encode()
    refuse("JSON not an object", array, webhooks.headers("issues", array, SECRET))
    no_id = json.loads(json.dumps(comment))
    del no_id["comment"]["id"]
    no_id_body = webhooks.encode(no_id)
    refuse(
        "comment without comment.id",
        no_id_body,
        webhooks.headers("issue_comment", no_id_body, SECRET),
    )
    no_event = webhooks.headers("issues", body, SECRET)
    del no_event["X-GitHub-Event"]
    refuse("no X-GitHub-Event", body, no_event)
    no_delivery = webhooks.headers("issues", body, SECRET)
    del no_delivery["X-GitHub-Delivery"]
    refuse("no X-GitHub-Delivery", body, no_delivery)

    expected = {
        "wrong secret": 401,
        "changed after signing": 401,
        "unsigned": 401,
        "only the old SHA-1 signature": 401,
        "empty signature": 401,
        "body not JSON": 400,
        "JSON not an object": 400,
        "comment without comment.id": 400,
        "no X-GitHub-Event": 400,
        "no X-GitHub-Delivery": 400,
    }
    assert {name: status for name, status, _ in refused} == expected, refused
    for name, _, answer in refused:
        assert isinstance(answer, dict) and answer.get("error"), (name, answer)
    missing_id = next(answer for name, _, answer in refused if name.startswith("comment without"))
    assert isinstance(missing_id, dict) and "comment.id" in str(missing_id["error"])

    world.running.settle()  # anything stored by mistake would be processed and sent by now
    assert deliveries(world) == []
    assert len(ledger_actions(world)) == head
    assert github_items(world) == []
    assert world.fake.log == []

    # The same delivery, genuinely signed, does act: the refusals above were what kept it out.
    status, answer = world.running.post("issues", opened)
    assert (status, answer["status"]) == (202, "accepted")
    world.running.settle()
    assert ledger_actions(world)[head:] == ["rfc.proposed"]
    assert len(deliveries(world)) == 1
    assert any("RFC-0001" in text for text in comments_by(world, number, BOT))


def test_ping_and_events_govbot_does_not_act_on_are_acknowledged_and_dropped(
    world: World,
) -> None:
    """GitHub marks a delivery failed unless it gets a 2xx, so whatever govbot does not act on
    is acknowledged, but nothing of it is stored or done."""
    world.running.settle(docs=True)
    title, text = "Caption provenance", "Every caption records its source."
    labels = ["rfc", "wg/datasets"]
    number = world.fake.open_issue(REPO, title, text, by="ada-gh", labels=labels)
    head = len(ledger_actions(world))
    world.fake.clear_log()

    status, answer = world.running.post("ping", webhooks.example("ping"))
    assert status == 200 and answer["status"] == "pong"

    def issue(action: str, **extra: Any) -> dict[str, Any]:
        values: dict[str, Any] = dict(
            repo=REPO, number=number, title=title, body=text, sender="ada-gh", labels=labels
        )
        return webhooks.issue_payload(action, **(values | extra))

    comment_ids = itertools.count(9_000_001)

    def ballot(sender: str, sender_type: str = "User") -> dict[str, Any]:
        return webhooks.comment_payload(
            "created",
            repo=REPO,
            number=number,
            body="/vote yes",
            sender=sender,
            sender_type=sender_type,
            comment_id=next(comment_ids),
            issue_labels=labels,
            issue_title=title,
        )

    ignored = {
        "push": ("push", webhooks.example("push")),
        "issues closed": ("issues", issue("closed")),
        "another repository": ("issues", issue("opened", repo="omi/other")),
        "a bot": ("issue_comment", ballot("dependabot[bot]", "Bot")),
        "govbot itself": ("issue_comment", ballot(BOT)),
        "govbot, in capitals": ("issue_comment", ballot(BOT.upper())),
    }
    answers = {
        name: world.running.post(event, payload) for name, (event, payload) in ignored.items()
    }
    for name, (status, answer) in answers.items():
        assert (status, answer.get("status")) == (202, "ignored"), (name, status, answer)
    assert "push" in answers["push"][1]["reason"]
    assert "omi/other" in answers["another repository"][1]["reason"]
    assert "bot" in answers["govbot itself"][1]["reason"]

    world.running.settle()
    assert deliveries(world) == []
    assert len(ledger_actions(world)) == head
    assert github_items(world) == []
    assert world.fake.log == []


# --- 2. redeliveries -------------------------------------------------------------------------


def test_a_redelivered_label_or_comment_acts_once(world: World) -> None:
    """GitHub redelivers with the same X-GitHub-Delivery, and a comment can arrive again under a
    new one (a manual redelivery, or read back when catching up): each must act once."""
    number = import_rfc(world)

    world.fake.label_issue(REPO, number, "vote/open", by="ada-gh")
    label = labeled_payload(world.fake, number, "vote/open", by="ada-gh")
    label_id = str(uuid.uuid4())
    first = world.running.post("issues", label, delivery=label_id)
    again = world.running.post("issues", label, delivery=label_id)
    assert (first[0], first[1]["status"]) == (202, "accepted")
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    assert again[1]["key"] == first[1]["key"] == f"github:delivery:{label_id}"
    world.running.settle()
    late = world.running.post("issues", label, delivery=label_id)  # after it was processed
    assert (late[0], late[1]["status"]) == (200, "duplicate")
    world.running.settle()
    assert ledger_actions(world).count("vote.opened") == 1
    assert len([text for text in comments_by(world, number, BOT) if ANNOUNCED in text]) == 1
    assert [d.key for d in deliveries(world)].count(f"github:delivery:{label_id}") == 1

    ballot_id = str(uuid.uuid4())
    status, answer, ballot = world.github.comment(
        number, "/vote yes", by="bo-gh", delivery=ballot_id
    )
    assert answer is not None and (status, answer["status"]) == (202, "accepted")
    key = f"github:comment:{ballot['comment']['id']}"
    assert answer["key"] == key
    redelivered = world.running.post("issue_comment", ballot, delivery=ballot_id)
    assert redelivered == (200, {"status": "duplicate", "key": key})
    world.running.settle()
    for _ in range(2):  # the same comment under new delivery ids, after it was processed
        anew = world.running.post("issue_comment", ballot, delivery=str(uuid.uuid4()))
        assert anew == (200, {"status": "duplicate", "key": key})
    world.running.settle()

    assert ledger_actions(world).count("ballot.cast") == 1
    view = world.fake.issue(REPO, number)
    assert view.reactions_on(int(ballot["comment"]["id"])) == [(BOT, "+1")]
    assert [d.key for d in deliveries(world)].count(key) == 1
    assert len(deliveries(world)) == 3  # the import, the label, the ballot
    with world.running.store.read() as uow:
        tally = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert (tally.yes, tally.no) == (1, 0)


# --- 3. GitHub failing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A failed GitHub operation as seen before it was made due again."""

    key: str
    attempts: int
    error: str
    wait: float
    """Seconds the worker would have waited before trying again."""


def hurry(world: World, seen: list[Failure]) -> None:
    """Make failed GitHub operations due now instead of after their backoff, noting each
    failure (in the same transaction, so none is missed) and the wait it would have had."""
    now = world.clock()
    with world.running.store.write() as uow:
        items = uow.session.exec(
            select(OutboxItem).where(OutboxItem.kind == GITHUB, col(OutboxItem.done_at).is_(None))
        )
        for item in items:
            if item.next_attempt_at is not None and as_utc(item.next_attempt_at) > now:
                wait = (as_utc(item.next_attempt_at) - now).total_seconds()
                seen.append(Failure(item.key, item.attempts, item.last_error or "", wait))
                item.next_attempt_at = now
                uow.session.add(item)
        uow.commit()
    world.running.wake()


def timed_post(
    world: World, event: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any], float]:
    """POST a delivery; also return how long the answer took."""
    started = time.monotonic()
    status, answer = world.running.post(event, payload)
    return status, answer, time.monotonic() - started


def test_github_failing_loses_nothing_and_does_nothing_twice(world: World) -> None:
    """While GitHub answers 5xx and rate limits, deliveries are still answered at once and
    recorded at once; GitHub's share is retried until done, each operation exactly once."""
    number = import_rfc(world)
    rfc_repo = f"/repos/{REPO}/"
    world.fake.fail_next(
        1, status=502, method="POST", path=f"/repos/{REPO}/issues/{number}/comments"
    )
    world.fake.fail_next(3, status=503, path=rfc_repo)
    world.fake.rate_limit_next("primary", reset_in=30, path=rfc_repo)
    world.fake.rate_limit_next("secondary", retry_after=30, path=rfc_repo)
    world.fake.clear_log()
    before = ledger_actions(world)

    world.fake.label_issue(REPO, number, "vote/open", by="ada-gh")
    label = labeled_payload(world.fake, number, "vote/open", by="ada-gh")
    posts = [timed_post(world, "issues", label)]
    ballots: dict[str, int] = {}
    for login, choice in (("ada-gh", "yes"), ("bo-gh", "yes"), ("cy-gh", "no")):
        comment_id = world.fake.comment_issue(REPO, number, f"/vote {choice}", by=login)
        ballots[login] = comment_id
        payload = world.github.comment_payload(number, comment_id, f"/vote {choice}", by=login)
        posts.append(timed_post(world, "issue_comment", payload))
    for status, answer, took in posts:
        assert (status, answer["status"]) == (202, "accepted"), answer
        assert took < PROMPT, f"answered after {took:.1f} s"

    # The record has it all while GitHub is still failing: processing does not wait for GitHub.
    wait_for(lambda: all(d.state == "done" for d in deliveries(world)), "deliveries processed")
    new = ledger_actions(world)[len(before) :]
    assert new.count("vote.opened") == 1 and new.count("ballot.cast") == 3, new
    with world.running.store.read() as uow:
        tally = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert (tally.yes, tally.no, tally.state) == (2, 1, "open")

    def failing() -> list[OutboxItem]:
        return [i for i in github_items(world) if i.done_at is None and i.attempts > 0]

    wait_for(lambda: bool(failing()), "a GitHub operation failed and waits to be retried")
    item = failing()[0]
    assert item.last_error is not None and (
        "GitHub answered 502" in item.last_error or "GitHub answered 503" in item.last_error
    ), item.last_error
    assert item.next_attempt_at is not None and as_utc(item.next_attempt_at) > world.clock()
    assert world.running.request("GET", "/healthz")[0] == 200
    status, ready = world.running.request("GET", "/readyz")
    assert status == 200 and isinstance(ready, dict) and ready["ready"] is True
    # Queued and waiting: the vote/open label, the announcement, a reaction to each ballot.
    wait_for(
        lambda: len([i for i in github_items(world) if i.done_at is None]) == 5,
        "five GitHub operations queued",
    )
    assert failing(), "a fault was used up too early to see the outbox waiting"

    seen: list[Failure] = []
    deadline = time.monotonic() + 60
    while world.running.waiting():
        assert time.monotonic() < deadline, (world.running.waiting(), seen)
        hurry(world, seen)
        time.sleep(0.05)

    # Every fault was met and retried after the wait it called for.
    errors = [f.error for f in seen]
    assert any("GitHub answered 502" in e for e in errors), errors
    assert any("GitHub answered 503" in e for e in errors), errors
    primary = [f for f in seen if "API rate limit exceeded" in f.error]
    secondary = [f for f in seen if "secondary rate limit" in f.error]
    assert len(primary) == 1 and 20 < primary[0].wait <= 32, seen
    assert len(secondary) == 1 and 20 < secondary[0].wait <= 31, seen
    assert all(f.attempts > 0 for f in seen)
    answered = [(e.method, e.path, e.status) for e in world.fake.log]
    assert sum(1 for _, _, s in answered if s >= 500) == 4
    assert sum(1 for _, _, s in answered if s == 403) == 2

    # ...and everything arrived once.
    view = world.fake.issue(REPO, number)
    assert len([text for text in comments_by(world, number, BOT) if ANNOUNCED in text]) == 1
    assert len(comments_by(world, number, BOT)) == 2  # the import's and the announcement
    for login, comment_id in ballots.items():
        assert view.reactions_on(comment_id) == [(BOT, "+1")], login
    assert view.labels.count("vote/open") == 1
    made = [
        (method, path)
        for method, path, status in answered
        if method == "POST" and status in {200, 201}
    ]
    assert made.count(("POST", f"/repos/{REPO}/issues/{number}/comments")) == 1
    assert sum(1 for _, path in made if path.endswith("/reactions")) == 3
    done = github_items(world)
    assert all(
        i.done_at is not None and not (i.last_error or "").startswith("gave up") for i in done
    )
    assert ledger_actions(world)[len(before) :] == new  # the retries recorded nothing more


# --- 4. a GitHub App ---------------------------------------------------------------------------


def follow_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """Let PyGithub's App authentication read the test clock, as govbot and the fake do.

    PyGithub signs the App's JWT with ``time.time()`` and judges its installation token stale
    with ``datetime.now()``; in production those agree with GitHub's clock. Moving only the
    fake's clock would test a skew of minutes between govbot's host and GitHub instead.
    """
    import github.Auth

    class Time:
        @staticmethod
        def time() -> float:
            return clock().timestamp()

    class Now:
        @staticmethod
        def now(tz: tzinfo | None = None) -> datetime:
            return clock().astimezone(tz)

    monkeypatch.setattr(github.Auth, "time", Time)
    monkeypatch.setattr(github.Auth, "datetime", Now)


@pytest.fixture
def app_key() -> tuple[str, str]:
    """A fresh RSA key: the private PEM govbot is given, the public PEM the fake checks."""
    return rsa_key()


def token_requests(log: list[Exchange], installation: int) -> list[Exchange]:
    """The requests for a new installation token, in the fake's log."""
    path = f"/app/installations/{installation}/access_tokens"
    return [e for e in log if e.method == "POST" and e.path == path]


def test_a_github_app_keeps_working_as_its_installation_tokens_expire(
    monkeypatch: pytest.MonkeyPatch, world: World, app_key: tuple[str, bytes]
) -> None:
    """Installation tokens last an hour at most; govbot must get new ones as they expire, and
    must not act on the deliveries its App account's own comments cause."""
    private, public = app_key
    app_id = world.fake.register_app(public, slug="omi-govbot")
    installation = world.fake.install_app(app_id, [REPO, "omi/governance"])
    world.fake.installation_token_lifetime = 600.0
    follow_clock(monkeypatch, world.clock)
    world.fake.clear_log()
    world.restart(
        GOVBOT_GITHUB_TOKEN="",
        GOVBOT_GITHUB_APP_ID=str(app_id),
        GOVBOT_GITHUB_PRIVATE_KEY=private,
        GOVBOT_GITHUB_INSTALLATION_ID=str(installation),
    )
    app_bot = "omi-govbot[bot]"

    number = world.github.open_issue(
        "Caption provenance",
        "Every caption records its source.",
        by="ada-gh",
        labels=["rfc", "wg/datasets"],
    )
    world.running.settle()
    world.github.label(number, "vote/open", by="ada-gh")
    world.running.settle(docs=True)
    assert len([text for text in comments_by(world, number, app_bot) if ANNOUNCED in text]) == 1
    first = token_requests(world.fake.log, installation)
    assert len(first) == 1  # one token, reused while it lasts (not one per request)

    world.clock.advance(timedelta(minutes=15))  # the token has expired
    ballots = {}
    for login in ("bo-gh", "cy-gh"):
        status, answer, payload = world.github.comment(number, "/vote yes", by=login)
        assert answer is not None and (status, answer["status"]) == (202, "accepted")
        ballots[login] = int(payload["comment"]["id"])
    world.running.settle(docs=True)
    view = world.fake.issue(REPO, number)
    for login, comment_id in ballots.items():
        assert view.reactions_on(comment_id) == [(app_bot, "+1")], login

    log = world.fake.log
    refreshed = token_requests(log, installation)
    assert len(refreshed) > 1
    assert all(e.status == 201 for e in refreshed)
    assert [e for e in log if e.status == 401] == []
    first_token = first[0].response["token"]
    late = log[log.index(refreshed[1]) + 1 :]
    assert late and all(e.token != first_token for e in late)

    # Its own comments come back as deliveries from "<slug>[bot]": acknowledged, not acted on.
    announcement = next(
        cid
        for (who, text), cid in zip(view.comments, view.comment_ids, strict=True)
        if who == app_bot and ANNOUNCED in text
    )
    stored = len(deliveries(world))
    for sender_type in ("Bot", "User"):  # the type, or the login alone, says it is govbot
        own = webhooks.comment_payload(
            "created",
            repo=REPO,
            number=number,
            body=view.comments[view.comment_ids.index(announcement)][1],
            sender=app_bot,
            sender_type=sender_type,
            comment_id=announcement,
            issue_labels=view.labels,
            issue_title=view.title,
            installation=installation,
        )
        status, answer = world.running.post("issue_comment", own)
        assert (status, answer["status"]) == (202, "ignored"), answer
        assert app_bot in answer["reason"]
    world.running.settle()
    assert len(deliveries(world)) == stored
    assert ledger_actions(world).count("ballot.cast") == 2
