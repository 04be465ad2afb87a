"""A real single-node Apache Kafka 4.x broker (KRaft, broker and controller in one process),
from Maven Central jars, for development and tests (BRIEF section 6). No Docker needed.

The jars are fetched once with Maven (``pom.xml`` beside this file) into the cache folder;
each broker gets its own data folder, keyed by port, with ``server.properties``, the log, and
a pid file. Processes are started in their own session so they outlive the command that
started them (``mda kafka up``) and are stopped by ``mda kafka down``.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

POM = Path(__file__).with_name("pom.xml")
LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = info
"""


class KafkaError(RuntimeError):
    """The local broker could not be fetched, started or stopped; the message says why."""


def cache_dir() -> Path:
    """``MDA_CACHE_DIR``, else ``.cache`` in the source checkout, else ``~/.cache/mda``."""
    env = os.environ.get("MDA_CACHE_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        return repo / ".cache"
    return Path.home() / ".cache" / "mda"


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalKafka:
    """One local broker on 127.0.0.1:``port`` (controller on ``port + 1`` by default)."""

    port: int = 9092
    partitions: int = 4
    home: Path | None = None

    def __post_init__(self) -> None:
        self.home = self.home or cache_dir() / "kafka"
        self.controller_port = self.port + 1

    @property
    def libs(self) -> Path:
        assert self.home is not None
        return self.home / "libs"

    @property
    def data(self) -> Path:
        assert self.home is not None
        return self.home / f"broker-{self.port}"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data / "server.log"

    # -- jars ------------------------------------------------------------------------------
    def fetch(self) -> Path:
        """The broker's jars, fetched with Maven the first time."""
        marker = self.libs / ".complete"
        if marker.exists():
            return self.libs
        if shutil.which("mvn") is None or shutil.which("java") is None:
            raise KafkaError("Java and Maven are needed to run a local Kafka broker")
        self.libs.mkdir(parents=True, exist_ok=True)
        cmd = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
               "-DincludeScope=runtime", f"-DoutputDirectory={self.libs}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not any(self.libs.glob("kafka_2.13-*.jar")):
            raise KafkaError("fetching the Kafka jars with Maven failed:\n"
                             + (done.stdout + done.stderr)[-2000:])
        marker.write_text("ok\n")
        return self.libs

    # -- lifecycle -------------------------------------------------------------------------
    def _properties(self) -> str:
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={self.data / 'logs'}",
            f"num.partitions={self.partitions}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "log.retention.hours=168",
            "",
        ])

    def _java(self, main: str, *args: str) -> list[str]:
        return ["java", "-Xmx512m", "-XX:+UseSerialGC",
                f"-Dlog4j2.configurationFile={self.data / 'log4j2.properties'}",
                "-cp", str(self.libs / "*"), main, *args]

    def pid(self) -> int | None:
        pid_file = self.data / "broker.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None and port_open("127.0.0.1", self.port)

    def up(self, timeout_s: float = 90.0) -> str:
        """Start the broker (formatting its storage the first time) and wait until it
        answers. Returns the bootstrap address. Idempotent."""
        if self.running():
            return self.bootstrap
        if port_open("127.0.0.1", self.port):
            raise KafkaError(f"port {self.port} is in use by another program")
        self.fetch()
        self.data.mkdir(parents=True, exist_ok=True)
        props = self.data / "server.properties"
        props.write_text(self._properties())
        (self.data / "log4j2.properties").write_text(LOG4J2)
        if not (self.data / "logs" / "meta.properties").exists():
            cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            fmt = subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cluster,
                                            "-c", str(props)),
                                 capture_output=True, text=True, check=False)
            if fmt.returncode != 0:
                raise KafkaError("formatting the broker storage failed:\n"
                                 + (fmt.stdout + fmt.stderr)[-2000:])
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(self._java("kafka.Kafka", str(props)), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        (self.data / "broker.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise KafkaError(f"the broker exited with status {proc.returncode}; see "
                                 f"{self.log_file}")
            if port_open("127.0.0.1", self.port) and self._started():
                return self.bootstrap
            time.sleep(0.25)
        raise KafkaError(f"the broker did not start within {timeout_s:.0f} s; see "
                         f"{self.log_file}")

    def _started(self) -> bool:
        try:
            return b"Kafka Server started" in self.log_file.read_bytes()[-200_000:]
        except OSError:
            return False

    def down(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout_s``). True if one ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
        (self.data / "broker.pid").unlink(missing_ok=True)
        # the log's "started" line belongs to this run only
        self.log_file.unlink(missing_ok=True)
        return True

    def wipe(self) -> None:
        """Stop and delete this broker's data (topics and offsets)."""
        self.down()
        shutil.rmtree(self.data, ignore_errors=True)

    def status(self) -> dict[str, object]:
        return {"bootstrap": self.bootstrap, "running": self.running(), "pid": self.pid(),
                "data": str(self.data), "jars": (self.libs / ".complete").exists()}
