"""The tamper-evident audit trail of a domain database: who wrote or read which record.

``table`` defines ``audit_log``; ``trail`` records a request's accesses in its own
transaction; ``chain`` seals the rows into a SHA-256 hash chain and verifies it; ``router``
lets an officer list a record's trail; ``cli`` is ``python -m <service>.audit verify``.
"""

from shared.audit.cli import main
from shared.audit.table import Action, audit_table

__all__ = ["Action", "audit_table", "main"]
