"""Catch up with GitHub at startup: GitHub does not redeliver what failed while govbot was down.

For every open issue labelled as an RFC in the watched repository, and every issue of an RFC still
being decided, govbot reads the label events and the comments made since it last caught up, and
stores each as the delivery GitHub would have sent. Keys make this safe to repeat: a comment read
back has the key of the webhook that may also have brought it, and a label event has its own
id. A label is acted on only when it is still on the issue.

The first catch-up reads back ``window`` (7 days by default); later ones start where the
previous one began, less a margin for clocks that differ.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from github import Github
from github.Issue import Issue
from github.NamedUser import NamedUser
from github.Organization import Organization
from sqlmodel import col, func, select

from bot.github.commands import parse
from bot.github.outbox import labels_of
from bot.github.processor import SOURCE, Watch, ignored_because
from governance import inbox
from governance.clock import as_utc, iso
from governance.model import Checkpoint, Rfc, RfcStatus, Vote
from governance.store import Store

log = logging.getLogger(__name__)

CHECKPOINT = "github:reconciled"
MARGIN = timedelta(minutes=5)
LIVE = (RfcStatus.DISCUSSION, RfcStatus.VOTING, RfcStatus.PAUSED)


@dataclass
class Reconciled:
    """What a catch-up read and stored."""

    since: datetime
    issues: int = 0
    comments: int = 0
    labels: int = 0
    stored: list[str] = field(default_factory=list)


def since_when(store: Store, now: datetime, window: timedelta) -> datetime:
    """Where this catch-up starts: the last one's start less a margin, or ``window`` ago."""
    with store.read() as uow:
        point = uow.session.get(Checkpoint, CHECKPOINT)
        last = None if point is None else as_utc(point.at)
    if last is None:
        return now - window
    return max(last - MARGIN, now - timedelta(days=90))


def reconcile(
    store: Store, client: Github, watch: Watch, now: datetime, window: timedelta
) -> Reconciled:
    """Store, in one commit, the deliveries GitHub's history shows and govbot never received."""
    since = since_when(store, now, window)
    report = Reconciled(since)
    found: list[inbox.Arrival] = []  # stored together, in the order GitHub shows them
    with store.read() as uow:
        names = labels_of(uow)
        numbers = set(
            uow.session.exec(
                select(Rfc.github_issue).where(
                    col(Rfc.github_repo) == watch.repo,
                    col(Rfc.status).in_(list(LIVE)),
                    col(Rfc.github_issue).is_not(None),
                )
            ).all()
        )
        # A label added before the RFC's latest vote opened was that vote's (or older): done.
        last_opened: dict[int, datetime] = {
            number: as_utc(opened)
            for number, opened in uow.session.exec(
                select(Rfc.github_issue, func.max(Vote.opened_at))
                .join(Vote, col(Vote.rfc_id) == col(Rfc.id))
                .where(col(Rfc.github_repo) == watch.repo)
                .group_by(col(Rfc.github_issue))
            ).all()
            if number is not None and opened is not None
        }
    repo = client.get_repo(watch.repo)
    issues: dict[int, Issue] = {
        i.number: i for i in repo.get_issues(state="open", labels=[names.rfc])
    }
    for number in sorted(n for n in numbers if n is not None and n not in issues):
        issues[number] = repo.get_issue(number)
    interesting = {names.vote_open.lower(), names.rfc.lower()}
    for number, issue in sorted(issues.items()):
        if issue.pull_request is not None:
            continue
        report.issues += 1
        labels_now = [label.raw_data for label in issue.labels]
        current = {str(label["name"]).lower() for label in labels_now}
        issue_json = {**issue.raw_data, "labels": labels_now}
        for event in issue.get_events():
            if event.event != "labeled" or event.label is None or event.created_at is None:
                continue
            name = event.label.name
            relevant = name.lower() in interesting or name.lower().startswith(
                names.group_prefix.lower()
            )
            at = as_utc(event.created_at)
            if not relevant or name.lower() not in current or at < since:
                continue
            if name.lower() == names.vote_open.lower() and at <= last_opened.get(number, since):
                continue
            payload = {
                "action": "labeled",
                "issue": {**issue_json, "updated_at": iso(at)},
                "label": {"name": name},
                "repository": {"full_name": watch.repo},
                "sender": _user(event.actor),
            }
            key = f"github:issue-event:{event.id}"
            report.labels += 1
            found.append(inbox.Arrival(SOURCE, key, "issues", payload, now))
        for comment in issue.get_comments(since=since):
            if parse(comment.body) is None:
                continue
            payload = {
                "action": "created",
                "issue": issue_json,
                "comment": comment.raw_data,
                "repository": {"full_name": watch.repo},
                "sender": _user(comment.user),
            }
            key = f"github:comment:{comment.id}"
            report.comments += 1
            found.append(inbox.Arrival(SOURCE, key, "issue_comment", payload, now))
    wanted = [a for a in found if ignored_because(a.event, a.payload, watch) is None]
    received = inbox.receive_many(store, wanted) if wanted else []
    report.stored = [a.key for a, r in zip(wanted, received, strict=True) if r.new]
    with store.write() as uow:
        point = uow.session.get(Checkpoint, CHECKPOINT) or Checkpoint(name=CHECKPOINT)
        point.at = now
        uow.session.add(point)
        uow.commit()
    log.info(
        "caught up with GitHub since %s: %d issues, %d label events and %d comments read, "
        "%d new deliveries",
        iso(since),
        report.issues,
        report.labels,
        report.comments,
        len(report.stored),
    )
    return report


def _user(user: NamedUser | Organization | None) -> dict[str, Any]:
    """A webhook's ``sender`` for a user read back from the API (no extra request)."""
    if user is None:
        return {"login": "ghost", "type": "User"}
    return {"login": user.login, "type": user.type}
