"""Wiring shared by the console and the service: open the record, sync the charters, catch up."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from governance.digest import charters_digest

if TYPE_CHECKING:
    from github import Github

    from governance.publish import Publisher
    from governance.services.groups import SyncReport
    from governance.store import Store


class WiringError(ValueError):
    """A setting the wiring needs is missing or wrong; the message says which."""


def stored_digest(store: Store) -> str | None:
    """The digest of the charters last applied to this database."""
    from sqlmodel import select

    from governance.model import Foundation

    with store.read() as uow:
        row = uow.session.exec(select(Foundation.charters_digest)).first()
    return row


def charters_changed(store: Store, directory: Path) -> bool:
    """Whether the charters on disk differ from the ones last applied (a read)."""
    return stored_digest(store) != charters_digest(directory)


def sync_charters(store: Store, directory: Path, now: datetime) -> bool:
    """Apply changed charters; True if applied. Raises ``CharterError`` when they are invalid."""
    report = apply_charters(store, directory, now)
    return report is not None and report.changed


def apply_charters(store: Store, directory: Path, now: datetime) -> SyncReport | None:
    """Apply changed charters: what was applied, or None when they are the ones last applied.

    Raises ``CharterError`` when they are invalid.
    """
    if not charters_changed(store, directory):
        return None
    from governance import charters
    from governance.services import common, groups

    loaded = charters.load(directory)
    with store.write() as uow:
        return groups.sync_charters(uow, common.SYSTEM, now, loaded)


def catch_up(store: Store, now: datetime) -> list[str]:
    """Run ``tick(now)`` so whatever fell due while nobody was looking is closed (or reminded)."""
    from governance.services import ticks

    with store.write() as uow:
        report = ticks.tick(uow, now)
    return (
        [f"{v['rfc']}: {v['outcome']}" for v in report.closed_votes]
        + [f"{e['election']}: {e['outcome']}" for e in report.closed_elections]
        + [f"{r['rfc']}: reminder" for r in report.reminded]
    )


def docs_publisher(store: Store, docs_dir: Path, client: Github | None) -> Publisher:
    """Where the docs go: GitHub when there is a client, else the local docs repository.

    On GitHub, the repository is the one foundation.yaml names in ``docs: {repo}``.
    """
    if client is None:
        from governance.publish import LocalGitPublisher

        return LocalGitPublisher(docs_dir)
    from sqlmodel import select

    from bot.github.publisher import GitHubPublisher
    from governance.model import Foundation

    with store.read() as uow:
        docs = uow.session.exec(select(Foundation.docs)).first() or {}
    repo = docs.get("repo")
    if not repo or "/" not in str(repo):
        raise WiringError(
            "GitHub credentials are set but charters/foundation.yaml names no docs repository; "
            "add docs: {repo: owner/name}"
        )
    return GitHubPublisher(client, str(repo))
