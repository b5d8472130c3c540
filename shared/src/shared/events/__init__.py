"""Integration events: the CloudEvents envelope and the versioned event models per domain."""

from shared.events import job_market
from shared.events.base import IntegrationEvent
from shared.events.envelope import CloudEvent

EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    cls.event_type: cls for module in (job_market,) for cls in module.EVENTS
}

__all__ = ["EVENT_TYPES", "CloudEvent", "IntegrationEvent"]
