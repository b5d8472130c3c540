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
            data=self.model_dump(mode="json"),
        )


class RecordWithdrawn(IntegrationEvent):
    """Its sender withdrew a record: readers stop counting it from ``revision`` on.

    Every entity has its own ``<entity>.withdrawn.v1`` type of this shape. A later snapshot of
    the same entity with a higher revision (the record sent again) revives it.
    """

    region_code: str
    withdrawn_at: datetime
