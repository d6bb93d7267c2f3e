"""`make up`: the broker, the three services, the demo receiver and the demo mail catcher.

"crosslink is up" is said only once every service answers ready. Ctrl-C (or SIGTERM) stops
the services first, then the broker; nothing is left running. A process that exits (a refused
setting, a crash) stops everything, and `make up` exits non-zero.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from typing import IO

from rich.console import Console

from crosslink.directory import load_directory
from crosslink.provisioning import Replication, provision
from crosslink.settings import from_environment
from harness.demo_accounts import DEMO_PASSWORD, ensure_demo_accounts
from harness.localbroker import STATE_DIR, Brokers, configured_kafka, local_kafka, operator_hint
from harness.processes import ServiceFailed, ServiceProcess
from services.notifier.config import NotifierSettings

DEFAULT_PORTS = {"intake": 8000, "matcher": 6066, "notifier": 8002}
NOTIFIER_METRICS_PORT = 9102
DEMO_MAIL_PORT = 2525
DEMO_LOOKUP_RELAY_KEY = "demo-key-lookup-relay"
READY_TIMEOUT_S = 180.0  # the matcher recovers its tables before it answers ready
console = Console(stderr=True, soft_wrap=True)


def _demo_accounts() -> list[str]:
    """The demo officers' accounts, created if missing; none outside development, where the
    services themselves refuse what is unsafe (and say which setting)."""
    if os.environ.get("CROSSLINK_ENV", "development") != "development":
        return []
    notifier = from_environment(NotifierSettings)
    return ensure_demo_accounts(notifier.database_url, load_directory(notifier.districts_file))


def run_stack(*, with_demo_receiver: bool = True, nodes: int = 1) -> int:
    """Start everything (on a cluster of `nodes` Kafka nodes), wait for Ctrl-C or a crash, then
    stop everything. The exit status: 0 after Ctrl-C, 1 if a process exited or a service never
    became ready."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with ExitStack() as stack:
        kafka: Brokers | None = configured_kafka()  # each service as CROSSLINK_KAFKA_* say
        if kafka is None:
            local = local_kafka(STATE_DIR / "broker", nodes)
            console.print(f"[bold]starting local Kafka ({nodes} node(s)) on {local.bootstrap} ...")
            local.start()
            stack.callback(local.stop)
            console.print(operator_hint(STATE_DIR / "broker", local.access))
            kafka = local
        replication = Replication.on(nodes)
        provision(kafka.access, replication=replication)
        accounts = _demo_accounts()
        children: list[subprocess.Popen[bytes]] = []
        env = {
            "CROSSLINK_LOG_FORMAT": children_log_format(),
            "CROSSLINK_TOPIC_REPLICATION_FACTOR": str(replication.factor),
            "CROSSLINK_TOPIC_MIN_INSYNC_REPLICAS": str(replication.min_insync),
            # The demo directory's relay key: officers' look-ups reach intake through it.
            "CROSSLINK_LOOKUP_RELAY_KEY": DEMO_LOOKUP_RELAY_KEY,
        }
        if with_demo_receiver:
            demo = [sys.executable, "-m", "cli", "demo-receiver"]
            children.append(_spawn_prefixed("receiver", demo, stack))
            mail = [
                sys.executable,
                "-m",
                "cli",
                "demo-mail",
                "--port",
                str(DEMO_MAIL_PORT),
            ]
            children.append(_spawn_prefixed("mail", mail, stack))
            env |= {"CROSSLINK_SMTP_HOST": "127.0.0.1", "CROSSLINK_SMTP_PORT": str(DEMO_MAIL_PORT)}
        services = []
        for name, port in DEFAULT_PORTS.items():
            metrics = NOTIFIER_METRICS_PORT if name == "notifier" else None
            service = ServiceProcess(name, port, env, kafka=kafka, metrics_port=metrics).start()
            stack.callback(service.stop)
            _relay(name, service.process.stdout)
            children.append(service.process)
            services.append(service)
        try:
            for service in services:
                service.wait_healthy("/readyz", timeout_s=READY_TIMEOUT_S)
        except ServiceFailed as failed:
            console.print(f"[bold red]crosslink did not start: {failed}; stopping")
            return 1
        console.print(
            "[bold green]crosslink is up:[/] intake http://127.0.0.1:8000/docs, matcher "
            ":6066/metrics, notifier :8002/console and /docs (metrics :9102), demo receiver "
            ":9000, demo mail :2525. Ctrl-C stops all."
        )
        if accounts:
            console.print(
                f"[bold]district console[/] http://127.0.0.1:8002/console: sign in as "
                f"{', '.join(accounts)}, password {DEMO_PASSWORD}, code from "
                "`crosslink demo-code <username>`."
            )
        status = _wait(stop, children)
        console.print("[bold]stopping crosslink ...")
        return status


def children_log_format(
    environ: Mapping[str, str] = os.environ, on_a_terminal: bool | None = None
) -> str:
    """The services' output reaches the terminal through our pipe: they write for people when
    we do (or as CROSSLINK_LOG_FORMAT says, if it names a format)."""
    chosen = environ.get("CROSSLINK_LOG_FORMAT", "auto")
    if chosen != "auto":
        return chosen
    return (
        "console" if (sys.stdout.isatty() if on_a_terminal is None else on_a_terminal) else "json"
    )


def _spawn_prefixed(name: str, command: list[str], stack: ExitStack) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    stack.callback(_terminate, process)
    _relay(name, process.stdout)
    return process


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _relay(name: str, stream: IO[bytes] | None) -> None:
    """Copy a child's output to ours, each line prefixed with the child's name."""

    def copy() -> None:
        assert stream is not None
        for line in stream:
            sys.stdout.write(f"{name:>9} | {line.decode(errors='replace')}")
            sys.stdout.flush()

    threading.Thread(target=copy, daemon=True).start()


def _wait(stop: threading.Event, children: list[subprocess.Popen[bytes]]) -> int:
    """0 once asked to stop; 1 as soon as a process exits."""
    while not stop.wait(0.5):
        for child in children:
            if child.poll() is not None:
                console.print(f"[bold red]a process exited with code {child.returncode}; stopping")
                return 1
    return 0
