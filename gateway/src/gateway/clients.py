"""The client registry's rules: registering, updating and authenticating API clients, and
the operators' command line.

A client is a regional system (one Disnaker), a ministry service or BPJS. Its secret is
hashed with Argon2id (argon2-cffi's defaults, the RFC 9106 low-memory profile); the clear
secret exists only in the answer to the call that created it.

Command line (the database comes from ``SINERGI_DATABASE_URL`` or ``--database-url``)::

    python -m gateway.clients add --name "Disnaker Kab. Bekasi" --regions 32.16 \\
        --scopes job-market:read,job-market:write,indicators:read
    python -m gateway.clients list
    python -m gateway.clients rotate-secret <client_id>
    python -m gateway.clients deactivate <client_id>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from shared.auth import ALL_REGIONS
from shared.db import create_engine, session_factory
from shared.regions import registry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import Client, clients
from gateway.scopes import SCOPES, unknown_scopes
from gateway.settings import GatewaySettings

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
MIN_SECRET_LENGTH = 16


class InvalidClient(ValueError):
    """A client definition the registry refuses, naming the offending field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    """A client together with its clear secret, returned only when the secret is made."""

    client: Client
    client_secret: str


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def decoy_hash() -> str:
    """A hash of a random secret, checked when there is no stored hash to check."""
    # Verified against when the client is unknown or inactive, so that a wrong client id
    # costs as much time as a wrong secret and does not reveal which ids exist.
    return _hasher().hash(secrets.token_urlsafe(32))


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches its stored Argon2id hash."""
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def generate_secret() -> str:
    """A new random client secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The Argon2id hash stored for ``secret``."""
    return _hasher().hash(secret)


def normalise_regions(regions: Iterable[str]) -> list[str]:
    """Canonical regency codes (``3216`` becomes ``32.16``), or ``["*"]`` for every region."""
    given = [r.strip() for r in regions if r.strip()]
    if not given:
        raise InvalidClient("regions", "at least one region (or *) is required")
    if ALL_REGIONS in given:
        if len(given) > 1:
            raise InvalidClient("regions", "* (every region) cannot be combined with codes")
        return [ALL_REGIONS]
    known = registry()
    result: list[str] = []
    for code in given:
        canonical = known.normalise_regency(code)
        if canonical is None:
            raise InvalidClient("regions", f"{code!r} is not a known Kemendagri regency code")
        if canonical not in result:
            result.append(canonical)
    return result


def normalise_scopes(scopes: Iterable[str]) -> list[str]:
    """The distinct scopes, in the platform's order; unknown ones are refused."""
    given = [s.strip() for s in scopes if s.strip()]
    if not given:
        raise InvalidClient("scopes", "at least one scope is required")
    unknown = unknown_scopes(given)
    if unknown:
        raise InvalidClient(
            "scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}"
        )
    return [s for s in SCOPES if s in given]


def well_formed_client_id(client_id: str) -> bool:
    """Could ``client_id`` be a registered client's id (the registry's format)?"""
    return _CLIENT_ID.fullmatch(client_id) is not None


def _check_client_id(client_id: str) -> str:
    if not _CLIENT_ID.match(client_id):
        raise InvalidClient(
            "client_id", "3 to 64 characters: letters, digits, '.', '_' or '-' (not first)"
        )
    return client_id


def _check_name(name: str) -> str:
    if not name.strip():
        raise InvalidClient("name", "a name is required")
    return name.strip()


def _new_client_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "client"
    return f"{slug}-{secrets.token_hex(4)}"


async def get_client(session: AsyncSession, *, client_id: str) -> Client | None:
    """The client registered as ``client_id``, active or not."""
    row = (
        (await session.execute(sa.select(clients).where(clients.c.client_id == client_id)))
        .mappings()
        .first()
    )
    return None if row is None else Client.from_row(row)


async def list_clients(session: AsyncSession) -> list[Client]:
    """Every registered client, by client id."""
    rows = (await session.execute(sa.select(clients).order_by(clients.c.client_id))).mappings()
    return [Client.from_row(row) for row in rows]


async def register_client(
    session: AsyncSession,
    *,
    name: str,
    regions: Iterable[str],
    scopes: Iterable[str],
    client_id: str | None = None,
) -> IssuedCredentials:
    """Create a new client with a generated secret; an existing ``client_id`` is refused."""
    name = _check_name(name)
    region_list, scope_list = normalise_regions(regions), normalise_scopes(scopes)
    client_id = _check_client_id(client_id) if client_id else _new_client_id(name)
    secret = generate_secret()
    secret_hash = await asyncio.to_thread(hash_secret, secret)
    row = (
        (
            await session.execute(
                insert(clients)
                .values(
                    client_id=client_id,
                    secret_hash=secret_hash,
                    name=name,
                    regions=region_list,
                    scopes=scope_list,
                )
                .on_conflict_do_nothing(index_elements=[clients.c.client_id])
                .returning(clients)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        await session.rollback()
        raise InvalidClient("client_id", f"{client_id!r} is already registered")
    await session.commit()
    return IssuedCredentials(client=Client.from_row(row), client_secret=secret)


async def upsert_client(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    name: str,
    regions: Iterable[str],
    scopes: Iterable[str],
    active: bool = True,
) -> Client:
    """Create or update the client ``client_id`` so it matches exactly these values."""
    _check_client_id(client_id)
    name = _check_name(name)
    region_list, scope_list = normalise_regions(regions), normalise_scopes(scopes)
    if len(client_secret) < MIN_SECRET_LENGTH:
        raise InvalidClient("client_secret", f"at least {MIN_SECRET_LENGTH} characters")
    current = (
        await session.execute(
            sa.select(clients.c.secret_hash).where(clients.c.client_id == client_id)
        )
    ).scalar_one_or_none()
    # Re-running with the same secret keeps the stored hash: the call stays idempotent.
    if current is not None and await asyncio.to_thread(verify_secret, current, client_secret):
        secret_hash = current
    else:
        secret_hash = await asyncio.to_thread(hash_secret, client_secret)
    values = {
        "secret_hash": secret_hash,
        "name": name,
        "regions": region_list,
        "scopes": scope_list,
        "active": active,
    }
    statement = (
        insert(clients)
        .values(client_id=client_id, **values)
        .on_conflict_do_update(
            index_elements=[clients.c.client_id], set_={**values, "updated_at": sa.func.now()}
        )
        .returning(clients)
    )
    row = (await session.execute(statement)).mappings().one()
    await session.commit()
    return Client.from_row(row)


async def rotate_secret(session: AsyncSession, *, client_id: str) -> IssuedCredentials | None:
    """Give ``client_id`` a new generated secret; the old one stops working at once."""
    secret = generate_secret()
    secret_hash = await asyncio.to_thread(hash_secret, secret)
    row = (
        (
            await session.execute(
                sa.update(clients)
                .where(clients.c.client_id == client_id)
                .values(secret_hash=secret_hash, updated_at=sa.func.now())
                .returning(clients)
            )
        )
        .mappings()
        .first()
    )
    await session.commit()
    return None if row is None else IssuedCredentials(Client.from_row(row), secret)


async def set_active(session: AsyncSession, *, client_id: str, active: bool) -> Client | None:
    """Allow or stop token issuance for ``client_id`` (tokens already issued run out)."""
    row = (
        (
            await session.execute(
                sa.update(clients)
                .where(clients.c.client_id == client_id)
                .values(active=active, updated_at=sa.func.now())
                .returning(clients)
            )
        )
        .mappings()
        .first()
    )
    await session.commit()
    return None if row is None else Client.from_row(row)


async def authenticate(session: AsyncSession, *, client_id: str, secret: str) -> Client | None:
    """The active client ``client_id`` if ``secret`` is its secret, else None."""
    # An id the registry could not hold (NUL, other characters, too long) is not looked up,
    # but still costs a hash check: it answers like any other unknown client.
    row = (
        (await session.execute(sa.select(clients).where(clients.c.client_id == client_id)))
        .mappings()
        .first()
        if well_formed_client_id(client_id)
        else None
    )
    usable = row is not None and row["active"]
    stored: str = row["secret_hash"] if row is not None and usable else decoy_hash()
    matches = await asyncio.to_thread(verify_secret, stored, secret)
    if row is None or not usable or not matches:
        return None
    if _hasher().check_needs_rehash(stored):
        # Hash parameters were raised since this secret was stored: upgrade it now that the
        # clear secret is at hand.
        new_hash = await asyncio.to_thread(hash_secret, secret)
        await session.execute(
            sa.update(clients).where(clients.c.client_id == client_id).values(secret_hash=new_hash)
        )
        await session.commit()
    return Client.from_row(row)


# --- command line -------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [part for part in (p.strip() for p in value.split(",")) if part]


def _client_json(client: Client) -> dict[str, object]:
    data = asdict(client)
    data["regions"], data["scopes"] = list(client.regions), list(client.scopes)
    data["created_at"] = client.created_at.isoformat()
    return data


def _write(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


async def _run(args: argparse.Namespace, database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            if args.command == "add":
                issued = await register_client(
                    session,
                    name=args.name,
                    regions=_split(args.regions),
                    scopes=_split(args.scopes),
                    client_id=args.client_id,
                )
                _write({**_client_json(issued.client), "client_secret": issued.client_secret})
                sys.stderr.write(
                    "Store client_secret now: it is not kept and cannot be shown again.\n"
                )
                return 0
            if args.command == "list":
                _write([_client_json(c) for c in await list_clients(session)])
                return 0
            if args.command == "rotate-secret":
                rotated = await rotate_secret(session, client_id=args.client_id)
                if rotated is None:
                    sys.stderr.write(f"no client {args.client_id!r}\n")
                    return 1
                _write({**_client_json(rotated.client), "client_secret": rotated.client_secret})
                return 0
            changed = await set_active(
                session, client_id=args.client_id, active=args.command == "activate"
            )
            if changed is None:
                sys.stderr.write(f"no client {args.client_id!r}\n")
                return 1
            _write(_client_json(changed))
            return 0
    finally:
        await engine.dispose()


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url", help="the gateway database (default: SINERGI_DATABASE_URL)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m gateway.clients", description="Manage the gateway's API clients."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser(
        "add", parents=[common], help="register a client and print its secret once"
    )
    add.add_argument("--name", required=True, help="who the client is, e.g. 'Disnaker Kab. Bekasi'")
    add.add_argument(
        "--regions", required=True, help="comma-separated Kemendagri regency codes, or '*'"
    )
    add.add_argument("--scopes", required=True, help=f"comma-separated, of: {','.join(SCOPES)}")
    add.add_argument("--client-id", help="default: derived from the name plus a random suffix")
    commands.add_parser("list", parents=[common], help="list clients (never secrets)")
    for command, text in (
        ("rotate-secret", "replace a client's secret and print the new one once"),
        ("deactivate", "stop issuing tokens to a client"),
        ("activate", "issue tokens to a client again"),
    ):
        sub = commands.add_parser(command, parents=[common], help=text)
        sub.add_argument("client_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.database_url is None:
        args.database_url = GatewaySettings().database_url
    try:
        return asyncio.run(_run(args, args.database_url))
    except InvalidClient as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
