"""Personal data encrypted at rest: NIKs and names in each domain database (AES-256-GCM).

Columns typed :class:`EncryptedText` hold ``<key id>:<base64url(nonce | ciphertext | tag)>``;
the application encrypts on write and decrypts on read, so a copy of the database (a backup, a
replica, a dump on a laptop) shows no NIK and no name. The column's purpose (``nik``,
``full_name``) is authenticated with each value, so ciphertexts cannot be moved between
columns. Equality lookups never touch these columns: they go through ``person_ref``.

Keys come from ``SINERGI_DATA_KEYS``: ``<id>:<base64 of 32 bytes>`` entries separated by
commas, the first one encrypting, all of them decrypting. Rotation (see the README):

1. prepend a new key (``k2:...,k1:...``) and restart the services: new writes use ``k2``;
2. ``python -m shared.crypto reencrypt <service>`` rewrites every value under the new key;
3. drop ``k1`` from the setting and restart.

``python -m shared.crypto new-key <id>`` prints a fresh entry.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class DataKeyError(ValueError):
    """A key ring setting that cannot be used."""


@dataclass(frozen=True)
class Keyring:
    """The data keys of a process: the first encrypts, every one decrypts."""

    keys: tuple[tuple[str, bytes], ...]
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One cipher per key, its key schedule computed once (not per value).
        object.__setattr__(self, "_ciphers", {key_id: AESGCM(key) for key_id, key in self.keys})

    @classmethod
    def parse(cls, setting: str) -> Keyring:
        """Read ``<id>:<base64 key>[,<id>:<base64 key>...]``."""
        keys: list[tuple[str, bytes]] = []
        for entry in (e.strip() for e in setting.split(",") if e.strip()):
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id.isalnum():
                raise DataKeyError("each data key is <id>:<base64 key>, the id letters and digits")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise DataKeyError(f"data key {key_id} is not base64") from exc
            if len(key) != 32:
                raise DataKeyError(f"data key {key_id} must be 32 bytes (AES-256)")
            keys.append((key_id, key))
        if not keys:
            raise DataKeyError("SINERGI_DATA_KEYS holds no key")
        if len({k for k, _ in keys}) != len(keys):
            raise DataKeyError("two data keys share an id")
        return cls(tuple(keys))

    @property
    def current_id(self) -> str:
        """The id of the key new values are encrypted with."""
        return self.keys[0][0]

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        """``plaintext`` encrypted under the current key, bound to ``purpose``."""
        key_id = self.keys[0][0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())
        return key_id + ":" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, *, purpose: str) -> str:
        """The plaintext of a stored value (any key of the ring)."""
        key_id, _, encoded = stored.partition(":")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise LookupError(f"no data key {key_id!r} in SINERGI_DATA_KEYS")
        raw = base64.urlsafe_b64decode(encoded)
        try:
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode())
        except InvalidTag as exc:
            raise ValueError(f"a stored {purpose} failed authentication") from exc
        return plain.decode("utf-8")


_keyring: Keyring | None = None


def use_keyring(keyring: Keyring) -> None:
    """Make ``keyring`` the one this process encrypts and decrypts with (app start-up)."""
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    """This process's key ring (installed by the service's app factory)."""
    if _keyring is None:
        raise RuntimeError("no data keys installed: call shared.crypto.use_keyring first")
    return _keyring


class EncryptedText(sa.types.TypeDecorator[str]):
    """A text column stored encrypted; Python sees the plaintext."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else keyring().encrypt(value, purpose=self.purpose)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else keyring().decrypt(value, purpose=self.purpose)


def encrypted_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every encrypted column of a database's tables."""
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


async def reencrypt(database_url: str, metadata: sa.MetaData, *, batch: int = 1000) -> int:
    """Rewrite every encrypted value under the current key; return how many rows changed."""
    from shared.db import create_engine

    engine = create_engine(database_url, pool_size=1, statement_timeout_ms=0)
    changed = 0
    try:
        found = encrypted_columns(metadata)
        for table in dict.fromkeys(t for t, _ in found):
            columns = [c for t, c in found if t is table]
            key = list(table.primary_key.columns)
            prefix = keyring().current_id + ":"
            async with engine.begin() as conn:
                stale = sa.or_(
                    *(
                        sa.and_(
                            sa.type_coerce(c, sa.Text).is_not(None),
                            sa.not_(sa.type_coerce(c, sa.Text).startswith(prefix)),
                        )
                        for c in columns
                    )
                )
                while True:
                    rows = (
                        await conn.execute(
                            sa.select(*key, *columns).where(stale).limit(batch).with_for_update()
                        )
                    ).all()
                    for row in rows:
                        mapping = row._mapping
                        await conn.execute(
                            table.update()
                            .where(*(k == mapping[k.name] for k in key))
                            .values({c.name: mapping[c.name] for c in columns})
                        )
                    changed += len(rows)
                    if len(rows) < batch:
                        break
    finally:
        await engine.dispose()
    return changed


_CIPHERTEXT = r"^[A-Za-z0-9]+:[A-Za-z0-9_=-]+$"


def encrypt_plaintext_rows(
    connection: sa.Connection, *, table: str, key: str, purposes: dict[str, str]
) -> int:
    """Encrypt the values of ``purposes``' columns still stored in clear (a migration step).

    ``key`` is an SQL expression identifying a row (``id``, or a composite key as text).

    Uses the key ring of ``SINERGI_DATA_KEYS`` (the development key when unset); returns how
    many rows were rewritten.
    """
    from shared.settings import Settings

    ring = Keyring.parse(Settings().data_keys)
    columns = ", ".join(purposes)
    clear = " OR ".join(f"({c} IS NOT NULL AND {c} !~ :pattern)" for c in purposes)
    rows = connection.execute(
        sa.text(f"SELECT {key} AS row_key, {columns} FROM {table} WHERE {clear}"),  # noqa: S608
        {"pattern": _CIPHERTEXT},
    ).all()
    assignments = ", ".join(f"{c} = :{c}" for c in purposes)
    for row in rows:
        values = {
            c: None if row._mapping[c] is None else ring.encrypt(row._mapping[c], purpose=p)
            for c, p in purposes.items()
        }
        connection.execute(
            sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"),  # noqa: S608
            {**values, "key": row._mapping["row_key"]},
        )
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``new-key <id>`` or ``reencrypt <service>`` (e.g. ``job_market``)."""
    parser = argparse.ArgumentParser(prog="python -m shared.crypto", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    new_key = commands.add_parser("new-key", help="print a fresh SINERGI_DATA_KEYS entry")
    new_key.add_argument("key_id")
    again = commands.add_parser("reencrypt", help="rewrite a service's data under the new key")
    again.add_argument("service", help="the service package, e.g. job_market")
    args = parser.parse_args(argv)
    if args.command == "new-key":
        print(f"{args.key_id}:{base64.b64encode(os.urandom(32)).decode()}")  # noqa: T201
        return 0
    from shared.settings import Settings

    settings = Settings()
    use_keyring(Keyring.parse(settings.data_keys))
    metadata: sa.MetaData = importlib.import_module(f"{args.service}.schema").metadata
    count = asyncio.run(reencrypt(settings.database_url, metadata))
    print(f"re-encrypted {count} rows with key {keyring().current_id}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
