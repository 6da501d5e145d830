"""Charters: the bundled example loads, and every kind of mistake is reported at its file:line."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pydantic
import pytest
import yaml

from governance import charters
from governance.charters import (
    DEFAULT_CHARTERS,
    Charter,
    CharterError,
    CharterFrontMatter,
    Problem,
    check,
    load,
    schema,
)
from governance.policy import UnknownPolicy
from governance.rules import PassRule

GROUPS = {"steering", "datasets", "training", "interop", "red-team", "community"}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the bundled charters to break."""
    target = tmp_path / "charters"
    shutil.copytree(DEFAULT_CHARTERS, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str, nth: int = 1) -> int:
    """1-based line of the nth line containing ``fragment``."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line]
    assert len(hits) >= nth, f"{fragment!r} not found in {path.name}"
    return hits[nth - 1]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# --- the bundled example ---------------------------------------------------------------------


def test_default_charters_directory_is_the_bundled_one():
    assert Path(charters.__file__).resolve().parent.parent / "charters" == DEFAULT_CHARTERS
    assert (DEFAULT_CHARTERS / "foundation.yaml").is_file()


def test_bundled_charters_check_clean():
    assert check(DEFAULT_CHARTERS) == []


def test_bundled_charters_load():
    loaded = load(DEFAULT_CHARTERS)
    assert loaded.foundation.name == "Open Model Initiative"
    assert loaded.foundation.labels.vote_open == "vote/open"
    assert loaded.foundation.labels.group_prefix == "wg/"
    assert set(loaded.groups) == GROUPS
    assert list(loaded.groups) == sorted(GROUPS)
    assert loaded.groups["steering"].front.kind == "committee"
    assert loaded.groups["steering"].front.membership == "approval"
    assert {g.front.kind for s, g in loaded.groups.items() if s != "steering"} == {"working-group"}
    assert len(loaded.people) >= 15

    handles = {person.handle for person in loaded.people}
    assert set(loaded.foundation.admins) <= handles
    memberships: dict[str, int] = {}
    for slug, group in loaded.groups.items():
        assert group.slug == slug == group.path.stem
        assert group.sha256 == hashlib.sha256(group.path.read_bytes()).hexdigest()
        roster = group.roster()
        assert set(roster) <= handles  # rosters resolve to registered people
        assert "chair" in roster.values()
        for handle in roster:
            memberships[handle] = memberships.get(handle, 0) + 1
        assert group.front.discord is not None and group.front.github is not None
    assert max(memberships.values()) >= 3  # some people are in several groups
    for person in loaded.people:
        assert person.discord_id is not None and len(person.discord_id) == 18


def test_bundled_bodies_are_real_charters():
    for group in load(DEFAULT_CHARTERS).groups.values():
        assert group.body.startswith(f"# {group.front.name}")
        for heading in ("## Mission", "## Scope", "## Deliverables", "decisions", "## Meetings"):
            assert heading in group.body, (group.slug, heading)
        assert len(group.body.split()) >= 250
        assert "---" not in group.body.splitlines()[0]


def test_bundled_policies_resolve_through_the_foundation():
    loaded = load(DEFAULT_CHARTERS)
    datasets = loaded.policy("datasets")
    assert datasets.quorum == Fraction(3, 5)  # group default overrides 0.5
    assert datasets.duration == timedelta(days=7)
    change = loaded.policy("datasets", "charter-change")
    assert change.quorum == Fraction(3, 4)
    assert change.pass_rule == PassRule("supermajority")
    assert change.duration == timedelta(days=14)
    interop = loaded.policy("interop")
    assert interop.quorum == 3  # a count, for an open group
    assert loaded.policy("interop", "charter-change").quorum == Fraction(33, 50)
    assert loaded.policy("red-team", "disclosure").secret is True
    assert loaded.policy("steering", "election").close_early is False
    for slug, group in loaded.groups.items():
        for name in {"default", *loaded.foundation.policies, *group.front.policies}:
            loaded.policy(slug, name)  # every policy resolves
    with pytest.raises(UnknownPolicy):
        loaded.policy("datasets", "disclosure")
    with pytest.raises(KeyError, match="no group 'nope'"):
        loaded.policy("nope")


def test_person_lookup_and_digest(tree):
    loaded = load(tree)
    assert loaded.person("ada").name == "Ada Lindqvist"
    with pytest.raises(KeyError):
        loaded.person("nobody")
    assert loaded.digest == load(DEFAULT_CHARTERS).digest
    assert set(loaded.file_hashes) == {"foundation.yaml", "people.yaml"} | {
        f"{slug}.md" for slug in GROUPS
    }
    edit(tree / "datasets.md", "## Mission", "## Mission\nNew words.")
    assert load(tree).digest != loaded.digest


def test_readme_in_the_directory_is_not_a_charter(tree):
    (tree / "README.md").write_text("# Charters\nHow to edit these files.\n")
    assert check(tree) == []


# --- problems: where and what ----------------------------------------------------------------


def test_problem_str_is_file_colon_line():
    problem = Problem(Path("charters/datasets.md"), 7, "something is wrong")
    assert str(problem) == "charters/datasets.md:7: something is wrong"
    assert str(Problem(Path("charters/people.yaml"), 0, "missing")) == (
        "charters/people.yaml: missing"
    )


# Each case: file, old text, new text, fragment locating the expected line, expected message.
CASES = [
    pytest.param(
        "datasets.md",
        "default: {quorum: 0.6}",
        "default: {quroum: 0.6}",
        "quroum",
        "unknown key 'quroum' in policies.default; did you mean 'quorum'?",
        id="policy-key-typo",
    ),
    pytest.param(
        "datasets.md",
        "dataset-release: {duration: 10d,",
        "dataset-release: {duration: 10days,",
        "10days",
        "duration '10days' is not a duration; write a number and a unit like 90m, 72h, 7d or 2w",
        id="bad-duration",
    ),
    pytest.param(
        "datasets.md",
        "default: {quorum: 0.6}",
        "default:\n    quorum: 1.5",
        "quorum: 1.5",
        "quorum 1.5 is not in (0, 1]; write a decimal in (0, 1] like 0.5 for a share of the "
        "electorate (1.0 is everyone), or a whole number like 5 for a count of electors",
        id="bad-quorum-block-style",
    ),
    pytest.param(
        "datasets.md",
        "pass: supermajority}",
        "pass: simple}",
        "pass: simple",
        "pass 'simple' is not a pass rule; write majority, supermajority, unanimous or "
        "{at_least: 0.6}",
        id="bad-pass",
    ),
    pytest.param(
        "red-team.md",
        "min_duration: 48h",
        "min_duration: 6d",
        "min_duration: 6d",
        "min_duration 6d is longer than duration 5d in policies.disclosure; "
        "make min_duration at most the duration",
        id="min-longer-than-duration",
    ),
    pytest.param(
        "training.md",
        "  default: {duration: 5d}",
        "  default: {duration: 5d}\n  quick: {duration: 48h}",
        "quick:",
        "with the keys inherited from foundation.yaml, min_duration 72h is longer than duration "
        "48h in policy 'quick'; make min_duration at most the duration",
        id="resolved-policy-inconsistent",
    ),
    pytest.param(
        "training.md",
        "  default: {duration: 5d}",
        "  default: {duration: 5d}\n  Fast Track: {duration: 4d}",
        "Fast Track",
        "policy name 'Fast Track' is not in the right form; name policies with lowercase "
        "letters, digits and dashes, like charter-change",
        id="bad-policy-name",
    ),
    pytest.param(
        "datasets.md",
        "  default: {quorum: 0.6}",
        "  default: 0.6",
        "default: 0.6",
        "policies.default 0.6 is not a mapping; write policy names (lowercase letters, digits, "
        "dashes) mapped to settings, like {default: {quorum: 0.6}}",
        id="policy-not-a-mapping",
    ),
    pytest.param(
        "datasets.md",
        "kind: working-group",
        "kind: workgroup",
        "kind:",
        "kind 'workgroup' is not allowed; write working-group or committee",
        id="bad-kind",
    ),
    pytest.param(
        "interop.md",
        "membership: open",
        "membership: anyone",
        "membership:",
        "membership 'anyone' is not allowed; write open (anyone may join) or approval "
        "(a chair approves each join)",
        id="bad-membership",
    ),
    pytest.param(
        "datasets.md",
        "slug: datasets",
        "slug: data",
        "slug:",
        "slug 'data' does not match the file name datasets.md; write `slug: datasets` or "
        "rename the file to data.md",
        id="slug-not-file-name",
    ),
    pytest.param(
        "datasets.md",
        "slug: datasets\n",
        "",
        "---",
        "missing required key 'slug'; add it, like `slug: datasets`",
        id="missing-slug",
    ),
    pytest.param(
        "datasets.md",
        "chairs: [bo, mei]",
        "chairs: [bo, mie]",
        "chairs:",
        "'mie' in chairs is not a handle in people.yaml; did you mean 'mei'?",
        id="unknown-handle-suggested",
    ),
    pytest.param(
        "datasets.md",
        "chairs: [bo, mei]",
        "chairs: [bo, mei, zzyzx]",
        "chairs:",
        "'zzyzx' in chairs is not a handle in people.yaml; add them to people.yaml or fix the "
        "handle",
        id="unknown-handle-no-suggestion",
    ),
    pytest.param(
        "datasets.md",
        "observers: [liam]",
        "observers: [cy]",
        "observers:",
        "'cy' is listed in members too (first on line 7); a person has one role in a group, so "
        "keep only one entry",
        id="listed-twice-across-roles",
    ),
    pytest.param(
        "datasets.md",
        "members: [cy, farah, gwen, omar]",
        "members:\n  - cy\n  - farah\n  - cy",
        "  - cy",
        "'cy' is listed again (first on line 8); a person has one role in a group, so keep "
        "only one entry",
        id="listed-twice-same-list",
    ),
    pytest.param(
        "datasets.md",
        "observers: [liam]",
        "memebers: [liam]",
        "memebers",
        "unknown key 'memebers'; did you mean 'members'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "datasets.md",
        'discord: {channel: "783234416758609302"',
        'discord: {chanel: "783234416758609302"',
        "discord:",
        "unknown key 'chanel' in discord; did you mean 'channel'?",
        id="unknown-nested-key",
    ),
    pytest.param(
        "datasets.md",
        'discord: {channel: "783234416758609302"',
        "discord: {channel: 783234416758609302",
        "discord:",
        "discord.channel 783234416758609302 is not text; write the Discord id as a quoted "
        'string of 17 to 20 digits, like "123456789012345678"',
        id="unquoted-discord-id",
    ),
    pytest.param(
        "datasets.md",
        "observers: [liam]",
        "observers:",
        "observers:",
        "observers null (empty) is not a list; write a list of handles from people.yaml, like "
        "[ada, bo] ([] for nobody)",
        id="empty-roster-value",
    ),
    pytest.param(
        "datasets.md",
        "name: Datasets and Captioning",
        "name: Datasets: and Captioning",
        "name:",
        "YAML syntax error: mapping values are not allowed here; check the indentation, colons "
        "and quotes on this line and the one before (quote values that contain ': ' or start "
        "with a special character)",
        id="yaml-syntax",
    ),
    pytest.param(
        "datasets.md",
        "observers: [liam]",
        "observers: [liam]\nkind: committee",
        "kind: committee",
        "key 'kind' appears twice (first on line 4); YAML keeps only the last one, so merge "
        "them into one entry",
        id="duplicate-key",
    ),
    pytest.param(
        "people.yaml",
        "  - {handle: priya",
        "  - {handle: ada, name: Ada Again}\n  - {handle: priya",
        "Ada Again",
        "handle 'ada' is used twice (first on line 5); give each person one unique handle",
        id="duplicate-handle",
    ),
    pytest.param(
        "people.yaml",
        "github: osiddiqui",
        "github: BoChen-ML",
        "BoChen-ML",
        "GitHub login 'BoChen-ML' is already used by 'bo' (line 6); an account belongs to one "
        "person, so remove it from one of them",
        id="duplicate-github-any-case",
    ),
    pytest.param(
        "people.yaml",
        '"357172583418485268"',
        '"755200494606748983"',
        "Omar Siddiqui",
        "Discord id '755200494606748983' is already used by 'ada' (line 5); an account belongs "
        "to one person, so remove it from one of them",
        id="duplicate-discord-id",
    ),
    pytest.param(
        "people.yaml",
        '"357172583418485268"',
        '"3571725834"',
        "Omar Siddiqui",
        "people[14].discord_id '3571725834' is not in the right form; write the Discord id as "
        'a quoted string of 17 to 20 digits, like "123456789012345678"',
        id="short-discord-id",
    ),
    pytest.param(
        "people.yaml",
        "  - {handle: priya, name: Priya Nair",
        "  - {handle: priya, nmae: Priya Nair",
        "Priya Nair",
        "unknown key 'nmae' in people[15]; did you mean 'name'?",
        id="person-key-typo",
    ),
    pytest.param(
        "foundation.yaml",
        "admins: [ada, elena]",
        "admins: [ada, elenna]",
        "admins:",
        "'elenna' in admins is not a handle in people.yaml; did you mean 'elena'?",
        id="unknown-admin",
    ),
    pytest.param(
        "foundation.yaml",
        "admins: [ada, elena]",
        "admins: []",
        "admins:",
        "admins [] is empty; write a list of at least one handle from people.yaml, like [ada]",
        id="no-admins",
    ),
    pytest.param(
        "foundation.yaml",
        "charter-change: {duration: 14d, quorum: 0.66",
        "charter-change: {duration: 2 weeks, quorum: 0.66",
        "charter-change:",
        "duration '2 weeks' is not a duration; write a number and a unit like 90m, 72h, 7d or 2w",
        id="foundation-policy",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "locate", "message"), CASES)
def test_each_mistake_is_reported_at_its_line(tree, name, old, new, locate, message):
    path = tree / name
    edit(path, old, new)
    problem = only(check(tree))
    assert problem.path == path
    assert problem.message == message
    assert problem.line == line_of(path, locate, nth=2 if "listed again" in message else 1)


def test_front_matter_line_numbers_follow_the_file(tree):
    # Front matter starts on line 2; a bad key on the 10th line of the file is reported as 10.
    path = tree / "datasets.md"
    lines = path.read_text().splitlines()
    assert lines[0] == "---"
    index = next(i for i, line in enumerate(lines) if line.startswith("github:"))
    edit(path, "github: {team: datasets-wg}", "github: {teem: datasets-wg}")
    assert only(check(tree)).line == index + 1


def test_three_mistakes_give_three_problems_sorted_by_line(tree):
    path = tree / "datasets.md"
    edit(path, "kind: working-group", "kind: wg")
    edit(path, "chairs: [bo, mei]", "chairs: [bo, mie]")
    edit(path, "default: {quorum: 0.6}", "default: {quorum: 60%}")
    problems = check(tree)
    assert len(problems) == 3, "\n".join(map(str, problems))
    assert [p.line for p in problems] == [
        line_of(path, "kind:"),
        line_of(path, "chairs:"),
        line_of(path, "default:"),
    ]
    assert problems[0].message.startswith("kind 'wg' is not allowed")
    assert problems[1].message.startswith("'mie' in chairs")
    assert problems[2].message.startswith("quorum '60%' is not a number")


def test_problems_across_files_are_all_reported_and_sorted(tree):
    edit(tree / "training.md", "kind: working-group", "kind: team")
    edit(tree / "community.md", "chairs: [imani, liam]", "chairs: [imani, lima]")
    edit(tree / "people.yaml", "github: fhaddad", "github: -fhaddad-")
    edit(tree / "foundation.yaml", "quorum: 0.5, pass: majority", "quorum: 0, pass: majority")
    problems = check(tree)
    assert [p.path.name for p in problems] == [
        "community.md",
        "foundation.yaml",
        "people.yaml",
        "training.md",
    ]
    assert problems == sorted(problems, key=lambda p: (str(p.path), p.line))


def test_missing_required_files(tree):
    (tree / "people.yaml").unlink()
    (tree / "foundation.yaml").rename(tree / "foundation.yml")
    problems = check(tree)
    by_name = {p.path.name: p for p in problems}
    assert set(by_name) == {"people.yaml", "foundation.yaml", "foundation.yml"}
    assert by_name["people.yaml"].line == 0
    assert by_name["people.yaml"].message.startswith("missing people.yaml; create it with")
    assert by_name["foundation.yml"].message == (
        "this file is not read; rename it to foundation.yaml"
    )


def test_missing_directory_and_no_charters(tmp_path):
    problem = only(check(tmp_path / "nope"))
    assert "does not exist" in problem.message
    shutil.copy(DEFAULT_CHARTERS / "foundation.yaml", tmp_path)
    shutil.copy(DEFAULT_CHARTERS / "people.yaml", tmp_path)
    problem = only(check(tmp_path))
    assert problem.message == "no group charters found; add one <slug>.md per group"


def test_charter_without_front_matter(tree):
    (tree / "extra.md").write_text("# Extra\nNo front matter here.\n")
    problem = only(check(tree))
    assert (problem.path.name, problem.line) == ("extra.md", 1)
    assert problem.message.startswith("the charter has no front matter; start the file")


def test_front_matter_not_closed(tree):
    (tree / "extra.md").write_text("---\nslug: extra\nname: Extra\n# Extra\n")
    problem = only(check(tree))
    assert problem.message.startswith("the front matter is not closed; add a line '---'")


def test_yaml_syntax_error_in_people(tree):
    path = tree / "people.yaml"
    edit(path, "{handle: cy, name: Cyrus Farahani,", "{handle: cy, name: Cyrus Farahani")
    problem = only(check(tree))
    assert problem.path == path
    assert problem.message.startswith("YAML syntax error:")
    assert problem.line in (line_of(path, "Cyrus"), line_of(path, "Cyrus") + 1)


def test_broken_people_file_does_not_flood_rosters(tree):
    (tree / "people.yaml").write_text("people: [\n")
    problems = check(tree)
    assert [p.path.name for p in problems] == ["people.yaml"]


def test_load_raises_with_every_problem(tree):
    edit(tree / "datasets.md", "kind: working-group", "kind: wg")
    edit(tree / "training.md", "kind: working-group", "kind: wg")
    with pytest.raises(CharterError) as info:
        load(tree)
    assert len(info.value.problems) == 2
    assert "2 problems in the charters" in str(info.value)
    assert "datasets.md:4: kind 'wg' is not allowed" in str(info.value)


def test_charter_body_and_hash(tree):
    path = tree / "extra.md"
    path.write_text(
        "---\nslug: extra\nname: Extra\nkind: working-group\nmembership: open\n---\n\n"
        "# Extra\n\nBody text.\n\n"
    )
    group = load(tree).groups["extra"]
    assert isinstance(group, Charter)
    assert group.body == "# Extra\n\nBody text."
    assert group.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert group.front.chairs == [] and group.front.policies == {}
    assert group.front.discord is None
    assert group.roster() == {}


# --- models and schema -----------------------------------------------------------------------


def test_models_refuse_bad_policies_when_built_directly():
    base = {"slug": "x1", "name": "X", "kind": "committee", "membership": "open"}
    CharterFrontMatter.model_validate(base | {"policies": {"default": {"quorum": 0.6}}})
    with pytest.raises(pydantic.ValidationError, match="quroum"):
        CharterFrontMatter.model_validate(base | {"policies": {"default": {"quroum": 0.6}}})
    with pytest.raises(pydantic.ValidationError):
        CharterFrontMatter.model_validate(base | {"extra": 1})


def test_schema_is_valid_json_schema_with_the_required_keys():
    jsonschema = pytest.importorskip("jsonschema")  # installed, but not a declared test extra
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["required"]) == {"slug", "name", "kind", "membership"}
    properties = document["properties"]
    for key in (
        "slug",
        "name",
        "kind",
        "membership",
        "chairs",
        "members",
        "observers",
        "emeritus",
        "policies",
        "discord",
        "github",
    ):
        assert key in properties
        assert properties[key].get("description") or properties[key].get("title")
    assert document["additionalProperties"] is False


def test_schema_accepts_the_bundled_front_matter_and_rejects_typos():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    for group in load(DEFAULT_CHARTERS).groups.values():
        front = yaml.safe_load(group.path.read_text().split("---\n")[1])
        assert list(validator.iter_errors(front)) == []
    bad = {
        "slug": "x1",
        "name": "X",
        "kind": "committee",
        "membership": "open",
        "policies": {"default": {"quroum": 0.5}},
    }
    assert list(validator.iter_errors(bad))


def test_misspelt_required_key_is_one_problem(tree):
    path = tree / "datasets.md"
    edit(path, "kind: working-group", "knd: working-group")
    problem = only(check(tree))
    assert problem.message == "unknown key 'knd'; did you mean 'kind'?"
    assert problem.line == line_of(path, "knd:")


def test_windows_line_endings_keep_line_numbers(tree):
    path = tree / "datasets.md"
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf.replace(b"kind: working-group", b"kind: wg"))
    assert only(check(tree)).line == 4
    path.write_bytes(crlf)
    body = load(tree).groups["datasets"].body
    assert body.startswith("# Datasets and Captioning\n")
    assert "\r" not in body


def test_horizontal_rule_in_body_is_not_front_matter(tree):
    path = tree / "datasets.md"
    edit(path, "## Scope", "---\n\n## Scope")
    assert check(tree) == []
    assert "\n---\n" in load(tree).groups["datasets"].body


def test_roles_in_roster():
    roster = load(DEFAULT_CHARTERS).groups["red-team"].roster()
    assert roster["elena"] == "chair"
    assert roster["farah"] == "member"
    assert roster["imani"] == "observer"
    assert roster["dmitri"] == "emeritus"
