"""Every GitHub action (labels and comment commands) as every standing, in one running govbot.

Each standing acts on a subject of its own (its own RFC to open a vote on, its own concerns),
so one world serves the whole module: allowed and done (a ledger entry), or refused with a
comment naming the rule (an unlinked account: how to link) and no ledger entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from governance.authority import Action, FrontEnd
from governance.model import Delivery, DeliveryState, LedgerEntry
from governance.services import groups, rfcs
from tests.conftest import PEOPLE, charter, people_yaml, write_charters
from tests.fakes.github import FakeGitHub
from tests.support.authority import PERSONAS, Persona, expected, missing
from tests.support.service import DOCS_REPO, REPO, Clock, GitHubSide, Running, settings_for

GROUP = "lab"


@dataclass
class Lab:
    """The running govbot, the fake GitHub, and the subjects each persona acts on."""

    running: Running
    github: GitHubSide
    clock: Clock
    vote_issue: int
    concern_issue: int
    own_rfc: dict[str, int]  # persona handle -> issue of an RFC in discussion
    own_concern: dict[str, int]  # persona handle -> a concern of cy's
    other_concern: dict[str, int]  # persona handle -> a concern of fay's

    def processed(self, timeout: float = 20) -> str:
        """Wait until every delivery is processed; what the last one did (or why it refused).

        The refusal comment carries the same message; waiting for the comments themselves
        would wait on GitHub's pace of 80 comments a minute.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.running.wake()
            with self.running.store.read() as uow:
                pending = uow.session.exec(
                    select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)
                ).first()
                last = uow.session.exec(select(Delivery).order_by(col(Delivery.id).desc())).first()
            if pending is None:
                return "" if last is None else last.result or ""
            assert time.monotonic() < deadline, "deliveries still pending"
            time.sleep(0.02)

    def entries(self) -> int:
        with self.running.store.read() as uow:
            return int(uow.session.exec(select(func.count()).select_from(LedgerEntry)).one())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("github-authority")
    group = charter(
        GROUP, chairs=["ada", "ed"], members=["bo", "cy", "di", "fay", "gus"], observers=["hal"]
    )
    charters = write_charters(tmp / "charters", **{GROUP: group})
    (charters / "people.yaml").write_text(people_yaml(PEOPLE))
    foundation = charters / "foundation.yaml"
    foundation.write_text(foundation.read_text() + f"docs: {{repo: {DOCS_REPO}}}\n")
    with FakeGitHub() as fake:
        fake.create_repo(REPO, {"README.md": "RFCs\n"})
        fake.create_repo(DOCS_REPO, {"README.md": "governance\n"})
        clock = Clock(fake)
        running = Running(settings_for(tmp, fake, charters), clock).start()
        side = GitHubSide(fake, lambda: running)
        try:
            yield _prepare(running, side, clock)
        finally:
            running.stop()


def _prepare(running: Running, side: GitHubSide, clock: Clock) -> Lab:
    def rfc(title: str) -> int:
        number = side.open_issue(title, "B", by="cy-gh", labels=[], deliver=False)
        with running.store.write() as uow:
            rfcs.import_issue(uow, "cy", clock(), rfcs.ImportIssue(GROUP, title, "B", REPO, number))
        return number

    def act(service: Callable[..., object], actor: str, command: object) -> object:
        with running.store.write() as uow:
            return service(uow, actor, clock(), command)

    act(groups.set_role, "ada", groups.SetRole(GROUP, "gus", "emeritus"))
    vote_issue, concern_issue = rfc("Voting"), rfc("Concerned")
    own_rfc = {p.handle: rfc(f"For {p.handle}") for p in PERSONAS}
    act(rfcs.open_vote, "ada", rfcs.OpenVote("RFC-0001"))
    act(groups.set_role, "ada", groups.SetRole(GROUP, "di", "observer"))
    own: dict[str, int] = {}
    other: dict[str, int] = {}
    for p in PERSONAS:
        for author, into in (("cy", own), ("fay", other)):
            raised = act(rfcs.raise_concern, author, rfcs.RaiseConcern("RFC-0002", "Unclear."))
            into[p.handle] = raised.concern_id  # type: ignore[attr-defined]
    return Lab(running, side, clock, vote_issue, concern_issue, own_rfc, own, other)


def login(persona: Persona) -> str:
    return f"{persona.handle}-gh"


Step = Callable[[Lab, Persona], int]  # acts; returns the issue the answer goes to


def propose(lab: Lab, p: Persona) -> int:
    return lab.github.open_issue(f"By {p.handle}", "B", by=login(p), labels=["rfc", f"wg/{GROUP}"])


def open_vote(lab: Lab, p: Persona) -> int:
    lab.github.label(lab.own_rfc[p.handle], "vote/open", by=login(p))
    return lab.own_rfc[p.handle]


def cast(lab: Lab, p: Persona) -> int:
    lab.github.comment(lab.vote_issue, "/vote yes", by=login(p))
    return lab.vote_issue


def concern(lab: Lab, p: Persona) -> int:
    lab.github.comment(lab.vote_issue, f"/concern Unclear to {p.handle}.", by=login(p))
    return lab.vote_issue


def resolve(lab: Lab, p: Persona) -> int:
    lab.github.comment(lab.concern_issue, f"/resolve {lab.own_concern[p.handle]}", by=login(p))
    return lab.concern_issue


def override(lab: Lab, p: Persona) -> int:
    body = f"/resolve {lab.other_concern[p.handle]} Settled in the text."
    lab.github.comment(lab.concern_issue, body, by=login(p))
    return lab.concern_issue


@dataclass(frozen=True)
class Case:
    step: Step
    authored: bool = False
    electoral: bool = False
    rules: tuple[Action, ...] = ()


CASES: dict[Action, Case] = {
    Action.PROPOSE_RFC: Case(propose),
    Action.OPEN_VOTE: Case(open_vote),
    Action.CAST_BALLOT: Case(cast, electoral=True),
    Action.RAISE_CONCERN: Case(concern, electoral=True),
    Action.RESOLVE_CONCERN: Case(
        resolve, authored=True, rules=(Action.RESOLVE_CONCERN, Action.OVERRIDE_CONCERN)
    ),
    Action.OVERRIDE_CONCERN: Case(override),
}


def test_every_github_action_has_a_case() -> None:
    assert missing(FrontEnd.GITHUB, CASES) == set(), "add a GitHub case for each of these"


def test_every_standing_on_github(lab: Lab) -> None:
    for action, case in CASES.items():
        rules = case.rules or (action,)
        for persona in PERSONAS:
            before = lab.entries()
            case.step(lab, persona)
            said = lab.processed()
            allowed = expected(action, persona, authored=case.authored, electoral=case.electoral)
            where = f"{action} as {persona.standing} ({login(persona)}): {said}"
            if allowed:
                assert lab.entries() > before, where
            else:
                assert lab.entries() == before, where
                if persona.handle == "zed":
                    assert "is not linked" in said, where
                else:
                    assert any(f"rule {r}" in said for r in rules), where
