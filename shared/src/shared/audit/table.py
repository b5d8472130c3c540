"""The ``audit_log`` table of a domain database, and what its rows record.

One row per record a request wrote or disclosed: who (``client_id`` and the token's
``regions``), what (``action`` on ``entity`` row ``record_id``, whose region was
``region_code``), under which ``request_id``, when (``at``, the transaction's time). The
request inserts its rows unsealed; the sealer later fills ``chain_pos``, ``prev_hash`` and
``hash``. Migration ``0002_audit`` creates the table with triggers that make it append-only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA

AUDIT_TABLE = "audit_log"
PERSONAL = "audit_personal"
"""Key of ``Table.info``: the tables whose reads are audited (they hold personal data)."""


class Action(enum.StrEnum):
    """What a request did to a record."""

    CREATE = "create"
    """A write that created the record."""
    UPDATE = "update"
    """A write that changed the record (a new revision)."""
    UNCHANGED = "unchanged"
    """A write that repeated the stored record (nothing changed, still recorded)."""
    READ = "read"
    """The record read back by its id."""
    LIST = "list"
    """The record on a listing page."""
    SEARCH = "search"
    """The record found by a search (e.g. by NIK in a POST body)."""
    WITHDRAW = "withdraw"
    """The record withdrawn by its sender (indicators stop counting it)."""


WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.UNCHANGED, Action.WITHDRAW})


def audit_table(metadata: sa.MetaData, *, personal: Iterable[str]) -> sa.Table:
    """Define ``audit_log`` in a service's metadata.

    Every write of every record table is audited; reads only of the ``personal`` tables (the
    tables of records about an identifiable person: a NIK, a name, or a link to them).
    """
    table = sa.Table(
        AUDIT_TABLE,
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("regions", ARRAY(sa.Text), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("entity", sa.Text, nullable=False),
        sa.Column("record_id", sa.Uuid),
        sa.Column("region_code", sa.Text),
        sa.Column("request_id", sa.Text),
        sa.Column("chain_pos", sa.BigInteger),
        sa.Column("prev_hash", BYTEA),
        sa.Column("hash", BYTEA),
        sa.CheckConstraint(
            "(chain_pos IS NULL) = (hash IS NULL) AND (chain_pos IS NULL) = (prev_hash IS NULL)",
            name="ck_audit_log_sealed_together",
        ),
        sa.UniqueConstraint("chain_pos", name="uq_audit_log_chain_pos"),
        sa.Index("ix_audit_log_record", "entity", "record_id", "seq"),
        sa.Index("ix_audit_log_unsealed", "seq", postgresql_where=sa.text("chain_pos IS NULL")),
    )
    table.info[PERSONAL] = frozenset(personal)
    return table


def audit_of(metadata: sa.MetaData) -> sa.Table | None:
    """The ``audit_log`` table of a database's metadata, or None if it keeps no trail."""
    return metadata.tables.get(AUDIT_TABLE)
