"""The service's settings: from the environment or a ``.env`` file, every name prefixed GOVBOT_.

A missing or wrong setting stops startup with one line naming the variable and what to write;
secrets are ``SecretStr`` and are never printed, neither in errors nor in the startup summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

if TYPE_CHECKING:
    from github import Github

PREFIX = "GOVBOT_"
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"
DEFAULT_DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
REPO_PATTERN = r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"
SECRETS = frozenset(
    {"github_webhook_secret", "github_token", "github_private_key", "discord_token"}
)


class SettingsError(ValueError):
    """One line saying which setting is missing or wrong, and what to write."""


def _bundled_charters() -> Path:
    return Path(__file__).resolve().parent.parent / "charters"


class Settings(BaseSettings):
    """Everything ``govbot run`` needs; unset GitHub settings mean the embedded default."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    database_url: str = Field(
        default="govbot.db", description="SQLite file path, or a SQLAlchemy URL (PostgreSQL)."
    )
    charters: Path = Field(default_factory=_bundled_charters, description="Charters directory.")
    docs_dir: Path = Field(
        default=Path("govbot-docs"),
        description="Local docs repository, used when no GitHub credentials are set.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the web server binds.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="Port (0: any free port).")
    github_webhook_secret: SecretStr | None = Field(
        default=None, description="The secret set on the GitHub webhook."
    )
    github_token: SecretStr | None = Field(default=None, description="A personal access token.")
    github_app_id: int | None = Field(default=None, ge=1, description="A GitHub App's id.")
    github_private_key: SecretStr | None = Field(
        default=None, description="The App's private key: PEM text, or the path of the .pem file."
    )
    github_installation_id: int | None = Field(
        default=None, ge=1, description="The App's installation id on the foundation's account."
    )
    github_repo: str | None = Field(
        default=None,
        pattern=REPO_PATTERN,
        description="owner/name of the repository whose issues carry RFCs.",
    )
    github_api_url: str = Field(
        default=DEFAULT_API_URL,
        pattern=r"^https?://\S+$",
        description="REST root: https://api.github.com, or https://HOST/api/v3 (Enterprise).",
    )
    discord_token: SecretStr | None = Field(default=None, description="The Discord bot token.")
    discord_api_url: str = Field(
        default=DEFAULT_DISCORD_API_URL,
        pattern=r"^https?://\S+$",
        description="Discord's REST root (a local stand-in's, for testing).",
    )
    discord_gateway_url: str = Field(
        default=DEFAULT_DISCORD_GATEWAY_URL,
        pattern=r"^wss?://\S+$",
        description="Discord's gateway (a local stand-in's, for testing).",
    )
    docs_debounce: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="Seconds of quiet before the docs are published (at most an hour).",
    )
    docs_max_delay: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        allow_inf_nan=False,
        description="Longest wait, in seconds, after the first change (at most a day).",
    )
    reconcile_window_days: float = Field(
        default=7.0,
        gt=0,
        le=90,
        allow_inf_nan=False,
        description="On the first start, how far back GitHub comments are read to catch up.",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("github_private_key")
    @classmethod
    def _key_from_file(cls, value: SecretStr | None) -> SecretStr | None:
        """A value that names an existing file is read: keys are usually kept as .pem files."""
        if value is None:
            return None
        text = value.get_secret_value().strip()
        if text and "BEGIN" not in text and "\n" not in text:
            problem = "is neither PEM text nor the path of a readable .pem file"
            try:
                path = Path(text).expanduser()
                if not path.is_file():
                    looks_like_path = len(text) < 300 and ("/" in text or text.endswith(".pem"))
                    raise ValueError(
                        problem + (f" ({path} does not exist)" if looks_like_path else "")
                    )
                return SecretStr(path.read_text())
            except (OSError, UnicodeDecodeError):  # a name too long, a file not readable
                raise ValueError(problem) from None
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> Settings:
        """One way of signing in to GitHub: a token, or all three App settings."""
        app = {
            "GOVBOT_GITHUB_APP_ID": self.github_app_id,
            "GOVBOT_GITHUB_PRIVATE_KEY": self.github_private_key,
            "GOVBOT_GITHUB_INSTALLATION_ID": self.github_installation_id,
        }
        given = [name for name, value in app.items() if value is not None]
        if self.github_token is not None and given:
            raise ValueError(
                "GOVBOT_GITHUB_TOKEN and GitHub App settings are both set; keep one way of "
                "signing in"
            )
        if given and len(given) < len(app):
            missing = " and ".join(name for name in app if name not in given)
            raise ValueError(f"GitHub App settings incomplete: set {missing}")
        return self

    def check_for_service(self) -> None:
        """What ``govbot run`` needs beyond consistent settings: GitHub is all or nothing.

        With credentials, the watched repository and the webhook secret are required too;
        without them, neither may be set (a half-configured GitHub is a mistake, not a choice).
        """
        if not self.github_enabled:
            extra = [
                name
                for name, value in (
                    ("GOVBOT_GITHUB_REPO", self.github_repo),
                    ("GOVBOT_GITHUB_WEBHOOK_SECRET", self.github_webhook_secret),
                )
                if value is not None
            ]
            if extra:
                raise SettingsError(
                    f"{' and '.join(extra)} set without GitHub credentials; set "
                    "GOVBOT_GITHUB_TOKEN or the App's GOVBOT_GITHUB_APP_ID, "
                    "GOVBOT_GITHUB_PRIVATE_KEY and GOVBOT_GITHUB_INSTALLATION_ID"
                )
            return
        if self.github_repo is None:
            raise SettingsError(
                "GOVBOT_GITHUB_REPO is not set; write owner/name of the repository whose "
                "issues carry RFCs"
            )
        secret = self.github_webhook_secret
        if secret is None or not secret.get_secret_value().strip():
            raise SettingsError(
                "GOVBOT_GITHUB_WEBHOOK_SECRET is not set; set it to the secret of the GitHub "
                "webhook (unsigned deliveries are never trusted)"
            )

    def github_client(self) -> Github | None:
        """The PyGithub client these settings sign in with; None without credentials."""
        if not self.github_enabled:
            return None
        from bot.github.auth import GitHubAuthError, github_client

        def secret(value: SecretStr | None) -> str | None:
            return None if value is None else value.get_secret_value()

        try:
            return github_client(
                base_url=self.github_api_url,
                token=secret(self.github_token),
                app_id=self.github_app_id,
                private_key=secret(self.github_private_key),
                installation_id=self.github_installation_id,
            )
        except GitHubAuthError as error:
            raise SettingsError(f"GitHub settings: {error}") from None

    @property
    def github_enabled(self) -> bool:
        """Whether GitHub credentials are set (otherwise: the embedded default)."""
        return self.github_token is not None or self.github_app_id is not None

    @property
    def discord_enabled(self) -> bool:
        """Whether a Discord bot token is set (then the Discord client runs too)."""
        return self.discord_token is not None

    @property
    def database_shown(self) -> str:
        """The record's URL with its password masked, fit for logs and messages."""
        if "://" not in self.database_url:
            return self.database_url
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            return "(a URL that does not parse)"

    def summary(self) -> str:
        """One line for the log: what is configured, secrets shown only as 'set'."""
        parts = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRETS:
                shown = "set" if value is not None else "unset"
            elif name == "database_url":
                shown = self.database_shown
            else:
                shown = "unset" if value is None else str(value)
            parts.append(f"{PREFIX}{name.upper()}={shown}")
        return " ".join(parts)


class _Given(Settings):
    """Settings from a mapping only (tests, and callers that already read the environment)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given."""
        return (init_settings,)


def load(environ: Mapping[str, str] | None = None, *, env_file: str | None = ".env") -> Settings:
    """Read the settings, turning pydantic's report into one line per the first problem."""
    try:
        if environ is None:
            return Settings(_env_file=env_file)
        values: dict[str, Any] = {
            key[len(PREFIX) :].lower(): value
            for key, value in environ.items()
            if key.startswith(PREFIX)
            and key[len(PREFIX) :].lower() in Settings.model_fields
            and value != ""
        }
        return _Given(**values)
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None


def _one_line(error: ValidationError) -> str:
    """The first problem, naming the variable; a secret's value is never repeated."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not location:
        return message
    name = f"{PREFIX}{location[0].upper()}"
    return f"{name}: {message}"
