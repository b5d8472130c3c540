"""Reporting areas: parsing, which regencies make them up, summing regencies into them."""

from __future__ import annotations

import pytest
from aggregation.indicators.areas import area_regencies, parse_areas, regency_filter, rollup
from aggregation.indicators.periods import Period
from shared.regions import registry

MARCH, APRIL = Period(2026, 3), Period(2026, 4)


def test_region_codes_are_normalised_and_deduplicated() -> None:
    assert parse_areas(["3216", "32.16", "32", "id", "32.73"], registry()) == [
        "32.16",
        "32",
        "ID",
        "32.73",
    ]


def test_no_region_means_the_nation() -> None:
    assert parse_areas([], registry()) == ["ID"]


@pytest.mark.parametrize("raw", ["99.99", "3299", "99", "32.1", "Bekasi", "IDN"])
def test_unknown_regions_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a known regency"):
        parse_areas([raw], registry())


def test_a_province_is_made_of_its_regencies_and_the_nation_of_everything() -> None:
    regions = registry()
    west_java = area_regencies("32", regions)
    assert west_java is not None
    assert {"32.16", "32.73", "32.13"} <= west_java
    assert all(code.startswith("32.") for code in west_java)
    assert area_regencies("32.16", regions) == frozenset({"32.16"})
    assert area_regencies("ID", regions) is None


def test_the_query_reads_the_union_of_regencies_or_everything_for_the_nation() -> None:
    regions = registry()
    members = {a: area_regencies(a, regions) for a in ("32.16", "33.25")}
    assert regency_filter(members) == ["32.16", "33.25"]
    members["ID"] = area_regencies("ID", regions)
    assert regency_filter(members) is None


def test_rollup_sums_regencies_into_each_area_and_fills_zeros() -> None:
    regions = registry()
    members = {a: area_regencies(a, regions) for a in ("32.16", "32", "ID", "12.75")}
    rows = [
        ("32.16", MARCH, 3),
        ("32.73", MARCH, 2),
        ("33.25", MARCH, 1),
        ("32.16", APRIL, 1),
    ]
    totals = rollup(rows, members, [MARCH, APRIL])
    assert totals == {
        ("32.16", MARCH): 3,
        ("32.16", APRIL): 1,
        ("32", MARCH): 5,
        ("32", APRIL): 1,
        ("ID", MARCH): 6,
        ("ID", APRIL): 1,
        ("12.75", MARCH): 0,
        ("12.75", APRIL): 0,
    }


def test_rollup_ignores_months_not_asked_for() -> None:
    members = {"ID": None}
    assert rollup([("32.16", APRIL, 7), ("32.16", MARCH, 2)], members, [MARCH]) == {
        ("ID", MARCH): 2
    }
