"""Each projection is the image of its events: every column the aggregation copies from a
snapshot is a field of the snapshot's model (a renamed or dropped event field fails here, not
at the first event in production). (``test_consumer`` checks that every event type has a
handler.)"""

from __future__ import annotations

import pydantic
import pytest
import sqlalchemy as sa
from aggregation.handlers import TABLE_OF
from aggregation.projections.tables import LINK_COLUMNS, reporting_periods
from shared.events import EVENT_TYPES
from shared.events.base import RecordWithdrawn

# Columns no snapshot carries: the aggregation's own bookkeeping and links.
OWN = {"updated_at", "position"} | LINK_COLUMNS
# Child tables, by their parent: the parent column and the snapshot list they come from.
CHILDREN = {
    "inspections": ("inspection_findings", "inspection_id", "findings"),
    "accidents": ("accident_victims", "accident_id", "victims"),
    "layoffs": ("layoff_workers", "layoff_id", "workers"),
}


def _snapshots() -> list[tuple[str, type[pydantic.BaseModel], sa.Table]]:
    return [
        (event_type, EVENT_TYPES[event_type], table)
        for event_type, table in TABLE_OF.items()
        if table is not reporting_periods
        and not issubclass(EVENT_TYPES[event_type], RecordWithdrawn)
    ]


@pytest.mark.parametrize(("event_type", "model", "table"), _snapshots(), ids=lambda v: str(v))
def test_projection_columns_are_fields_of_the_snapshot(
    event_type: str, model: type[pydantic.BaseModel], table: sa.Table
) -> None:
    fields = set(model.model_fields)
    columns = {c.name for c in table.columns} - OWN
    assert columns <= fields, f"{table.name} columns not in {event_type}: {columns - fields}"
    child = CHILDREN.get(table.name)
    if child is not None:
        name, parent, listed = child
        children = table.metadata.tables[name]
        item = model.model_fields[listed].annotation
        item_fields = set(getattr(item, "__args__", (item,))[0].model_fields)
        child_columns = {c.name for c in children.columns} - OWN - {parent}
        assert child_columns <= item_fields, f"{name}: {child_columns - item_fields}"
