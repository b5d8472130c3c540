"""The training database: its own SQLAlchemy registry and its outbox."""

from __future__ import annotations

from shared.outbox import outbox_table
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class Base(SQLModel, registry=registry()):
    """Base of the training tables (kept out of SQLModel's global metadata)."""


metadata = Base.metadata
outbox = outbox_table(metadata)
