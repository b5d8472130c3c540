"""The /values query parameters: splitting, defaults and the field a 422 names."""

from __future__ import annotations

import pytest
from aggregation.indicators.query import parse_values_query, split_values
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
