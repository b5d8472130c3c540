"""Reading the cube's year rows: each asked month's value is what a cell per month would give,
whatever the months asked (one, a range, months apart, across years)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from aggregation.cube.read import CubeTotals, _add_flows, _add_stocks
from hypothesis import given
from hypothesis import strategies as st

YEARS = (2024, 2025, 2026)
MONTHS = [date(year, month, 1) for year in YEARS for month in range(1, 13)]

# A row: (measure, area, year, dims, the twelve months' cells).
rows_strategy = st.dictionaries(
    st.tuples(
        st.sampled_from(["m.one", "m.two"]),
        st.sampled_from(["32.16", "32", "ID"]),
        st.sampled_from(YEARS),
        st.sampled_from([(), ("F",), ("M",)]),
    ),
    st.lists(st.integers(-3, 3), min_size=12, max_size=12),
    max_size=12,
)
asked_strategy = st.lists(st.sampled_from(MONTHS), min_size=1, unique=True).map(sorted)


def _rows(found: dict[tuple[str, str, int, tuple[str, ...]], list[int]]) -> list[Any]:
    return [
        (key, area, year, list(dims), months) for (key, area, year, dims), months in found.items()
    ]


def _cells(rows: list[Any]) -> dict[tuple[str, str, tuple[str, ...]], dict[date, int]]:
    """The rows as a cell per month."""
    cells: dict[tuple[str, str, tuple[str, ...]], dict[date, int]] = defaultdict(dict)
    for key, area, year, dims, months in rows:
        for number, value in enumerate(months, start=1):
            cells[(key, area, tuple(dims))][date(year, number, 1)] = value
    return cells


def _totals() -> dict[str, CubeTotals]:
    return {"m.one": defaultdict(dict), "m.two": defaultdict(dict)}


def _value(totals: dict[str, CubeTotals], key: str, area: str, month: date, dims: Any) -> Any:
    return totals[key].get(area, {}).get((month, dims), 0)


@given(found=rows_strategy, asked=asked_strategy)
def test_a_flow_is_its_months_cell(found: Any, asked: list[date]) -> None:
    rows = _rows(found)
    totals = _totals()
    _add_flows(totals, rows, asked)
    for (key, area, dims), by_month in _cells(rows).items():
        for month in asked:
            assert _value(totals, key, area, month, dims) == by_month.get(month, 0)
    kept = {
        month for by_area in totals.values() for cells in by_area.values() for month, _ in cells
    }
    assert kept <= set(asked), "only asked months"
    assert all(
        value != 0
        for by_area in totals.values()
        for cells in by_area.values()
        for (_, dims), value in cells.items()
        if dims
    ), "a breakdown's cells of 0 are left out (its combinations are those with a count)"


@given(found=rows_strategy, asked=asked_strategy)
def test_a_stock_is_the_sum_of_its_changes_up_to_the_month(found: Any, asked: list[date]) -> None:
    rows = _rows(found)
    totals = _totals()
    _add_stocks(totals, rows, asked)
    for (key, area, dims), by_month in _cells(rows).items():
        for month in asked:
            level = sum(value for changed, value in by_month.items() if changed <= month)
            assert _value(totals, key, area, month, dims) == level


def test_months_apart_and_across_years() -> None:
    january_to_december = list(range(1, 13))
    rows = [
        ("m.one", "32.16", 2025, [], january_to_december),
        ("m.one", "32.16", 2026, [], [100 * m for m in january_to_december]),
        ("m.one", "32.16", 2026, ["F"], [0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]
    asked = [date(2025, 12, 1), date(2026, 2, 1), date(2026, 3, 1)]
    flows, stocks = _totals(), _totals()
    _add_flows(flows, rows, asked)
    _add_stocks(stocks, rows, asked)
    assert flows["m.one"]["32.16"] == {
        (date(2025, 12, 1), ()): 12,
        (date(2026, 2, 1), ()): 200,
        (date(2026, 3, 1), ()): 300,
        (date(2026, 2, 1), ("F",)): 7,
    }
    year_2025 = sum(january_to_december)
    assert stocks["m.one"]["32.16"][(date(2025, 12, 1), ())] == year_2025
    assert stocks["m.one"]["32.16"][(date(2026, 3, 1), ())] == year_2025 + 100 + 200 + 300
    assert stocks["m.one"]["32.16"][(date(2026, 3, 1), ("F",))] == 7
