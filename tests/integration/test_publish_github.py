"""The record published to GitHub (the fake) through the outbox: one commit per publication in
a constant number of requests, and every failure retried without losing a change."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from bot.github.auth import github_client
from bot.github.publisher import GitHubPublisher
from governance.publish import LocalGitPublisher, RemoteTree, drain, outbox_view, publish_now
from governance.services import groups, rfcs
from governance.store import Store
from tests.fakes.github import FakeGitHub, shape_problems
from tests.integration.scenario import Built, H, build

REPO = "open-model-initiative/governance"
S = timedelta(seconds=1)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.create_repo(REPO, {"CONTRIBUTING.md": "How to propose a change.\n"})
        yield server


@pytest.fixture
def built(tmp_path: Path, open_store: Callable[[], Store]) -> Built:
    return build(tmp_path, open_store)


def github_publisher(fake: FakeGitHub) -> GitHubPublisher:
    token = fake.issue_token("govbot", write=True)
    return GitHubPublisher(github_client(base_url=fake.api_url, token=token), REPO)


def test_each_publication_is_one_commit_in_the_same_number_of_requests(
    fake: FakeGitHub, built: Built
) -> None:
    publisher = github_publisher(fake)
    counts: list[tuple[int, int]] = []  # (files written, requests)

    def publish(at: int) -> None:
        fake.clear_log()
        done = publish_now(built.store, publisher, built.now + at * H)
        assert done.commit == fake.head(REPO)
        counts.append((len(done.changed) + len(done.deleted), len(fake.log)))

    publish(0)  # every page, the ledger's month file and verify.py: 16 files
    built.act(rfcs.cast_ballot, "bo", built.now + H, rfcs.CastBallot("RFC-0006", "no"))
    publish(1)  # the vote's page, the ledger page and the month file
    built.act(  # a new member shows on group pages and indexes: a full render
        groups.join_group, "ivy", built.now + 2 * H, groups.JoinGroup("docs")
    )
    publish(2)
    assert [files for files, _ in counts] == [16, 3, 4]
    assert len({requests for _, requests in counts}) == 1, counts  # whatever the number of files
    assert len(fake.commits(REPO)) == 1 + 3
    assert shape_problems(fake.log) == []


def test_server_errors_and_rate_limits_are_retried_and_nothing_is_lost(
    fake: FakeGitHub, built: Built, tmp_path: Path
) -> None:
    publisher = github_publisher(fake)
    now = built.now
    fake.fail_next(1, status=502)
    first = drain(built.store, publisher, now, debounce=S)
    assert first.error is not None and first.publication is None
    [waiting] = outbox_view(built.store)
    assert waiting["attempts"] == 1 and "502" in str(waiting["last_error"])

    assert first.next_at is not None
    now = first.next_at
    fake.rate_limit_next("secondary", status=403, retry_after=90)
    second = drain(built.store, publisher, now, debounce=S)
    assert second.error is not None and second.next_at == now + 90 * S

    # meanwhile the record keeps changing
    built.act(rfcs.cast_ballot, "cy", now + S, rfcs.CastBallot("RFC-0006", "yes"))
    fake.rate_limit_next("primary", reset_in=30)
    third = drain(built.store, publisher, now + 90 * S, debounce=S)
    assert third.error is not None and third.next_at is not None
    assert third.next_at - (now + 90 * S) >= 30 * S

    done = drain(built.store, publisher, third.next_at, debounce=S)
    assert done.publication is not None and done.publication.commit == fake.head(REPO)
    assert "ballot.cast RFC-0006 by cy" in done.publication.events
    assert outbox_view(built.store) == []
    assert len(fake.commits(REPO)) == 2  # the initial one and ONE publication

    # what GitHub holds is exactly what a full render of the record gives
    local = LocalGitPublisher(tmp_path / "local")
    publish_now(built.store, local, third.next_at, full=True)
    expected = {
        p: (local.directory / p).read_text(encoding="utf-8") for p in local.snapshot().blobs
    }
    files = fake.files(REPO)
    assert {p: files[p] for p in expected} == expected
    assert files["CONTRIBUTING.md"] == "How to propose a change.\n"


def test_a_concurrent_push_on_github_is_kept(fake: FakeGitHub, built: Built) -> None:
    publisher = github_publisher(fake)
    publish_now(built.store, publisher, built.now)
    page = fake.files(REPO)["README.md"].replace(
        "<!-- BEGIN CUSTOM -->\n<!-- END CUSTOM -->",
        "<!-- BEGIN CUSTOM -->\nMeetings: every Thursday.\n<!-- END CUSTOM -->",
    )
    fake.push(REPO, {"README.md": page, "MAINTAINERS.md": "ada, elena\n"})
    built.act(rfcs.propose_rfc, "di", built.now + H, rfcs.ProposeRfc("core", "Later", "Text."))
    done = publish_now(built.store, publisher, built.now + H)
    assert done.commit is not None
    files = fake.files(REPO)
    assert "Meetings: every Thursday." in files["README.md"]
    assert "Discussion: 1" in files["rfcs/README.md"]
    assert files["MAINTAINERS.md"] == "ada, elena\n"


def test_the_console_publishes_to_github_when_credentials_are_set(
    fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import run
    from tests.conftest import charter, write_charters

    charters = write_charters(tmp_path / "c", core=charter("core", chairs=["ada"], members=["bo"]))
    foundation = charters / "foundation.yaml"
    foundation.write_text(foundation.read_text() + f"docs: {{repo: {REPO}}}\n")
    base = [
        "--db",
        str(tmp_path / "g.db"),
        "--charters",
        str(charters),
        "--now",
        "2027-01-04T10:00:00Z",
    ]
    monkeypatch.setenv("GOVBOT_GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GOVBOT_GITHUB_TOKEN", fake.issue_token("govbot", write=True))
    rc, out, err = run([*base, "publish"])
    assert rc == 0, err
    assert out.startswith(f"Published 1 change(s) to {REPO} (main): commit ")
    assert "README.md" in fake.files(REPO) and len(fake.commits(REPO)) == 2
    monkeypatch.setenv("GOVBOT_GITHUB_TOKEN", "wrong")
    rc, out, _ = run([*base, "publish", "--full"])
    assert rc == 1 and out.startswith("The docs were not published: ") and "token" in out
    monkeypatch.setenv("GOVBOT_GITHUB_APP_ID", "12")
    rc, _, err = run([*base, "publish"])
    assert rc == 2 and "GOVBOT_GITHUB_TOKEN and GitHub App settings are both set" in err


class RacingPublisher(GitHubPublisher):
    """Someone pushes to the docs repository on GitHub while govbot's commit is on its way."""

    def __init__(self, fake: FakeGitHub) -> None:
        token = fake.issue_token("govbot", write=True)
        super().__init__(github_client(base_url=fake.api_url, token=token), REPO)
        self.fake = fake
        self.raced = False

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        if not self.raced:
            self.raced = True
            self.fake.push(REPO, {"MAINTAINERS.md": "ada, elena\n"})
        return super().commit(base, changes, message, when=when)


def test_a_push_during_the_commit_is_kept_and_the_publication_retried(
    fake: FakeGitHub, built: Built
) -> None:
    publisher = RacingPublisher(fake)
    done = publish_now(built.store, publisher, built.now)
    assert publisher.raced and done.commit == fake.head(REPO)
    files = fake.files(REPO)
    assert files["MAINTAINERS.md"] == "ada, elena\n" and "README.md" in files
    messages = [c.message.splitlines()[0] for c in fake.commits(REPO)]
    assert len(messages) == 3 and messages[0].startswith("Record ")  # the push kept beneath it
