"""Account linking with one-time codes, catching up with GitHub after downtime, exact deadlines."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from bot.cli import run
from governance.services import rfcs
from tests.e2e.conftest import World
from tests.fakes.github import FakeGitHub
from tests.support.service import REPO, Clock, Running, foundation_charters, settings_for

CODE = re.compile(r"Your code for \S+: ([A-Z2-9]{5}-[A-Z2-9]{5})")


def console(world: World, *args: str) -> tuple[int, str, str]:
    return run(
        [
            "--db",
            world.running.settings.database_url,
            "--charters",
            str(world.charters),
            "--now",
            world.clock().isoformat(),
            *args,
        ]
    )


def code_for(world: World, login: str, handle: str) -> str:
    code, out, err = console(world, "link", "github", login, "--as", handle)
    assert code == 0, err
    found = CODE.search(out)
    assert found is not None, out
    return found.group(1)


def open_vote(world: World) -> int:
    number = world.github.open_issue(
        "Caption provenance",
        "Every caption records its source.",
        by="ada-gh",
        labels=["rfc", "wg/datasets"],
    )
    world.github.label(number, "vote/open", by="ada-gh")
    world.running.settle()
    return number


def test_a_person_links_a_github_account_with_a_one_time_code(world: World) -> None:
    assert console(world, "people", "add", "zed", "--name", "Zed Example", "--as", "root")[0] == 0
    number = open_vote(world)

    world.github.comment(number, "/vote yes", by="zed-gh")
    world.running.settle()
    assert world.github.bot_comments(number)[-1].startswith("@zed-gh, your GitHub account is not")

    code = code_for(world, "zed-gh", "zed")
    world.github.comment(number, f"/govbot verify {code}", by="mallory")  # seen, not usable
    world.running.settle()
    assert (
        "made for the GitHub account zed-gh, not mallory" in world.github.bot_comments(number)[-1]
    )

    world.github.comment(number, f"/govbot verify {code.lower()}", by="zed-gh")
    world.running.settle()
    assert world.github.bot_comments(number)[-1].startswith("@zed-gh is now linked to `zed`")
    world.github.comment(number, f"/govbot verify {code}", by="zed-gh")  # once only
    world.running.settle()
    assert "has been used already" in world.github.bot_comments(number)[-1]

    world.github.comment(number, "/vote yes", by="zed-gh")  # acts as zed now: non-binding
    world.running.settle()
    with world.running.store.read() as uow:
        vote = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert [(b.handle, b.choice) for b in vote.non_binding_ballots or []] == [("zed", "yes")]
    _, out, _ = console(world, "ledger", "tail", "-n", "30")
    assert code not in out  # the public record never holds a code


def test_a_code_expires(world: World) -> None:
    console(world, "people", "add", "zed", "--name", "Zed Example", "--as", "root")
    number = open_vote(world)
    code = code_for(world, "zed-gh", "zed")
    world.clock.advance(timedelta(hours=1, minutes=1))
    world.github.comment(number, f"/govbot verify {code}", by="zed-gh")
    world.running.settle()
    assert "That code expired at" in world.github.bot_comments(number)[-1]
    assert console(world, "people", "list", "--json")[1].count('"zed-gh"') == 0


def test_deliveries_missed_while_down_are_caught_up_at_startup(world: World) -> None:
    number = world.github.open_issue(
        "Caption provenance",
        "Every caption records its source.",
        by="ada-gh",
        labels=["rfc", "wg/datasets"],
    )
    other = world.github.open_issue(
        "Open weights", "Release the weights.", by="bo-gh", labels=["rfc", "wg/datasets"]
    )
    world.running.settle()
    world.running.stop()
    # While govbot is down: a chair opens the vote, two electors vote, and an issue is labelled
    # as an RFC; GitHub's deliveries fail and are never retried.
    world.github.label(number, "vote/open", by="ada-gh", deliver=False)
    world.clock.advance(timedelta(seconds=2))
    world.github.comment(number, "/vote yes", by="bo-gh", deliver=False)
    world.github.comment(number, "/vote no", by="cy-gh", deliver=False)
    world.github.comment(number, "just chatting", by="cy-gh", deliver=False)
    world.github.label(other, "vote/open", by="bo-gh", deliver=False)  # not a chair: refused
    late = world.fake.open_issue(REPO, "Dataset cards", "Cards for all sets.", by="cy-gh")
    world.github.label(late, "rfc", by="cy-gh", deliver=False)
    world.github.label(late, "wg/datasets", by="cy-gh", deliver=False)

    world.restart()
    world.running.settle()
    with world.running.store.read() as uow:
        vote = rfcs.vote_status(uow, "RFC-0001", world.clock())
        imported = rfcs.rfc_of_issue(uow, REPO, late)
        assert imported is not None and imported.number == 3
    assert vote.state == "open" and (vote.yes, vote.no) == (1, 1)
    assert "vote/open" not in world.fake.issue(REPO, other).labels
    assert "Only a chair of datasets" in world.github.bot_comments(other)[-1]

    said = world.github.bot_comments(other)
    world.restart()  # a second catch-up finds nothing new to do
    world.running.settle()
    with world.running.store.read() as uow:
        again = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert (again.yes, again.no) == (1, 1)
    assert world.github.bot_comments(other) == said


def test_an_exact_job_closes_the_vote_at_its_deadline(tmp_path: Path, fake: FakeGitHub) -> None:
    """The vote lasts 3 s; the minute tick would be too late, so only the exact job can close it."""
    charters = foundation_charters(
        tmp_path / "charters",
        group_policies="default: {duration: 3s, min_duration: 1s, close_early: false}\n",
    )
    clock = Clock(fake)
    with Running(settings_for(tmp_path, fake, charters), clock) as running:
        from tests.support.service import GitHubSide

        side = GitHubSide(fake, lambda: running)
        number = side.open_issue("Fast", "Quick.", by="ada-gh", labels=["rfc", "wg/datasets"])
        side.label(number, "vote/open", by="ada-gh")
        side.comment(number, "/vote yes", by="bo-gh")
        side.comment(number, "/vote yes", by="cy-gh")  # quorum: 2 of 4
        running.settle()
        deadline = time.monotonic() + 20
        while "vote:1:deadline" not in (jobs := running.call(_jobs(running))):
            # a refresh gathers the changes of half a second, then makes the exact job
            assert time.monotonic() < deadline, f"no exact job for the deadline: {jobs}"
            time.sleep(0.05)
        assert "tick" in jobs
        while "vote/passed" not in fake.issue(REPO, number).labels:
            assert time.monotonic() < deadline, "the exact job never closed the vote"
            running.wake()
            time.sleep(0.1)
        with running.store.read() as uow:
            vote = rfcs.vote_status(uow, "RFC-0001", clock())
        assert vote.state == "closed" and vote.outcome == "passed"


async def _jobs(running: Running) -> dict[str, object]:
    return dict(running.service.scheduler.next_runs())


def test_a_secret_vote_refuses_public_ballots(tmp_path: Path, fake: FakeGitHub) -> None:
    """A comment is public: a secret ballot cast in one would be no secret."""
    from tests.support.service import GitHubSide

    charters = foundation_charters(
        tmp_path / "charters", group_policies="default: {secret: true}\n"
    )
    with Running(settings_for(tmp_path, fake, charters), Clock(fake)) as running:
        side = GitHubSide(fake, lambda: running)
        number = side.open_issue("Quiet", "Hush.", by="ada-gh", labels=["rfc", "wg/datasets"])
        side.label(number, "vote/open", by="ada-gh")
        side.comment(number, "/vote no", by="bo-gh")
        running.settle()
        said = side.bot_comments(number)
        # the announcement leaves before the answer to a comment about the vote
        assert "This vote is **secret**: vote in Discord or with the console" in said[-2]
        assert said[-1].startswith("@bo-gh, the vote on RFC-0001 is secret")
        with running.store.read() as uow:
            vote = rfcs.vote_status(uow, "RFC-0001", running.clock())
        assert vote.sealed and (vote.yes, vote.no, vote.abstain) == (None, None, None)
        assert vote.participation == 0 and vote.non_binding == 0  # nothing was recorded
