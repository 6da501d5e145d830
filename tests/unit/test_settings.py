"""``bot.settings``: what ``govbot run`` reads from GOVBOT_ variables and ``.env``; its refusals.

Operators meet these messages first, so the first words of each refusal are pinned: they name
the variable to fix. Secrets must never come back, neither in a refusal nor in the summary.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import DEFAULT_API_URL, PREFIX, SECRETS, Settings, SettingsError, load

ROOT = Path(__file__).resolve().parents[2]
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "-----END RSA PRIVATE KEY-----\n"
)
TOKEN = "ghp_TOKENtokenTOKEN0123456789abcdefAB"
HOOK = "hook-SECRET-4f1c9b2e77d0"
APP = {
    "GOVBOT_GITHUB_APP_ID": "12345",
    "GOVBOT_GITHUB_PRIVATE_KEY": PEM,
    "GOVBOT_GITHUB_INSTALLATION_ID": "678",
}
SERVICE = {"GOVBOT_GITHUB_REPO": "omi/rfcs", "GOVBOT_GITHUB_WEBHOOK_SECRET": HOOK}


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GOVBOT_ variable from the machine, and a working directory without a ``.env``:
    ``load()`` without a mapping reads both."""
    for name in list(os.environ):
        if name.upper().startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refusal(environ: dict[str, str]) -> str:
    """The one line ``load`` refuses ``environ`` with."""
    with pytest.raises(SettingsError) as caught:
        load(environ)
    return str(caught.value)


def service_refusal(environ: dict[str, str]) -> str:
    """The one line ``check_for_service`` refuses consistent but incomplete settings with."""
    settings = load(environ)
    with pytest.raises(SettingsError) as caught:
        settings.check_for_service()
    return str(caught.value)


# --- defaults and names -----------------------------------------------------------------------


def test_nothing_set_is_the_embedded_default() -> None:
    settings = load({})
    assert settings.database_url == "govbot.db"
    assert settings.charters == ROOT / "charters"  # the bundled example foundation
    assert (settings.charters / "foundation.yaml").is_file()
    assert settings.docs_dir == Path("govbot-docs")
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.github_api_url == DEFAULT_API_URL
    assert (settings.docs_debounce, settings.docs_max_delay) == (5.0, 60.0)
    assert settings.reconcile_window_days == 7.0
    assert settings.log_level == "INFO"
    for name in SECRETS | {"github_app_id", "github_installation_id", "github_repo"}:
        assert getattr(settings, name) is None, name
    assert not settings.github_enabled
    assert settings.github_client() is None
    settings.check_for_service()  # the embedded default is a complete configuration


def test_every_setting_is_read_from_its_prefixed_name() -> None:
    settings = load(
        {
            "GOVBOT_DATABASE_URL": "postgresql+psycopg://govbot@db/govbot",
            "GOVBOT_CHARTERS": "/srv/charters",
            "GOVBOT_DOCS_DIR": "/srv/docs",
            "GOVBOT_HTTP_HOST": "0.0.0.0",
            "GOVBOT_HTTP_PORT": "9090",
            "GOVBOT_GITHUB_TOKEN": TOKEN,
            "GOVBOT_GITHUB_API_URL": "https://ghe.example.org/api/v3",
            "GOVBOT_DISCORD_TOKEN": "discord-token",
            "GOVBOT_DOCS_DEBOUNCE": "0.5",
            "GOVBOT_DOCS_MAX_DELAY": "10",
            "GOVBOT_RECONCILE_WINDOW_DAYS": "1.5",
            "GOVBOT_LOG_LEVEL": "DEBUG",
        }
        | SERVICE
    )
    assert settings.database_url == "postgresql+psycopg://govbot@db/govbot"
    assert settings.charters == Path("/srv/charters") and settings.docs_dir == Path("/srv/docs")
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 9090)
    assert settings.github_repo == "omi/rfcs"
    assert settings.github_api_url == "https://ghe.example.org/api/v3"
    assert isinstance(settings.github_token, SecretStr)
    assert settings.github_token.get_secret_value() == TOKEN
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.get_secret_value() == HOOK
    assert (settings.docs_debounce, settings.docs_max_delay) == (0.5, 10.0)
    assert (settings.reconcile_window_days, settings.log_level) == (1.5, "DEBUG")
    assert settings.github_enabled
    settings.check_for_service()


def test_only_prefixed_names_count() -> None:
    """Other programs' variables (PORT, DATABASE_URL, GITHUB_TOKEN) are not govbot's."""
    settings = load(
        {
            "HTTP_PORT": "1",
            "PORT": "2",
            "DATABASE_URL": "elsewhere.db",
            "GITHUB_TOKEN": TOKEN,
            "GOVBOT_NOT_A_SETTING": "x",
            "XGOVBOT_HTTP_PORT": "3",
        }
    )
    assert settings.http_port == 8080 and settings.database_url == "govbot.db"
    assert settings.github_token is None and not settings.github_enabled


def test_empty_values_are_unset() -> None:
    """``GOVBOT_GITHUB_TOKEN=`` in a template means "not used", never an empty credential."""
    settings = load(
        {
            "GOVBOT_GITHUB_TOKEN": "",
            "GOVBOT_GITHUB_WEBHOOK_SECRET": "",
            "GOVBOT_GITHUB_REPO": "",
            "GOVBOT_GITHUB_APP_ID": "",
            "GOVBOT_HTTP_PORT": "",
            "GOVBOT_LOG_LEVEL": "",
        }
    )
    assert settings.github_token is None and settings.github_app_id is None
    assert settings.github_webhook_secret is None and settings.github_repo is None
    assert (settings.http_port, settings.log_level) == (8080, "INFO")
    settings.check_for_service()


# --- the environment and .env -----------------------------------------------------------------


def test_a_dotenv_file_is_read_when_no_mapping_is_given(clean_environ: Path) -> None:
    env_file = clean_environ / "govbot.env"
    env_file.write_text(
        "# written by an operator\n"
        "GOVBOT_HTTP_PORT=9191\n"
        f"GOVBOT_GITHUB_TOKEN={TOKEN}\n"
        "GOVBOT_GITHUB_REPO=omi/rfcs\n"
        f"GOVBOT_GITHUB_WEBHOOK_SECRET='{HOOK}'\n"
        "GOVBOT_DISCORD_TOKEN=\n"
        "UNRELATED=1\n"
    )
    settings = load(env_file=str(env_file))
    assert settings.http_port == 9191 and settings.github_repo == "omi/rfcs"
    assert settings.github_token is not None and settings.github_token.get_secret_value() == TOKEN
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.get_secret_value() == HOOK
    assert settings.discord_token is None  # empty in the file: unset
    settings.check_for_service()


def test_the_environment_wins_over_the_dotenv_file(
    clean_environ: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environ / ".env").write_text("GOVBOT_HTTP_PORT=9191\nGOVBOT_LOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("GOVBOT_HTTP_PORT", "9292")
    monkeypatch.setenv("GOVBOT_LOG_LEVEL", "")  # empty: unset, so the file's value holds
    settings = load()  # the default: ./.env
    assert (settings.http_port, settings.log_level) == (9292, "DEBUG")


def test_without_an_env_file_only_the_environment_counts(clean_environ: Path) -> None:
    (clean_environ / ".env").write_text("GOVBOT_HTTP_PORT=9191\n")
    assert load(env_file=None).http_port == 8080
    assert load(env_file=str(clean_environ / "missing.env")).http_port == 8080


def test_a_wrong_value_in_the_dotenv_file_is_refused_by_name(clean_environ: Path) -> None:
    (clean_environ / ".env").write_text("GOVBOT_HTTP_PORT=eighty\n")
    with pytest.raises(SettingsError, match=r"^GOVBOT_HTTP_PORT: Input should be a valid integer"):
        load()


# --- the App's private key ----------------------------------------------------------------------


def test_the_private_key_is_read_from_the_file_it_names(tmp_path: Path) -> None:
    key = tmp_path / "govbot.private-key.pem"
    key.write_text(PEM)
    settings = load(APP | {"GOVBOT_GITHUB_PRIVATE_KEY": str(key)})
    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == PEM
    assert settings.github_enabled


def test_the_private_key_path_may_start_with_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "key.pem").write_text(PEM)
    settings = load(APP | {"GOVBOT_GITHUB_PRIVATE_KEY": "~/key.pem"})
    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == PEM


@pytest.mark.parametrize("text", [PEM, PEM.replace("\n", "\\n")], ids=["multi-line", "escaped"])
def test_pem_text_is_kept_as_given(text: str) -> None:
    settings = load(APP | {"GOVBOT_GITHUB_PRIVATE_KEY": text})
    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == text


def test_a_missing_key_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    line = refusal(APP | {"GOVBOT_GITHUB_PRIVATE_KEY": str(missing)})
    assert line.startswith("GOVBOT_GITHUB_PRIVATE_KEY: is neither PEM text nor the path")
    assert f"({missing} does not exist)" in line


def test_a_long_value_that_is_no_key_is_refused_without_repeating_it() -> None:
    """A key body pasted without its BEGIN line is still secret: never echoed, never a trace.

    Fails today: ``Path.is_file`` raises OSError (ENAMETOOLONG) for a value over 255 bytes,
    which is not a ValueError, so it escapes pydantic and ``load`` with the value in it.
    """
    body = "MIIEpAIBAAKCAQEA" + "q" * 400
    line = refusal(APP | {"GOVBOT_GITHUB_PRIVATE_KEY": body})
    assert line.startswith("GOVBOT_GITHUB_PRIVATE_KEY: is neither PEM text nor the path")
    assert "qqqqqqqq" not in line


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "first_words"),
    [
        ({"GOVBOT_HTTP_PORT": "abc"}, "GOVBOT_HTTP_PORT: Input should be a valid integer"),
        ({"GOVBOT_HTTP_PORT": "65536"}, "GOVBOT_HTTP_PORT: Input should be less than or equal"),
        ({"GOVBOT_HTTP_PORT": "-1"}, "GOVBOT_HTTP_PORT: Input should be greater than or equal"),
        ({"GOVBOT_GITHUB_REPO": "rfcs"}, "GOVBOT_GITHUB_REPO: String should match pattern"),
        ({"GOVBOT_GITHUB_REPO": "a/b/c"}, "GOVBOT_GITHUB_REPO: String should match pattern"),
        ({"GOVBOT_GITHUB_API_URL": "api.github.com"}, "GOVBOT_GITHUB_API_URL: String should"),
        ({"GOVBOT_LOG_LEVEL": "TRACE"}, "GOVBOT_LOG_LEVEL: String should match pattern"),
        ({"GOVBOT_DISCORD_API_URL": "discord.com"}, "GOVBOT_DISCORD_API_URL: String should"),
        (
            {"GOVBOT_DISCORD_GATEWAY_URL": "https://gateway.discord.gg"},
            "GOVBOT_DISCORD_GATEWAY_URL: String should",
        ),
        ({"GOVBOT_DOCS_DEBOUNCE": "0"}, "GOVBOT_DOCS_DEBOUNCE: Input should be greater than 0"),
        ({"GOVBOT_DOCS_MAX_DELAY": "-5"}, "GOVBOT_DOCS_MAX_DELAY: Input should be greater than"),
        ({"GOVBOT_RECONCILE_WINDOW_DAYS": "nan"}, "GOVBOT_RECONCILE_WINDOW_DAYS: Input should"),
        ({"GOVBOT_GITHUB_APP_ID": "zero"}, "GOVBOT_GITHUB_APP_ID: Input should be a valid integer"),
        ({"GOVBOT_GITHUB_INSTALLATION_ID": "0"}, "GOVBOT_GITHUB_INSTALLATION_ID: Input should be"),
        (
            {"GOVBOT_GITHUB_TOKEN": TOKEN} | APP,
            "GOVBOT_GITHUB_TOKEN and GitHub App settings are both set; keep one way",
        ),
        (
            {"GOVBOT_GITHUB_APP_ID": "12345"},
            "GitHub App settings incomplete: set GOVBOT_GITHUB_PRIVATE_KEY and "
            "GOVBOT_GITHUB_INSTALLATION_ID",
        ),
        (
            {"GOVBOT_GITHUB_PRIVATE_KEY": PEM},
            "GitHub App settings incomplete: set GOVBOT_GITHUB_APP_ID and "
            "GOVBOT_GITHUB_INSTALLATION_ID",
        ),
    ],
)
def test_each_wrong_setting_is_refused_in_one_line_naming_it(
    environ: dict[str, str], first_words: str
) -> None:
    line = refusal(environ)
    assert line.startswith(first_words), line
    assert "\n" not in line


@pytest.mark.parametrize(
    "name", ["GOVBOT_DOCS_DEBOUNCE", "GOVBOT_DOCS_MAX_DELAY", "GOVBOT_RECONCILE_WINDOW_DAYS"]
)
def test_an_infinite_duration_is_refused(name: str) -> None:
    """``gt=0`` lets ``inf`` through, and ``timedelta(seconds=inf)`` then fails at startup
    with a traceback (OverflowError) instead of one line naming the variable."""
    assert refusal({name: "inf"}).startswith(f"{name}: ")


@pytest.mark.parametrize(
    ("environ", "first_words"),
    [
        (
            {"GOVBOT_GITHUB_TOKEN": TOKEN, "GOVBOT_GITHUB_WEBHOOK_SECRET": HOOK},
            "GOVBOT_GITHUB_REPO is not set; write owner/name",
        ),
        (
            APP | {"GOVBOT_GITHUB_WEBHOOK_SECRET": HOOK},
            "GOVBOT_GITHUB_REPO is not set; write owner/name",
        ),
        (
            {"GOVBOT_GITHUB_TOKEN": TOKEN, "GOVBOT_GITHUB_REPO": "omi/rfcs"},
            "GOVBOT_GITHUB_WEBHOOK_SECRET is not set; set it to the secret",
        ),
        (
            {"GOVBOT_GITHUB_REPO": "omi/rfcs"},
            "GOVBOT_GITHUB_REPO set without GitHub credentials; set GOVBOT_GITHUB_TOKEN or",
        ),
        (
            {"GOVBOT_GITHUB_WEBHOOK_SECRET": HOOK},
            "GOVBOT_GITHUB_WEBHOOK_SECRET set without GitHub credentials",
        ),
        (
            SERVICE,
            "GOVBOT_GITHUB_REPO and GOVBOT_GITHUB_WEBHOOK_SECRET set without GitHub credentials",
        ),
    ],
)
def test_the_service_needs_github_all_or_nothing(environ: dict[str, str], first_words: str) -> None:
    line = service_refusal(environ)
    assert line.startswith(first_words), line
    assert "\n" not in line and HOOK not in line and TOKEN not in line


@pytest.mark.parametrize(
    "environ", [{"GOVBOT_GITHUB_TOKEN": TOKEN} | SERVICE, APP | SERVICE], ids=["token", "app"]
)
def test_a_complete_github_configuration_is_accepted(environ: dict[str, str]) -> None:
    settings = load(environ)
    settings.check_for_service()
    assert settings.github_enabled


def test_a_refusal_never_repeats_the_value_given() -> None:
    """pydantic's ``input_value`` is left out: a value in the wrong variable may be a secret."""
    line = refusal({"GOVBOT_HTTP_PORT": TOKEN})
    assert line.startswith("GOVBOT_HTTP_PORT: ") and TOKEN not in line


# --- the startup summary ------------------------------------------------------------------------


def test_the_summary_names_every_setting_and_shows_secrets_only_as_set(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text(PEM)
    secrets = {
        "GOVBOT_GITHUB_WEBHOOK_SECRET": HOOK,
        "GOVBOT_DISCORD_TOKEN": "discord-SECRET-MTIzNDU2Nzg5",
        "GOVBOT_GITHUB_PRIVATE_KEY": str(key),
    }
    summary = load(APP | SERVICE | secrets).summary()
    assert "\n" not in summary
    names = [part.split("=", 1)[0] for part in summary.split(" ")]
    assert names == [f"{PREFIX}{name.upper()}" for name in Settings.model_fields]
    for name in SECRETS - {"github_token"}:
        assert f"{PREFIX}{name.upper()}=set" in summary
    assert "GOVBOT_GITHUB_TOKEN=unset" in summary
    assert "GOVBOT_GITHUB_REPO=omi/rfcs" in summary and "GOVBOT_GITHUB_APP_ID=12345" in summary
    for value in (HOOK, "discord-SECRET", "MIIBOgIBAAJBAKj34", "PRIVATE KEY"):
        assert value not in summary, value
    token_summary = load({"GOVBOT_GITHUB_TOKEN": TOKEN} | SERVICE).summary()
    assert "GOVBOT_GITHUB_TOKEN=set" in token_summary and TOKEN not in token_summary


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    """A settings object logged or shown in a traceback keeps its secrets masked."""
    settings = load(APP | SERVICE | {"GOVBOT_DISCORD_TOKEN": "discord-SECRET-MTIz"})
    shown = repr(settings) + str(settings)
    for value in (HOOK, "discord-SECRET", "MIIBOgIBAAJBAKj34"):
        assert value not in shown


def test_the_summary_masks_the_database_password() -> None:
    settings = load({"GOVBOT_DATABASE_URL": "postgresql+psycopg://govbot:hunter2@db.example/gov"})
    assert "hunter2" not in settings.summary()
    assert (
        "GOVBOT_DATABASE_URL=postgresql+psycopg://govbot:***@db.example/gov" in settings.summary()
    )
    assert load({"GOVBOT_DATABASE_URL": "/var/lib/govbot/govbot.db"}).database_shown == (
        "/var/lib/govbot/govbot.db"
    )
