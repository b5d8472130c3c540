"""``python -m <service>.audit verify|seal``: check or extend a service's audit chain.

``verify`` exits 0 when every sealed row is present, linked and unedited and no row waited
for its seal longer than the grace period; 1 naming the first bad position otherwise; 2 when
it cannot run (bad arguments, database unreachable). The database is the service's
(``SINERGI_DATABASE_URL``, as the service reads it) unless ``--database-url`` names another.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from sqlalchemy import exc as sa_exc

from shared.audit.chain import Verdict, seal_all, verify
from shared.db import create_engine
from shared.settings import Settings

EXIT_INTACT, EXIT_BROKEN, EXIT_CANNOT_RUN = 0, 1, 2


def _head(text: str) -> tuple[int, bytes]:
    position, _, digest = text.partition(":")
    try:
        return int(position), bytes.fromhex(digest)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected POSITION:HEXHASH") from exc


def _parser(service: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {service}.audit", description=f"The audit trail of {service}."
    )
    parser.add_argument("--database-url", help="default: SINERGI_DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="walk the hash chain; exit 1 if broken")
    check.add_argument(
        "--grace-seconds",
        type=float,
        default=60.0,
        help="longest a row may wait for its seal (default 60)",
    )
    check.add_argument(
        "--head",
        type=_head,
        metavar="POS:HASH",
        help="a head printed by an earlier verify: the chain must still hold it",
    )
    commands.add_parser("seal", help="seal every committed row now")
    return parser


def _report(service: str, verdict: Verdict) -> str:
    summary = (
        f"{verdict.sealed} sealed row(s), head position {verdict.head_position}"
        f" hash {verdict.head_hash.hex()}; {verdict.unsealed} unsealed"
    )
    if verdict.intact:
        return f"audit trail of {service} intact: {summary}\n"
    where = f" at position {verdict.broken_at}" if verdict.broken_at is not None else ""
    lines = [f"audit trail of {service} BROKEN{where}: {summary}", *verdict.problems]
    return "\n  ".join(lines) + "\n"


async def _run(service: str, args: argparse.Namespace) -> int:
    # Only the URL: the command must not need the service's other secrets to run.
    default = Settings.model_fields["database_url"].default
    url = args.database_url or os.environ.get("SINERGI_DATABASE_URL") or default
    engine = create_engine(url, pool_size=1)
    try:
        if args.command == "seal":
            sealed = await seal_all(engine)
            sys.stdout.write(f"sealed {sealed} audit row(s) of {service}\n")
            return EXIT_INTACT
        async with engine.connect() as conn:
            verdict = await verify(conn, grace_seconds=args.grace_seconds, head=args.head)
        (sys.stdout if verdict.intact else sys.stderr).write(_report(service, verdict))
        return EXIT_INTACT if verdict.intact else EXIT_BROKEN
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None, *, service: str) -> int:
    """Run the audit command line of ``service`` (its package name, e.g. ``job_market``)."""
    args = _parser(service).parse_args(argv)
    try:
        return asyncio.run(_run(service, args))
    except (sa_exc.DBAPIError, OSError) as exc:
        # The kind of failure only: a driver message may quote the connection URL.
        kind = type(getattr(exc, "orig", None) or exc).__name__
        sys.stderr.write(f"cannot read the {service} audit trail: {kind}\n")
        return EXIT_CANNOT_RUN
