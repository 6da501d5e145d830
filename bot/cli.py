"""The ``govbot`` console: every governance action, for operators and scripts.

Global options (``--db``, ``--charters``, ``--json``, ``--now``, ``--as``) may stand before or after
the command. Exit codes: 0 done, 1 refused by the governance rules (with the reason), 2 bad usage.
Imports are lazy so that a console call costs little more than starting Python.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.published import PublishedCheck
    from governance.replay import Comparison
    from governance.services.groups import SyncReport
    from governance.store import Store, UnitOfWork

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DEFAULT_DB = "govbot.db"
DEFAULT_DOCS = "govbot-docs"
DOCS_HELP = (
    f"local docs repository, created if missing (default: $GOVBOT_DOCS_DIR or ./{DEFAULT_DOCS})"
)


class UsageError(Exception):
    """Bad usage of the console (exit 2)."""


@dataclass
class Answer:
    """What a command prints: a sentence for people and an object for ``--json``."""

    text: str
    data: Any = None
    code: int = EXIT_OK


def default_charters() -> Path:
    """The bundled example charters, next to the packages."""
    return Path(__file__).resolve().parent.parent / "charters"


# --- parsing ---------------------------------------------------------------------------------


def _env_default_db() -> str:
    return os.environ.get("GOVBOT_DATABASE_URL") or os.environ.get("GOVBOT_DB") or DEFAULT_DB


def _globals(*, top: bool) -> argparse.ArgumentParser:
    """Global options; on subcommands their defaults are suppressed so either position works."""
    parser = argparse.ArgumentParser(add_help=False)
    default = (lambda value: value) if top else (lambda _value: argparse.SUPPRESS)
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--db",
        default=default(_env_default_db()),
        help="SQLite file or URL (default: $GOVBOT_DATABASE_URL or ./govbot.db)",
    )
    group.add_argument(
        "--charters",
        default=default(os.environ.get("GOVBOT_CHARTERS") or None),
        help="charters directory (default: $GOVBOT_CHARTERS or the bundled example)",
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    group.add_argument("--now", default=default(None), help="act at this ISO 8601 time")
    group.add_argument(
        "--as", dest="actor", default=default(None), metavar="HANDLE", help="the person acting"
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    shared = _globals(top=False)
    parser = argparse.ArgumentParser(
        prog="govbot",
        description="Governance for open-source foundations: groups, RFCs, votes, elections.",
        parents=[_globals(top=True)],
    )
    areas = parser.add_subparsers(dest="area", metavar="COMMAND", required=True)

    def command(
        sub: Any, name: str, handler: Callable[..., Answer], help_: str, **kw: Any
    ) -> argparse.ArgumentParser:
        leaf: argparse.ArgumentParser = sub.add_parser(name, parents=[shared], help=help_, **kw)
        leaf.set_defaults(handler=handler)
        return leaf

    def area(name: str, help_: str) -> Any:
        node = areas.add_parser(name, help=help_)
        return node.add_subparsers(dest="command", metavar="ACTION", required=True)

    command(areas, "check", cmd_check, "validate every charter file and report all problems")
    command(areas, "tick", cmd_tick, "close every vote and election that is due")

    render = command(areas, "render", cmd_render, "write the docs tree as Markdown files")
    render.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    publish = command(areas, "publish", cmd_publish, "publish the docs now, in one commit")
    publish.add_argument("--docs", default=None, metavar="DIR", help=DOCS_HELP)
    # With GOVBOT_GITHUB_TOKEN (or the App's settings) the docs go to the GitHub repository
    # that foundation.yaml names instead; see the README.
    publish.add_argument(
        "--full", action="store_true", help="render every page, not only what changed"
    )
    command(areas, "outbox", cmd_outbox, "show what is waiting to be published, and why")
    command(
        areas,
        "run",
        cmd_run,
        "run the service: GitHub webhooks, deadlines, publication (settings: GOVBOT_*)",
    )
    demo = command(
        areas, "demo", cmd_demo, "play the example foundation's last four weeks, ending now"
    )
    demo.add_argument(
        "directory",
        nargs="?",
        default="govbot-demo",
        help="a new directory (default: ./govbot-demo)",
    )
    demo.add_argument(
        "--start",
        metavar="DATE",
        help="replay the same four weeks from DATE (09:00 UTC; or an ISO 8601 time) instead",
    )

    charters = area("charters", "charter tools")
    command(charters, "schema", cmd_schema, "print the JSON Schema of charter front matter")
    command(
        charters,
        "sync",
        cmd_charters_sync,
        "apply the charters' changes to the record (and create the record if it is new)",
    )

    db = area("db", "database tools")
    command(db, "upgrade", cmd_db_upgrade, "apply database migrations")

    people = area("people", "the person registry")
    add = command(people, "add", cmd_people_add, "register a person (admins)")
    add.add_argument("handle")
    add.add_argument("--name", required=True)
    add.add_argument("--github")
    add.add_argument("--discord-id")
    command(people, "list", cmd_people_list, "list registered people")
    linked = command(people, "link", cmd_people_link, "set a GitHub login or Discord id (admins)")
    linked.add_argument("handle")
    linked.add_argument("--github")
    linked.add_argument("--discord-id")

    wg = area("wg", "working groups and committees")
    command(wg, "list", cmd_wg_list, "list groups")
    command(wg, "show", cmd_wg_show, "show a group and its roster").add_argument("slug")
    command(wg, "join", cmd_wg_join, "join a group (or ask to)").add_argument("slug")
    leave = command(wg, "leave", cmd_wg_leave, "leave a group, or remove someone (chairs)")
    leave.add_argument("slug")
    leave.add_argument("--person", help="someone else to remove (chairs)")
    approve = command(wg, "approve", cmd_wg_approve, "approve a pending join request (chairs)")
    approve.add_argument("slug")
    approve.add_argument("handle")
    role = command(wg, "role", cmd_wg_role, "set a role: chair, member, observer, emeritus")
    role.add_argument("slug")
    role.add_argument("handle")
    role.add_argument("role")

    rfc = area("rfc", "proposals")
    propose = command(rfc, "propose", cmd_rfc_propose, "propose an RFC")
    propose.add_argument("--group", required=True)
    propose.add_argument("--title", required=True)
    body = propose.add_mutually_exclusive_group(required=True)
    body.add_argument("--body")
    body.add_argument("--body-file", type=Path)
    listing = command(rfc, "list", cmd_rfc_list, "list RFCs")
    listing.add_argument("--group")
    listing.add_argument("--status")
    command(rfc, "show", cmd_rfc_show, "show an RFC").add_argument("rfc")
    command(rfc, "withdraw", cmd_rfc_withdraw, "withdraw your RFC").add_argument("rfc")
    again = command(rfc, "repropose", cmd_rfc_repropose, "bring your rejected RFC back, changed")
    again.add_argument("rfc")
    again.add_argument("--title")
    text = again.add_mutually_exclusive_group()
    text.add_argument("--body")
    text.add_argument("--body-file", type=Path)
    concern = command(rfc, "concern", cmd_rfc_concern, "raise a blocking concern")
    concern.add_argument("rfc")
    concern.add_argument("text")
    resolve = command(rfc, "resolve", cmd_rfc_resolve, "resolve (or, as chair, override) a concern")
    resolve.add_argument("rfc")
    resolve.add_argument("concern_id", type=int)
    resolve.add_argument("--reason")

    vote = area("vote", "votes on RFCs")
    opening = command(vote, "open", cmd_vote_open, "open the vote on an RFC (chairs)")
    opening.add_argument("rfc")
    opening.add_argument("--policy", default="default")
    cast = command(vote, "cast", cmd_vote_cast, "cast or change your ballot")
    cast.add_argument("rfc")
    cast.add_argument("choice", help="yes, no or abstain")
    command(
        vote, "status", cmd_vote_status, "show a vote (with --as: your own ballot too)"
    ).add_argument("rfc")
    receipt = command(
        vote, "receipt", cmd_vote_receipt, "what a secret ballot's receipt counted as"
    )
    receipt.add_argument("rfc")
    receipt.add_argument("receipt")
    cancel = command(vote, "cancel", cmd_vote_cancel, "cancel a vote (chairs)")
    cancel.add_argument("rfc")
    cancel.add_argument("--reason", required=True)

    election = area("election", "ranked elections (Schulze)")
    start = command(election, "open", cmd_election_open, "open an election (chairs)")
    start.add_argument("--group", required=True)
    start.add_argument("--seats", type=int, required=True)
    start.add_argument("--candidates", required=True, help="handles, comma-separated")
    start.add_argument("--title")
    start.add_argument("--policy")
    ranking = command(election, "rank", cmd_election_rank, "rank candidates: a,b=c,d")
    ranking.add_argument("election")
    ranking.add_argument("ranking")
    command(election, "status", cmd_election_status, "show an election").add_argument("election")
    checked = command(
        election, "receipt", cmd_election_receipt, "what a secret ranking's receipt counted as"
    )
    checked.add_argument("election")
    checked.add_argument("receipt")
    stop = command(election, "cancel", cmd_election_cancel, "cancel an election (chairs)")
    stop.add_argument("election")
    stop.add_argument("--reason", required=True)

    link = area("link", "prove that an account is yours")
    github = command(link, "github", cmd_link_github, "get a one-time code to link a GitHub login")
    github.add_argument("login", help="the GitHub login to link")

    discord_area = area("discord", "the Discord server")
    mirror = command(
        discord_area,
        "roles",
        cmd_discord_roles,
        "mirror group rosters to Discord roles (a dry run unless --apply)",
    )
    mirror.add_argument("--group", help="one group's role only")
    mirror.add_argument("--apply", action="store_true", help="make the changes planned")
    mirror.add_argument(
        "--force",
        action="store_true",
        help="allow removing more than a quarter of a role's holders in one sync",
    )

    ledger = area("ledger", "the hash-chained record of every change")
    verify = command(
        ledger, "verify", cmd_ledger_verify, "recompute the chain, replay it, compare the tables"
    )
    verify.add_argument(
        "--docs",
        default=None,
        metavar="PATH",
        help="a clone of the docs repository: also check every ledger head it ever published",
    )
    tail = command(ledger, "tail", cmd_ledger_tail, "show the latest entries")
    tail.add_argument("-n", type=int, default=10)
    return parser


# --- context ---------------------------------------------------------------------------------


class Console:
    """One invocation: parsed options, the time, and the record opened on first use.

    A command that changes the record opens it with ``store()``: migrated, the changed charters
    applied and whatever fell due closed first, so it never acts on a stale record. A command
    that reads opens it with ``reader()``: as it is, never migrated, synced, ticked or written.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.charters = Path(args.charters) if args.charters else default_charters()
        self.now = self._now(args.now)
        self.real_time = args.now is None
        """Without --now the command acts in real time, and its first change makes it live."""
        self._store: Store | None = None
        self._writing = False
        self.synced: SyncReport | None = None  # what opening for a change applied
        self.closed: list[str] = []  # what the catch-up on opening closed
        self.warnings: list[str] = []  # one line each on stderr; the command still succeeds

    @staticmethod
    def _now(text: str | None) -> datetime:
        from governance.clock import parse_instant, utcnow

        if text is None:
            return utcnow()
        try:
            return parse_instant(text)
        except ValueError:
            raise UsageError(
                f"--now '{text[:40]}' is not an ISO 8601 time; write it like 2027-01-04T10:00:00Z."
            ) from None

    @property
    def actor(self) -> str:
        """The person acting; commands a person performs need ``--as``."""
        if not self.args.actor:
            raise UsageError("This command is performed by a person: add --as HANDLE.")
        return str(self.args.actor)

    def store(self) -> Store:
        """Open the record to change it: apply changed charters and close whatever fell due.

        A time ahead of the real clock on a live record is refused before anything is done.
        """
        if not self._writing:
            from bot import wiring
            from governance.store import Store, upgrade

            if self._store is not None:
                self._store.close()
            store = Store.open(self.args.db, migrate=False, live=self.real_time)
            self._store = store
            if store.revision() is not None:
                store.check_now(self.now)  # before anything changes, the migration included
            upgrade(store.engine)
            self.synced = wiring.apply_charters(store, self.charters, self.now)
            self.closed = wiring.catch_up(store, self.now)
            self._writing = True
        assert self._store is not None
        return self._store

    def reader(self) -> Store:
        """Open the record to read it as it is: reads never write.

        A record that does not exist yet, or at an older schema, is refused with what to do; a
        charters directory changed since the last sync is reported on stderr.
        """
        if self._store is None:
            self._store = self._open_for_reading()
        return self._store

    def _open_for_reading(self) -> Store:
        from sqlalchemy.engine import make_url

        from bot import wiring
        from governance.store import HEAD_REVISION, Store, database_url

        url = make_url(database_url(self.args.db))
        missing = (
            f"There is no record at {self.args.db} yet; `govbot charters sync` creates it from "
            f"the charters ({self.charters})."
        )
        sqlite_file = url.get_backend_name() == "sqlite" and url.database
        if sqlite_file and not Path(str(url.database)).is_file():
            raise UsageError(missing)
        store = Store.open(self.args.db, migrate=False)
        try:
            revision = store.revision()
            if revision is None:
                raise UsageError(missing)
            if revision != HEAD_REVISION:
                raise UsageError(
                    f"The record at {self.args.db} is at schema {revision} and this govbot reads "
                    f"schema {HEAD_REVISION}; `govbot db upgrade` migrates it (a read never "
                    "changes the record)."
                )
            store.check_now(self.now)
            if (self.charters / "foundation.yaml").is_file() and wiring.charters_changed(
                store, self.charters
            ):
                self.warnings.append(
                    "the charters changed since the last sync; `govbot charters sync` applies them."
                )
        except BaseException:
            store.close()
            raise
        return store

    def write(self, service: Callable[..., Any], command: Any, *, actor: str | None = None) -> Any:
        """Run one service in one write transaction."""
        with self.store().write() as uow:
            return service(uow, actor or self.actor, self.now, command)

    def read(self, query: Callable[[UnitOfWork], Any]) -> Any:
        """Run a read-only query."""
        with self.reader().read() as uow:
            return query(uow)

    def close(self) -> None:
        """Release the record's connections."""
        if self._store is not None:
            self._store.close()
            self._store = None


# --- commands --------------------------------------------------------------------------------


def cmd_render(c: Console) -> Answer:
    """Write every page to a directory (no git): to preview the docs or publish elsewhere."""
    from governance.render import render_docs

    out = Path(c.args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a directory (it is created if missing).")
    pages = c.read(lambda uow: render_docs(uow.session))
    for path, text in pages.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Answer(
        f"Wrote {len(pages)} pages to {out}; start with {out / 'README.md'}.",
        {"out": str(out), "pages": sorted(pages)},
    )


def settings() -> Any:
    """The GOVBOT_ settings from the environment (and ``.env``), as ``govbot run`` reads them."""
    from bot.settings import SettingsError, load

    try:
        return load()
    except SettingsError as error:
        raise UsageError(str(error)) from None


def docs_publisher(c: Console) -> Any:
    """GitHub when its credentials are set, else the local repository (--docs, ...)."""
    from bot import wiring
    from bot.settings import SettingsError

    configured = settings()
    directory = c.args.docs or configured.docs_dir
    try:
        return wiring.docs_publisher(c.store(), Path(directory), configured.github_client())
    except (wiring.WiringError, SettingsError) as error:
        raise UsageError(str(error)) from None


def cmd_publish(c: Console) -> Answer:
    """Publish now instead of waiting for the service's outbox worker."""
    from governance.publish import PublishError, publish_now

    store = c.store()
    publisher = docs_publisher(c)
    try:
        done = publish_now(store, publisher, c.now, full=c.args.full)
    except PublishError as error:
        return Answer(
            f"The docs were not published: {error}. Nothing was lost; they stay marked as "
            "waiting (see `govbot outbox`) and the next publication includes these changes.",
            {"published": False, "error": str(error)},
            EXIT_REFUSED,
        )
    data = {
        "published": True,
        "commit": done.commit,
        "changed": list(done.changed),
        "deleted": list(done.deleted),
        "events": list(done.events),
        "ledger_head": done.head,
        "full": done.full,
        "where": publisher.where,
    }
    if done.commit is None:
        return Answer(f"Nothing changed in the docs; no commit made ({publisher.where}).", data)
    removed = f", removed {len(done.deleted)}" if done.deleted else ""
    return Answer(
        f"Published {len(done.events)} change(s) to {publisher.where}: commit "
        f"{done.commit[:12]}, wrote {len(done.changed)} page(s){removed}.",
        data,
    )


def cmd_outbox(c: Console) -> Answer:
    """What is waiting to leave or to be processed, with attempts, next attempt and last error."""
    from governance import inbox
    from governance.publish import outbox_view

    store = c.reader()
    items = outbox_view(store)
    stuck = inbox.unfinished(store)
    if not items and not stuck:
        return Answer(
            "Nothing is waiting: the docs are published up to the last change and every "
            "GitHub delivery is processed.",
            {"outbox": items, "deliveries": stuck},
        )
    lines = []
    for item in items:
        what = item["key"] if item["operation"] is None else f"{item['key']} ({item['operation']})"
        line = f"{what}: waiting since {item['since']}"
        if item["ledger_entries_waiting"] is not None:
            line += f", {item['ledger_entries_waiting']} ledger entries not yet published"
        if item["attempts"]:
            line += (
                f"; {item['attempts']} failed attempt(s), next at {item['next_attempt_at']}, "
                f"last error: {item['last_error']}"
            )
        elif item["kind"] == "publish":
            line += "; not attempted yet (run `govbot publish`, or the service publishes it)"
        else:
            line += "; not attempted yet (`govbot run` performs it)"
        lines.append(line)
    for delivery in stuck:
        line = f"delivery {delivery['key']} ({delivery['event']}): {delivery['state']}"
        if delivery["attempts"]:
            line += (
                f" after {delivery['attempts']} attempt(s), last error: {delivery['last_error']}"
            )
        lines.append(line)
    return Answer("\n".join(lines), {"outbox": items, "deliveries": stuck})


def _start(text: str | None) -> datetime | None:
    """``--start``: a date (the month starts at 09:00 UTC that day) or an ISO 8601 time."""
    from datetime import UTC, date, time

    from governance.clock import parse_instant

    if text is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(9), tzinfo=UTC)
    except ValueError:
        pass
    try:
        return parse_instant(text)
    except ValueError:
        raise UsageError(
            f"--start '{text[:40]}' is not a date; write it like 2027-03-01 "
            "(or an ISO 8601 time like 2027-03-01T09:00:00Z)."
        ) from None


def cmd_demo(c: Console) -> Answer:
    """Play four weeks of the bundled foundation into a new directory and publish its docs."""
    from bot import demo
    from governance.publish import PublishError

    if c.args.now is not None:
        raise UsageError(
            "The demo sets its own times: it ends now, or starts at --start DATE; drop --now."
        )
    start = _start(c.args.start)
    lines: list[str] = []
    try:
        report = demo.run_demo(
            Path(c.args.directory), charters=c.charters, echo=lines.append, start=start
        )
    except PublishError as error:
        return Answer(f"The demo could not publish its docs: {error}.", None, EXIT_REFUSED)
    data = {
        "directory": str(report.directory),
        "database": str(report.database),
        "docs": str(report.docs),
        "commits": list(report.commits),
        "rfcs": report.rfcs,
        "outcomes": report.outcomes,
        "ledger_ok": report.ledger.ok,
        "seconds": round(report.seconds, 2),
        "start": report.start.isoformat().replace("+00:00", "Z"),
        "live": report.live,
    }
    return Answer("\n".join(lines), data)


def cmd_check(c: Console) -> Answer:
    """Validate the charters; every problem at once, with file and line."""
    from governance import charters

    problems = charters.check(c.charters)
    if problems:
        lines = [str(p) for p in problems]
        text = "\n".join(lines) + f"\n{len(problems)} problem(s) in {c.charters}."
        return Answer(text, {"ok": False, "problems": lines}, EXIT_REFUSED)
    loaded = charters.load(c.charters)
    text = (
        f"{c.charters}: foundation '{loaded.foundation.name}', {len(loaded.people)} people, "
        f"{len(loaded.groups)} groups ({', '.join(sorted(loaded.groups))}); all valid."
    )
    return Answer(text, {"ok": True, "groups": sorted(loaded.groups), "people": len(loaded.people)})


def cmd_schema(c: Console) -> Answer:
    """The JSON Schema of charter front matter, for editors."""
    from governance import charters

    schema = charters.schema()
    return Answer(json.dumps(schema, indent=2, sort_keys=True), schema)


def cmd_charters_sync(c: Console) -> Answer:
    """Apply changed charters now, as every change and ``govbot run`` do first."""
    c.store()  # opening the record to change it applies the charters (and closes what is due)
    report = c.synced
    closed = ("\nClosed what fell due: " + "; ".join(c.closed)) if c.closed else ""
    data: dict[str, Any] = {"changed": False, "charters": str(c.charters), "closed": c.closed}
    if report is None or not report.changed:
        text = f"The charters in {c.charters} are the ones last applied; nothing changed."
        return Answer(text + closed, data)
    data |= {
        "changed": True,
        "digest": report.digest,
        "people_added": report.people_added,
        "people_updated": report.people_updated,
        "groups_founded": report.groups_founded,
        "groups_revised": report.groups_revised,
        "roster_changes": report.roster_changes,
        "conflicts": report.conflicts,
    }
    done = []
    if report.people_added:
        done.append(f"registered {len(report.people_added)} people")
    if report.people_updated:
        done.append("updated " + ", ".join(report.people_updated))
    if report.groups_founded:
        done.append("founded " + ", ".join(report.groups_founded))
    if report.groups_revised:
        done.append("revised " + ", ".join(report.groups_revised))
    if report.roster_changes and not report.groups_founded:  # a founding lists everyone
        done += [
            f"{c['person']} is now {c['role']} of {c['group']}"
            if "role" in c
            else f"{c['person']} left {c['group']}"
            for c in report.roster_changes
        ]
    lines = [f"Applied the charters in {c.charters}: " + ("; ".join(done) or "settings") + "."]
    lines += [f"  held back: {conflict}" for conflict in report.conflicts]
    return Answer("\n".join(lines) + closed, data)


def cmd_db_upgrade(c: Console) -> Answer:
    """Create or migrate the database."""
    from governance.store import HEAD_REVISION, Store, database_url, upgrade

    store = Store(database_url(c.args.db), migrate=False)
    ran = upgrade(store.engine)
    text = f"Database {c.args.db} is at schema {HEAD_REVISION}" + (
        " (migrated)." if ran else " (already current)."
    )
    return Answer(text, {"revision": HEAD_REVISION, "migrated": ran})


def cmd_tick(c: Console) -> Answer:
    """Close whatever is due at ``--now``: a write, like every command that changes the record."""
    c.store()  # opening the record to change it is the catch-up: it closes whatever is due
    text = "Closed: " + "; ".join(c.closed) if c.closed else "Nothing was due."
    return Answer(text, {"closed": c.closed})


def cmd_people_add(c: Console) -> Answer:
    """Register a person."""
    from governance.services import groups

    view = c.write(
        groups.add_person,
        groups.AddPerson(c.args.handle, c.args.name, c.args.github, c.args.discord_id),
    )
    return Answer(f"Registered {view.handle} ({view.name}).", view.__dict__)


def cmd_people_link(c: Console) -> Answer:
    """Link accounts to a person."""
    from governance.services import groups

    view = c.write(
        groups.link_person, groups.LinkPerson(c.args.handle, c.args.github, c.args.discord_id)
    )
    return Answer(
        f"Linked {view.handle}: GitHub {view.github or '-'}, Discord {view.discord_id or '-'}.",
        view.__dict__,
    )


def cmd_link_github(c: Console) -> Answer:
    """Start linking a GitHub login: a one-time code, shown once."""
    from governance.services import linking

    started = c.write(linking.start_link, linking.StartLink(c.args.login, "github"))
    return Answer(
        f"Your code for {started.login}: {started.code}\n{started.instructions}", started.__dict__
    )


def cmd_discord_roles(c: Console) -> Answer:
    """Plan (and with --apply, make) the role changes that mirror group rosters."""
    import asyncio

    from bot.discord.roles import mirror_from_console

    configured = settings()
    if configured.discord_token is None:
        raise UsageError(
            "GOVBOT_DISCORD_TOKEN is not set; the roles are read from and written to Discord "
            "with the bot's token."
        )
    from bot.discord.client import DiscordError

    try:
        report = asyncio.run(
            mirror_from_console(
                c.store(),
                configured,
                apply=c.args.apply,
                force=c.args.force,
                group=c.args.group,
            )
        )
    except DiscordError as error:
        raise UsageError(str(error)) from None
    refused = any(p.refused for p in report.plans)
    data = {
        "dry_run": report.dry_run,
        "plans": [
            {
                "group": p.group,
                "role": p.role,
                "holders": p.holders,
                "add": p.add,
                "remove": p.remove,
                "absent": p.absent,
                "refused": p.refused,
                "applied": p.applied,
            }
            for p in report.plans
        ],
    }
    return Answer(report.summary(), data, 3 if refused else 0)


def cmd_run(c: Console) -> Answer:
    """Run the service until SIGTERM or Ctrl-C."""
    from bot.app import StartupError, serve

    configured = settings()
    overrides: dict[str, Any] = {}  # only what was given on the command line beats the settings
    if c.args.db != _env_default_db():
        overrides["database_url"] = c.args.db
    if c.args.charters and c.args.charters != os.environ.get("GOVBOT_CHARTERS"):
        overrides["charters"] = Path(c.args.charters)
    try:
        code = serve(configured.model_copy(update=overrides))
    except StartupError as error:
        raise UsageError(str(error)) from None
    return Answer("govbot stopped.", {"stopped": True}, code)


def cmd_people_list(c: Console) -> Answer:
    """Everyone registered."""
    from governance.services import groups

    people = c.read(groups.list_people)
    lines = [f"{p.handle:<16} {p.name:<28} github:{p.github or '-'}" for p in people]
    return Answer("\n".join(lines) or "Nobody is registered yet.", [p.__dict__ for p in people])


def cmd_wg_list(c: Console) -> Answer:
    """Every group with its size."""
    from governance.services import groups

    views = c.read(groups.list_groups)
    lines = [
        f"{g.slug:<12} {g.kind:<14} {g.membership:<9} {len(g.roster):>3} people  {g.name}"
        for g in views
    ]
    return Answer("\n".join(lines), [g.to_json() for g in views])


def cmd_wg_show(c: Console) -> Answer:
    """A group and its roster."""
    from governance.services import groups

    view = c.read(lambda uow: groups.show_group(uow, c.args.slug))
    lines = [f"{view.name} ({view.slug}), {view.kind}, membership {view.membership}"]
    lines += [f"  {m.role:<9} {m.handle:<16} since {m.since}" for m in view.roster]
    if view.pending:
        lines.append("  pending: " + ", ".join(view.pending))
    return Answer("\n".join(lines), view.to_json())


def _membership_text(result: Any, done: str) -> str:
    if result.pending:
        return (
            f"{result.handle} asked to join {result.group}; a chair must approve "
            f"(`wg approve {result.group} {result.handle}`)."
        )
    return f"{result.handle} {done} {result.group}" + (
        f" as {result.role}." if result.role else "."
    )


def cmd_wg_join(c: Console) -> Answer:
    """Join or ask to join."""
    from governance.services import groups

    result = c.write(groups.join_group, groups.JoinGroup(c.args.slug))
    return Answer(_membership_text(result, "joined"), result.__dict__)


def cmd_wg_leave(c: Console) -> Answer:
    """Leave or remove."""
    from governance.services import groups

    result = c.write(groups.leave_group, groups.LeaveGroup(c.args.slug, c.args.person))
    return Answer(_membership_text(result, "left"), result.__dict__)


def cmd_wg_approve(c: Console) -> Answer:
    """Approve a join request."""
    from governance.services import groups

    result = c.write(groups.approve_join, groups.ApproveJoin(c.args.slug, c.args.handle))
    return Answer(_membership_text(result, "joined"), result.__dict__)


def cmd_wg_role(c: Console) -> Answer:
    """Set a role."""
    from governance.services import groups

    result = c.write(groups.set_role, groups.SetRole(c.args.slug, c.args.handle, c.args.role))
    return Answer(f"{result.handle} is now {result.role} of {result.group}.", result.__dict__)


def _body(c: Console) -> str | None:
    if c.args.body_file is None:
        body: str | None = c.args.body
        return body
    try:
        return str(c.args.body_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"Cannot read --body-file {c.args.body_file}: {error}.") from None


def cmd_rfc_propose(c: Console) -> Answer:
    """Propose an RFC."""
    from governance.services import rfcs

    body = _body(c)
    assert body is not None  # argparse requires --body or --body-file
    ref = c.write(rfcs.propose_rfc, rfcs.ProposeRfc(c.args.group, c.args.title, body))
    return Answer(f"Proposed {ref.rfc} in {c.args.group}; it is open for discussion.", ref.__dict__)


def cmd_rfc_list(c: Console) -> Answer:
    """List RFCs."""
    from governance.services import rfcs

    rows = c.read(lambda uow: rfcs.list_rfcs(uow, c.args.group, c.args.status))
    lines = [f"{r['rfc']}  {r['status']:<10} {r['group']:<10} {r['title']}" for r in rows]
    return Answer("\n".join(lines) or "No RFCs yet.", rows)


def cmd_rfc_show(c: Console) -> Answer:
    """Show an RFC."""
    from governance.services import rfcs

    view = c.read(lambda uow: rfcs.show_rfc(uow, c.args.rfc, c.now))
    lines = [f"{view.rfc}: {view.title}", f"group {view.group}, by {view.author}, {view.status}"]
    lines += ["", view.body, ""]
    for concern in view.concerns:
        lines.append(
            f"concern {concern.concern_id} by {concern.author} ({concern.state}): {concern.text}"
        )
    if view.vote is not None:
        lines.append(_vote_text(view.vote))
    return Answer("\n".join(lines), view.to_json())


def cmd_rfc_repropose(c: Console) -> Answer:
    """Re-propose a rejected RFC with changes."""
    from governance.services import rfcs

    ref = c.write(rfcs.repropose_rfc, rfcs.ReproposeRfc(c.args.rfc, c.args.title, _body(c)))
    return Answer(f"{ref.rfc} is back in discussion with its changes.", ref.__dict__)


def cmd_rfc_withdraw(c: Console) -> Answer:
    """Withdraw an RFC."""
    from governance.services import rfcs

    ref = c.write(rfcs.withdraw_rfc, rfcs.WithdrawRfc(c.args.rfc))
    return Answer(f"{ref.rfc} is withdrawn.", ref.__dict__)


def cmd_rfc_concern(c: Console) -> Answer:
    """Raise a concern."""
    from governance.services import rfcs

    result = c.write(rfcs.raise_concern, rfcs.RaiseConcern(c.args.rfc, c.args.text))
    paused = " The vote is paused until it is resolved." if result.vote_state == "paused" else ""
    return Answer(
        f"Concern {result.concern_id} raised on {result.rfc}.{paused} Its author resolves it with "
        f"`rfc resolve {result.rfc} {result.concern_id}`.",
        result.__dict__,
    )


def cmd_rfc_resolve(c: Console) -> Answer:
    """Resolve or override a concern."""
    from governance.services import rfcs

    result = c.write(
        rfcs.resolve_concern, rfcs.ResolveConcern(c.args.rfc, c.args.concern_id, c.args.reason)
    )
    resumed = (
        f" The vote resumes and closes at {result.closes_at}."
        if result.vote_state == "open" and result.closes_at
        else ""
    )
    return Answer(
        f"Concern {result.concern_id} on {result.rfc} is {result.state}.{resumed}", result.__dict__
    )


def _vote_text(status: Any) -> str:
    head = f"Vote on {status.rfc}: {status.state}"
    if status.outcome:
        head += f", {status.outcome}"
    quorum = f" (quorum {status.quorum_needed}: {'met' if status.quorum_met else 'not met'})"
    if status.sealed:  # a secret vote before its close: turnout only
        counts = (
            f"secret ballot: {status.participation} of {status.electorate} electors voted"
            f"{quorum}; the totals are published when it closes"
        )
    else:
        counts = (
            f"yes {status.yes}, no {status.no}, abstain {status.abstain} "
            f"of {status.electorate} electors{quorum}"
        )
    if status.non_binding:
        counts += f"; {status.non_binding} non-binding"
    when = ""
    if status.due:
        closes = f"closes as {status.due_outcome}" if status.due_outcome else "closes"
        when = f"; due: {closes} at the next tick (`govbot tick`, or the service)"
    elif status.state == "open":
        when = f"; closes at {status.closes_at}"
    elif status.state == "paused":
        when = "; paused by a concern, the clock is stopped"
    elif status.closed_at:
        when = f"; closed at {status.closed_at}"
    reason = f" Reason: {status.reason}" if status.reason else ""
    return f"{head}. {counts}{when}. Policy {status.policy_name}: {status.policy}.{reason}"


def cmd_vote_open(c: Console) -> Answer:
    """Open a vote."""
    from governance.services import rfcs

    status = c.write(rfcs.open_vote, rfcs.OpenVote(c.args.rfc, c.args.policy))
    return Answer(_vote_text(status), status.to_json())


def cmd_vote_cast(c: Console) -> Answer:
    """Cast a ballot."""
    from governance.services import rfcs

    result = c.write(rfcs.cast_ballot, rfcs.CastBallot(c.args.rfc, c.args.choice))
    if not result.changed:
        text = f"{result.handle} already voted {result.choice} on {result.rfc}; nothing changed."
    elif result.binding:
        text = f"Recorded {result.handle}'s {result.choice} on {result.rfc}."
    else:
        text = (
            f"Recorded {result.handle}'s {result.choice} on {result.rfc} as non-binding: "
            f"{result.handle} is not in this vote's electorate, so it is shown apart "
            "and not counted."
        )
    if result.receipt:
        text += f" Your receipt: {result.receipt} (keep it to check your ballot)."
    text += "\n" + _vote_text(result.status)
    data = {
        "rfc": result.rfc,
        "handle": result.handle,
        "choice": result.choice,
        "binding": result.binding,
        "changed": result.changed,
        "receipt": result.receipt,
        "status": result.status.to_json(),
    }
    return Answer(text, data)


def cmd_vote_status(c: Console) -> Answer:
    """Show a vote; from a current SQLite file it is read without loading the ORM."""
    status = None
    if "://" not in str(c.args.db):
        from governance import fastread
        from governance.digest import charters_digest

        digest = charters_digest(c.charters)
        status = fastread.vote_status(Path(c.args.db), digest, c.args.rfc, c.now)
    if status is None:
        from governance.services import rfcs

        status = c.read(lambda uow: rfcs.vote_status(uow, c.args.rfc, c.now))
    text, data = _vote_text(status), status.to_json()
    if status.sealed and status.voted is not None:
        text += f"\nVoted: {', '.join(status.voted) or 'nobody yet'}."
    if c.args.actor:  # the console trusts --as: its user can read the database anyway
        from governance.services import rfcs

        mine = c.read(lambda uow: rfcs.own_ballot(uow, c.args.rfc, c.args.actor))
        data["mine"] = mine.to_json()
        text += "\n" + _own_text(mine)
    return Answer(text, data)


def _own_text(mine: Any) -> str:
    if mine.choice is None:
        return f"{mine.handle} has not voted on {mine.rfc}."
    kind = "" if mine.binding else " (non-binding)"
    receipt = f"; receipt {mine.receipt}" if mine.receipt else ""
    return f"{mine.handle}'s ballot: {mine.choice}{kind}, cast at {mine.cast_at}{receipt}."


def cmd_vote_receipt(c: Console) -> Answer:
    """What a secret ballot's receipt counted as; its choice only after the close."""
    from governance.services import rfcs

    answer = c.read(
        lambda uow: rfcs.check_receipt(uow, rfcs.CheckReceipt(c.args.rfc, c.args.receipt))
    )
    code = EXIT_REFUSED if answer.standing == "unknown" else EXIT_OK
    return Answer(answer.message, answer.to_json(), code)


def cmd_vote_cancel(c: Console) -> Answer:
    """Cancel a vote."""
    from governance.services import rfcs

    status = c.write(rfcs.cancel_vote, rfcs.CancelVote(c.args.rfc, c.args.reason))
    return Answer(_vote_text(status) + f" {status.rfc} is back in discussion.", status.to_json())


def _election_text(status: Any) -> str:
    lines = [
        f"{status.election} ({status.group}): {status.title}; {status.seats} seat(s); "
        f"{status.state}" + (f", {status.outcome}" if status.outcome else ""),
        f"  candidates: {', '.join(status.candidates)}",
        f"  ballots {status.ballots} of {status.electorate} electors "
        f"(quorum {status.quorum_needed}:"
        f" {'met' if status.quorum_met else 'not met'})"
        + (f"; {status.non_binding} non-binding" if status.non_binding else ""),
        "  ranking: the rankings are secret until it closes"
        if status.sealed
        else "  ranking: " + " > ".join("=".join(t) for t in status.tiers),
    ]
    if status.winners:
        lines.append("  winners: " + ", ".join(status.winners))
    if status.tied:
        lines.append(
            "  tied for the last seat(s), for the chair to settle: " + ", ".join(status.tied)
        )
    if status.due:
        closes = f"closes as {status.due_outcome}" if status.due_outcome else "closes"
        lines.append(f"  due: {closes} at the next tick (`govbot tick`, or the service)")
    elif status.state == "open":
        lines.append(f"  closes at {status.closes_at}")
    return "\n".join(lines)


def cmd_election_open(c: Console) -> Answer:
    """Open an election."""
    from governance.services import elections

    candidates = tuple(h.strip() for h in c.args.candidates.split(",") if h.strip())
    status = c.write(
        elections.open_election,
        elections.OpenElection(c.args.group, c.args.seats, candidates, c.args.title, c.args.policy),
    )
    return Answer(_election_text(status), status.to_json())


def cmd_election_rank(c: Console) -> Answer:
    """Rank candidates."""
    from governance.services import elections

    status = c.write(elections.rank, elections.RankCandidates(c.args.election, c.args.ranking))
    receipt = ""
    if status.receipt:
        receipt = f" Your receipt: {status.receipt} (keep it to check your ranking)."
    return Answer(f"Ranking recorded.{receipt}\n{_election_text(status)}", status.to_json())


def cmd_election_status(c: Console) -> Answer:
    """Show an election."""
    from governance.services import elections

    status = c.read(lambda uow: elections.election_status(uow, c.args.election, c.now))
    return Answer(_election_text(status), status.to_json())


def cmd_election_receipt(c: Console) -> Answer:
    """What a secret ranking's receipt counted as; its ranking only after the close."""
    from governance.services import elections

    command = elections.CheckElectionReceipt(c.args.election, c.args.receipt)
    answer = c.read(lambda uow: elections.check_receipt(uow, command))
    code = EXIT_REFUSED if answer.standing == "unknown" else EXIT_OK
    return Answer(answer.message, answer.to_json(), code)


def cmd_election_cancel(c: Console) -> Answer:
    """Cancel an election."""
    from governance.services import elections

    status = c.write(
        elections.cancel_election, elections.CancelElection(c.args.election, c.args.reason)
    )
    return Answer(_election_text(status), status.to_json())


def cmd_ledger_verify(c: Console) -> Answer:
    """Recompute the hash chain, then replay the ledger and compare every table it describes."""
    from governance import ledger, replay
    from governance.store import ledger_entries

    with c.reader().read() as uow:
        result = ledger.verify(ledger_entries(uow.session))
        compared = replay.compare(uow.session)
    data = {
        "ok": result.ok and compared.ok,
        "entries": result.entries,
        "head": result.head,
        "broken_at": result.broken_at,
        "problem": result.problem,
        "differences": [d.to_json() for d in compared.differences],
        "tables": compared.tables,
        "rows": compared.rows,
        "unchecked": compared.unchecked,
        "predating": [p.seq for p in compared.predating],
    }
    if result.ok:
        lines = [f"Ledger intact: {result.entries} entries, head {result.head}"]
    else:
        lines = [
            f"Ledger broken at entry {result.broken_at}: {result.problem}. "
            f"The {result.entries} entries before it check out (last good hash {result.head})"
        ]
    lines[0] += "; " + _replay_summary(compared)
    lines += _replay_details(compared)
    answer = Answer("\n".join(lines), data, EXIT_OK if data["ok"] else EXIT_REFUSED)
    if c.args.docs is not None:
        answer = _with_published(answer, c.reader(), Path(c.args.docs))
    return answer


DIFFERENCES_SHOWN = 50


def _replay_summary(compared: Comparison) -> str:
    """The replay's verdict in one sentence, after the chain's."""
    tables, rows = len(compared.tables), compared.rows
    if compared.differences:
        count = len(compared.differences)
        return (
            f"but the tables differ from what the ledger says in {count} "
            f"place{'' if count == 1 else 's'}:"
        )
    if compared.predating:
        return (
            f"what could be compared matches the ledger ({tables} tables, {rows} rows), but the "
            "record cannot be fully replayed:"
        )
    return f"every table matches the ledger ({tables} tables, {rows} rows)."


def _replay_details(compared: Comparison) -> list[str]:
    """Each difference (at most ``DIFFERENCES_SHOWN``), what was not checked, what to do."""
    lines = [f"  {d.line()}" for d in compared.differences[:DIFFERENCES_SHOWN]]
    hidden = len(compared.differences) - DIFFERENCES_SHOWN
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (`ledger verify --json` lists them all).")
    if compared.differences:
        lines.append(
            "The ledger is the record: a table that disagrees with it was changed outside govbot. "
            "Restore the database from a backup taken before the change, or find out who "
            "changed it."
        )
    if compared.predating:
        first = compared.predating[0]
        tables = [t for t in compared.unchecked if "." not in t]
        fields = [t for t in compared.unchecked if "." in t]
        left = ([f"tables {', '.join(tables)}"] if tables else []) + (
            [f"fields {', '.join(fields)} in the rows they made"] if fields else []
        )
        lines.append(
            f"{len(compared.predating)} entries (the first is entry {first.seq}, {first.action}) "
            "were written before entries carried everything a replay needs, so these were not "
            f"compared: {'; '.join(left)}. Entries written from now on carry it all."
        )
    return lines


def _with_published(answer: Answer, store: Store, docs: Path) -> Answer:
    """The record against every head a clone of the docs published, appended to ``answer``."""
    from governance.published import check_published, read_clone
    from governance.store import ledger_entries

    clone = read_clone(docs)
    with store.read() as uow:
        check = check_published(ledger_entries(uow.session), clone.history, clone.files)
    data = dict(answer.data or {})
    data["published"] = {"docs": str(docs), "branch": clone.branch, "tip": clone.tip}
    data["published"].update(check.to_json())
    text = f"{answer.text}\n{_published_text(check, docs, clone.branch)}"
    return Answer(text, data, answer.code if check.ok else EXIT_REFUSED)


def _published_text(check: PublishedCheck, docs: Path, branch: str) -> str:
    """What ``ledger verify --docs`` adds: the published heads, then the month files."""
    where = f"{docs} ({branch})"
    if check.latest is None:
        heads = (
            f"Published heads: none of the {check.commits} commit(s) of {where} has a "
            "`Ledger head:` line, so there is nothing published to check against."
        )
    elif check.contradicted is None:
        heads = (
            f"Published heads: all {check.heads} `Ledger head:` lines of the {check.commits} "
            f"commit(s) of {where} agree with the record; the newest, commit "
            f"{check.latest.commit[:12]}, is entry {check.latest.seq} ({check.latest.hash})."
        )
    else:
        first = check.contradicted
        heads = (
            f"Published heads CONTRADICTED: {first.problem}. This is the oldest of "
            f"{check.contradictions} contradicted head(s) among the {check.heads} published "
            f"in {where}. What the docs published was public; restore the record from a "
            "backup taken before the change, or explain the difference to the members."
        )
    if check.difference is None and not check.files_problem:
        files = (
            f"Published ledger files: the {check.compared} entries in the {check.files} month "
            "file(s) at the tip match the record."
        )
    else:
        parts = []
        if check.difference is not None:
            parts.append(f"{check.difference.problem} ({check.differences} difference(s) in all)")
        if check.files_problem:
            parts.append(check.files_problem)
        files = (
            "Published ledger files DIFFER: "
            + "; ".join(parts)
            + ". Either the record changed after these entries were published or the files "
            "were edited in the docs repository; `python3 ledger/verify.py` in the clone "
            "checks the files alone."
        )
    return f"{heads}\n{files}"


def cmd_ledger_tail(c: Console) -> Answer:
    """The latest ledger entries."""
    from governance.clock import iso
    from governance.store import ledger_entries

    entries = c.read(lambda uow: list(ledger_entries(uow.session)))[-max(c.args.n, 0) :]

    rows = [
        {
            "seq": e.seq,
            "at": iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "payload": json.loads(e.payload),
            "hash": e.hash,
        }
        for e in entries
    ]
    lines = [
        f"{r['seq']:>6} {r['at']} {r['actor']:<12} {r['action']:<22} {r['subject']}" for r in rows
    ]
    return Answer("\n".join(lines) or "The ledger is empty.", rows)


# --- entry point -----------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> tuple[int, str, str]:
    """Run one console command; returns (exit code, stdout, stderr) without touching sys."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage error
        return int(exit_.code or 0), "", ""
    as_json = bool(args.json)
    console: Console | None = None
    try:
        console = Console(args)
        answer = args.handler(console)
    except UsageError as error:
        return EXIT_USAGE, _error_json(as_json, "usage", str(error)), f"govbot: {error}\n"
    except Exception as error:  # typed errors become messages; anything else propagates
        return _refusal(error, as_json)
    finally:
        if console is not None:
            console.close()
    out = json.dumps(answer.data, indent=2, sort_keys=True, default=str) if as_json else answer.text
    err = "".join(f"govbot: {warning}\n" for warning in console.warnings)
    return answer.code, out + "\n", err


def _error_json(as_json: bool, code: str, message: str) -> str:
    if not as_json:
        return ""
    return json.dumps({"error": code, "message": message}) + "\n"


def _refusal(error: Exception, as_json: bool) -> tuple[int, str, str]:
    from governance.charters import CharterError
    from governance.errors import GovernanceError, InvalidInput

    if isinstance(error, CharterError):
        problems = "\n".join(str(p) for p in error.problems)
        message = f"The charters do not validate; fix them (see `govbot check`):\n{problems}"
        return EXIT_REFUSED, _error_json(as_json, "charters", message), f"govbot: {message}\n"
    if isinstance(error, GovernanceError):
        code = EXIT_USAGE if isinstance(error, InvalidInput) else EXIT_REFUSED
        return code, _error_json(as_json, error.code, error.message), f"govbot: {error.message}\n"
    raise error


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    code, out, err = run(argv)
    if out:
        sys.stdout.write(out)
    if err:
        sys.stderr.write(err)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
