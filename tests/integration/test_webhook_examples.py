"""Webhook deliveries for the bot's tests: GitHub's own examples, signed as GitHub signs them.

The payload builders must keep the examples' shape (so the bot meets every field GitHub sends)
while naming what a test needs, and a receiver checking signatures over HTTP must accept what
they sign and nothing else.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from aiohttp import ClientSession, web

from tests.fakes.webhooks.extract import WANTED
from tests.support import webhooks as wh

REPO = "open-models/rfcs"
SECRET = "s3cret ☂"


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value; list items merge under ``[]``."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(f"{prefix}/{key}")
            out |= key_paths(item, f"{prefix}/{key}")
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, f"{prefix}[]")
    return out


# --- the stored examples ---------------------------------------------------------------------


def test_the_stored_examples_are_one_per_wanted_delivery() -> None:
    data = json.loads(wh.EXAMPLES.read_text())
    assert data["source"] == {
        "package": "@octokit/webhooks-examples",
        "version": "7.6.1",
        "file": "api.github.com/index.json",
    }
    stored = [(e["event"], e["action"]) for e in data["examples"]]
    missing = [tuple(m) for m in data["missing"]]
    assert len(set(stored)) == len(stored), "one example per (event, action)"
    assert sorted(stored + missing, key=str) == sorted(WANTED, key=str)
    assert missing == [("issues", "closed")]
    assert set(wh.available()) == set(WANTED)


@pytest.mark.parametrize(("event", "action"), WANTED)
def test_every_example_parses_and_is_what_it_claims(event: str, action: str | None) -> None:
    payload = wh.example(event, action)
    assert json.loads(wh.encode(payload)) == payload
    assert payload.get("action") == action
    assert payload["sender"]["login"] and payload["sender"]["type"] in {"User", "Bot"}
    if event in {"issues", "issue_comment"}:
        assert "pull_request" not in payload["issue"], "a plain issue, not a pull request"
        assert payload["repository"]["full_name"].count("/") == 1
    required = {
        "ping": {"zen", "hook_id", "hook"},
        "issues": {"issue", "repository"},
        "issue_comment": {"issue", "comment", "repository"},
        "push": {"ref", "before", "after", "commits", "repository", "pusher"},
        "installation": {"installation", "repositories"},
    }[event]
    assert required <= payload.keys()


def test_the_push_example_is_a_branch_push_with_commits() -> None:
    push = wh.example("push")
    assert push["ref"].startswith("refs/heads/") and push["commits"]


def test_an_example_is_a_fresh_deep_copy() -> None:
    first = wh.example("issues", "opened")
    first["issue"]["user"]["login"] = "changed"
    first["issue"]["labels"].clear()
    again = wh.example("issues", "opened")
    assert again["issue"]["user"]["login"] == "Codertocat"
    assert again["issue"]["labels"]
    with pytest.raises(KeyError, match="issues/transferred"):
        wh.example("issues", "transferred")


def test_closed_is_the_reopened_example_closed() -> None:
    closed, reopened = wh.example("issues", "closed"), wh.example("issues", "reopened")
    assert (closed["action"], closed["issue"]["state"]) == ("closed", "closed")
    assert closed["issue"]["closed_at"] == reopened["issue"]["updated_at"]
    assert key_paths(closed) == key_paths(reopened)
    for payload in (closed, reopened):
        del payload["action"]
        for key in ("state", "closed_at"):
            del payload["issue"][key]
    assert closed == reopened


# --- the builders ----------------------------------------------------------------------------

ISSUE_ACTIONS = ["opened", "edited", "labeled", "unlabeled", "closed"]


@pytest.mark.parametrize("action", ISSUE_ACTIONS)
def test_issue_payloads_keep_the_examples_shape(action: str) -> None:
    label = "vote/open" if action in {"labeled", "unlabeled"} else None
    payload = wh.issue_payload(
        action,
        repo=REPO,
        number=42,
        title="RFC-0042: Dataset cards",
        body="We propose… ☕",
        sender="ada",
        labels=["rfc", "vote/open", "wg/data"] if action == "unlabeled" else ["rfc", "wg/data"],
        label=label,
    )
    original = wh.example("issues", action)
    assert key_paths(payload) == key_paths(original)
    assert payload["action"] == action
    repository, issue = payload["repository"], payload["issue"]
    assert (repository["full_name"], repository["name"], repository["owner"]["login"]) == (
        REPO,
        "rfcs",
        "open-models",
    )
    assert (issue["number"], issue["title"], issue["body"]) == (
        42,
        "RFC-0042: Dataset cards",
        "We propose… ☕",
    )
    assert (issue["user"]["login"], payload["sender"]["login"]) == ("ada", "ada")
    assert payload["sender"]["type"] == "User"
    names = [entry["name"] for entry in issue["labels"]]
    expected = {"labeled": ["rfc", "wg/data", "vote/open"], "unlabeled": ["rfc", "wg/data"]}
    assert names == expected.get(action, ["rfc", "wg/data"])
    template = (original.get("label") or original["issue"]["labels"][0]).keys()
    assert all(entry.keys() == template for entry in issue["labels"])
    assert len({entry["id"] for entry in issue["labels"]}) == len(names), "one id per label"
    if label is not None:
        assert (payload["label"]["name"], payload["label"].keys()) == (label, template)
    assert issue["state"] == ("closed" if action == "closed" else "open")
    assert (issue["closed_at"] is None) == (action != "closed")
    untouched = ("id", "html_url", "created_at", "author_association")
    assert {k: issue[k] for k in untouched} == {k: original["issue"][k] for k in untouched}


def test_people_get_distinct_ids_and_bots_their_type() -> None:
    by_ada = wh.issue_payload("opened", repo=REPO, number=1, title="t", body="b", sender="ada")
    by_bot = wh.issue_payload(
        "labeled",
        repo=REPO,
        number=1,
        title="t",
        body="b",
        sender="govbot[bot]",
        sender_type="Bot",
        label="vote/open",
        author="ada",
        installation=77,
    )
    assert by_ada["sender"]["id"] == wh.user_id("ada") != by_bot["sender"]["id"]
    assert (by_bot["sender"]["login"], by_bot["sender"]["type"]) == ("govbot[bot]", "Bot")
    assert (by_bot["issue"]["user"]["login"], by_bot["issue"]["user"]["type"]) == ("ada", "User")
    assert by_bot["issue"]["user"]["id"] == by_ada["issue"]["user"]["id"]
    assert by_bot["installation"] == {"id": 77, "node_id": "IN_77"}
    assert "installation" not in by_ada
    fixed = wh.issue_payload(
        "opened", repo=REPO, number=1, title="t", body="b", sender="ada", sender_id=1234
    )
    assert fixed["sender"]["id"] == fixed["issue"]["user"]["id"] == 1234


def test_issue_payloads_refuse_a_label_where_github_sends_none() -> None:
    common: dict[str, Any] = {"repo": REPO, "number": 1, "title": "t", "body": "b", "sender": "a"}
    with pytest.raises(ValueError, match="label"):
        wh.issue_payload("labeled", **common)
    with pytest.raises(ValueError, match="label"):
        wh.issue_payload("opened", label="rfc", **common)


@pytest.mark.parametrize("action", ["created", "edited", "deleted"])
def test_comment_payloads_keep_the_examples_shape(action: str) -> None:
    payload = wh.comment_payload(
        action,
        repo=REPO,
        number=42,
        body="+1, with a caveat",
        sender="grace",
        comment_id=9001,
        issue_labels=["rfc", "vote/open"],
        issue_title="RFC-0042: Dataset cards",
        previous_body="+1" if action == "edited" else None,
    )
    original = wh.example("issue_comment", action)
    assert key_paths(payload) == key_paths(original)
    comment, issue = payload["comment"], payload["issue"]
    assert (comment["id"], comment["body"], comment["user"]["login"]) == (
        9001,
        "+1, with a caveat",
        "grace",
    )
    assert (issue["number"], issue["title"]) == (42, "RFC-0042: Dataset cards")
    assert [entry["name"] for entry in issue["labels"]] == ["rfc", "vote/open"]
    assert all(entry.keys() == original["issue"]["labels"][0].keys() for entry in issue["labels"])
    assert payload["repository"]["full_name"] == REPO
    assert (payload["sender"]["login"], payload["sender"]["type"]) == ("grace", "User")
    if action == "edited":
        assert payload["changes"] == {"body": {"from": "+1"}}
    assert issue["user"] == original["issue"]["user"], "the issue's author is left as it was"
    assert comment["user"]["id"] == payload["sender"]["id"] == wh.user_id("grace")


def test_comment_payloads_keep_the_examples_title_unless_told() -> None:
    payload = wh.comment_payload(
        "created", repo=REPO, number=3, body="b", sender="bot[bot]", comment_id=1, sender_type="Bot"
    )
    assert payload["issue"]["title"] == wh.example("issue_comment", "created")["issue"]["title"]
    assert payload["issue"]["labels"] == []
    assert payload["comment"]["user"]["type"] == payload["sender"]["type"] == "Bot"
    with pytest.raises(ValueError, match="edited"):
        wh.comment_payload(
            "created", repo=REPO, number=3, body="b", sender="x", comment_id=1, previous_body="a"
        )


# --- encoding, signatures, headers ------------------------------------------------------------


def hmac_sha256(key: bytes, message: bytes) -> str:
    """RFC 2104 HMAC-SHA256 built from the hash alone, to check ``sign`` independently."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


def test_the_signature_matches_githubs_documented_vector() -> None:
    assert wh.sign("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_the_signature_is_an_hmac_of_the_raw_body() -> None:
    body = wh.encode(wh.example("issue_comment", "created"))
    assert wh.sign(SECRET, body) == "sha256=" + hmac_sha256(SECRET.encode(), body)
    long_secret = "k" * 100
    assert wh.sign(long_secret, body) == "sha256=" + hmac_sha256(long_secret.encode(), body)
    assert wh.sign(SECRET, body + b" ") != wh.sign(SECRET, body)


def test_the_body_is_compact_utf8_json() -> None:
    payload = wh.comment_payload(
        "created", repo=REPO, number=1, body="café ☕", sender="ada", comment_id=5
    )
    body = wh.encode(payload)
    assert body.startswith(b'{"action":"created","')
    assert "café ☕".encode() in body and b"\\u" not in body
    assert b'": ' not in body and b'", "' not in body
    assert json.loads(body) == payload


def test_headers_name_the_event_and_sign_the_body() -> None:
    body = wh.encode(wh.example("ping"))
    signed = wh.headers("ping", body, SECRET)
    assert signed["X-GitHub-Event"] == "ping"
    assert uuid.UUID(signed["X-GitHub-Delivery"]).version == 4
    assert signed["X-Hub-Signature-256"] == wh.sign(SECRET, body)
    assert signed["Content-Type"] == "application/json"
    assert signed["User-Agent"].startswith("GitHub-Hookshot/")
    assert wh.headers("ping", body, SECRET)["X-GitHub-Delivery"] != signed["X-GitHub-Delivery"]
    again = wh.headers("ping", body, SECRET, delivery=signed["X-GitHub-Delivery"])
    assert again == signed, "a redelivery is the same delivery"
    unsigned = wh.headers("ping", body, None)
    assert "X-Hub-Signature-256" not in unsigned
    assert unsigned.keys() == signed.keys() - {"X-Hub-Signature-256"}


def test_a_receiver_verifying_signatures_over_http_accepts_only_signed_deliveries() -> None:
    """POSTed over loopback to a receiver that checks the raw body, as the bot's must."""
    received: list[tuple[str, str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac_sha256(SECRET.encode(), raw)
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(expected, given):
            return web.Response(status=401)
        payload = json.loads(raw)
        received.append(
            (request.headers["X-GitHub-Event"], payload["action"], payload["sender"]["login"])
        )
        return web.Response(status=204)

    async def deliver() -> list[int]:
        app = web.Application()
        app.router.add_post("/webhooks/github", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = f"http://127.0.0.1:{port}/webhooks/github"
            payload = wh.issue_payload(
                "opened", repo=REPO, number=7, title="RFC", body="☕", sender="ada"
            )
            body = wh.encode(payload)
            tampered = body.replace(b'"ada"', b'"eve"')
            attempts = [
                (body, wh.headers("issues", body, SECRET)),
                (tampered, wh.headers("issues", body, SECRET)),
                (body, wh.headers("issues", body, None)),
                (body, wh.headers("issues", body, "wrong secret")),
            ]
            statuses = []
            async with ClientSession() as session:
                for data, sent in attempts:
                    async with session.post(url, data=data, headers=sent) as response:
                        statuses.append(response.status)
            return statuses
        finally:
            await runner.cleanup()

    assert asyncio.run(deliver()) == [204, 401, 401, 401]
    assert received == [("issues", "opened", "ada")]
