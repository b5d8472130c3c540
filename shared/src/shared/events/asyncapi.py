"""The AsyncAPI 3.0 document of the event streams, generated from the event models.

Nothing in it is written by hand: the channels are the domain topics (``shared.events``), the
messages every event type and version, their payload the CloudEvents envelope (structured
mode) with ``data`` the model's JSON Schema, the server and its security the Kafka connection
the platform is configured with (SASL/SCRAM). The gateway serves it at ``/asyncapi.json`` and
as a page at ``/asyncapi``; ``tests/contract/test_asyncapi.py`` validates it with the AsyncAPI
project's own parser.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.dlq import dlq_topic
from shared.events import DOMAINS, EVENT_TYPES, IntegrationEvent
from shared.events.base import EVENT_TYPE_PREFIX
from shared.events.envelope import CONTENT_TYPE

SCHEMA_REF = "#/components/schemas/{model}"


def message_name(event_type: str) -> str:
    """The component name of an event type's message (``job_market.job_seeker.registered.v1``)."""
    return event_type.removeprefix(EVENT_TYPE_PREFIX)


def _channel_name(topic: str) -> str:
    """``sinergi.job-market.v1`` -> ``jobMarket``."""
    words = topic.split(".")[1].split("-")
    return words[0] + "".join(w.title() for w in words[1:])


def _summary(model: type[IntegrationEvent]) -> str:
    doc = (model.__doc__ or "").strip()
    return re.sub(r"\s+", " ", doc.split("\n\n", 1)[0]) if doc else model.event_type


def asyncapi_document(
    *, bootstrap: str, security_protocol: str, sasl_mechanism: str, version: str = "1.0.0"
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document for a broker at ``bootstrap``."""
    models = list(EVENT_TYPES.values())
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMA_REF
    )
    schemas: dict[str, Any] = definitions.get("$defs", {})
    secure = security_protocol == "SASL_SSL"
    scheme = "scramSha512" if sasl_mechanism == "SCRAM-SHA-512" else "scramSha256"

    messages: dict[str, Any] = {}
    for model in models:
        data = refs[(model, "serialization")]
        messages[message_name(model.event_type)] = {
            "name": model.event_type,
            "title": model.__name__,
            "summary": _summary(model),
            "contentType": CONTENT_TYPE,
            "headers": {
                "type": "object",
                "description": "Kafka record headers (CloudEvents Kafka binding, structured)",
                "properties": {"content-type": {"type": "string", "const": CONTENT_TYPE}},
            },
            "payload": _envelope(model, data),
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "format": "uuid",
                        "description": "The entity id: one entity's events stay in order",
                    },
                    "bindingVersion": "0.5.0",
                }
            },
        }

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for domain in DOMAINS:
        name = _channel_name(domain.TOPIC)
        channels[name] = {
            "address": domain.TOPIC,
            "title": domain.TOPIC,
            "description": (domain.__doc__ or "").strip().split("\n\n", 1)[0]
            + f" Records that cannot be applied are set aside on {dlq_topic(domain.TOPIC)}.",
            "messages": {
                message_name(cls.event_type): {
                    "$ref": f"#/components/messages/{message_name(cls.event_type)}"
                }
                for cls in domain.EVENTS
            },
            "bindings": {
                "kafka": {
                    "topic": domain.TOPIC,
                    "topicConfiguration": {"retention.ms": -1},
                    "bindingVersion": "0.5.0",
                }
            },
        }
        operations[f"receive{name[0].upper()}{name[1:]}"] = {
            "action": "receive",
            "title": f"Subscribe to {domain.TOPIC}",
            "summary": "Read the domain's events (a ministry principal, read-only ACLs)",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [
                {"$ref": f"#/channels/{name}/messages/{message_name(cls.event_type)}"}
                for cls in domain.EVENTS
            ],
        }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sinergi events",
            "version": version,
            "description": (
                "The event streams of Sinergi, the national labour-data exchange: one Kafka "
                "topic per domain, one CloudEvents 1.0 JSON document (structured mode) per "
                "record, the entity id as the record key. Types are versioned: a breaking "
                "change is a new ...v2 type beside the old one. No event carries a NIK or a "
                "name; person_ref links a person across domains. Without a Kafka client, the "
                "same events come as server-sent events from the gateway "
                "(GET /api/v1/streams/{domain})."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "sinergi": {
                "host": bootstrap,
                "protocol": "kafka-secure" if secure else "kafka",
                "description": (
                    "The platform's broker: SASL/SCRAM over TLS (SASL_SSL)"
                    if secure
                    else "The platform's broker: SASL/SCRAM without TLS (local; production "
                    "uses SASL_SSL)"
                ),
                "security": [{"$ref": "#/components/securitySchemes/scram"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": {
                "scram": {
                    "type": scheme,
                    "description": "SASL/SCRAM username and password of a Kafka principal; "
                    "ACLs let a ministry principal read the domain topics only, in consumer "
                    "groups named with its prefix",
                }
            },
        },
    }


def _envelope(model: type[IntegrationEvent], data: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvents envelope of ``model``'s events, ``data`` its schema."""
    return {
        "type": "object",
        "description": "A CloudEvents 1.0 event (structured mode, JSON)",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "description": "Unique per event: de-duplicate by it"},
            "source": {"type": "string", "const": model.source},
            "type": {"type": "string", "const": model.event_type},
            "subject": {"type": "string", "format": "uuid", "description": "The entity id"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "region": {
                "type": "string",
                "description": "Extension attribute: the Kemendagri code of the record's "
                "regency (filter on it without parsing data)",
                "examples": ["32.16"],
            },
            "data": data,
        },
    }
