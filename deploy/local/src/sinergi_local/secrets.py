"""Generated passwords of one installation, one file each under a secrets folder.

``SecretStore(path).get("kafka/job-market")`` returns the password in ``<path>/kafka/job-market``,
creating it (32 random URL-safe characters, mode 0600) on first use, so every later run and
every process of the installation reads the same one. An environment variable
``SINERGI_SECRET_<NAME>`` (the name upper-cased, ``/`` and ``-`` as ``_``; e.g.
``SINERGI_SECRET_KAFKA_JOB_MARKET``) wins over the file: deployments whose passwords live
elsewhere (docker-compose's ``.env``) hand them in that way, and nothing is written then.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SecretStore", "env_name"]

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*")


def env_name(name: str) -> str:
    """The environment variable that may hold secret ``name``."""
    return "SINERGI_SECRET_" + re.sub(r"[/-]", "_", name).upper()


class SecretStore:
    """Passwords by name, generated on first use and kept in files."""

    def __init__(self, root: Path, *, environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self._environ = os.environ if environ is None else environ

    def path(self, name: str) -> Path:
        """The file that keeps secret ``name``."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid secret name {name!r}")
        return self.root / name

    def get(self, name: str) -> str:
        """The secret ``name``: from its environment variable, else its file (made if absent)."""
        given = self._environ.get(env_name(name))
        if given:
            return given
        path = self.path(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written aside, then linked into place: a concurrent reader never sees a half
            # written file, and of two concurrent creators the first one's secret wins.
            staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(24))
            try:
                os.link(staging, path)
            except FileExistsError:
                pass
            finally:
                staging.unlink()
        return path.read_text().strip()
