"""A real single-node Apache Kafka broker (KRaft, combined broker+controller), without Docker.

These machines have no Docker and cannot reach the Apache download site, but Maven Central is
reachable: `ensure_kafka_libs` assembles the broker's classpath from `deploy/kafka/pom.xml`
once per version into a cache directory, and `KafkaBroker` formats a data directory and runs
`kafka.Kafka` from that classpath as a child process. `ensure_topics` creates topics through
the Kafka admin protocol (aiokafka), as the services' own clients would see them.

Nobody connects anonymously. The client listener speaks SASL_PLAINTEXT with SCRAM-SHA-512
(loopback only; production brokers use SASL_SSL); the controller listener authenticates the
broker itself with SASL PLAIN (a static credential in the broker's config, since the controller
must authenticate before any SCRAM credential is loaded). The StandardAuthorizer denies what no
ACL allows (``allow.everyone.if.no.acl.found=false``); the super user ``admin`` is the broker's
own identity and the set-up's. The admin's SCRAM credential is written at format time; every
``start`` then makes the broker's other SCRAM users and ACLs exactly ``users`` and ``grants``
(``provision``, through ``deploy/kafka/KafkaAccess.java``: aiokafka has no Admin API for them).

Typical use::

    libs = ensure_kafka_libs(Path(".local/cache"))
    broker = KafkaBroker(data_dir=..., libs_dir=libs, port=19092, controller_port=19093,
                         log_path=..., admin_password=..., users={"app": "..."},
                         grants=[KafkaGrant("app", "TOPIC", "jobs.events", ("WRITE",))])
    broker.start()
    await ensure_topics(broker.admin, ["jobs.events"])
    producer = make_producer(broker.access("app"), client_id="app")
    ...
    broker.stop()
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from shared.kafka import KafkaAccess, make_admin

__all__ = [
    "ADMIN_USER",
    "CLUSTER",
    "KAFKA_DEPLOY_DIR",
    "KAFKA_VERSION",
    "SASL_MECHANISM",
    "KafkaBroker",
    "KafkaGrant",
    "ensure_kafka_libs",
    "client_properties",
    "ensure_topics",
]

# Must match <kafka.version> in deploy/kafka/pom.xml; it is also passed to Maven as
# -Dkafka.version, so this constant is what actually gets downloaded and names the cache dir.
KAFKA_VERSION = "4.1.1"

# deploy/kafka, located from this file: kafka.py -> sinergi_local -> src -> local -> deploy.
# The workspace installs sinergi-local editable, so the source tree is always beside it.
KAFKA_DEPLOY_DIR = Path(__file__).resolve().parents[3] / "kafka"
_POM = KAFKA_DEPLOY_DIR / "pom.xml"
_LOG4J_CONFIG = KAFKA_DEPLOY_DIR / "log4j2.properties"
_ACCESS_TOOL = KAFKA_DEPLOY_DIR / "KafkaAccess.java"

ADMIN_USER = "admin"
"""The super user: the broker's own identity (inter-broker, controller) and the set-up's."""
SASL_MECHANISM = "SCRAM-SHA-512"
CLUSTER = "kafka-cluster"
"""The name of the cluster resource in ACLs (e.g. IDEMPOTENT_WRITE)."""
# Passwords go into JAAS configuration strings; keep them to characters that need no quoting.
_PASSWORD = re.compile(r"[A-Za-z0-9._~+/=-]{16,}")
_USER = re.compile(r"[A-Za-z0-9._-]+")

_MARKER = ".complete"
_READY_LINE = "Kafka Server started"
_NODE_ID = 1


def _pom_fingerprint() -> str:
    # Keyed on the pom's content as well as the version, so editing the pom (e.g. bumping the
    # log4j binding) rebuilds the cached classpath instead of silently reusing stale jars.
    digest = hashlib.sha256(_POM.read_bytes()).hexdigest()
    return f"{KAFKA_VERSION} {digest}\n"


def ensure_kafka_libs(cache_dir: Path) -> Path:
    """Download the broker's runtime jars into ``<cache_dir>/kafka-<ver>/libs`` once.

    Reuses the directory when its completion marker matches the current pom; otherwise runs
    ``mvn dependency:copy-dependencies`` (needs ``mvn`` and Maven Central). Safe to call from
    several processes at once. Returns the libs directory.
    """
    if not _POM.is_file():
        raise RuntimeError(f"Kafka pom not found at {_POM}; is sinergi-local installed editable?")
    root = cache_dir.resolve() / f"kafka-{KAFKA_VERSION}"
    libs = root / "libs"
    marker = root / _MARKER
    fingerprint = _pom_fingerprint()
    root.mkdir(parents=True, exist_ok=True)
    # A file lock, so parallel test workers or a runner started twice do not run Maven into
    # the same directory concurrently.
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text() == fingerprint and libs.is_dir():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("`mvn` not found on PATH; Maven is needed to fetch the Kafka jars")
        # Start clean: a half-finished or older copy could leave two versions of a jar on the
        # classpath.
        shutil.rmtree(libs, ignore_errors=True)
        marker.unlink(missing_ok=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(_POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-Dkafka.version={KAFKA_VERSION}",
            f"-DoutputDirectory={libs}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not any(libs.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
            output = (result.stdout + result.stderr)[-4000:]
            raise RuntimeError(
                f"fetching Kafka {KAFKA_VERSION} jars failed (exit {result.returncode}):\n{output}"
            )
        marker.write_text(fingerprint)
    return libs


def _new_cluster_id() -> str:
    # Same shape as Kafka's Uuid.randomUuid().toString(): URL-safe base64 of 16 random bytes
    # without padding; Kafka also rejects ids starting with '-' (they read as CLI flags).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cid.startswith("-"):
            return cid


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("`java` not found (set JAVA_HOME or put Java 17+ on PATH)")
    return java


def _sasl_answers(host: str, port: int, timeout: float) -> bool:
    """True when the listener at host:port answers a SaslHandshake offering SCRAM-SHA-512.

    A raw-socket request rather than aiokafka, so `start()` stays synchronous and usable from
    inside a running event loop. SaslHandshake v1 is the one request a SASL listener answers
    before authentication; non-flexible, so it is easy to encode by hand. That the broker then
    serves authenticated clients is what the provisioning that follows proves.
    """
    client_id = b"sinergi-ready"
    mechanism = SASL_MECHANISM.encode()
    header = struct.pack(">hhih", 17, 1, 1, len(client_id)) + client_id
    request = header + struct.pack(">h", len(mechanism)) + mechanism
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            payload = _recv_exact(sock, size)
        # Response v1: correlation_id, error_code, mechanisms[...]
        correlation_id, error_code = struct.unpack_from(">ih", payload, 0)
    except (OSError, struct.error):
        return False
    return bool(correlation_id == 1 and error_code == 0)


@dataclass(frozen=True)
class KafkaGrant:
    """One ACL: ``principal`` (a SCRAM user name) may do ``operations`` on one resource.

    Operations and resource types are Kafka's names (``READ``, ``WRITE``, ``DESCRIBE``,
    ``IDEMPOTENT_WRITE``; ``TOPIC``, ``GROUP``, ``CLUSTER``); ``prefixed`` matches every
    resource whose name starts with ``name``.
    """

    principal: str
    resource: Literal["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"]
    name: str
    operations: tuple[str, ...]
    prefixed: bool = False

    def entries(self) -> list[dict[str, str]]:
        """The grant as the provisioning tool's JSON entries, one per operation."""
        return [
            {
                "principal": self.principal,
                "resource": self.resource,
                "name": self.name,
                "pattern": "PREFIXED" if self.prefixed else "LITERAL",
                "operation": operation,
            }
            for operation in self.operations
        ]


def _jaas(module: str, **options: str) -> str:
    values = " ".join(f'{key}="{value}"' for key, value in options.items())
    return f"{module} required {values};"


_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"


def client_properties(access: KafkaAccess) -> str:
    """A Java client's properties (``--consumer.config`` of the Kafka tools) for ``access``."""
    login = _jaas(_SCRAM_LOGIN, username=access.username, password=access.password)
    return (
        f"security.protocol={access.security_protocol}\n"
        f"sasl.mechanism={access.sasl_mechanism}\n"
        f"sasl.jaas.config={login}\n"
    )


def _access_tool(java: str, libs_dir: Path) -> Path:
    """The compiled provisioning tool, built once per source version beside the jars."""
    digest = hashlib.sha256(_ACCESS_TOOL.read_bytes()).hexdigest()[:16]
    classes = libs_dir.parent / f"access-{digest}"
    if (classes / "KafkaAccess.class").is_file():
        return classes
    javac = Path(java).with_name("javac")
    javac_cmd = str(javac) if javac.is_file() else shutil.which("javac")
    if javac_cmd is None:
        raise RuntimeError("`javac` not found: a JDK (17+) is needed, not only a JRE")
    staging = classes.with_name(f".{classes.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [javac_cmd, "-nowarn", "-d", str(staging), "-cp", str(libs_dir / "*"), str(_ACCESS_TOOL)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"compiling {_ACCESS_TOOL.name} failed:\n{result.stderr[-4000:]}")
    try:
        staging.rename(classes)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # a concurrent build won; use theirs
    return classes


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return bytes(buf)


class KafkaBroker:
    """One Kafka process in combined KRaft mode (node 1 is both broker and controller).

    All state lives in ``data_dir`` (config, cluster id, log dirs), so ``stop()`` followed by
    ``start()`` on the same directory keeps topics, messages and committed offsets.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        data_dir: Path,
        libs_dir: Path,
        port: int,
        controller_port: int,
        log_path: Path,
        admin_password: str,
        users: Mapping[str, str] | None = None,
        grants: Iterable[KafkaGrant] = (),
        heap: str = "512m",
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.libs_dir = libs_dir.resolve()
        self.port = port
        self.controller_port = controller_port
        self.log_path = log_path.resolve()
        self.heap = heap
        self._admin_password = _checked_password(ADMIN_USER, admin_password)
        self._users: dict[str, str] = {}
        self._grants: list[KafkaGrant] = []
        self._add(users or {}, grants)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def admin(self) -> KafkaAccess:
        """The super user's access (topic creation, set-up, tests that forge what others can't)."""
        return self.access(ADMIN_USER)

    def access(self, user: str) -> KafkaAccess:
        """How ``user`` (the admin or one of ``users``) connects to this broker."""
        password = self._admin_password if user == ADMIN_USER else self._users[user]
        return KafkaAccess(
            bootstrap=self.bootstrap_servers,
            username=user,
            password=password,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=SASL_MECHANISM,
        )

    def provision(
        self, users: Mapping[str, str] | None = None, grants: Iterable[KafkaGrant] = ()
    ) -> None:
        """Add ``users`` and ``grants`` to the broker's, then make the running broker match.

        Idempotent. Every ACL of a known user that is not granted is removed, so a grant taken
        out of the list is revoked on the next start.
        """
        self._add(users or {}, grants)
        if self.is_running():
            self._apply_access(bootstrap_plain=False)

    def _add(self, users: Mapping[str, str], grants: Iterable[KafkaGrant]) -> None:
        for user, password in users.items():
            if user == ADMIN_USER or not _USER.fullmatch(user):
                raise ValueError(f"invalid Kafka user name {user!r}")
            self._users[user] = _checked_password(user, password)
        for grant in grants:
            if grant not in self._grants:
                self._grants.append(grant)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def _config_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _log_dir(self) -> Path:
        return self.data_dir / "kraft-logs"

    @property
    def _sasl_marker(self) -> Path:
        # Written once the admin has a SCRAM credential; a data directory formatted by an
        # older version (anonymous PLAINTEXT) lacks it and is given one on its next start.
        return self.data_dir / "sasl-scram"

    def _cluster_id(self) -> str:
        # Persisted so a restart (or a re-format after a crash during formatting) uses the id
        # already written into meta.properties; a mismatch would make the broker refuse to start.
        path = self.data_dir / "cluster-id"
        if path.is_file():
            return path.read_text().strip()
        cid = _new_cluster_id()
        path.write_text(cid + "\n")
        return cid

    def _write_config(self, *, bootstrap_plain: bool = False) -> None:
        """Write server.properties (mode 0600: it holds the admin's password).

        ``bootstrap_plain`` also lets the admin in with SASL PLAIN on the client listener: only
        for the one start that gives an older data directory its admin SCRAM credential.
        """
        h = self.host
        admin, password = ADMIN_USER, self._admin_password
        client_mechanisms = [SASL_MECHANISM, *(["PLAIN"] if bootstrap_plain else [])]
        props = {
            "process.roles": "broker,controller",
            "node.id": str(_NODE_ID),
            # Static voter set (not --standalone / dynamic quorum): simplest for one node and
            # lets the controller port change between runs without reconfiguring the quorum.
            "controller.quorum.voters": f"{_NODE_ID}@{h}:{self.controller_port}",
            "listeners": f"CLIENT://{h}:{self.port},CONTROLLER://{h}:{self.controller_port}",
            "advertised.listeners": f"CLIENT://{h}:{self.port}",
            "inter.broker.listener.name": "CLIENT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "listener.name.client.sasl.enabled.mechanisms": ",".join(client_mechanisms),
            "sasl.mechanism.inter.broker.protocol": SASL_MECHANISM,
            "listener.name.client.scram-sha-512.sasl.jaas.config": _jaas(
                _SCRAM_LOGIN, username=admin, password=password
            ),
            "listener.name.client.plain.sasl.jaas.config": _jaas(
                _PLAIN_LOGIN, **{f"user_{admin}": password}
            ),
            # The controller authenticates the broker before any SCRAM credential is loaded,
            # so it knows its one user statically.
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": _jaas(
                _PLAIN_LOGIN, username=admin, password=password, **{f"user_{admin}": password}
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{admin}",
            "log.dirs": str(self._log_dir),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # Topics are created explicitly (ensure_topics), as in production; auto-creation
            # would hide a missing topic behind a 1-partition default.
            "auto.create.topics.enable": "false",
            # One broker: every internal topic must fit on it, or consumer groups,
            # transactions/idempotence and share groups never become available.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # No waiting for more members before the first rebalance: tests and local runs
            # start one consumer at a time.
            "group.initial.rebalance.delay.ms": "0",
            # Kafka's defaults assume big disks; keep a dev broker's footprint small.
            "log.segment.bytes": str(64 * 1024 * 1024),
            "log.retention.hours": "168",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
        }
        text = "".join(f"{k}={v}\n" for k, v in props.items())
        fd = os.open(self._config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# Written by sinergi_local.kafka on every start.\n" + text)
        self._config_path.chmod(0o600)  # an older version wrote it world-readable

    def _classpath(self) -> str:
        return str(self.libs_dir / "*")

    def _format_storage(self, java: str) -> bool:
        """Format the log directory unless it is; return whether it needs an admin credential."""
        if (self._log_dir / "meta.properties").is_file():
            # Formatted on an earlier start (formatting again would be refused).
            return not self._sasl_marker.is_file()
        cmd = [
            java,
            "-Xmx256m",
            "-cp",
            self._classpath(),
            f"-Dlog4j2.configurationFile={_LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            self._cluster_id(),
            "-c",
            str(self._config_path),
            # Tolerate a directory formatted by a run that died before we saw meta.properties.
            "--ignore-formatted",
            # The admin's credential is in the cluster's first metadata: the broker can
            # authenticate to itself, and the set-up can log in, from the first start on.
            "--add-scram",
            f"{SASL_MECHANISM}=[name={ADMIN_USER},password={self._admin_password}]",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"kafka storage format failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )
        self._sasl_marker.write_text(f"{SASL_MECHANISM} credential of {ADMIN_USER}\n")
        return False

    def _log_tail(self, start: int = 0, max_chars: int = 4000) -> str:
        try:
            with self.log_path.open("rb") as f:
                f.seek(start)
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return text[-max_chars:]

    def _scan_log(self, pos: int) -> tuple[bool, int]:
        """Look for the ready line in the log from ``pos``; return (found, where to resume)."""
        with self.log_path.open("rb") as f:
            f.seek(pos)
            data = f.read()
        if _READY_LINE.encode() in data:
            return True, pos + len(data)
        # Resume a little before the end so a line split across two reads is still seen.
        return False, max(pos, pos + len(data) - len(_READY_LINE))

    def start(self, timeout: float = 120.0) -> None:
        """Format (first time only) and launch the broker, then apply its users and ACLs.

        Returns once the broker serves authenticated clients as ``users`` and ``grants`` say.
        Raises RuntimeError with the end of the broker log if the process exits or is not
        ready within ``timeout`` seconds (the process is then stopped).
        """
        if self.is_running():
            return
        if not any(self.libs_dir.glob("kafka_2.13-*.jar")):
            raise RuntimeError(f"no Kafka jars in {self.libs_dir}; call ensure_kafka_libs first")
        java = _find_java()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if self._format_storage(java):
            # A data directory of the anonymous era: one start on which the admin may log in
            # with PLAIN gives it its SCRAM credential (the others' too); then the normal one.
            self._write_config(bootstrap_plain=True)
            self._launch(java, timeout)
            try:
                self._apply_access(bootstrap_plain=True)
            finally:
                self.stop()
            self._sasl_marker.write_text(f"{SASL_MECHANISM} credential of {ADMIN_USER}\n")
            self._write_config()
        self._launch(java, timeout)
        try:
            self._apply_access(bootstrap_plain=False)
        except BaseException:
            self.stop()
            raise

    def _launch(self, java: str, timeout: float) -> None:
        """Run the broker and wait until its client listener answers."""
        cmd = [
            java,
            f"-Xmx{self.heap}",
            # Kafka's own start script uses G1 with short pauses; small heaps do fine with it.
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            # A dev broker that ran out of heap should die loudly, not limp on half-working.
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={_LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            "-cp",
            self._classpath(),
            "kafka.Kafka",
            str(self._config_path),
        ]
        # Appending, and remembering where this run's output begins: an earlier run's
        # "Kafka Server started" in the same file must not count as readiness.
        self._log_file = self.log_path.open("ab")
        log_start = self._log_file.tell()
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            # Own process group: stop() signals the whole group, and a Ctrl-C meant for the
            # Python parent does not hit the broker before it can shut down cleanly.
            start_new_session=True,
        )
        # If the parent exits without calling stop() (crashed test, Ctrl-C), do not leave an
        # orphaned JVM holding the ports and data directory.
        atexit.register(self.stop)

        deadline = time.monotonic() + timeout
        seen_started = False
        scanned = log_start
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self._log_tail(log_start)
                self._cleanup()
                raise RuntimeError(
                    f"Kafka exited with code {code} during startup; log {self.log_path}:\n{tail}"
                )
            if not seen_started:
                seen_started, scanned = self._scan_log(scanned)
            if seen_started and _sasl_answers(self.host, self.port, timeout=2.0):
                return
            if time.monotonic() > deadline:
                tail = self._log_tail(log_start)
                self.stop()
                raise RuntimeError(
                    f"Kafka not ready after {timeout:.0f}s (started line seen: {seen_started});"
                    f" log {self.log_path}:\n{tail}"
                )
            time.sleep(0.2)

    def _apply_access(self, *, bootstrap_plain: bool) -> None:
        """Make the running broker's SCRAM users and ACLs those of this object (idempotent)."""
        java = _find_java()
        mechanism = "PLAIN" if bootstrap_plain else SASL_MECHANISM
        login = _PLAIN_LOGIN if bootstrap_plain else _SCRAM_LOGIN
        spec = {
            "admin": {
                "bootstrap.servers": self.bootstrap_servers,
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": mechanism,
                "sasl.jaas.config": _jaas(
                    login, username=ADMIN_USER, password=self._admin_password
                ),
                "client.id": "sinergi-access",
            },
            # The admin too: its credential follows the password the broker was given.
            "users": [
                {"name": name, "password": password}
                for name, password in {ADMIN_USER: self._admin_password, **self._users}.items()
            ],
            "grants": [entry for grant in self._grants for entry in grant.entries()],
        }
        classes = _access_tool(java, self.libs_dir)
        cmd = [
            java,
            "-Xmx128m",
            # A short-lived client: the JIT's first tier is plenty and starts faster.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Dlog4j2.level=WARN",
            f"-Dlog4j2.configurationFile={_LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            "-cp",
            f"{self._classpath()}{os.pathsep}{classes}",
            "KafkaAccess",
        ]
        result = subprocess.run(
            cmd, input=json.dumps(spec), capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"setting the Kafka users and ACLs failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the broker's process group (clean shutdown), SIGKILL after ``timeout``.

        Idempotent; does nothing when the broker is not running.
        """
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        # No group signal after the JVM has been reaped: its pid (= pgid) may already be reused.
        self._cleanup()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    def _cleanup(self) -> None:
        atexit.unregister(self.stop)
        if self._proc is not None and self._proc.poll() is None:
            self._signal_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _checked_password(user: str, password: str) -> str:
    if not _PASSWORD.fullmatch(password):
        raise ValueError(
            f"the Kafka password of {user!r} must be 16 or more of A-Z a-z 0-9 . _ ~ + / = -"
        )
    return password


async def ensure_topics(
    access: KafkaAccess,
    topics: list[str],
    partitions: int = 3,
    timeout: float = 30.0,
    config: dict[str, str] | None = None,
) -> None:
    """Create the missing ones of ``topics`` (replication factor 1); existing topics are kept.

    ``config`` holds topic-level settings for new topics (e.g. ``retention.ms``). ``access``
    must be allowed to create and describe them (the broker's admin, locally).

    Idempotent and safe against a concurrent creator (TOPIC_ALREADY_EXISTS is success). Returns
    once every topic is visible in the broker's metadata with a leader for each partition.
    Raises the matching aiokafka error for any other per-topic failure, TimeoutError if the
    topics do not become usable within ``timeout`` seconds.
    """
    wanted = list(dict.fromkeys(topics))
    admin = make_admin(access, client_id="sinergi-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name=t,
                        num_partitions=partitions,
                        replication_factor=1,
                        topic_configs=dict(config or {}),
                    )
                    for t in missing
                ]
            )
            # create_topics does not raise on per-topic errors; the codes are in the response,
            # (topic, error_code[, error_message]) for every CreateTopics version aiokafka speaks.
            for topic, error_code, *rest in response.topic_errors:
                if error_code == 0:
                    continue
                err = for_code(error_code)
                if err is TopicAlreadyExistsError:
                    continue
                message = rest[0] if rest and rest[0] else err.__name__
                raise err(f"creating topic {topic!r}: {message}")
        await _wait_for_leaders(admin, wanted, timeout)
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], timeout: float) -> None:
    # CreateTopics answers once the controller has committed the topic, but the broker serves
    # metadata from its own copy, which catches up a moment later: right after creation a
    # Metadata request can still say UNKNOWN_TOPIC_OR_PARTITION (seen with Kafka 4.1). A
    # consumer subscribing in that window may not see the topic until its next metadata
    # refresh (minutes), so "ensured" must mean "visible, with leaders".
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        described = await admin.describe_topics(topics)
        pending = [
            t["topic"]
            for t in described
            if t["error_code"] != 0
            or not t["partitions"]
            or any(p["error_code"] != 0 or p["leader"] < 0 for p in t["partitions"])
        ]
        if not pending:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topics without leaders after {timeout:.0f}s: {pending}")
        await asyncio.sleep(0.1)
