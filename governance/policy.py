"""Vote policies: parse the charter form, resolve inheritance, freeze to a JSON form.

A policy is written in the charters as a small mapping (``{duration: 7d, quorum: 0.5, pass:
majority}``) and resolved key by key through five layers (built-in defaults, the foundation's
``default``, the group's ``default``, the foundation's named policy, the group's named policy) into
a ``rules.Policy``. When a vote opens, its policy is frozen into the database in the canonical
JSON form of ``policy_to_dict`` so later charter edits never change the rules of a running vote.

Everything here is pure and exact: fractions are ``Fraction`` (``0.66`` is read as ``33/50``, via
its decimal text, never via binary floating point).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any, Final, cast, get_args

from governance import rules

__all__ = [
    "BUILTIN_DEFAULT",
    "DURATION_HINT",
    "POLICY_KEYS",
    "InvalidPolicy",
    "SpecIssue",
    "UnknownPolicy",
    "describe",
    "format_duration",
    "parse_duration",
    "policy_from_dict",
    "policy_to_dict",
    "resolve",
    "show_value",
    "spec_issues",
    "validate_policy_spec",
]

DURATION_HINT: Final = "write a number and a unit like 90m, 72h, 7d or 2w"
"""What to write instead of a bad duration (``s`` for seconds is accepted too)."""

_UNITS: Final[dict[str, timedelta]] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_DURATION_RE: Final = re.compile(r"([0-9]+)([smhdw])")
_FRACTION_TEXT_RE: Final = re.compile(r"([0-9]+)/([1-9][0-9]*)")

BUILTIN_DEFAULT: Final[dict[str, object]] = {
    "duration": "7d",
    "min_duration": "72h",
    "quorum": 0.5,
    "pass": "majority",
    "basis": "cast",
    "close_early": True,
    "secret": False,
    "voters": "members",
}
"""The first layer of every policy, in charter form; a charter only has to say what differs."""

POLICY_KEYS: Final[tuple[str, ...]] = tuple(BUILTIN_DEFAULT)
"""Every key a policy spec may contain."""

_PASS_KINDS: Final[tuple[str, ...]] = ("majority", "supermajority", "unanimous")
_BASES: Final[tuple[str, ...]] = get_args(rules.Basis)
_VOTERS: Final[tuple[str, ...]] = get_args(rules.Voters)
_QUORUM_HINT: Final = (
    "write a decimal in (0, 1] like 0.5 for a share of the electorate (1.0 is everyone), "
    "or a whole number like 5 for a count of electors"
)
_PASS_HINT: Final = "write majority, supermajority, unanimous or {at_least: 0.6}"  # noqa: S105
_AT_LEAST_HINT: Final = (
    "write a decimal above 0.5 and at most 1 like {at_least: 0.6} (at or below one half a tie "
    "or a minority could pass; use majority for more yes than no)"
)


class UnknownPolicy(ValueError):
    """A vote asked for a policy name that neither the foundation nor the group defines."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        super().__init__(f"no policy named '{name}'; {hint}known policies: {', '.join(known)}")


class InvalidPolicy(ValueError):
    """The resolved spec of a policy is not valid; ``problems`` holds one sentence per mistake."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"policy '{name}' is not valid: " + "; ".join(problems))


@dataclass(frozen=True)
class SpecIssue:
    """One mistake in a policy spec; ``key`` is the offending key (``None``: the spec itself)."""

    key: str | None
    message: str


# --- durations -------------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Read a charter duration: one positive whole number and a unit (s, m, h, d or w).

    Deliberately strict (no ``7 days``, no ``1h30m``, no bare numbers) so that what a charter
    says is never open to interpretation.
    """
    match = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{show_value(text)} is not a duration; {DURATION_HINT}")
    number = int(match.group(1))
    if number == 0:
        raise ValueError(f"{show_value(text)} is not longer than zero; {DURATION_HINT}")
    try:
        return number * _UNITS[match.group(2)]
    except OverflowError:
        raise ValueError(f"{show_value(text)} is far too long; {DURATION_HINT}") from None


def format_duration(value: timedelta) -> str:
    """Write a duration back in charter form, as people say it: ``7d``, ``14d``, ``72h``, ``90m``.

    Whole days from four days up are written in days; shorter spans in hours, minutes or seconds
    (so the 72-hour minimum reads as ``72h``, like Apache's rule, not ``3d``).
    """
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0 and seconds >= 4 * 86400:
        return f"{seconds // 86400}d"
    for size, unit in ((3600, "h"), (60, "m")):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --- reading one key -------------------------------------------------------------------------


def show_value(value: object) -> str:
    """Show a YAML value the way it was probably written, for messages ('7days', true, 5)."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (empty)"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)


def _read_duration(key: str, value: object) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"{key} {show_value(value)} is not a duration; {DURATION_HINT}")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{key} {exc}") from None


def _decimal(value: object) -> Fraction | None:
    """Read a YAML float or an ``a/b`` string as an exact fraction; ``None`` if neither."""
    if isinstance(value, float):
        try:
            return Fraction(str(value))
        except (ValueError, OverflowError):  # nan, inf
            return None
    if isinstance(value, str):
        match = _FRACTION_TEXT_RE.fullmatch(value.replace(" ", ""))
        if match:
            return Fraction(int(match.group(1)), int(match.group(2)))
    return None


def _read_quorum(value: object) -> Fraction | int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"quorum {value} is not a count of at least 1 elector; {_QUORUM_HINT}")
        return value
    share = _decimal(value)
    if share is None:
        raise ValueError(f"quorum {show_value(value)} is not a number; {_QUORUM_HINT}")
    if not 0 < share <= 1:
        raise ValueError(f"quorum {show_value(value)} is not in (0, 1]; {_QUORUM_HINT}")
    return share


def _read_pass(value: object) -> rules.PassRule:
    if isinstance(value, str):
        if value in _PASS_KINDS:
            return rules.PassRule(cast(rules.PassKind, value))
        close = difflib.get_close_matches(value, [*_PASS_KINDS, "at_least"], n=1)
        suggestion = f"did you mean '{close[0]}'? " if close and close[0] != "at_least" else ""
        raise ValueError(f"pass {show_value(value)} is not a pass rule; {suggestion}{_PASS_HINT}")
    if isinstance(value, Mapping):
        if set(value) != {"at_least"}:
            raise ValueError(f"pass {show_value(value)} is not a pass rule; {_PASS_HINT}")
        raw = value["at_least"]
        threshold = Fraction(1) if raw == 1 and not isinstance(raw, bool) else _decimal(raw)
        if threshold is None or not Fraction(1, 2) < threshold <= 1:
            raise ValueError(
                f"pass at_least {show_value(raw)} is not in (0.5, 1]; {_AT_LEAST_HINT}"
            )
        return rules.PassRule("at_least", threshold)
    raise ValueError(f"pass {show_value(value)} is not a pass rule; {_PASS_HINT}")


def _read_choice(key: str, allowed: tuple[str, ...]) -> Callable[[object], str]:
    def read(value: object) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise ValueError(f"{key} {show_value(value)} is not allowed; write {' or '.join(allowed)}")

    return read


def _read_bool(key: str) -> Callable[[object], bool]:
    def read(value: object) -> bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{key} {show_value(value)} is not true or false; write true or false")

    return read


_READERS: Final[dict[str, Callable[[object], Any]]] = {
    "duration": lambda v: _read_duration("duration", v),
    "min_duration": lambda v: _read_duration("min_duration", v),
    "quorum": _read_quorum,
    "pass": _read_pass,
    "basis": _read_choice("basis", _BASES),
    "close_early": _read_bool("close_early"),
    "secret": _read_bool("secret"),
    "voters": _read_choice("voters", _VOTERS),
}


# --- validation and resolution ---------------------------------------------------------------


def spec_issues(spec: object, where: str = "policy") -> list[SpecIssue]:
    """Every mistake in one policy spec, each tied to its key so a checker can point at its line.

    ``where`` names the spec in messages (``policies.default``). Also catches ``min_duration``
    longer than ``duration`` when the spec sets both.
    """
    if not isinstance(spec, Mapping):
        return [
            SpecIssue(
                None,
                f"{where} is {show_value(spec)}, not a mapping of policy keys; "
                "write it like {quorum: 0.6, pass: supermajority}",
            )
        ]
    issues: list[SpecIssue] = []
    read: dict[str, Any] = {}
    for key, value in spec.items():
        if key not in _READERS:
            close = difflib.get_close_matches(str(key), POLICY_KEYS, n=1)
            known = ", ".join(POLICY_KEYS)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {known}"
            issues.append(SpecIssue(str(key), f"unknown key '{key}' in {where}; {hint}"))
            continue
        try:
            read[key] = _READERS[key](value)
        except ValueError as exc:
            issues.append(SpecIssue(key, str(exc)))
    duration, min_duration = read.get("duration"), read.get("min_duration")
    if duration is not None and min_duration is not None and min_duration > duration:
        issues.append(
            SpecIssue(
                "min_duration",
                f"min_duration {format_duration(min_duration)} is longer than duration "
                f"{format_duration(duration)} in {where}; make min_duration at most the duration",
            )
        )
    return issues


def validate_policy_spec(spec: object, where: str = "policy") -> list[str]:
    """Messages for every mistake in one policy spec (empty when it is valid)."""
    return [issue.message for issue in spec_issues(spec, where)]


def resolve(
    name: str,
    foundation_policies: Mapping[str, Mapping[str, object]],
    group_policies: Mapping[str, Mapping[str, object]],
) -> rules.Policy:
    """Resolve policy ``name`` key by key; later layers win.

    Layers: ``BUILTIN_DEFAULT``, the foundation's ``default``, the group's ``default``, the
    foundation's ``name``, the group's ``name``. Raises ``UnknownPolicy`` when ``name`` is not
    ``default`` and neither mapping defines it, ``InvalidPolicy`` when the merged spec is invalid.
    """
    if name != "default" and name not in foundation_policies and name not in group_policies:
        raise UnknownPolicy(name, sorted({"default", *foundation_policies, *group_policies}))
    layers: list[object] = [foundation_policies.get("default"), group_policies.get("default")]
    if name != "default":
        layers += [foundation_policies.get(name), group_policies.get(name)]
    merged: dict[str, object] = dict(BUILTIN_DEFAULT)
    problems: list[str] = []
    for layer in layers:
        if layer is None:
            continue
        if isinstance(layer, Mapping):
            merged.update(layer)
        else:
            problems += validate_policy_spec(layer, f"policy '{name}'")
    problems += validate_policy_spec(merged, f"policy '{name}'")
    if problems:
        raise InvalidPolicy(name, problems)
    return _build({key: _READERS[key](value) for key, value in merged.items()})


def _build(values: Mapping[str, Any]) -> rules.Policy:
    return rules.Policy(
        duration=values["duration"],
        min_duration=values["min_duration"],
        quorum=values["quorum"],
        pass_rule=values["pass"],
        basis=values["basis"],
        close_early=values["close_early"],
        secret=values["secret"],
        voters=values["voters"],
    )


# --- frozen form -----------------------------------------------------------------------------


def _fraction_text(value: Fraction) -> str:
    """Write ``n/d`` always (``1/1``, not ``1``) so the frozen form has one shape."""
    return f"{value.numerator}/{value.denominator}"


def _seconds(value: timedelta) -> int:
    seconds, rest = divmod(value, timedelta(seconds=1))
    if rest:
        raise ValueError(f"duration {value} is not a whole number of seconds")
    return int(seconds)


def policy_to_dict(policy: rules.Policy) -> dict[str, Any]:
    """Give the canonical JSON-safe form that is frozen into the database with a vote.

    ``{"duration": 604800, "min_duration": 259200, "quorum": {"fraction": "1/2"} | {"count": 5},
    "pass": {"kind": "majority", "threshold": None | "3/5"}, "basis": ..., "close_early": ...,
    "secret": ..., "voters": ...}``; ``policy_from_dict`` reads it back exactly.
    """
    quorum: dict[str, Any]
    if isinstance(policy.quorum, Fraction):
        quorum = {"fraction": _fraction_text(policy.quorum)}
    else:
        quorum = {"count": int(policy.quorum)}
    threshold = policy.pass_rule.threshold
    return {
        "duration": _seconds(policy.duration),
        "min_duration": _seconds(policy.min_duration),
        "quorum": quorum,
        "pass": {
            "kind": policy.pass_rule.kind,
            "threshold": None if threshold is None else _fraction_text(threshold),
        },
        "basis": policy.basis,
        "close_early": policy.close_early,
        "secret": policy.secret,
        "voters": policy.voters,
    }


def _exact_fraction(text: object, what: str) -> Fraction:
    if not isinstance(text, str) or _FRACTION_TEXT_RE.fullmatch(text) is None:
        raise ValueError(f"frozen policy {what} {text!r} is not a fraction like '1/2'")
    return Fraction(text)


def _frozen_seconds(value: object, what: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"frozen policy {what} {value!r} is not a positive number of seconds")
    return timedelta(seconds=value)


def policy_from_dict(data: Mapping[str, Any]) -> rules.Policy:
    """Read back the frozen form of ``policy_to_dict``; raises ``ValueError`` when it is damaged."""
    try:
        quorum_data = data["quorum"]
        quorum: Fraction | int
        if set(quorum_data) == {"fraction"}:
            quorum = _exact_fraction(quorum_data["fraction"], "quorum")
            if not 0 < quorum <= 1:
                raise ValueError(f"frozen policy quorum {quorum} is not in (0, 1]")
        elif set(quorum_data) == {"count"}:
            count = quorum_data["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"frozen policy quorum count {count!r} is not at least 1")
            quorum = count
        else:
            raise ValueError(f"frozen policy quorum {quorum_data!r} has neither fraction nor count")
        pass_data = data["pass"]
        kind, raw_threshold = pass_data["kind"], pass_data.get("threshold")
        if kind == "at_least":
            threshold = _exact_fraction(raw_threshold, "pass threshold")
            if not 0 < threshold <= 1:
                raise ValueError(f"frozen policy pass threshold {threshold} is not in (0, 1]")
            pass_rule = rules.PassRule("at_least", threshold)
        elif kind in _PASS_KINDS and raw_threshold is None:
            pass_rule = rules.PassRule(kind)
        else:
            raise ValueError(f"frozen policy pass {pass_data!r} is not a pass rule")
        basis, voters = data["basis"], data["voters"]
        if basis not in _BASES or voters not in _VOTERS:
            raise ValueError(f"frozen policy basis {basis!r} or voters {voters!r} is not allowed")
        close_early, secret = data["close_early"], data["secret"]
        if not isinstance(close_early, bool) or not isinstance(secret, bool):
            raise ValueError("frozen policy close_early and secret must be true or false")
        return rules.Policy(
            duration=_frozen_seconds(data["duration"], "duration"),
            min_duration=_frozen_seconds(data["min_duration"], "min_duration"),
            quorum=quorum,
            pass_rule=pass_rule,
            basis=basis,
            close_early=close_early,
            secret=secret,
            voters=voters,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"frozen policy is missing or mangles a field: {exc!r}") from None


# --- for people ------------------------------------------------------------------------------


def describe(policy: rules.Policy) -> str:
    """Say the policy in one line for people (chat messages, rendered records).

    Example: ``7d, min 72h, quorum 1/2 of electorate, majority of cast, closes early``.
    """
    if isinstance(policy.quorum, Fraction):
        share = "all" if policy.quorum == 1 else _fraction_text(policy.quorum)
        quorum = f"quorum {share} of electorate"
    else:
        quorum = f"quorum {policy.quorum} elector{'s' if policy.quorum != 1 else ''}"
    rule = policy.pass_rule
    if rule.kind == "at_least" and rule.threshold is not None:
        passing = f"at least {_fraction_text(rule.threshold)}"
    elif rule.kind == "unanimous":
        passing = "unanimity"
    else:
        passing = rule.kind
    parts = [
        format_duration(policy.duration),
        f"min {format_duration(policy.min_duration)}",
        quorum,
        f"{passing} of {policy.basis}",
        "closes early" if policy.close_early else "runs to the deadline",
    ]
    if policy.secret:
        parts.append("secret ballot")
    if policy.voters == "chairs":
        parts.append("chairs vote")
    return ", ".join(parts)
