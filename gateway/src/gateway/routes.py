"""The gateway's route table: which upstream service answers which public path.

Services expose their routes at the public paths, so routing is a prefix lookup and the path
is forwarded unchanged. A prefix matches itself and anything below it (``/api/v1/indicators``
and ``/api/v1/indicators/values``), never a longer sibling (``/api/v1/indicators-x``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.services import SERVICES


@dataclass(frozen=True, slots=True)
class Route:
    """Requests whose path starts with ``prefix`` go to ``upstream``."""

    prefix: str
    upstream: str

    def matches(self, path: str) -> bool:
        """Does ``path`` fall under this route's prefix?"""
        return path == self.prefix or path.startswith(self.prefix + "/")


ROUTES: tuple[Route, ...] = tuple(
    Route(prefix, service.name) for service in SERVICES for prefix in service.prefixes
)
"""Every declared service's prefixes (``shared.services``), by its package name."""

UPSTREAMS: tuple[str, ...] = tuple(dict.fromkeys(r.upstream for r in ROUTES))


def resolve(path: str, routes: tuple[Route, ...] = ROUTES) -> Route | None:
    """The route that serves ``path``, or None when no upstream does."""
    return next((route for route in routes if route.matches(path)), None)
