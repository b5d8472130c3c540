"""Event contracts: every type round-trips as a CloudEvent, is versioned, carries no NIK/name."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel
from shared.events import DOMAINS, EVENT_TYPES, TOPICS, CloudEvent, IntegrationEvent
from shared.events.compat import example_payload
from shared.services import DOMAIN_SERVICES

PERSONAL = {"nik", "full_name", "name", "birth_date", "kpj_number", "address"}


def _models(model: type[BaseModel]) -> typing.Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for arg in typing.get_args(field.annotation) or (field.annotation,):
            for inner in typing.get_args(arg) or (arg,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from _models(inner)


def test_each_domain_has_one_versioned_topic_and_unique_types() -> None:
    assert len(set(TOPICS)) == len(DOMAINS) == len(DOMAIN_SERVICES)
    assert all(topic.startswith("sinergi.") and topic.endswith(".v1") for topic in TOPICS)
    for module in DOMAINS:
        for cls in module.EVENTS:
            assert cls.topic == module.TOPIC
            assert cls.event_type.startswith("id.go.kemnaker.sinergi.")
            assert re.fullmatch(r"v[1-9][0-9]*", cls.event_type.rsplit(".", 1)[1])
    assert len(EVENT_TYPES) == sum(len(m.EVENTS) for m in DOMAINS)


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_no_event_carries_a_nik_or_a_name(cls: type[IntegrationEvent]) -> None:
    for model in _models(cls):
        assert not PERSONAL & set(model.model_fields), model
    if any("person" in name for name in cls.model_fields):
        assert "person_ref" in cls.model_fields


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_every_event_round_trips_through_its_cloudevent(cls: type[IntegrationEvent]) -> None:
    event = cls.model_validate(example_payload(cls))
    envelope = CloudEvent.from_bytes(event.to_cloudevent().to_bytes())
    assert envelope.specversion == "1.0"
    assert envelope.type == cls.event_type and envelope.subject == str(event.id)
    assert EVENT_TYPES[envelope.type].model_validate(envelope.data) == event


def test_readers_ignore_fields_they_do_not_know() -> None:
    cls = next(iter(EVENT_TYPES.values()))
    data = example_payload(cls) | {"added_in_a_later_minor_change": 1}
    assert cls.model_validate(data) == cls.model_validate(example_payload(cls))


def test_placement_v1_events_still_parse_beside_v2() -> None:
    from shared.events.job_market import PlacementRecordedV1, PlacementRecordedV2

    snapshot = {
        "id": "6f1c2c1e-5d3b-4a1e-9d6b-2f8c9a0b1c2d",
        "revision": 1,
        "region_code": "32.16",
        "person_ref": "a" * 64,
        "job_seeker_id": "0b8f1c3a-2e4d-4f6a-8b9c-1d2e3f4a5b6c",
        "vacancy_id": None,
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKL",
    }
    assert PlacementRecordedV1.model_validate(snapshot).job_seeker_id is not None
    assert (
        PlacementRecordedV2.model_validate(snapshot | {"job_seeker_id": None}).job_seeker_id is None
    )
