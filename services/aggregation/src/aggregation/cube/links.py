"""Cross-domain links kept as columns of the projection rows, so each row's contribution to the
cube follows from the row alone.

- ``placements.covered_within_30_days``: a membership of the worker (same ``person_ref``, any
  program, any region) covers a day of ``[placed_at, placed_at + 30 days]``;
- ``enrollments.placed_within_6_months``: a placement of the person is dated from the
  completion date to 6 calendar months after it;
- ``accident_victims.has_jkk``: a membership of the victim including JKK covers the accident date.

The conditions are the read-time measures' own (``indicators.measures``), so the cube and the
reference computation cannot disagree on what a link means.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.indicators.measures import graduate_placed, placement_covered, victim_has_jkk
from aggregation.projections.tables import accident_victims, accidents, enrollments, placements


def _placements(ids: list[Any] | None) -> sa.Update:
    stmt = sa.update(placements).values(
        covered_within_30_days=placement_covered.correlate(placements)
    )
    return stmt if ids is None else stmt.where(placements.c.id.in_(ids))


def _enrollments(ids: list[Any] | None) -> sa.Update:
    stmt = sa.update(enrollments).values(
        placed_within_6_months=graduate_placed.correlate(enrollments)
    )
    return stmt if ids is None else stmt.where(enrollments.c.id.in_(ids))


def _victims(accident_ids: list[Any] | None) -> sa.Update:
    stmt = (
        sa.update(accident_victims)
        .values(has_jkk=victim_has_jkk.correlate(accident_victims, accidents))
        .where(accidents.c.id == accident_victims.c.accident_id)
    )
    return stmt if accident_ids is None else stmt.where(accidents.c.id.in_(accident_ids))


async def recompute(
    session: AsyncSession,
    *,
    placement_ids: Iterable[Any],
    enrollment_ids: Iterable[Any],
    accident_ids: Iterable[Any],
) -> None:
    """Recompute the links of these rows (an accident's: its victims')."""
    for ids, statement in (
        (placement_ids, _placements),
        (enrollment_ids, _enrollments),
        (accident_ids, _victims),
    ):
        wanted = sorted(set(ids))
        if wanted:
            await session.execute(statement(wanted))


async def recompute_all(session: AsyncSession) -> None:
    """Recompute every row's links."""
    for statement in (_placements(None), _enrollments(None), _victims(None)):
        await session.execute(statement)
