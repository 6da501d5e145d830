"""Publishing the docs to a GitHub repository through the Git Data API, one commit at a time.

Requests per call, whatever the number of files:

- ``snapshot``: 3 (the branch ref, its commit, the commit's tree listed recursively).
- ``commit``: 4 (the base commit, for its tree; one tree holding only the changed paths on top of
  that ``base_tree``, with the texts inline and ``sha: null`` for deletions; one commit; the ref
  update, which GitHub refuses when it is not a fast-forward, so a concurrent push is never lost).
  Texts over ``TREE_BODY_BUDGET`` in all (a full publication of a long ledger) are split over
  several trees, each on top of the one before: one more request per budget's worth.
- ``commit`` into an empty repository: GitHub's Git Data API refuses to store anything in a
  repository without a commit (409), so the Contents API creates the first file (1 request,
  one commit) and, when there are more, one Git Data commit on top of it adds the rest (3 more,
  its base tree known from the first answer). That first publication therefore makes two commits.
- ``read``: 2 plus one per file (none of the 2 right after a ``snapshot`` of the same head).

Every failure becomes a ``PublishError`` for the outbox to retry, with GitHub's requested wait
for rate limits; a refused fast-forward is ``RefMoved``.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar

from github import Github, GithubException, InputGitAuthor, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.Repository import Repository

from governance.publish import PublishError, RefMoved, RemoteTree

AUTHOR_NAME = "govbot"
AUTHOR_EMAIL = "govbot@users.noreply.github.com"
SECONDARY_LIMIT_WAIT = 60.0
"""GitHub's advice when a secondary rate limit comes without ``Retry-After``: wait a minute."""
FILE_MODE = "100644"
TREE_BODY_BUDGET = 24 * 1024 * 1024
"""The most text (as JSON) one tree request carries: GitHub refuses request bodies that are too
large, and a ten-year ledger's month files alone are some 50 MB."""

T = TypeVar("T")


class GitHubPublisher:
    """A ``Publisher`` for ``owner/name`` on GitHub (or GitHub Enterprise), branch ``branch``."""

    def __init__(
        self,
        github: Github,
        repo: str,
        branch: str = "main",
        *,
        author: tuple[str, str] = (AUTHOR_NAME, AUTHOR_EMAIL),
    ) -> None:
        self._github = github.withLazy(True)
        self._repo: Repository = self._github.get_repo(repo)
        self._name = repo
        self._branch = branch
        self._author = author
        self._last: RemoteTree | None = None

    @property
    def where(self) -> str:
        """The repository and branch, for messages."""
        return f"{self._name} ({self._branch})"

    def snapshot(self) -> RemoteTree:
        """The branch head and every blob on it; an empty repository is ``RemoteTree(None)``."""
        try:
            head = self._call(lambda: self._ref().object.sha, "read the branch")
        except _Empty:
            self._last = RemoteTree(None, {})
            return self._last
        commit = self._call(lambda: self._repo.get_git_commit(head), "read the head commit")
        tree = self._call(
            lambda: self._repo.get_git_tree(commit.tree.sha, recursive=True), "list the files"
        )
        if tree.raw_data.get("truncated"):
            raise PublishError(
                f"GitHub truncated the file list of {self.where}: the repository is too large"
                " to publish into; use a repository (or branch) that holds only the docs"
            )
        blobs = {entry.path: entry.sha for entry in tree.tree if entry.type == "blob"}
        self._last = RemoteTree(head, blobs)
        return self._last

    def read(self, head: str, paths: Iterable[str]) -> dict[str, str]:
        """The texts of these files at ``head``; paths not there are left out."""
        wanted = list(paths)
        if not wanted:
            return {}
        blobs = self._last.blobs if self._last and self._last.head == head else None
        if blobs is None:
            commit = self._call(lambda: self._repo.get_git_commit(head), "read a commit")
            tree = self._call(
                lambda: self._repo.get_git_tree(commit.tree.sha, recursive=True), "list the files"
            )
            blobs = {entry.path: entry.sha for entry in tree.tree if entry.type == "blob"}
        texts: dict[str, str] = {}
        for path in wanted:
            sha = blobs.get(path)
            if sha is None:
                continue
            texts[path] = self._call(partial(self._blob_text, sha), f"read {path}")
        return texts

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        """ONE commit of ``changes`` on ``base.head``, then a fast-forward of the branch.

        Deleting a path that ``base`` does not hold is nothing to do; when nothing is left to
        do, no commit is made and ``base.head`` is returned.
        """
        if base.head is None:
            return self._first_commit(changes, message, when)
        elements = [
            (path, text)
            for path, text in sorted(changes.items())
            if text is not None or path in base.blobs
        ]
        if not elements:
            return base.head
        head = base.head
        parent = self._call(lambda: self._repo.get_git_commit(head), "read the base commit")
        return self._commit_on(parent, parent.tree, elements, message, when)

    # steps

    def _first_commit(self, changes: Mapping[str, str | None], message: str, when: int) -> str:
        """The first commit of an empty repository: see the module docstring."""
        texts = sorted((path, text) for path, text in changes.items() if text is not None)
        if not texts:
            raise ValueError("nothing to publish: an empty repository needs at least one file")
        (first_path, first_text), rest = texts[0], texts[1:]
        signature = self._signature(when)
        try:
            created = self._call(
                lambda: self._repo.create_file(
                    first_path,
                    message,
                    first_text,
                    branch=self._branch,
                    author=signature,
                    committer=signature,
                ),
                "create the first commit",
            )
        except PublishError as error:
            cause = error.__cause__
            if isinstance(cause, GithubException) and cause.status in {409, 422}:
                raise RefMoved(
                    f"{self.where} is no longer empty; snapshot again and retry"
                ) from cause
            raise
        raw = created["commit"].raw_data
        if not rest:
            return str(raw["sha"])
        parent = self._github.create_from_raw_data(GitCommit, raw)
        base_tree = self._github.create_from_raw_data(GitTree, raw["tree"])
        return self._commit_on(parent, base_tree, list(rest), message, when)

    def _commit_on(
        self,
        parent: GitCommit,
        base_tree: GitTree,
        elements: list[tuple[str, str | None]],
        message: str,
        when: int,
    ) -> str:
        tree = base_tree
        for batch in _batches(elements):
            tree = self._call(
                partial(
                    self._repo.create_git_tree,
                    [self._element(path, text) for path, text in batch],
                    base_tree=tree,
                ),
                "create the tree",
            )
        signature = self._signature(when)
        commit = self._call(
            lambda: self._repo.create_git_commit(
                message, tree, [parent], author=signature, committer=signature
            ),
            "create the commit",
        )
        ref = self._github.create_from_raw_data(
            GitRef,
            {
                "ref": f"refs/heads/{self._branch}",
                "url": f"{self._repo.url}/git/refs/heads/{urllib.parse.quote(self._branch)}",
            },
        )
        self._call(lambda: ref.edit(commit.sha, force=False), "move the branch")
        return commit.sha

    def _blob_text(self, sha: str) -> str:
        blob = self._repo.get_git_blob(sha)
        return base64.b64decode(blob.content).decode("utf-8", errors="replace")

    def _ref(self) -> GitRef:
        return self._repo.get_git_ref(f"heads/{self._branch}")

    def _element(self, path: str, text: str | None) -> InputGitTreeElement:
        if text is None:
            return InputGitTreeElement(path, FILE_MODE, "blob", sha=None)
        return InputGitTreeElement(path, FILE_MODE, "blob", content=text)

    def _signature(self, when: int) -> InputGitAuthor:
        name, email = self._author
        date = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return InputGitAuthor(name, email, date)

    # errors

    def _call(self, action: Callable[[], T], doing: str) -> T:
        """Run one request; whatever goes wrong becomes a ``PublishError`` that says what to do."""
        try:
            return action()
        except GithubException as error:
            raise self._translate(error, doing) from error
        except OSError as error:  # requests' connection errors and timeouts are OSErrors
            raise PublishError(
                f"could not {doing} of {self.where}: GitHub did not answer"
                f" ({type(error).__name__}); will retry"
            ) from error

    def _translate(self, error: GithubException, doing: str) -> Exception:
        status, message = error.status, error_message(error)
        headers = {k.lower(): v for k, v in (error.headers or {}).items()}
        context = f"could not {doing} of {self.where}: GitHub answered {status} {message!r}"
        if status == 409 and "empty" in message.lower():
            return _Empty(f"{self.where} has no commit yet; snapshot again and retry")
        if status == 422 and "fast forward" in message.lower():
            return RefMoved(f"{self.where} moved since the snapshot; snapshot again and retry")
        wait = rate_limit_wait(status, message, headers)
        if wait is not None:
            return PublishError(f"{context}; GitHub asked to wait {wait:.0f} s", retry_after=wait)
        if status == 401:
            return PublishError(
                f"{context}: the credentials are wrong or expired; check the GitHub token, or"
                " the GitHub App id, private key and installation id"
            )
        if status == 403:
            return PublishError(
                f"{context}: the credentials lack a permission; give the token (or the GitHub"
                f" App installation) Contents: read and write on {self._name}"
            )
        if status == 404:
            return PublishError(
                f"{context}: no repository {self._name} with a branch {self._branch} that these"
                " credentials can see; check the repository name and branch, and that the token"
                " (or the GitHub App installation) has access to it"
            )
        if status >= 500:
            return PublishError(f"{context}; GitHub is failing, will retry")
        return PublishError(context)


class _Empty(RefMoved):
    """The repository has no commit (GitHub's 409 "Git Repository is empty.").

    ``snapshot`` reads it as an empty tree; anywhere else the snapshot was stale.
    """


def error_message(error: GithubException) -> str:
    """GitHub's own message in an error answer, for logs and the outbox row."""
    data: Any = error.data
    if isinstance(data, dict):
        return str(data.get("message") or data.get("data") or "")
    return str(data or "")


def rate_limit_wait(status: int, message: str, headers: Mapping[str, str]) -> float | None:
    """Seconds GitHub asked to wait, if this answer is a rate limit; None if it is not.

    A secondary limit says ``Retry-After``; a primary one says ``x-ratelimit-remaining: 0``
    and the Unix time in ``x-ratelimit-reset`` (a second is added for clocks that differ).
    """
    if status not in {403, 429}:
        return None
    retry_after = headers.get("retry-after")
    if retry_after:
        return _retry_after_seconds(retry_after)
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        try:
            return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0
        except ValueError:
            return SECONDARY_LIMIT_WAIT
    if status == 429 or "rate limit" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def _retry_after_seconds(value: str) -> float:
    """``Retry-After`` as seconds: a number of seconds, or an HTTP date."""
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return SECONDARY_LIMIT_WAIT
    return max(moment.timestamp() - time.time(), 0.0)


def _batches(
    elements: Sequence[tuple[str, str | None]],
) -> Iterator[list[tuple[str, str | None]]]:
    """``(path, text)`` in runs of at most ``TREE_BODY_BUDGET`` of JSON each (at least one)."""
    batch: list[tuple[str, str | None]] = []
    size = 0
    for path, text in elements:
        cost = len(path) + 100 + (len(json.dumps(text)) if text is not None else 0)
        if batch and size + cost > TREE_BODY_BUDGET:
            yield batch
            batch, size = [], 0
        batch.append((path, text))
        size += cost
    yield batch
