"""Charters: load and validate the foundation's public governance files.

The charters directory holds ``foundation.yaml`` (name, admins, docs repository, labels, GitHub
settings, the Discord server, default policies), ``people.yaml`` (the registry of people) and
one ``<slug>.md`` per group (YAML front matter plus a Markdown body). ``check`` reports every
problem at once, each with its file and line and a sentence saying what to write instead, so a
maintainer can fix a pull request in one pass; ``load`` returns typed charters only when
``check`` finds nothing.

The pydantic models check the shape of each file; the cross-file rules (slug equals the file name,
every handle is a registered person, nobody listed twice, unique GitHub and Discord accounts,
policies that resolve) live in ``check`` because they need more than one file.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from governance import policy as policy_mod
from governance import rules
from governance.digest import FOUNDATION_FILE, IGNORED_MARKDOWN, PEOPLE_FILE, combine

__all__ = [
    "DEFAULT_CHARTERS",
    "FOUNDATION_FILE",
    "GITHUB_LOGIN_PATTERN",
    "HANDLE_PATTERN",
    "PEOPLE_FILE",
    "ROSTER_FIELDS",
    "SLUG_PATTERN",
    "SNOWFLAKE_PATTERN",
    "Charter",
    "CharterError",
    "CharterFrontMatter",
    "Charters",
    "DiscordLinks",
    "DiscordSettings",
    "DocsLink",
    "FoundationFile",
    "GitHubLinks",
    "GitHubSettings",
    "Labels",
    "PeopleFile",
    "PersonEntry",
    "Problem",
    "Role",
    "check",
    "load",
    "schema",
]

DEFAULT_CHARTERS: Final[Path] = Path(__file__).resolve().parent.parent / "charters"
"""The bundled example charters (an open AI-model initiative)."""


SLUG_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HANDLE_PATTERN: Final = r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"
GITHUB_LOGIN_PATTERN: Final = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$"
SNOWFLAKE_PATTERN: Final = r"^[0-9]{17,20}$"
WEB_URL_PATTERN: Final = r"^https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~/-]*)?$"
REPO_PATTERN: Final = r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?$"

Role = Literal["chair", "member", "observer", "emeritus"]
ROSTER_FIELDS: Final[dict[str, Role]] = {
    "chairs": "chair",
    "members": "member",
    "observers": "observer",
    "emeritus": "emeritus",
}

# --- models ----------------------------------------------------------------------------------

_POLICY_SPEC_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "Overrides of single policy keys; unset keys are inherited.",
    "additionalProperties": False,
    "properties": {
        "duration": {
            "type": "string",
            "pattern": r"^[0-9]+[smhdw]$",
            "description": "How long the vote runs, like 90m, 72h, 7d or 2w.",
        },
        "min_duration": {
            "type": "string",
            "pattern": r"^[0-9]+[smhdw]$",
            "description": "No early close before this, like 72h.",
        },
        "quorum": {
            "description": (
                "A decimal in (0, 1] is a share of the electorate (1.0 is everyone); "
                "a whole number is a count of electors."
            ),
            "oneOf": [
                {"type": "integer", "minimum": 1},
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "not": {"type": "integer"}},
                {"type": "string", "pattern": r"^[0-9]+/[1-9][0-9]*$"},
            ],
        },
        "pass": {
            "description": "majority, supermajority, unanimous or {at_least: 0.6}.",
            "oneOf": [
                {"enum": ["majority", "supermajority", "unanimous"]},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["at_least"],
                    "properties": {
                        "at_least": {
                            "oneOf": [
                                {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                                {"type": "string", "pattern": r"^[0-9]+/[1-9][0-9]*$"},
                            ]
                        }
                    },
                },
            ],
        },
        "basis": {
            "enum": ["cast", "electorate"],
            "description": "Count yes against yes+no (cast) or against the whole electorate.",
        },
        "close_early": {
            "type": "boolean",
            "description": "Close once the outcome cannot change (never before min_duration).",
        },
        "secret": {
            "type": "boolean",
            "description": "Publish only totals and per-voter receipts.",
        },
        "voters": {
            "enum": ["members", "chairs"],
            "description": "Who votes: chairs and members, or chairs only.",
        },
    },
}

PolicyName = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=40)]
Policies = Annotated[
    dict[PolicyName, dict[str, Any]],
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": SLUG_PATTERN},
            "additionalProperties": _POLICY_SPEC_SCHEMA,
        }
    ),
]
Snowflake = Annotated[str, Field(pattern=SNOWFLAKE_PATTERN)]
HandleList = list[str]


class _Strict(BaseModel):
    """Unknown keys are mistakes (usually typos), never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _policies_valid(value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Refuse invalid policy specs in models built directly (``check`` reports them by line)."""
    problems = [
        message
        for name, spec in value.items()
        for message in policy_mod.validate_policy_spec(spec, f"policies.{name}")
    ]
    if problems:
        raise PydanticCustomError("policy_spec", "{problems}", {"problems": "; ".join(problems)})
    return value


class DiscordLinks(_Strict):
    """Where the group lives on Discord; ids are quoted strings (JSON numbers lose digits)."""

    channel: Snowflake | None = Field(
        default=None, title="Channel id", description="The group's Discord channel id, quoted."
    )
    role: Snowflake | None = Field(
        default=None,
        title="Role id",
        description="The Discord role the bot gives the group's members, quoted.",
    )


class GitHubLinks(_Strict):
    """Where the group lives on GitHub."""

    team: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=100)] | None = Field(
        default=None, title="Team slug", description="The GitHub team kept in sync with the roster."
    )


class CharterFrontMatter(_Strict):
    """Front matter of ``charters/<slug>.md``: identity, founding roster, policies, links."""

    model_config = ConfigDict(title="Group charter front matter")

    slug: Annotated[str, Field(pattern=SLUG_PATTERN, min_length=2, max_length=40)] = Field(
        title="Slug",
        description=(
            "The group's id everywhere (file name, URLs, labels): lowercase letters, digits and "
            "dashes, 2 to 40 characters; must equal the file name without .md."
        ),
        examples=["datasets"],
    )
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        title="Name", description="The group's display name.", examples=["Datasets and Captioning"]
    )
    kind: Literal["working-group", "committee"] = Field(
        title="Kind", description="working-group, or committee (e.g. the steering committee)."
    )
    membership: Literal["open", "approval"] = Field(
        title="Membership",
        description="open: anyone may join; approval: a chair approves each request to join.",
    )
    chairs: HandleList = Field(
        default_factory=list,
        title="Chairs",
        description="Handles (from people.yaml) of the founding chairs; chairs vote.",
    )
    members: HandleList = Field(
        default_factory=list,
        title="Members",
        description="Handles of the founding voting members.",
    )
    observers: HandleList = Field(
        default_factory=list,
        title="Observers",
        description="Handles of founding observers: they follow the group but do not vote.",
    )
    emeritus: HandleList = Field(
        default_factory=list,
        title="Emeritus",
        description="Handles of former members honoured on the roster; they do not vote.",
    )
    policies: Policies = Field(
        default_factory=dict,
        title="Policies",
        description=(
            "Vote policies by name (default, charter-change, ...); each overrides single keys "
            "of the foundation's policy of the same name."
        ),
    )
    discord: DiscordLinks | None = Field(
        default=None, title="Discord", description="The group's Discord channel and role ids."
    )
    github: GitHubLinks | None = Field(
        default=None, title="GitHub", description="The group's GitHub team."
    )

    _check_policies = field_validator("policies")(_policies_valid)


class DocsLink(_Strict):
    """The git repository where the rendered record is published."""

    repo: Annotated[str, Field(pattern=REPO_PATTERN, max_length=200)] = Field(
        title="Repository",
        description="owner/name of the docs repository (or a local name).",
        examples=["open-model-initiative/governance"],
    )


class Labels(_Strict):
    """GitHub label names the bot reads and writes."""

    rfc: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="rfc", description="Marks an issue as an RFC."
    )
    vote_open: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="vote/open", description="On an RFC issue, asks for (and shows) an open vote."
    )
    group_prefix: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        default="wg/", description="Prefix of the label naming the owning group: wg/<slug>."
    )
    vote_passed: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="vote/passed", description="Set on an RFC issue whose vote passed."
    )
    vote_rejected: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="vote/rejected", description="Set on an RFC issue whose vote was rejected."
    )
    vote_no_quorum: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="vote/no-quorum", description="Set on an RFC issue whose vote missed its quorum."
    )
    vote_cancelled: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        default="vote/cancelled", description="Set on an RFC issue whose vote a chair cancelled."
    )


class GitHubSettings(_Strict):
    """How govbot behaves on GitHub beyond labels."""

    close_accepted: bool = Field(
        default=False,
        title="Close accepted RFC issues",
        description="Close an RFC's GitHub issue (as completed) when its vote passes.",
    )
    web_url: Annotated[str, Field(pattern=WEB_URL_PATTERN, max_length=200)] = Field(
        default="https://github.com",
        title="Web address",
        description="Where issues are shown: https://github.com, or a GitHub Enterprise host.",
    )


class DiscordSettings(_Strict):
    """The foundation's Discord server: where RFC threads live and their links point."""

    guild: Snowflake = Field(
        title="Server id",
        description=(
            "The id of the foundation's Discord server (guild), quoted; the docs link RFC "
            "threads to https://discord.com/channels/<server id>/<thread id>."
        ),
        examples=["795391426175647754"],
    )


class FoundationFile(_Strict):
    """``charters/foundation.yaml``: the foundation's identity, admins and default policies."""

    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        title="Name", description="The foundation's name."
    )
    description: str | None = Field(
        default=None, title="Description", description="One paragraph for the docs index."
    )
    admins: Annotated[HandleList, Field(min_length=1)] = Field(
        title="Admins", description="Handles of the bot's administrators (from people.yaml)."
    )
    docs: DocsLink | None = Field(
        default=None, title="Docs", description="Where the record is published."
    )
    labels: Labels = Field(default_factory=Labels, title="Labels")
    github: GitHubSettings = Field(default_factory=GitHubSettings, title="GitHub")
    discord: DiscordSettings | None = Field(
        default=None, title="Discord", description="The foundation's Discord server."
    )
    policies: Policies = Field(
        default_factory=dict,
        title="Policies",
        description="Policies every group inherits and may override key by key.",
    )

    _check_policies = field_validator("policies")(_policies_valid)


class PersonEntry(_Strict):
    """One registered person; ``handle`` is their stable id in every record."""

    handle: Annotated[str, Field(pattern=HANDLE_PATTERN, max_length=39)] = Field(
        title="Handle", description="Stable lowercase id, like ada.", examples=["ada"]
    )
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        title="Name", description="Display name."
    )
    github: Annotated[str, Field(pattern=GITHUB_LOGIN_PATTERN, max_length=39)] | None = Field(
        default=None, title="GitHub login"
    )
    discord_id: Snowflake | None = Field(
        default=None, title="Discord user id", description="Quoted string of 17 to 20 digits."
    )


class PeopleFile(_Strict):
    """``charters/people.yaml``: the registry every front end maps its users to."""

    people: list[PersonEntry] = Field(title="People")


# --- problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One mistake in the charters, at a file and line (``line`` 0: the file as a whole)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        shown = self.path
        with contextlib.suppress(ValueError, OSError):
            shown = self.path.resolve().relative_to(Path.cwd())
        return f"{shown}:{self.line}: {self.message}" if self.line else f"{shown}: {self.message}"


class CharterError(Exception):
    """The charters have problems; ``problems`` lists all of them, sorted by file and line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the charters:\n{lines}")


# --- loaded charters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Charter:
    """One group's charter as read from ``<slug>.md``; ``sha256`` identifies the revision."""

    slug: str
    front: CharterFrontMatter
    body: str
    path: Path
    sha256: str

    def roster(self) -> dict[str, Role]:
        """Map each founding member's handle to their role (a handle is in one list only)."""
        return {
            handle: role
            for field_name, role in ROSTER_FIELDS.items()
            for handle in getattr(self.front, field_name)
        }


@dataclass(frozen=True)
class Charters:
    """Everything in a valid charters directory."""

    directory: Path
    foundation: FoundationFile
    people: list[PersonEntry]
    groups: dict[str, Charter]
    digest: str = ""  # sha256 over every file's name and hash: changes when any file changes
    file_hashes: dict[str, str] = field(default_factory=dict)  # file name -> sha256 hex

    def policy(self, group_slug: str, name: str = "default") -> rules.Policy:
        """Resolve policy ``name`` for a group (raises ``policy.UnknownPolicy`` for a bad name)."""
        try:
            charter = self.groups[group_slug]
        except KeyError:
            raise KeyError(f"no group '{group_slug}'; groups: {', '.join(self.groups)}") from None
        return policy_mod.resolve(name, self.foundation.policies, charter.front.policies)

    def person(self, handle: str) -> PersonEntry:
        """Find the registered person with this handle (``KeyError`` if there is none)."""
        for person in self.people:
            if person.handle == handle:
                return person
        raise KeyError(f"no person with handle '{handle}' in {PEOPLE_FILE}")


# --- YAML documents with line numbers --------------------------------------------------------

Loc = tuple[int | str, ...]


@dataclass
class _Doc:
    """A parsed YAML document: its data and node tree, and where its text starts in the file."""

    path: Path
    data: Any
    root: yaml.Node | None
    first_line: int  # file line number of the YAML text's first line
    start_line: int = 1  # line to blame for problems of the document as a whole

    def line(self, loc: Loc) -> int:
        """Give the file line of the key or list item at ``loc`` (or its nearest ancestor)."""
        found = _yaml_line(self.root, loc)
        return self.start_line if found is None else found + self.first_line


def _yaml_line(root: yaml.Node | None, loc: Loc) -> int | None:
    node, line = root, None
    last_key: yaml.Node | None = None
    for part in loc:
        if part == "[key]":
            return last_key.start_mark.line if last_key is not None else line
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in reversed(node.value):  # YAML keeps the last duplicate
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    node, last_key, line = value_node, key_node, key_node.start_mark.line
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node, last_key = node.value[part], None
            line = node.start_mark.line
        else:
            return line
    return line


def _parse_yaml(
    path: Path, text: str, first_line: int, start_line: int
) -> tuple[_Doc, list[Problem]]:
    """Parse once into the node tree (for lines) and the data; syntax errors become problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else start_line
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        message = (
            f"YAML syntax error: {what}; check the indentation, colons and quotes on this line "
            "and the one before (quote values that contain ': ' or start with a special character)"
        )
        return _Doc(path, None, None, first_line, start_line), [Problem(path, line, message)]
    except yaml.YAMLError as exc:
        message = f"YAML error: {exc}; save the file as plain UTF-8 YAML"
        return _Doc(path, None, None, first_line, start_line), [Problem(path, start_line, message)]
    finally:
        loader.dispose()
    doc = _Doc(path, data, node, first_line, start_line)
    return doc, list(_duplicate_keys(doc, node, ""))


def _duplicate_keys(doc: _Doc, node: yaml.Node | None, where: str) -> Iterator[Problem]:
    """Duplicate keys, which PyYAML would silently resolve to the last one."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                line = key_node.start_mark.line + doc.first_line
                if key in seen:
                    place = f" in {where}" if where else ""
                    yield Problem(
                        doc.path,
                        line,
                        f"key '{key}' appears twice{place} (first on line {seen[key]}); "
                        "YAML keeps only the last one, so merge them into one entry",
                    )
                else:
                    seen[key] = line
                yield from _duplicate_keys(doc, value_node, f"{where}.{key}" if where else key)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(doc, item, f"{where}[{index}]")


# --- turning pydantic errors into problems ---------------------------------------------------

_ROSTER_HINT: Final = "write a list of handles from people.yaml, like [ada, bo] ([] for nobody)"
_SNOWFLAKE_HINT: Final = (
    'write the Discord id as a quoted string of 17 to 20 digits, like "123456789012345678"'
)
_HINTS: Final[dict[tuple[type[BaseModel], str], str]] = {
    (CharterFrontMatter, "slug"): (
        "write lowercase letters, digits and dashes (2 to 40 characters), the file name "
        "without .md, like red-team"
    ),
    (CharterFrontMatter, "name"): "write the group's name as text, like Datasets and Captioning",
    (CharterFrontMatter, "kind"): "write working-group or committee",
    (CharterFrontMatter, "membership"): (
        "write open (anyone may join) or approval (a chair approves each join)"
    ),
    (CharterFrontMatter, "chairs"): _ROSTER_HINT,
    (CharterFrontMatter, "members"): _ROSTER_HINT,
    (CharterFrontMatter, "observers"): _ROSTER_HINT,
    (CharterFrontMatter, "emeritus"): _ROSTER_HINT,
    (CharterFrontMatter, "policies"): (
        "write policy names (lowercase letters, digits, dashes) mapped to settings, "
        "like {default: {quorum: 0.6}}"
    ),
    (CharterFrontMatter, "discord"): 'write {channel: "<channel id>", role: "<role id>"}',
    (CharterFrontMatter, "github"): "write {team: <team slug>}, like {team: datasets-wg}",
    (DiscordLinks, "channel"): _SNOWFLAKE_HINT,
    (DiscordLinks, "role"): _SNOWFLAKE_HINT,
    (GitHubLinks, "team"): "write the GitHub team slug in lowercase, like datasets-wg",
    (FoundationFile, "name"): "write the foundation's name as text",
    (FoundationFile, "description"): "write one paragraph of text",
    (FoundationFile, "admins"): "write a list of at least one handle from people.yaml, like [ada]",
    (FoundationFile, "docs"): "write {repo: <owner>/<name>}, like {repo: my-org/governance}",
    (FoundationFile, "labels"): "write {rfc: rfc, vote_open: vote/open, group_prefix: wg/}",
    (FoundationFile, "github"): "write {close_accepted: true} or {close_accepted: false}",
    (GitHubSettings, "close_accepted"): "write true or false",
    (GitHubSettings, "web_url"): "write the web address of GitHub, like https://github.com",
    (FoundationFile, "discord"): (
        'write {guild: "<server id>"}, the id of the foundation\'s Discord server, quoted'
    ),
    (DiscordSettings, "guild"): (
        "write the Discord server id as a quoted string of 17 to 20 digits, like "
        '"795391426175647754" (in Discord: Developer Mode on, right-click the server, '
        "Copy Server ID)"
    ),
    (FoundationFile, "policies"): (
        "write policy names (lowercase letters, digits, dashes) mapped to settings, "
        "like {default: {duration: 7d, quorum: 0.5}}"
    ),
    (DocsLink, "repo"): "write owner/name of the docs repository, like my-org/governance",
    (Labels, "rfc"): "write a GitHub label name (1 to 50 characters), like rfc",
    (Labels, "vote_open"): "write a GitHub label name (1 to 50 characters), like vote/open",
    (Labels, "group_prefix"): "write a label prefix (1 to 40 characters), like wg/",
    (Labels, "vote_passed"): "write a GitHub label name (1 to 50 characters), like vote/passed",
    (Labels, "vote_rejected"): "write a GitHub label name (1 to 50 characters), like vote/rejected",
    (Labels, "vote_no_quorum"): (
        "write a GitHub label name (1 to 50 characters), like vote/no-quorum"
    ),
    (Labels, "vote_cancelled"): (
        "write a GitHub label name (1 to 50 characters), like vote/cancelled"
    ),
    (PeopleFile, "people"): (
        "write a list of entries like {handle: ada, name: Ada Example, github: ada-example, "
        'discord_id: "123456789012345678"}'
    ),
    (PersonEntry, "handle"): (
        "write a lowercase handle (letters and digits, single dashes or underscores inside, "
        "starting with a letter), like ada or ada-l"
    ),
    (PersonEntry, "name"): "write the person's display name as text, like Ada Example",
    (
        PersonEntry,
        "github",
    ): "write the GitHub login (letters, digits, single dashes), like ada-example",
    (PersonEntry, "discord_id"): _SNOWFLAKE_HINT,
}
_EXAMPLES: Final[dict[tuple[type[BaseModel], str], str]] = {
    (CharterFrontMatter, "name"): "name: Datasets and Captioning",
    (CharterFrontMatter, "kind"): "kind: working-group",
    (CharterFrontMatter, "membership"): "membership: open",
    (FoundationFile, "name"): "name: Open Model Initiative",
    (FoundationFile, "admins"): "admins: [ada]",
    (DocsLink, "repo"): "repo: my-org/governance",
    (DiscordSettings, "guild"): 'guild: "795391426175647754"',
    (PeopleFile, "people"): "people: [{handle: ada, name: Ada Example}]",
    (PersonEntry, "handle"): "handle: ada",
    (PersonEntry, "name"): "name: Ada Example",
}
_REASONS: Final[dict[str, str]] = {
    "string_type": "is not text",
    "string_pattern_mismatch": "is not in the right form",
    "string_too_short": "is too short",
    "string_too_long": "is too long",
    "literal_error": "is not allowed",
    "list_type": "is not a list",
    "dict_type": "is not a mapping",
    "model_type": "is not a mapping",
    "model_attributes_type": "is not a mapping",
    "too_short": "has too few entries",
    "bool_type": "is not true or false",
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _submodel(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Find the model class describing the mapping at ``loc`` (``None`` if not a model)."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        found = _model_in(info.annotation) if info is not None else None
        if found is None:
            return None
        current = found
    return current


def _field_of(model: type[BaseModel], loc: Loc) -> tuple[type[BaseModel], str] | None:
    """Find the innermost model field that ``loc`` falls under, for choosing a hint."""
    for index in range(len(loc) - 1, -1, -1):
        part = loc[index]
        if isinstance(part, str):
            parent = _submodel(model, loc[:index])
            if parent is not None and part in parent.model_fields:
                return parent, part
    return None


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "[]"
    shown = policy_mod.show_value(value)
    if len(shown) <= 60:
        return shown
    return shown[:57] + ("...'" if shown.startswith("'") else "...")


def _explain(error: ErrorDetails, model: type[BaseModel], stem: str) -> str:
    """One sentence for a pydantic error: what is wrong and what to write instead."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _submodel(model, loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        key = str(loc[-1])
        place = f" in {_dotted(loc[:-1])}" if loc[:-1] else ""
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        return f"unknown key '{key}'{place}; {hint}"
    if kind == "missing":
        key = str(loc[-1])
        parent = _submodel(model, loc[:-1])
        place = f" in {_dotted(loc[:-1])}" if loc[:-1] else ""
        example = _EXAMPLES.get((parent, key), f"{key}: ...") if parent else f"{key}: ..."
        if parent is CharterFrontMatter and key == "slug":
            example = f"slug: {stem}"
        return f"missing required key '{key}'{place}; add it, like `{example}`"
    owner = _field_of(model, loc)
    hint = _HINTS.get(owner, "") if owner is not None else ""
    if loc and loc[-1] == "[key]" and owner is not None and owner[1] == "policies":
        return (
            f"policy name {_show(error.get('input'))} is not in the right form; name policies "
            "with lowercase letters, digits and dashes, like charter-change"
        )
    reason = _REASONS.get(kind)
    if reason is None:
        message = error["msg"]
        reason = message[:1].lower() + message[1:]
    if kind == "too_short" and not error.get("input"):
        reason = "is empty"
    what = _dotted(loc) or "the document"
    return f"{what} {_show(error.get('input'))} {reason}" + (f"; {hint}" if hint else "")


def _validate(doc: _Doc, model: type[BaseModel], stem: str = "") -> tuple[Any, list[Problem]]:
    """Validate ``doc.data`` against ``model``; policy specs are left to the line-aware check."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        errors = [error for error in exc.errors() if error["type"] != "policy_spec"]
    # A misspelt key is one mistake, not two: drop "missing 'name'" when 'nmae' suggests it.
    misspelt: set[Loc] = set()
    for error in errors:
        loc: Loc = tuple(error["loc"])
        parent = _submodel(model, loc[:-1]) if error["type"] == "extra_forbidden" else None
        if parent is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1)
            misspelt.update((*loc[:-1], key) for key in close)
    problems = [
        Problem(doc.path, doc.line(tuple(error["loc"])), _explain(error, model, stem))
        for error in errors
        if not (error["type"] == "missing" and tuple(error["loc"]) in misspelt)
    ]
    return None, problems


# --- cross-file checks -----------------------------------------------------------------------


def _check_roster(
    doc: _Doc, fields: Sequence[str], known: set[str] | None, problems: list[Problem]
) -> None:
    """Unknown handles (with the closest registered one) and people listed twice."""
    seen: dict[str, tuple[str, int]] = {}
    for field_name in fields:
        entries = doc.data.get(field_name)
        if not isinstance(entries, list):
            continue
        for index, handle in enumerate(entries):
            if not isinstance(handle, str):
                continue
            line = doc.line((field_name, index))
            if handle in seen:
                first_field, first_line = seen[handle]
                where = "again" if first_field == field_name else f"in {first_field} too"
                why = "a person has one role in a group, so " if len(fields) > 1 else ""
                problems.append(
                    Problem(
                        doc.path,
                        line,
                        f"'{handle}' is listed {where} (first on line {first_line}); "
                        f"{why}keep only one entry",
                    )
                )
                continue
            seen[handle] = (field_name, line)
            if known is not None and handle not in known:
                close = difflib.get_close_matches(handle, sorted(known), n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"add them to {PEOPLE_FILE} or fix the handle"
                )
                problems.append(
                    Problem(
                        doc.path,
                        line,
                        f"'{handle}' in {field_name} is not a handle in {PEOPLE_FILE}; {hint}",
                    )
                )


def _check_policy_specs(doc: _Doc, problems: list[Problem]) -> dict[str, Mapping[str, object]]:
    """Report each bad policy key at its line; return the specs that are valid."""
    specs = doc.data.get("policies")
    valid: dict[str, Mapping[str, object]] = {}
    if not isinstance(specs, dict):
        return valid
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            continue  # the model reports a spec that is not a mapping
        issues = policy_mod.spec_issues(spec, f"policies.{name}")
        for issue in issues:
            loc: Loc = ("policies", name) if issue.key is None else ("policies", name, issue.key)
            problems.append(Problem(doc.path, doc.line(loc), issue.message))
        if not issues and isinstance(name, str):
            valid[name] = spec
    return valid


def _check_resolved(
    doc: _Doc,
    foundation: Mapping[str, Mapping[str, object]],
    group: Mapping[str, Mapping[str, object]] | None,
    problems: list[Problem],
) -> None:
    """Resolve every policy: valid layers can still combine badly (48h under a 72h minimum).

    ``group`` is ``None`` when ``doc`` is foundation.yaml itself.
    """
    own = foundation if group is None else group
    inherited = "the built-in defaults" if group is None else FOUNDATION_FILE
    for name in sorted({"default", *foundation, *own}):
        try:
            policy_mod.resolve(name, foundation, group or {})
        except policy_mod.InvalidPolicy as exc:
            line = doc.line(("policies", name) if name in own else ("policies",))
            for message in exc.problems:
                problems.append(
                    Problem(doc.path, line, f"with the keys inherited from {inherited}, {message}")
                )


def _check_people(doc: _Doc, problems: list[Problem]) -> set[str]:
    """Check handles, GitHub logins (any case) and Discord ids are unique; return the handles."""
    entries = doc.data.get("people")
    handles: set[str] = set()
    if not isinstance(entries, list):
        return handles
    seen: dict[str, dict[str, tuple[str, int]]] = {"handle": {}, "github": {}, "discord_id": {}}
    labels = {"handle": "handle", "github": "GitHub login", "discord_id": "Discord id"}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        owner = entry.get("handle")
        for key, known in seen.items():
            value = entry.get(key)
            if not isinstance(value, str):
                continue
            normal = value.lower() if key == "github" else value
            line = doc.line(("people", index, key))
            if normal in known:
                first_owner, first_line = known[normal]
                if key == "handle":
                    message = (
                        f"handle '{value}' is used twice (first on line {first_line}); "
                        "give each person one unique handle"
                    )
                else:
                    message = (
                        f"{labels[key]} '{value}' is already used by '{first_owner}' "
                        f"(line {first_line}); an account belongs to one person, "
                        "so remove it from one of them"
                    )
                problems.append(Problem(doc.path, line, message))
            else:
                known[normal] = (str(owner), line)
        if isinstance(owner, str):
            handles.add(owner)
    return handles


# --- the directory ---------------------------------------------------------------------------


@dataclass
class _Scan:
    problems: list[Problem] = field(default_factory=list)
    foundation: FoundationFile | None = None
    people: PeopleFile | None = None
    groups: dict[str, Charter] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)


def _read_text(path: Path, scan: _Scan) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        scan.problems.append(
            Problem(path, 0, f"cannot read the file ({exc.strerror}); fix its permissions")
        )
        return None
    scan.hashes[path.name] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        scan.problems.append(Problem(path, line, "the file is not UTF-8 text; save it as UTF-8"))
        return None
    return text.removeprefix("\ufeff")


def _read_yaml_file(path: Path, scan: _Scan, what: str) -> _Doc | None:
    text = _read_text(path, scan)
    if text is None:
        if not path.exists():
            scan.problems.append(Problem(path, 0, f"missing {path.name}; create it with {what}"))
        return None
    doc, problems = _parse_yaml(path, text, first_line=1, start_line=1)
    scan.problems += problems
    if doc.root is None and not problems:
        scan.problems.append(Problem(path, 1, f"{path.name} is empty; write {what} in it"))
        return None
    if doc.root is not None and not isinstance(doc.data, dict):
        scan.problems.append(
            Problem(path, doc.line(()), f"{path.name} must be a mapping of keys; write {what}")
        )
        return None
    return doc if doc.root is not None else None


def _split_front_matter(path: Path, text: str, scan: _Scan) -> tuple[str, str] | None:
    """Split ``---`` front matter from the body; the YAML text starts on the file's line 2."""
    lines = text.split("\n")  # only "\n" ends a line for YAML's marks and for editors
    if lines[0].rstrip() != "---":
        scan.problems.append(
            Problem(
                path,
                1,
                "the charter has no front matter; start the file with a line '---', then the "
                "keys (slug, name, kind, membership, ...), then a line '---' before the Markdown",
            )
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            body = "\n".join(lines[index + 1 :]).replace("\r\n", "\n").lstrip("\n").rstrip()
            return "\n".join(lines[1:index]) + "\n", body
    scan.problems.append(
        Problem(
            path,
            1,
            "the front matter is not closed; add a line '---' after its last key, "
            "before the Markdown body",
        )
    )
    return None


def _scan(directory: Path) -> _Scan:
    scan = _Scan()
    if not directory.is_dir():
        scan.problems.append(
            Problem(
                directory,
                0,
                "the charters directory does not exist; create it with foundation.yaml, "
                "people.yaml and one <slug>.md per group",
            )
        )
        return scan

    # Files that look like misspellings of the two required ones.
    for extra in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        if extra.name in (FOUNDATION_FILE, PEOPLE_FILE):
            continue
        close = difflib.get_close_matches(extra.name, [FOUNDATION_FILE, PEOPLE_FILE], n=1)
        if close and not (directory / close[0]).exists():
            scan.problems.append(
                Problem(extra, 0, f"this file is not read; rename it to {close[0]}")
            )

    people_doc = _read_yaml_file(
        directory / PEOPLE_FILE, scan, "`people:` and a list of {handle, name, github, discord_id}"
    )
    known: set[str] | None = None
    if people_doc is not None:
        scan.people, problems = _validate(people_doc, PeopleFile)
        scan.problems += problems
        known = _check_people(people_doc, scan.problems)

    foundation_doc = _read_yaml_file(
        directory / FOUNDATION_FILE, scan, "the foundation's name, admins and policies"
    )
    foundation_policies: dict[str, Mapping[str, object]] | None = None
    if foundation_doc is not None:
        scan.foundation, problems = _validate(foundation_doc, FoundationFile)
        scan.problems += problems
        _check_roster(foundation_doc, ["admins"], known, scan.problems)
        before = len(scan.problems)
        foundation_policies = _check_policy_specs(foundation_doc, scan.problems)
        if len(scan.problems) == before:
            _check_resolved(foundation_doc, foundation_policies, None, scan.problems)
        if len(scan.problems) != before:
            foundation_policies = None  # do not blame groups for the foundation's mistakes

    charter_paths = sorted(
        path
        for path in directory.glob("*.md")
        if path.is_file() and path.name.lower() not in IGNORED_MARKDOWN
    )
    if not charter_paths:
        scan.problems.append(
            Problem(directory, 0, "no group charters found; add one <slug>.md per group")
        )
    for path in charter_paths:
        _scan_charter(path, scan, known, foundation_policies)

    scan.problems.sort(key=lambda p: (str(p.path), p.line, p.message))
    return scan


def _scan_charter(
    path: Path,
    scan: _Scan,
    known: set[str] | None,
    foundation_policies: Mapping[str, Mapping[str, object]] | None,
) -> None:
    text = _read_text(path, scan)
    if text is None:
        return
    split = _split_front_matter(path, text, scan)
    if split is None:
        return
    yaml_text, body = split
    doc, problems = _parse_yaml(path, yaml_text, first_line=2, start_line=1)
    scan.problems += problems
    if problems and doc.root is None:
        return
    if doc.root is None:
        scan.problems.append(
            Problem(path, 1, "the front matter is empty; write slug, name, kind and membership")
        )
        return
    if not isinstance(doc.data, dict):
        scan.problems.append(
            Problem(path, 2, "the front matter must be a mapping of keys like `slug: datasets`")
        )
        return
    front, problems = _validate(doc, CharterFrontMatter, path.stem)
    scan.problems += problems
    slug = doc.data.get("slug")
    if isinstance(slug, str) and slug != path.stem:
        scan.problems.append(
            Problem(
                path,
                doc.line(("slug",)),
                f"slug '{slug}' does not match the file name {path.name}; write "
                f"`slug: {path.stem}` or rename the file to {slug}.md",
            )
        )
    _check_roster(doc, list(ROSTER_FIELDS), known, scan.problems)
    before = len(scan.problems)
    group_policies = _check_policy_specs(doc, scan.problems)
    if foundation_policies is not None and len(scan.problems) == before:
        _check_resolved(doc, foundation_policies, group_policies, scan.problems)
    if front is not None:
        scan.groups[front.slug] = Charter(
            slug=front.slug,
            front=front,
            body=body,
            path=path,
            sha256=scan.hashes[path.name],
        )


def check(directory: Path) -> list[Problem]:
    """Every problem in a charters directory, sorted by file and line (empty when all is well)."""
    return _scan(directory).problems


def load(directory: Path = DEFAULT_CHARTERS) -> Charters:
    """Load a charters directory; raises ``CharterError`` with every problem if there are any."""
    scan = _scan(directory)
    if scan.problems:
        raise CharterError(scan.problems)
    assert scan.foundation is not None and scan.people is not None  # no problems: both parsed
    digest = combine(scan.hashes)
    return Charters(
        directory=directory,
        foundation=scan.foundation,
        people=list(scan.people.people),
        groups=dict(sorted(scan.groups.items())),
        digest=digest,
        file_hashes=dict(sorted(scan.hashes.items())),
    )


def schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the charter front matter, for editors and CI."""
    document = CharterFrontMatter.model_json_schema()
    document["description"] = (
        "YAML front matter of a govbot group charter (charters/<slug>.md): the group's identity, "
        "founding roster, vote policies and links. The Markdown body below it holds the mission, "
        "scope and deliverables."
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}
