"""A small but complete record for the docs tests: every kind of page and every vote state.

The foundation of ``tests.conftest`` plus a ``secret`` policy on ``core``: RFC-0001 passed,
RFC-0002 rejected with a non-binding ballot, RFC-0003 with a concern raised and overridden and
its vote closed without quorum, RFC-0004 a secret vote closed, RFC-0005 withdrawn, RFC-0006
with its vote open, and E-0001 an election closed.
Titles, bodies and reasons can be made hostile to check that they come out inert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot import wiring
from governance.services import elections, rfcs, ticks
from governance.store import Store
from tests.conftest import PEOPLE, T0, Actor, charter, write_charters

H = timedelta(hours=1)
D = timedelta(days=1)

HOSTILE_TITLE = (
    "Pipes | and `ticks` [x](javascript:alert(1)) <script>alert(1)</script> @everyone ../../x"
)
HOSTILE_BODY = (
    "Intro with <b>html</b> and <script>alert('x')</script>.\n\n"
    "[click me](javascript:alert(1)) and [ref][r] and <javascript:alert(2)>\n\n"
    "[r]: javascript:alert(3)\n\n"
    "Hello @everyone and @here, see ../../etc/passwd\n"
    "Right-to-left \u202eevil\u202c and \u2066isolate\u2069 and \u200fmark\n"
    "| fake | table |\n|---|---|\n| a | b |\n\n"
    "```\n<not html in code>\n```\n\n"
    "![img](data:text/html;base64,PHNjcmlwdD4=)"
)
HOSTILE_REASON = "Because | `reasons` <img src=x onerror=alert(1)> [a](javascript:x) @everyone"

CORE_POLICIES = """\
secret: {secret: true}
"""


@dataclass
class Built:
    """The record built, and the clock where it stopped."""

    store: Store
    act: Actor
    now: datetime
    charters: Path


def build(tmp: Path, open_store: Callable[[], Store], *, hostile: bool = False) -> Built:
    """Play the scenario through the real services."""
    directory = write_charters(
        tmp / "charters",
        core=charter(
            "core",
            chairs=["ada"],
            members=["bo", "cy", "di", "ed"],
            observers=["hal"],
            policies=CORE_POLICIES,
        ),
        docs=charter("docs", chairs=["fay"], members=["gus"]),
    )
    assert "ivy" in PEOPLE
    store = open_store()
    wiring.sync_charters(store, directory, T0 - D)
    act = Actor(store)
    title = HOSTILE_TITLE if hostile else "Adopt a dataset licence"
    body = HOSTILE_BODY if hostile else "We adopt **CC-BY-4.0** for captions.\n\n## Why\nOpen."
    reason = HOSTILE_REASON if hostile else "Covered by the licence review."

    def propose(author: str, at: datetime, the_title: str, the_body: str = body) -> str:
        return act(rfcs.propose_rfc, author, at, rfcs.ProposeRfc("core", the_title, the_body)).rfc

    def cast(ref: str, who: str, choice: str, at: datetime) -> None:
        act(rfcs.cast_ballot, who, at, rfcs.CastBallot(ref, choice))

    t = T0
    passed = propose("bo", t, title)
    act(rfcs.open_vote, "ada", t + H, rfcs.OpenVote(passed))
    for who in ("ada", "bo", "cy", "di"):
        cast(passed, who, "yes", t + 2 * H)
    cast(passed, "ed", "no", t + 2 * H)

    rejected = propose("cy", t + 3 * H, "Switch captions to a closed format")
    act(rfcs.open_vote, "ada", t + 3 * H, rfcs.OpenVote(rejected))
    for who in ("ada", "bo", "cy"):
        cast(rejected, who, "no", t + 4 * H)
    cast(rejected, "hal", "yes", t + 4 * H)  # an observer: non-binding

    concerned = propose("di", t + 5 * H, "Publish the opt-out list")
    concern = act(rfcs.raise_concern, "ed", t + 6 * H, rfcs.RaiseConcern(concerned, reason))
    act(
        rfcs.resolve_concern,
        "ada",
        t + 7 * H,
        rfcs.ResolveConcern(concerned, concern.concern_id, reason),
    )
    act(rfcs.open_vote, "ada", t + 8 * H, rfcs.OpenVote(concerned))
    cast(concerned, "bo", "abstain", t + 9 * H)

    secret = propose("ed", t + 10 * H, "Elect the reviewers by secret ballot")
    act(rfcs.open_vote, "ada", t + 10 * H, rfcs.OpenVote(secret, "secret"))
    for who in ("ada", "bo", "cy", "di", "ed"):
        cast(secret, who, "yes" if who != "ed" else "no", t + 11 * H)

    withdrawn = propose("bo", t + 12 * H, "A proposal taken back")
    act(rfcs.withdraw_rfc, "bo", t + 13 * H, rfcs.WithdrawRfc(withdrawn))

    election = act(
        elections.open_election,
        "ada",
        t + 14 * H,
        elections.OpenElection("core", 1, ("bo", "cy", "di"), title="Core chair"),
    ).election
    for who, ranking in [
        ("ada", "bo,cy,di"),
        ("bo", "bo,di,cy"),
        ("cy", "cy,bo,di"),
        ("di", "bo,cy=di"),
    ]:
        act(elections.rank, who, t + 15 * H, elections.RankCandidates(election, ranking))
    with store.write() as uow:
        ticks.tick(uow, t + 8 * D)  # closes all but the next vote, RFC-0003 without quorum
    still_open = propose("cy", t + 8 * D, "Keep one vote open")
    act(rfcs.open_vote, "ada", t + 8 * D, rfcs.OpenVote(still_open))
    cast(still_open, "ada", "yes", t + 8 * D + H)
    now = t + 8 * D + 2 * H
    return Built(store, act, now, directory)
