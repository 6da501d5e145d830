"""One-time codes that link GitHub logins: who may ask, what a code proves, what is kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from governance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from governance.services import groups, linking
from tests.conftest import T0, Actor, Db

M = timedelta(minutes=1)


@pytest.fixture
def zed(act: Actor) -> str:
    act(groups.add_person, "root", T0, groups.AddPerson("zed", "Zed Example"))
    return "zed"


def test_a_code_links_the_login_it_was_made_for(act: Actor, zed: str, db: Db) -> None:
    started = act(linking.start_link, zed, T0, linking.StartLink("zed-gh"))
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}", started.code)
    assert started.expires_at == "2027-01-04T11:00:00Z"
    linked = act(
        linking.verify_link, "govbot", T0 + M, linking.VerifyLink("github", "Zed-GH", started.code)
    )
    assert (linked.handle, linked.login, linked.previous) == ("zed", "Zed-GH", None)
    assert db.query("SELECT github FROM people WHERE handle = 'zed'") == [("Zed-GH",)]
    entries = db.query("SELECT actor, action, payload FROM ledger ORDER BY seq DESC LIMIT 2")
    assert [(a, b) for a, b, _ in entries] == [
        ("zed", "person.linked"),
        ("zed", "person.link-started"),
    ]
    code = linking.normalise_code(started.code)
    assert all(code not in payload and started.code not in payload for _, _, payload in entries)
    assert code not in str(db.query("SELECT * FROM link_codes"))  # only its hash is kept


def test_refusals_change_nothing(act: Actor, zed: str, db: Db) -> None:
    started = act(linking.start_link, zed, T0, linking.StartLink("zed-gh"))
    before = db.snapshot()
    cases = [
        (linking.VerifyLink("github", "zed-gh", "AAAAA-AAAAA"), NotFound, "not one govbot gave"),
        (linking.VerifyLink("github", "mallory", started.code), PermissionDenied, "made for"),
        (linking.VerifyLink("github", "zed gh", started.code), InvalidInput, "not a GitHub login"),
        (linking.VerifyLink("gitlab", "zed-gh", started.code), InvalidInput, "links: github"),
        (linking.VerifyLink("github", "zed-gh", ""), InvalidInput, "No code given"),
    ]
    for command, error, words in cases:
        with pytest.raises(error, match=words):
            act(linking.verify_link, "govbot", T0 + M, command)
    with pytest.raises(PermissionDenied, match="expired"):
        act(
            linking.verify_link,
            "govbot",
            T0 + 61 * M,
            linking.VerifyLink("github", "zed-gh", started.code),
        )
    assert db.snapshot() == before


def test_who_may_ask_for_a_code(act: Actor, zed: str) -> None:
    with pytest.raises(Conflict, match="already linked to ada"):
        act(linking.start_link, zed, T0, linking.StartLink("ada-gh"))
    with pytest.raises(Conflict, match="ada is already linked to the GitHub account ada-gh"):
        act(linking.start_link, "ada", T0, linking.StartLink("ADA-gh"))
    with pytest.raises(NotFound, match="No person with handle 'nobody'"):
        act(linking.start_link, "nobody", T0, linking.StartLink("nobody-gh"))
    for _ in range(linking.LIVE_CODES_MAX):
        act(linking.start_link, zed, T0, linking.StartLink("zed-gh"))
    with pytest.raises(Conflict, match="already has 5 unused codes"):
        act(linking.start_link, zed, T0, linking.StartLink("zed-gh"))
    act(linking.start_link, zed, T0 + 61 * M, linking.StartLink("zed-gh"))  # the old ones expired


def test_a_login_taken_meanwhile_is_refused(act: Actor, zed: str) -> None:
    started = act(linking.start_link, zed, T0, linking.StartLink("zed-gh"))
    act(groups.link_person, "root", T0 + M, groups.LinkPerson("bo", github="zed-gh"))
    with pytest.raises(Conflict, match="already linked to bo"):
        act(
            linking.verify_link,
            "govbot",
            T0 + 2 * M,
            linking.VerifyLink("github", "zed-gh", started.code),
        )
