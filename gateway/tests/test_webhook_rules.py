"""Pure rules of webhooks: which endpoints may be called, the retry schedule, matching."""

from __future__ import annotations

import pytest
from gateway.webhooks.rules import (
    RefusedEndpoint,
    check_addresses,
    matches,
    parse_endpoint,
    retry_delay,
)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.go.id/x", "https"),
        ("ftp://hooks.example.go.id/x", "https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@hooks.example.go.id/", "credentials"),
        ("https://hooks.example.go.id/#frag", "fragment"),
        ("https://hooks.example.go.id:99999/", "not a URL"),
        ("https://" + "a" * 2050 + ".id/", "longer"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(RefusedEndpoint, match=why):
        parse_endpoint(url, allow_http=False)


def test_http_is_allowed_only_when_configured() -> None:
    assert parse_endpoint("http://receiver.test:8080/h", allow_http=True).port == 8080
    assert parse_endpoint("https://Hooks.Example.go.id/h", allow_http=False).host == (
        "hooks.example.go.id"
    )


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
     "fe80::1", "fd00::1", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1", "100.64.0.1"],  # noqa: S104
)  # fmt: skip
def test_endpoints_resolving_to_internal_addresses_are_refused(address: str) -> None:
    endpoint = parse_endpoint("https://hooks.example.go.id/", allow_http=False)
    with pytest.raises(RefusedEndpoint):
        check_addresses(endpoint, [address], allowed=(), platform=())


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    endpoint = parse_endpoint("https://hooks.example.go.id/", allow_http=False)
    with pytest.raises(RefusedEndpoint, match="loopback"):
        check_addresses(endpoint, ["1.1.1.1", "8.8.8.8", "127.0.0.1"], allowed=(), platform=())
    check_addresses(endpoint, ["8.8.8.8"], allowed=(), platform=())


def test_configured_hosts_are_allowed_and_the_platform_itself_never_is() -> None:
    local = parse_endpoint("http://127.0.0.1:9999/h", allow_http=True)
    check_addresses(local, ["127.0.0.1"], allowed={"127.0.0.1:9999"}, platform=())
    with pytest.raises(RefusedEndpoint, match="loopback"):
        check_addresses(local, ["127.0.0.1"], allowed={"127.0.0.1:1234"}, platform=())
    service = parse_endpoint("https://gateway.internal:8101/x", allow_http=False)
    with pytest.raises(RefusedEndpoint, match="platform"):
        check_addresses(service, ["8.8.8.8"], allowed=(), platform={"gateway.internal:8101"})
    with pytest.raises(RefusedEndpoint, match="does not resolve"):
        check_addresses(service, [], allowed=(), platform=())


def test_retries_double_up_to_the_longest_delay_with_jitter() -> None:
    delays = [retry_delay(n, first=5, longest=3600, jitter=0) for n in (1, 2, 3, 4, 20)]
    assert delays == [5, 10, 20, 40, 3600]
    spread = {round(retry_delay(3, first=5, longest=3600), 3) for _ in range(50)}
    assert len(spread) > 1 and all(18 <= d <= 22 for d in spread)


def test_matching_by_type_and_region() -> None:
    kind = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"
    assert matches(event_type=kind, region="32.16", types=(), regions=None)
    assert matches(event_type=kind, region="32.16", types=(kind,), regions={"32"})
    assert not matches(event_type=kind, region="33.25", types=(), regions={"32", "32.73"})
    assert not matches(event_type="other.v1", region="32.16", types=(kind,), regions=None)
    assert not matches(event_type=kind, region=None, types=(), regions={"32.16"})
