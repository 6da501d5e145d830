"""RFCs and GitHub issues: importing an issue once, linking an RFC to the issue made for it."""

from __future__ import annotations

import pytest

from governance.errors import Conflict, PermissionDenied
from governance.services import rfcs
from tests.conftest import T0, Actor, Db


def imported(act: Actor, issue: int = 7, *, by: str = "ada", author: str | None = None) -> str:
    ref = act(
        rfcs.import_issue,
        by,
        T0,
        rfcs.ImportIssue("core", "Caption provenance", "", "omi/rfcs", issue, author),
    )
    return str(ref.rfc)


def test_an_issue_is_imported_once_with_its_author(act: Actor, db: Db) -> None:
    assert imported(act, author="bo") == "RFC-0001"
    view = act.read(rfcs.show_rfc, "RFC-0001", T0)
    assert (view.author, view.status) == ("bo", "discussion")
    assert view.body == "The proposal is discussed on the GitHub issue omi/rfcs#7."
    assert db.query("SELECT github_repo, github_issue FROM rfcs") == [("omi/rfcs", 7)]
    with pytest.raises(Conflict, match="omi/rfcs#7 is already RFC-0001"):
        imported(act)
    with pytest.raises(Conflict, match="already RFC-0001"):
        act(rfcs.import_issue, "ada", T0, rfcs.ImportIssue("core", "x", "y", "OMI/RFCS", 7))


def test_only_those_who_may_propose_import(act: Actor, db: Db) -> None:
    before = db.snapshot()
    with pytest.raises(PermissionDenied, match="Only members and chairs of core"):
        imported(act, by="gus")  # a member of docs, not of core
    assert db.snapshot() == before


def test_an_rfc_is_linked_to_one_issue(act: Actor, db: Db) -> None:
    ref = act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "Shared evals", "Same way."))
    link = rfcs.LinkIssue(ref.rfc, "omi/rfcs", 3)
    act(rfcs.link_issue, "govbot", T0, link)
    act(rfcs.link_issue, "govbot", T0, link)  # the same issue again: nothing changes
    actions = db.query("SELECT action FROM ledger WHERE subject = 'RFC-0001' ORDER BY seq")
    assert actions == [("rfc.proposed",), ("rfc.linked",)]
    with pytest.raises(Conflict, match="already linked to omi/rfcs#3"):
        act(rfcs.link_issue, "govbot", T0, rfcs.LinkIssue(ref.rfc, "omi/rfcs", 4))
    other = act(rfcs.propose_rfc, "bo", T0, rfcs.ProposeRfc("core", "Other", "Text."))
    with pytest.raises(Conflict, match="omi/rfcs#3 already carries RFC-0001"):
        act(rfcs.link_issue, "govbot", T0, rfcs.LinkIssue(other.rfc, "omi/rfcs", 3))
