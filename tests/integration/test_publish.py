"""Publishing to a real local git repository: one commit per publication, exactly what changed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from governance.publish import (
    LocalGitPublisher,
    PublishError,
    RemoteTree,
    blob_sha,
    publish_now,
)
from governance.services import rfcs
from governance.store import Store
from tests.integration.scenario import Built, H, build

RFC1 = "rfcs/0001-adopt-a-dataset-licence.md"


def git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True
    ).stdout


def commits(directory: Path) -> list[str]:
    return git(directory, "log", "--format=%H", "main").split()


def human_commit(directory: Path, path: str, text: str) -> None:
    """Someone edits a file in the docs repository and commits it."""
    (directory / path).parent.mkdir(parents=True, exist_ok=True)
    (directory / path).write_text(text, encoding="utf-8")
    git(directory, "add", path)
    git(
        directory,
        "-c",
        "user.name=Mei",
        "-c",
        "user.email=mei@example.org",
        "commit",
        "-q",
        "-m",
        f"Edit {path}",
    )


@pytest.fixture
def built(tmp_path: Path, open_store: Callable[[], Store]) -> Built:
    return build(tmp_path, open_store)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return tmp_path / "docs"


def test_first_publication_creates_the_repository_and_one_commit(built: Built, docs: Path) -> None:
    done = publish_now(built.store, LocalGitPublisher(docs), built.now)
    assert done.commit is not None and done.full
    assert commits(docs) == [done.commit]
    assert len(done.changed) == 16 and done.deleted == ()
    assert {"ledger/2027-01.jsonl", "ledger/verify.py"} <= set(done.changed)
    assert (docs / RFC1).read_text(encoding="utf-8").startswith("# RFC-0001: Adopt")
    assert git(docs, "status", "--porcelain") == ""  # the working tree follows the branch
    message = git(docs, "log", "-1", "--format=%B")
    with built.store.read() as uow:
        seq, _, head = uow.head()
    assert "- rfc.proposed RFC-0001 by bo" in message
    assert "- vote.opened RFC-0001 by ada" in message
    assert "- and 11 more\n" in message  # 41 entries; the message lists the first 30
    assert message.strip().endswith(f"Ledger head: {seq} {head}")
    assert git(docs, "log", "-1", "--format=%an <%ae> %at") == (
        f"govbot <govbot@localhost> {int(built.now.timestamp())}\n"
    )


def test_nothing_changed_means_no_commit(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    first = publish_now(built.store, publisher, built.now)
    again = publish_now(built.store, publisher, built.now + H)
    assert again.commit is None and again.changed == () and again.events == ()
    assert commits(docs) == [first.commit]


def test_one_ballot_touches_only_the_pages_that_show_it(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    built.act(rfcs.cast_ballot, "bo", built.now + H, rfcs.CastBallot("RFC-0006", "no"))
    done = publish_now(built.store, publisher, built.now + H)
    # the ledger's month file of the new entry, the ledger page and the RFC's page
    assert done.changed == (
        "ledger/2027-01.jsonl",
        "ledger/README.md",
        "rfcs/0006-keep-one-vote-open.md",
    )
    assert done.events == ("ballot.cast RFC-0006 by bo",)
    assert not done.full
    shown = git(docs, "show", "--stat", "--format=%s", "HEAD")
    assert shown.startswith("Record ballot.cast RFC-0006 by bo\n")
    assert "3 files changed" in shown
    page = (docs / "rfcs/0006-keep-one-vote-open.md").read_text(encoding="utf-8")
    assert "| `bo` | no | 2027-01-12 13:00 UTC |" in page


def test_scoped_publications_match_a_full_render(built: Built, docs: Path, tmp_path: Path) -> None:
    """Incremental publications leave the same tree a full render of the record would."""
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    built.act(rfcs.cast_ballot, "cy", built.now + H, rfcs.CastBallot("RFC-0006", "yes"))
    publish_now(built.store, publisher, built.now + H)
    built.act(
        rfcs.propose_rfc, "gus", built.now + 2 * H, rfcs.ProposeRfc("docs", "A new one", "Text.")
    )
    publish_now(built.store, publisher, built.now + 2 * H)
    fresh = LocalGitPublisher(tmp_path / "fresh")
    publish_now(built.store, fresh, built.now + 2 * H, full=True)
    assert publisher.snapshot().blobs == fresh.snapshot().blobs


def test_custom_sections_survive_regeneration(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    page = (docs / RFC1).read_text(encoding="utf-8")
    edited = page.replace(
        "<!-- BEGIN CUSTOM -->\n<!-- END CUSTOM -->",
        "<!-- BEGIN CUSTOM -->\n> Implementation tracked in the datasets repo, #42.\n"
        "<!-- END CUSTOM -->",
    )
    edited += (
        "\n<!-- BEGIN CUSTOM notes -->\nA named section with no slot.\n<!-- END CUSTOM notes -->\n"
    )
    human_commit(docs, RFC1, edited)
    built.act(  # an unrelated change
        rfcs.repropose_rfc, "cy", built.now + H, rfcs.ReproposeRfc("RFC-0002", body="Changed.")
    )
    publish_now(built.store, publisher, built.now + H, full=True)
    text = (docs / RFC1).read_text(encoding="utf-8")
    assert "> Implementation tracked in the datasets repo, #42.\n<!-- END CUSTOM -->" in text
    assert "<!-- BEGIN CUSTOM notes -->\nA named section with no slot.\n" in text
    # later publications keep them without reading the file again (its blob is govbot's own)
    built.act(rfcs.cast_ballot, "bo", built.now + 2 * H, rfcs.CastBallot("RFC-0006", "yes"))
    publish_now(built.store, publisher, built.now + 2 * H, full=True)
    assert "#42." in (docs / RFC1).read_text(encoding="utf-8")


def test_files_govbot_does_not_write_are_left_alone(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    human_commit(docs, "CONTRIBUTING.md", "How to help.\n")
    human_commit(docs, "groups/core/notes.md", "Our notes.\n")
    done = publish_now(built.store, publisher, built.now + H, full=True)
    assert done.commit is None
    assert (docs / "CONTRIBUTING.md").exists() and (docs / "groups/core/notes.md").exists()


def test_a_renamed_rfc_page_replaces_the_old_one(built: Built, docs: Path) -> None:
    publisher = LocalGitPublisher(docs)
    publish_now(built.store, publisher, built.now)
    built.act(
        rfcs.repropose_rfc,
        "cy",
        built.now + H,
        rfcs.ReproposeRfc("RFC-0002", title="Switch captions to an open format"),
    )
    done = publish_now(built.store, publisher, built.now + H)
    assert done.deleted == ("rfcs/0002-switch-captions-to-a-closed-format.md",)
    assert "rfcs/0002-switch-captions-to-an-open-format.md" in done.changed
    assert not (docs / "rfcs/0002-switch-captions-to-a-closed-format.md").exists()


class MovingPublisher(LocalGitPublisher):
    """A local repository where someone else commits just before govbot's first commit."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.moves = 0

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        if self.moves == 0:
            self.moves += 1
            human_commit(self.directory, "CONTRIBUTING.md", "Written meanwhile.\n")
        return super().commit(base, changes, message, when=when)


def test_a_moved_branch_is_retried_and_keeps_both_sides(built: Built, docs: Path) -> None:
    LocalGitPublisher(docs).snapshot()  # create the repository
    human_commit(docs, "LICENSE", "CC-BY-4.0\n")
    publisher = MovingPublisher(docs)
    done = publish_now(built.store, publisher, built.now)
    assert publisher.moves == 1 and done.commit is not None
    files = git(docs, "ls-tree", "-r", "--name-only", "main").split()
    assert {"LICENSE", "CONTRIBUTING.md", RFC1} <= set(files)
    assert len(commits(docs)) == 3  # LICENSE, CONTRIBUTING, and ONE publication


class BrokenPublisher(LocalGitPublisher):
    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        raise PublishError("the remote is down", retry_after=30)


def test_a_failed_publication_loses_nothing(built: Built, docs: Path) -> None:
    with pytest.raises(PublishError):
        publish_now(built.store, BrokenPublisher(docs), built.now)
    done = publish_now(built.store, LocalGitPublisher(docs), built.now + H)
    assert done.full and len(done.changed) == 16
    assert "- rfc.proposed RFC-0001 by bo" in git(docs, "log", "-1", "--format=%B")


def test_blob_hashes_match_git() -> None:
    text = "héllo\n"
    out = subprocess.run(
        ["git", "hash-object", "--stdin"], input=text.encode(), capture_output=True, check=True
    )
    assert blob_sha(text) == out.stdout.decode().strip()


def test_a_new_target_or_a_wiped_one_gets_everything(
    built: Built, docs: Path, tmp_path: Path
) -> None:
    publish_now(built.store, LocalGitPublisher(docs), built.now)
    built.act(rfcs.cast_ballot, "bo", built.now + H, rfcs.CastBallot("RFC-0006", "no"))
    elsewhere = publish_now(built.store, LocalGitPublisher(tmp_path / "mirror"), built.now + H)
    assert elsewhere.full and len(elsewhere.changed) == 16
    assert elsewhere.events[0] == "charters.synced charters by govbot"  # all it never received
    git(docs, "rm", "-q", "README.md", "rfcs/README.md")
    git(docs, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit", "-q", "-m", "wipe")
    again = publish_now(built.store, LocalGitPublisher(docs), built.now + H)
    assert again.full and "README.md" in again.changed and "rfcs/README.md" in again.changed
    assert again.events == ("ballot.cast RFC-0006 by bo",)
