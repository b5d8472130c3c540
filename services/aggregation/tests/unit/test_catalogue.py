"""The indicator catalogue: complete, consistent, and its formulas' arithmetic."""

from __future__ import annotations

import pytest
from aggregation.indicators.catalogue import CATALOGUE, Indicator, Ratio, Total, by_code
from aggregation.indicators.measures import JOB_SEEKERS_REGISTERED, PLACEMENTS_MADE, Measure
from aggregation.indicators.service import list_indicators

REQUIRED = {
    "job_seekers_registered",
    "vacancies_posted",
    "positions_offered",
    "placements",
    "placement_rate",
    "training_enrollments",
    "training_completions",
    "training_certifications",
    "certification_rate",
    "inspections_conducted",
    "violations_found",
    "violations_resolved",
    "workplace_accidents",
    "accident_deaths",
    "ss_active_members",
    "ss_new_members",
    "ss_claims",
    "ss_claims_amount_idr",
    "placements_with_social_security_rate",
    "graduates_placed_within_6_months_rate",
    "accident_victims_without_jkk",
}


def test_the_catalogue_has_every_indicator_the_issue_asks_for() -> None:
    assert REQUIRED <= set(by_code())


def test_codes_are_unique() -> None:
    codes = [indicator.code for indicator in CATALOGUE]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("indicator", CATALOGUE, ids=lambda i: i.code)
def test_every_entry_is_described_in_both_languages(indicator: Indicator) -> None:
    public = next(p for p in list_indicators() if p.code == indicator.code)
    for text in (public.name_id, public.name_en, public.definition_id, public.definition_en):
        assert text.strip()
    assert public.name_id != public.name_en
    assert public.definition_id != public.definition_en
    assert public.unit and public.domain


def test_measure_keys_identify_one_measure_each() -> None:
    seen: dict[str, Measure] = {}
    for indicator in CATALOGUE:
        for measure in indicator.formula.measures:
            assert seen.setdefault(measure.key, measure) is measure


def test_the_catalogue_endpoint_lists_entries_in_catalogue_order() -> None:
    assert [p.code for p in list_indicators()] == [i.code for i in CATALOGUE]


def test_a_ratio_divides_totals_and_is_undefined_for_an_empty_denominator() -> None:
    rate = Ratio(numerator=PLACEMENTS_MADE, denominator=JOB_SEEKERS_REGISTERED)
    # Three cells: 2 of 5, 3 of 0, 0 of 0.
    totals = {PLACEMENTS_MADE.key: [2, 3, 0], JOB_SEEKERS_REGISTERED.key: [5, 0, 0]}
    values = rate.values(lambda m: totals[m.key])
    assert values[0] == pytest.approx(0.4)
    assert values[1:] == [None, None]


def test_the_placement_rate_is_placements_over_job_seekers_registered() -> None:
    formula = by_code()["placement_rate"].formula
    assert isinstance(formula, Ratio)
    assert formula.numerator is PLACEMENTS_MADE
    assert formula.denominator is JOB_SEEKERS_REGISTERED
    total = by_code()["placements"].formula
    assert isinstance(total, Total)
    assert total.measure is PLACEMENTS_MADE


@pytest.mark.parametrize(
    "indicator", [i for i in CATALOGUE if isinstance(i.formula, Ratio)], ids=lambda i: i.code
)
def test_every_ratio_says_it_is_null_without_a_denominator(indicator: Indicator) -> None:
    assert indicator.unit == "ratio"
    assert "null" in indicator.definition_id
    assert "null" in indicator.definition_en
