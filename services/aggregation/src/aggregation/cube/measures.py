"""The cube's measures: for every read-time measure (``indicators.measures``, the reference),
how a projection row contributes to it and by which dimensions it can be broken down."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from aggregation.cube.cells import (
    AGE_BAND,
    AGREEMENT_KIND,
    DISABILITY,
    DISPUTE_TYPE,
    EDUCATION,
    KBLI_SECTION,
    LAYOFF_REASON,
    MECHANISM,
    OUTCOME,
    PROGRAM,
    PROGRAM_KIND,
    SETTLEMENT,
    SEX,
    CubeMeasure,
    DistinctPersons,
    Flow,
    MonthEndSum,
    Row,
)
from aggregation.indicators import measures as reference


def _completed(row: Row) -> bool:
    return bool(row["status"] == "completed")


PERSON = (SEX, AGE_BAND)


def _settled(row: Row) -> bool:
    return row["status"] in ("settled", "decided")


def _link(name: str) -> Callable[[Row, Row], bool]:
    """A child row counts when the aggregation's link column ``name`` is true (``links``)."""
    return lambda _, child: bool(child[name])


CUBE_MEASURES: tuple[CubeMeasure, ...] = (
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
    # Industrial relations
    Flow(reference.LAYOFFS_REPORTED.key, "layoffs", "effective_at", dimensions=(LAYOFF_REASON,)),
    Flow(
        reference.WORKERS_LAID_OFF.key,
        "layoffs",
        "effective_at",
        dimensions=(*PERSON, LAYOFF_REASON),
        child=lambda _, worker: True,
    ),
    Flow(
        reference.LAID_OFF_REGISTERED.key,
        "layoffs",
        "effective_at",
        dimensions=(*PERSON, LAYOFF_REASON),
        child=_link("registered_within_3_months"),
    ),
    Flow(
        reference.LAID_OFF_CLAIMED_JKP.key,
        "layoffs",
        "effective_at",
        dimensions=(*PERSON, LAYOFF_REASON),
        child=_link("jkp_claim_within_6_months"),
    ),
    Flow(
        reference.LAID_OFF_REEMPLOYED.key,
        "layoffs",
        "effective_at",
        dimensions=(*PERSON, LAYOFF_REASON),
        child=_link("reemployed_within_6_months"),
    ),
    Flow(
        reference.DISPUTES_REGISTERED.key,
        "disputes",
        "registered_at",
        dimensions=(DISPUTE_TYPE,),
    ),
    Flow(
        reference.DISPUTES_SETTLED.key,
        "disputes",
        "settled_at",
        dimensions=(DISPUTE_TYPE, SETTLEMENT),
        where=_settled,
    ),
    Flow(
        reference.DISPUTES_SETTLED_JOINT.key,
        "disputes",
        "settled_at",
        dimensions=(DISPUTE_TYPE,),
        where=lambda row: _settled(row) and row["settlement"] == "joint_agreement",
    ),
    MonthEndSum(
        reference.AGREEMENT_WORKERS.key,
        "agreements",
        "valid_from",
        summed="workers_covered",
        end_column="valid_until",
        dimensions=(AGREEMENT_KIND,),
    ),
    MonthEndSum(reference.UNION_MEMBERS.key, "unions", "registered_at", summed="members"),
    # Employment-expansion programs
    Flow(
        reference.PROGRAM_BENEFICIARIES.key,
        "program_beneficiaries",
        "joined_at",
        dimensions=(*PERSON, PROGRAM_KIND),
    ),
    Flow(
        reference.BENEFICIARIES_REGISTERED.key,
        "program_beneficiaries",
        "joined_at",
        dimensions=(*PERSON, PROGRAM_KIND),
        where=lambda row: bool(row["registered_job_seeker"]),
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
    "employment_programs": ("job_market", "start_date"),
    "program_beneficiaries": ("job_market", "joined_at"),
    "layoffs": ("industrial_relations", "reported_at"),
    "disputes": ("industrial_relations", "registered_at"),
    "agreements": ("industrial_relations", "registered_at"),
    "unions": ("industrial_relations", "registered_at"),
}
"""Each projection's domain and the date that places its record in a month: a record of a
region dated in a month counts as that region reporting the domain for the month."""


@cache
def cube_measure(key: str) -> CubeMeasure:
    """The cube measure of a reference measure's key."""
    return _by_key()[key]


@cache
def _by_key() -> Mapping[str, CubeMeasure]:
    return {measure.key: measure for measure in CUBE_MEASURES}
