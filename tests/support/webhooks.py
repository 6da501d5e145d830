"""GitHub webhook deliveries for tests: real example payloads, signed as GitHub signs them.

Payloads start from GitHub's published examples (``tests/fakes/webhooks/examples.json``, from
the ``@octokit/webhooks-examples`` package) so the bot is tested on what GitHub really sends,
every field included; the builders only change what a test needs to name.

    payload = issue_payload("labeled", repo="org/rfcs", number=7, title="RFC", body="...",
                            sender="ada", labels=["rfc"], label="vote/open")
    body = encode(payload)
    requests.post(url, data=body, headers=headers("issues", body, secret))

The package has no ``issues``/``closed`` example: ``example("issues", "closed")`` is the
``reopened`` one (same schema) with its action, ``issue.state`` and ``issue.closed_at`` set as
a closing sets them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import urllib.parse
import uuid
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "fakes" / "webhooks" / "examples.json"
HOOKSHOT = "GitHub-Hookshot/6b02022"
DEFAULT_LABEL_COLOR = "ededed"


@functools.cache
def _stored() -> dict[tuple[str, str | None], dict[str, Any]]:
    data = json.loads(EXAMPLES.read_text())
    return {(e["event"], e["action"]): e["payload"] for e in data["examples"]}


def source() -> dict[str, str]:
    """Which package and version the examples come from."""
    return dict(json.loads(EXAMPLES.read_text())["source"])


def available() -> list[tuple[str, str | None]]:
    """Every ``(event, action)`` ``example`` can give, derived ones included."""
    return [*_stored(), *(k for k in _DERIVED if k not in _stored())]


def example(event: str, action: str | None = None) -> dict[str, Any]:
    """A deep copy of the stored example of ``event``/``action`` (None: events without one)."""
    stored = _stored()
    if (event, action) in stored:
        return copy.deepcopy(stored[(event, action)])
    if (event, action) in _DERIVED:
        return _DERIVED[(event, action)]()
    raise KeyError(f"no stored example for {event}/{action}; have {available()}")


def _closed_from_reopened() -> dict[str, Any]:
    """An ``issues``/``closed`` delivery: the ``reopened`` example, closed."""
    payload = example("issues", "reopened")
    payload["action"] = "closed"
    payload["issue"]["state"] = "closed"
    payload["issue"]["closed_at"] = payload["issue"]["updated_at"]
    return payload


_DERIVED: dict[tuple[str, str | None], Callable[[], dict[str, Any]]] = {
    ("issues", "closed"): _closed_from_reopened,
}


def _stable_id(text: str) -> int:
    return 10_000_000 + zlib.crc32(text.encode())


def user_id(login: str) -> int:
    """The id the builders give ``login`` unless told otherwise (``sender_id=``).

    Stable and distinct per login, so two people in one test never share the example's id.
    """
    return _stable_id(f"user:{login}")


def _set_user(user: dict[str, Any], login: str, kind: str, id_: int | None) -> None:
    user["login"] = login
    user["type"] = kind
    user["id"] = user_id(login) if id_ is None else id_


def _kind(login: str) -> str:
    return "Bot" if login.endswith("[bot]") else "User"


def _set_repository(payload: dict[str, Any], repo: str) -> None:
    owner, name = repo.split("/")
    payload["repository"]["full_name"] = repo
    payload["repository"]["name"] = name
    payload["repository"]["owner"]["login"] = owner


def _label_template(payload: dict[str, Any]) -> dict[str, Any]:
    """A label object shaped as this example shapes them (its keys, in its order)."""
    found = payload.get("label") or next(iter(payload["issue"].get("labels") or []), None)
    if found is None:
        found = example("issues", "labeled")["label"]
    return dict(found)


def _label(template: dict[str, Any], repo: str, name: str) -> dict[str, Any]:
    label = dict(template)
    id_ = _stable_id(f"label:{repo}:{name}")
    label.update(
        id=id_,
        node_id=f"LA_{id_}",
        url=f"https://api.github.com/repos/{repo}/labels/{urllib.parse.quote(name, safe='')}",
        name=name,
        color=DEFAULT_LABEL_COLOR,
        default=False,
    )
    if "description" in template:
        label["description"] = None
    return label


def _set_labels(payload: dict[str, Any], repo: str, names: Iterable[str]) -> None:
    template = _label_template(payload)
    payload["issue"]["labels"] = [_label(template, repo, name) for name in names]


def _set_installation(payload: dict[str, Any], installation: int | None) -> None:
    if installation is not None:
        payload["installation"] = {"id": installation, "node_id": f"IN_{installation}"}


def issue_payload(
    action: str,
    *,
    repo: str,
    number: int,
    title: str,
    body: str,
    sender: str,
    sender_type: str = "User",
    labels: Iterable[str] = (),
    label: str | None = None,
    state: str | None = None,
    author: str | None = None,
    sender_id: int | None = None,
    installation: int | None = None,
) -> dict[str, Any]:
    """An ``issues`` delivery built from the example of ``action``.

    ``labels`` are the issue's labels after the action: ``labeled`` adds ``label`` to them and
    ``unlabeled`` drops it, as GitHub reports them. ``state`` defaults to ``closed`` for the
    ``closed`` action, else ``open``. ``author`` (default: the sender) wrote the issue.
    ``installation`` adds the App installation block GitHub sends to Apps.
    """
    if (label is None) == (action in {"labeled", "unlabeled"}):
        raise ValueError(f"label= goes with labeled/unlabeled only, not {action!r}")
    payload = example("issues", action)
    _set_repository(payload, repo)
    issue = payload["issue"]
    issue["number"], issue["title"], issue["body"] = number, title, body
    writer = author or sender
    kind = sender_type if author is None else _kind(author)
    _set_user(issue["user"], writer, kind, sender_id if author is None else None)
    names = [n for n in labels if n != label]
    if action == "labeled" and label is not None:
        names.append(label)
    _set_labels(payload, repo, names)
    if label is not None:
        payload["label"] = _label(_label_template(payload), repo, label)
    issue["state"] = state or ("closed" if action == "closed" else "open")
    if issue["state"] == "closed":
        issue["closed_at"] = issue.get("closed_at") or issue["updated_at"]
    else:
        issue["closed_at"] = None
    _set_user(payload["sender"], sender, sender_type, sender_id)
    _set_installation(payload, installation)
    return payload


def comment_payload(
    action: str,
    *,
    repo: str,
    number: int,
    body: str,
    sender: str,
    comment_id: int,
    sender_type: str = "User",
    issue_labels: Iterable[str] = (),
    issue_title: str | None = None,
    previous_body: str | None = None,
    sender_id: int | None = None,
    installation: int | None = None,
) -> dict[str, Any]:
    """An ``issue_comment`` delivery built from the example of ``action``.

    The sender wrote the comment; ``issue_title`` None keeps the example's title;
    ``previous_body`` sets ``changes.body.from`` of an ``edited`` delivery.
    """
    if previous_body is not None and action != "edited":
        raise ValueError("previous_body= goes with the edited action only")
    payload = example("issue_comment", action)
    _set_repository(payload, repo)
    issue = payload["issue"]
    issue["number"] = number
    if issue_title is not None:
        issue["title"] = issue_title
    _set_labels(payload, repo, issue_labels)
    comment = payload["comment"]
    comment["id"], comment["body"] = comment_id, body
    _set_user(comment["user"], sender, sender_type, sender_id)
    if previous_body is not None:
        payload["changes"] = {"body": {"from": previous_body}}
    _set_user(payload["sender"], sender, sender_type, sender_id)
    _set_installation(payload, installation)
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    """The body as GitHub sends it: compact JSON, UTF-8, non-ASCII characters unescaped."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256``: HMAC-SHA256 of the raw body under the webhook secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def headers(
    event: str, body: bytes, secret: str | None, delivery: str | None = None
) -> dict[str, str]:
    """The headers of a delivery; ``secret`` None leaves it unsigned (no signature header).

    Reuse ``delivery`` to send a redelivery, which keeps GitHub's delivery id.
    """
    out = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "Content-Type": "application/json",
        "User-Agent": HOOKSHOT,
    }
    if secret is not None:
        out["X-Hub-Signature-256"] = sign(secret, body)
    return out
