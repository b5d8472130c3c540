"""The gateway database: the registry of API clients (regional systems, ministry services)
and the rate-limit state all gateway replicas share.

Only an Argon2id hash of each client secret is stored; the clear secret is shown once when
the client is created and never again. The rate-limit tables are UNLOGGED: a counter is
worthless after a crash, and no WAL is written on every API request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

metadata = sa.MetaData()

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # Kemendagri regency codes ("32.16"), or ["*"] for a national client.
    sa.Column("regions", ARRAY(sa.Text), nullable=False),
    sa.Column("scopes", ARRAY(sa.Text), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Fixed windows of ``limits`` (gateway.limit_storage): hits of a key until expires_at.
rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("hits", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    prefixes=["UNLOGGED"],
)

# Moving windows of ``limits``: the time of each entry still inside the key's window.
rate_limit_entries = sa.Table(
    "rate_limit_entries",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("entries", ARRAY(sa.DateTime(timezone=True)), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    prefixes=["UNLOGGED"],
)


@dataclass(frozen=True, slots=True)
class Client:
    """A registered API client, without its secret hash."""

    client_id: str
    name: str
    regions: tuple[str, ...]
    scopes: tuple[str, ...]
    active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> Client:
        """Build from a ``clients`` row."""
        return cls(
            client_id=row["client_id"],
            name=row["name"],
            regions=tuple(row["regions"]),
            scopes=tuple(row["scopes"]),
            active=row["active"],
            created_at=row["created_at"],
        )
