"""What GitHub deliveries do: labels open votes and import issues, comments vote and link.

Each stored delivery is processed once, in ONE transaction: the service call, the delivery
marked done, and the replies to GitHub queued in the outbox (a label taken back, a comment, a
reaction). A refusal changes nothing but the delivery's state and queues its explanation.
Processing never calls GitHub itself, so it is fast and works while GitHub is down.

Who acts is the person whose GitHub login is linked (people.yaml, or a ``/govbot verify``
code). Anyone else is told how to link. Deliveries from bots, from govbot's own account, from
other repositories and about pull requests are ignored.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.github import commands
from bot.github.effects import follow_in
from bot.github.outbox import OUTBOX_KIND, labels_of
from governance.charters import Labels
from governance.clock import as_utc, iso, parse_instant
from governance.errors import GovernanceError
from governance.inbox import RESULT_MAX
from governance.model import Delivery, DeliveryState, Group, Person, RfcStatus
from governance.services import common, linking, rfcs
from governance.store import Store, UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "github"
EVENTS = frozenset({"issues", "issue_comment"})
"""Events govbot acts on; others (``ping`` aside) are acknowledged and ignored."""
ACTIONS = {"issues": frozenset({"opened", "labeled"}), "issue_comment": frozenset({"created"})}


@dataclass(frozen=True)
class Watch:
    """What the processor needs to know about GitHub: the watched repository and who we are."""

    repo: str
    own_logins: frozenset[str] = frozenset()
    """Lowercased logins of govbot's own account: its actions come back as deliveries."""


@dataclass
class Outcome:
    """What processing did (one line for the record) and the replies queued for GitHub."""

    result: str
    replies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    """A delivery's work: ``run`` calls services; ``refused`` explains a refusal on GitHub."""

    run: Callable[[UnitOfWork, datetime], Outcome]
    refused: Callable[[GovernanceError], Outcome]


# --- checking what arrived -------------------------------------------------------------------


def delivery_key(event: str, delivery_id: str, payload: dict[str, Any]) -> str:
    """The key a delivery is deduplicated on.

    A comment is the same comment however it arrives (redelivered, or read back when
    reconciling), so comments are keyed by their id; anything else by GitHub's delivery id.
    """
    if event == "issue_comment" and payload.get("action") == "created":
        return f"github:comment:{payload['comment']['id']}"
    return f"github:delivery:{delivery_id}"


def problem(event: str, payload: Any) -> str | None:
    """Why a payload of an event we act on is malformed, or None when it is usable."""
    if not isinstance(payload, dict):
        return "the payload is not a JSON object"
    checks: list[tuple[tuple[str, ...], type | tuple[type, ...]]] = [
        (("action",), str),
        (("repository", "full_name"), str),
        (("sender", "login"), str),
        (("issue", "number"), int),
        (("issue", "title"), str),
    ]
    if event == "issue_comment":
        checks += [(("comment", "id"), int), (("comment", "created_at"), str)]
        checks += [(("comment", "body"), (str, type(None)))]
    if event == "issues" and payload.get("action") in {"labeled", "unlabeled"}:
        checks.append((("label", "name"), str))
    for path, kind in checks:
        value: Any = payload
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"'{'.'.join(path)}' is missing or not a {_kind_name(kind)}"
    return None


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "string", "int": "number", "NoneType": "null"}[k.__name__] for k in kinds
    )


def ignored_because(event: str, payload: dict[str, Any], watch: Watch) -> str | None:
    """Why a well-formed delivery needs no work at all (it is then not even stored)."""
    action = payload.get("action")
    if action not in ACTIONS.get(event, frozenset()):
        return f"{event}.{action} is not an event govbot acts on"
    repo = str(payload["repository"]["full_name"])
    if repo.lower() != watch.repo.lower():
        return f"{repo} is not the watched repository {watch.repo}"
    sender = payload["sender"]
    if sender.get("type") == "Bot" or str(sender["login"]).lower() in watch.own_logins:
        return f"sent by the bot {sender['login']}"
    if payload["issue"].get("pull_request"):
        return "about a pull request, not an issue"
    return None


# --- processing ------------------------------------------------------------------------------


def process(store: Store, delivery_id: int, watch: Watch) -> str:
    """Process one stored delivery once; returns what it did, in one line."""
    with store.write() as uow:
        row = uow.session.get(Delivery, delivery_id)
        if row is None or row.state != DeliveryState.PENDING:
            return "already processed"
        event, payload, key = row.event, dict(row.payload), row.key
        now = _moment(uow, event, payload, row.received_at)
        plan_or_outcome = _plan(uow, event, payload, watch)
        if isinstance(plan_or_outcome, Outcome):
            outcome = plan_or_outcome
        else:
            try:
                with uow.hold():
                    outcome = plan_or_outcome.run(uow, now)
            except GovernanceError as error:
                uow.rollback()
                outcome = plan_or_outcome.refused(error)
                row = uow.session.get(Delivery, delivery_id)
                assert row is not None
        follow_in(uow)  # what the record did leaves before the replies about it
        _finish(uow, row, key, now, outcome)
        uow.commit()
    log.info("github delivery %s: %s", key, outcome.result)
    return outcome.result


def _moment(uow: UnitOfWork, event: str, payload: dict[str, Any], received: datetime) -> datetime:
    """When the person acted, never after the delivery reached us.

    That is a comment's creation, or an issue's last update (adding a label updates it). The
    record never goes backwards, so a moment before its newest entry becomes that entry's.
    """
    moment = as_utc(received)
    stamp = (
        payload["comment"].get("created_at")
        if event == "issue_comment"
        else payload["issue"].get("updated_at")  # GitHub moves it when a label is added
    )
    if isinstance(stamp, str):
        with contextlib.suppress(ValueError):
            moment = min(moment, parse_instant(stamp))
    _, last, _ = uow.head()
    return moment if last is None else max(moment, as_utc(last))


def _finish(uow: UnitOfWork, row: Delivery, key: str, now: datetime, outcome: Outcome) -> None:
    for index, reply in enumerate(outcome.replies):
        uow.emit(now, OUTBOX_KIND, f"github:reply:{key}:{index}", reply)
    row.state = DeliveryState.DONE
    row.processed_at = now
    row.result = outcome.result[:RESULT_MAX]
    uow.session.add(row)


def _plan(uow: UnitOfWork, event: str, payload: dict[str, Any], watch: Watch) -> Plan | Outcome:
    wrong = problem(event, payload)
    if wrong is not None:
        return Outcome(f"ignored: malformed ({wrong})")
    reason = ignored_because(event, payload, watch)
    if reason is not None:
        return Outcome(f"ignored: {reason}")
    names = labels_of(uow)
    if event == "issues":
        issue_labels = _issue_labels(payload)
        if payload["action"] == "labeled":
            label = str(payload["label"]["name"])
            if label.lower() == names.vote_open.lower():
                return _plan_open_vote(uow, payload, names)
            if label.lower() == names.rfc.lower() or label.lower().startswith(
                names.group_prefix.lower()
            ):
                return _plan_import(uow, payload, names, issue_labels)
            return Outcome(f"ignored: the label {label} means nothing to govbot")
        return _plan_import(uow, payload, names, issue_labels)
    return _plan_comment(uow, payload)


def _issue_labels(payload: dict[str, Any]) -> list[str]:
    labels = payload["issue"].get("labels") or []
    return [str(label["name"]) for label in labels if isinstance(label, dict) and "name" in label]


def _where(payload: dict[str, Any]) -> dict[str, Any]:
    return {"repo": str(payload["repository"]["full_name"]), "issue": payload["issue"]["number"]}


def _comment(payload: dict[str, Any], text: str) -> dict[str, Any]:
    return {"op": "comment", **_where(payload), "body": text}


def _mention(login: str) -> str:
    return f"@{login}"


def link_help(login: str) -> str:
    """How an unlinked GitHub user becomes someone govbot knows."""
    return (
        f"{_mention(login)}, your GitHub account is not linked to anyone govbot knows, so it "
        "cannot act for you yet. If you are registered, ask for a one-time code for this "
        f"account (`govbot link github {login} --as HANDLE` on the console) and "
        "comment `/govbot verify CODE` on any issue here. If you are not registered, ask a "
        "foundation admin to add you."
    )


def _person(uow: UnitOfWork, payload: dict[str, Any]) -> Person | None:
    return linking.person_by_login(uow, str(payload["sender"]["login"]))


# --- labels ----------------------------------------------------------------------------------


def _group_of(labels: list[str], names: Labels) -> tuple[str | None, str]:
    """The group an issue's ``wg/<slug>`` label names; an explanation when there is none."""
    prefix = names.group_prefix.lower()
    slugs = sorted({lab[len(prefix) :] for lab in labels if lab.lower().startswith(prefix)})
    if not slugs:
        return None, f"it has no `{names.group_prefix}<group>` label naming its group"
    if len(slugs) > 1:
        return None, f"it names more than one group ({', '.join(slugs)}); keep one label"
    return slugs[0], ""


def _plan_import(
    uow: UnitOfWork, payload: dict[str, Any], names: Labels, labels: list[str]
) -> Plan | Outcome:
    where = _where(payload)
    existing = rfcs.rfc_of_issue(uow, where["repo"], where["issue"])
    if existing is not None:
        return Outcome(f"ignored: already {common.rfc_label(existing.number)}")
    if names.rfc.lower() not in {lab.lower() for lab in labels}:
        return Outcome(f"ignored: no `{names.rfc}` label")
    slug, why = _group_of(labels, names)
    login = str(payload["sender"]["login"])
    if slug is None:
        return Outcome(
            f"refused: not imported, {why}",
            [_comment(payload, f"{_mention(login)}, this issue is not an RFC yet: {why}.")],
        )
    who = _person(uow, payload)
    if who is None:
        return Outcome("refused: the labeller is not linked", [_comment(payload, link_help(login))])
    return _import_plan(uow, payload, who, slug, then=None)


def _import_plan(
    uow: UnitOfWork,
    payload: dict[str, Any],
    who: Person,
    slug: str,
    then: Callable[[UnitOfWork, datetime, str], Outcome] | None,
) -> Plan:
    where = _where(payload)
    issue = payload["issue"]
    author_login = (issue.get("user") or {}).get("login")
    author = linking.person_by_login(uow, str(author_login)) if author_login else None
    login = str(payload["sender"]["login"])

    def run(uow: UnitOfWork, now: datetime) -> Outcome:
        ref = rfcs.import_issue(
            uow,
            who.handle,
            now,
            rfcs.ImportIssue(
                slug,
                str(issue["title"]),
                str(issue.get("body") or ""),
                where["repo"],
                where["issue"],
                None if author is None else author.handle,
            ),
        )
        if then is not None:
            return then(uow, now, ref.rfc)
        text = (
            f"{_mention(login)} made this issue **{ref.rfc}** of the `{slug}` group; it is in "
            "discussion. Its text stays as this issue's first post was when imported. "
            "A chair opens the vote by adding the vote label."
        )
        return Outcome(f"imported as {ref.rfc}", [_comment(payload, text)])

    def refused(error: GovernanceError) -> Outcome:
        text = f"{_mention(login)}, this issue was not made an RFC: {error.message}"
        return Outcome(f"refused: {error.message}", [_comment(payload, text)])

    return Plan(run, refused)


def _plan_open_vote(uow: UnitOfWork, payload: dict[str, Any], names: Labels) -> Plan | Outcome:
    where = _where(payload)
    login = str(payload["sender"]["login"])
    take_back = {"op": "labels", **where, "add": [], "remove": [names.vote_open]}
    who = _person(uow, payload)
    if who is None:
        return Outcome(
            "refused: the labeller is not linked",
            [take_back, _comment(payload, link_help(login))],
        )
    rfc = rfcs.rfc_of_issue(uow, where["repo"], where["issue"])

    def open_it(uow: UnitOfWork, now: datetime, ref: str) -> Outcome:
        rfcs.open_vote(uow, who.handle, now, rfcs.OpenVote(ref))
        return Outcome(f"opened the vote on {ref}")

    def refused(error: GovernanceError) -> Outcome:
        text = (
            f"{_mention(login)}, the vote was not opened and the `{names.vote_open}` label was "
            f"taken back: {error.message}"
        )
        return Outcome(f"refused: {error.message}", [take_back, _comment(payload, text)])

    if rfc is None:
        slug, why = _group_of(_issue_labels(payload), names)
        if names.rfc.lower() not in {lab.lower() for lab in _issue_labels(payload)}:
            slug, why = None, f"it has no `{names.rfc}` label"
        if slug is None:
            text = (
                f"{_mention(login)}, this issue is not an RFC, so there is nothing to vote on "
                f"({why}); the `{names.vote_open}` label was taken back."
            )
            return Outcome(f"refused: not an RFC ({why})", [take_back, _comment(payload, text)])
        plan = _import_plan(uow, payload, who, slug, then=open_it)
        return Plan(plan.run, refused)
    label = common.rfc_label(rfc.number)
    if rfc.status in (RfcStatus.VOTING, RfcStatus.PAUSED):
        return Outcome(f"ignored: the vote on {label} is already open")
    return Plan(lambda uow, now: open_it(uow, now, label), refused)


# --- comments --------------------------------------------------------------------------------


def _plan_comment(uow: UnitOfWork, payload: dict[str, Any]) -> Plan | Outcome:
    command = commands.parse(payload["comment"].get("body"))
    if command is None:
        return Outcome("ignored: no command")
    login = str(payload["sender"]["login"])
    comment_id = int(payload["comment"]["id"])
    react = {"op": "react", **_where(payload), "comment_id": comment_id}

    def refusal(doing: str) -> Callable[[GovernanceError], Outcome]:
        def refused(error: GovernanceError) -> Outcome:
            text = f"{_mention(login)}, {doing}: {error.message}"
            return Outcome(
                f"refused: {error.message}",
                [_comment(payload, text), {**react, "content": "confused"}],
            )

        return refused

    if command.word == "govbot":
        return _plan_govbot(payload, command, login, react, refusal)
    who = _person(uow, payload)
    if who is None:
        return Outcome(
            "refused: the commenter is not linked", [_comment(payload, link_help(login))]
        )
    where = _where(payload)
    rfc = rfcs.rfc_of_issue(uow, where["repo"], where["issue"])
    if rfc is None:
        text = (
            f"{_mention(login)}, `{command.line[:80]}` did nothing: this issue is not an RFC. "
            "Commands work on the issues that carry RFCs."
        )
        return Outcome("refused: not an RFC", [_comment(payload, text)])
    label = common.rfc_label(rfc.number)
    if command.word == "vote":
        return _plan_ballot(uow, payload, who, rfc, label, command, react, refusal)
    if command.word == "concern":

        def raise_it(uow: UnitOfWork, now: datetime) -> Outcome:
            result = rfcs.raise_concern(
                uow, who.handle, now, rfcs.RaiseConcern(label, command.argument)
            )
            paused = (
                " The vote is paused until it is resolved." if result.vote_state == "paused" else ""
            )
            text = (
                f"{_mention(login)} raised concern **{result.concern_id}** on {label}.{paused} "
                f"Its author resolves it with `/resolve {result.concern_id}`."
            )
            return Outcome(
                f"raised concern {result.concern_id} on {label}", [_comment(payload, text)]
            )

        return Plan(raise_it, refusal("the concern was not raised"))
    # resolve
    parts = command.argument.split(None, 1)
    number = parts[0].lstrip("#") if parts else ""
    if not number.isdigit():
        text = (
            f"{_mention(login)}, write `/resolve ID` with the concern's number, like `/resolve 3`."
        )
        return Outcome("refused: no concern number", [_comment(payload, text)])
    reason = parts[1] if len(parts) > 1 else None

    def resolve_it(uow: UnitOfWork, now: datetime) -> Outcome:
        result = rfcs.resolve_concern(
            uow, who.handle, now, rfcs.ResolveConcern(label, int(number), reason)
        )
        resumed = (
            f" The vote resumes and closes at {result.closes_at}."
            if result.vote_state == "open" and result.closes_at
            else ""
        )
        text = f"Concern {result.concern_id} on {label} is {result.state}.{resumed}"
        return Outcome(
            f"concern {result.concern_id} on {label} {result.state}",
            [{**react, "content": "+1"}, _comment(payload, text)],
        )

    return Plan(resolve_it, refusal("the concern was not resolved"))


def _plan_ballot(
    uow: UnitOfWork,
    payload: dict[str, Any],
    who: Person,
    rfc: Any,
    label: str,
    command: commands.Command,
    react: dict[str, Any],
    refusal: Callable[[str], Callable[[GovernanceError], Outcome]],
) -> Plan | Outcome:
    login = str(payload["sender"]["login"])
    choice = command.argument.split()[0].lower() if command.argument.split() else ""
    vote = rfcs.latest_vote(uow, rfc)
    if vote is not None and vote.policy.get("secret"):
        text = (
            f"{_mention(login)}, the vote on {label} is secret, so it is not cast in public "
            "comments; vote in Discord or with the console. Consider deleting your comment."
        )
        return Outcome("refused: secret vote", [_comment(payload, text)])
    written = parse_instant(str(payload["comment"]["created_at"]))  # GitHub: whole seconds
    opened = None if vote is None else as_utc(vote.opened_at).replace(microsecond=0)
    if vote is not None and vote.state in rfcs.LIVE and opened is not None and written < opened:
        text = (
            f"{_mention(login)}, your comment was written before the vote on {label} opened "
            f"({iso(vote.opened_at)}), so it was not counted; comment again to vote."
        )
        return Outcome("refused: written before the vote opened", [_comment(payload, text)])

    def cast(uow: UnitOfWork, now: datetime) -> Outcome:
        result = rfcs.cast_ballot(uow, who.handle, now, rfcs.CastBallot(label, choice))
        replies: list[dict[str, Any]] = [{**react, "content": "+1"}]
        if not result.binding:
            group = uow.session.get(Group, rfc.group_id)
            slug = group.slug if group is not None else "the group"
            replies.append(
                _comment(
                    payload,
                    f"{_mention(login)}, your ballot ({choice}) is recorded as **non-binding**: "
                    f"you were not among the electors of {slug} when the vote opened. It is "
                    "shown apart and not counted.",
                )
            )
        changed = "" if result.changed else " (unchanged)"
        binding = "" if result.binding else " non-binding"
        return Outcome(f"{result.handle} voted {choice}{binding} on {label}{changed}", replies)

    return Plan(cast, refusal("your ballot was not recorded"))


def _plan_govbot(
    payload: dict[str, Any],
    command: commands.Command,
    login: str,
    react: dict[str, Any],
    refusal: Callable[[str], Callable[[GovernanceError], Outcome]],
) -> Plan | Outcome:
    parts = command.argument.split(None, 1)
    if not parts or parts[0].lower() != "verify":
        text = (
            f"{_mention(login)}, govbot understands `/vote yes|no|abstain`, `/concern TEXT` and "
            "`/resolve ID` on RFC issues, and `/govbot verify CODE` to link your account."
        )
        return Outcome("answered: help", [_comment(payload, text)])
    code = parts[1] if len(parts) > 1 else ""

    def verify(uow: UnitOfWork, now: datetime) -> Outcome:
        linked = linking.verify_link(
            uow, common.SYSTEM, now, linking.VerifyLink("github", login, code)
        )
        text = (
            f"{_mention(login)} is now linked to `{linked.handle}`: comments from this "
            "account act for them."
        )
        return Outcome(
            f"linked {login} to {linked.handle}",
            [{**react, "content": "+1"}, _comment(payload, text)],
        )

    return Plan(verify, refusal("the account was not linked"))
