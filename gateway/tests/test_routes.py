"""The route table (pure): every public prefix reaches its service, nothing else does."""

from __future__ import annotations

import pytest
from gateway.metrics import route_label
from gateway.routes import resolve


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/v1/job-market/job-seekers", "job_market"),
        ("/api/v1/job-market/job-seekers/4b1e/history", "job_market"),
        ("/api/v1/training/participants", "training"),
        ("/api/v1/inspection/inspections", "inspection"),
        ("/api/v1/social-security/memberships", "social_security"),
        ("/api/v1/indicators", "aggregation"),
        ("/api/v1/indicators/values", "aggregation"),
    ],
)
def test_public_paths_route_to_their_service(path: str, upstream: str) -> None:
    route = resolve(path)
    assert route is not None
    assert route.upstream == upstream


@pytest.mark.parametrize(
    "path",
    ["/api/v1/job-marketplace", "/api/v1/indicatorsx/values", "/api/v2/job-market/x", "/", ""],
)
def test_paths_outside_the_table_route_nowhere(path: str) -> None:
    assert resolve(path) is None


def test_metric_labels_are_prefixes_and_bounded() -> None:
    assert route_label("/api/v1/job-market/job-seekers/123") == "/api/v1/job-market"
    assert route_label("/oauth/token") == "/oauth/token"
    assert route_label("/wp-admin/install.php") == "unmatched"
