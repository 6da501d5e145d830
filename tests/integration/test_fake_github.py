"""The fake GitHub itself: driven through unmodified PyGithub, it must answer as GitHub does.

Every logged answer is checked against the response schemas of GitHub's published OpenAPI
description (``tests/fakes/openapi``); the strict refusals, the injected faults and the App
tokens are checked one by one.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import github
import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, GithubException, GithubIntegration, InputGitAuthor, InputGitTreeElement

from governance.publish import blob_sha
from tests.fakes.github import SUBSET, FakeGitHub, Refusal, operations, shape_problems

REPO = "org/docs"
FILES = {"README.md": "# Docs\n", "groups/core/README.md": "# Core\n", "rfcs/README.md": "RFCs\n"}
DATE = "2027-01-04T10:00:00Z"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def client(fake: FakeGitHub, token: str | None = None, base_url: str | None = None) -> Any:
    auth = Auth.Token(token) if token else None
    return github.Github(
        auth=auth,
        base_url=base_url or fake.api_url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def app(fake: FakeGitHub, auth: Auth.AppAuth) -> GithubIntegration:
    return GithubIntegration(
        auth=auth,
        base_url=fake.api_url,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


@pytest.fixture
def repo(fake: FakeGitHub) -> Any:
    fake.create_repo(REPO, FILES)
    return client(fake, fake.issue_token("ada")).get_repo(REPO)


@pytest.fixture(scope="module")
def key() -> tuple[str, str]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def refused(call: Any) -> GithubException:
    with pytest.raises(GithubException) as caught:
        call()
    return caught.value


def author() -> InputGitAuthor:
    return InputGitAuthor("Ada Example", "ada@example.org", DATE)


# --- git objects -------------------------------------------------------------------------------


def test_blob_hashes_match_the_local_computation(fake: FakeGitHub, repo: Any) -> None:
    tree = repo.get_git_tree(repo.get_git_commit(fake.head(REPO)).tree.sha, recursive=True)
    blobs = {e.path: e.sha for e in tree.tree if e.type == "blob"}
    assert blobs == {path: blob_sha(text) for path, text in FILES.items()}
    assert [e.path for e in tree.tree] == [
        "README.md",
        "groups",
        "groups/core",
        "groups/core/README.md",
        "rfcs",
        "rfcs/README.md",
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")
def test_trees_and_commits_hash_as_git_does(fake: FakeGitHub, repo: Any, tmp_path: Path) -> None:
    files = {
        "a.md": "a\n",
        "a-b.md": "dash sorts before the slash git adds to a subtree\n",
        "a/z.md": "nested\n",
        "a0.md": "zero sorts after the slash\n",
        "deep/er/still.md": "deep\n",
    }
    elements = [InputGitTreeElement(p, "100644", "blob", content=t) for p, t in files.items()]
    tree = repo.create_git_tree(elements)
    commit = repo.create_git_commit("Hashes\n", tree, [], author=author(), committer=author())

    work = tmp_path / "work"
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    env = {
        "GIT_AUTHOR_NAME": "Ada Example",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2027-01-04T10:00:00+0000",
        "GIT_COMMITTER_NAME": "Ada Example",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_COMMITTER_DATE": "2027-01-04T10:00:00+0000",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=work, env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    assert git("write-tree") == tree.sha
    assert git("commit-tree", tree.sha, "-m", "Hashes") == commit.sha


def test_ref_updates_must_fast_forward(fake: FakeGitHub, repo: Any) -> None:
    ref = repo.get_git_ref("heads/main")
    base = repo.get_git_commit(ref.object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement("new.md", "100644", "blob", content="x")], base_tree=base.tree
    )
    ours = repo.create_git_commit("ours", tree, [base], author=author())
    theirs = fake.push(REPO, {"other.md": "y"})

    error = refused(lambda: ref.edit(ours.sha, force=False))
    assert (error.status, error.data["message"]) == (422, "Update is not a fast forward")
    assert fake.head(REPO) == theirs

    ref.edit(ours.sha, force=True)
    assert fake.head(REPO) == ours.sha
    assert fake.files(REPO)["new.md"] == "x" and "other.md" not in fake.files(REPO)

    child = repo.create_git_commit("child", tree, [ours], author=author())
    ref.edit(child.sha)
    assert fake.head(REPO) == child.sha


def test_tree_edits_delete_nest_and_refuse_bad_input(fake: FakeGitHub, repo: Any) -> None:
    base = repo.get_git_commit(fake.head(REPO)).tree

    def tree(*elements: InputGitTreeElement, base_tree: Any = base) -> Any:
        return repo.create_git_tree(list(elements), base_tree=base_tree)

    edited = tree(
        InputGitTreeElement("groups/core/README.md", "100644", "blob", sha=None),
        InputGitTreeElement("groups/docs/meetings/2027-01-04-1.md", "100644", "blob", content="m"),
    )
    listed = repo.get_git_tree(edited.sha, recursive=True)
    assert [e.path for e in listed.tree if e.type == "blob"] == [
        "README.md",
        "groups/docs/meetings/2027-01-04-1.md",
        "rfcs/README.md",
    ]

    def message(*elements: InputGitTreeElement, base_tree: Any = base) -> tuple[int, str]:
        error = refused(lambda: tree(*elements, base_tree=base_tree))
        return error.status, error.data["message"]

    assert message(InputGitTreeElement("absent.md", "100644", "blob", sha=None)) == (
        422,
        "GitRPC::BadObjectState",
    )
    assert message(InputGitTreeElement("x.md", "100644", "blob", sha="0" * 40)) == (
        422,
        f"tree.sha {'0' * 40} is not a valid blob",
    )
    both = InputGitTreeElement("x.md", "100644", "blob", content="x", sha=blob_sha("x"))
    assert message(both)[1].startswith("Must supply either tree.sha or tree.content")
    neither = InputGitTreeElement("x.md", "100644", "blob")
    assert message(neither)[1].startswith("Must supply either tree.sha or tree.content")
    assert message(InputGitTreeElement("../x.md", "100644", "blob", content="x"))[0] == 422
    assert message(InputGitTreeElement("README.md/x", "100644", "blob", content="x"))[0] == 422
    assert message(InputGitTreeElement("x.md", "100600", "blob", content="x"))[0] == 422
    fake_tree = github.GitTree.GitTree(repo.requester, {}, {"sha": "1" * 40}, completed=True)
    not_a_tree = InputGitTreeElement("x.md", "100644", "blob", content="x")
    assert message(not_a_tree, base_tree=fake_tree) == (422, "base_tree is not a valid tree oid")


def test_commits_need_a_known_tree_and_parents(fake: FakeGitHub, repo: Any) -> None:
    head = repo.get_git_commit(fake.head(REPO))
    stray = github.GitTree.GitTree(repo.requester, {}, {"sha": "2" * 40}, completed=True)
    assert refused(lambda: repo.create_git_commit("m", stray, [head])).data["message"] == (
        "Tree SHA does not exist"
    )
    ghost = github.GitCommit.GitCommit(repo.requester, {}, {"sha": "3" * 40}, completed=True)
    error = refused(lambda: repo.create_git_commit("m", head.tree, [ghost]))
    assert error.data["message"] == "Parent SHA does not exist or is not a commit object"
    assert refused(lambda: repo.get_git_commit("4" * 40)).status == 404


def test_blobs_round_trip_in_both_encodings(fake: FakeGitHub, repo: Any) -> None:
    text = "café ☕\n" * 30
    made = repo.create_git_blob(text, "utf-8")
    assert made.sha == blob_sha(text)
    again = repo.create_git_blob("Y2Fmw6kK", "base64")
    assert again.sha == blob_sha("café\n")
    fetched = repo.get_git_blob(made.sha)
    assert fetched.encoding == "base64" and fetched.size == len(text.encode())
    assert base64.b64decode(fetched.content).decode() == text
    assert refused(lambda: repo.create_git_blob("x", "latin-1")).status == 422


def test_an_empty_repository_refuses_git_data_until_the_contents_api_commits(
    fake: FakeGitHub,
) -> None:
    fake.create_repo("org/empty")
    repo = client(fake, fake.issue_token("ada")).get_repo("org/empty")
    assert repo.default_branch == "main"
    for call in (
        lambda: repo.get_git_ref("heads/main"),
        lambda: repo.create_git_blob("x", "utf-8"),
        lambda: repo.create_git_tree([InputGitTreeElement("a", "100644", "blob", content="a")]),
        lambda: repo.get_git_tree("main"),
        lambda: repo.create_git_ref("refs/heads/x", "5" * 40),
    ):
        error = refused(call)
        assert (error.status, error.data["message"]) == (409, "Git Repository is empty.")

    created = repo.create_file("docs/README.md", "First", "# Hi\n", author=author())
    assert fake.files("org/empty") == {"docs/README.md": "# Hi\n"}
    assert created["content"].sha == blob_sha("# Hi\n")
    assert repo.get_git_ref("heads/main").object.sha == created["commit"].sha
    assert fake.commits("org/empty")[0].parents == ()

    error = refused(lambda: repo.create_file("docs/README.md", "Again", "x"))
    assert error.status == 422
    stale = refused(lambda: repo.update_file("docs/README.md", "Again", "x", sha=blob_sha("no")))
    assert stale.status == 409
    repo.update_file("docs/README.md", "Again", "# Hi again\n", sha=blob_sha("# Hi\n"))
    assert fake.files("org/empty") == {"docs/README.md": "# Hi again\n"}


def test_refs_list_create_and_delete(fake: FakeGitHub, repo: Any) -> None:
    head = fake.head(REPO)
    repo.create_git_ref("refs/heads/drafts", head)
    assert refused(lambda: repo.create_git_ref("refs/heads/drafts", head)).status == 422
    assert refused(lambda: repo.create_git_ref("refs/heads/x", "6" * 40)).status == 422
    assert [r.ref for r in repo.get_git_refs()] == ["refs/heads/drafts", "refs/heads/main"]
    assert [r.ref for r in repo.get_git_matching_refs("heads/d")] == ["refs/heads/drafts"]
    _, legacy = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/git/refs/heads/main")
    assert legacy["object"]["sha"] == head
    repo.get_git_ref("heads/drafts").delete()
    assert refused(lambda: repo.get_git_ref("heads/drafts")).status == 404


# --- issues, labels, comments, reactions -------------------------------------------------------


def test_issues_labels_comments_and_reactions(fake: FakeGitHub, repo: Any) -> None:
    rfc = repo.create_label("rfc", "0e8a16", "A proposal")
    assert refused(lambda: repo.create_label("RFC", "000000")).data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    assert refused(lambda: repo.create_label("bad", "not-a-color")).status == 422
    issue = repo.create_issue("RFC-0001: Caption provenance", body="Text", labels=["rfc"])
    other = repo.create_issue("Unrelated")
    assert refused(lambda: repo.create_issue("")).status == 422

    issue.add_to_labels("vote/open", "wg/datasets")
    assert [label.name for label in issue.get_labels()] == ["rfc", "vote/open", "wg/datasets"]
    assert repo.get_label("vote/open").color == "ededed"
    issue.remove_from_labels("vote/open")
    assert refused(lambda: issue.remove_from_labels("vote/open")).data["message"] == (
        "Label does not exist"
    )
    assert [i.number for i in repo.get_issues(labels=[rfc])] == [issue.number]
    assert [i.number for i in repo.get_issues()] == [other.number, issue.number]

    comment = issue.create_comment("Vote open until Monday.")
    comment.edit("Vote open until Tuesday.")
    assert [c.body for c in issue.get_comments()] == ["Vote open until Tuesday."]
    assert repo.get_issue(issue.number).comments == 1
    assert comment.create_reaction("+1").content == "+1"
    issue.create_reaction("rocket")
    issue.create_reaction("rocket")
    assert refused(lambda: issue.create_reaction("thumbsup")).status == 422
    reactions = repo.get_issue(issue.number).raw_data["reactions"]
    assert (reactions["rocket"], reactions["total_count"]) == (1, 1)
    statuses = [e.status for e in fake.log if e.path.endswith("/reactions")]
    assert statuses == [201, 201, 200, 422]

    issue.edit(state="closed")
    assert repo.get_issue(issue.number).state == "closed"
    assert [i.number for i in repo.get_issues(state="closed")] == [issue.number]
    issue.edit(state="open", labels=["wg/datasets"])
    assert [label.name for label in repo.get_issue(issue.number).labels] == ["wg/datasets"]
    assert refused(lambda: issue.edit(state="merged")).status == 422
    assert refused(lambda: repo.get_issue(999)).status == 404


def test_lists_are_paginated_with_link_headers(fake: FakeGitHub, repo: Any) -> None:
    for i in range(35):
        repo.create_label(f"wg/group-{i:02d}", "ededed")
    fake.clear_log()
    assert len(list(repo.get_labels())) == 35
    pages = [e for e in fake.log if e.path == "/repos/org/docs/labels"]
    assert [e.query.get("page") for e in pages] == [None, "2"]
    assert 'rel="next"' in pages[0].headers["Link"]
    assert pages[0].headers["Link"].startswith(f"<{fake.api_url}/repos/org/docs/labels?")


# --- who acts: GET /user, the App's bot account, people through the test helpers -------------


def installation_client(fake: FakeGitHub, key: tuple[str, str], repos: list[str]) -> Any:
    """PyGithub on an installation token of the App ``govbot`` installed on ``repos``."""
    private, public = key
    app_id = fake.register_app(public)
    installation = fake.install_app(app_id, repos)
    token = app(fake, Auth.AppAuth(app_id, private)).get_access_token(installation).token
    return client(fake, token)


def test_get_user_names_the_token_owner_only_for_personal_tokens(
    fake: FakeGitHub, key: tuple[str, str]
) -> None:
    fake.create_repo(REPO, FILES)
    me = client(fake, fake.issue_token("ada")).get_user()
    assert (me.login, me.type, me.id) == ("ada", "User", fake.user("ada").id)
    assert fake.log[-1].path == "/user" and fake.log[-1].status == 200

    bot = installation_client(fake, key, [REPO])
    denied = refused(lambda: bot.get_user().login)
    assert (denied.status, denied.data["message"]) == (
        403,
        "Resource not accessible by integration",
    )
    anonymous = refused(lambda: client(fake).get_user().login)
    assert (anonymous.status, anonymous.data["message"]) == (401, "Requires authentication")
    assert shape_problems(fake.log) == []


def test_an_installation_acts_as_its_apps_bot_account(
    fake: FakeGitHub, key: tuple[str, str]
) -> None:
    fake.create_repo(REPO, FILES)
    repo = installation_client(fake, key, [REPO]).get_repo(REPO)
    repo.create_label("vote/open", "0e8a16", "A vote is open")
    issue = repo.create_issue("RFC-0002", body="Text", labels=["rfc"])
    comment = issue.create_comment("Vote open.")
    issue.add_to_labels("vote/open")
    issue.edit(state="closed", state_reason="completed")

    assert (issue.user.login, issue.user.type) == ("govbot[bot]", "Bot")
    assert (comment.user.login, comment.user.type) == ("govbot[bot]", "Bot")
    assert issue.raw_data["performed_via_github_app"]["slug"] == "govbot"
    assert comment.raw_data["performed_via_github_app"]["slug"] == "govbot"
    events = list(issue.get_events())
    assert [(e.event, e.actor.login, e.actor.type) for e in events] == [
        ("labeled", "govbot[bot]", "Bot"),
        ("labeled", "govbot[bot]", "Bot"),
        ("closed", "govbot[bot]", "Bot"),
    ]
    assert {e.raw_data["performed_via_github_app"]["slug"] for e in events} == {"govbot"}
    assert all(e.via_app for e in fake.events(REPO, issue.number))
    assert fake.issue(REPO, issue.number).author == "govbot[bot]"
    assert fake.user("govbot[bot]").type == "Bot"

    person = client(fake, fake.issue_token("ada")).get_repo(REPO).get_issue(issue.number)
    person.create_comment("Thanks")
    assert person.get_comments()[1].raw_data["performed_via_github_app"] is None
    assert shape_problems(fake.log) == []


def test_label_and_state_changes_are_issue_events(fake: FakeGitHub, repo: Any) -> None:
    repo.create_label("rfc", "0e8a16", "A proposal")
    issue = repo.create_issue("RFC-0003", labels=["rfc", "wg/data"])
    issue.add_to_labels("rfc", "vote/open")
    issue.remove_from_labels("wg/data")
    issue.set_labels("vote/open", "vote/closed")
    issue.edit(state="closed", state_reason="not_planned")
    issue.edit(state="closed", state_reason="completed")
    issue.edit(state="open")
    issue.edit(labels=["vote/closed"])

    listed = [
        (e.event, e.actor.login, e.label.name if e.event.endswith("labeled") else None)
        for e in issue.get_events()
    ]
    assert listed == [
        ("labeled", "ada", "rfc"),
        ("labeled", "ada", "wg/data"),
        ("labeled", "ada", "vote/open"),
        ("unlabeled", "ada", "wg/data"),
        ("unlabeled", "ada", "rfc"),
        ("labeled", "ada", "vote/closed"),
        ("closed", "ada", None),
        ("reopened", "ada", None),
        ("unlabeled", "ada", "vote/open"),
    ]
    events = fake.events(REPO, issue.number)
    assert [e.color for e in events[:2]] == ["0e8a16", "ededed"]
    assert [(e.event, e.state_reason) for e in events if e.label is None] == [
        ("closed", "not_planned"),
        ("reopened", "reopened"),
    ]
    assert events == sorted(events, key=lambda e: (e.created_at, e.id))
    assert fake.issue(REPO, issue.number).labels == ["vote/closed"]
    assert [i.number for i in repo.get_issues(state="open", labels=["vote/closed"])] == [
        issue.number
    ]
    assert repo.get_issues(state="open", labels=["vote/open"]).totalCount == 0
    assert refused(lambda: issue.edit(state="closed", state_reason="because")).status == 422
    assert fake.issue(REPO, issue.number).state == "open"
    assert refused(lambda: repo.get_issue(404).get_events().totalCount).status == 404


def test_each_event_has_the_shape_of_its_own_kind(fake: FakeGitHub, repo: Any) -> None:
    """The list's schema is a loose anyOf; each kind is held to its own schema here.

    GitHub describes no list schema for closed/reopened events (``state-change-issue-event``
    is the timeline's), so those are held to the single-event schema ``issue-event``.
    """
    issue = repo.create_issue("Shapes", labels=["rfc"])
    issue.remove_from_labels("rfc")
    issue.edit(state="closed")
    issue.edit(state="open")
    assert len(list(issue.get_events())) == 4
    listed = fake.log[-1].response
    schemas = json.loads(SUBSET.read_text())["components"]
    kinds = {
        "labeled": "labeled-issue-event",
        "unlabeled": "unlabeled-issue-event",
        "closed": "issue-event",
        "reopened": "issue-event",
    }
    for event in listed:
        schema = {"$ref": f"#/components/schemas/{kinds[event['event']]}", "components": schemas}
        assert list(jsonschema.Draft4Validator(schema).iter_errors(event)) == [], event
    assert [e["event"] for e in listed] == ["labeled", "unlabeled", "closed", "reopened"]
    assert listed[0]["label"] == {"name": "rfc", "color": "ededed"}
    assert listed[2]["state_reason"] == "completed"
    assert "label" not in listed[2] and "issue" not in listed[2]


def test_comments_since_keeps_those_updated_at_or_after_it(fake: FakeGitHub, repo: Any) -> None:
    issue = repo.create_issue("Comments")
    first = issue.create_comment("first")
    fake.advance(60)
    second = issue.create_comment("second")
    fake.advance(60)
    third = issue.create_comment("third")

    def since(moment: datetime) -> list[int]:
        return [c.id for c in issue.get_comments(since=moment)]

    assert since(second.updated_at) == [second.id, third.id]
    assert since(second.updated_at + timedelta(seconds=1)) == [third.id]
    assert since(third.updated_at + timedelta(seconds=1)) == []
    assert since(first.updated_at - timedelta(days=1)) == [first.id, second.id, third.id]
    assert fake.log[-1].query["since"] == (
        (first.updated_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    fake.advance(60)
    first.edit("first, edited")
    assert since(third.updated_at + timedelta(seconds=1)) == [first.id]
    url = f"{issue.url}/comments"
    for bad in ("yesterday", "2027-01-04T10:00:00"):
        error = refused(
            lambda bad=bad: issue.requester.requestJsonAndCheck("GET", url, {"since": bad})
        )
        assert error.status == 422


def test_helpers_act_as_people_and_leave_what_the_routes_leave(fake: FakeGitHub) -> None:
    """The same actions by the same person, once through the API and once through the helpers."""
    fake.create_repo(REPO, FILES)
    repo = client(fake, fake.issue_token("ada")).get_repo(REPO)
    by_api = repo.create_issue("Twin", "Body", labels=["rfc"])
    by_api.add_to_labels("vote/open")
    by_api.remove_from_labels("rfc")
    by_api.edit(state="closed", state_reason="not_planned")
    by_api.edit(state="open")
    comment = by_api.create_comment("hello")
    comment.create_reaction("+1")

    number = fake.open_issue(REPO, "Twin", "Body", by="ada", labels=["rfc"])
    fake.label_issue(REPO, number, "vote/open", by="ada")
    fake.unlabel_issue(REPO, number, "rfc", by="ada")
    fake.close_issue(REPO, number, by="ada", reason="not_planned")
    fake.reopen_issue(REPO, number, by="ada")
    comment_id = fake.comment_issue(REPO, number, "hello", by="ada")
    fake.react_comment(REPO, comment_id, "+1", by="ada")

    def summary(n: int) -> list[tuple[Any, ...]]:
        return [
            (e.event, e.actor, e.label, e.color, e.state_reason, e.via_app)
            for e in fake.events(REPO, n)
        ]

    assert summary(number) == summary(by_api.number)
    assert len(summary(number)) == 5
    ours, theirs = fake.issue(REPO, number), fake.issue(REPO, by_api.number)
    assert {**vars(ours), "number": 0, "comment_ids": []} == {
        **vars(theirs),
        "number": 0,
        "comment_ids": [],
    }
    assert ours.comments == [("ada", "hello")]
    assert ours.reactions_on(comment_id) == [("ada", "+1")]
    api_events = [(e.event, e.actor.login) for e in repo.get_issue(number).get_events()]
    assert api_events == [(e[0], e[1]) for e in summary(number)]
    assert [c.id for c in repo.get_issue(number).get_comments()] == [comment_id]


def test_helpers_refuse_what_github_refuses_and_create_what_is_missing(fake: FakeGitHub) -> None:
    fake.create_repo(REPO, FILES)
    number = fake.open_issue(REPO, "Proposal", None, by="grace")
    assert fake.user("grace").type == "User"
    fake.label_issue(REPO, number, "wg/new", by="grace")
    fake.label_issue(REPO, number, "WG/NEW", by="grace")
    assert fake.labels(REPO) == {"wg/new": ("ededed", None)}
    assert [e.event for e in fake.events(REPO, number)] == ["labeled"]
    with pytest.raises(Refusal) as missing:
        fake.unlabel_issue(REPO, number, "vote/open", by="grace")
    assert (missing.value.status, missing.value.message) == (404, "Label does not exist")
    with pytest.raises(Refusal) as nowhere:
        fake.comment_issue(REPO, number + 1, "hi", by="grace")
    assert nowhere.value.status == 404
    with pytest.raises(Refusal):
        fake.comment_issue(REPO, number, "", by="grace")
    with pytest.raises(Refusal):
        fake.close_issue(REPO, number, by="grace", reason="bored")
    assert fake.issue(REPO, number).state == "open"
    fake.comment_issue(REPO, number, "from a bot", by="other[bot]")
    assert fake.user("other[bot]").type == "Bot"
    assert fake.issue(REPO, number).comments == [("other[bot]", "from a bot")]


def test_labels_are_strict_as_on_github(fake: FakeGitHub, repo: Any) -> None:
    repo.create_label("rfc", "0E8A16", "A proposal")
    assert fake.labels(REPO) == {"rfc": ("0e8a16", "A proposal")}
    assert repo.get_label("RFC").name == "rfc"
    assert refused(lambda: repo.get_label("absent")).status == 404
    assert refused(lambda: repo.create_label("long", "ededed", "x" * 101)).status == 422
    issue = repo.create_issue("Labels")
    assert refused(lambda: issue.add_to_labels("")).status == 422
    assert [e.event for e in issue.get_events()] == []
    assert fake.issue(REPO, issue.number).labels == []


# --- the answers' shapes and URLs --------------------------------------------------------------


def test_every_served_operation_is_in_the_extracted_subset() -> None:
    subset = json.loads(SUBSET.read_text())
    assert set(operations()) <= set(subset["operations"]), "re-run tests/fakes/openapi/extract.py"
    assert subset["source"]["package"] == "@octokit/openapi"


def test_answers_match_githubs_openapi_description(fake: FakeGitHub, key: tuple[str, str]) -> None:
    """One session touching every operation the fake serves, successes and refusals alike."""
    private, public = key
    app_id = fake.register_app(public)
    installation = fake.install_app(app_id, [REPO])
    fake.create_repo("org/empty")
    fake.create_repo(REPO, FILES)
    gh = client(fake, fake.issue_token("ada"))
    repo = gh.get_repo(REPO)
    ref = repo.get_git_ref("heads/main")
    head = repo.get_git_commit(ref.object.sha)
    repo.get_git_tree(head.tree.sha, recursive=True)
    blob = repo.create_git_blob("blob\n", "utf-8")
    repo.get_git_blob(blob.sha)
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("b.md", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("rfcs/README.md", "100644", "blob", sha=None),
        ],
        base_tree=head.tree,
    )
    commit = repo.create_git_commit("m", tree, [head], author=author(), committer=author())
    ref.edit(commit.sha, force=False)
    repo.create_git_ref("refs/heads/x", commit.sha).delete()
    list(repo.get_git_refs())
    list(repo.get_git_matching_refs("heads/"))
    repo.requester.requestJsonAndCheck("GET", f"{repo.url}/git/refs/heads/main")
    repo.create_file("new/file.md", "Add", "text\n", author=author())
    repo.update_file("new/file.md", "Edit", "text 2\n", blob_sha("text\n"))
    repo.create_label("rfc", "0e8a16", "A proposal")
    repo.get_label("rfc")
    list(repo.get_labels())
    issue = repo.create_issue("RFC-0001", body="b", labels=["rfc"])
    repo.get_issue(issue.number)
    list(repo.get_issues(state="all"))
    issue.edit(state="closed")
    issue.add_to_labels("vote/open")
    issue.set_labels("rfc", "vote/open")
    list(issue.get_labels())
    issue.remove_from_labels("vote/open")
    comment = issue.create_comment("hello")
    repo.get_issue(issue.number).get_comment(comment.id).edit("hello again")
    list(issue.get_comments())
    issue.create_reaction("heart")
    comment.create_reaction("eyes")
    assert [e.event for e in issue.get_events()] == ["labeled", "closed", "labeled", "unlabeled"]
    assert gh.get_user().login == "ada"
    integration = app(fake, Auth.AppAuth(app_id, private))
    integration.get_app()
    assert integration.get_repo_installation("org", "docs").id == installation
    as_bot = client(fake, integration.get_access_token(installation).token)
    bot_issue = as_bot.get_repo(REPO).get_issue(issue.number)
    bot_issue.edit(state="open")
    bot_issue.create_comment("by the bot")
    assert bot_issue.get_events()[0].raw_data["issue"]["number"] == issue.number
    list(bot_issue.get_comments(since=datetime.now(UTC) - timedelta(minutes=1)))
    for call in (
        lambda: ref.edit(head.sha, force=False),
        lambda: repo.create_git_tree([InputGitTreeElement("z", "100644", "blob", sha=None)]),
        lambda: repo.get_git_commit("7" * 40),
        lambda: repo.create_label("rfc", "000000"),
        lambda: issue.remove_from_labels("absent"),
        lambda: gh.get_repo("org/empty").get_git_ref("heads/main"),
        lambda: gh.get_repo("org/missing").get_git_ref("heads/main"),
        lambda: client(fake, "ghp_wrong").get_repo(REPO).get_git_ref("heads/main"),
        lambda: client(fake, fake.issue_token("r", write=False)).get_repo(REPO).create_issue("t"),
        lambda: integration.get_repo_installation("org", "empty"),
        lambda: as_bot.get_user().login,
        lambda: client(fake).get_user().login,
        lambda: issue.edit(state="closed", state_reason="because"),
    ):
        refused(call)
    fake.fail_next(path="/repos/org/docs/issues")
    fake.rate_limit_next("primary", path="/repos/org/docs/labels")
    fake.rate_limit_next("secondary", status=429, path="/repos/org/docs/git")
    for call in (
        lambda: repo.get_issue(1),
        lambda: repo.get_label("rfc"),
        lambda: repo.get_git_commit(head.sha),
    ):
        refused(call)

    served = {e.operation for e in fake.log}
    assert set(operations()) <= served, "every operation is exercised, so every shape is checked"
    assert {e.status for e in fake.log} >= {200, 201, 204, 401, 403, 404, 409, 422, 429, 502}
    assert shape_problems(fake.log) == []


def test_shape_check_catches_a_wrong_answer(fake: FakeGitHub, repo: Any) -> None:
    repo.get_git_ref("heads/main")
    good = fake.log[-1]
    assert shape_problems([good]) == []
    bad = type(good)(**{**good.__dict__, "response": {**good.response, "object": "oops"}})
    assert any("object" in p for p in shape_problems([bad]))
    missing = type(good)(**{**good.__dict__, "response": {"ref": "refs/heads/main"}})
    assert len(shape_problems([missing])) == 3


def test_urls_use_the_requests_host_and_prefix(fake: FakeGitHub) -> None:
    fake.create_repo(REPO, FILES)
    token = fake.issue_token("ada")
    for base in (fake.api_url, fake.url):
        fake.clear_log()
        repo = client(fake, token, base_url=base).get_repo(REPO)
        assert repo.url == f"{base}/repos/{REPO}"
        assert repo.html_url == f"{fake.url}/{REPO}"
        ref = repo.get_git_ref("heads/main")
        repo.get_git_tree(repo.get_git_commit(ref.object.sha).tree.sha, recursive=True)
        urls = [
            value
            for exchange in fake.log
            for key, value in walk(exchange.response)
            if key.endswith("url") and isinstance(value, str) and value.startswith("http")
        ]
        assert len(urls) > 50
        assert all(u.startswith(fake.url + "/") for u in urls), urls
        api_urls = [u for u in urls if "/repos/" in u or "/users/" in u]
        assert all(u.startswith(base + "/") for u in api_urls)


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_answers_are_json_as_github_sends_it(fake: FakeGitHub) -> None:
    fake.create_repo(REPO, FILES, private=False)
    with urllib.request.urlopen(f"{fake.api_url}/repos/{REPO}") as response:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["x-ratelimit-remaining"] == "4999"
        assert json.load(response)["full_name"] == REPO
    request = urllib.request.Request(
        f"{fake.api_url}/repos/{REPO}/issues", data=b"{nope", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert json.load(caught.value)["message"] == "Problems parsing JSON"


# --- credentials -------------------------------------------------------------------------------


def test_personal_tokens_see_and_write_only_what_they_may(fake: FakeGitHub) -> None:
    fake.create_repo(REPO, FILES)
    fake.create_repo("org/secret", FILES)
    fake.create_repo("org/public", FILES, private=False)
    reader = client(fake, fake.issue_token("reader", write=False))
    scoped = client(fake, fake.issue_token("scoped", repos=[REPO]))

    bad = refused(lambda: client(fake, "ghp_nope").get_repo(REPO).get_git_ref("heads/main"))
    assert isinstance(bad, github.BadCredentialsException)
    assert (bad.status, bad.data["message"]) == (401, "Bad credentials")

    assert reader.get_repo(REPO).get_git_ref("heads/main").object.sha == fake.head(REPO)
    forbidden = refused(lambda: reader.get_repo(REPO).create_issue("t"))
    assert forbidden.status == 403
    assert forbidden.data["message"] == "Resource not accessible by personal access token"

    assert scoped.get_repo(REPO).get_git_ref("heads/main") is not None
    assert refused(lambda: scoped.get_repo("org/secret").get_git_ref("heads/main")).status == 404
    assert refused(lambda: scoped.get_repo("org/nowhere").get_git_ref("heads/main")).status == 404

    anonymous = client(fake)
    assert anonymous.get_repo("org/public").get_git_ref("heads/main") is not None
    assert refused(lambda: anonymous.get_repo("org/secret").get_git_ref("heads/main")).status == 404
    assert refused(lambda: anonymous.get_repo("org/public").create_issue("t")).status == 401
    assert {e.credential for e in fake.log} >= {"token:reader", "token:scoped", "anonymous"}


def test_app_jwts_are_verified(fake: FakeGitHub, key: tuple[str, str]) -> None:
    private, public = key
    app_id = fake.register_app(public)
    fake.create_repo(REPO, FILES)

    def app_call(token: str) -> GithubException:
        signed = Auth.AppAuth(app_id, sign_func=lambda payload: token)
        return refused(app(fake, signed).get_app)

    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 300, "iss": str(app_id)}
    assert app(fake, Auth.AppAuth(app_id, private)).get_app().slug == "govbot"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert app_call(jwt.encode(claims, other, algorithm="RS256")).status == 401
    assert app_call(jwt.encode({**claims, "iss": "999"}, private, algorithm="RS256")).status == 401
    too_long = app_call(jwt.encode({**claims, "exp": now + 3600}, private, algorithm="RS256"))
    assert "too far in the future" in too_long.data["message"]
    expired = app_call(jwt.encode({**claims, "exp": now - 1}, private, algorithm="RS256"))
    assert "'Expiration time' claim ('exp') must be" in expired.data["message"]
    future = app_call(jwt.encode({**claims, "iat": now + 120}, private, algorithm="RS256"))
    assert "'Issued at' claim" in future.data["message"]
    assert app_call(fake.issue_token("ada")).status == 401
    as_app = client(fake, jwt.encode(claims, private, algorithm="RS256"))
    assert refused(lambda: as_app.get_repo(REPO).get_git_ref("heads/main")).status == 403


def test_installation_tokens_work_until_they_expire(fake: FakeGitHub, key: tuple[str, str]) -> None:
    private, public = key
    app_id = fake.register_app(public)
    fake.create_repo(REPO, FILES)
    fake.create_repo("org/elsewhere", FILES)
    installation = fake.install_app(app_id, [REPO], permissions={"contents": "read"})
    fake.installation_token_lifetime = 600
    integration = app(fake, Auth.AppAuth(app_id, private))
    with pytest.raises(GithubException) as unknown:
        integration.get_access_token(installation + 1000)
    assert unknown.value.status == 404
    granted = integration.get_access_token(installation)
    assert 595 <= (granted.expires_at.timestamp() - time.time()) <= 600

    gh = client(fake, granted.token)
    repo = gh.get_repo(REPO)
    assert repo.get_git_ref("heads/main").object.sha == fake.head(REPO)
    denied = refused(lambda: repo.create_git_blob("x", "utf-8"))
    assert (denied.status, denied.data["message"]) == (
        403,
        "Resource not accessible by integration",
    )
    assert refused(lambda: gh.get_repo("org/elsewhere").get_git_ref("heads/main")).status == 404

    fake.advance(601)
    expired = refused(lambda: gh.get_repo(REPO).get_git_ref("heads/main"))
    assert (expired.status, expired.data["message"]) == (401, "Bad credentials")
    assert fake.log[-1].credential == "invalid"


# --- faults ------------------------------------------------------------------------------------


def test_server_errors_hit_only_the_matching_requests(fake: FakeGitHub, repo: Any) -> None:
    fake.fail_next(2, status=503, method="GET", path="/repos/org/docs/git/")
    assert repo.get_issues().totalCount == 0
    for _ in range(2):
        assert refused(lambda: repo.get_git_ref("heads/main")).status == 503
    assert repo.get_git_ref("heads/main").object.sha == fake.head(REPO)


def test_rate_limits_answer_as_github_does(fake: FakeGitHub, repo: Any) -> None:
    fake.rate_limit_next("primary", reset_in=90)
    primary = refused(lambda: repo.get_git_ref("heads/main"))
    assert isinstance(primary, github.RateLimitExceededException)
    assert primary.status == 403
    assert primary.headers is not None and primary.headers["x-ratelimit-remaining"] == "0"
    assert 88 <= int(primary.headers["x-ratelimit-reset"]) - time.time() <= 91
    assert primary.data["message"].startswith("API rate limit exceeded for user ID")

    fake.rate_limit_next("secondary", retry_after=30)
    secondary = refused(lambda: repo.get_git_ref("heads/main"))
    assert isinstance(secondary, github.RateLimitExceededException)
    assert secondary.headers is not None and secondary.headers["retry-after"] == "30"
    assert "secondary rate limit" in secondary.data["message"]

    fake.rate_limit_next("secondary", status=429, retry_after=5)
    too_many = refused(lambda: repo.get_git_ref("heads/main"))
    assert too_many.status == 429
    assert repo.get_git_ref("heads/main") is not None


def test_the_log_records_each_exchange(fake: FakeGitHub, repo: Any) -> None:
    fake.clear_log()
    head = repo.get_git_commit(fake.head(REPO))
    repo.get_git_tree(head.tree.sha, recursive=True)
    issue = repo.create_issue("Logged", body="b")
    call = fake.log[-1]
    assert (call.method, call.path, call.status) == ("POST", "/repos/org/docs/issues", 201)
    assert call.credential == "token:ada"
    assert call.request == {"title": "Logged", "body": "b"}
    assert call.response["number"] == issue.number
    assert fake.log[1].query == {"recursive": "1"}
    assert fake.log[1].operation == "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"


def test_stop_closes_the_port() -> None:
    server = FakeGitHub().start()
    url = server.api_url
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/repos/org/docs", timeout=2)
