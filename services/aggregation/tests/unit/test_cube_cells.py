"""The pure rules of the cube: age bands, KBLI sections, month coverage, cells of rows."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from aggregation.cube.cells import (
    AGE_BAND,
    SEX,
    DistinctPersons,
    Flow,
    age_band,
    covered_months,
    difference,
    groupings,
    kbli_section,
    merged,
)


@pytest.mark.parametrize(
    ("birth_year", "on", "band"),
    [
        (2012, date(2026, 1, 1), "0-14"),
        (2011, date(2026, 1, 1), "15-19"),
        (2002, date(2026, 6, 1), "20-24"),
        (1967, date(2026, 6, 1), "55-59"),
        (1966, date(2026, 6, 1), "60+"),
    ],
)
def test_the_age_band_is_the_age_reached_in_the_year_of_the_day(
    birth_year: int, on: date, band: str
) -> None:
    assert age_band(birth_year, on) == band


@pytest.mark.parametrize(
    ("code", "section"),
    [("01111", "A"), ("10110", "C"), ("47111", "G"), ("62019", "J"), ("99000", "U")],
)
def test_a_kbli_code_falls_in_the_section_of_its_division(code: str, section: str) -> None:
    assert kbli_section(code) == section


@pytest.mark.parametrize("code", [None, "", "4", "04000", "x1234"])
def test_a_code_naming_no_division_is_unknown(code: str | None) -> None:
    assert kbli_section(code) == "unknown"


def test_a_membership_covers_the_months_whose_last_day_falls_before_its_end() -> None:
    assert covered_months(date(2026, 1, 31), date(2026, 4, 1)) == (
        date(2026, 1, 1),
        date(2026, 4, 1),
    )
    # Ending on 31 March: the last day of March is no longer covered.
    assert covered_months(date(2026, 1, 15), date(2026, 3, 31)) == (
        date(2026, 1, 1),
        date(2026, 3, 1),
    )
    assert covered_months(date(2026, 2, 1), date(2026, 2, 20)) is None
    assert covered_months(date(2026, 2, 1), None) == (date(2026, 2, 1), None)


def test_overlapping_and_adjacent_spans_merge() -> None:
    spans = [
        (date(2026, 3, 1), date(2026, 5, 1)),
        (date(2026, 1, 1), date(2026, 3, 1)),
        (date(2026, 8, 1), None),
        (date(2026, 9, 1), date(2026, 10, 1)),
    ]
    assert list(merged(spans)) == [
        (date(2026, 1, 1), date(2026, 5, 1)),
        (date(2026, 8, 1), None),
    ]


def test_groupings_are_the_total_and_every_breakdown_by_one_or_two_dimensions() -> None:
    names = [",".join(d.name for d in g) for g in groupings((AGE_BAND, SEX))]
    assert names == ["", "sex", "age_band", "sex,age_band"]


def test_a_flow_counts_its_row_in_every_breakdown_and_its_children_where_asked() -> None:
    flow = Flow("x", "job_seekers", "day", dimensions=(SEX,))
    row = {"day": date(2026, 3, 9), "region_code": "32.16", "sex": "F"}
    march = date(2026, 3, 1)
    assert flow.cells(row) == {
        (key, grouping, dims, area, march): 1
        for key, grouping, dims in (("x", "", ()), ("x", "sex", ("F",)))
        for area in ("32.16", "32", "ID")
    }
    victims = Flow("v", "accidents", "day", child=lambda _, child: child["ok"])
    accident = {**row, "children": [{"ok": True}, {"ok": False}, {"ok": True}]}
    assert victims.cells(accident) == {
        ("v", "", (), area, march): 2 for area in ("32.16", "32", "ID")
    }
    assert flow.marks(row) == ("32.16", march)
    assert victims.marks({**row, "children": [{"ok": False}]}) is None


def test_a_person_in_two_regencies_of_a_province_counts_once_in_it_and_in_the_nation() -> None:
    stock = DistinctPersons("s", "memberships", "start", "end")
    rows = [
        {"region_code": "32.16", "start": date(2026, 1, 5), "end": date(2026, 4, 1)},
        {"region_code": "32.73", "start": date(2026, 3, 2), "end": None},
    ]
    cells = stock.person_cells(rows)
    jan, mar, apr = date(2026, 1, 1), date(2026, 3, 1), date(2026, 4, 1)
    assert cells == {
        ("s", "", (), "32.16", jan): 1,
        ("s", "", (), "32.16", apr): -1,
        ("s", "", (), "32.73", mar): 1,
        ("s", "", (), "32", jan): 1,
        ("s", "", (), "ID", jan): 1,
    }


def test_a_difference_keeps_removals_and_drops_what_did_not_change() -> None:
    old = Counter({("a",): 1, ("b",): 2})
    new = Counter({("b",): 2, ("c",): 1})
    assert difference(new, old) == {("a",): -1, ("c",): 1}  # type: ignore[comparison-overlap]
