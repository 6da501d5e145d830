"""foundation.yaml's ``discord: {guild}``: the foundation's Discord server, checked too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydantic
import pytest

from governance.charters import (
    DEFAULT_CHARTERS,
    DiscordSettings,
    FoundationFile,
    Problem,
    check,
    load,
)

BUNDLED_GUILD = "894437515683143721"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the bundled charters to break."""
    target = tmp_path / "charters"
    shutil.copytree(DEFAULT_CHARTERS, target)
    return target


def set_discord(tree: Path, text: str) -> Path:
    """Replace the bundled ``discord:`` line of foundation.yaml with ``text``."""
    path = tree / "foundation.yaml"
    old = f'discord: {{guild: "{BUNDLED_GUILD}"}}'
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1
    path.write_text(content.replace(old, text), encoding="utf-8")
    return path


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_the_bundled_foundation_names_its_server() -> None:
    guild = load(DEFAULT_CHARTERS).foundation.discord
    assert guild is not None and guild.guild == BUNDLED_GUILD


def test_the_server_is_optional(tree: Path) -> None:
    set_discord(tree, "")
    assert check(tree) == []
    assert load(tree).foundation.discord is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'discord: {guild: "12345"}',
            "discord.guild '12345' is not in the right form; write the Discord server id as a "
            'quoted string of 17 to 20 digits, like "795391426175647754" (in Discord: Developer '
            "Mode on, right-click the server, Copy Server ID)",
        ),
        (
            "discord: {guild: 894437515683143721}",
            "discord.guild 894437515683143721 is not text; write the Discord server id as a "
            "quoted string",
        ),
        (
            'discord: {guild: "https://discord.gg/abc"}',
            "discord.guild 'https://discord.gg/abc' is not in the right form",
        ),
        (
            "discord: {}",
            "missing required key 'guild' in discord; add it, like `guild: \"795391426175647754\"`",
        ),
        (
            f'discord: {{guid: "{BUNDLED_GUILD}"}}',
            "unknown key 'guid' in discord; did you mean 'guild'?",
        ),
        (
            f'discord: "{BUNDLED_GUILD}"',
            f"discord '{BUNDLED_GUILD}' is not a mapping; write {{guild: \"<server id>\"}}, "
            "the id of the foundation's Discord server, quoted",
        ),
    ],
)
def test_a_bad_server_is_reported_at_its_line(tree: Path, text: str, message: str) -> None:
    path = set_discord(tree, text)
    problem = only(check(tree))
    assert problem.path.name == "foundation.yaml"
    assert problem.line == line_of(path, "discord:")
    assert problem.message.startswith(message), problem.message


def test_the_model_refuses_a_bad_server_built_directly() -> None:
    with pytest.raises(pydantic.ValidationError):
        DiscordSettings(guild="not-a-snowflake")
    built = FoundationFile(name="F", admins=["ada"], discord={"guild": BUNDLED_GUILD})
    assert built.model_dump(mode="json", exclude_none=True)["discord"] == {"guild": BUNDLED_GUILD}
