"""The gateway database: the registry of API clients (regional systems, ministry services) and
of the people who use the web console, their sessions, and the rate-limit state all gateway
replicas share.

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

# Webhook subscriptions (gateway.webhooks): an endpoint of a client for a domain's events.
webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Text, nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    # CloudEvents types; empty: every type of the domain.
    sa.Column("types", ARRAY(sa.Text), nullable=False),
    # Regency or province codes; NULL: every region (a national client's default).
    sa.Column("regions", ARRAY(sa.Text)),
    # The Standard Webhooks signing secret, encrypted with the platform's data keys.
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    # Since when every delivery has failed (NULL: the last one succeeded).
    sa.Column("failing_since", sa.DateTime(timezone=True)),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# One row per event to deliver to a subscription; ``seq`` orders an entity's deliveries.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
    sa.Column(
        "subscription_id",
        sa.Uuid,
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index("ix_webhook_deliveries_entity", "subscription_id", "entity", "seq"),
)


# People who sign in to the web console (gateway.console): an Argon2id password hash, a role
# that gives their scopes (gateway.console.roles), and the regions they act for.
users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("regions", ARRAY(sa.Text), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Signed-in sessions of the console: the cookie holds a random token, this table its SHA-256
# (a stolen database gives no usable cookie) and the session's CSRF token.
console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column(
        "username",
        sa.Text,
        sa.ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
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
