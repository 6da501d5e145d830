"""Policies: durations, key-by-key resolution, the frozen JSON form and validation messages."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import policy
from governance.policy import (
    BUILTIN_DEFAULT,
    InvalidPolicy,
    UnknownPolicy,
    describe,
    format_duration,
    parse_duration,
    policy_from_dict,
    policy_to_dict,
    resolve,
    validate_policy_spec,
)
from governance.rules import PassRule, Policy

HINT = "write a number and a unit like 90m, 72h, 7d or 2w"

# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("90m", timedelta(minutes=90)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d", timedelta(days=1)),
        ("365d", timedelta(days=365)),
    ],
)
def test_parse_duration_accepts_one_number_and_one_unit(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["7days", "7", "", "d", "0d", "0m", "-1d", "+1d", "1.5h", "7D", "1h30m", " 7d", "7d ", "7 d"],
)
def test_parse_duration_rejects_anything_else_with_a_clear_sentence(text):
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    message = str(info.value)
    assert f"'{text}'" in message
    assert HINT in message


def test_parse_duration_rejects_non_text():
    with pytest.raises(ValueError, match="7 is not a duration"):
        parse_duration(7)  # type: ignore[arg-type]


def test_parse_duration_rejects_absurd_lengths():
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999w")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=7), "7d"),
        (timedelta(days=14), "14d"),
        (timedelta(days=5), "5d"),
        (timedelta(hours=72), "72h"),
        (timedelta(hours=48), "48h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=45), "45s"),
    ],
)
def test_format_duration_reads_like_a_charter(value, text):
    assert format_duration(value) == text
    assert parse_duration(text) == value


# --- resolution ------------------------------------------------------------------------------

FOUNDATION = {
    "default": {"duration": "7d", "min_duration": "72h", "quorum": 0.5, "pass": "majority"},
    "charter-change": {"duration": "14d", "quorum": 0.66, "pass": "supermajority"},
}


def test_builtin_defaults_alone():
    assert resolve("default", {}, {}) == Policy(
        duration=timedelta(days=7),
        min_duration=timedelta(hours=72),
        quorum=Fraction(1, 2),
        pass_rule=PassRule("majority"),
        basis="cast",
        close_early=True,
        secret=False,
        voters="members",
    )
    assert set(BUILTIN_DEFAULT) == {
        "duration",
        "min_duration",
        "quorum",
        "pass",
        "basis",
        "close_early",
        "secret",
        "voters",
    }


def test_group_default_overrides_one_key_of_the_foundation_default():
    # Foundation default quorum 0.5, group default quorum 0.6: the group wins for `default`,
    # every other key still comes from the foundation.
    resolved = resolve("default", FOUNDATION, {"default": {"quorum": 0.6}})
    assert resolved.quorum == Fraction(3, 5)
    assert resolved.duration == timedelta(days=7)
    assert resolved.pass_rule == PassRule("majority")


def test_foundation_named_policy_beats_group_default():
    # Foundation charter-change quorum 0.66 comes after the group's default (0.6) in the order,
    # so a charter change needs 33/50 even in a group whose default is 3/5.
    resolved = resolve("charter-change", FOUNDATION, {"default": {"quorum": 0.6}})
    assert resolved.quorum == Fraction(33, 50)
    assert resolved.duration == timedelta(days=14)
    assert resolved.pass_rule == PassRule("supermajority")
    assert resolved.min_duration == timedelta(hours=72)  # from the foundation default


def test_group_named_policy_overrides_a_single_key_last():
    group: dict[str, dict[str, object]] = {
        "default": {"quorum": 0.6, "secret": True},
        "charter-change": {"duration": "21d"},
    }
    resolved = resolve("charter-change", FOUNDATION, group)
    assert resolved.duration == timedelta(days=21)  # group charter-change
    assert resolved.quorum == Fraction(33, 50)  # foundation charter-change
    assert resolved.pass_rule == PassRule("supermajority")  # foundation charter-change
    assert resolved.secret is True  # group default
    assert resolved.min_duration == timedelta(hours=72)  # foundation default
    assert resolved.basis == "cast"  # built-in


def test_each_layer_wins_over_the_ones_before_it_key_by_key():
    foundation = {
        "default": {"duration": "1d", "min_duration": "1h", "quorum": 2, "basis": "electorate"},
        "budget": {"duration": "2d", "min_duration": "2h", "quorum": 3},
    }
    group: dict[str, dict[str, object]] = {
        "default": {"duration": "3d", "min_duration": "3h", "voters": "chairs"},
        "budget": {"duration": "4d"},
    }
    resolved = resolve("budget", foundation, group)
    assert resolved.duration == timedelta(days=4)  # group named (layer 5)
    assert resolved.min_duration == timedelta(hours=2)  # foundation named (layer 4)
    assert resolved.quorum == 3  # foundation named (layer 4)
    assert resolved.voters == "chairs"  # group default (layer 3)
    assert resolved.basis == "electorate"  # foundation default (layer 2)
    assert resolved.pass_rule == PassRule("majority")  # built-in (layer 1)
    # `default` itself never sees the named layers.
    as_default = resolve("default", foundation, group)
    assert as_default.duration == timedelta(days=3)
    assert as_default.quorum == 2


def test_a_policy_only_the_group_defines():
    resolved = resolve("embargo", FOUNDATION, {"embargo": {"secret": True, "voters": "chairs"}})
    assert resolved.secret is True
    assert resolved.voters == "chairs"
    assert resolved.quorum == Fraction(1, 2)


def test_unknown_policy_names_the_known_ones():
    with pytest.raises(UnknownPolicy) as info:
        resolve("charter-chnage", FOUNDATION, {"embargo": {}})
    assert isinstance(info.value, ValueError)
    assert info.value.known == ["charter-change", "default", "embargo"]
    message = str(info.value)
    assert "'charter-chnage'" in message
    assert "did you mean 'charter-change'?" in message
    assert "charter-change, default, embargo" in message


def test_default_always_exists():
    assert resolve("default", {}, {}).quorum == Fraction(1, 2)


def test_resolution_refuses_layers_that_combine_badly():
    with pytest.raises(InvalidPolicy) as info:
        resolve("quick", FOUNDATION, {"quick": {"duration": "48h"}})
    assert info.value.problems == [
        "min_duration 72h is longer than duration 48h in policy 'quick'; "
        "make min_duration at most the duration"
    ]


def test_resolution_refuses_invalid_values():
    with pytest.raises(InvalidPolicy, match=r"quorum 1\.5 is not in"):
        resolve("default", {"default": {"quorum": 1.5}}, {})


# --- quorum and pass values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, Fraction(1, 2)),
        (1.0, Fraction(1)),
        (0.66, Fraction(33, 50)),
        (0.1, Fraction(1, 10)),
        ("2/3", Fraction(2, 3)),
        (5, 5),
        (1, 1),
    ],
)
def test_quorum_forms(value, expected):
    resolved = resolve("default", {"default": {"quorum": value}}, {})
    assert resolved.quorum == expected
    assert type(resolved.quorum) is type(expected)


@pytest.mark.parametrize("value", [0, -1, 0.0, 1.5, 5.0, -0.5, True, "half", "50%", None, [1]])
def test_quorum_rejections_say_what_to_write(value):
    problems = validate_policy_spec({"quorum": value})
    assert len(problems) == 1
    assert problems[0].startswith("quorum ")
    assert "write a decimal in (0, 1] like 0.5" in problems[0]
    assert "a whole number like 5" in problems[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("majority", PassRule("majority")),
        ("supermajority", PassRule("supermajority")),
        ("unanimous", PassRule("unanimous")),
        ({"at_least": 0.6}, PassRule("at_least", Fraction(3, 5))),
        ({"at_least": 1}, PassRule("at_least", Fraction(1))),
        ({"at_least": "2/3"}, PassRule("at_least", Fraction(2, 3))),
    ],
)
def test_pass_forms(value, expected):
    assert resolve("default", {}, {"default": {"pass": value}}).pass_rule == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("simple", "pass 'simple' is not a pass rule"),
        ("majorty", "did you mean 'majority'?"),
        ({"at_least": 0}, "pass at_least 0 is not in (0.5, 1]"),
        ({"at_least": 1.2}, "pass at_least 1.2 is not in (0.5, 1]"),
        ({"at_least": 0.5}, "at or below one half a tie or a minority could pass"),
        ({"at_most": 0.5}, "pass {at_most: 0.5} is not a pass rule"),
        (0.6, "pass 0.6 is not a pass rule; write majority, supermajority, unanimous or"),
    ],
)
def test_pass_rejections(value, fragment):
    problems = validate_policy_spec({"pass": value})
    assert len(problems) == 1
    assert fragment in problems[0]


# --- validation ------------------------------------------------------------------------------


def test_valid_specs_have_no_problems():
    for spec in [*FOUNDATION.values(), BUILTIN_DEFAULT, {}]:
        assert validate_policy_spec(spec) == []


def test_unknown_key_with_suggestion():
    assert validate_policy_spec({"quroum": 0.5}, "policies.default") == [
        "unknown key 'quroum' in policies.default; did you mean 'quorum'?"
    ]
    (message,) = validate_policy_spec({"colour": "red"}, "policies.default")
    assert "known keys: duration, min_duration, quorum, pass" in message


def test_bad_duration_message():
    assert validate_policy_spec({"duration": "7days"}) == [
        "duration '7days' is not a duration; write a number and a unit like 90m, 72h, 7d or 2w"
    ]
    assert validate_policy_spec({"min_duration": 72}) == [
        f"min_duration 72 is not a duration; {HINT}"
    ]


def test_min_duration_longer_than_duration():
    assert validate_policy_spec({"duration": "2d", "min_duration": "72h"}, "policies.fast") == [
        "min_duration 72h is longer than duration 48h in policies.fast; "
        "make min_duration at most the duration"
    ]
    assert validate_policy_spec({"duration": "72h", "min_duration": "3d"}) == []


def test_choices_and_booleans():
    assert validate_policy_spec({"basis": "votes"}) == [
        "basis 'votes' is not allowed; write cast or electorate"
    ]
    assert validate_policy_spec({"voters": "everyone"}) == [
        "voters 'everyone' is not allowed; write members or chairs"
    ]
    assert validate_policy_spec({"close_early": "yes please"}) == [
        "close_early 'yes please' is not true or false; write true or false"
    ]
    assert validate_policy_spec({"secret": 1}) == [
        "secret 1 is not true or false; write true or false"
    ]


def test_all_mistakes_reported_together():
    problems = validate_policy_spec(
        {"quroum": 1, "duration": "7days", "pass": "simple", "secret": "no"}
    )
    assert len(problems) == 4


def test_spec_that_is_not_a_mapping():
    (message,) = validate_policy_spec("7d", "policies.default")
    assert message.startswith("policies.default is '7d', not a mapping of policy keys")


def test_spec_issues_carry_the_offending_key():
    issues = policy.spec_issues({"quroum": 1, "duration": "x"})
    assert [issue.key for issue in issues] == ["quroum", "duration"]


# --- frozen form and description -------------------------------------------------------------


def test_policy_to_dict_canonical_form():
    resolved = resolve("charter-change", FOUNDATION, {})
    assert policy_to_dict(resolved) == {
        "duration": 14 * 86400,
        "min_duration": 72 * 3600,
        "quorum": {"fraction": "33/50"},
        "pass": {"kind": "supermajority", "threshold": None},
        "basis": "cast",
        "close_early": True,
        "secret": False,
        "voters": "members",
    }


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"quorum": 5, "pass": {"at_least": 0.6}, "basis": "electorate"},
        {"quorum": 1.0, "pass": "unanimous", "secret": True, "voters": "chairs"},
        {"duration": "90m", "min_duration": "30s", "close_early": False},
        {"quorum": "2/3", "pass": {"at_least": "2/3"}},
    ],
)
def test_dict_round_trip_through_json(spec):
    original = resolve("default", {}, {"default": spec})
    frozen = json.loads(json.dumps(policy_to_dict(original)))
    assert policy_from_dict(frozen) == original
    assert policy_to_dict(policy_from_dict(frozen)) == frozen


@given(
    duration=st.integers(min_value=1, max_value=10**7),
    quorum=st.one_of(
        st.integers(min_value=1, max_value=1000),
        st.fractions(min_value=Fraction(1, 1000), max_value=1).filter(lambda f: f > 0),
    ),
    threshold=st.fractions(min_value=Fraction(1, 1000), max_value=1),
    flags=st.tuples(st.booleans(), st.booleans()),
)
def test_round_trip_property(duration, quorum, threshold, flags):
    original = Policy(
        duration=timedelta(seconds=duration),
        min_duration=timedelta(seconds=max(1, duration // 2)),
        quorum=quorum,
        pass_rule=PassRule("at_least", threshold),
        close_early=flags[0],
        secret=flags[1],
    )
    assert policy_from_dict(json.loads(json.dumps(policy_to_dict(original)))) == original


@pytest.mark.parametrize(
    "damage",
    [
        {"quorum": {"fraction": "0.5"}},
        {"quorum": {"fraction": "3/2"}},
        {"quorum": {"count": 0}},
        {"quorum": {}},
        {"pass": {"kind": "at_least", "threshold": None}},
        {"pass": {"kind": "majority", "threshold": "1/2"}},
        {"pass": {"kind": "plurality", "threshold": None}},
        {"duration": "7d"},
        {"duration": -5},
        {"basis": "votes"},
        {"secret": "no"},
    ],
)
def test_from_dict_refuses_damaged_data(damage):
    frozen = policy_to_dict(resolve("default", {}, {})) | damage
    with pytest.raises(ValueError, match="frozen policy"):
        policy_from_dict(frozen)


def test_from_dict_refuses_missing_fields():
    frozen = policy_to_dict(resolve("default", {}, {}))
    del frozen["voters"]
    with pytest.raises(ValueError, match="frozen policy"):
        policy_from_dict(frozen)


def test_describe():
    assert describe(resolve("default", FOUNDATION, {})) == (
        "7d, min 72h, quorum 1/2 of electorate, majority of cast, closes early"
    )
    special = resolve(
        "default",
        {},
        {
            "default": {
                "quorum": 5,
                "pass": {"at_least": 0.6},
                "basis": "electorate",
                "close_early": False,
                "secret": True,
                "voters": "chairs",
                "duration": "14d",
            }
        },
    )
    assert describe(special) == (
        "14d, min 72h, quorum 5 electors, at least 3/5 of electorate, runs to the deadline, "
        "secret ballot, chairs vote"
    )
    everyone = resolve("default", {}, {"default": {"quorum": 1.0, "pass": "unanimous"}})
    assert "quorum all of electorate, unanimity of cast" in describe(everyone)
    assert "quorum 1 elector," in describe(resolve("default", {}, {"default": {"quorum": 1}}))
