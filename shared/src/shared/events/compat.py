"""Keeping published event versions stable: the JSON Schema of a version may not change in a
way a reader of the published version would notice.

A published version is a contract with every subscriber, including those that validate the
``data`` against the schema they were given. ``incompatibilities(published, current)`` lists
what breaks it. Compatible changes are exactly:

- documentation (``title``, ``description``, ``examples``);
- a new *optional* field (tolerant readers ignore it; old events parse without it).

Everything else is a break, in either direction: a field removed or renamed; a field no
longer required, or a new required one; a type, format, pattern, bound, enum value or default
changed (narrowing refuses old events, widening hands readers values they were promised not
to get). The way to make such a change is a new version (``...v2``) beside the old one.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

_DOCUMENTATION = frozenset({"title", "description", "examples"})


def incompatibilities(published: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What in ``current`` breaks the ``published`` schema of the same version (empty: nothing).

    Both are JSON Schemas as pydantic writes them (``$defs`` and local ``$ref``s)."""
    problems: list[str] = []
    _compare(_resolve(published, published), _resolve(current, current), "data", problems)
    return problems


def _resolve(node: Any, root: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """The schema with local ``$ref``s replaced by their definitions and documentation
    dropped."""
    if isinstance(node, list):
        return [_resolve(item, root, seen) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
        target = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, root, seen | {ref})
    return {
        key: _resolve(value, root, seen)
        for key, value in node.items()
        if key not in _DOCUMENTATION and key != "$defs"
    }


def _compare(old: Any, new: Any, path: str, problems: list[str]) -> None:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        if old != new:
            problems.append(f"{path}: changed from {old!r} to {new!r}")
        return
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
        else:
            _compare(old_props[name], new_props[name], f"{path}.{name}", problems)
    for name in sorted(old_required - new_required):
        if name in new_props:
            problems.append(f"{path}.{name}: no longer required")
    for name in sorted(new_required - old_required):
        problems.append(f"{path}.{name}: new required field")
    for key in sorted((old.keys() | new.keys()) - {"properties", "required"}):
        if key not in old or key not in new:
            problems.append(f"{path}: {key} {'added' if key in new else 'removed'}")
        elif isinstance(old[key], list) and isinstance(new[key], list):
            if key == "enum" or len(old[key]) != len(new[key]):
                if old[key] != new[key]:
                    problems.append(f"{path}: {key} changed from {old[key]!r} to {new[key]!r}")
            else:
                for i, (a, b) in enumerate(zip(old[key], new[key], strict=True)):
                    _compare(a, b, f"{path}.{key}[{i}]", problems)
        else:
            _compare(old[key], new[key], f"{path}.{key}", problems)


def example_payload(model: type[BaseModel]) -> dict[str, Any]:
    """A valid ``data`` of ``model`` built from its field types (first Literal option, fixed
    values), as a starting point for a committed contract sample."""
    return {name: _value(field.annotation, name) for name, field in model.model_fields.items()}


def _value(annotation: Any, name: str) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _value(args[0], name)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in args if a is not type(None)), name)
    if origin is list:
        return [_value(args[0], name)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example_payload(annotation)
    simple: dict[Any, Any] = {
        uuid.UUID: str(uuid.UUID(int=7)),
        int: 3,
        float: 1.5,
        bool: True,
        dt.date: "2026-10-05",
        dt.datetime: "2026-10-05T08:30:00Z",
        str: "32.16" if "region" in name else ("a" * 64 if name.endswith("_ref") else "x"),
    }
    return simple[annotation]
