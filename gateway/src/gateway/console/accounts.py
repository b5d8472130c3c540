"""People's accounts: registration, password check, sessions.

Passwords are stored as Argon2id hashes (the same hasher as client secrets); an unknown or
inactive username costs the same hash check as a wrong password. A session is a random token
in an HttpOnly cookie; the database keeps its SHA-256, the person it belongs to, when it ends,
and the CSRF token every form of the session must carry.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from shared.auth import Principal
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clients import InvalidClient, decoy_hash, hash_secret, normalise_regions, verify_secret
from gateway.console.roles import ROLE_SCOPES, ROLES, Role
from gateway.models import console_sessions, users

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Account:
    """A person who may sign in, without the password hash."""

    username: str
    full_name: str
    role: Role
    regions: tuple[str, ...]

    @property
    def scopes(self) -> tuple[str, ...]:
        """The role's scopes."""
        return ROLE_SCOPES[self.role]

    @property
    def national(self) -> bool:
        """Whether the person acts for every region."""
        return self.regions == ("*",)

    def principal(self) -> Principal:
        """The person as the API sees a caller (``user:<username>``)."""
        return Principal(
            client_id=f"user:{self.username}",
            scopes=frozenset(self.scopes),
            regions=frozenset(self.regions),
        )

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> Account:
        """Build from a ``users`` row."""
        return cls(
            username=row["username"],
            full_name=row["full_name"],
            role=row["role"],
            regions=tuple(row["regions"]),
        )


def well_formed_username(username: str) -> bool:
    """Could ``username`` be an account's (lower-case letters, digits, ``.``, ``_``, ``-``)?"""
    return _USERNAME.fullmatch(username) is not None


async def upsert_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    regions: Iterable[str],
) -> Account:
    """Create or replace an account (its password too), and commit."""
    if not well_formed_username(username):
        raise InvalidClient("username", "3-64 lower-case letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidClient("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    if role not in ROLES:
        raise InvalidClient("role", f"one of {', '.join(ROLES)}")
    values = {
        "username": username,
        "password_hash": await asyncio.to_thread(hash_secret, password),
        "full_name": full_name,
        "role": role,
        "regions": normalise_regions(regions),
        "active": True,
    }
    stmt = insert(users).values(**values)
    row = (
        (
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[users.c.username],
                    set_={**{k: stmt.excluded[k] for k in values}, "updated_at": sa.func.now()},
                ).returning(users)
            )
        )
        .mappings()
        .one()
    )
    await session.commit()
    return Account.from_row(row)


async def authenticate_user(
    session: AsyncSession, *, username: str, password: str
) -> Account | None:
    """The active account ``username`` if ``password`` is its password, else None."""
    row = (
        (await session.execute(sa.select(users).where(users.c.username == username)))
        .mappings()
        .first()
        if well_formed_username(username)
        else None
    )
    usable = row is not None and row["active"]
    stored: str = row["password_hash"] if row is not None and usable else decoy_hash()
    matches = await asyncio.to_thread(verify_secret, stored, password)
    if row is None or not usable or not matches:
        return None
    return Account.from_row(row)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in session: its person and its CSRF token."""

    account: Account
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, *, account: Account, lifetime: timedelta
) -> tuple[str, ConsoleSession]:
    """Start a session for ``account``: the cookie's token and the session (committed)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await session.execute(
        sa.insert(console_sessions).values(
            token_hash=_digest(token),
            username=account.username,
            csrf_token=csrf,
            expires_at=datetime.now(UTC) + lifetime,
        )
    )
    # Ended sessions of anyone are removed as new ones start.
    await session.execute(
        sa.delete(console_sessions).where(console_sessions.c.expires_at < sa.func.now())
    )
    await session.commit()
    return token, ConsoleSession(account=account, csrf_token=csrf)


async def find_session(session: AsyncSession, *, token: str) -> ConsoleSession | None:
    """The live session of a cookie token (its account still active), or None."""
    if not token or len(token) > 128:
        return None
    row = (
        (
            await session.execute(
                sa.select(users, console_sessions.c.csrf_token)
                .join(console_sessions, console_sessions.c.username == users.c.username)
                .where(
                    console_sessions.c.token_hash == _digest(token),
                    console_sessions.c.expires_at > sa.func.now(),
                    users.c.active.is_(True),
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return ConsoleSession(account=Account.from_row(row), csrf_token=row["csrf_token"])


async def close_session(session: AsyncSession, *, token: str) -> None:
    """End the session of a cookie token (signing out), and commit."""
    await session.execute(
        sa.delete(console_sessions).where(console_sessions.c.token_hash == _digest(token))
    )
    await session.commit()
