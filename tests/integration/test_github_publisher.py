"""The GitHub publisher against the fake GitHub, through unmodified PyGithub.

Each publication is one commit made in a constant number of requests; a concurrent push is never
overwritten; every failure comes back as a ``PublishError`` the outbox can act on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from github import Auth

from bot.github.auth import GitHubAuthError, credentials, github_client
from bot.github.publisher import GitHubPublisher
from governance.publish import PublishError, RefMoved, RemoteTree, blob_sha, publish_now
from governance.store import Store
from tests.fakes.github import FakeGitHub, shape_problems
from tests.integration.scenario import H, build
from tests.support.keys import rsa_key

REPO = "org/docs"
FILES = {
    "README.md": "# Test Foundation\n",
    "groups/core/README.md": "# Core\n\n<!-- BEGIN CUSTOM -->\nhand-written\n<!-- END CUSTOM -->\n",
    "rfcs/README.md": "# RFCs\n",
}
WHEN = 1_800_000_000


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def docs(fake: FakeGitHub) -> str:
    fake.create_repo(REPO, FILES)
    return REPO


def publisher(fake: FakeGitHub, repo: str = REPO, *, token: str | None = None) -> GitHubPublisher:
    token = token or fake.issue_token("govbot", write=True)
    return GitHubPublisher(github_client(base_url=fake.api_url, token=token), repo)


def requests_made(fake: FakeGitHub) -> list[str]:
    return [f"{e.method} {e.operation}" for e in fake.log]


# --- snapshot and read -------------------------------------------------------------------------


def test_snapshot_gives_the_head_and_every_blob_hash_in_three_requests(
    fake: FakeGitHub, docs: str
) -> None:
    pub = publisher(fake)
    tree = pub.snapshot()
    assert tree.head == fake.head(docs)
    assert tree.blobs == {path: blob_sha(text) for path, text in FILES.items()}
    assert len(fake.log) == 3
    assert shape_problems(fake.log) == []
    assert pub.where == "org/docs (main)"


def test_read_returns_the_texts_at_the_head(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake)
    tree = pub.snapshot()
    fake.clear_log()
    texts = pub.read(tree.head or "", ["groups/core/README.md", "missing.md"])
    assert texts == {"groups/core/README.md": FILES["groups/core/README.md"]}
    assert [e.operation for e in fake.log] == ["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]


def test_read_of_another_head_lists_that_commit_first(fake: FakeGitHub, docs: str) -> None:
    old = fake.head(docs)
    fake.push(docs, {"README.md": "changed\n"})
    pub = publisher(fake)
    assert pub.read(old or "", ["README.md"]) == {"README.md": FILES["README.md"]}
    assert len(fake.log) == 3


# --- commit ------------------------------------------------------------------------------------


def test_commit_writes_and_deletes_in_one_dated_commit(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake)
    base = pub.snapshot()
    changes: dict[str, str | None] = {
        "README.md": "# Test Foundation\n\nNow with RFCs.\n",
        "groups/core/README.md": None,
        "rfcs/0001-caption-provenance.md": "# RFC-0001\n",
    }
    sha = pub.commit(base, changes, "Publish RFC-0001 (ledger 1234abcd)", when=WHEN)

    assert fake.head(docs) == sha
    assert fake.files(docs) == {
        "README.md": "# Test Foundation\n\nNow with RFCs.\n",
        "rfcs/README.md": "# RFCs\n",
        "rfcs/0001-caption-provenance.md": "# RFC-0001\n",
    }
    latest, previous = fake.commits(docs)[:2]
    assert (latest.sha, latest.parents) == (sha, (base.head,))
    assert previous.sha == base.head
    assert latest.message == "Publish RFC-0001 (ledger 1234abcd)"
    assert latest.author.when == latest.committer.when == WHEN
    assert latest.author.name == "govbot"
    assert len(fake.commits(docs)) == 2
    assert pub.snapshot().blobs == {p: blob_sha(t) for p, t in fake.files(docs).items()}
    assert shape_problems(fake.log) == []


def test_requests_do_not_depend_on_the_number_of_changed_files(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake)
    counts = {}
    for n in (1, 20, 300):
        base = pub.snapshot()
        fake.clear_log()
        changes: dict[str, str | None] = {f"rfcs/{i:04d}-x.md": f"{n} {i}\n" for i in range(n)}
        pub.commit(base, changes, f"{n} files", when=WHEN)
        counts[n] = requests_made(fake)
        assert len(fake.files(docs)) >= n
    assert (
        counts[1]
        == counts[20]
        == counts[300]
        == [
            "GET GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
            "POST POST /repos/{owner}/{repo}/git/trees",
            "POST POST /repos/{owner}/{repo}/git/commits",
            "PATCH PATCH /repos/{owner}/{repo}/git/refs/{ref}",
        ]
    )
    assert [c.message for c in fake.commits(docs)[:3]] == ["300 files", "20 files", "1 files"]


def test_deleting_what_is_not_there_makes_no_commit(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake)
    base = pub.snapshot()
    fake.clear_log()
    assert pub.commit(base, {"never-published.md": None}, "nothing", when=WHEN) == base.head
    assert fake.log == []
    assert len(fake.commits(docs)) == 1


def test_a_moved_branch_raises_ref_moved_and_a_fresh_attempt_keeps_both_sides(
    fake: FakeGitHub, docs: str
) -> None:
    pub = publisher(fake)
    base = pub.snapshot()
    theirs = fake.push(docs, {"CONTRIBUTING.md": "Be kind.\n"}, message="A human's edit")

    with pytest.raises(RefMoved):
        pub.commit(base, {"rfcs/README.md": "# RFCs\n\n- RFC-0001\n"}, "Publish", when=WHEN)
    assert fake.head(docs) == theirs

    fresh = pub.snapshot()
    assert fresh.head == theirs
    pub.commit(fresh, {"rfcs/README.md": "# RFCs\n\n- RFC-0001\n"}, "Publish", when=WHEN)
    files = fake.files(docs)
    assert files["CONTRIBUTING.md"] == "Be kind.\n"
    assert files["rfcs/README.md"] == "# RFCs\n\n- RFC-0001\n"
    assert [c.message for c in fake.commits(docs)] == [
        "Publish",
        "A human's edit",
        "Initial commit",
    ]


def test_the_publication_service_publishes_through_github(
    fake: FakeGitHub, tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    """The whole path: render the record, diff by blob hash, one commit, then nothing to do."""
    fake.create_repo(REPO, {"CONTRIBUTING.md": "Be kind.\n"})
    built = build(tmp_path, open_store)
    pub = publisher(fake)
    done = publish_now(built.store, pub, built.now)

    files = fake.files(REPO)
    assert done.commit == fake.head(REPO)
    assert sorted(files) == sorted([*done.changed, "CONTRIBUTING.md"])
    assert files["rfcs/0001-adopt-a-dataset-licence.md"].startswith("# RFC-0001: Adopt")
    latest, initial = fake.commits(REPO)
    assert latest.message.splitlines()[-1].startswith("Ledger head:")
    assert latest.parents == (initial.sha,)

    fake.clear_log()
    again = publish_now(built.store, pub, built.now + H)
    assert again.commit is None and len(fake.commits(REPO)) == 2
    assert [e.method for e in fake.log] == ["GET", "GET", "GET"]


# --- an empty repository -----------------------------------------------------------------------


def test_an_empty_repository_snapshots_as_no_head(fake: FakeGitHub) -> None:
    fake.create_repo(REPO)
    assert publisher(fake).snapshot() == RemoteTree(None, {})
    assert [e.status for e in fake.log] == [409]


@pytest.mark.parametrize("n", [3, 300])
def test_the_first_publication_into_an_empty_repository(fake: FakeGitHub, n: int) -> None:
    fake.create_repo(REPO)
    pub = publisher(fake)
    base = pub.snapshot()
    fake.clear_log()
    changes: dict[str, str | None] = {f"groups/g{i:03d}/README.md": f"# G{i}\n" for i in range(n)}
    sha = pub.commit(base, changes, "First publication", when=WHEN)

    assert fake.head(REPO) == sha
    assert fake.files(REPO) == changes
    assert requests_made(fake) == [
        "PUT PUT /repos/{owner}/{repo}/contents/{path}",
        "POST POST /repos/{owner}/{repo}/git/trees",
        "POST POST /repos/{owner}/{repo}/git/commits",
        "PATCH PATCH /repos/{owner}/{repo}/git/refs/{ref}",
    ]
    history = fake.commits(REPO)
    assert [c.message for c in history] == ["First publication", "First publication"]
    assert {c.author.when for c in history} == {WHEN}
    assert shape_problems(fake.log) == []


def test_one_file_into_an_empty_repository_is_one_request(fake: FakeGitHub) -> None:
    fake.create_repo(REPO)
    pub = publisher(fake)
    sha = pub.commit(pub.snapshot(), {"README.md": "# Hello\n"}, "First", when=WHEN)
    assert fake.files(REPO) == {"README.md": "# Hello\n"}
    assert [c.sha for c in fake.commits(REPO)] == [sha]
    assert [e.method for e in fake.log] == ["GET", "PUT"]


def test_an_empty_repository_filled_meanwhile_raises_ref_moved(fake: FakeGitHub) -> None:
    fake.create_repo(REPO)
    pub = publisher(fake)
    base = pub.snapshot()
    fake.push(REPO, {"README.md": "# Theirs\n"}, message="Their first commit")
    with pytest.raises(RefMoved):
        pub.commit(base, {"README.md": "# Ours\n", "rfcs/README.md": "# RFCs\n"}, "P", when=WHEN)
    assert fake.files(REPO) == {"README.md": "# Theirs\n"}

    fresh = pub.snapshot()
    pub.commit(fresh, {"README.md": "# Ours\n", "rfcs/README.md": "# RFCs\n"}, "P", when=WHEN)
    assert fake.files(REPO) == {"README.md": "# Ours\n", "rfcs/README.md": "# RFCs\n"}
    assert [c.message for c in fake.commits(REPO)] == ["P", "Their first commit"]


# --- failures ----------------------------------------------------------------------------------


def test_a_server_error_is_a_publish_error_and_nothing_moves(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake)
    base = pub.snapshot()
    fake.fail_next(status=502, method="POST", path="/repos/org/docs/git/trees")
    with pytest.raises(PublishError) as caught:
        pub.commit(base, {"README.md": "new\n"}, "Publish", when=WHEN)
    assert type(caught.value) is PublishError
    assert caught.value.retry_after is None
    assert "502" in str(caught.value)
    assert fake.head(docs) == base.head

    pub.commit(base, {"README.md": "new\n"}, "Publish", when=WHEN)
    assert fake.files(docs)["README.md"] == "new\n"


def test_a_primary_rate_limit_waits_until_the_reset(fake: FakeGitHub, docs: str) -> None:
    fake.rate_limit_next("primary", reset_in=120)
    with pytest.raises(PublishError) as caught:
        publisher(fake).snapshot()
    assert caught.value.retry_after is not None
    assert 118 <= caught.value.retry_after <= 123


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_waits_as_asked(fake: FakeGitHub, docs: str, status: int) -> None:
    pub = publisher(fake)
    base = pub.snapshot()
    fake.rate_limit_next("secondary", status=status, retry_after=42, method="POST")
    with pytest.raises(PublishError) as caught:
        pub.commit(base, {"README.md": "new\n"}, "Publish", when=WHEN)
    assert caught.value.retry_after == 42
    assert fake.head(docs) == base.head


def test_a_secondary_rate_limit_without_retry_after_waits_a_minute(
    fake: FakeGitHub, docs: str
) -> None:
    fake.rate_limit_next("secondary", retry_after=None)
    with pytest.raises(PublishError) as caught:
        publisher(fake).snapshot()
    assert caught.value.retry_after == 60


def test_bad_credentials_name_the_token(fake: FakeGitHub, docs: str) -> None:
    with pytest.raises(PublishError) as caught:
        publisher(fake, token="ghp_not-a-real-token").snapshot()
    message = str(caught.value)
    assert "401" in message and "token" in message
    assert caught.value.retry_after is None


def test_a_read_only_token_is_told_which_permission_to_grant(fake: FakeGitHub, docs: str) -> None:
    pub = publisher(fake, token=fake.issue_token("reader", write=False))
    base = pub.snapshot()
    with pytest.raises(PublishError) as caught:
        pub.commit(base, {"README.md": "new\n"}, "Publish", when=WHEN)
    assert "403" in str(caught.value) and "Contents: read and write" in str(caught.value)


def test_an_unknown_repository_is_named(fake: FakeGitHub, docs: str) -> None:
    token = fake.issue_token("govbot", repos=["org/other"])
    for repo in ("org/missing", REPO):
        with pytest.raises(PublishError) as caught:
            publisher(fake, repo, token=token).snapshot()
        assert "404" in str(caught.value) and repo in str(caught.value)


def test_an_unreachable_server_is_a_publish_error() -> None:
    with FakeGitHub() as gone:
        url = gone.api_url
    pub = GitHubPublisher(github_client(base_url=url, token="ghp_x", timeout=2), REPO)
    with pytest.raises(PublishError) as caught:
        pub.snapshot()
    assert "did not answer" in str(caught.value)


# --- GitHub App authentication -----------------------------------------------------------------


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return rsa_key()


def app_publisher(fake: FakeGitHub, app_key: tuple[str, str]) -> tuple[GitHubPublisher, int]:
    private, public = app_key
    app_id = fake.register_app(public)
    installation = fake.install_app(app_id, [REPO])
    client = github_client(
        base_url=fake.api_url, app_id=app_id, private_key=private, installation_id=installation
    )
    return GitHubPublisher(client, REPO), installation


def test_a_github_app_installation_publishes(
    fake: FakeGitHub, docs: str, app_key: tuple[str, str]
) -> None:
    pub, installation = app_publisher(fake, app_key)
    pub.commit(pub.snapshot(), {"README.md": "by the app\n"}, "Publish", when=WHEN)
    assert fake.files(docs)["README.md"] == "by the app\n"
    token_requests = [e for e in fake.log if e.path.endswith("/access_tokens")]
    assert len(token_requests) == 1 and token_requests[0].credential.startswith("app:")
    assert {e.credential for e in fake.log if e not in token_requests} == {
        f"installation:{installation}"
    }
    assert shape_problems(fake.log) == []


def test_installation_tokens_are_replaced_before_they_expire(
    fake: FakeGitHub, docs: str, app_key: tuple[str, str]
) -> None:
    """PyGithub asks for a new token once the cached one is within 20 s of expiring."""
    fake.installation_token_lifetime = 21.5  # PyGithub replaces it 0.5 to 1.5 s from now
    pub, _ = app_publisher(fake, app_key)
    pub.snapshot()
    granted = next(e for e in fake.log if e.path.endswith("/access_tokens"))
    expires = datetime.fromisoformat(granted.response["expires_at"]).timestamp()
    time.sleep(max(expires - 20 - time.time(), 0) + 0.05)

    pub.snapshot()
    grants = [e for e in fake.log if e.path.endswith("/access_tokens")]
    used = [e.token for e in fake.log if e.credential.startswith("installation:")]
    assert len(grants) == 2
    assert [g.response["token"] for g in grants] == sorted(set(used), key=used.index)
    assert time.time() < expires, "the first token was replaced while still valid"
    assert all(e.status < 400 for e in fake.log)


def test_a_wrong_app_key_is_reported_as_bad_credentials(
    fake: FakeGitHub, docs: str, app_key: tuple[str, str]
) -> None:
    other_private, _ = rsa_key()
    app_id = fake.register_app(app_key[1])
    installation = fake.install_app(app_id, [REPO])
    client = github_client(
        base_url=fake.api_url,
        app_id=app_id,
        private_key=other_private,
        installation_id=installation,
    )
    with pytest.raises(PublishError) as caught:
        GitHubPublisher(client, REPO).snapshot()
    assert "401" in str(caught.value) and "private key" in str(caught.value)


# --- settings ----------------------------------------------------------------------------------


def test_credentials_need_exactly_one_complete_way_of_signing_in(
    app_key: tuple[str, str],
) -> None:
    private, _ = app_key
    with pytest.raises(GitHubAuthError, match="no GitHub credentials"):
        credentials()
    with pytest.raises(GitHubAuthError, match="keep one"):
        credentials(token="ghp_x", app_id=1)
    with pytest.raises(GitHubAuthError, match="set the app private key and app installation id"):
        credentials(app_id=1)
    with pytest.raises(GitHubAuthError, match="not an unencrypted PEM private key"):
        credentials(app_id=1, private_key="not a key", installation_id=2)
    with pytest.raises(GitHubAuthError, match="must be a number"):
        credentials(app_id=1, private_key=private, installation_id="abc")
    one_line = private.strip().replace("\n", "\\n")
    auth = credentials(app_id="1", private_key=one_line, installation_id="2")
    assert isinstance(auth, Auth.AppInstallationAuth)
    assert (auth.app_id, auth.installation_id) == ("1", 2)
    assert isinstance(credentials(token="ghp_x"), Auth.Token)
