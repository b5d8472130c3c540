"""Base of the versioned integration events.

Every event type is a frozen pydantic model with a class-level ``event_type`` (``...v1``) and
``topic``. A breaking change is a new class with a new version, never an edit. Consumers are
tolerant readers: unknown fields are ignored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import CloudEvent

EVENT_TYPE_PREFIX = "id.go.kemnaker.sinergi."


class IntegrationEvent(BaseModel):
    """Data of a CloudEvent; subclasses set ``event_type``, ``topic`` and ``source``.

    ``id`` is the entity's id (the Kafka key); ``revision`` grows by one with every change of
    the entity, so a reader can ignore a snapshot older than the one it holds.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    source: ClassVar[str]

    id: uuid.UUID
    revision: int

    def subject(self) -> str:
        """The entity id: the Kafka key and the CloudEvent subject."""
        return str(self.id)

    def to_cloudevent(self) -> CloudEvent:
        """Wrap this event in its envelope."""
        return CloudEvent(
            source=self.source,
            type=self.event_type,
            subject=self.subject(),
            region=getattr(self, "region_code", None),
            data=self.model_dump(mode="json"),
        )


class RecordWithdrawn(IntegrationEvent):
    """Its sender withdrew a record: readers stop counting it from ``revision`` on.

    Every entity has its own ``<entity>.withdrawn.v1`` type of this shape. A later snapshot of
    the same entity with a higher revision (the record sent again) revives it.
    """

    region_code: str
    withdrawn_at: datetime


class ReportingPeriodState(IntegrationEvent):
    """A region's reporting period of one domain: closed (``completed_at`` set: the region
    says it has sent everything of that month) or open again (``completed_at`` None).

    Every domain has its own ``reporting_period.updated.v1`` type of this shape; the entity
    id is the same for a region, month and domain every time (``reporting_period_id``), and
    each close or reopen is a newer revision of it.
    """

    region_code: str
    period: str
    completed_at: datetime | None


def reporting_period_id(domain: str, region_code: str, period: str) -> uuid.UUID:
    """The stable id of a region's reporting period ``YYYY-MM`` of ``domain``."""
    return uuid.uuid5(_REPORTING_NAMESPACE, f"{domain}/{region_code}/{period}")


_REPORTING_NAMESPACE = uuid.UUID("8f1d6a0e-3c1b-4b9e-9a55-0d2f5e7c4a11")
