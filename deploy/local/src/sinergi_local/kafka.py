"""A real single-node Apache Kafka broker (KRaft, combined broker+controller), without Docker.

These machines have no Docker and cannot reach the Apache download site, but Maven Central is
reachable: `ensure_kafka_libs` assembles the broker's classpath from `deploy/kafka/pom.xml`
once per version into a cache directory, and `KafkaBroker` formats a data directory and runs
`kafka.Kafka` from that classpath as a child process. `ensure_topics` creates topics through
the Kafka admin protocol (aiokafka), as the services' own clients would see them.

Typical use::

    libs = ensure_kafka_libs(Path(".local/cache"))
    broker = KafkaBroker(data_dir=..., libs_dir=libs, port=19092, controller_port=19093,
                         log_path=...)
    broker.start()
    await ensure_topics(broker.bootstrap_servers, ["jobs.events"])
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
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import IO

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

__all__ = [
    "KAFKA_DEPLOY_DIR",
    "KAFKA_VERSION",
    "KafkaBroker",
    "ensure_kafka_libs",
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


def _metadata_answers(host: str, port: int, timeout: float) -> bool:
    """True when the broker answers a Metadata request listing itself at host:port.

    A raw-socket request rather than aiokafka, so `start()` stays synchronous and usable from
    inside a running event loop. Metadata v4 is the oldest version Kafka 4 still accepts
    (KIP-896) and is served by 3.x too; non-flexible, so it is easy to encode by hand.
    """
    client_id = b"sinergi-ready"
    body = struct.pack(">i", 0)  # topics: empty array -> brokers only, no topic metadata
    body += struct.pack(">?", False)  # allow_auto_topic_creation
    header = struct.pack(">hhih", 3, 4, 1, len(client_id)) + client_id
    request = header + body
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            payload = _recv_exact(sock, size)
    except (OSError, struct.error):
        return False
    # Response v4: correlation_id, throttle_time_ms, brokers[node_id, host, port, rack], ...
    try:
        correlation_id, _throttle, n_brokers = struct.unpack_from(">iii", payload, 0)
        offset = 12
        for _ in range(n_brokers):
            node_id, host_len = struct.unpack_from(">ih", payload, offset)
            offset += 6
            b_host = payload[offset : offset + host_len].decode()
            offset += host_len
            (b_port,) = struct.unpack_from(">i", payload, offset)
            offset += 4
            (rack_len,) = struct.unpack_from(">h", payload, offset)
            offset += 2 + max(rack_len, 0)
            if correlation_id == 1 and node_id == _NODE_ID and (b_host, b_port) == (host, port):
                return True
    except (struct.error, UnicodeDecodeError):
        return False
    return False


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
        heap: str = "512m",
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.libs_dir = libs_dir.resolve()
        self.port = port
        self.controller_port = controller_port
        self.log_path = log_path.resolve()
        self.heap = heap
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def _config_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _log_dir(self) -> Path:
        return self.data_dir / "kraft-logs"

    def _cluster_id(self) -> str:
        # Persisted so a restart (or a re-format after a crash during formatting) uses the id
        # already written into meta.properties; a mismatch would make the broker refuse to start.
        path = self.data_dir / "cluster-id"
        if path.is_file():
            return path.read_text().strip()
        cid = _new_cluster_id()
        path.write_text(cid + "\n")
        return cid

    def _write_config(self) -> None:
        h = self.host
        props = {
            "process.roles": "broker,controller",
            "node.id": str(_NODE_ID),
            # Static voter set (not --standalone / dynamic quorum): simplest for one node and
            # lets the controller port change between runs without reconfiguring the quorum.
            "controller.quorum.voters": f"{_NODE_ID}@{h}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{h}:{self.port},CONTROLLER://{h}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{h}:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
        self._config_path.write_text("# Written by sinergi_local.kafka on every start.\n" + text)

    def _classpath(self) -> str:
        return str(self.libs_dir / "*")

    def _format_storage(self, java: str) -> None:
        if (self._log_dir / "meta.properties").is_file():
            return  # formatted on an earlier start; formatting again would be refused
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
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"kafka storage format failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )

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
        """Format (first time only) and launch the broker; return once it serves clients.

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
        self._format_storage(java)

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
            if seen_started and _metadata_answers(self.host, self.port, timeout=2.0):
                return
            if time.monotonic() > deadline:
                tail = self._log_tail(log_start)
                self.stop()
                raise RuntimeError(
                    f"Kafka not ready after {timeout:.0f}s (started line seen: {seen_started});"
                    f" log {self.log_path}:\n{tail}"
                )
            time.sleep(0.2)

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


async def ensure_topics(
    bootstrap: str,
    topics: list[str],
    partitions: int = 3,
    timeout: float = 30.0,
    config: dict[str, str] | None = None,
) -> None:
    """Create the missing ones of ``topics`` (replication factor 1); existing topics are kept.

    ``config`` holds topic-level settings for new topics (e.g. ``retention.ms``).

    Idempotent and safe against a concurrent creator (TOPIC_ALREADY_EXISTS is success). Returns
    once every topic is visible in the broker's metadata with a leader for each partition.
    Raises the matching aiokafka error for any other per-topic failure, TimeoutError if the
    topics do not become usable within ``timeout`` seconds.
    """
    wanted = list(dict.fromkeys(topics))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
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
