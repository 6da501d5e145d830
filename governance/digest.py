"""The charters' fingerprint: one hash over every file govbot reads from the charters directory.

Kept apart from ``governance.charters`` so the console can tell "nothing changed" by hashing a
few files, without importing the YAML and validation machinery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

FOUNDATION_FILE = "foundation.yaml"
PEOPLE_FILE = "people.yaml"
IGNORED_MARKDOWN = frozenset({"readme.md"})


def charter_files(directory: Path) -> list[Path]:
    """The files a load reads: foundation.yaml, people.yaml and every group charter."""
    groups = [
        path
        for path in directory.glob("*.md")
        if path.is_file() and path.name.lower() not in IGNORED_MARKDOWN
    ]
    fixed = [directory / FOUNDATION_FILE, directory / PEOPLE_FILE]
    return sorted([p for p in fixed if p.is_file()] + groups)


def combine(file_hashes: Mapping[str, str]) -> str:
    """One hash over the files' names and SHA-256 hashes, in name order."""
    text = "".join(f"{name}\0{sha}\n" for name, sha in sorted(file_hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def charters_digest(directory: Path) -> str:
    """The fingerprint of a charters directory as it is on disk now."""
    return combine(
        {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in charter_files(directory)
        }
    )
