"""``python -m gateway.console.users``: manage the people who sign in to the web console.

``add --username petugas-1207 --role regional_officer --regions 12.07 --full-name "..."``
registers a person and prints a generated password once (``--password`` sets one instead);
``list`` shows every account (never a password); ``deactivate`` / ``activate`` stop and restore
signing in (sessions end with the account).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Sequence

import sqlalchemy as sa
from shared.db import create_engine, session_factory

from gateway.clients import InvalidClient
from gateway.console.accounts import Account, upsert_user
from gateway.console.roles import ROLES
from gateway.models import console_sessions, users
from gateway.settings import GatewaySettings


def _account_json(account: Account) -> dict[str, object]:
    return {
        "username": account.username,
        "full_name": account.full_name,
        "role": account.role,
        "regions": list(account.regions),
    }


async def _run(args: argparse.Namespace) -> int:
    engine = create_engine(args.database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            if args.command == "add":
                password = args.password or secrets.token_urlsafe(12)
                account = await upsert_user(
                    session,
                    username=args.username,
                    password=password,
                    full_name=args.full_name,
                    role=args.role,
                    regions=[r for r in args.regions.split(",") if r.strip()],
                )
                shown = {**_account_json(account)}
                if not args.password:
                    shown["password"] = password
                    sys.stderr.write("Give the password to its owner now: it is not kept.\n")
                sys.stdout.write(json.dumps(shown, indent=2) + "\n")
                return 0
            if args.command == "list":
                rows = (await session.execute(sa.select(users).order_by(users.c.username))).all()
                listed = [
                    {**_account_json(Account.from_row(r._mapping)), "active": r.active}
                    for r in rows
                ]
                sys.stdout.write(json.dumps(listed, indent=2) + "\n")
                return 0
            active = args.command == "activate"
            changed = await session.scalar(
                sa.update(users)
                .where(users.c.username == args.username)
                .values(active=active)
                .returning(users.c.username)
            )
            if not active:
                await session.execute(
                    sa.delete(console_sessions).where(console_sessions.c.username == args.username)
                )
            await session.commit()
            if changed is None:
                sys.stderr.write(f"no account {args.username!r}\n")
                return 1
            return 0
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m gateway.console.users", description="Manage the console's people."
    )
    parser.add_argument("--database-url", help="the gateway database (SINERGI_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="register a person (or replace their account)")
    add.add_argument("--username", required=True)
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--regions", required=True, help="comma-separated regency codes, or '*'")
    add.add_argument("--password", help="default: a generated one, printed once")
    commands.add_parser("list", help="list the accounts (never passwords)")
    for command in ("deactivate", "activate"):
        commands.add_parser(command, help=f"{command} an account").add_argument("username")
    args = parser.parse_args(argv)
    if args.database_url is None:
        args.database_url = GatewaySettings().database_url
    try:
        return asyncio.run(_run(args))
    except InvalidClient as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
