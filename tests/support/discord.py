"""The whole service with Discord: the fake Discord's server, members, channel and role, and the
charters that name them, so e2e tests can script what members do and see.

Every person of the test foundation is a member of the fake server, and people.yaml records
their Discord ids; ``zed`` is on the server but not in the registry (registered on first use).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import PEOPLE
from tests.fakes.discord import TOKEN, FakeDiscord, Interaction
from tests.support.service import foundation_charters


@dataclass
class Server:
    """The fake Discord set up for the test foundation."""

    fake: FakeDiscord
    channel: str  # the datasets group's channel
    role: str  # the datasets group's role
    users: dict[str, str] = field(default_factory=dict)  # handle -> Discord user id

    def id(self, handle: str) -> str:
        return self.users[handle]

    def as_(self, handle: str) -> Member:
        return Member(self, handle)

    def channel_messages(self) -> list[dict[str, Any]]:
        return self.fake.messages(self.channel)

    def thread(self) -> dict[str, Any]:
        threads = self.fake.threads(self.channel)
        assert len(threads) == 1, threads
        return threads[0]

    def thread_messages(self) -> list[dict[str, Any]]:
        return self.fake.messages(str(self.thread()["id"]))

    def vote_messages(self) -> list[dict[str, Any]]:
        """The messages carrying vote buttons, in the channel and the thread."""
        found = []
        for message in self.channel_messages() + self.thread_messages():
            if any(
                c.get("custom_id", "").startswith("govbot:vote:")
                for row in message.get("components", [])
                for c in row.get("components", [])
            ):
                found.append(message)
        return found


@dataclass
class Member:
    """Someone on the server acting through the fake Discord."""

    server: Server
    handle: str

    @property
    def user(self) -> str:
        return self.server.users[self.handle]

    def slash(self, command: str, **options: Any) -> Interaction:
        return self.server.fake.slash(self.user, command, **options).wait()

    def click(self, message: dict[str, Any], choice: str) -> Interaction:
        custom = next(
            c["custom_id"]
            for row in message["components"]
            for c in row["components"]
            if c.get("custom_id", "").endswith(f":{choice}")
        )
        return self.server.fake.click(self.user, message, custom).wait()


def server(fake: FakeDiscord) -> Server:
    """A datasets channel and role, and every test person (and zed) on the server."""
    setup = Server(fake, fake.add_channel("datasets"), fake.add_role("Datasets WG"))
    for handle in [*PEOPLE, "zed"]:
        setup.users[handle] = fake.add_member(handle, global_name=handle.title())
    return setup


def discord_charters(directory: Path, setup: Server, *, group_policies: str = "") -> Path:
    """``foundation_charters`` plus the server, the datasets channel and role, and the ids."""
    path = foundation_charters(directory, group_policies=group_policies)
    foundation = path / "foundation.yaml"
    foundation.write_text(foundation.read_text() + f'discord: {{guild: "{setup.fake.guild_id}"}}\n')
    datasets = path / "datasets.md"
    text = datasets.read_text()
    head, sep, rest = text.partition("\n---\n")
    datasets.write_text(
        head + f'\ndiscord: {{channel: "{setup.channel}", role: "{setup.role}"}}' + sep + rest
    )
    lines = ["people:"]
    for handle in PEOPLE:
        lines.append(
            f"  - {{handle: {handle}, name: {handle.title()} Example, github: {handle}-gh, "
            f'discord_id: "{setup.users[handle]}"}}'
        )
    (path / "people.yaml").write_text("\n".join(lines) + "\n")
    return path


def discord_settings(fake: FakeDiscord, token: str = TOKEN) -> dict[str, str]:
    """The settings an operator sets to point govbot at a Discord stand-in."""
    return {
        "GOVBOT_DISCORD_TOKEN": token,
        "GOVBOT_DISCORD_API_URL": fake.api_url,
        "GOVBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
    }


def eventually(check: Callable[[], Any], timeout: float = 15, what: str = "") -> Any:
    """Wait until ``check`` returns something true (a worker is doing it in the background)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (AssertionError, KeyError, IndexError, StopIteration) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.05)
    raise AssertionError(f"not so after {timeout} s{': ' + what if what else ''}: {last!r}")
