"""One publication: render what changed, keep custom sections, diff by blob hash, commit once.

Rendering happens in a read transaction and the commit outside any transaction, so commands
never wait for a publication; the bookkeeping at the end is one short write. That bookkeeping
(pages published, publication log, the outbox item done) records a side effect, not a change of
the record, so it writes no ledger entry: one would mark the docs dirty again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from governance.clock import iso
from governance.model import Group, LedgerEntry, OutboxItem, PublicationRecord, PublishedPage
from governance.publish.custom import custom_sections, keep_custom
from governance.publish.port import Publisher, PublishError, RefMoved, RemoteTree, blob_sha
from governance.render import Scope, covers, month_of, render_docs, scope_of
from governance.store import DOCS_KEY, Store

MOVED_RETRIES = 5
INDEX_PAGES = ("README.md", "ledger/README.md", "ledger/verify.py")
"""Pages every publication keeps; a target without them is published in full again."""
EVENTS_IN_MESSAGE = 30


@dataclass(frozen=True)
class Publication:
    """What a publication did; ``commit`` is None when nothing changed."""

    commit: str | None
    changed: tuple[str, ...]
    deleted: tuple[str, ...]
    events: tuple[str, ...]
    head: str
    full: bool = False
    to_seq: int = 0


@dataclass(frozen=True)
class _Page:
    """A page as it will be published: its text, git blob hash and custom sections."""

    text: str
    sha: str
    custom: dict[str, str]


@dataclass(frozen=True)
class _Rendered:
    pages: dict[str, str]
    scope: Scope | None
    groups: frozenset[str]
    from_seq: int
    to_seq: int
    head: str
    events: tuple[str, ...]
    known: dict[str, tuple[str, dict[str, str]]]
    months: frozenset[str] | None = None


def publish_now(
    store: Store, publisher: Publisher, now: datetime, *, full: bool = False
) -> Publication:
    """Publish the docs for every ledger entry since the last publication, in ONE commit.

    The first publication to a target, any with ``full``, and any to a target that lost the
    docs' index pages render every page and delete the pages govbot no longer writes. Raises
    ``PublishError`` when the publisher fails; nothing is marked published then, so the next
    attempt covers the same entries.
    """
    remote = publisher.snapshot()
    rendered = _render(store, publisher.where, remote, full=full)
    final: dict[str, _Page] = {}
    changes: dict[str, str | None] = {}
    commit: str | None = None
    for attempt in range(MOVED_RETRIES):
        if attempt:
            remote = publisher.snapshot()
        final = {
            path: _Page(text, blob_sha(text), custom)
            for path, (text, custom) in _with_custom(publisher, remote, rendered).items()
        }
        changes = {
            path: page.text for path, page in final.items() if remote.blobs.get(path) != page.sha
        }
        for path in remote.blobs:
            if path not in final and covers(rendered.scope, path, rendered.groups, rendered.months):
                changes[path] = None
        if not changes:
            break
        message = _message(rendered, changes)
        try:
            commit = publisher.commit(remote, changes, message, when=int(now.timestamp()))
            break
        except RefMoved:
            continue
    else:
        raise PublishError(
            f"{publisher.where} kept moving during {MOVED_RETRIES} attempts; trying again later"
        )
    written = tuple(sorted(p for p, t in changes.items() if t is not None))
    removed = tuple(sorted(p for p, t in changes.items() if t is None))
    _record(store, publisher, now, rendered, final, (written, removed), commit)
    return Publication(
        commit=commit,
        changed=written,
        deleted=removed,
        events=rendered.events,
        head=rendered.head,
        full=rendered.scope is None,
        to_seq=rendered.to_seq,
    )


def _render(store: Store, target: str, remote: RemoteTree, *, full: bool) -> _Rendered:
    """Render what changed since the last publication to this target (everything if needed)."""
    with store.read() as uow:
        session = uow.session
        to_seq, _, head = uow.head()
        last = session.exec(
            select(sa.func.max(PublicationRecord.to_seq)).where(PublicationRecord.target == target)
        ).one()
        from_seq = 0 if last is None else int(last)
        entries = session.execute(
            sa.select(
                col(LedgerEntry.seq),
                col(LedgerEntry.actor),
                col(LedgerEntry.action),
                col(LedgerEntry.subject),
                col(LedgerEntry.at),
            )
            .where(col(LedgerEntry.seq) > from_seq)
            .order_by(col(LedgerEntry.seq))
        ).all()
        slugs = session.exec(select(Group.slug)).all()
        everything = full or last is None or any(p not in remote.blobs for p in INDEX_PAGES)
        scope = None if everything else scope_of(((e[3], e[2]) for e in entries), slugs)
        # The ledger's month files: those the new entries fall in, or all of them.
        months = None if everything else frozenset(month_of(e[4]) for e in entries)
        pages = render_docs(session, scope, months)
        known = {
            row.path: (row.sha, dict(row.custom or {}))
            for row in session.exec(
                select(PublishedPage).where(col(PublishedPage.path).in_(list(pages)))
            )
        }
    groups = frozenset(path.split("/")[1] for path in pages if path.startswith("groups/"))
    events = tuple(f"{action} {subject} by {actor}" for _, actor, action, subject, _ in entries)
    return _Rendered(pages, scope, groups, from_seq, to_seq, head, events, known, months)


def _with_custom(
    publisher: Publisher, remote: RemoteTree, rendered: _Rendered
) -> dict[str, tuple[str, dict[str, str]]]:
    """Rendered pages with the custom sections of the published ones filled in, and those.

    A published page whose blob is the one govbot wrote last time has the custom sections
    recorded then; any other (edited by someone, or never published by govbot) is read.
    """
    unknown = [
        path
        for path in rendered.pages
        if path.endswith(".md")
        and path in remote.blobs
        and rendered.known.get(path, ("", {}))[0] != remote.blobs[path]
    ]
    texts = publisher.read(remote.head, unknown) if unknown and remote.head else {}
    final: dict[str, tuple[str, dict[str, str]]] = {}
    for path, text in rendered.pages.items():
        if not path.endswith(".md"):  # the ledger's files are data and code: kept exactly
            final[path] = (text, {})
        elif path in texts:
            custom = custom_sections(texts[path])
        elif path in remote.blobs:
            custom = rendered.known.get(path, ("", {}))[1]
        else:
            custom = {}
        final[path] = (keep_custom(text, custom) if custom else text, custom)
    return final


def _message(rendered: _Rendered, changes: dict[str, str | None]) -> str:
    """Names the events included and ends with the ledger head hash."""
    count = len(rendered.events)
    changed = sum(1 for t in changes.values() if t is not None)
    deleted = len(changes) - changed
    if count == 0:
        title = "Publish the governance record"
    elif count == 1:
        title = f"Record {rendered.events[0]}"
    else:
        title = f"Record {count} changes up to ledger entry {rendered.to_seq}"
    lines = [title[:72], ""]
    lines += [f"- {event}" for event in rendered.events[:EVENTS_IN_MESSAGE]]
    if count > EVENTS_IN_MESSAGE:
        lines.append(f"- and {count - EVENTS_IN_MESSAGE} more")
    if rendered.events:
        lines.append("")
    summary = f"{changed} page(s) written"
    if deleted:
        summary += f", {deleted} removed"
    lines.append(summary + ("; full render." if rendered.scope is None else "."))
    lines += ["", f"Ledger head: {rendered.to_seq} {rendered.head}"]
    return "\n".join(lines) + "\n"


def _record(
    store: Store,
    publisher: Publisher,
    now: datetime,
    rendered: _Rendered,
    final: dict[str, _Page],
    paths: tuple[tuple[str, ...], tuple[str, ...]],
    commit: str | None,
) -> None:
    """Remember what was published and mark the docs clean if nothing happened meanwhile."""
    written, removed = paths
    with store.write() as uow:
        session = uow.session
        existing = {
            row.path: row
            for row in session.exec(
                select(PublishedPage).where(col(PublishedPage.path).in_([*final, *removed]))
            )
        }
        for path, page in final.items():
            row = existing.get(path)
            if row is None:
                session.add(PublishedPage(path=path, sha=page.sha, custom=page.custom))
            elif row.sha != page.sha or row.custom != page.custom:
                row.sha, row.custom = page.sha, page.custom
                session.add(row)
        for path in removed:
            if path in existing:
                session.delete(existing[path])
        session.add(
            PublicationRecord(
                at=now,
                target=publisher.where,
                full=rendered.scope is None,
                from_seq=rendered.from_seq,
                to_seq=rendered.to_seq,
                head_hash=rendered.head,
                commit=commit,
                changed=len(written),
                deleted=len(removed),
            )
        )
        item = session.exec(select(OutboxItem).where(OutboxItem.key == DOCS_KEY)).first()
        if item is not None and item.done_at is None and uow.head()[0] == rendered.to_seq:
            item.done_at = now
            item.attempts = 0
            item.next_attempt_at = None
            item.last_error = None
            session.add(item)
        uow.commit()


def outbox_view(store: Store) -> list[dict[str, Any]]:
    """Every side effect still waiting, with why: its attempts, next attempt and last error."""
    with store.read() as uow:
        items = uow.session.exec(
            select(OutboxItem).where(col(OutboxItem.done_at).is_(None)).order_by(col(OutboxItem.id))
        ).all()
        last = uow.session.exec(
            select(PublicationRecord).order_by(col(PublicationRecord.id).desc()).limit(1)
        ).first()
        head = uow.head()[0]
        return [
            {
                "kind": item.kind,
                "key": item.key,
                "since": item.payload.get("since") or iso(item.created_at),
                "operation": item.payload.get("op"),
                "attempts": item.attempts,
                "next_attempt_at": iso(item.next_attempt_at),
                "last_error": item.last_error,
                "ledger_entries_waiting": head - (last.to_seq if last else 0)
                if item.key == DOCS_KEY
                else None,
            }
            for item in items
        ]
