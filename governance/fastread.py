"""A read path over plain ``sqlite3`` for the console's most frequent question, ``vote status``.

Scripts and people call the console many times; importing the ORM costs more than the whole
answer. Like every read it never writes (the file is opened read-only), and it answers only when
it can answer exactly as the services would: the schema is current, the charters are the ones
last applied, and the time is not ahead of the real clock (a live record refuses that, which the
full path says). Otherwise it returns None. A vote past its deadline is shown as due, as the
full path shows it: only ``tick`` or ``govbot run`` closes it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from governance import status
from governance.clock import ahead, utcnow
from governance.refs import parse_rfc_ref
from governance.revision import HEAD_REVISION

LIVE_NAME = "record:live"  # governance.store.LIVE; the store is not imported on this path
LIVE = "SELECT 1 FROM checkpoints WHERE name = :name"

VOTE = """
SELECT v.id, r.number, v.state, v.outcome, v.policy_name, v.policy, v.electorate, v.opened_at,
       v.closes_at, v.closed_at, v.reason, v.result
FROM rfcs r JOIN votes v ON v.rfc_id = r.id
WHERE r.number = :number ORDER BY v.id DESC LIMIT 1
"""
BALLOTS = """
SELECT p.handle, b.choice, b.binding, b.cast_at
FROM ballots b JOIN people p ON p.id = b.person_id
WHERE b.vote_id = :vote ORDER BY b.cast_at, b.id
"""


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def vote_status(
    db: Path, charters_digest: str, ref: str, now: datetime
) -> status.VoteStatus | None:
    """The vote's status read directly, or None when the full path must answer."""
    if not db.is_file():
        return None
    number = parse_rfc_ref(ref)
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA busy_timeout=10000")
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            digest = conn.execute("SELECT charters_digest FROM foundation").fetchone()
            if version != (HEAD_REVISION,) or digest != (charters_digest,):
                return None
            if ahead(now, utcnow()) and conn.execute(LIVE, {"name": LIVE_NAME}).fetchone():
                return None  # refused by the full path, which says why
            row = conn.execute(VOTE, {"number": number}).fetchone()
            if row is None:
                return None
            ballots = [
                status.BallotFacts(handle, choice, bool(binding), _time(cast_at) or now)
                for handle, choice, binding, cast_at in conn.execute(BALLOTS, {"vote": row[0]})
            ]
    except sqlite3.Error:
        return None
    facts = status.VoteFacts(
        rfc_number=row[1],
        state=row[2],
        outcome=row[3],
        policy_name=row[4],
        policy=json.loads(row[5]),
        electorate=json.loads(row[6]),
        opened_at=_time(row[7]) or now,
        closes_at=_time(row[8]),
        closed_at=_time(row[9]),
        reason=row[10],
        result=None if row[11] is None else json.loads(row[11]),
    )
    return status.build(facts, ballots, now)
