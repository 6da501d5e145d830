"""The whole app on loopback: ``govbot run``'s Service, the fake GitHub, real SQLite and git."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.discord import FakeDiscord
from tests.fakes.github import FakeGitHub
from tests.support.discord import Server, discord_charters, discord_settings, server
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


# --- with Discord -------------------------------------------------------------------------------


@pytest.fixture
def discord_fake() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


@dataclass
class DiscordWorld(World):
    """``World`` with the fake Discord: members act there, and see what govbot posts."""

    server: Server

    def restart(self, **extra: str) -> Running:
        return super().restart(**(discord_settings(self.server.fake) | extra))

    def settle(self, *, docs: bool = False) -> None:
        self.running.settle(docs=docs)


def start_discord_world(
    tmp: Path, fake: FakeGitHub, discord_fake: FakeDiscord, *, group_policies: str = ""
) -> DiscordWorld:
    """govbot running with GitHub and Discord, the foundation's people on the server."""
    clock = Clock(fake, others=[discord_fake])
    setup = server(discord_fake)
    charters = discord_charters(tmp / "charters", setup, group_policies=group_policies)
    settings = settings_for(tmp, fake, charters, **discord_settings(discord_fake))
    running = Running(settings, clock).start()
    holder: dict[str, DiscordWorld] = {}
    side = GitHubSide(fake, lambda: holder["w"].running)
    holder["w"] = DiscordWorld(tmp, fake, clock, charters, running, side, setup)
    return holder["w"]


@pytest.fixture
def dworld(tmp_path: Path, fake: FakeGitHub, discord_fake: FakeDiscord) -> Iterator[DiscordWorld]:
    world = start_discord_world(tmp_path, fake, discord_fake)
    try:
        yield world
    finally:
        world.running.stop()
    # Whatever the test did, no member saw "This interaction failed" and no call met a 429.
    assert discord_fake.deadline_misses == 0
    assert discord_fake.rate_limited == 0
