"""Integration events: the CloudEvents envelope and the versioned event models per domain.

One topic per domain service (``shared.services``), its events in ``shared.events.<package>``;
``EVENT_TYPES`` maps every CloudEvent ``type`` to its model, and
``TOPIC_SOURCES`` every domain topic to the CloudEvent ``source`` of the one service that may
write it (the broker's ACLs enforce who writes; ``origin_problem`` checks what they claim).
"""

import importlib
from types import ModuleType

from shared.events.base import IntegrationEvent
from shared.events.envelope import CloudEvent
from shared.services import DOMAIN_SERVICES

DOMAINS: tuple[ModuleType, ...] = tuple(
    importlib.import_module(service.events_module) for service in DOMAIN_SERVICES
)
"""Each domain service's event module (``shared.events.<package>``), in ``SERVICES`` order."""

TOPICS: tuple[str, ...] = tuple(service.topic for service in DOMAIN_SERVICES)

EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    cls.event_type: cls for module in DOMAINS for cls in module.EVENTS
}

TOPIC_SOURCES: dict[str, str] = {service.topic: service.source for service in DOMAIN_SERVICES}


def origin_problem(topic: str, event: CloudEvent) -> str | None:
    """Why ``event`` cannot come from the service it claims, or None when its origin fits.

    On a domain topic the ``source`` must be that topic's owner; a known ``type`` must carry
    the source of the domain that defines it. (A topic outside the catalogue, such as a test's
    own, is judged by the type alone.)
    """
    owner = TOPIC_SOURCES.get(topic)
    claimed = event.source[:100]
    if owner is not None and event.source != owner:
        return f"source {claimed!r} does not own topic {topic!r} (owner {owner!r})"
    declared = EVENT_TYPES.get(event.type)
    if declared is not None and event.source != declared.source:
        return f"type {event.type[:100]!r} is not published by source {claimed!r}"
    return None


__all__ = [
    "DOMAINS",
    "EVENT_TYPES",
    "TOPICS",
    "TOPIC_SOURCES",
    "CloudEvent",
    "IntegrationEvent",
    "origin_problem",
]
