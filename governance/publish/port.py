"""The Publisher port: what the core asks of wherever the docs are published."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


def blob_sha(text: str) -> str:
    """The git blob hash of a UTF-8 text: how a published file is compared without reading it."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class RemoteTree:
    """The published branch as a publisher sees it: its head commit and every file's blob hash.

    ``head`` is None when the repository has no commit yet.
    """

    head: str | None
    blobs: Mapping[str, str] = field(default_factory=dict)


class PublishError(Exception):
    """The docs could not be published now; the outbox retries later.

    ``retry_after`` (seconds) is the wait the remote asked for (``Retry-After``, a rate-limit
    reset), or None to use the outbox's own backoff.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RefMoved(PublishError):
    """The branch moved since the snapshot (someone else pushed); snapshot again and retry."""


class Publisher(Protocol):
    """Where the rendered docs go: a local git repository or a GitHub repository."""

    @property
    def where(self) -> str:
        """A short description for messages, like ``/srv/docs (main)`` or ``org/governance``."""
        ...

    def snapshot(self) -> RemoteTree:
        """The branch head and the blob hash of every file on it."""
        ...

    def read(self, head: str, paths: Iterable[str]) -> dict[str, str]:
        """The texts of these files at commit ``head``.

        Only files whose blob differs from what govbot last published are read, to recover
        hand-written custom sections.
        """
        ...

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        """Make ONE commit on top of ``base.head`` and move the branch to it; returns its hash.

        Each text is written (``None`` deletes the path); the commit is dated ``when`` (Unix
        seconds).

        Raises ``RefMoved`` if the branch is no longer at ``base.head``, ``PublishError`` for
        anything else worth retrying.
        """
        ...
