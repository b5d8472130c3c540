"""Vacancy rules: upsert by external_id and publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from shared.auth import Principal
from shared.events.job_market import VacancyPostedV1, VacancyUpdatedV1
from shared.listing import Listing
from shared.records import (
    Change,
    Page,
    WriteResult,
    get_visible,
    matching,
    page,
    write_record,
)
from sqlalchemy.ext.asyncio import AsyncSession

from job_market.db import outbox
from job_market.vacancies.models import Vacancy, VacancyCreate, VacancyPublic


def vacancy_values(data: VacancyCreate, checks: str) -> dict[str, Any]:
    """The row values of a vacancy in the checked regency ``checks`` (without ``external_id``)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def vacancy_event(row: Any, change: Change) -> VacancyPostedV1 | VacancyUpdatedV1:
    """The event of a written vacancy."""
    cls = VacancyPostedV1 if change is Change.CREATED else VacancyUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        region_code=row.region_code,
        employer_nib=row.employer_nib,
        kbli_code=row.kbli_code,
        occupation_code=row.occupation_code,
        positions=row.positions,
        posted_at=row.posted_at,
        closes_at=row.closes_at,
        min_education=row.min_education,
        status=row.status,
    )


async def upsert_vacancy(
    session: AsyncSession, *, principal: Principal, data: VacancyCreate, checks: str
) -> WriteResult:
    """Post or correct a vacancy in the checked regency ``checks``: the row and its event (the
    caller commits)."""
    row, change = await write_record(
        session,
        Vacancy,
        principal=principal,
        external_id=data.external_id,
        values=vacancy_values(data, checks),
        outbox=outbox,
        event=vacancy_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_vacancy(
    session: AsyncSession, *, principal: Principal, vacancy_id: uuid.UUID
) -> Vacancy | None:
    """A vacancy of the caller's regions, or None."""
    return await get_visible(session, Vacancy, principal=principal, record_id=vacancy_id)


async def list_vacancies(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    status: str | None,
) -> Page[VacancyPublic]:
    """Vacancies of the caller's regions, in the sync order."""
    return await page(
        session,
        Vacancy,
        listing=listing,
        principal=principal,
        where=[
            *matching(Vacancy, status=status),
        ],
        convert=VacancyPublic.model_validate,
    )
