"""The record as a docs tree: ``{path: Markdown}``, the same bytes for the same record.

``render_docs(session)`` renders every page; ``render_docs(session, scope)`` renders the indexes
and only the RFCs, elections and groups in scope, which is what a publication after a few
changes needs. ``scope_of`` works the scope out from ledger entries. The ledger's own files
(``ledger/YYYY-MM.jsonl`` and ``ledger/verify.py``) have a scope of their own, by month: entries
never change, so only the months new entries fall in are written again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Session

from governance.render.ledger_files import VERIFY_PATH, ledger_files, month_in, month_of
from governance.render.pages import FIXED_PAGES, election_path, group_path, is_page, rfc_path
from governance.render.record import Scope, load

__all__ = [
    "FIXED_PAGES",
    "Scope",
    "covers",
    "election_path",
    "group_path",
    "is_page",
    "month_of",
    "render_docs",
    "rfc_path",
    "scope_of",
]

RFC_SUBJECT = re.compile(r"^RFC-(\d+)$")
ELECTION_SUBJECT = re.compile(r"^E-(\d+)$")
NUMBERED = re.compile(r"^(rfcs|elections)/(\d+)-")
GROUP_PAGE = re.compile(r"^groups/([a-z0-9-]+)/README\.md$")


def render_docs(
    session: Session, scope: Scope | None = None, months: Iterable[str] | None = None
) -> dict[str, str]:
    """Render the pages in ``scope`` (all of them when None), keyed by path in the docs root.

    With them come ``ledger/verify.py`` and the ledger's files of ``months`` (``2027-03``;
    every month when None).
    """
    from governance.render.pages import pages_in

    record = load(session, scope)
    pages: dict[str, str] = {}
    for path, text in [*pages_in(record), *ledger_files(session, months).items()]:
        if not is_page(path):
            raise ValueError(f"refusing to write {path!r}: not a docs page path")
        pages[path] = text
    return pages


BALLOT_ACTIONS = frozenset({"ballot.cast", "election.ranked"})
OWN_PAGE_ACTIONS = BALLOT_ACTIONS | {"vote.reminded", "rfc.thread-linked"}
"""Entries shown on their own RFC's or election's page only, never on an index or group page."""
LEDGER_ONLY_ACTIONS = frozenset({"person.link-started", "person.registered"})
"""Entries no page shows but the ledger's: a code was asked for (the code itself is secret); a
member registered through Discord (someone new, in no group, so on no page until they act,
and that act is an entry of its own)."""


def scope_of(entries: Iterable[tuple[str, str]], group_slugs: Iterable[str]) -> Scope | None:
    """The pages a batch of ledger entries ``(subject, action)`` touches; None for everything.

    RFC and election subjects touch their own page, their group's and the indexes; a batch of
    ballots, reminders and thread links only touches the pages of their RFCs and elections. A
    group subject touches the group's page; anything else (a person, the charters) may show on
    any page.
    """
    slugs = set(group_slugs)
    rfcs: set[int] = set()
    elections: set[int] = set()
    groups: set[str] = set()
    indexes = False
    for subject, action in entries:
        if action in LEDGER_ONLY_ACTIONS:
            continue
        indexes = indexes or action not in OWN_PAGE_ACTIONS
        if match := RFC_SUBJECT.match(subject):
            rfcs.add(int(match.group(1)))
        elif match := ELECTION_SUBJECT.match(subject):
            elections.add(int(match.group(1)))
        elif subject in slugs:
            groups.add(subject)
        else:
            return None
    return Scope(frozenset(rfcs), frozenset(elections), frozenset(groups), indexes)


def covers(
    scope: Scope | None,
    path: str,
    rendered_groups: Iterable[str] = (),
    months: Iterable[str] | None = None,
) -> bool:
    """Whether a page at ``path`` would have been rendered in ``scope`` if it still existed.

    A page that is covered but was not rendered is stale (its RFC was renamed, its group is
    gone) and is deleted; pages outside the scope are left as published. A month file is
    covered when its month is in ``months`` (every month when None).
    """
    if not is_page(path):
        return False
    if (month := month_in(path)) is not None:
        return months is None or month in set(months)
    if scope is None or path in ("ledger/README.md", VERIFY_PATH):
        return True
    if path in FIXED_PAGES:
        return scope.indexes
    if match := NUMBERED.match(path):
        number = int(match.group(2))
        return number in (scope.rfcs if match.group(1) == "rfcs" else scope.elections)
    if match := GROUP_PAGE.match(path):
        return match.group(1) in set(rendered_groups) | scope.groups
    return False
