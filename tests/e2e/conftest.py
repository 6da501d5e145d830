"""The whole app on loopback: ``govbot run``'s Service, the fake GitHub, real SQLite and git."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.github import FakeGitHub
from tests.support.service import (
    DOCS_REPO,
    REPO,
    Clock,
    GitHubSide,
    Running,
    foundation_charters,
    settings_for,
)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.create_repo(REPO, {"README.md": "RFCs of the Open Model Initiative\n"})
        server.create_repo(DOCS_REPO, {"README.md": "governance\n"})
        yield server


@dataclass
class World:
    """A running govbot, the fake GitHub behind it, and ways to act on both."""

    tmp: Path
    fake: FakeGitHub
    clock: Clock
    charters: Path
    running: Running
    github: GitHubSide

    def restart(self, **extra: str) -> Running:
        """Stop govbot and start it again on the same record (extra settings applied)."""
        self.running.stop()
        self.running = Running(
            settings_for(self.tmp, self.fake, self.charters, **extra), self.clock
        ).start()
        return self.running


@pytest.fixture
def world(tmp_path: Path, fake: FakeGitHub) -> Iterator[World]:
    clock = Clock(fake)
    charters = foundation_charters(tmp_path / "charters")
    running = Running(settings_for(tmp_path, fake, charters), clock).start()
    holder: dict[str, World] = {}
    side = GitHubSide(fake, lambda: holder["w"].running)
    holder["w"] = World(tmp_path, fake, clock, charters, running, side)
    try:
        yield holder["w"]
    finally:
        holder["w"].running.stop()
