"""Pages of the docs tree: each function turns part of the record into one Markdown file.

Paths come only from validated group slugs, RFC and election numbers and slugified titles, so no
page can land outside the docs root. Nothing here reads the clock: the same record gives the
same bytes.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

import jinja2

from governance import policy as policies
from governance import rules
from governance.clock import as_utc
from governance.model import RfcStatus, Role, VoteState
from governance.refs import election_label, rfc_label
from governance.render import markdown as md
from governance.render.record import HistoryEvent, Record
from governance.status import build, facts_of

FIXED_PAGES = (
    "README.md",
    "rfcs/README.md",
    "elections/README.md",
    "decisions.md",
    "ledger/README.md",
)
PAGE = re.compile(
    r"^(?:README\.md|decisions\.md|ledger/README\.md|rfcs/README\.md|elections/README\.md"
    r"|ledger/verify\.py|ledger/\d{4}-(?:0[1-9]|1[0-2])\.jsonl"
    r"|groups/[a-z0-9][a-z0-9-]*/README\.md|rfcs/\d{4,6}-[a-z0-9-]+\.md"
    r"|elections/\d{4,6}-[a-z0-9-]+\.md)$"
)
RECENT_DECISIONS = 10
CUSTOM_BEGIN = "<!-- BEGIN CUSTOM -->"
CUSTOM_END = "<!-- END CUSTOM -->"
FOOTER = (
    "\n---\n\n*Written by govbot from the governance record. Hand edits belong between the "
    "`BEGIN CUSTOM` and `END CUSTOM` markers, which are kept; everything else is rewritten at "
    "the next publication. To check the record, see the {ledger}.*"
)
STATUS_ORDER = (
    RfcStatus.VOTING,
    RfcStatus.PAUSED,
    RfcStatus.DISCUSSION,
    RfcStatus.ACCEPTED,
    RfcStatus.REJECTED,
    RfcStatus.WITHDRAWN,
)
OUTCOME_WORDS = {
    "passed": "Passed",
    "rejected": "Rejected",
    "no-quorum": "No quorum",
    "elected": "Elected",
    "tie": "Tie (the chair decides)",
    "cancelled": "Cancelled",
}
ACTION_WORDS = {
    "rfc.proposed": "proposed",
    "rfc.withdrawn": "withdrew the RFC",
    "rfc.reproposed": "proposed it again",
    "concern.raised": "raised a concern",
    "concern.resolved": "resolved a concern",
    "concern.overridden": "overrode a concern",
    "vote.opened": "opened the vote",
    "vote.paused": "vote paused",
    "vote.resumed": "vote resumed",
    "vote.closed": "vote closed",
    "vote.cancelled": "cancelled the vote",
    "vote.reminded": "reminder sent",
    "rfc.linked": "linked the GitHub issue",
    "rfc.thread-linked": "linked the Discord thread",
    "election.opened": "opened the election",
    "election.closed": "election closed",
    "election.cancelled": "cancelled the election",
}


def rfc_path(number: int, title: str) -> str:
    """``rfcs/0007-caption-format.md``: stable while the title stays."""
    return f"rfcs/{number:04d}-{md.slugify(title)}.md"


def election_path(number: int, title: str) -> str:
    """``elections/0003-datasets-chair.md``."""
    return f"elections/{number:04d}-{md.slugify(title)}.md"


def group_path(slug: str) -> str:
    """``groups/datasets/README.md``; the slug was validated when the charter was read."""
    return f"groups/{slug}/README.md"


def is_page(path: str) -> bool:
    """Whether a path is one govbot writes (others in the docs repository are left alone).

    Besides the Markdown pages: the ledger's month files and its verifier.
    """
    return bool(PAGE.match(path))


def when(moment: datetime | str | None) -> str:
    """``2027-03-01 09:00 UTC``."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def day(moment: datetime | None) -> str:
    """``2027-03-01``."""
    return "—" if moment is None else as_utc(moment).strftime("%Y-%m-%d")


def _finalize(value: Any) -> str:
    """Every ``{{ }}`` in a template is escaped unless it is already Markdown govbot made."""
    if isinstance(value, md.Safe):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return md.inline(value)


@cache
def environment() -> jinja2.Environment:
    """The template environment: templates shipped in the package, escaping by default."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("governance.render", "templates"),
        autoescape=False,  # noqa: S701  (Markdown, escaped by ``_finalize`` instead of HTML rules)
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        cell=md.cell,
        code=md.code,
        codecell=lambda v: md.code(v, in_cell=True),
        body=md.body,
        heading=md.heading,
        when=when,
        day=day,
        outcome=lambda v: OUTCOME_WORDS.get(str(v), str(v).replace("-", " ").capitalize()),
    )
    return env


ISSUE_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
SNOWFLAKE = re.compile(r"[0-9]{17,20}")
DISCORD_WEB = "https://discord.com/channels"


class Pages:
    """Renders pages from one loaded record."""

    def __init__(self, record: Record) -> None:
        self.r = record
        self.env = environment()

    # links -----------------------------------------------------------------------------------

    def _link(self, here: str, text: object, path: str) -> md.Safe:
        return md.link(text, posixpath.relpath(path, posixpath.dirname(here) or "."))

    def person(self, person_id: int | None) -> md.Safe:
        """A person as ``Name (handle)``: names are escaped and nobody is mentioned."""
        if person_id is None:
            return md.Safe("—")
        row = self.r.people[person_id]
        return md.Safe(f"{md.inline(row.name)} ({md.code(row.handle, in_cell=True)})")

    def by_handle(self, handle: str) -> md.Safe:
        """A person known only by handle (electorates are frozen as handles)."""
        return _handle_code(handle)

    def handles(self, handles: list[str]) -> md.Safe:
        """``ada``, ``bo``: handles as code spans, or a dash for none."""
        return md.Safe(", ".join(self.by_handle(h) for h in handles) or "—")

    def people(self, person_ids: list[int]) -> md.Safe:
        """People by id, comma-separated, or a dash for none."""
        return md.Safe(", ".join(self.person(p) for p in person_ids) or "—")

    def ranking(self, tiers: list[list[str]]) -> md.Safe:
        """``a = b > c``: one ballot's ranking, tied candidates joined by ``=``."""
        return md.Safe(
            " &gt; ".join(" = ".join(md.code(c, in_cell=True) for c in tier) for tier in tiers)
        )

    def rfc_link(self, here: str, rfc: Any, *, title: bool = True) -> md.Safe:
        """``[RFC-0007: Title](../rfcs/0007-title.md)``."""
        label = rfc_label(rfc.number)
        text = f"{label}: {rfc.title}" if title else label
        return self._link(here, text, rfc_path(rfc.number, rfc.title))

    def group_link(self, here: str, group_id: int) -> md.Safe:
        """``[Datasets and Captioning](groups/datasets/README.md)``."""
        group = self.r.groups[group_id]
        return self._link(here, group.name, group_path(group.slug))

    def issue_link(self, repo: str | None, number: int) -> md.Safe:
        """``[owner/name#12](https://github.com/owner/name/issues/12)``, to follow the discussion.

        The repository name is checked against GitHub's rules before it goes into the link.
        """
        if not repo or not ISSUE_REPO.match(repo):
            return md.Safe(f"#{number}")
        web = "https://github.com"
        foundation = self.r.foundation
        if foundation is not None and foundation.github:
            web = str(foundation.github.get("web_url") or web).rstrip("/")
        return md.Safe(f"[{md.inline(f'{repo}#{number}')}]({web}/{repo}/issues/{number})")

    def thread_link(self, thread_id: str) -> md.Safe:
        """``[Discord thread](https://discord.com/channels/<server>/<thread>)``, to join in.

        Without the foundation's Discord server in foundation.yaml there is no address to link,
        so the thread is named by its id. Ids are checked to be digits before they go in a link.
        """
        if not SNOWFLAKE.fullmatch(thread_id):
            return md.Safe("—")
        foundation = self.r.foundation
        guild = str(
            ((foundation.discord if foundation is not None else None) or {}).get("guild", "")
        )
        if not SNOWFLAKE.fullmatch(guild):
            return md.Safe(f"Discord thread {thread_id}")
        return md.Safe(f"[Discord thread]({DISCORD_WEB}/{guild}/{thread_id})")

    def election_link(self, here: str, election: Any) -> md.Safe:
        """``[E-0003: Datasets chair](elections/0003-datasets-chair.md)``."""
        text = f"{election_label(election.number)}: {election.title}"
        return self._link(here, text, election_path(election.number, election.title))

    # shared views ----------------------------------------------------------------------------

    def roster(self, group_id: int) -> list[Any]:
        """Current memberships, chairs first, then by since-date."""
        rank = {Role.CHAIR: 0, Role.MEMBER: 1, Role.OBSERVER: 2, Role.EMERITUS: 3}
        current = [m for m in self.r.memberships.get(group_id, []) if m.until is None]
        return sorted(
            current, key=lambda m: (rank.get(m.role, 9), m.since, self.r.handle(m.person_id))
        )

    def decisions(self) -> list[dict[str, Any]]:
        """Every outcome, newest first: closed and cancelled votes and elections."""
        items: list[dict[str, Any]] = []
        for rfc_id, votes in self.r.votes.items():
            rfc = self.r.rfcs[rfc_id]
            for vote in votes:
                if vote.state not in (VoteState.CLOSED, VoteState.CANCELLED):
                    continue
                outcome = vote.outcome if vote.state == VoteState.CLOSED else "cancelled"
                result = vote.result or {}
                tally = (
                    f"{result.get('yes', 0)} yes, {result.get('no', 0)} no, "
                    f"{result.get('abstain', 0)} abstain"
                    if vote.state == VoteState.CLOSED
                    else (vote.reason or "")
                )
                items.append(
                    {
                        "at": vote.closed_at,
                        "kind": "rfc",
                        "subject": rfc,
                        "group_id": rfc.group_id,
                        "outcome": outcome,
                        "detail": tally,
                        "sort": (as_utc(vote.closed_at), 0, rfc.number, vote.id),
                    }
                )
        for election in self.r.elections.values():
            if election.state not in (VoteState.CLOSED, VoteState.CANCELLED):
                continue
            result = election.result or {}
            detail = ", ".join(result.get("winners", [])) or (election.reason or "")
            items.append(
                {
                    "at": election.closed_at,
                    "kind": "election",
                    "subject": election,
                    "group_id": election.group_id,
                    "outcome": election.outcome
                    if election.state == VoteState.CLOSED
                    else "cancelled",
                    "detail": detail,
                    "sort": (as_utc(election.closed_at), 1, election.number, election.id),
                }
            )
        items.sort(key=lambda item: item["sort"], reverse=True)
        return items

    def open_votes(self) -> list[tuple[Any, Any]]:
        """Open and paused votes with their RFC, soonest deadline first."""
        found = []
        for rfc_id, votes in self.r.votes.items():
            for vote in votes:
                if vote.state in (VoteState.OPEN, VoteState.PAUSED):
                    found.append((self.r.rfcs[rfc_id], vote))
        found.sort(key=lambda p: (p[1].closes_at is None, p[1].closes_at or 0, p[0].number))
        return found

    def open_elections(self) -> list[Any]:
        """Elections still taking rankings."""
        return [e for e in self.r.elections.values() if e.state == VoteState.OPEN]

    def _render(self, template: str, here: str, **context: Any) -> str:
        ledger = self._link(here, "ledger", "ledger/README.md")
        text = self.env.get_template(template).render(
            here=here,
            pages=self,
            link=lambda text, path: self._link(here, text, path),
            custom=md.Safe(f"{CUSTOM_BEGIN}\n{CUSTOM_END}"),
            footer=md.Safe(FOOTER.format(ledger=ledger)),
            **context,
        )
        return _tidy(text)

    # pages -----------------------------------------------------------------------------------

    def index(self) -> str:
        """The foundation's README: groups, open votes and elections, recent decisions."""
        groups = []
        for group in self.r.groups.values():
            roster = self.roster(group.id)
            chairs = [m.person_id for m in roster if m.role == Role.CHAIR]
            voting = sum(1 for m in roster if m.role in (Role.CHAIR, Role.MEMBER))
            open_rfcs = sum(
                1
                for rfc in self.r.rfcs.values()
                if rfc.group_id == group.id
                and rfc.status in (RfcStatus.DISCUSSION, RfcStatus.VOTING, RfcStatus.PAUSED)
            )
            groups.append({"group": group, "chairs": chairs, "voting": voting, "open": open_rfcs})
        return self._render(
            "index.md.j2",
            "README.md",
            foundation=self.r.foundation,
            groups=groups,
            open_votes=self.open_votes(),
            open_elections=self.open_elections(),
            decisions=self.decisions()[:RECENT_DECISIONS],
        )

    def group(self, group_id: int) -> str:
        """A group's page: charter summary, roster, emeritus, former members, RFCs, elections."""
        group = self.r.groups[group_id]
        here = group_path(group.slug)
        roster = self.roster(group_id)
        past = [m for m in self.r.memberships.get(group_id, []) if m.until is not None]
        rfcs = [r for r in self.r.rfcs.values() if r.group_id == group_id]
        rfcs.sort(key=lambda r: r.number, reverse=True)
        elections = [e for e in self.r.elections.values() if e.group_id == group_id]
        charter = group.charter or {}
        return self._render(
            "group.md.j2",
            here,
            group=group,
            charter=charter,
            charter_body=_charter_body(group.body, group.name),
            policies=_group_policies(self.r, charter),
            current=[m for m in roster if m.role != Role.EMERITUS],
            emeritus=[m for m in roster if m.role == Role.EMERITUS],
            past=sorted(past, key=lambda m: (m.until, m.person_id), reverse=True),
            rfcs=rfcs,
            elections=sorted(elections, key=lambda e: e.number, reverse=True),
        )

    def rfc_index(self) -> str:
        """Every RFC, grouped by status."""
        by_status: dict[str, list[Any]] = {status.value: [] for status in STATUS_ORDER}
        for rfc in self.r.rfcs.values():
            by_status.setdefault(rfc.status, []).append(rfc)
        sections = [
            (status, sorted(items, key=lambda r: r.number, reverse=True))
            for status, items in by_status.items()
            if items
        ]
        counts = Counter(rfc.status for rfc in self.r.rfcs.values())
        return self._render("rfcs.md.j2", "rfcs/README.md", sections=sections, counts=counts)

    def rfc(self, rfc_id: int) -> str:
        """One RFC: its text, history, concerns and every vote's full record."""
        row = self.r.rfcs[rfc_id]
        here = rfc_path(row.number, row.title)
        votes = [self._vote(row, vote) for vote in self.r.votes.get(rfc_id, [])]
        return self._render(
            "rfc.md.j2",
            here,
            rfc=row,
            label=rfc_label(row.number),
            body=md.body(self.r.bodies.get(rfc_id, ""), demote=2),
            history=[_event(e, self) for e in self.r.history.get(rfc_label(row.number), [])],
            concerns=self.r.concerns.get(rfc_id, []),
            votes=votes,
        )

    def _vote(self, rfc: Any, vote: Any) -> dict[str, Any]:
        facts = facts_of(rfc.number, vote)
        status = build(facts, self.r.ballots.get(vote.id, []))
        return {
            "vote": vote,
            "status": status,
            "opened_by": vote.opened_by_id,
            "sheet": self.r.sheets.get(vote.id),
            "rule": _pass_rule(vote.policy),
        }

    def election_index(self) -> str:
        """Every election, newest first."""
        items = sorted(self.r.elections.values(), key=lambda e: e.number, reverse=True)
        return self._render("elections.md.j2", "elections/README.md", elections=items)

    def election(self, election_id: int) -> str:
        """One election: candidates, rankings, the Schulze result and the pairwise table."""
        election = self.r.elections[election_id]
        here = election_path(election.number, election.title)
        ballots = self.r.rankings.get(election_id, [])
        frozen = policies.policy_from_dict(election.policy)
        binding = [(h, r) for h, r, b, _ in ballots if b]
        # A secret election shows no running count: its pairwise table waits for the close.
        sealed = frozen.secret and election.state != VoteState.CLOSED
        result = rules.schulze(election.candidates, [r for _, r in binding], election.seats)
        pairwise = (
            []
            if sealed
            else [
                (
                    a,
                    [(b, result.pairwise[(a, b)] if a != b else None) for b in election.candidates],
                )
                for a in election.candidates
            ]
        )
        final = election.result or {}
        return self._render(
            "election.md.j2",
            here,
            election=election,
            label=election_label(election.number),
            policy=policies.describe(frozen),
            secret=frozen.secret,
            sealed=sealed,
            voted=sorted(h for h, _, b, _ in ballots if b),
            sheet=self.r.ranking_sheets.get(election_id),
            ballots=[] if frozen.secret else ballots,
            binding_count=len(binding),
            tiers=final.get("ranking") if election.state == VoteState.CLOSED else None,
            winners=final.get("winners", []),
            tied=final.get("tied", []),
            final=final,
            pairwise=pairwise,
            history=[
                _event(e, self) for e in self.r.history.get(election_label(election.number), [])
            ],
        )

    def decisions_page(self) -> str:
        """The register of every outcome."""
        return self._render("decisions.md.j2", "decisions.md", decisions=self.decisions())

    def ledger(self) -> str:
        """The ledger head and how anyone can check the chain."""
        return self._render(
            "ledger.md.j2", "ledger/README.md", head=self.r.ledger_head, recent=self.r.ledger_recent
        )


@lru_cache(maxsize=8192)
def _handle_code(handle: str) -> md.Safe:
    """Handles repeat on every page (electorates, ballots): each is escaped once."""
    return md.code(handle, in_cell=True)


def _tidy(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def _charter_body(body: str, name: str) -> md.Safe:
    """The charter's Markdown under the page's own title: its leading ``# Name`` dropped."""
    lines = body.strip().split("\n")
    if lines and lines[0].lstrip("#").strip() == name.strip() and lines[0].startswith("# "):
        lines = lines[1:]
    return md.body("\n".join(lines), demote=1)


def _group_policies(record: Record, charter: dict[str, Any]) -> list[tuple[str, str]]:
    """Each policy the group may vote under, described in words."""
    base = dict((record.foundation.policies if record.foundation else {}) or {})
    names = sorted(set(base) | set(charter.get("policies", {}) or {}))
    described = []
    for name in names:
        try:
            resolved = policies.resolve(name, base, charter.get("policies", {}) or {})
        except Exception:
            described.append((name, "(cannot be resolved with the current charters)"))
            continue
        described.append((name, policies.describe(resolved)))
    return described


def _pass_rule(frozen: dict[str, Any]) -> str:
    return policies.describe(policies.policy_from_dict(frozen))


def _event(event: HistoryEvent, pages: Pages) -> dict[str, Any]:
    payload = event.payload
    words = ACTION_WORDS.get(event.action, event.action)
    detail = ""
    if event.action == "vote.closed" or event.action == "election.closed":
        detail = OUTCOME_WORDS.get(str(payload.get("outcome")), str(payload.get("outcome", "")))
    elif event.action in ("vote.cancelled", "election.cancelled"):
        detail = str(payload.get("reason", ""))
    elif event.action == "concern.overridden":
        detail = f"#{payload.get('concern_id')}: {payload.get('reason', '')}"
    elif event.action == "concern.raised":
        paused = " (the vote is paused until it is settled)" if payload.get("vote_paused") else ""
        detail = f"#{payload.get('concern_id')}{paused}: {payload.get('text', '')}"
    elif event.action == "concern.resolved":
        detail = f"#{payload.get('concern_id')}"
    elif event.action == "vote.opened":
        detail = f"policy {payload.get('policy_name', '')}"
    elif event.action == "vote.reminded":
        waiting = int(payload.get("waiting") or 0)
        detail = f"{waiting} elector{'' if waiting == 1 else 's'} had not voted"
    elif event.action == "rfc.linked":
        detail = str(payload.get("github", ""))
    elif event.action == "rfc.thread-linked":
        detail = str(payload.get("discord", ""))
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "words": words,
        "detail": detail,
    }


def pages_in(record: Record) -> Iterator[tuple[str, str]]:
    """Every page to write for this record and its scope, as ``(path, text)``."""
    pages = Pages(record)
    rfc_ids, election_ids = record.scoped_rfcs, record.scoped_elections
    group_ids = record.scoped_groups
    if record.indexes:
        yield "README.md", pages.index()
        yield "rfcs/README.md", pages.rfc_index()
        yield "elections/README.md", pages.election_index()
        yield "decisions.md", pages.decisions_page()
    yield "ledger/README.md", pages.ledger()
    for group_id in sorted(record.groups if group_ids is None else group_ids):
        yield group_path(record.groups[group_id].slug), pages.group(group_id)
    for rfc_id in sorted(record.rfcs if rfc_ids is None else rfc_ids):
        row = record.rfcs[rfc_id]
        yield rfc_path(row.number, row.title), pages.rfc(rfc_id)
    for election_id in sorted(record.elections if election_ids is None else election_ids):
        row = record.elections[election_id]
        yield election_path(row.number, row.title), pages.election(election_id)
