"""Runs crosslink's services as real OS processes: `make up` and the end-to-end tests share it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from crosslink.settings import REPO_ROOT
from harness.ports import free_port

if TYPE_CHECKING:
    from harness.localbroker import Brokers

SERVICES = {
    "intake": ("services.intake", "CROSSLINK_INTAKE_PORT"),
    "matcher": ("services.matcher", "CROSSLINK_MATCHER_PORT"),
    "notifier": ("services.notifier", "CROSSLINK_NOTIFIER_PORT"),
}
# A service whose /metrics is on a port of its own, away from the port people reach.
METRICS_PORTS = {"notifier": "CROSSLINK_NOTIFIER_METRICS_PORT"}


class ServiceFailed(RuntimeError):
    """A service process exited, or did not become healthy in time."""


def terminate(process: subprocess.Popen[Any] | None, timeout_s: float) -> None:
    """SIGTERM `process` if it is running, then SIGKILL if it has not exited within `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_answering(
    url: str, process: subprocess.Popen[Any], *, name: str, timeout_s: float
) -> None:
    """Poll GET `url` until it answers 200; ServiceFailed at once if `process` exits, or when
    `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceFailed(f"{name} exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ServiceFailed(f"{name} did not answer 200 on {url} within {timeout_s:.0f}s")


def metric_samples(base_url: str, name: str, **labels: str) -> list[Sample]:
    """A service's samples named `name` whose labels include `labels`."""
    text = httpx.get(f"{base_url}/metrics", timeout=5, follow_redirects=True).text
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


def metric_value(base_url: str, name: str, **labels: str) -> float:
    """The sum of a service's samples named `name` whose labels include `labels`."""
    return sum(sample.value for sample in metric_samples(base_url, name, **labels))


@dataclass
class ServiceProcess:
    """One service (`python -m services.<name>`); output to `log_path`, or a pipe if None.
    Given `kafka`, it reaches the brokers as its own principal (its name)."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path | None = None
    kafka: Brokers | None = None
    metrics_port: int | None = None  # a free one, for a service in METRICS_PORTS, if not given
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        """Where its /metrics is served."""
        if self.metrics_port is None:
            return self.base_url
        return f"http://127.0.0.1:{self.metrics_port}"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        assert self._process is not None, f"{self.name} is not started"
        return self._process

    def start(self) -> ServiceProcess:
        module, port_variable = SERVICES[self.name]
        own = self.kafka.access_as(self.name).environment() if self.kafka else {}
        env = {**os.environ, **own, **self.env, port_variable: str(self.port)}
        if self.name in METRICS_PORTS:
            self.metrics_port = self.metrics_port or free_port()
            env[METRICS_PORTS[self.name]] = str(self.metrics_port)
        with ExitStack() as stack:
            output: IO[bytes] | int = subprocess.PIPE
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                output = stack.enter_context(self.log_path.open("ab"))
            self._process = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=REPO_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_healthy(self, path: str = "/healthz", timeout_s: float = 60.0) -> None:
        """Poll GET `path` until it answers 200, failing fast if the process exits."""
        wait_until_answering(
            f"{self.base_url}{path}", self.process, name=self.name, timeout_s=timeout_s
        )

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout_s`."""
        process, self._process = self._process, None
        terminate(process, timeout_s)
