"""Shared fixtures: a small foundation on disk and a real SQLite record synced from it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from governance.store import Store

T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)

FOUNDATION = """\
name: Test Foundation
admins: [root]
labels: {rfc: rfc, vote_open: vote/open, group_prefix: wg/}
policies:
  default: {duration: 7d, min_duration: 72h, quorum: 0.5, pass: majority, close_early: true}
  charter-change: {duration: 14d, quorum: 0.66, pass: supermajority}
  election: {duration: 7d, min_duration: 72h, quorum: 0.5}
"""

PEOPLE = ["root", "ada", "bo", "cy", "di", "ed", "fay", "gus", "hal", "ivy"]


def people_yaml(handles: list[str]) -> str:
    lines = ["people:"]
    for i, handle in enumerate(handles):
        lines.append(
            f"  - {{handle: {handle}, name: {handle.title()} Example, github: {handle}-gh, "
            f'discord_id: "1{i:017d}"}}'
        )
    return "\n".join(lines) + "\n"


def charter(
    slug: str,
    *,
    kind: str = "working-group",
    membership: str = "open",
    chairs: list[str],
    members: list[str],
    observers: list[str] | None = None,
    policies: str = "",
) -> str:
    front = textwrap.dedent(
        f"""\
        ---
        slug: {slug}
        name: {slug.title()} Group
        kind: {kind}
        membership: {membership}
        chairs: [{", ".join(chairs)}]
        members: [{", ".join(members)}]
        observers: [{", ".join(observers or [])}]
        """
    )
    if policies:
        front += "policies:\n" + textwrap.indent(textwrap.dedent(policies), "  ")
    return front + f"---\n# {slug.title()} Group\n\nMission of {slug}.\n"


def write_charters(directory: Path, **groups: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "foundation.yaml").write_text(FOUNDATION)
    (directory / "people.yaml").write_text(people_yaml(PEOPLE))
    for slug, text in groups.items():
        (directory / f"{slug}.md").write_text(text)
    return directory


DEFAULT_GROUPS = {
    "core": charter(
        "core",
        kind="committee",
        membership="approval",
        chairs=["ada"],
        members=["bo", "cy", "di", "ed"],
        observers=["hal"],
    ),
    "docs": charter("docs", chairs=["fay"], members=["gus"]),
}


@pytest.fixture
def charters_dir(tmp_path: Path) -> Path:
    return write_charters(tmp_path / "charters", **DEFAULT_GROUPS)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "govbot.db"


@pytest.fixture
def store(db_path: Path, charters_dir: Path) -> Iterator[Store]:
    from bot import wiring

    opened = Store.open(db_path)
    wiring.sync_charters(opened, charters_dir, T0 - timedelta(days=1))
    yield opened
    opened.close()


class Actor:
    """Calls services as people do: one write unit of work per call."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, service: Any, actor: str, now: datetime, command: Any) -> Any:
        with self.store.write() as uow:
            return service(uow, actor, now, command)

    def read(self, query: Any, *args: Any) -> Any:
        with self.store.read() as uow:
            return query(uow, *args)


@pytest.fixture
def act(store: Store) -> Actor:
    return Actor(store)
