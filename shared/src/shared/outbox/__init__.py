"""Transactional outbox: events are written with the row change and published by a relay."""

from shared.outbox.relay import OutboxRelay, wake_relay
from shared.outbox.table import enqueue, enqueue_all, outbox_row, outbox_table

__all__ = ["OutboxRelay", "enqueue", "enqueue_all", "outbox_row", "outbox_table", "wake_relay"]
