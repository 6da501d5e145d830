"""The PyGithub client govbot uses, built from its settings: a personal token or a GitHub App.

PyGithub's own retries and request throttling are turned off: a failed call surfaces at once and
the outbox, which knows what is queued and how long GitHub asked it to wait, decides when to try
again.

A GitHub App authenticates as one installation. PyGithub's ``AppInstallationAuth`` signs a JWT
with the app's key, exchanges it for an installation token when the first request needs one, and
on every later request asks for a new token once the cached one is within
``github.Auth.ACCESS_TOKEN_REFRESH_THRESHOLD_SECONDS`` (20 s) of its ``expires_at``; so tokens are
replaced before they expire as long as a request is sent within that margin, which the short
``TIMEOUT`` keeps true. Nothing here caches tokens of its own.
"""

from __future__ import annotations

from github import Auth, Github, GithubIntegration

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT = 10
"""Seconds per connect or read: well inside the 20 s margin before an installation token expires."""
USER_AGENT = "govbot"


class GitHubAuthError(ValueError):
    """The GitHub settings are incomplete or contradictory; the message says which to set."""


def github_client(
    *,
    base_url: str = DEFAULT_API_URL,
    token: str | None = None,
    app_id: int | str | None = None,
    private_key: str | None = None,
    installation_id: int | str | None = None,
    timeout: int = TIMEOUT,
) -> Github:
    """A client authenticated by a personal token, or by a GitHub App installation.

    ``base_url`` is the REST root: ``https://api.github.com``, or ``https://HOST/api/v3`` for
    GitHub Enterprise Server. Objects it returns are lazy: nothing is fetched until read.
    """
    return Github(
        auth=credentials(
            token=token, app_id=app_id, private_key=private_key, installation_id=installation_id
        ),
        base_url=base_url.rstrip("/"),
        timeout=timeout,
        user_agent=USER_AGENT,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )


def credentials(
    *,
    token: str | None = None,
    app_id: int | str | None = None,
    private_key: str | None = None,
    installation_id: int | str | None = None,
) -> Auth.Token | Auth.AppInstallationAuth:
    """The PyGithub authentication for exactly one of the two ways of signing in."""
    app_settings = {
        "app id": app_id,
        "app private key": private_key,
        "app installation id": installation_id,
    }
    given = [name for name, value in app_settings.items() if value not in (None, "")]
    if token and given:
        raise GitHubAuthError(
            "both a GitHub token and GitHub App settings are set; keep one way of signing in"
        )
    if token:
        return Auth.Token(token)
    if not given:
        raise GitHubAuthError(
            "no GitHub credentials: set a token, or a GitHub App's app id, private key and"
            " installation id"
        )
    missing = [name for name in app_settings if name not in given]
    if missing:
        raise GitHubAuthError(f"GitHub App settings incomplete: set the {' and '.join(missing)}")
    assert app_id is not None and private_key is not None and installation_id is not None
    pem = _pem(private_key)
    try:
        installation = int(installation_id)
    except ValueError:
        raise GitHubAuthError(
            f"the GitHub App installation id must be a number, not {installation_id!r}"
        ) from None
    return Auth.AppAuth(str(app_id), pem).get_installation_auth(installation)


def _pem(private_key: str) -> str:
    r"""The key as PEM text, checked now so a bad key is reported at startup, not at first use.

    Keys pasted into one-line environment variables often carry ``\n`` for their line breaks.
    """
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = private_key.strip()
    if "\n" not in pem and "\\n" in pem:
        pem = pem.replace("\\n", "\n")
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise GitHubAuthError(
            "the GitHub App private key is not an unencrypted PEM private key (the .pem file"
            f" GitHub gave when the key was generated): {error}"
        ) from None
    return pem + "\n"


def app_login(
    *, base_url: str = DEFAULT_API_URL, app_id: int | str, private_key: str, timeout: int = TIMEOUT
) -> str:
    """The login a GitHub App acts as (``<slug>[bot]``), read with the App's own JWT."""
    integration = GithubIntegration(
        auth=Auth.AppAuth(str(app_id), _pem(private_key)),
        base_url=base_url.rstrip("/"),
        timeout=timeout,
        user_agent=USER_AGENT,
        retry=None,
    )
    return f"{integration.get_app().slug}[bot]"
