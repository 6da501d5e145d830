"""The README's quick start and console tour run as written, in the order written.

The test reads the README's ``sh`` blocks under "Quick start" and "A tour of the console" and runs
every ``govbot`` command in them through the console's ``run()``, in a fresh directory, with no
``GOVBOT_`` settings: ``govbot demo`` plays the four weeks ending now, ``cd govbot-demo`` moves
into its directory, and the tour acts on that record in real time. Each command must exit 0, or
the code its comment promises (``# exit 2: ...``), with nothing on stderr when it succeeds.

How a line is run:
- ``a && b`` runs both, in order; ``cd DIR`` changes directory; other programs (``less``, ``git``,
  ``python3 -m pip``) are left out: they are not govbot's.
- ``govbot run`` is left out: the service runs until stopped (``tests/e2e/test_run_process.py``
  runs it as a process).
- A placeholder in capitals (``RECEIPT``, ``CODE``) stands for a value an earlier command printed
  with ``--json``: it is replaced by the latest value of the field of that name in lower case
  (``receipt``, ``code``), so a line can use a value that differs on every run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("Quick start", "A tour of the console")
EXIT = re.compile(r"\bexit (\d+)\b")
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]")
LEFT_OUT = (["run"],)


@dataclass(frozen=True)
class Ran:
    """One govbot command of the README and what it did."""

    line: str
    argv: tuple[str, ...]
    wanted: int
    code: int
    out: str
    err: str


def section(text: str, title: str) -> str:
    """The README's text under ``## title``, up to the next section."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def sh_lines(text: str) -> list[str]:
    """Every non-empty line of the ``sh`` blocks, in order."""
    lines: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        lines += [line.strip() for line in block.splitlines() if line.strip()]
    return lines


def comment_at(line: str) -> int:
    """Where the line's comment starts (a ``#`` outside quotes after a blank), or its length."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return i
    return len(line)


def split(line: str) -> tuple[list[list[str]], str]:
    """The commands of a line (split on ``&&``) and its comment."""
    at = comment_at(line)
    tokens, comment = shlex.split(line[:at]), line[at + 1 :]
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token == "&&":
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c], comment


def remember(seen: dict[str, str], out: str) -> None:
    """The scalar fields of a JSON answer, for later placeholders."""
    try:
        data: Any = json.loads(out)
    except ValueError:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                seen[key] = str(value)


def play(readme: str) -> Iterator[Ran]:
    """Run the README's govbot commands in the current directory, in order."""
    seen: dict[str, str] = {}
    for title in SECTIONS:
        for line in sh_lines(section(readme, title)):
            commands, comment = split(line)
            found = EXIT.search(comment)
            for i, command in enumerate(commands):
                if command[0] == "cd":
                    os.chdir(command[1])
                    continue
                if command[0] != "govbot" or command[1:] in LEFT_OUT:
                    continue
                argv = [
                    seen[t.lower()] if PLACEHOLDER.fullmatch(t) and t.lower() in seen else t
                    for t in command[1:]
                ]
                wanted = int(found.group(1)) if found and i == len(commands) - 1 else 0
                code, out, err = cli.run(argv)
                remember(seen, out)
                yield Ran(line, tuple(argv), wanted, code, out, err)
                if code != wanted:
                    return  # the lines after it depend on it


@dataclass(frozen=True)
class Played:
    ran: list[Ran]
    directory: Path
    started: datetime


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    directory = tmp_path_factory.mktemp("readme")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    settings = {k: v for k, v in os.environ.items() if k.startswith("GOVBOT_")}
    here = Path.cwd()
    started = datetime.now(UTC)
    with pytest.MonkeyPatch.context() as patch:
        for name in settings:
            patch.delenv(name)
        os.chdir(directory)
        try:
            ran = list(play(readme))
        finally:
            os.chdir(here)
    yield Played(ran, directory, started)


def test_every_govbot_line_runs_as_the_readme_says(played: Played) -> None:
    failed = [r for r in played.ran if r.code != r.wanted or (r.code == 0 and r.err)]
    assert not failed, "\n".join(
        f"{r.line}\n  exit {r.code} (the README promises {r.wanted}): {r.err or r.out}"
        for r in failed
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = sum(
        1
        for title in SECTIONS
        for line in sh_lines(section(readme, title))
        for command in split(line)[0]
        if command[0] == "govbot" and command[1:] not in LEFT_OUT
    )
    assert len(played.ran) == expected  # none was left out after a failure
    assert expected >= 30  # the blocks were found and read


def test_the_tour_acts_in_real_time_and_the_one_future_now_is_refused(played: Played) -> None:
    with_now = [r for r in played.ran if "--now" in r.argv]
    assert len(with_now) == 1 and with_now[0].code == 2
    assert with_now[0].err.startswith("govbot: This record is live")
    assert "drop --now" in with_now[0].err and with_now[0].out == ""


def test_the_demo_ends_now_and_its_record_is_live(played: Played) -> None:
    """The demo's last step (RFC-0006 re-proposed) falls on the minute before it ran."""
    database = played.directory / "govbot-demo" / "govbot.db"
    with sqlite3.connect(database) as conn:
        (at,) = conn.execute(
            "SELECT at FROM ledger WHERE action = 'rfc.reproposed' AND subject = 'RFC-0006'"
        ).fetchone()
        live = conn.execute("SELECT seq FROM checkpoints WHERE name = 'record:live'").fetchone()
    last = datetime.fromisoformat(at).replace(tzinfo=UTC)
    assert played.started - timedelta(minutes=2) <= last <= played.started
    assert live == (1,)  # live from its first change, the charters synced


def test_your_own_record_is_made_by_charters_sync(played: Played) -> None:
    database = played.directory / "govbot.db"
    assert database.is_file()
    shown = next(r for r in played.ran if r.argv == ("wg", "show", "steering"))
    assert "Steering Committee (steering)" in shown.out
