"""The cube's measures: for every read-time measure (``indicators.measures``, the reference),
how a projection row contributes to it and by which dimensions it can be broken down."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from aggregation.cube.cells import (
    AGE_BAND,
    DISABILITY,
    EDUCATION,
    KBLI_SECTION,
    MECHANISM,
    OUTCOME,
    PROGRAM,
    SEX,
    DistinctPersons,
    Flow,
    Row,
)
from aggregation.indicators import measures as reference


def _completed(row: Row) -> bool:
    return bool(row["status"] == "completed")


PERSON = (SEX, AGE_BAND)

CUBE_MEASURES: tuple[Flow | DistinctPersons, ...] = (
    # Job market
    Flow(
        reference.JOB_SEEKERS_REGISTERED.key,
        "job_seekers",
        "registered_at",
        dimensions=(*PERSON, EDUCATION, DISABILITY),
    ),
    Flow(reference.VACANCIES_POSTED.key, "vacancies", "posted_at", dimensions=(KBLI_SECTION,)),
    Flow(
        reference.POSITIONS_OFFERED.key,
        "vacancies",
        "posted_at",
        dimensions=(KBLI_SECTION,),
        summed="positions",
    ),
    Flow(reference.PLACEMENTS_MADE.key, "placements", "placed_at", dimensions=(MECHANISM,)),
    Flow(
        reference.PLACEMENTS_COVERED.key,
        "placements",
        "placed_at",
        dimensions=(MECHANISM,),
        where=lambda row: bool(row["covered_within_30_days"]),
    ),
    # Training
    Flow(reference.ENROLLMENTS_MADE.key, "enrollments", "enrolled_at", dimensions=PERSON),
    Flow(
        reference.COMPLETIONS.key,
        "enrollments",
        "completed_at",
        dimensions=PERSON,
        where=_completed,
    ),
    Flow(
        reference.CERTIFICATIONS.key,
        "enrollments",
        "completed_at",
        dimensions=PERSON,
        where=lambda row: _completed(row) and bool(row["certified"]),
    ),
    Flow(
        reference.GRADUATES_PLACED.key,
        "enrollments",
        "completed_at",
        dimensions=PERSON,
        where=lambda row: _completed(row) and bool(row["placed_within_6_months"]),
    ),
    # Inspection
    Flow(reference.INSPECTIONS_CONDUCTED.key, "inspections", "inspected_at"),
    Flow(
        reference.VIOLATIONS_FOUND.key,
        "inspections",
        "inspected_at",
        child=lambda _, finding: True,
    ),
    Flow(
        reference.VIOLATIONS_RESOLVED.key,
        "inspections",
        "inspected_at",
        child=lambda _, finding: finding["status"] == "resolved",
    ),
    Flow(reference.ACCIDENTS_OCCURRED.key, "accidents", "occurred_at", dimensions=(OUTCOME,)),
    Flow(
        reference.ACCIDENT_DEATHS.key,
        "accidents",
        "occurred_at",
        dimensions=PERSON,
        child=lambda accident, _: accident["outcome"] == "death",
    ),
    Flow(
        reference.VICTIMS_WITHOUT_JKK.key,
        "accidents",
        "occurred_at",
        dimensions=(*PERSON, OUTCOME),
        child=lambda _, victim: not victim["has_jkk"],
    ),
    # Social security
    DistinctPersons(
        reference.ACTIVE_MEMBERS.key, "memberships", "started_at", "ended_at", dimensions=(SEX,)
    ),
    Flow(reference.MEMBERSHIPS_STARTED.key, "memberships", "started_at", dimensions=PERSON),
    Flow(reference.CLAIMS_MADE.key, "claims", "claimed_at", dimensions=(PROGRAM,)),
    Flow(
        reference.CLAIMS_AMOUNT_GRANTED.key,
        "claims",
        "claimed_at",
        dimensions=(PROGRAM,),
        summed="amount_idr",
        where=lambda row: row["status"] in ("approved", "paid"),
    ),
)
"""One cube measure per reference measure, with the same key."""

SOURCE_DOMAINS: Mapping[str, tuple[str, str]] = {
    "job_seekers": ("job_market", "registered_at"),
    "vacancies": ("job_market", "posted_at"),
    "placements": ("job_market", "placed_at"),
    "programs": ("training", "start_date"),
    "enrollments": ("training", "enrolled_at"),
    "inspections": ("inspection", "inspected_at"),
    "accidents": ("inspection", "occurred_at"),
    "memberships": ("social_security", "started_at"),
    "claims": ("social_security", "claimed_at"),
}
"""Each projection's domain and the date that places its record in a month: a record of a
region dated in a month counts as that region reporting the domain for the month."""


@cache
def cube_measure(key: str) -> Flow | DistinctPersons:
    """The cube measure of a reference measure's key."""
    return _by_key()[key]


@cache
def _by_key() -> Mapping[str, Flow | DistinctPersons]:
    return {measure.key: measure for measure in CUBE_MEASURES}
