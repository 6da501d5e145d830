"""The declaration of who may do what, and the README's table generated from it."""

from __future__ import annotations

from pathlib import Path

from governance import authority
from governance.authority import Action, Standing

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert text == authority.with_table(text), (
        "The README's who-may-do-what table differs from governance/authority.py; "
        f"regenerate it with `{authority.REGENERATE}`."
    )


def test_every_action_has_one_rule_with_a_sentence_and_a_hint() -> None:
    assert [r.action for r in authority.RULES] == list(Action)
    for rule in authority.RULES:
        assert rule.summary and rule.refusal and rule.hint.endswith(".")
        assert Standing.STRANGER not in rule.allowed  # strangers are never allowed anything


def test_a_ballot_is_recorded_for_anyone_registered_and_counts_for_electors_only() -> None:
    registered = {Standing.REGISTERED}
    assert authority.allows(Action.CAST_BALLOT, registered)
    assert not authority.allows(Action.BINDING_BALLOT, registered)
    assert authority.allows(Action.BINDING_BALLOT, registered | {Standing.ELECTOR})
    assert not authority.allows(Action.CAST_BALLOT, {Standing.STRANGER})


def test_a_refusal_names_its_rule_and_says_what_to_do() -> None:
    error = authority.refusal(Action.LINK_ACCOUNTS, "zoe", frozenset({Standing.REGISTERED}))
    assert "(rule link-accounts)" in error.message
    assert "govbot link github LOGIN --as zoe" in error.message
    stranger = authority.refusal(Action.JOIN, "zed", frozenset({Standing.STRANGER}))
    assert "No person with handle 'zed'" in stranger.message and "rule join" in stranger.message
