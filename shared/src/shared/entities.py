"""The declaration of one kind of pushed record, read by every generic mechanism.

A domain service declares each of its entities once (in the entity's router module): its
collection path, input model, table, rule check and upsert. Import jobs, their templates and
their per-record validation are built from that declaration, so every entity of every domain
gets them without a copy per entity, and a single write and an imported record go through the
same rules and the same upsert.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.events.base import IntegrationEvent, RecordWithdrawn
from shared.records import Change, RecordFields, WriteResult
from shared.rules import Check

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)


class Upsert(Protocol[C_contra]):
    """Write one checked record (no commit): the service function behind ``POST``."""

    def __call__(
        self, session: AsyncSession, *, principal: Principal, data: Any, checks: C_contra
    ) -> Awaitable[WriteResult]: ...


class AfterWithdrawal(Protocol):
    """The follow-up of a withdrawal on other records (a placement's job seeker, ...)."""

    def __call__(
        self, session: AsyncSession, *, principal: Principal, row: Any
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Flat(Generic[C_contra]):
    """How a record whose write is its row and its event alone is written (no child rows, no
    other record changed when it is created): import jobs then insert new records set-based."""

    values: Callable[[Any, C_contra], dict[str, Any]]
    """The row values of a checked record (``data``, the checks' findings), without the key."""
    event: Callable[[Any, Change], IntegrationEvent]
    """The event of a written row (any object with the row's attributes)."""


@dataclass(frozen=True)
class Entity(Generic[C]):
    """One kind of record a region pushes (job seekers, accidents, ...)."""

    domain: str
    """The domain's path segment and scope prefix (``job-market``)."""
    collection: str
    """The collection's path segment (``job-seekers``)."""
    model: type[BaseModel]
    """The strict input model of one record."""
    table: type[RecordFields]
    """The table the records are stored in."""
    check: Check[C]
    """The rule checks of one record (``shared.rules``)."""
    upsert: Upsert[C]
    """The write of one record that passed its checks."""
    withdrawn: type[RecordWithdrawn]
    """The event published when the sender withdraws a record (``<entity>.withdrawn.v1``)."""
    example: Mapping[str, Any]
    """A realistic record (the example row of the import templates; NIKs as a placeholder)."""
    key: str = "external_id"
    """The field that identifies a record of the caller (companies: ``nib``)."""
    flat: Flat[C] | None = None
    """Set when the record's write is ``flat``: its new records are imported set-based."""
    after_withdrawal: AfterWithdrawal | None = None
    """What else changes when a record is withdrawn (in the same transaction)."""

    @property
    def name(self) -> str:
        """The entity's name in import jobs (``job-seekers``)."""
        return self.collection

    @property
    def id_name(self) -> str:
        """The path parameter naming one record (``job_seeker_id``), from its event types."""
        return self.withdrawn.event_type.rsplit(".", 3)[-3] + "_id"

    @property
    def path(self) -> str:
        """The collection's public path (``/api/v1/job-market/job-seekers``)."""
        return f"/api/v1/{self.domain}/{self.collection}"

    @property
    def read_scope(self) -> str:
        """The scope that may read the records (``job-market:read``)."""
        return f"{self.domain}:read"

    @property
    def write_scope(self) -> str:
        """The scope that may write the records (``job-market:write``)."""
        return f"{self.domain}:write"


EXAMPLE_NIK = "isi NIK"
"""The templates' placeholder for a NIK: a template never carries NIK digits."""
