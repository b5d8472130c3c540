"""Finding the records of a person by NIK without putting the NIK in a URL or an answer.

Reads carry no part of the NIK. A system that needs "every job seeker with this NIK" sends the
NIK in the body of a ``POST .../search``; the service turns it into the person's ``person_ref``
(the keyed hash every record about a person carries) and lists the caller's records with it.

A record naming several people (an accident's victims, a layoff's workers) checks, stores and
reads them with ``checked_people``, ``upsert_with_people`` (or ``replace_people``) and
``people_of``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import invalid
from shared.identifiers import NikMismatch, compact_nik, person_ref
from shared.input import STRICT_INPUT, Text
from shared.records import Change, R, upsert_record, utcnow
from shared.regions import registry
from shared.rules import Rules

P = TypeVar("P", bound=BaseModel)


class NikSearch(BaseModel):
    """The body of a search by NIK."""

    model_config = STRICT_INPUT

    nik: Text = Field(min_length=1, max_length=32, description="The 16-digit NIK to look for")


def searched_person_ref(search: NikSearch, *, secret: str) -> str:
    """The ``person_ref`` of the searched NIK, or a 422 when the NIK is malformed."""
    try:
        return person_ref(compact_nik(search.nik, regions=registry()), secret=secret)
    except NikMismatch as exc:
        raise invalid("nik", str(exc)) from exc


# A record naming several people (an accident's victims, a layoff's workers) keeps them in a
# child table, one row per person in the order sent, with the NIK and name encrypted and the
# person_ref beside them. These three helpers are that list's rules, write and read.

PERSON_COLUMNS = ("position", "nik", "full_name", "birth_date", "sex", "person_ref")
"""The stored columns of a listed person (the child table has these and its parent's id)."""


def checked_people(rules: Rules, field: str, *, limit: int) -> list[dict[str, Any]] | None:
    """Position, NIK and ``person_ref`` of each person of the list ``field``; each bad NIK is
    named (``victims.1.nik``), and so is a person listed twice. None when any is bad, and
    (unchecked) when the list is longer than ``limit``: the schema names the list alone."""
    sent = rules.raw(field)
    if not isinstance(sent, list) or len(sent) > limit:
        return None
    checked: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index in range(len(sent)):
        name = f"{field}.{index}.nik"
        person = rules.person(name)
        if person is None:
            continue
        if person.nik in seen:
            rules.add(name, f"the same person is already {field}.{seen[person.nik]}")
            continue
        seen[person.nik] = index
        checked.append({"position": index, "nik": person.nik, "person_ref": person.person_ref})
    return checked if len(checked) == len(sent) else None


def listed_people(checked: Sequence[dict[str, Any]], sent: Sequence[Any]) -> list[dict[str, Any]]:
    """The stored columns of each person: the checks' NIK and ``person_ref`` with the name,
    birth date and sex as sent."""
    return [
        person | {"full_name": s.full_name, "birth_date": s.birth_date, "sex": s.sex}
        for person, s in zip(checked, sent, strict=True)
    ]


async def replace_people(
    session: AsyncSession,
    model: type[Any],
    *,
    parent: str,
    parent_id: uuid.UUID,
    people: Sequence[dict[str, Any]],
) -> bool:
    """Make ``people`` the listed persons of the record ``parent_id`` (``parent``: the child
    table's column naming it); False when they already were, and nothing is written."""
    columns = sa.inspect(model).columns
    stored = await session.scalars(
        sa.select(model).where(columns[parent] == parent_id).order_by(columns.position)
    )
    current = [{name: getattr(p, name) for name in PERSON_COLUMNS} for p in stored]
    if current == list(people):
        return False
    await session.execute(sa.delete(model).where(columns[parent] == parent_id))
    if people:
        await session.execute(sa.insert(model), [{parent: parent_id, **p} for p in people])
    return True


async def people_of(
    session: AsyncSession,
    model: type[Any],
    public: type[P],
    *,
    parent: str,
    parent_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[P]]:
    """The listed persons of each record, as ``public`` (name, birth date and sex; no NIK), in
    the order sent: one query for a whole page of records."""
    columns = sa.inspect(model).columns
    rows = await session.scalars(
        sa.select(model)
        .where(columns[parent].in_(parent_ids))
        .order_by(columns[parent], columns.position)
    )
    found: dict[uuid.UUID, list[P]] = defaultdict(list)
    for row in rows:
        found[getattr(row, parent)].append(
            public(full_name=row.full_name, birth_date=row.birth_date, sex=row.sex)
        )
    return found


async def upsert_with_people(
    session: AsyncSession,
    model: type[R],
    *,
    people_model: type[Any],
    parent: str,
    principal: Principal,
    external_id: str,
    values: dict[str, Any],
    people: Sequence[dict[str, Any]],
) -> tuple[R, Change]:
    """``upsert_record`` of a record naming people, then its people: a change of the people
    alone is a new revision of the record too (no commit)."""
    row, change = await upsert_record(
        session, model, principal=principal, external_id=external_id, values=values
    )
    if await replace_people(session, people_model, parent=parent, parent_id=row.id, people=people):
        if change is Change.UNCHANGED:
            row.revision += 1
            row.updated_at = utcnow()
            change = Change.UPDATED
        await session.flush()
    return row, change
