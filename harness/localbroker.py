"""Real KRaft Kafka brokers, run from Maven Central jars without Docker: one node, or a
cluster of three.

`make up` and the integration tests share this one launcher. Jars and broker data live in
git-ignored folders under `.crosslink/`; see deploy/kafka/ for the pinned version and config.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import TracebackType
from typing import Any, Protocol

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import ADMIN, Replication
from crosslink.settings import REPO_ROOT, CommonSettings
from harness.localpki import LocalPki
from harness.ports import free_port, port_is_free
from harness.processes import terminate

KAFKA_DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
STATE_DIR = REPO_ROOT / ".crosslink"


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or stopped."""


def kafka_version() -> str:
    """The pinned Kafka version, read from deploy/kafka/pom.xml (the one place it is set)."""
    pom = (KAFKA_DEPLOY_DIR / "pom.xml").read_text()
    start = pom.index("<kafka.version>") + len("<kafka.version>")
    return pom[start : pom.index("</kafka.version>")]


def fetch_jars(libs_dir: Path | None = None) -> Path:
    """Copy Kafka's server jars from Maven Central into `libs_dir` once; return the folder."""
    libs_dir = libs_dir or STATE_DIR / f"kafka-{kafka_version()}" / "libs"
    done_marker = libs_dir / ".complete"
    if done_marker.exists():
        return libs_dir
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise BrokerError("the local broker needs `java` (17+) and `mvn` on PATH")
    partial = libs_dir.with_name(libs_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(KAFKA_DEPLOY_DIR / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"fetching Kafka jars with Maven failed:\n{result.stdout}{result.stderr}")
    shutil.rmtree(libs_dir, ignore_errors=True)
    partial.rename(libs_dir)
    done_marker.touch()
    return libs_dir


def metadata_request_succeeds(access: KafkaAccess, timeout_s: float = 5.0) -> bool:
    """True when the broker at `access.bootstrap` answers a metadata request."""
    host, port = access.servers[0].rsplit(":", 1)
    if port_is_free(int(port), host):
        return False  # nothing listens yet; kafka-python would leak a socket finding that out
    timeout_ms = int(timeout_s * 1000)
    try:
        admin = KafkaAdminClient(**access.options(), request_timeout_ms=timeout_ms)
    except KafkaError:
        return False
    try:
        admin.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        admin.close()


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


@dataclass
class LocalBroker:
    """One KRaft broker+controller process on 127.0.0.1; SIGTERM stops it cleanly. Alone by
    default; in a LocalCluster, one of its nodes (`node_id`, `voters`, `cluster_id`, `pki`).
    Mutual TLS and ACLs on: clients connect through `access` (the administrator) or
    `access_as(principal)`."""

    home: Path
    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    node_id: int = 1
    voters: str = ""  # the cluster's controllers, id@host:port; alone, this node
    cluster_id: str = field(default_factory=new_cluster_id)
    replication: int = 1  # Kafka's own topics: on how many nodes
    pki: LocalPki | None = None  # by default its own, in `home`
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def authority(self) -> LocalPki:
        return self.pki or LocalPki(self.home / "pki")

    @property
    def access(self) -> KafkaAccess:
        """The administrator's: a super user (provisioning, the tests' own clients)."""
        return self.access_as(ADMIN)

    def access_as(self, principal: str) -> KafkaAccess:
        return self.authority.access(self.bootstrap, principal)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def start(self, timeout_s: float = 120.0) -> None:
        """Fetch jars, format storage once, start the broker and wait until it answers."""
        self.launch()
        self._wait_until_ready(timeout_s)

    def launch(self) -> None:
        """Start the process without waiting: a cluster's nodes answer only once a majority of
        its controllers run."""
        for port in (self.port, self.controller_port):
            if not port_is_free(port):
                raise BrokerError(f"port {port} on 127.0.0.1 is in use: is another broker running?")
        libs = fetch_jars()
        self.authority.ensure()
        config = self._write_config()
        self._format_storage(libs, config)
        log = self.log_file.open("ab")
        command = [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_DEPLOY_DIR / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(config),
        ]
        # Its own process group, so a Ctrl-C meant for `make up` reaches the broker only via stop().
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Shut the broker down with SIGTERM, falling back to SIGKILL after `timeout_s`."""
        process, self._process = self._process, None
        terminate(process, timeout_s)

    def kill(self) -> None:
        """SIGKILL, as a crashed machine: no clean shutdown, no flush."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_config(self) -> Path:
        data_dir = self.home / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        template = Template((KAFKA_DEPLOY_DIR / "server.properties.template").read_text())
        config = self.home / "server.properties"
        config.write_text(
            template.substitute(
                node_id=self.node_id,
                voters=self.voters or f"{self.node_id}@127.0.0.1:{self.controller_port}",
                port=self.port,
                controller_port=self.controller_port,
                data_dir=data_dir,
                replication=self.replication,
                min_insync=Replication.on(self.replication).min_insync,
                keystore=self.authority.broker_keystore,
                truststore=self.authority.ca_file,
            )
        )
        return config

    def _format_storage(self, libs: Path, config: Path) -> None:
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = self.cluster_id
        command = [
            "java",
            "-cp",
            f"{libs}/*",
            "kafka.tools.StorageTool",
            "format",
            # "=" form: a base64url id may start with "-" and read as an option otherwise
            f"--cluster-id={cluster_id}",
            "-c",
            str(config),
            "--ignore-formatted",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerError(f"formatting broker storage failed:\n{result.stdout}{result.stderr}")

    def wait_until_ready(self, timeout_s: float = 120.0) -> None:
        self._wait_until_ready(timeout_s)

    def _wait_until_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerError(f"the broker exited early; last lines:\n{self._log_tail()}")
            if metadata_request_succeeds(self.access, timeout_s=2.0):
                return
            time.sleep(0.5)
        self.stop()
        raise BrokerError(f"the broker did not answer within {timeout_s:.0f}s:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no broker log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class LocalCluster:
    """Three (or `nodes`) KRaft nodes on 127.0.0.1, each broker and controller, sharing one
    cluster id; Kafka's own topics on every node. A node can be killed and started again."""

    home: Path
    nodes: int = 3
    ports: list[tuple[int, int]] = field(default_factory=list)  # (broker, controller) per node
    heap: str = "384m"
    members: list[LocalBroker] = field(default_factory=list, init=False)
    pki: LocalPki = field(init=False)  # one authority for every node, in `home`

    def __post_init__(self) -> None:
        ports = self.ports or [(free_port(), free_port()) for _ in range(self.nodes)]
        voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, start=1))
        cluster_id, self.pki = new_cluster_id(), LocalPki(self.home / "pki")
        self.members = [
            LocalBroker(
                self.home / f"node-{i}", port, controller, self.heap, node_id=i, voters=voters,
                cluster_id=cluster_id, replication=min(3, len(ports)), pki=self.pki,
            )
            for i, (port, controller) in enumerate(ports, start=1)
        ]  # fmt: skip

    @property
    def bootstrap(self) -> str:
        return ",".join(member.bootstrap for member in self.members)

    @property
    def access(self) -> KafkaAccess:
        return self.access_as(ADMIN)

    def access_as(self, principal: str) -> KafkaAccess:
        return self.pki.access(self.bootstrap, principal)

    def start(self, timeout_s: float = 180.0) -> None:
        for member in self.members:
            member.launch()
        for member in self.members:
            member.wait_until_ready(timeout_s)
        self.wait_until_brokers(len(self.members), timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop every node at once: one by one, the last would wait for a controller quorum
        that is gone before it gives up its controlled shutdown."""
        with ThreadPoolExecutor(max_workers=len(self.members)) as pool:
            list(pool.map(lambda member: member.stop(timeout_s), self.members))

    def node(self, node_id: int) -> LocalBroker:
        return self.members[node_id - 1]

    def replace_disk(self, node_id: int, timeout_s: float = 120.0) -> None:
        """SIGKILL the node, lose its data directory, and start it again on an empty one,
        formatted with the cluster's id, once the other controllers hold every committed
        metadata record (a voter with an empty log must not decide an election that one of
        them, behind, could win: docs/operations.md, Replacing a broker)."""
        node = self.node(node_id)
        node.kill()
        shutil.rmtree(node.home / "data")
        wait = time.monotonic() + timeout_s
        while not self.metadata_held_by_all_but(node_id):
            if time.monotonic() > wait:
                raise BrokerError("the other controllers did not catch up on the metadata log")
            time.sleep(0.5)
        node.start(timeout_s)

    def metadata_held_by_all_but(self, node_id: int) -> bool:
        """Whether every controller but `node_id` holds the metadata log up to what the quorum
        has committed."""
        try:
            admin = KafkaAdminClient(**self._live_access().options())
        except KafkaError:
            return False
        try:
            [partition] = admin.describe_metadata_quorum()["topics"][0]["partitions"]
        except KafkaError:
            return False
        finally:
            admin.close()
        committed = partition["high_watermark"]
        others = [v for v in partition["current_voters"] if v["replica_id"] != node_id]
        return committed >= 0 and all(v["log_end_offset"] >= committed for v in others)

    def leader_of(self, topic: str, partition: int = 0) -> int | None:
        """The node id leading `topic`'s `partition` now; None while it has no leader."""
        found = [p for p in self._partitions(topic) if p["partition_index"] == partition]
        leader = int(found[0]["leader_id"]) if found else -1
        return None if leader < 0 else leader

    def in_sync(self, topic: str) -> bool:
        """Whether every partition of `topic` has all its replicas in sync."""
        partitions = self._partitions(topic)
        return bool(partitions) and all(
            set(p["isr_nodes"]) == set(p["replica_nodes"]) for p in partitions
        )

    def _partitions(self, topic: str) -> list[dict[str, Any]]:
        """`topic`'s partitions as the cluster describes them; none while it cannot (a killed
        node stays in the metadata until its session times out)."""
        try:
            admin = KafkaAdminClient(**self._live_access().options())
        except KafkaError:
            return []
        try:
            [described] = admin.describe_topics([topic])
        except KafkaError:
            return []
        finally:
            admin.close()
        return list(described["partitions"])

    def wait_until_brokers(self, count: int, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._brokers() == count:
                return
            time.sleep(0.5)
        raise BrokerError(f"the cluster did not have {count} brokers within {timeout_s:.0f}s")

    def _brokers(self) -> int:
        try:
            admin = KafkaAdminClient(**self._live_access().options())
        except KafkaError:
            return 0
        try:
            return len(admin.describe_cluster()["brokers"])
        except KafkaError:
            return 0
        finally:
            admin.close()

    def _live_access(self) -> KafkaAccess:
        live = ",".join(m.bootstrap for m in self.members if m.running) or self.bootstrap
        return self.pki.access(live)

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def local_kafka(
    home: Path, nodes: int = 1, port: int = 9092, controller_port: int | None = None
) -> LocalBroker | LocalCluster:
    """`make up`'s Kafka: one node on `port` (its controller on `controller_port`, by default
    the next), or a cluster whose nodes take the ports from `port` on in pairs (9092 and 9093,
    9094 and 9095, ...)."""
    if nodes == 1:
        return LocalBroker(home=home, port=port, controller_port=controller_port or port + 1)
    ports = [(port + 2 * i, port + 2 * i + 1) for i in range(nodes)]
    return LocalCluster(home=home / "cluster", nodes=nodes, ports=ports)


def operator_hint(home: Path, access: KafkaAccess) -> str:
    """Write the administrator's CROSSLINK_KAFKA_* variables to `home`/kafka.env and say how
    an operator's shell takes them (the operator commands, such as `crosslink topics`)."""
    env_file = home / "kafka.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in access.environment().items()))
    shown = env_file.relative_to(Path.cwd()) if env_file.is_relative_to(Path.cwd()) else env_file
    return (
        f"mutual TLS on; operator commands reach it as its administrator after `set -a; . {shown}`"
    )


class Brokers(Protocol):
    """Kafka as the harness reaches it: as the administrator, or as one service's principal."""

    @property
    def bootstrap(self) -> str: ...

    @property
    def access(self) -> KafkaAccess: ...

    def access_as(self, principal: str) -> KafkaAccess: ...


@dataclass(frozen=True)
class ExternalKafka:
    """Brokers the harness did not start, reached with one access for every principal."""

    access: KafkaAccess

    @property
    def bootstrap(self) -> str:
        return self.access.bootstrap

    def access_as(self, principal: str) -> KafkaAccess:
        return self.access


def configured_kafka() -> ExternalKafka | None:
    """The external brokers named by CROSSLINK_KAFKA_BOOTSTRAP, if any, reached as the
    CROSSLINK_KAFKA_*_FILE settings say (for every service alike; the principal must be
    allowed to provision)."""
    if not os.environ.get("CROSSLINK_KAFKA_BOOTSTRAP"):
        return None
    return ExternalKafka(CommonSettings().kafka)
