"""Strict validation (issue 6, item 3): every class of malformed input, on every endpoint.

The cases are generated from the gateway's merged OpenAPI document (``bad_input`` in the
conftest), so a new endpoint or field is covered without editing this module. Each request
puts one class of bad value into every field it applies to at once; the answer must be a 4xx
RFC 9457 problem naming every one of those fields, never a 5xx, never showing internals or
echoing a NIK; the refused requests must leave every domain table as it was. The number of
cases per class is printed in the terminal summary.
"""

from __future__ import annotations

import re
from typing import Any

MAX_SHOWN = 25


def _shown(messages: list[str]) -> str:
    more = f"\n... and {len(messages) - MAX_SHOWN} more" if len(messages) > MAX_SHOWN else ""
    return "\n".join(messages[:MAX_SHOWN]) + more


def test_bad_input_class_is_refused_with_a_problem_naming_every_field(
    bad_input: Any, bad_input_class: str
) -> None:
    cls = bad_input_class
    assert bad_input.counts[cls] > 0, f"no case of {cls} was generated"
    failures = bad_input.failures.get(cls, [])
    assert not failures, f"{len(failures)} of {bad_input.counts[cls]} {cls} cases:\n" + _shown(
        failures
    )


def test_refused_writes_leave_every_table_as_it_was(bad_input: Any) -> None:
    assert not bad_input.written, _shown(bad_input.written)


def test_the_cases_start_from_bodies_the_platform_accepts(bad_input: Any) -> None:
    # A case is a valid body with one class of mistake: if the valid body itself is refused,
    # "refused" proves nothing about the mistake.
    assert not bad_input.invalid_bases, _shown(bad_input.invalid_bases)
    assert not bad_input.generated_bases, (
        "write endpoints without a body builder in the suite (their cases start from a body "
        "made from the schema): " + ", ".join(bad_input.generated_bases)
    )


def _bounded_pattern(pattern: str) -> bool:
    # An anchored pattern without open-ended repetition bounds the length by itself.
    return (
        pattern.startswith("^")
        and pattern.endswith("$")
        and not re.search(r"[*+]|\{\d+,\}", pattern)
    )


# Formats whose values have a fixed maximum length.
BOUNDED_FORMATS = ("uuid", "date", "date-time")


def _unbounded(spec: Any, where: str) -> list[str]:
    kind, schema = spec.kind, spec.schema
    if (
        kind == "string"
        and "maxLength" not in schema
        and not _bounded_pattern(schema.get("pattern", ""))
        and schema.get("format") not in BOUNDED_FORMATS
    ):
        return [f"{where} {spec.name}: text without maxLength"]
    if kind == "array" and "maxItems" not in schema:
        return [f"{where} {spec.name}: list without maxItems"]
    if kind in ("integer", "number"):
        return [
            f"{where} {spec.name}: {kind} without {bound}"
            for bound in ("minimum", "maximum")
            if bound not in schema and f"exclusive{bound.title()}" not in schema
        ]
    return []


def test_every_field_and_parameter_documents_its_limits(openapi: Any) -> None:
    # Issue 6, item 3: every text a documented maximum length, every list a maximum size,
    # every integer its column's range; clients read the limits from the document.
    found: list[str] = []
    for op in openapi.bodies():
        for spec in openapi.fields(openapi.body_schema(op)):
            found += _unbounded(spec, op.label)
    for op in openapi.operations():
        for parameter in op.parameters:
            schema = openapi.resolve(parameter.get("schema", {}))
            spec = openapi.field_spec((parameter["name"],), schema)
            found += _unbounded(spec, f"{op.label} {parameter['in']}")
    assert not found, f"{len(found)} unbounded inputs:\n" + _shown(found)


async def test_one_answer_lists_the_schema_and_the_rule_problems_together(
    sec: Any, gateway: Any, tokens: Any, factory: Any, dossier: Any
) -> None:
    # An accident with four mistakes is one round trip, not four.
    me = await dossier("sec-3216")
    first, second = factory.person(me.region, sex="F"), factory.person(me.region, sex="M")
    body = factory.accident(nib=factory.nib(), region=me.region, victims=[first, second])
    body["victims"][0]["birth_date"] = "1960-02-29"  # disagrees with the NIK (rule)
    body["victims"][1]["sex"] = "F"  # disagrees with the NIK (rule)
    body["lost_days"] = -3  # below the documented minimum (schema)
    response = await gateway.post(
        sec.ENTITIES["accidents"], json=body, headers=await tokens.headers("sec-3216")
    )
    fields = sec.error_fields(response)
    expected = ["company_nib", "victims.0.birth_date", "victims.1.sex", "lost_days"]
    missing = [name for name in expected if not sec.names_field(fields, name)]
    assert response.status_code == 422 and not missing, (
        f"missing {missing} (named {fields}): {sec.short(response)}"
    )
