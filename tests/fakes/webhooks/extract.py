"""Extract, from GitHub's published webhook examples, the deliveries the bot's tests replay.

The bot's tests POST real example payloads, not hand-written ones: the ``@octokit/webhooks-
examples`` npm package republishes the examples of GitHub's webhook documentation. This keeps
ONE example per wanted ``(event, action)``, exactly as published (no field trimmed), and records
the wanted ones the package lacks (it has no ``issues``/``closed`` example; see
``tests/support/webhooks.py`` for how one is made from ``reopened``).

Regenerate from the repository root:

    tmp=$(mktemp -d) && (cd "$tmp" && npm pack @octokit/webhooks-examples@7.6.1) \\
        && python3 -m tests.fakes.webhooks.extract "$tmp/octokit-webhooks-examples-7.6.1.tgz"; \\
        rm -rf "$tmp"

It writes ``tests/fakes/webhooks/examples.json`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

EXAMPLES_MEMBER = "package/api.github.com/index.json"
PACKAGE_MEMBER = "package/package.json"
OUTPUT = Path(__file__).with_name("examples.json")
# What the bot receives: (event, action); None for events without actions.
WANTED: tuple[tuple[str, str | None], ...] = (
    ("ping", None),
    ("issues", "opened"),
    ("issues", "edited"),
    ("issues", "labeled"),
    ("issues", "unlabeled"),
    ("issues", "closed"),
    ("issues", "reopened"),
    ("issue_comment", "created"),
    ("issue_comment", "edited"),
    ("issue_comment", "deleted"),
    ("push", None),
    ("installation", "created"),
)


def load(source: Path) -> tuple[list[dict[str, Any]], str]:
    """The webhook definitions and the package version, from the npm tarball."""
    with tarfile.open(source) as tar:
        examples = tar.extractfile(EXAMPLES_MEMBER)
        package = tar.extractfile(PACKAGE_MEMBER)
        if examples is None or package is None:
            raise SystemExit(f"{source} has no {EXAMPLES_MEMBER}")
        return json.load(examples), json.load(package)["version"]


def rank(event: str, payload: dict[str, Any]) -> int:
    """Lower is better: an issue that is not a pull request; a push of commits to a branch."""
    issue = payload.get("issue")
    if isinstance(issue, dict) and "pull_request" in issue:
        return 2
    branch_commits = str(payload.get("ref", "")).startswith("refs/heads/") and payload["commits"]
    if event == "push" and not branch_commits:
        return 1
    return 0


def choose(
    definitions: list[dict[str, Any]], event: str, action: str | None
) -> tuple[int, dict[str, Any]] | None:
    """The best example of ``event``/``action`` and its index in the package's list."""
    found = next((d for d in definitions if d["name"] == event), None)
    if found is None:
        raise SystemExit(f"the package has no {event!r} event")
    candidates = [
        (rank(event, payload), index, payload)
        for index, payload in enumerate(found["examples"])
        if payload.get("action") == action
    ]
    if not candidates:
        return None
    _, index, payload = min(candidates, key=lambda c: (c[0], c[1]))
    return index, payload


def extract(definitions: list[dict[str, Any]]) -> dict[str, Any]:
    """The chosen examples in ``WANTED`` order, and the wanted ones the package lacks."""
    examples: list[dict[str, Any]] = []
    missing: list[list[str | None]] = []
    for event, action in WANTED:
        chosen = choose(definitions, event, action)
        if chosen is None:
            missing.append([event, action])
            continue
        index, payload = chosen
        examples.append({"event": event, "action": action, "index": index, "payload": payload})
    return {"examples": examples, "missing": missing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="octokit-webhooks-examples-*.tgz")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    definitions, version = load(args.source)
    out = {
        "source": {
            "package": "@octokit/webhooks-examples",
            "version": version,
            "file": EXAMPLES_MEMBER.removeprefix("package/"),
        },
        **extract(definitions),
    }
    args.output.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({len(out['examples'])} examples, {size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
