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


APPEND_ONLY_GUARD: tuple[str, ...] = (
    """
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.chain_pos IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.chain_pos IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.seq, NEW.at, NEW.client_id, NEW.regions, NEW.action, NEW.entity,
            NEW.record_id, NEW.region_code, NEW.request_id)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.at, OLD.client_id, OLD.regions, OLD.action, OLD.entity,
            OLD.record_id, OLD.region_code, OLD.request_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()",
)
"""The statements making ``audit_log`` append-only (a migration step of every domain database
created after the first four, whose own ``0002_audit_trail`` migrations hold the same SQL): no
DELETE, no TRUNCATE, and the only UPDATE allowed is the sealing of an unsealed row with every
logged column unchanged."""

APPEND_ONLY_GUARD_REMOVAL: tuple[str, ...] = (
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DROP FUNCTION audit_log_guard()",
)
"""The reverse of ``APPEND_ONLY_GUARD``."""
