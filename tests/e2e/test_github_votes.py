"""A label opens a vote, comments vote, and the outcome comes back to GitHub and the docs."""

from __future__ import annotations

from datetime import timedelta

from governance.services import common, rfcs
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


def ledger_actions(world: World) -> list[str]:
    from sqlmodel import col, select

    from governance.model import LedgerEntry

    with world.running.store.read() as uow:
        return list(uow.session.exec(select(LedgerEntry.action).order_by(col(LedgerEntry.seq))))


def console(world: World, *args: str) -> str:
    """A console command on the running service's record, at the test clock's time."""
    from bot.cli import run

    now = world.clock().isoformat()
    code, out, err = run(
        [
            "--db",
            world.running.settings.database_url,
            "--charters",
            str(world.charters),
            "--now",
            now,
            *args,
        ]
    )
    assert code == 0, err
    return out


def test_an_unauthorised_labeller_is_refused_and_the_label_taken_back(world: World) -> None:
    number = import_rfc(world)
    before = ledger_actions(world)

    world.github.label(number, "vote/open", by="bo-gh")  # a member, not a chair
    world.running.settle()
    issue = world.fake.issue(REPO, number)
    assert "vote/open" not in issue.labels
    refusal = world.github.bot_comments(number)[-1]
    assert refusal.startswith("@bo-gh, the vote was not opened and the `vote/open` label was")
    assert "Only a chair of datasets or a foundation admin may open votes" in refusal

    world.github.label(number, "vote/open", by="stranger")  # nobody govbot knows
    world.running.settle()
    assert "vote/open" not in world.fake.issue(REPO, number).labels
    assert "your GitHub account is not linked" in world.github.bot_comments(number)[-1]
    assert "`govbot link github stranger --as HANDLE`" in world.github.bot_comments(number)[-1]
    assert ledger_actions(world) == before  # nothing changed in the record

    plain = world.github.open_issue("Not a proposal", "just a bug", by="ada-gh", labels=[])
    world.github.label(plain, "vote/open", by="ada-gh")
    world.running.settle()
    assert "vote/open" not in world.fake.issue(REPO, plain).labels
    assert "this issue is not an RFC" in world.github.bot_comments(plain)[-1]
    assert ledger_actions(world) == before


def test_comment_ballots_from_linked_and_unlinked_accounts(world: World) -> None:
    number = import_rfc(world)
    world.github.label(number, "vote/open", by="ada-gh")
    world.running.settle()

    world.github.comment(number, "I agree.\n/vote yes", by="bo-gh")
    world.github.comment(number, "/vote no", by="bo-gh")  # a change of mind: the latest counts
    world.github.comment(number, "> /vote yes\nquoting is not voting", by="cy-gh")
    world.github.comment(number, "/vote yes", by="ed-gh")  # registered, not in datasets
    world.github.comment(number, "/vote yes", by="stranger")  # not linked
    world.running.settle()

    with world.running.store.read() as uow:
        vote = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert (vote.yes, vote.no, vote.non_binding) == (0, 1, 1)
    assert [(b.handle, b.choice) for b in vote.ballots or []] == [("bo", "no")]
    assert [(b.handle, b.choice) for b in vote.non_binding_ballots or []] == [("ed", "yes")]
    replies = world.github.bot_comments(number)
    assert any(
        r.startswith("@ed-gh, your ballot (yes) is recorded as **non-binding**") for r in replies
    )
    assert any(r.startswith("@stranger, your GitHub account is not linked") for r in replies)
    assert not any("@cy-gh" in r for r in replies)
    assert ledger_actions(world).count("ballot.cast") == 3


def test_concerns_pause_and_resume_the_vote_from_comments(world: World) -> None:
    number = import_rfc(world)
    world.github.label(number, "vote/open", by="ada-gh")
    world.running.settle()

    world.github.comment(number, "/concern The licence of set B\nis unclear.", by="cy-gh")
    world.running.settle()
    raised = world.github.bot_comments(number)[-1]
    assert "raised concern **1** on RFC-0001. The vote is paused" in raised
    with world.running.store.read() as uow:
        view = rfcs.show_rfc(uow, "RFC-0001", world.clock())
    assert view.status == "paused" and view.concerns[0].text == "The licence of set B\nis unclear."

    world.github.comment(number, "/resolve 1", by="bo-gh")  # not the author, not a chair
    world.running.settle()
    assert "the concern was not resolved" in world.github.bot_comments(number)[-1]
    world.github.comment(number, "/resolve 1 fixed in v2", by="cy-gh")
    world.running.settle()
    assert (
        "Concern 1 on RFC-0001 is resolved. The vote resumes"
        in world.github.bot_comments(number)[-1]
    )
    with world.running.store.read() as uow:
        assert rfcs.show_rfc(uow, "RFC-0001", world.clock()).status == "voting"


def test_an_rfc_proposed_elsewhere_gets_its_issue_linked_both_ways(world: World) -> None:
    out = console(
        world,
        "rfc",
        "propose",
        "--group",
        "datasets",
        "--title",
        "Shared eval harness",
        "--body",
        "Run every eval the same way.",
        "--as",
        "bo",
    )
    assert "RFC-0001" in out
    world.running.settle(docs=True)
    with world.running.store.read() as uow:
        rfc = common.rfc(uow, "RFC-0001")
        assert (rfc.github_repo, rfc.github_issue) == (REPO, 1)
    issue = world.fake.issue(REPO, 1)
    assert issue.title == "RFC-0001: Shared eval harness" and issue.author == "govbot-bot"
    assert issue.labels == ["rfc", "wg/datasets"]
    assert "Run every eval the same way." in (issue.body or "")
    assert "<!-- govbot:RFC-0001 -->" in (issue.body or "")
    record = f"https://github.com/{DOCS_REPO}/blob/main/rfcs/0001-shared-eval-harness.md"
    assert f"Its record (history, concerns, every ballot): {record}" in (issue.body or "")
    assert record.removeprefix(f"https://github.com/{DOCS_REPO}/blob/main/") in (
        world.fake.files(DOCS_REPO)
    )
    assert world.fake.labels(REPO)["wg/datasets"] == (
        "1d76db",
        "An RFC of the datasets group (govbot)",
    )
    assert "rfc.linked" in ledger_actions(world)
    page = next(t for p, t in world.fake.files(DOCS_REPO).items() if p.startswith("rfcs/0001-"))
    assert f"(https://github.com/{REPO}/issues/1)" in page

    console(world, "vote", "open", "RFC-0001", "--as", "ada")  # from the console: label follows
    world.running.settle()
    assert "vote/open" in world.fake.issue(REPO, 1).labels
    assert "The vote on RFC-0001 is open" in world.github.bot_comments(1)[-1]


def test_the_deadline_closes_the_vote_and_github_is_told(world: World) -> None:
    number = import_rfc(world)
    world.github.label(number, "vote/open", by="ada-gh")
    world.github.comment(number, "/vote yes", by="bo-gh")
    world.running.settle()
    world.clock.advance(7 * D + timedelta(minutes=1))
    assert world.running.tick() == ["RFC-0001: no-quorum"]
    world.running.settle(docs=True)
    issue = world.fake.issue(REPO, number)
    assert "vote/no-quorum" in issue.labels and "vote/open" not in issue.labels
    assert issue.state == "open"  # only accepted RFCs are closed
    assert "**RFC-0001 did not reach its quorum**" in world.github.bot_comments(number)[-1]


def test_a_deadline_missed_while_down_is_closed_at_startup(world: World) -> None:
    number = import_rfc(world)
    world.github.label(number, "vote/open", by="ada-gh")
    for login in ("ada-gh", "bo-gh", "cy-gh"):
        world.github.comment(number, "/vote yes", by=login)
    world.running.settle()
    world.running.stop()
    world.clock.advance(8 * D)
    world.restart()  # the catch-up tick closes it at its own deadline
    world.running.settle(docs=True)
    with world.running.store.read() as uow:
        vote = rfcs.vote_status(uow, "RFC-0001", world.clock())
    assert vote.state == "closed" and vote.outcome == "passed"
    issue = world.fake.issue(REPO, number)
    assert "vote/passed" in issue.labels and issue.state == "closed"


def test_a_cancelled_vote_and_a_withdrawn_rfc_are_shown_on_their_issue(world: World) -> None:
    number = import_rfc(world)
    world.github.label(number, "vote/open", by="ada-gh")
    world.running.settle()
    console(
        world, "vote", "cancel", "RFC-0001", "--reason", "Wrong policy <b>@all</b>", "--as", "ada"
    )
    world.running.settle()
    issue = world.fake.issue(REPO, number)
    assert "vote/cancelled" in issue.labels and "vote/open" not in issue.labels
    said = world.github.bot_comments(number)[-1]
    assert said.startswith("**The vote on RFC-0001 was cancelled** by `ada`")
    assert "&lt;b&gt;" in said or "\\<b\\>" in said  # the reason is inert text
    assert "@all" not in said  # nobody is mentioned

    console(world, "rfc", "withdraw", "RFC-0001", "--as", "ada")
    world.running.settle()
    issue = world.fake.issue(REPO, number)
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert world.github.bot_comments(number)[-1].startswith("`ada` withdrew RFC-0001.")
