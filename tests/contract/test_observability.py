"""The operators' alert rules and dashboard (deploy/observability) name metrics the platform
exposes, and the rules say how urgent they are and what to do.

(``make lint`` also runs Prometheus' own ``promtool check rules`` on them; its first build takes
too long for ``make test``, which checks the rules' structure, metric names and brackets here.)
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml
from gateway.metrics import GatewayMetrics

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
# The modules whose import registers the processes' metrics in the default registry.
MODULES = (
    "shared.service",
    "shared.inbox",
    "shared.outbox.relay",
    "shared.imports.worker",
    "shared.audit.chain",
)
NAME = re.compile(r"\bsinergi_[a-z0-9_]+")
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
    "summary": ("_count", "_sum", ""),
}


def _exposed() -> set[str]:
    """Every series name the platform's processes expose."""
    for module in MODULES:
        importlib.import_module(module)
    names: set[str] = set()
    for registry in (prometheus_client.REGISTRY, GatewayMetrics().registry):
        for family in registry.collect():
            names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> Iterator[str]:
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield target["expr"]


def _balanced(expr: str) -> bool:
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in expr:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r["alert"])
def test_each_alert_is_complete_and_names_exposed_metrics(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"Sinergi[A-Za-z]+", rule["alert"])
    assert rule["labels"]["severity"] in ("page", "ticket")
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert _balanced(rule["expr"]), rule["expr"]
    names = set(NAME.findall(rule["expr"]))
    assert names and names <= _exposed(), names - _exposed()


def test_the_dashboard_plots_exposed_metrics_only() -> None:
    exprs = list(_dashboard_exprs())
    assert len(exprs) >= 10
    for expr in exprs:
        assert _balanced(expr), expr
        names = set(NAME.findall(expr))
        assert names and names <= _exposed(), names - _exposed()


def test_the_operators_signals_each_have_an_alert() -> None:
    watched = {name for rule in _rules() for name in NAME.findall(rule["expr"])}
    for signal in (
        "sinergi_outbox_oldest_age_seconds",
        "sinergi_consumer_lag",
        "sinergi_dlq_records",
        "sinergi_http_requests_total",
    ):
        assert signal in watched, signal
