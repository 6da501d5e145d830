"""Extract, from GitHub's published OpenAPI description, the response schemas the fake serves.

The fake GitHub's answers are checked against GitHub's own description of the API (the
``@octokit/openapi`` npm package, which republishes github/rest-api-description). The whole
description is 13 MB; this keeps only the responses of the operations the fake serves
(``tests.fakes.github.operations()``) and the component schemas they reference, in plain JSON
Schema (OpenAPI's ``nullable`` becomes ``anyOf [..., null]``; descriptions and examples dropped).

Regenerate after adding a route to the fake, from the repository root:

    tmp=$(mktemp -d) && (cd "$tmp" && npm pack @octokit/openapi@23.0.2) \\
        && python3 -m tests.fakes.openapi.extract "$tmp/octokit-openapi-23.0.2.tgz"; rm -rf "$tmp"

It writes ``tests/fakes/openapi/github-subset.json`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPEC_MEMBER = "package/generated/api.github.com.json"
PACKAGE_MEMBER = "package/package.json"
OUTPUT = Path(__file__).with_name("github-subset.json")
# Schemas kept whatever the operations say: the shape of any error answer.
ALWAYS = ("basic-error", "validation-error")
DROPPED = {
    "description",
    "example",
    "examples",
    "title",
    "externalDocs",
    "readOnly",
    "writeOnly",
    "deprecated",
    "default",
    "discriminator",
}
SCHEMA_REF = "#/components/schemas/"


def load(source: Path) -> tuple[dict[str, Any], str]:
    """The description and the package version, from the npm tarball or an unpacked JSON file."""
    if source.suffix == ".json":
        return json.loads(source.read_text()), "unknown"
    with tarfile.open(source) as tar:
        spec = tar.extractfile(SPEC_MEMBER)
        package = tar.extractfile(PACKAGE_MEMBER)
        if spec is None or package is None:
            raise SystemExit(f"{source} has no {SPEC_MEMBER}")
        return json.load(spec), json.load(package)["version"]


def clean(schema: Any) -> Any:
    """OpenAPI 3.0 schema to JSON Schema: ``nullable`` as a null alternative, prose removed."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in DROPPED or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: clean(sub) for name, sub in value.items()}
        elif key in {"items", "additionalProperties", "not"}:
            out[key] = clean(value)
        elif key in {"allOf", "anyOf", "oneOf"}:
            out[key] = [clean(sub) for sub in value]
        else:
            out[key] = value
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def refs(schema: Any) -> Iterable[str]:
    """The component schema names a schema refers to directly."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            yield ref.removeprefix(SCHEMA_REF)
        for value in schema.values():
            yield from refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from refs(value)


def response_schema(spec: dict[str, Any], response: dict[str, Any]) -> Any:
    """The JSON body schema of one response (following a shared response), or None."""
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response.get("content", {})
    body = content.get("application/json") or next(iter(content.values()), None)
    return None if body is None else clean(body.get("schema"))


def extract(spec: dict[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    """The subset: each operation's responses by status, and every schema they reach."""
    chosen: dict[str, Any] = {}
    for operation in operations:
        method, path = operation.split(" ", 1)
        described = spec["paths"].get(path, {}).get(method.lower())
        if described is None:
            raise SystemExit(f"{operation} is not in GitHub's OpenAPI description")
        chosen[operation] = {
            "operationId": described["operationId"],
            "responses": {
                status: response_schema(spec, response)
                for status, response in described["responses"].items()
            },
        }
    schemas: dict[str, Any] = {}
    todo = [*ALWAYS, *refs(chosen)]
    while todo:
        name = todo.pop()
        if name not in schemas:
            schemas[name] = clean(spec["components"]["schemas"][name])
            todo.extend(refs(schemas[name]))
    return {"operations": chosen, "components": {"schemas": schemas}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="octokit-openapi-*.tgz, or api.github.com.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    from tests.fakes.github import operations

    spec, version = load(args.source)
    subset = {
        "source": {
            "package": "@octokit/openapi",
            "version": version,
            "file": SPEC_MEMBER.removeprefix("package/"),
            "openapi": spec["openapi"],
        },
        **extract(spec, operations()),
    }
    args.output.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({len(subset['operations'])} operations, {size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
