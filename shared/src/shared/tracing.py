"""Traces with OpenTelemetry: one trace from a request at the gateway to the indicator update.

The hops: the gateway's server span; the service's server span (the gateway passes W3C
``traceparent`` on); the outbox row (the CloudEvent carries the service's context in its
``traceparent`` extension attribute, CloudEvents' distributed-tracing extension); the relay's
producer span (its context goes in the Kafka record's ``traceparent`` header); the
aggregation's consumer span, a child of the record's context.

Off by default: ``configure_tracing`` installs an exporter only when the standard variables
ask for one (``OTEL_TRACES_EXPORTER=otlp`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``..._TRACES_ENDPOINT``; ``OTEL_SERVICE_NAME`` overrides the process's name). Without one the
API's no-op tracer makes every span free, and incoming trace context still passes through.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

TRACEPARENT = "traceparent"
tracer = trace.get_tracer("sinergi")
_configured = False


def configure_tracing(service: str) -> bool:
    """Export this process's spans if ``OTEL_*`` asks for it (once per process); whether an
    exporter was installed."""
    global _configured
    wanted = os.environ.get("OTEL_TRACES_EXPORTER", "").lower()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if _configured or wanted == "none" or not (wanted == "otlp" or endpoint):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def inject(carrier: MutableMapping[str, str]) -> None:
    """Put the current trace context (``traceparent``) into ``carrier`` (headers)."""
    propagate.inject(carrier)


def current_traceparent() -> str | None:
    """The current context as a W3C ``traceparent`` value, or None outside a trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


@contextmanager
def span_from(
    name: str,
    carrier: Mapping[str, str] | None,
    *,
    kind: SpanKind,
    attributes: Mapping[str, str] | None = None,
) -> Iterator[Span]:
    """A span continuing the trace of ``carrier`` (headers or ``{"traceparent": ...}``), made
    current for its duration."""
    parent = propagate.extract(dict(carrier or {}))
    token = otel_context.attach(parent)
    try:
        with tracer.start_as_current_span(name, kind=kind, attributes=dict(attributes or {})) as s:
            yield s
    finally:
        otel_context.detach(token)


def trace_id() -> str | None:
    """The current trace id (32 hex digits), for log lines; None outside a recorded trace."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
