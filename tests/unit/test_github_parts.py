"""The pure parts of the GitHub front end: comment commands, signatures, payload checks, pacing."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.github.commands import parse
from bot.github.effects import Pacer
from bot.github.processor import Watch, delivery_key, ignored_because, problem
from bot.web import signature_ok
from tests.support import webhooks


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/vote yes", ("vote", "yes")),
        ("Looks good.\n  /VOTE   No  ", ("vote", "No")),
        ("/concern licence unclear\nsee set B", ("concern", "licence unclear\nsee set B")),
        ("/resolve 3 fixed", ("resolve", "3 fixed")),
        ("/govbot verify ABCDE-FGHJK", ("govbot", "verify ABCDE-FGHJK")),
        ("first\n/vote no\n/vote yes", ("vote", "no")),  # one command per comment: the first
    ],
)
def test_commands_are_read_from_the_first_command_line(
    body: str, expected: tuple[str, str]
) -> None:
    command = parse(body)
    assert command is not None and (command.word, command.argument) == expected


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "> /vote yes",  # quoting someone is not voting
        "```\n/vote yes\n```",  # nor is showing how to vote
        "~~~~\n/vote yes\n~~~~",
        "    /vote yes",  # an indented code block
        "/votes yes",
        "/assign @ada",  # another bot's command
        "please /vote yes",
    ],
)
def test_quotes_code_and_other_words_are_not_commands(body: str | None) -> None:
    assert parse(body) is None


def test_a_fence_closes_only_with_its_own_kind() -> None:
    assert parse("```\n~~~\n/vote yes\n```\n/vote no") == parse("/vote no")


def test_signatures_are_checked_over_the_raw_body() -> None:
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok(secret, body, good)
    assert not signature_ok(secret, body + b" ", good)
    assert not signature_ok(b"another secret", body, good)
    assert not signature_ok(secret, body, None)
    assert not signature_ok(secret, body, good.replace("sha256=", "sha1="))
    digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert signature_ok(secret, body, f"sha256={digest}")


def test_payload_problems_name_the_field() -> None:
    payload = webhooks.comment_payload(
        "created", repo="omi/rfcs", number=3, body="/vote yes", sender="ada-gh", comment_id=9
    )
    assert problem("issue_comment", payload) is None
    del payload["comment"]["id"]
    assert problem("issue_comment", payload) == "'comment.id' is missing or not a number"
    assert problem("issues", []) == "the payload is not a JSON object"
    labeled = webhooks.issue_payload(
        "labeled",
        repo="omi/rfcs",
        number=3,
        title="t",
        body="b",
        sender="ada-gh",
        label="vote/open",
    )
    labeled["issue"]["number"] = True  # a boolean is not a number
    assert problem("issues", labeled) == "'issue.number' is missing or not a number"


def test_what_is_ignored_and_how_deliveries_are_keyed() -> None:
    watch = Watch("omi/rfcs", frozenset({"govbot-bot"}))

    def comment(**kw: str) -> dict[str, object]:
        values = {"repo": "omi/rfcs", "sender": "ada-gh"} | kw
        return webhooks.comment_payload(
            "created",
            number=3,
            body="/vote yes",
            comment_id=77,
            **values,  # type: ignore[arg-type]
        )

    assert ignored_because("issue_comment", comment(), watch) is None
    assert "not the watched repository" in str(
        ignored_because("issue_comment", comment(repo="x/y"), watch)
    )
    assert "sent by the bot" in str(
        ignored_because("issue_comment", comment(sender="govbot-bot"), watch)
    )
    bot = comment()
    bot["sender"]["type"] = "Bot"  # type: ignore[index]
    assert "sent by the bot" in str(ignored_because("issue_comment", bot, watch))
    assert delivery_key("issue_comment", "abc", comment()) == "github:comment:77"
    opened = webhooks.issue_payload(
        "opened", repo="omi/rfcs", number=3, title="t", body="b", sender="ada-gh"
    )
    assert delivery_key("issues", "abc", opened) == "github:delivery:abc"


def test_the_pacer_keeps_writes_under_eighty_a_minute() -> None:
    now = [0.0]
    pacer = Pacer(limit=80, clock=lambda: now[0])
    assert pacer.wait_for(3) == 0
    pacer.spent(79)
    assert pacer.wait_for(1) == 0
    assert pacer.wait_for(3) == 60  # two of the 79 must leave the window first
    now[0] = 30.0
    pacer.spent(1)
    assert pacer.wait_for(1) == 30  # the first 79 leave at 60 s
    now[0] = 60.0
    assert pacer.wait_for(79) == 0  # they left; the one at 30 s still counts
    assert pacer.wait_for(80) == 30


def test_a_large_publication_is_split_over_trees_within_the_budget() -> None:
    """Ten years of ledger files exceed what one request may carry; each tree stays under it."""
    from bot.github.publisher import TREE_BODY_BUDGET, _batches

    third = "x" * (TREE_BODY_BUDGET // 3)
    elements: list[tuple[str, str | None]] = [
        ("ledger/2027-01.jsonl", third),
        ("ledger/2027-02.jsonl", third),
    ]
    elements += [("ledger/2027-03.jsonl", third), ("README.md", None), ("rfcs/README.md", "y")]
    batches = list(_batches(elements))
    assert [[path for path, _ in batch] for batch in batches] == [
        ["ledger/2027-01.jsonl", "ledger/2027-02.jsonl"],
        ["ledger/2027-03.jsonl", "README.md", "rfcs/README.md"],
    ]
    assert list(_batches([("README.md", "a" * (2 * TREE_BODY_BUDGET))])) == [
        [("README.md", "a" * (2 * TREE_BODY_BUDGET))]
    ]  # a single text too large for the budget still goes, alone
    assert list(_batches([])) == [[]]
