"""`govbot demo`: a month of the Open Model Initiative, played through the real services.

Everything goes through the same service calls the console makes, on a fresh SQLite file, with a
simulated clock that only moves forward. The story is written on the calendar of March 2027
(from Monday 1 March, 09:00 UTC); it is played shifted in time:

- by default it ends at the moment it runs (its last step a minute before), so the record reads
  as a foundation's last four weeks and every console command works on it in real time. The
  record is live: its times are real times, and it refuses a ``--now`` ahead of the real clock.
- with ``start``, it begins at that moment: the same story, the same bytes on every run. Such a
  record is made with explicit times only (like a replay or a test) and is not live.

After every step the docs are published to a local git repository next to the database, so the
month can be read as a history of commits.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from governance import ledger
from governance.charters import DEFAULT_CHARTERS
from governance.clock import parse_instant, utcnow
from governance.errors import InvalidInput
from governance.services import common, elections, groups, rfcs, ticks
from governance.store import Store, ledger_entries

if TYPE_CHECKING:
    from governance.charters import Charters
    from governance.status import VoteStatus
    from governance.store import UnitOfWork

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
"""Monday, 1 March 2027, 09:00 UTC: the first moment of the story's calendar."""
LAST = datetime(2027, 3, 25, 10, 0, tzinfo=UTC)
"""The story's last step; played to end now, it falls a minute before the demo runs."""

DATABASE = "govbot.db"
DOCS = "docs"

Result = TypeVar("Result")
Publish = Callable[[datetime], str | None]
"""Publish the docs as the record stands at a moment: the commit made, None when nothing changed."""


def march(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the demo month, in UTC."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    """One thing that happened, when, and the docs commit that published it."""

    at: datetime
    text: str
    commit: str | None

    @property
    def line(self) -> str:
        """The step as the demo prints it."""
        return f"{self.at:%Y-%m-%d}  {self.text}"


@dataclass(frozen=True)
class DemoReport:
    """What the month left behind: where, every step, every commit, and how things ended."""

    directory: Path
    database: Path
    docs: Path
    steps: tuple[Step, ...]
    commits: tuple[str, ...]
    rfcs: dict[str, str]
    """Each RFC's status at the end, by label."""
    outcomes: dict[str, str | None]
    """The outcome of each RFC's latest vote, by label (None for an RFC never put to a vote)."""
    concerns: dict[str, tuple[str, ...]]
    """The states of each RFC's concerns, oldest first, by label."""
    election: elections.ElectionStatus
    ledger: ledger.Verification
    seconds: float
    start: datetime
    """When the played month began (the story's 1 March, 09:00)."""
    live: bool
    """Whether the record is live: played to end now, in real time."""


# --- the RFCs of the month -------------------------------------------------------------------

CONSENT = """\
## Summary
Every image in an initiative dataset needs a recorded basis for its use, and every creator needs a
way to take their work out that does not depend on knowing someone in the project.

## Proposal
1. **Consent record.** Each sample carries `consent.basis` (`public-domain`, `licence`,
   `partner-agreement`, `creator-opt-in`) and `consent.evidence`, a URL or archive reference.
2. **Opt-out form.** A public form at `optout.openmodel.example` accepts a URL, a perceptual hash
   or an uploaded image. Matching uses exact and near-duplicate hashes (pHash, distance <= 6).
3. **Timelines.** Requests are acknowledged within 3 days and removed from the working dataset
   within 14 days. Removals ship in the next point release of every affected dataset version and
   are listed, by hash only, in its changelog.
4. **Appeals.** A rejected request can be appealed to the chairs; the decision is recorded here.

## Out of scope
Models already trained are governed by the training group's retraining policy.
"""

CAPTIONS = """\
## Summary
Captions are produced by three pipelines today, each with its own format. Training and evaluation
need one.

## Format
One JSON Lines record per image:

| field | type | meaning |
|---|---|---|
| `id` | string | the sample id in the dataset manifest |
| `short` | string | one sentence, at most 30 words, no style tags |
| `long` | string | a paragraph describing subjects, setting, composition and style |
| `alt` | string | accessible alt text, at most 250 characters |
| `source` | enum | `human`, `model:<name>@<version>`, `model+human` |
| `lang` | BCP 47 tag | the language of the caption |

Captions never name private individuals. Model-written captions keep the model and its version.

## Migration
Existing captions are converted by `tools/captions/migrate.py`; unconvertible ones are dropped
from the next release and listed for re-captioning.
"""

MODEL_CARD = """\
## Summary
Model hubs, inference servers and fine-tuning tools all read model cards, none the same way.
This RFC fixes a machine-readable header every initiative checkpoint ships with.

## Schema (`model-card.yaml`, version 1)
```yaml
name: omi-image-2b
version: 1.0.0
licence: OpenRAIL-M-1.1
base_model: null              # or the name@version this was fine-tuned from
training:
  data_manifest: sha256:...   # hash of the dataset manifest used
  compute_hours: 18400
  code: https://github.com/open-model-initiative/trainer/tree/v1.0.0
evaluation:
  - {suite: omi-safety-v1, report: https://...}
intended_use: [...]
out_of_scope_use: [...]
```
A JSON Schema is published at `schemas/model-card/v1.json`; CI rejects a release without a valid
card.
"""

DISCLOSURE = """\
## Summary
How the initiative handles a serious flaw found in one of its released models: a jailbreak that
defeats its safety tuning, a reliable way to extract training images, a harmful failure mode.

## Policy
- **Report** to `security@openmodel.example` or a private GitHub advisory. Reporters get an answer
  within 5 days.
- **Embargo.** 45 days by default, shortened when the flaw is being exploited, extended once by up
  to 45 days when a fix needs retraining.
- **Fix and release.** Mitigations ship as a patched checkpoint or a filter update, with a
  published advisory naming the reporter unless they ask otherwise.
- **Coordination.** Downstream hubs and major fine-tuners are told 7 days before publication.

Decisions to disclose a specific finding early are voted under the `disclosure` policy.
"""

COMPUTE = """\
## Summary
The donated cluster gives us about 52,000 GPU hours in Q2 2027. This RFC splits them.

| work | GPU hours | share |
|---|---:|---:|
| flagship image model, stage 2 | 31,000 | 60% |
| text encoder ablations | 9,000 | 17% |
| safety fine-tuning and red-team runs | 6,000 | 12% |
| community fine-tuning grants | 6,000 | 11% |

Unused hours at the end of May return to the flagship run. Each line reports its usage weekly in
`#training-status`.
"""

SURVEY = """\
## Summary
We run surveys when someone thinks of one. Contributors and users cannot plan for them and
results arrive too late for the decisions they should inform.

## Proposal
- Four surveys a year, opening on the first Monday of February, May, August and November.
- Questions are published as an RFC comment two weeks before a survey opens.
- Each survey stays open three weeks; results are published within four weeks of closing,
  with the anonymised raw answers.
"""

SURVEY_V2 = (
    SURVEY
    + """
## Changes since the first vote
Only three electors voted on the first version, short of the quorum of four. This version adds
a reminder in `#announcements` two days before each survey opens and asks the chairs to put the
calendar on the next community call's agenda.
"""
)


# --- the month -------------------------------------------------------------------------------


def _when(text: str | None) -> str:
    """An ISO instant as the demo prints it: ``2027-03-14 14:00 UTC``."""
    if text is None:
        return "(no deadline)"
    return f"{parse_instant(text):%Y-%m-%d %H:%M} UTC"


def _moment(text: str | None, default: datetime) -> datetime:
    return default if text is None else parse_instant(text)


def _counts(status: VoteStatus) -> str:
    text = (
        f"yes {status.yes}, no {status.no}, abstain {status.abstain} of "
        f"{status.electorate} electors; quorum {status.quorum_needed} "
        f"{'met' if status.quorum_met else 'not met'}"
    )
    if status.non_binding:
        text += f"; {status.non_binding} non-binding shown apart"
    return text


def _rfc_after(status: VoteStatus) -> str:
    return "accepted" if status.outcome == "passed" else "rejected"


class Month:
    """The simulated month: a clock that only moves forward, and one helper per kind of step.

    Every helper moves the clock, lets ``tick`` close whatever fell due (as the scheduler would),
    calls one service in one unit of work, then records and publishes the step. Helpers take
    moments of the story's calendar (``march``); ``offset`` moves them to when it is played.
    """

    def __init__(
        self,
        store: Store,
        publish: Publish,
        echo: Callable[[str], None],
        offset: timedelta = timedelta(0),
    ) -> None:
        self.store = store
        self.publish = publish
        self.echo = echo
        self.offset = offset
        self.now = START + offset
        self.steps: list[Step] = []
        self.groups: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.choices: dict[tuple[str, str], str] = {}
        self.elections: list[str] = []

    # the machinery

    def _write(self, service: Callable[..., Result], actor: str, command: Any) -> Result:
        with self.store.write() as uow:
            return service(uow, actor, self.now, command)

    def _read(self, query: Callable[[UnitOfWork], Result]) -> Result:
        with self.store.read() as uow:
            return query(uow)

    def _step(self, text: str, at: datetime | None = None) -> None:
        step = Step(at or self.now, text, self.publish(self.now))
        self.steps.append(step)
        self.echo(step.line)

    def at(self, story: datetime) -> None:
        """Move the clock to the story's ``story`` and close what fell due, at its own moment."""
        when = story + self.offset
        if when < self.now:
            raise ValueError(f"the demo clock only moves forward: {when} is before {self.now}")
        self.now = when
        with self.store.write() as uow:
            report = ticks.tick(uow, when)
        for closed in report.closed_votes:
            self._vote_closed(str(closed["rfc"]))
        for closed in report.closed_elections:
            self._election_closed(str(closed["election"]))

    def _vote_closed(self, label: str) -> None:
        with self.store.read() as uow:
            status = rfcs.vote_status(uow, label, self.now)
        why = (
            "reached its deadline"
            if status.closed_at == status.closes_at
            else "was settled once its minimum time was up"
        )
        self._step(
            f"The vote on {label} {why} ({_when(status.closed_at)}): {status.outcome}, "
            f"{_counts(status)}. {label} is {_rfc_after(status)}.",
            _moment(status.closed_at, self.now),
        )

    def _election_closed(self, label: str) -> None:
        with self.store.read() as uow:
            result = elections.election_status(uow, label)
        ranking = " > ".join("=".join(tier) for tier in result.tiers)
        non_binding = f" and {result.non_binding} non-binding" if result.non_binding else ""
        verdict = (
            f"Elected: {', '.join(result.winners)}."
            if result.winners
            else f"Outcome: {result.outcome}."
        )
        self._step(
            f"{label} closed at its deadline ({_when(result.closed_at)}) with {result.ballots} "
            f"of {result.electorate} electors' rankings{non_binding}. Schulze ranking: "
            f"{ranking}. {verdict}",
            _moment(result.closed_at, self.now),
        )

    # the steps

    def sync(self, loaded: Charters) -> None:
        """Found the foundation from its charters, as every start of govbot does."""
        with self.store.write() as uow:
            report = groups.sync_charters(uow, common.SYSTEM, self.now, loaded)
        views = self._read(groups.list_groups)
        sizes = ", ".join(f"{g.slug} ({len(g.roster)})" for g in views)
        self._step(
            f"Charters synced: {loaded.foundation.name} registers {len(report.people_added)} "
            f"people and founds {len(report.groups_founded)} groups with their rosters: {sizes}."
        )

    def join(self, when: datetime, who: str, group: str) -> None:
        """Join an open group at once, or ask to join an approval group."""
        self.at(when)
        result = self._write(groups.join_group, who, groups.JoinGroup(group))
        if result.pending:
            self._step(
                f"{who} asked to join {group}; its membership needs a chair's approval, "
                "so the request is pending."
            )
        else:
            self._step(f"{who} joined {group}, an open group, at once as {result.role}.")

    def approve(self, when: datetime, chair: str, group: str, who: str) -> None:
        """A chair approves a pending request."""
        self.at(when)
        result = self._write(groups.approve_join, chair, groups.ApproveJoin(group, who))
        self._step(f"{chair}, chair of {group}, approved {who}, who is now a {result.role}.")

    def set_role(
        self, when: datetime, chair: str, group: str, who: str, role: str, why: str
    ) -> None:
        """A chair changes someone's role, saying why."""
        self.at(when)
        self._write(groups.set_role, chair, groups.SetRole(group, who, role))
        self._step(f"{chair} made {who} {'a ' if role != 'chair' else ''}{role} of {group}: {why}")

    def propose(self, when: datetime, who: str, group: str, title: str, body: str) -> str:
        """Propose an RFC; it opens for discussion."""
        self.at(when)
        ref = self._write(rfcs.propose_rfc, who, rfcs.ProposeRfc(group, title, body))
        self.groups[ref.rfc], self.titles[ref.rfc] = group, title
        self._step(f"{who} proposed {ref.rfc} '{title}' in {group}; it is open for discussion.")
        return ref.rfc

    def repropose(self, when: datetime, who: str, label: str, body: str) -> None:
        """The author brings a rejected RFC back to discussion, changed."""
        self.at(when)
        self._write(rfcs.repropose_rfc, who, rfcs.ReproposeRfc(label, body=body))
        self._step(
            f"{who} re-proposed {label} '{self.titles[label]}' with changes; it is back in "
            "discussion and the ledger keeps what it said before."
        )

    def concern(self, when: datetime, who: str, label: str, text: str) -> int:
        """Raise a blocking concern; a live vote pauses."""
        self.at(when)
        result = self._write(rfcs.raise_concern, who, rfcs.RaiseConcern(label, text))
        effect = (
            " The vote is paused: its clock stops until the concern is resolved."
            if result.vote_state == "paused"
            else " A vote opened while it stands would start paused."
        )
        self._step(f'{who} raised a blocking concern on {label}: "{text}"{effect}')
        return result.concern_id

    def resolve(self, when: datetime, who: str, label: str, concern_id: int, reason: str) -> None:
        """The concern's author resolves it; the last one resumes a paused vote."""
        self.at(when)
        result = self._write(
            rfcs.resolve_concern, who, rfcs.ResolveConcern(label, concern_id, reason)
        )
        effect = (
            f" The vote resumes with the time it had left and closes {_when(result.closes_at)}."
            if result.vote_state == "open"
            else ""
        )
        self._step(f'{who} resolved their concern on {label}: "{reason}"{effect}')

    def open_vote(self, when: datetime, chair: str, label: str, policy: str = "default") -> None:
        """A chair puts an RFC to a vote; policy and electorate are frozen now."""
        self.at(when)
        status = self._write(rfcs.open_vote, chair, rfcs.OpenVote(label, policy))
        self._step(
            f"{chair} opened the vote on {label} '{self.titles[label]}' under the {policy} "
            f"policy ({status.policy}): {status.electorate} electors, {status.quorum_needed} "
            f"ballots for a quorum; it closes {_when(status.closes_at)}."
        )

    def cast(self, when: datetime, who: str, label: str, choice: str) -> None:
        """Cast or change a ballot; a decisive one closes the vote."""
        self.at(when)
        result = self._write(rfcs.cast_ballot, who, rfcs.CastBallot(label, choice))
        previous = self.choices.get((label, who))
        self.choices[(label, who)] = choice
        if result.status.secret:  # the narration keeps a secret ballot as secret as the record
            shown = "changed their secret ballot" if previous else "cast a secret ballot"
            text = f"{who} {shown} on {label}; receipt {result.receipt}."
        elif not result.binding:
            text = (
                f"{who}, who has no vote in {self.groups[label]}, voted {choice} on {label}: "
                "recorded as non-binding, shown apart and not counted."
            )
        elif previous is not None:
            text = (
                f"{who} changed their ballot on {label} from {previous} to {choice}; "
                "the ledger keeps both."
            )
        else:
            text = f"{who} voted {choice} on {label}."
        status = result.status
        if status.state == "paused":
            text += " The vote is paused, but ballots are still recorded."
        if status.state == "closed":
            text += (
                f" That settled it: the vote closed, {status.outcome} ({_counts(status)}). "
                f"{label} is {_rfc_after(status)}."
            )
        self._step(text)

    def open_election(
        self, when: datetime, chair: str, group: str, title: str, candidates: tuple[str, ...]
    ) -> str:
        """A chair opens a ranked election for one seat."""
        self.at(when)
        status = self._write(
            elections.open_election,
            chair,
            elections.OpenElection(group, 1, candidates, title),
        )
        self._step(
            f"{chair} opened {status.election} '{title}' in {group}: 1 seat, candidates "
            f"{', '.join(candidates)}, {status.electorate} electors ranking them; it closes "
            f"{_when(status.closes_at)}."
        )
        self.elections.append(status.election)
        return status.election

    def rank(self, when: datetime, who: str, label: str, ranking: str) -> None:
        """Cast a ranked ballot (``a,b=c``: best first, ``=`` ties)."""
        self.at(when)
        status = self._write(elections.rank, who, elections.RankCandidates(label, ranking))
        shown = ranking.replace(",", " > ").replace("=", " = ")
        electorate = self._read(lambda uow: common.election(uow, label).electorate)
        note = "" if who in electorate else " (non-binding: not in the electorate)"
        self._step(
            f"{who} ranked {label}: {shown}{note}; {status.ballots} of {status.electorate} "
            "electors have ranked."
        )


def play(month: Month, loaded: Charters) -> None:
    """The story of March 2027 at the Open Model Initiative."""
    m = month
    m.sync(loaded)

    # Week 1: people find their groups, the first proposals arrive.
    m.join(march(1, 10), "nadia", "interop")
    m.join(march(1, 10, 30), "jonas", "community")
    m.join(march(1, 11), "kavya", "datasets")
    m.approve(march(1, 15), "bo", "datasets", "kavya")
    consent = m.propose(
        march(2, 10), "farah", "datasets", "Dataset consent and opt-out process", CONSENT
    )
    captions = m.propose(march(3, 9, 30), "bo", "datasets", "Caption format v1", CAPTIONS)
    card = m.propose(march(3, 14), "gwen", "interop", "Model card metadata schema", MODEL_CARD)
    manifest = m.concern(
        march(4, 11),
        "dmitri",
        card,
        "Where does a card point at the exact data a checkpoint was trained on?",
    )
    m.open_vote(march(4, 15), "mei", consent)
    m.cast(march(4, 16), "farah", consent, "yes")
    m.cast(march(5, 9), "bo", consent, "yes")
    m.open_vote(march(5, 10), "mei", captions)
    m.cast(march(5, 10, 30), "bo", captions, "yes")
    propagation = m.concern(
        march(5, 11),
        "cy",
        consent,
        "Say how a removal reaches dataset versions that are already published.",
    )
    m.cast(march(5, 12), "omar", captions, "no")
    m.cast(march(5, 14), "gwen", consent, "yes")
    m.cast(march(5, 16), "gwen", captions, "yes")
    m.resolve(
        march(6, 9),
        "dmitri",
        card,
        manifest,
        "training.data_manifest carries the manifest hash; I had missed it.",
    )
    m.cast(march(6, 10), "jonas", captions, "yes")
    m.cast(march(6, 11), "kavya", captions, "yes")

    # Week 2: the steering committee elects its chair; concerns settle, votes close.
    chair = m.open_election(
        march(8, 9),
        "ada",
        "steering",
        "Steering Committee chair, 2027-2028",
        ("elena", "hiro", "kavya"),
    )
    m.resolve(
        march(8, 10),
        "cy",
        consent,
        propagation,
        "Section 3 answers it: removals ship in the next point release of every affected version.",
    )
    m.cast(march(8, 11), "cy", consent, "yes")
    m.cast(march(8, 14), "omar", captions, "yes")
    m.rank(march(8, 15), "elena", chair, "elena,hiro=kavya")
    m.cast(march(9, 9), "omar", consent, "yes")
    m.open_vote(march(9, 10), "kavya", card, "spec-release")
    m.cast(march(9, 11), "farah", captions, "yes")
    m.cast(march(9, 11, 30), "gwen", card, "yes")
    m.rank(march(9, 14), "bo", chair, "hiro,elena,kavya")
    m.rank(march(9, 16), "hiro", chair, "hiro,elena,kavya")
    disclosure = m.propose(
        march(10, 9), "nadia", "red-team", "Red-team disclosure policy", DISCLOSURE
    )
    m.cast(march(10, 9, 30), "liam", card, "yes")
    compute = m.propose(
        march(10, 10), "jonas", "training", "Training compute budget, Q2 2027", COMPUTE
    )
    m.open_vote(march(10, 11), "hiro", compute, "compute-allocation")
    m.cast(march(10, 12), "jonas", compute, "yes")
    m.cast(march(10, 13), "hiro", compute, "yes")
    m.rank(march(10, 15), "imani", chair, "kavya,elena,hiro")
    m.cast(march(10, 16), "dmitri", card, "yes")
    m.rank(march(10, 17), "kavya", chair, "kavya,elena")
    m.cast(march(11, 9), "dmitri", compute, "no")
    m.cast(march(11, 9, 30), "jonas", card, "no")
    m.cast(march(11, 10), "nadia", compute, "no")
    m.rank(march(11, 11), "ada", chair, "elena,kavya,hiro")
    m.rank(march(11, 12), "priya", chair, "kavya,hiro,elena")
    m.cast(march(11, 17), "kavya", card, "yes")
    survey = m.propose(
        march(12, 9), "priya", "community", "Quarterly community survey calendar", SURVEY
    )
    m.at(march(12, 10))
    m.cast(march(12, 14), "omar", compute, "yes")
    m.cast(march(13, 12), "bo", compute, "no")

    # Week 3: safety and community votes; the election closes.
    m.open_vote(march(15, 10), "elena", disclosure)
    m.cast(march(15, 11), "nadia", disclosure, "yes")
    m.cast(march(15, 14), "farah", disclosure, "yes")
    m.open_vote(march(16, 10), "imani", survey)
    m.cast(march(16, 11), "priya", survey, "yes")
    m.cast(march(16, 12), "priya", disclosure, "yes")
    m.cast(march(16, 15), "cy", disclosure, "no")
    m.cast(march(17, 10), "mei", survey, "yes")
    m.cast(march(17, 16), "elena", disclosure, "abstain")
    m.at(march(18, 10))
    m.cast(march(19, 9), "omar", survey, "abstain")
    m.at(march(22, 9))
    m.set_role(march(22, 11), "ada", "steering", "elena", "chair", f"{chair} elected her.")
    m.set_role(
        march(22, 11, 5),
        "elena",
        "steering",
        "ada",
        "member",
        "ada hands over the chair and stays on the committee.",
    )

    # Week 4: a vote runs out without a quorum, and comes back.
    m.at(march(23, 10))
    m.repropose(LAST, "priya", survey, SURVEY_V2)


# --- running it ------------------------------------------------------------------------------


def _fresh(directory: Path) -> None:
    """Refuse a directory that holds anything: the demo never mixes with an existing record."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(
            f"{directory} is a file; give the demo a new or empty directory to create "
            f"its {DATABASE} and {DOCS}/ in."
        )
    if directory.is_dir() and any(directory.iterdir()):
        raise InvalidInput(
            f"{directory} is not empty; the demo plays its month in a new or empty directory "
            "so it never touches an existing record. Give it another one."
        )


def _publisher(store: Store, docs: Path) -> Publish:
    """Publish to the local docs repository (created on the first publication)."""
    from governance.publish import LocalGitPublisher, publish_now

    target = LocalGitPublisher(docs)

    def publish(now: datetime) -> str | None:
        return publish_now(store, target, now).commit

    return publish


def _ending(
    store: Store, now: datetime
) -> tuple[dict[str, str], dict[str, str | None], dict[str, tuple[str, ...]]]:
    """Each RFC's status, its latest vote's outcome and its concerns' states, by label."""
    statuses: dict[str, str] = {}
    outcomes: dict[str, str | None] = {}
    concerns: dict[str, tuple[str, ...]] = {}
    with store.read() as uow:
        for row in rfcs.list_rfcs(uow):
            view = rfcs.show_rfc(uow, row["rfc"], now)
            statuses[view.rfc] = view.status
            outcomes[view.rfc] = None if view.vote is None else view.vote.outcome
            concerns[view.rfc] = tuple(c.state for c in view.concerns)
    return statuses, outcomes, concerns


def ending_now(now: datetime) -> datetime:
    """When the month starts so that its last step falls on the minute before ``now``."""
    last = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    return START + (last - LAST)


def run_demo(
    directory: Path,
    *,
    charters: Path,
    echo: Callable[[str], None],
    start: datetime | None = None,
) -> DemoReport:
    """Play the month in ``directory`` (new or empty): ``govbot.db`` and the ``docs/`` repository.

    Without ``start`` the month ends now and its record is live; with it, the month begins at
    ``start`` and the record, made with explicit times only, is not live.

    Raises ``InvalidInput`` for a directory that is not empty and ``CharterError`` for charters
    that do not validate, both before creating anything; ``PublishError`` when git cannot publish.
    """
    from governance import charters as charter_files

    started = time.perf_counter()
    _fresh(directory)
    loaded = charter_files.load(charters)
    live = start is None
    begin = ending_now(utcnow()) if start is None else start
    directory.mkdir(parents=True, exist_ok=True)
    database, docs = directory / DATABASE, directory / DOCS
    store = Store.open(database, live=live)
    try:
        month = Month(store, _publisher(store, docs), echo, begin - START)
        play(month, loaded)
        statuses, outcomes, concerns = _ending(store, month.now)
        with store.read() as uow:
            election = elections.election_status(uow, month.elections[-1])
            verification = ledger.verify(ledger_entries(uow.session))
    finally:
        store.close()
    commits = tuple(s.commit for s in month.steps if s.commit is not None)
    report = DemoReport(
        directory,
        database,
        docs,
        tuple(month.steps),
        commits,
        statuses,
        outcomes,
        concerns,
        election,
        verification,
        time.perf_counter() - started,
        begin,
        live,
    )
    _epilogue(report, charters, echo)
    return report


def _epilogue(report: DemoReport, charters: Path, echo: Callable[[str], None]) -> None:
    """The commits made and where to look next."""
    docs = shlex.quote(str(report.docs))
    db = f"--db {shlex.quote(str(report.database))}"
    if charters.resolve() != DEFAULT_CHARTERS.resolve():
        db += f" --charters {shlex.quote(str(charters))}"
    state = "intact" if report.ledger.ok else f"BROKEN at entry {report.ledger.broken_at}"
    echo("")
    echo(
        f"{len(report.steps)} steps; the ledger holds {report.ledger.entries} entries ({state}, "
        f"head {report.ledger.head[:16]}); the docs repository {report.docs} has "
        f"{len(report.commits)} commits, one for each step that changed the record:"
    )
    for step in report.steps:
        if step.commit is not None:
            line = step.line if len(step.line) <= 86 else step.line[:83].rstrip() + "..."
            echo(f"  {step.commit[:10]}  {line}")
    echo("")
    echo("Where to look:")
    places = (
        (shlex.quote(str(report.docs / "README.md")), "the foundation's index, as published"),
        (f"git -C {docs} log --stat", "every step as a commit, with the pages it changed"),
        (f"govbot {db} rfc list", "every RFC and where it stands"),
        (f"govbot {db} rfc show RFC-0001", "the concern that paused a vote"),
        (f"govbot {db} vote status RFC-0002", "a changed ballot and a non-binding one"),
        (f"govbot {db} election status {report.election.election}", "the Schulze count"),
        (f"govbot {db} ledger tail -n 20", "the latest entries of the ledger"),
        (f"govbot {db} ledger verify", "the hash chain, then every table replayed from it"),
    )
    width = max(len(place) for place, _ in places)
    for place, why in places:
        echo(f"  {place:<{width}}  # {why}")
    echo("")
    last = report.start + (LAST - START)
    if report.live:
        echo(
            f"The month ran from {report.start:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC, "
            "a minute ago. The record is live: the console acts on it now, without --now "
            "(a --now ahead of the real clock is refused)."
        )
    else:
        echo(
            f"The month ran from {report.start:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC. "
            "The record was made with explicit times and is not live: act on it with --now, "
            f"at {last:%Y-%m-%dT%H:%M}:00Z or later."
        )
