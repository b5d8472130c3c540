"""Transactional outbox: events are written with the row change and published by a relay."""

from shared.outbox.relay import OutboxRelay, wake_relay
from shared.outbox.table import enqueue, outbox_table

__all__ = ["OutboxRelay", "enqueue", "outbox_table", "wake_relay"]
