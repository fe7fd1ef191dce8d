"""A JSON value that satisfies a (simple) JSON Schema: the stand-in's structured output and tool arguments.

Covers what SDK helpers generate from pydantic models and typical tool definitions: objects (every property,
so strict schemas hold), arrays, scalars, enum/const, anyOf/oneOf/allOf, $ref into $defs/definitions and the
common string formats. Strings are "standin" so tests can predict them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SAMPLE_STRING = "standin"

_FORMATTED_STRINGS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "standin@example.com",
    "uri": "https://example.com/standin",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "localhost",
}

# A $ref cycle (a recursive model) ends here with an empty value.
_MAX_DEPTH = 8


def sample_json(schema: Mapping[str, Any]) -> Any:
    return _sample(schema, schema, 0)


def _sample(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return _sample(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        if schema.get(combinator):
            options = [option for option in schema[combinator] if option.get("type") != "null"]
            return _sample((options or schema[combinator])[0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part["$ref"], root) if "$ref" in part else part)
        return _sample(merged, root, depth + 1)
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((name for name in kind if name != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _sample(prop, root, depth + 1) for name, prop in properties.items()}
    if kind == "array":
        item = _sample(schema.get("items", {}), root, depth + 1)
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = _FORMATTED_STRINGS.get(schema.get("format", ""), SAMPLE_STRING)
    return text.ljust(int(schema.get("minLength", 0)), "x")


def _resolve(reference: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if reference == "#":
        return root
    node: Any = root
    for part in reference.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    resolved: Mapping[str, Any] = node
    return resolved
