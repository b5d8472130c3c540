"""Integration events: the CloudEvents envelope and the versioned event models per domain.

One topic per domain; ``EVENT_TYPES`` maps every CloudEvent ``type`` to its model.
"""

from shared.events import inspection, job_market, social_security, training
from shared.events.base import IntegrationEvent
from shared.events.envelope import CloudEvent

DOMAINS = (job_market, training, inspection, social_security)

TOPICS: tuple[str, ...] = tuple(module.TOPIC for module in DOMAINS)

EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    cls.event_type: cls for module in DOMAINS for cls in module.EVENTS
}

__all__ = ["DOMAINS", "EVENT_TYPES", "TOPICS", "CloudEvent", "IntegrationEvent"]
