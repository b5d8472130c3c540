"""Rule checks of a request body, reported together with its schema errors in one 422.

Schema validation (pydantic) and rule checks (a NIK that agrees with the birth date, a known
regency, a reference to a record that exists in the caller's regions) find different mistakes;
an integrator with three mistakes in one accident report should hear of all three at once.
FastAPI solves an endpoint's dependencies before it validates the body, so each write endpoint
declares its rules as a dependency (:func:`checked_by`): the rules read the raw JSON body
(skipping values whose type the schema will refuse anyway), collect every problem, and leave
them on ``request.state``; the 422 handler in :mod:`shared.errors` merges them with the schema's.
When the schema passes, the endpoint takes the rules' findings from :class:`Checked`, which
raises the rule problems instead when there are any.
"""

# No "from __future__ import annotations": checked_by builds a dependency whose annotation
# holds a value (the caller dependency) that FastAPI must see evaluated.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.db import SessionDep
from shared.errors import FieldError, ProblemError, field_error, validation_problem
from shared.identifiers import NikMismatch, Sex, check_nik, compact_nik, person_ref
from shared.input import clean_text
from shared.regions import registry

T = TypeVar("T")

_SEXES: dict[str, Sex] = {"M": "M", "F": "F"}

RULE_ERRORS = "rule_errors"
"""The ``request.state`` attribute holding the rule problems of the request body."""


@dataclass
class Rules:
    """The rule checks of one request body: read raw values, collect problems."""

    body: Any
    principal: Principal
    session: AsyncSession
    person_ref_secret: str
    errors: list[FieldError] = field(default_factory=list)

    def raw(self, name: str) -> Any:
        """The raw JSON value at a dotted path (``victims.0.nik``), or None when absent."""
        value = self.body
        for part in name.split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return value

    def text(self, name: str) -> str | None:
        """The raw value at ``name`` if it is a clean string (else the schema reports it)."""
        value = self.raw(name)
        if not isinstance(value, str):
            return None
        try:
            return clean_text(value)
        except ValueError:
            return None

    def date(self, name: str) -> date | None:
        """The raw value at ``name`` if it is an ISO date string."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            return None

    def add(self, name: str, detail: str) -> None:
        """Record a problem with the field ``name``."""
        self.errors.append(field_error(name, detail))

    def region(self, name: str = "region_code") -> str | None:
        """The canonical regency code at ``name``; 403 when the caller may not write there."""
        code = self.text(name)
        if code is None:
            return None
        canonical = registry().normalise_regency(code)
        if canonical is None:
            self.add(name, f"unknown regency code {code!r} (Kemendagri form, e.g. 32.16)")
            return None
        allow_region(self.principal, canonical, field=name)
        return canonical

    def nik(self, name: str = "nik") -> str | None:
        """The compact NIK at ``name``, agreeing with the birth date and sex beside it.

        The birth date and sex are the fields next to the NIK (``victims.0.birth_date`` for
        ``victims.0.nik``); a disagreement names the field that disagrees.
        """
        nik = self.text(name)
        if nik is None:
            return None
        parent, _, _ = name.rpartition(".")
        sibling = (parent + ".") if parent else ""
        birth_date, sex = (
            self.date(sibling + "birth_date"),
            _SEXES.get(self.text(sibling + "sex") or ""),
        )
        try:
            if birth_date is not None and sex is not None:
                return check_nik(nik, birth_date=birth_date, sex=sex, regions=registry())
            return compact_nik(nik, regions=registry())
        except NikMismatch as exc:
            self.add(name if exc.field == "nik" else sibling + exc.field, str(exc))
            return None

    async def own(self, model: type[T], name: str, *, what: str, lock: bool = False) -> T | None:
        """The caller's current (not withdrawn) record of ``model`` whose ``external_id`` is
        at ``name`` (a program an enrolment names, ...): none is a problem naming ``name``; one
        outside the caller's regions is a 403. With ``lock``, the row stays locked until the
        commit (a concurrent correction of it then waits for this write)."""
        external_id = self.text(name)
        if external_id is None:
            return None
        columns = sa.inspect(model).columns
        statement = sa.select(model).where(
            columns.source_client == self.principal.client_id,
            columns.external_id == external_id,
            columns.withdrawn_at.is_(None),
        )
        if lock:
            statement = statement.with_for_update()
        row: T | None = await self.session.scalar(statement)
        if row is None:
            self.add(name, f"this client has no {what} {external_id!r}")
            return None
        region = getattr(row, "region_code", None)
        if region is not None:
            allow_region(self.principal, region, field=name)
        return row

    def person(self, name: str = "nik") -> "Person | None":
        """The person whose NIK is at ``name`` (see :meth:`nik`), with their ``person_ref``."""
        nik = self.nik(name)
        if nik is None:
            return None
        return Person(nik=nik, person_ref=person_ref(nik, secret=self.person_ref_secret))


@dataclass(frozen=True, slots=True)
class Person:
    """A checked NIK and the keyed hash that links its person across services."""

    nik: str
    person_ref: str


async def check_region(rules: Rules) -> str | None:
    """The rule of a record that names only its regency: a known one, of the caller's."""
    return rules.region()


def allow_region(principal: Principal, region_code: str, *, field: str | None = None) -> None:
    """403 unless the caller may write records of ``region_code`` (naming ``field``, the
    field that holds it, so an import's conflict says which column is at fault)."""
    if not principal.allows_region(region_code):
        detail = f"this client may not write records of region {region_code}"
        errors = [field_error(field, detail)] if field else []
        raise ProblemError(403, detail, kind="forbidden", errors=errors)


@dataclass(frozen=True)
class Checked(Generic[T]):
    """What the rules found; ``value`` raises their 422 when they found problems."""

    findings: T | None
    errors: tuple[FieldError, ...]

    @property
    def value(self) -> T:
        """The findings of rules that all passed (else the 422 listing every problem)."""
        if self.errors:
            raise validation_problem(self.errors)
        if self.findings is None:  # only when the schema refused the body, answered before
            raise ProblemError(422, "the record could not be checked", kind="validation")
        return self.findings


Check = Callable[[Rules], Awaitable[T | None]]


def checked_by(check: Check[T], *, caller: Any) -> Any:
    """A dependency running ``check`` on the raw body for the principal ``caller`` resolves.

    ``caller`` is the endpoint's own principal dependency (``Depends(RequireScope(...))``), so
    the token is checked once.
    """

    async def dependency(
        request: Request, principal: Annotated[Principal, caller], session: SessionDep
    ) -> Checked[T]:
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # the body's own 4xx comes from FastAPI
            body = None
        rules = Rules(
            body=body,
            principal=principal,
            session=session,
            person_ref_secret=request.app.state.settings.person_ref_secret,
        )
        findings = await check(rules)
        setattr(request.state, RULE_ERRORS, rules.errors)
        return Checked(findings=findings, errors=tuple(rules.errors))

    return Depends(dependency)
