"""The pure rules of webhook subscriptions: which endpoints may be called (SSRF), when a failed
delivery is tried again, which events a subscription receives."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048


class RefusedEndpoint(ValueError):
    """An endpoint URL the platform will not call; the message says why."""


@dataclass(frozen=True)
class Endpoint:
    """A checked endpoint URL: where it points."""

    url: str
    host: str
    port: int


def parse_endpoint(url: str, *, allow_http: bool) -> Endpoint:
    """Check the URL's form: https (http only when allowed), a host, no credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedEndpoint(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedEndpoint(f"not a URL: {exc}") from exc
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes:
        raise RefusedEndpoint(f"the URL must use {' or '.join(sorted(schemes))}")
    if not parts.hostname:
        raise RefusedEndpoint("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedEndpoint("the URL may not carry credentials")
    if parts.fragment:
        raise RefusedEndpoint("the URL may not have a fragment")
    default = 443 if parts.scheme == "https" else 80
    return Endpoint(url=url, host=parts.hostname.lower(), port=port or default)


def refused_address(address: str) -> str | None:
    """Why an address must not be called (loopback, private, link-local, ...), or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, hit in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
    ):
        if hit:
            return f"{address} is a {reason} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def check_addresses(
    endpoint: Endpoint,
    addresses: Iterable[str],
    *,
    allowed: Collection[str],
    platform: Collection[str],
) -> None:
    """Refuse an endpoint that resolves to a forbidden address or is the platform itself,
    unless its ``host`` or ``host:port`` is ``allowed`` (configured)."""
    names = {endpoint.host, f"{endpoint.host}:{endpoint.port}"}
    if names & set(allowed):
        return
    if names & set(platform):
        raise RefusedEndpoint(f"{endpoint.host} is one of the platform's own hosts")
    found = list(addresses)
    if not found:
        raise RefusedEndpoint(f"{endpoint.host} does not resolve")
    for address in found:
        if f"{address}:{endpoint.port}" in platform:
            raise RefusedEndpoint(f"{endpoint.host} is one of the platform's own hosts")
        reason = refused_address(address)
        if reason is not None:
            raise RefusedEndpoint(reason)


def retry_delay(attempts: int, *, first: float, longest: float, jitter: float = 0.1) -> float:
    """Seconds before the next try after ``attempts`` failed ones: doubling from ``first``
    up to ``longest``, spread by +-``jitter`` so endpoints coming back are not stampeded."""
    base = min(longest, first * 2 ** max(0, attempts - 1))
    return float(base * (1 + random.uniform(-jitter, jitter)))  # noqa: S311 (spread, not secret)


def matches(
    *,
    event_type: str,
    region: str | None,
    types: Collection[str],
    regions: Collection[str] | None,
) -> bool:
    """Whether a subscription (``types``: empty for all; ``regions``: regency or province
    codes, None for all) receives an event of ``event_type`` in ``region``."""
    if types and event_type not in types:
        return False
    if regions is None:
        return True
    return region is not None and (region in regions or region.partition(".")[0] in regions)
