"""The /values query parameters: splitting, defaults and the field a 422 names."""

from __future__ import annotations

import pytest
from aggregation.indicators.catalogue import CATALOGUE
from aggregation.indicators.query import MAX_CELLS, parse_values_query, split_values
from shared.errors import ProblemError
from shared.regions import registry


def test_repeated_and_comma_separated_values_are_the_same_request() -> None:
    assert split_values(["32.16,32.73", " 33.25 ", "", "12.75,"]) == [
        "32.16",
        "32.73",
        "33.25",
        "12.75",
    ]
    assert split_values(None) == []


def test_a_full_query_is_normalised() -> None:
    query = parse_values_query(
        indicator=["placements,placement_rate", "placements"],
        region=["3216", "32"],
        period=["2026-01..2026-02"],
        regions=registry(),
    )
    assert query.indicators == ("placements", "placement_rate")
    assert query.areas == ("32.16", "32")
    assert [str(p) for p in query.periods] == ["2026-01", "2026-02"]


def test_an_omitted_region_means_the_nation() -> None:
    query = parse_values_query(
        indicator=["placements"], region=None, period=["2026-01"], regions=registry()
    )
    assert query.areas == ("ID",)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"indicator": None, "region": None, "period": ["2026-01"]}, "indicator"),
        ({"indicator": ["no_such_thing"], "region": None, "period": ["2026-01"]}, "indicator"),
        ({"indicator": ["placements"], "region": ["99.99"], "period": ["2026-01"]}, "region"),
        ({"indicator": ["placements"], "region": None, "period": None}, "period"),
        ({"indicator": ["placements"], "region": None, "period": ["2026-13"]}, "period"),
    ],
)
def test_bad_parameters_give_a_422_naming_the_field(
    params: dict[str, list[str] | None], field: str
) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_values_query(**params, regions=registry())
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == [field]


def test_every_bad_parameter_is_named_at_once() -> None:
    with pytest.raises(ProblemError) as caught:
        parse_values_query(
            indicator=["no_such_thing"], region=["99.99"], period=["2026-13"], regions=registry()
        )
    assert [e.field for e in caught.value.errors] == ["indicator", "region", "period"]


def test_a_request_over_the_cell_cap_says_how_to_narrow_it() -> None:
    codes = [indicator.code for indicator in CATALOGUE]
    provinces = sorted(registry().provinces)
    query = {"indicator": [",".join(codes)], "region": [",".join(provinces)]}
    months = MAX_CELLS // (len(codes) * len(provinces))
    within = parse_values_query(**query, period=[f"2020-01..{_month(months)}"], regions=registry())
    assert len(within.indicators) * len(within.areas) * len(within.periods) <= MAX_CELLS
    with pytest.raises(ProblemError) as caught:
        parse_values_query(**query, period=[f"2020-01..{_month(months + 1)}"], regions=registry())
    assert caught.value.status == 422
    [error] = caught.value.errors
    assert error.field == "query" and "fewer indicators, regions or periods" in error.detail
    assert "fewer indicators" in caught.value.detail  # the summary says it too


def _month(count: int) -> str:
    """The ``count``-th month from January 2020 (1 is 2020-01)."""
    index = count - 1
    return f"{2020 + index // 12}-{index % 12 + 1:02d}"
