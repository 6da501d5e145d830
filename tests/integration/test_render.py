"""The docs tree rendered from a real record: its pages, links, bytes and inert user text."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from governance.render import render_docs, scope_of
from governance.render.pages import is_page
from governance.render.record import Scope
from governance.services import groups, rfcs
from governance.store import Store
from tests.integration.scenario import HOSTILE_BODY, HOSTILE_REASON, HOSTILE_TITLE, H, build
from tests.support.markdown import BIDI, PARSER, walk

LEDGER_FILES = ("ledger/README.md", "ledger/2027-01.jsonl", "ledger/verify.py")
"""The ledger's page, the month file of the scenario and the verifier: in every full render."""
CUSTOM_MARKER = re.compile(r"^<!-- (BEGIN|END) CUSTOM -->\n?$")


def render(store: Store, scope: Scope | None = None) -> dict[str, str]:
    with store.read() as uow:
        return render_docs(uow.session, scope)


@pytest.fixture
def pages(tmp_path: Path, open_store: Callable[[], Store]) -> dict[str, str]:
    return render(build(tmp_path, open_store).store)


@pytest.fixture
def hostile(tmp_path: Path, open_store: Callable[[], Store]) -> dict[str, str]:
    return render(build(tmp_path, open_store, hostile=True).store)


def test_the_tree_has_a_page_for_everything(pages: dict[str, str]) -> None:
    assert sorted(pages) == [
        "README.md",
        "decisions.md",
        "elections/0001-core-chair.md",
        "elections/README.md",
        "groups/core/README.md",
        "groups/docs/README.md",
        "ledger/2027-01.jsonl",
        "ledger/README.md",
        "ledger/verify.py",
        "rfcs/0001-adopt-a-dataset-licence.md",
        "rfcs/0002-switch-captions-to-a-closed-format.md",
        "rfcs/0003-publish-the-opt-out-list.md",
        "rfcs/0004-elect-the-reviewers-by-secret-ballot.md",
        "rfcs/0005-a-proposal-taken-back.md",
        "rfcs/0006-keep-one-vote-open.md",
        "rfcs/README.md",
    ]
    assert all(text.endswith("\n") and not text.endswith("\n\n") for text in pages.values())


def test_every_link_between_pages_resolves(pages: dict[str, str]) -> None:
    checked = 0
    for path, text in pages.items():
        for token in walk(PARSER.parse(text)):
            if token.type != "link_open":
                continue
            href = token.attrs["href"]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), href))
            assert not target.startswith(".."), (path, href)
            assert target in pages, f"{path} links to {href}, which is not a page"
            checked += 1
    assert checked > 50


def test_rendering_is_deterministic_to_the_byte(
    tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    built = build(tmp_path, open_store)
    first = render(built.store)
    assert render(built.store) == first
    # a second record built by the same story, in another database, gives the same bytes
    other_dir = tmp_path / "again"
    other_dir.mkdir()
    other = build(other_dir, lambda: Store.open(other_dir / "again.db"))
    try:
        second = render(other.store)
    finally:
        other.store.close()
    # secret-ballot receipts are random (and so are the ledger hashes of commitments with random
    # nonces); the tally sheet is in receipt order, so its lines are compared as a multiset
    assert {p: _unrandom(p, t) for p, t in second.items()} == {
        p: _unrandom(p, t) for p, t in first.items()
    }


def _unrandom(path: str, text: str) -> str:
    if path.endswith(".jsonl"):  # the ledger's own files: hashes of random commitments
        return re.sub(r"[0-9a-f]{16,64}", "R", text)
    lines = re.sub(r"`[0-9a-f]{16,64}`", "R", text).split("\n")
    sheet = [i for i, line in enumerate(lines) if line.startswith("| R | ")]
    for i, line in zip(sheet, sorted(lines[i] for i in sheet), strict=True):
        lines[i] = line
    return "\n".join(lines)


def test_a_scoped_render_gives_the_same_pages_as_a_full_one(
    tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    built = build(tmp_path, open_store)
    full = render(built.store)
    entries = [("RFC-0002", "vote.closed"), ("E-0001", "election.ranked"), ("docs", "group.left")]
    scope = scope_of(entries, ["core", "docs"])
    assert scope is not None
    scoped = render(built.store, scope)
    assert set(scoped) == {
        "README.md",
        "decisions.md",
        "elections/0001-core-chair.md",
        "elections/README.md",
        "groups/core/README.md",
        "groups/docs/README.md",
        *LEDGER_FILES,
        "rfcs/0002-switch-captions-to-a-closed-format.md",
        "rfcs/README.md",
    }
    for path, text in scoped.items():
        assert text == full[path], path


def test_ballots_alone_touch_only_their_votes_pages(
    tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    built = build(tmp_path, open_store)
    full = render(built.store)
    scope = scope_of([("RFC-0006", "ballot.cast"), ("E-0001", "election.ranked")], ["core"])
    assert scope is not None and not scope.indexes
    scoped = render(built.store, scope)
    assert set(scoped) == {
        *LEDGER_FILES,
        "rfcs/0006-keep-one-vote-open.md",
        "elections/0001-core-chair.md",
    }
    assert all(scoped[p] == full[p] for p in scoped)


def test_a_person_or_charter_change_scopes_everything() -> None:
    assert scope_of([("RFC-0001", "rfc.proposed"), ("ada", "person.added")], ["core"]) is None
    assert scope_of([("charters", "charters.synced")], ["core"]) is None
    assert scope_of([], ["core"]) == Scope(indexes=False)


def test_asking_for_a_link_code_renders_only_the_ledger_page() -> None:
    assert scope_of([("zed", "person.link-started")], ["core"]) == Scope(indexes=False)
    assert scope_of([("zed", "person.linked")], ["core"]) is None  # a login shows on pages


def test_the_vote_record_is_complete(pages: dict[str, str]) -> None:
    rejected = pages["rfcs/0002-switch-captions-to-a-closed-format.md"]
    assert "### Vote 1: Rejected" in rejected
    assert "| Electorate | 5: `ada`, `bo`, `cy`, `di`, `ed` |" in rejected
    assert "`default`: 7d, min 72h" in rejected
    for who in ("ada", "bo", "cy"):
        assert f"| `{who}` | no | 2027-01-04 14:00 UTC |" in rejected
    binding, non_binding = rejected.split("#### Non-binding ballots")
    assert "`hal`" not in binding and "| `hal` | yes | 2027-01-04 14:00 UTC |" in non_binding
    assert "Not voted: `di`, `ed`." in rejected
    assert (
        '```mermaid\npie showData title RFC-0002 vote 1\n    "Yes" : 0\n    "No" : 3\n' in rejected
    )


def test_a_closed_secret_vote_shows_totals_and_the_tally_sheet_without_names(
    pages: dict[str, str],
) -> None:
    secret = pages["rfcs/0004-elect-the-reviewers-by-secret-ballot.md"]
    assert "| Result | 4 yes, 1 no, 0 abstain |" in secret
    lines = re.findall(r"^\| `([0-9a-f]{20})` \| (yes|no|abstain) \|$", secret, re.MULTILINE)
    assert sorted(choice for _, choice in lines) == ["no", "yes", "yes", "yes", "yes"]
    assert [r for r, _ in lines] == sorted(r for r, _ in lines)  # in receipt order
    assert "Binding ballots" not in secret and "| `ed` | no" not in secret
    sheet = secret[secret.index("#### Tally sheet") :]
    assert not any(f"`{h}`" in sheet for h in ("ada", "bo", "cy", "di", "ed"))


def test_concerns_history_and_outcomes(pages: dict[str, str]) -> None:
    concerned = pages["rfcs/0003-publish-the-opt-out-list.md"]
    assert "| 1 | Ed Example (`ed`) | 2027-01-04 16:00 UTC | Covered by the licence review. |" in (
        concerned
    )
    assert "| overridden | Ada Example (`ada`) |" in concerned
    assert "### Vote 1: No quorum" in concerned
    assert "| `ed` | raised a concern: \\#1: Covered by the licence review. |" in concerned
    assert "| `ada` | overrode a concern: \\#1: Covered by the licence review. |" in concerned
    index = pages["rfcs/README.md"]
    assert "Voting: 1 · Accepted: 2 · Rejected: 2 · Withdrawn: 1" in index
    decisions = pages["decisions.md"]
    assert decisions.index("E-0001") < decisions.index("RFC-0003") < decisions.index("RFC-0001")
    readme = pages["README.md"]
    assert "| [RFC-0006](rfcs/0006-keep-one-vote-open.md) |" in readme.split("## Open votes")[1]


def test_the_election_page_has_the_ranking_and_pairwise_table(pages: dict[str, str]) -> None:
    page = pages["elections/0001-core-chair.md"]
    assert "Elected: `bo`." in page
    assert "1. `bo`\n2. `cy`\n3. `di`" in page
    assert "| `bo` | — | 3 | 4 |" in page and "| `di` | 0 | 1 | — |" in page
    assert "| `di` | `bo` &gt; `cy` = `di` | yes |" in page


def test_group_pages_have_roster_rfcs_and_charter(
    tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    built = build(tmp_path, open_store)
    built.act(groups.leave_group, "gus", built.now + H, groups.LeaveGroup("docs"))
    built.act(groups.set_role, "ada", built.now + H, groups.SetRole("core", "cy", "emeritus"))
    pages = render(built.store)
    core = pages["groups/core/README.md"]
    assert "| Ada Example (`ada`) | chair | 2027-01-03 |" in core
    assert "### Emeritus\n\n| Person | Since |\n|---|---|\n| Cy Example (`cy`) |" in core
    assert (
        "| [RFC-0006](../../rfcs/0006-keep-one-vote-open.md) | Keep one vote open | voting |"
        in (core)
    )
    assert "Mission of core." in core and "| `secret` |" in core
    docs = pages["groups/docs/README.md"]
    assert "### Past roles and members" in docs and "| Gus Example (`gus`) | member |" in docs


def test_hostile_text_comes_out_inert(hostile: dict[str, str]) -> None:
    for path, text in hostile.items():
        assert is_page(path)
        if not path.endswith(".md"):  # the ledger's data and verifier: plain ASCII text
            assert text.isascii(), path
            continue
        tokens = walk(PARSER.parse(text))
        html = [t.content for t in tokens if t.type.startswith("html")]
        assert all(CUSTOM_MARKER.match(h) for h in html), (path, html)
        for token in tokens:
            if token.type == "link_open":
                href = token.attrs["href"]
                assert (
                    href == "#unsafe-link-removed"
                    or href.startswith(("../", "https://"))
                    or (re.match(r"^[A-Za-z0-9/._-]+\.md$", href))
                ), (path, href)
            if token.type == "image":
                assert token.attrs["src"] == "#unsafe-link-removed"
        assert "@everyone" not in text and "@here" not in text
        assert not BIDI & set(text), path
        assert not re.search(r"(?<!\\)<(script|img)", text), path
        for table in re.findall(r"(?:^\|.*\|\n)+", text, re.MULTILINE):
            widths = {len(row_tokens) for row_tokens in _row_cells(table)}
            assert len(widths) == 1, (path, table)
    page = hostile["rfcs/0001-pipes-and-ticks-x-javascript-alert-1-script-aler.md"]
    heading = walk(PARSER.parse(page.split("\n")[0]))
    visible = "".join(t.content for t in heading if t.type == "text").replace("\u2060", "")
    assert visible == f"RFC-0001: {HOSTILE_TITLE}"
    assert HOSTILE_BODY.split("\n")[0].replace("<", "&lt;").replace(">", "&gt;") in page
    concerned = hostile["rfcs/0003-publish-the-opt-out-list.md"]
    reason = HOSTILE_REASON.replace("@", "@\u2060").replace("javascript:", "javascript\u2060:")
    table = walk(PARSER.parse(concerned.split("## Concerns")[1].split("## Votes")[0]))
    shown = [
        "".join(c.content for c in t.children or [] if c.type == "text")
        for t in table
        if t.type == "inline"
    ]
    assert shown.count(reason) == 2  # the concern's text and the chair's reason, both intact


def _row_cells(table: str) -> list[list[Any]]:
    """The cells of each row of a Markdown table, as a GFM parser sees them."""
    tokens = PARSER.parse(table)
    rows: list[list[Any]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("td_open", "th_open"):
            rows[-1].append(token)
    return rows


def test_paths_stay_inside_the_docs_root(hostile: dict[str, str]) -> None:
    for path in hostile:
        assert not path.startswith("/") and ".." not in path.split("/")
    assert "rfcs/0001-pipes-and-ticks-x-javascript-alert-1-script-aler.md" in hostile


def test_withdrawn_and_repropose_keep_one_page_per_rfc(
    tmp_path: Path, open_store: Callable[[], Store]
) -> None:
    built = build(tmp_path, open_store)
    built.act(
        rfcs.repropose_rfc,
        "cy",
        built.now + H,
        rfcs.ReproposeRfc("RFC-0002", title="Switch captions to an open format"),
    )
    pages = render(built.store)
    assert "rfcs/0002-switch-captions-to-an-open-format.md" in pages
    assert not any(p.startswith("rfcs/0002-switch-captions-to-a-closed") for p in pages)
