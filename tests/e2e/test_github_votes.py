"""A label opens a vote, comments vote, and the outcome comes back to GitHub and the docs."""

from __future__ import annotations

from datetime import timedelta

from governance.services import rfcs
from tests.e2e.conftest import World
from tests.support.service import DOCS_REPO, REPO

D = timedelta(days=1)


def import_rfc(world: World, title: str = "Caption provenance") -> int:
    number = world.github.open_issue(
        title, "Every caption records its source.", by="ada-gh", labels=["rfc", "wg/datasets"]
    )
    world.running.settle()
    return number


def test_a_label_opens_the_vote_and_the_outcome_comes_back(world: World) -> None:
    number = import_rfc(world)
    issue = world.fake.issue(REPO, number)
    assert "RFC-0001" in world.github.bot_comments(number)[0]
    with world.running.store.read() as uow:
        rfc = rfcs.rfc_of_issue(uow, REPO, number)
        assert rfc is not None and rfc.title == "Caption provenance"

    status, answer = world.github.label(number, "vote/open", by="ada-gh")
    assert status == 202 and answer["status"] == "accepted"
    world.running.settle()
    announcement = world.github.bot_comments(number)[-1]
    assert "The vote on RFC-0001 is open" in announcement and "`/vote yes`" in announcement
    assert "vote/open" in world.fake.issue(REPO, number).labels

    for login, choice in (("ada-gh", "yes"), ("bo-gh", "yes"), ("cy-gh", "no")):
        status, _, _ = world.github.comment(number, f"/vote {choice}", by=login)
        assert status == 202
    world.running.settle()
    issue = world.fake.issue(REPO, number)
    assert issue.reactions[-3:] == [[("govbot-bot", "+1")]] * 3
    with world.running.store.read() as uow:
        status_now = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert (status_now.yes, status_now.no, status_now.state) == (2, 1, "open")

    world.clock.advance(3 * D + timedelta(minutes=1))  # min_duration passed: di's ballot decides
    world.github.comment(number, "/vote yes", by="di-gh")
    world.running.settle(docs=True)
    issue = world.fake.issue(REPO, number)
    assert "vote/passed" in issue.labels and "vote/open" not in issue.labels
    result = world.github.bot_comments(number)[-1]
    assert "**RFC-0001 passed**" in result
    assert "| 3 | 1 | 0 | 4 of 4 | 2 (met) | 0 |" in result
    assert issue.state == "closed" and issue.state_reason == "completed"
    labels = world.fake.labels(REPO)
    assert labels["vote/passed"][0] == "0e8a16" and "passed" in (labels["vote/passed"][1] or "")
    docs = world.fake.files(DOCS_REPO)
    page = next(text for path, text in docs.items() if path.startswith("rfcs/0001-"))
    assert "**Accepted**" in page
    assert f"(https://github.com/{REPO}/issues/{number})" in page
