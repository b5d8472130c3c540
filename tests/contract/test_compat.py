"""The compatibility checker itself, on a real published schema edited on purpose."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from shared.events.compat import incompatibilities
from shared.events.job_market import JobSeekerRegisteredV1, PlacementRecordedV1

PUBLISHED: dict[str, Any] = JobSeekerRegisteredV1.model_json_schema()


def edited(change: Any) -> dict[str, Any]:
    schema = copy.deepcopy(PUBLISHED)
    change(schema)
    return schema


def test_an_unchanged_schema_and_documentation_edits_are_compatible() -> None:
    assert incompatibilities(PUBLISHED, PUBLISHED) == []

    def document(schema: dict[str, Any]) -> None:
        schema["description"] = "reworded"
        schema["properties"]["sex"]["title"] = "Jenis kelamin"

    assert incompatibilities(PUBLISHED, edited(document)) == []


def test_a_new_optional_field_is_compatible() -> None:
    def add(schema: dict[str, Any]) -> None:
        schema["properties"]["nickname"] = {"type": "string"}

    assert incompatibilities(PUBLISHED, edited(add)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["properties"].pop("sex"), "data.sex: removed"),
        (lambda s: s["properties"]["revision"].update(type="string"), "data.revision.type"),
        (
            lambda s: (
                s["properties"].update(nickname={"type": "string"}),
                s["required"].append("nickname"),
            ),
            "data.nickname: new required field",
        ),
        (lambda s: s["required"].remove("region_code"), "data.region_code: no longer required"),
        (lambda s: s["properties"]["status"]["enum"].pop(), "data.status: enum changed"),
        (lambda s: s["properties"]["region_code"].update(maxLength=3), "maxLength added"),
    ],
    ids=["removed", "type", "new-required", "optional-now", "enum-value-gone", "constraint"],
)
def test_each_incompatible_edit_is_reported(change: Any, expected: str) -> None:
    problems = incompatibilities(PUBLISHED, edited(change))
    assert any(expected in p for p in problems), problems


def test_another_event_type_is_not_the_same_contract() -> None:
    assert incompatibilities(PUBLISHED, PlacementRecordedV1.model_json_schema())
