"""Write the contract snapshot of every event type that has none yet.

    uv run --frozen python tests/contract/snapshots.py

For each type of ``shared.events.EVENT_TYPES`` without files under ``tests/contract/events/``,
it writes ``<type>.schema.json`` (the model's JSON Schema: what subscribers were promised) and
``<type>.sample.json`` (a ``data`` built from the field types; edit it to look like a real
event before committing). It never overwrites a file: a published version's snapshot changes
only by hand, for a compatible change (see ``shared.events.compat``).
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.events import EVENT_TYPES
from shared.events.compat import example_payload

SNAPSHOTS = Path(__file__).parent / "events"


def paths(event_type: str) -> tuple[Path, Path]:
    """The schema and sample files of ``event_type``."""
    name = event_type.removeprefix("id.go.kemnaker.sinergi.")
    return SNAPSHOTS / f"{name}.schema.json", SNAPSHOTS / f"{name}.sample.json"


def write_missing() -> list[Path]:
    """Write the missing snapshots; the files written."""
    SNAPSHOTS.mkdir(exist_ok=True)
    written = []
    for event_type, model in EVENT_TYPES.items():
        schema_path, sample_path = paths(event_type)
        for path, content in (
            (schema_path, model.model_json_schema()),
            (sample_path, example_payload(model)),
        ):
            if not path.exists():
                path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
                written.append(path)
    return written


if __name__ == "__main__":
    for path in write_missing():
        print(f"wrote {path}")
