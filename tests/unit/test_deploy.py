"""The deployment files in ``deploy/`` agree with the code they deploy.

No image is built and no unit is started here (no Docker daemon, no systemd as PID 1); instead
each file is parsed as its tool parses it and checked against ``bot.settings`` and ``bot.web``:
the settings the env example names, the port, the endpoints, the command. ``systemd-analyze
verify`` checks the unit for real where it is installed.
"""

from __future__ import annotations

import configparser
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from bot.settings import PREFIX, SECRETS, Settings, load
from bot.web import WebState, make_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "govbot.env.example"
ASSIGNMENT = re.compile(r"^(#\s*)?(GOVBOT_[A-Z0-9_]+)=(.*)$")
STATE = "/var/lib/govbot"
APP_SETTINGS = [
    "GOVBOT_GITHUB_APP_ID",
    "GOVBOT_GITHUB_PRIVATE_KEY",
    "GOVBOT_GITHUB_INSTALLATION_ID",
]


def setting_names() -> set[str]:
    return {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}


# --- parsing the files as their tools do --------------------------------------------------------


def env_example() -> list[tuple[int, str, str, bool]]:
    """Each assignment of the env example: (line index, name, value, commented out)."""
    found = []
    for index, line in enumerate(ENV_EXAMPLE.read_text().splitlines()):
        if match := ASSIGNMENT.match(line):
            found.append((index, match.group(2), match.group(3), match.group(1) is not None))
    return found


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, arguments)."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def docker(keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile() if name == keyword]


def docker_env() -> dict[str, str]:
    """What the image's ENV instructions set (``NAME=value`` form)."""
    values: dict[str, str] = {}
    for arguments in docker("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            values[name] = value
    return values


def compose_service() -> dict[str, Any]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert list(services) == ["govbot"], "one service"
    service: dict[str, Any] = services["govbot"]
    return service


def unit() -> configparser.ConfigParser:
    """The systemd unit, read as INI (systemd allows repeated keys: the last one shows here)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "govbot.service").read_text())
    return parser


def unit_values(key: str) -> list[str]:
    """Every value of a repeated key in [Service] (configparser keeps only the last)."""
    values, section = [], ""
    for line in (DEPLOY / "govbot.service").read_text().splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section == "[Service]" and line.startswith(f"{key}="):
            values.append(line.split("=", 1)[1])
    return values


# --- the env example ------------------------------------------------------------------------------


def test_the_env_example_names_exactly_the_settings_govbot_defines() -> None:
    names = [name for _, name, _, _ in env_example()]
    assert len(names) == len(set(names)), f"named twice: {names}"
    assert set(names) == setting_names()


def test_each_setting_in_the_env_example_has_a_comment_above_it() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, name, _, _ in env_example():
        above = lines[index - 1]
        assert above.startswith("# ") and not ASSIGNMENT.match(above), name


def test_the_env_example_leaves_every_secret_empty() -> None:
    secrets = {f"{PREFIX}{name.upper()}" for name in SECRETS}
    for _, name, value, commented in env_example():
        if name in secrets:
            assert (value, commented) == ("", False), name


def test_the_env_example_groups_the_token_apart_from_the_app() -> None:
    """Two ways of signing in, each under its own heading; the App's three settings together."""
    entries = env_example()
    order = [name for _, name, _, _ in entries]
    where = {name: index for index, name, _, _ in entries}
    first = order.index(APP_SETTINGS[0])
    assert order[first : first + 3] == APP_SETTINGS
    lines = ENV_EXAMPLE.read_text().splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]

    def heading(name: str) -> str:
        return lines[max(i for i in headings if i < where[name])]

    assert "token" in heading("GOVBOT_GITHUB_TOKEN")
    assert "App" in heading(APP_SETTINGS[0]) and heading(APP_SETTINGS[0]) == heading(
        APP_SETTINGS[2]
    )


def test_the_env_example_as_written_is_the_embedded_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Copied unchanged it starts govbot; a commented-out value is the default it stands for."""
    for name in list(os.environ):
        if name.upper().startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    settings = load(env_file=str(ENV_EXAMPLE))
    settings.check_for_service()
    assert not settings.github_enabled
    defaults = load({})
    for _, name, value, commented in env_example():
        field = name[len(PREFIX) :].lower()
        if commented:
            assert str(getattr(defaults, field)) == value, name
        elif value:
            current = getattr(settings, field)
            assert current == type(current)(value), name


# --- the Dockerfile -------------------------------------------------------------------------------


def test_the_image_runs_govbot_run_as_an_unprivileged_user() -> None:
    assert docker("FROM") == ["python:3.11-slim"]
    assert [json.loads(cmd) for cmd in docker("CMD")] == [["govbot", "run"]]
    users = docker("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert docker("STOPSIGNAL") in ([], ["SIGTERM"])


def test_the_image_installs_the_project_from_its_own_pyproject() -> None:
    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in docker("RUN"))
    copied = {
        source
        for arguments in docker("COPY")
        for source in shlex.split(arguments)[:-1]
        if not source.startswith("--")
    }
    for source in copied:  # relative to the build context, the repository's root
        assert (ROOT / source).exists(), source
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {"pyproject.toml", project["readme"], "bot", "governance", "charters"} <= copied


def test_the_image_listens_on_all_interfaces_and_keeps_its_state_on_a_volume() -> None:
    env = docker_env()
    assert env["GOVBOT_HTTP_HOST"] == "0.0.0.0"  # inside a container: required
    assert env["GOVBOT_DATABASE_URL"].startswith(STATE + "/")
    assert env["GOVBOT_DOCS_DIR"].startswith(STATE + "/")
    assert {name for name in env if name.startswith(PREFIX)} <= setting_names()
    load({k: v for k, v in env.items() if k.startswith(PREFIX)}).check_for_service()
    assert any(STATE in volume for volume in docker("VOLUME"))
    charters = env["GOVBOT_CHARTERS"]
    assert any(shlex.split(arguments)[-1] == charters for arguments in docker("COPY"))


def test_the_exposed_port_is_the_default_port_of_the_env_example() -> None:
    port = next(value for _, name, value, _ in env_example() if name == "GOVBOT_HTTP_PORT")
    assert docker("EXPOSE") == [port]
    assert int(port) == Settings.model_fields["http_port"].default
    assert docker_env().get("GOVBOT_HTTP_PORT", port) == port


def healthcheck_command() -> list[str]:
    (check,) = docker("HEALTHCHECK")
    command = json.loads(check[check.index("CMD") + len("CMD") :].strip())
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_the_image_checks_its_health_on_healthz_without_curl() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"] and "urllib" in command[2]
    assert "/healthz" in command[2]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_health_check_command_passes_on_200_and_fails_otherwise(
    health_server: http.server.HTTPServer,
) -> None:
    """Run the HEALTHCHECK's Python against a loopback server, as Docker runs it in the image."""
    code = healthcheck_command()[2]
    env = {"PATH": os.environ.get("PATH", ""), "GOVBOT_HTTP_PORT": str(health_server.server_port)}

    def check() -> int:
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, timeout=30, check=False
        ).returncode

    assert check() == 0
    _Health.status = 503
    try:
        assert check() != 0
    finally:
        _Health.status = 200


# --- the compose file -----------------------------------------------------------------------------


def test_the_compose_service_builds_the_image_and_runs_govbot() -> None:
    service = compose_service()
    build = service["build"]
    assert build["context"] == ".."
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert service["command"] == ["govbot", "run"]
    assert service["env_file"] in ("govbot.env", ["govbot.env"])
    assert service["restart"] == "unless-stopped"
    assert service["stop_grace_period"] == "30s"
    assert service.get("stop_signal", "SIGTERM") == "SIGTERM"


def test_the_compose_service_publishes_the_port_and_keeps_a_named_volume() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    service = compose_service()
    assert service["ports"] == [f"{docker('EXPOSE')[0]}:{docker('EXPOSE')[0]}"]
    (volume,) = service["volumes"]
    name, target = volume.split(":")[:2]
    assert target == STATE and name in compose["volumes"]


def test_the_compose_health_check_is_the_images() -> None:
    check = compose_service()["healthcheck"]
    assert check["test"] == ["CMD", *healthcheck_command()]


# --- the systemd unit -----------------------------------------------------------------------------


def test_the_unit_runs_govbot_run_and_stops_it_with_sigterm() -> None:
    service = unit()["Service"]
    assert service["ExecStart"].endswith("govbot run")
    assert service["ExecStart"].split()[0] == "/opt/govbot/venv/bin/govbot"
    assert service["Type"] == "exec"
    assert service["User"] not in {"root", "0"}
    assert service["EnvironmentFile"] == "/etc/govbot/govbot.env"
    assert service["WorkingDirectory"] == STATE
    assert (service["KillSignal"], service["TimeoutStopSec"]) == ("SIGTERM", "30")
    assert service["Restart"] == "on-failure"


def test_the_unit_is_hardened() -> None:
    service = unit()["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == STATE
    assert service["PrivateTmp"] == "yes" and service["ProtectHome"] == "yes"


def test_the_unit_sets_only_settings_govbot_defines() -> None:
    names = {value.split("=", 1)[0] for value in unit_values("Environment")}
    assert {name for name in names if name.startswith(PREFIX)} <= setting_names()
    assert "GOVBOT_CHARTERS" in names  # an installed package has no bundled charters beside it


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` in a root of our own: the system's units, the unit, and an
    executable where ExecStart expects govbot. Unknown keys only warn, so output must be empty."""
    system = next(
        (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()),
        None,
    )
    assert system is not None, "systemd-analyze is installed but the system's units are not"
    root = tmp_path / "root"
    shutil.copytree(system, root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    shutil.copy(DEPLOY / "govbot.service", units / "govbot.service")
    executable = root / unit()["Service"]["ExecStart"].split()[0].lstrip("/")
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", "govbot.service"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


# --- the README -----------------------------------------------------------------------------------


def test_the_readme_names_the_routes_govbot_serves() -> None:
    app = make_app(WebState(cast(Any, None), None, None))
    routes = {resource.canonical for resource in app.router.resources()}
    text = (DEPLOY / "README.md").read_text()
    for path in ("/webhooks/github", "/healthz", "/readyz"):
        assert path in routes and path in text
    assert "https://HOST/webhooks/github" in text and "application/json" in text
    for event in ("Issues", "Issue comment"):
        assert event in text


def test_the_readme_installs_where_the_unit_looks() -> None:
    text = (DEPLOY / "README.md").read_text()
    service = unit()["Service"]
    assert service["ExecStart"].split()[0].removesuffix("/bin/govbot") in text
    assert service["EnvironmentFile"] in text
    for name, value in (v.split("=", 1) for v in unit_values("Environment")):
        if name == "GOVBOT_CHARTERS":
            assert value in text
