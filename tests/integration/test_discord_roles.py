"""``govbot discord roles``: rosters mirrored to Discord roles, a dry run first, and a guard.

The console signs in to the fake Discord over REST with unmodified discord.py, reads the server's
members and the roles they hold, and plans additions and removals from the record's rosters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import run
from tests.fakes.discord import FakeDiscord
from tests.support.discord import Server, discord_charters, discord_settings, server


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, list[str]]]:
    with FakeDiscord() as fake:
        found = server(fake)
        charters = discord_charters(tmp_path / "charters", found)
        for name, value in discord_settings(fake).items():
            monkeypatch.setenv(name, value)
        argv = ["--db", str(tmp_path / "govbot.db"), "--charters", str(charters)]
        yield found, argv


def holders(found: Server) -> set[str]:
    return found.fake.role_members(found.role)


def ids(found: Server, *handles: str) -> set[str]:
    return {found.id(h) for h in handles}


def test_a_dry_run_plans_and_changes_nothing(setup: tuple[Server, list[str]]) -> None:
    found, argv = setup
    code, out, _ = run([*argv, "discord", "roles"])
    assert code == 0, out
    assert out.startswith("Dry run: nothing was changed.")
    assert "datasets (role" in out and "+4 -0" in out
    assert holders(found) == set()
    role_writes = [c for c in found.fake.calls if "/roles/" in c.path and c.method != "GET"]
    assert role_writes == []


def test_apply_gives_the_roster_its_role(setup: tuple[Server, list[str]]) -> None:
    found, argv = setup
    code, out, _ = run([*argv, "discord", "roles", "--apply"])
    assert code == 0, out
    assert holders(found) == ids(found, "ada", "bo", "cy", "di")
    code, out, _ = run([*argv, "discord", "roles", "--apply"])
    assert "+0 -0" in out  # a second sync has nothing to do


def test_removing_more_than_a_quarter_needs_force(setup: tuple[Server, list[str]]) -> None:
    found, argv = setup
    outsiders = ("ed", "fay", "gus", "hal", "ivy", "zed")
    for handle in ("ada", "bo", "cy", "di", *outsiders):
        found.fake.set_roles(found.id(handle), [found.role])
    code, out, _ = run([*argv, "--json", "discord", "roles", "--apply"])
    assert code == 3
    plan = json.loads(out)["plans"][0]
    assert plan["remove"] == sorted(ids(found, *outsiders)) and not plan["applied"]
    assert "more than a quarter" in plan["refused"]
    assert holders(found) == ids(found, "ada", "bo", "cy", "di", *outsiders)  # nothing removed

    code, out, _ = run([*argv, "discord", "roles", "--apply", "--force"])
    assert code == 0, out
    assert holders(found) == ids(found, "ada", "bo", "cy", "di")


def test_without_a_token_the_console_says_what_to_set(
    setup: tuple[Server, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, argv = setup
    monkeypatch.delenv("GOVBOT_DISCORD_TOKEN")
    code, _, err = run([*argv, "discord", "roles"])
    assert code == 2 and "GOVBOT_DISCORD_TOKEN is not set" in err


def test_a_role_above_the_bots_own_is_refused_with_what_to_do(
    setup: tuple[Server, list[str]],
) -> None:
    found, argv = setup
    high = found.fake.add_role("Steering", above_bot=True)
    charter = Path(argv[3]) / "datasets.md"
    charter.write_text(charter.read_text().replace(found.role, high))
    code, _, err = run([*argv, "discord", "roles", "--apply"])
    assert code == 2
    assert "403" in err and "the bot's own role is above it" in err
    assert found.fake.role_members(high) == set()
