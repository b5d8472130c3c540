"""Published event versions cannot drift: every type has a committed schema snapshot and
sample under ``tests/contract/events/``; today's model must stay compatible with the snapshot
(``shared.events.compat``) and must still parse the old sample."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from shared.events import EVENT_TYPES, IntegrationEvent
from shared.events.compat import incompatibilities

_spec = importlib.util.spec_from_file_location(
    "snapshots", Path(__file__).with_name("snapshots.py")
)
assert _spec is not None and _spec.loader is not None
snapshots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snapshots)

TYPES = sorted(EVENT_TYPES)
HOW = "run `uv run --frozen python tests/contract/snapshots.py` and commit the files it writes"


def _read(path: Path) -> Any:
    assert path.exists(), f"{path.name} is missing: {HOW}"
    return json.loads(path.read_text())


@pytest.mark.parametrize("event_type", TYPES)
def test_the_published_schema_still_holds(event_type: str) -> None:
    schema_path, _ = snapshots.paths(event_type)
    problems = incompatibilities(_read(schema_path), EVENT_TYPES[event_type].model_json_schema())
    assert not problems, (
        f"{event_type} changed incompatibly since it was published: {problems}. "
        "Publish a new version (...v2) beside it instead of editing it."
    )


@pytest.mark.parametrize("event_type", TYPES)
def test_the_published_sample_still_parses(event_type: str) -> None:
    _, sample_path = snapshots.paths(event_type)
    model: type[IntegrationEvent] = EVENT_TYPES[event_type]
    event = model.model_validate(_read(sample_path))
    assert event.model_dump(mode="json").keys() <= set(model.model_fields)


def test_every_snapshot_belongs_to_a_type_still_published() -> None:
    known = {p.name for t in TYPES for p in snapshots.paths(t)}
    stray = sorted(p.name for p in snapshots.SNAPSHOTS.iterdir() if p.name not in known)
    assert not stray, f"snapshots of types no longer published (a version may not vanish): {stray}"
