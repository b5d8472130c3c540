"""CloudEvents 1.0 envelope, Kafka protocol binding in structured mode.

The Kafka record value is the whole CloudEvent as JSON (``application/cloudevents+json``) and
the record key is the entity id, so one entity's events keep their order on one partition.
Structured mode lets a ministry consumer read one self-describing JSON document per record.

Extension attribute ``region``: the Kemendagri code of the regency the record belongs to (the
``region_code`` of ``data``), so a subscriber or a bridge can filter by region without parsing
``data``. Extension attribute ``traceparent`` (distributed tracing): the W3C trace context of
the request that wrote the record (``shared.tracing``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with JSON ``data``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    region: str | None = Field(
        default=None,
        description="Extension attribute: the Kemendagri code of the record's regency",
        examples=["32.16"],
    )
    traceparent: str | None = Field(
        default=None,
        description="Extension attribute (CloudEvents distributed tracing): the W3C trace "
        "context of the request that made the change",
    )
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        """The Kafka record value."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        """Parse a Kafka record value."""
        return cls.model_validate_json(raw)


def kafka_headers() -> list[tuple[str, bytes]]:
    """Headers of a structured-mode record."""
    return [("content-type", CONTENT_TYPE.encode())]
