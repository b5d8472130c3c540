"""Pure rules of the event streams: resume tokens, the hub's window, the envelope reading."""

from __future__ import annotations

import json

import pytest
from aiokafka.structs import ConsumerRecord
from gateway.streams.hub import Record, TopicHub, to_record
from gateway.streams.positions import Positions
from shared.kafka import KafkaAccess


def test_a_token_round_trips_and_names_every_partition() -> None:
    positions = Positions({2: 9, 0: 1532, 1: 0})
    assert positions.token() == "0:1532,1:0,2:9"
    assert Positions.parse(positions.token(), 3) == positions


def test_a_partition_the_token_leaves_out_starts_at_the_beginning() -> None:
    assert Positions.parse("1:40", 3) == {0: 0, 1: 40, 2: 0}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "0:1,,1:2",
        "0:-1",
        "-1:0",
        "0:01",
        "3:0",
        "0:1,0:2",
        "0:1;1:2",
        "0:" + "9" * 20,
    ],
)
def test_malformed_or_foreign_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        Positions.parse(token, 3)


def test_positions_cover_a_floor_only_when_at_or_past_it_in_every_partition() -> None:
    floor = {0: 10, 1: 5}
    assert Positions({0: 10, 1: 7}).covers(floor)
    assert not Positions({0: 9, 1: 70}).covers(floor)


def _record(partition: int, offset: int) -> Record:
    return Record(partition, offset, "t", "32.16", "{}")


def test_the_window_keeps_the_newest_records_and_raises_its_floor_as_it_drops() -> None:
    hub = TopicHub(
        kafka=KafkaAccess(bootstrap="-", username="-", password="-"), topic="t", buffer=3
    )
    hub.floor = Positions({0: 0, 1: 0})
    for partition, offset in [(0, 0), (1, 0), (0, 1), (1, 1)]:
        hub._append(_record(partition, offset))
    # (0, 0) fell out: partition 0 is held from offset 1 on, partition 1 from 0.
    assert hub.floor == {0: 1, 1: 0}
    assert hub.window_start == 1 and hub.last_seq == 4
    records, reachable = hub.after(hub.window_start)
    assert reachable and [(r.partition, r.offset) for _, r in records] == [(1, 0), (0, 1), (1, 1)]
    assert hub.after(3) == ([(4, _record(1, 1))], True)
    # A reader still before the window must read from Kafka.
    assert hub.after(0) == ([], False)


def _consumer_record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="t", partition=0, offset=5, timestamp=0, timestamp_type=0, key=b"k",
        value=value, checksum=None, serialized_key_size=1, serialized_value_size=len(value),
        headers=(),
    )  # fmt: skip


def test_type_and_region_come_from_the_envelope_and_older_events_from_their_data() -> None:
    current = {"type": "x.v1", "region": "32.16", "data": {"region_code": "99.99"}}
    older = {"type": "x.v1", "data": {"region_code": "33.25"}}
    regions = [to_record(_consumer_record(json.dumps(e).encode())) for e in (current, older)]
    assert [r.region if r else None for r in regions] == ["32.16", "33.25"]


@pytest.mark.parametrize("value", [b"", b"not json", b"[1]", b'{"type": 5}', b'{"data": {}}'])
def test_a_record_that_is_not_a_cloudevent_is_skipped(value: bytes) -> None:
    assert to_record(_consumer_record(value)) is None


def test_a_value_spanning_lines_is_sent_on_one_line() -> None:
    pretty = json.dumps({"type": "x.v1", "region": "32.16", "data": {}}, indent=2).encode()
    record = to_record(_consumer_record(pretty))
    assert record is not None and "\n" not in record.value
    assert json.loads(record.value)["type"] == "x.v1"
