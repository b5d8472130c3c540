"""Keeping the cube current, in the transaction that changes the projections.

Around each batch of events the consumer applies (``shared.inbox``'s ``around`` hook):

1. the rows the events name are read as they were (*before*);
2. the events are applied to the projections;
3. the cross-domain links (``links``) of every row they may change are recomputed: a
   membership changes its person's placements (covered within 30 days), accident victims
   (JKK cover) and layoffs (re-employed), a placement changes its person's training
   completions (placed within 6 months) and layoffs, a job-seeker registration or a JKP claim
   its person's layoffs and program participations (``links.LINKS`` says which follows which);
4. every row whose contribution may have changed is read again (*after*), and the cube gets
   ``cells(after) - cells(before)`` (``cells``), as one upsert adding to the stored values.

A distinct-person stock is recomputed per person: all of a touched person's memberships before
and after the batch.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from shared.events import CloudEvent
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.cube import links
from aggregation.cube.cells import (
    MAX_GROUPING,
    CellKey,
    Cells,
    DistinctPersons,
    Flow,
    MonthEndSum,
    Row,
    difference,
    levels_of,
)
from aggregation.cube.measures import CUBE_MEASURES, SOURCE_DOMAINS
from aggregation.handlers import TABLE_OF
from aggregation.projections.tables import (
    MONTHS_IN_A_ROW,
    accident_victims,
    accidents,
    cube_state,
    cube_years,
    inspection_findings,
    inspections,
    layoff_workers,
    layoffs,
    memberships,
    reported,
)

log = logging.getLogger(__name__)

# The child rows a source row carries (``children``), by the parent's table.
_CHILDREN: Mapping[str, tuple[sa.Table, str]] = {
    inspections.name: (inspection_findings, "inspection_id"),
    accidents.name: (accident_victims, "accident_id"),
    layoffs.name: (layoff_workers, "layoff_id"),
}
# The measures a row contributes to by itself (flows and summed stocks), by source.
_FLOWS: Mapping[str, tuple[Flow | MonthEndSum, ...]] = {
    source: tuple(
        m for m in CUBE_MEASURES if isinstance(m, Flow | MonthEndSum) and m.source == source
    )
    for source in {m.source for m in CUBE_MEASURES}
}
_STOCKS: tuple[DistinctPersons, ...] = tuple(
    m for m in CUBE_MEASURES if isinstance(m, DistinctPersons)
)
_TABLES: Mapping[str, sa.Table] = {table.name: table for table in TABLE_OF.values()}
_LOCK = 0x43_55_42_45  # "CUBE": batches take it shared, a rebuild exclusively


def row_cells(source: str, row: Row | None) -> Cells:
    """Everything one row of ``source`` adds to the flows of the cube."""
    out: Cells = Counter()
    if row is not None:
        for flow in _FLOWS.get(source, ()):
            out.update(flow.cells(row))
    return out


def person_cells(rows: Iterable[Row]) -> Cells:
    """Everything one person's membership rows add to the stocks of the cube."""
    rows = list(rows)
    out: Cells = Counter()
    for stock in _STOCKS:
        out.update(stock.person_cells(rows))
    return out


async def load(session: AsyncSession, source: str, ids: Iterable[uuid.UUID]) -> dict[Any, Row]:
    """The current rows of ``source`` with these ids (with their ``children``)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    table = _TABLES[source]
    rows: dict[Any, dict[str, Any]] = {
        row["id"]: dict(row)
        for row in (await session.execute(sa.select(table).where(table.c.id.in_(wanted))))
        .mappings()
        .all()
    }
    if source in _CHILDREN and rows:
        children, parent = _CHILDREN[source]
        for row in rows.values():
            row["children"] = []
        stmt = (
            sa.select(children)
            .where(children.c[parent].in_(list(rows)))
            .order_by(children.c[parent], children.c.position)
        )
        for child in (await session.execute(stmt)).mappings():
            rows[child[parent]]["children"].append(dict(child))
    return dict(rows)


async def _ids_of_persons(
    session: AsyncSession, table: sa.Table, persons: set[str], id_column: str = "id"
) -> set[Any]:
    if not persons:
        return set()
    stmt = sa.select(table.c[id_column]).where(table.c.person_ref.in_(sorted(persons)))
    return set((await session.scalars(stmt)).all())


async def _memberships_of(session: AsyncSession, persons: set[str]) -> dict[Any, Row]:
    if not persons:
        return {}
    stmt = sa.select(memberships).where(memberships.c.person_ref.in_(sorted(persons)))
    return {row["id"]: dict(row) for row in (await session.execute(stmt)).mappings()}


def _persons(rows: Iterable[Row | None]) -> set[str]:
    return {str(row["person_ref"]) for row in rows if row is not None}


@dataclass
class _Touched:
    """The rows a batch names, by source: their ids and their state before the batch."""

    ids: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    before: dict[str, dict[Any, Row]] = field(default_factory=dict)


async def maintain(
    session: AsyncSession, events: Sequence[CloudEvent], apply: Callable[[], Awaitable[None]]
) -> None:
    """Apply ``events`` with ``apply`` and bring the cube along (see the module's steps)."""
    if not events:
        await apply()
        return
    # Shared: batches run side by side; a rebuild (exclusive) waits for them and they for it.
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_LOCK)))
    touched = _Touched()
    for event in events:
        table = TABLE_OF.get(event.type)
        tracked = table is not None and (
            table.name in _FLOWS or table.name in SOURCE_DOMAINS or table.name in links.FOLLOWED
        )
        if table is not None and tracked and isinstance(event.data, dict):
            touched.ids[table.name].add(uuid.UUID(str(event.data["id"])))
    for source, ids in touched.ids.items():
        touched.before[source] = await load(session, source, ids)

    await apply()

    after: dict[str, dict[Any, Row]] = {
        source: await load(session, source, ids) for source, ids in touched.ids.items()
    }
    # Persons whose rows of each followed source the batch changed.
    changed_persons = {
        source: _persons(
            [*touched.before.get(source, {}).values(), *after.get(source, {}).values()]
        )
        for source in links.FOLLOWED
    }
    member_persons = changed_persons[memberships.name]

    # Rows whose links may change, and their state now (before the links are recomputed).
    linked: dict[str, set[Any]] = {}
    for link in links.LINKS:
        persons = set().union(*(changed_persons[source] for source in link.follows))
        linked[link.source] = await _ids_of_persons(
            session, link.persons, persons, id_column=link.parent
        )
    before = dict(touched.before)
    for source, ids in linked.items():
        others = ids - touched.ids.get(source, set())
        before[source] = {**before.get(source, {}), **await load(session, source, others)}
    await links.recompute(
        session, {source: ids | touched.ids.get(source, set()) for source, ids in linked.items()}
    )
    for source, ids in linked.items():
        if ids or touched.ids.get(source):
            after[source] = await load(session, source, ids | touched.ids.get(source, set()))

    change: Cells = Counter()
    for source in set(before) | set(after):
        old_rows, new_rows = before.get(source, {}), after.get(source, {})
        for row_id in set(old_rows) | set(new_rows):
            change.update(
                difference(
                    row_cells(source, new_rows.get(row_id)), row_cells(source, old_rows.get(row_id))
                )
            )
    if member_persons and _STOCKS:
        change.update(await _stock_change(session, member_persons, touched))
    await add(session, change)
    await _note_reported(session, after)
    await _note_as_of(session, events)


def reported_months(source: str, row: Row) -> set[tuple[str, str, date]]:
    """The (domain, regency, month) a record reports: the month of its date, and every month
    it counts in (a completion dated in April reports training for April)."""
    domain, day = SOURCE_DOMAINS[source]
    region = str(row["region_code"])
    marks = {(domain, region, row[day].replace(day=1))} if row.get(day) is not None else set()
    for flow in _FLOWS.get(source, ()):
        if isinstance(flow, Flow) and (counted := flow.marks(row)) is not None:
            marks.add((domain, *counted))
    return marks


async def _note_reported(session: AsyncSession, rows: Mapping[str, Mapping[Any, Row]]) -> None:
    """Remember the (domain, regency, month) of every record the batch wrote."""
    marks: set[tuple[str, str, date]] = set()
    for source, by_id in rows.items():
        if source in SOURCE_DOMAINS:
            for row in by_id.values():
                marks |= reported_months(source, row)
    await _mark(session, marks)


async def _mark(session: AsyncSession, marks: Iterable[tuple[str, str, date]]) -> None:
    """Note each (domain, regency, month), and the same for the regency's province and the
    nation: an answer for a province or the nation reads its own marks, not its regencies'."""
    levels = {
        (domain, area, month) for domain, regency, month in marks for area in levels_of(regency)
    }
    rows = [{"domain": d, "region_code": r, "month": m} for d, r, m in sorted(levels)]
    if rows:
        await session.execute(insert(reported).on_conflict_do_nothing(), rows)


async def _stock_change(session: AsyncSession, persons: set[str], touched: _Touched) -> Cells:
    """The stocks' change for ``persons``: all their memberships now against before the batch."""
    now = await _memberships_of(session, persons)
    was = {k: v for k, v in now.items() if k not in touched.ids.get(memberships.name, set())}
    was.update(touched.before.get(memberships.name, {}))
    now_of, was_of = _by_person(now.values()), _by_person(was.values())
    change: Cells = Counter()
    for person in persons:
        change.update(
            difference(person_cells(now_of.get(person, ())), person_cells(was_of.get(person, ())))
        )
    return change


def _by_person(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        out[str(row["person_ref"])].append(row)
    return out


def _upsert_cells() -> sa.Insert:
    """``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT`` adding each year's changes to its
    row, month by month: one statement of a few array parameters for a batch's thousands of
    changes (compiled and prepared once), where a row of parameters per row costs more to bind
    than to write."""
    columns = {
        "measure": sa.Text,
        "grouping": sa.Text,
        "area": sa.Text,
        "year": sa.SmallInteger,
        # The dimension values, one array per position (null past the grouping's size).
        **{f"dim{i}": sa.Text for i in range(MAX_GROUPING)},
        # The change of each month, one array per month.
        **{f"m{i}": sa.BigInteger for i in range(1, MONTHS_IN_A_ROW + 1)},
    }
    changes = (
        sa.func.unnest(*(sa.bindparam(name, type_=ARRAY(kind)) for name, kind in columns.items()))
        .table_valued(*columns)
        .render_derived(name="changes")
    )
    dims = sa.func.array_remove(
        postgresql.array([changes.c[f"dim{i}"] for i in range(MAX_GROUPING)]),
        sa.null(),
        type_=ARRAY(sa.Text),
    )
    months = postgresql.array([changes.c[f"m{i}"] for i in range(1, MONTHS_IN_A_ROW + 1)])
    rows = sa.select(
        changes.c.measure, changes.c.grouping, changes.c.area, changes.c.year, dims, months
    )
    stmt = insert(cube_years).from_select(
        ["measure", "grouping", "area", "year", "dims", "months"], rows
    )
    kept, added = cube_years.c.months, stmt.excluded.months
    return stmt.on_conflict_do_update(
        index_elements=[
            cube_years.c.measure,
            cube_years.c.grouping,
            cube_years.c.area,
            cube_years.c.year,
            cube_years.c.dims,
        ],
        set_={
            "months": postgresql.array([kept[i] + added[i] for i in range(1, MONTHS_IN_A_ROW + 1)])
        },
    )


_UPSERT_CELLS = _upsert_cells()


async def add(session: AsyncSession, change: Mapping[CellKey, int]) -> None:
    """Add each change to its cell: a year's changes of a series to its row (in key order, so
    concurrent writers lock alike)."""
    years: dict[tuple[str, str, str, int, tuple[str, ...]], list[int]] = {}
    for (measure, grouping, dims, area, month), value in change.items():
        if value:
            row = (measure, grouping, area, month.year, dims)
            if row not in years:
                years[row] = [0] * MONTHS_IN_A_ROW
            years[row][month.month - 1] += value
    keys = sorted(years)
    if not keys:
        return
    params: dict[str, list[Any]] = {
        "measure": [k[0] for k in keys],
        "grouping": [k[1] for k in keys],
        "area": [k[2] for k in keys],
        "year": [k[3] for k in keys],
    }
    for i in range(MAX_GROUPING):
        params[f"dim{i}"] = [k[4][i] if len(k[4]) > i else None for k in keys]
    for i in range(MONTHS_IN_A_ROW):
        params[f"m{i + 1}"] = [years[k][i] for k in keys]
    await session.execute(_UPSERT_CELLS, params)


async def _note_as_of(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    times = [e.time for e in events if isinstance(e.time, datetime)]
    if not times:
        return
    newest = max(times)
    stmt = insert(cube_state).values(id=1, as_of=newest)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[cube_state.c.id],
            set_={"as_of": sa.func.greatest(cube_state.c.as_of, stmt.excluded.as_of)},
        )
    )


async def ensure_built(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Build the cube from the projections if a migration left it to be built (a database
    that held projections before the cube existed); a no-op otherwise."""
    async with sessions() as session, session.begin():
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
        built = await session.scalar(sa.select(cube_state.c.built).where(cube_state.c.id == 1))
        if built is False:
            log.info("building the indicator cube from the projections")
            await rebuild_from_projections(session)
            await session.execute(
                sa.update(cube_state).where(cube_state.c.id == 1).values(built=True)
            )


async def rebuild_from_projections(session: AsyncSession, *, batch: int = 5000) -> None:
    """Empty the cube (and the months each region reported) and compute it again from the
    projections as they stand (after a migration, or to check it): the links first, then
    every row's cells."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    await session.execute(sa.delete(cube_years))
    await session.execute(sa.delete(reported))
    await links.recompute_all(session)
    for source in sorted(set(_FLOWS) | set(SOURCE_DOMAINS)):
        table = _TABLES[source]
        last: Any = None
        while True:
            stmt = sa.select(table.c.id).order_by(table.c.id).limit(batch)
            if last is not None:
                stmt = stmt.where(table.c.id > last)
            ids = list((await session.scalars(stmt)).all())
            if not ids:
                break
            last = ids[-1]
            rows = await load(session, source, ids)
            change: Cells = Counter()
            marks: set[tuple[str, str, date]] = set()
            for row in rows.values():
                change.update(row_cells(source, row))
                if source in SOURCE_DOMAINS:
                    marks |= reported_months(source, row)
            await add(session, change)
            await _mark(session, marks)
    if _STOCKS:
        # Person by person, a batch of persons at a time.
        persons = sorted(
            set((await session.scalars(sa.select(memberships.c.person_ref).distinct())).all())
        )
        for start in range(0, len(persons), batch):
            change = Counter()
            members = await _memberships_of(session, set(persons[start : start + batch]))
            for person_rows in _by_person(members.values()).values():
                change.update(person_cells(person_rows))
            await add(session, change)


__all__ = [
    "add",
    "ensure_built",
    "load",
    "maintain",
    "person_cells",
    "rebuild_from_projections",
    "row_cells",
]
