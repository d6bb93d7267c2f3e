"""A real Prometheus server for the tests, from Debian's `prometheus` package: scrapes the given
targets every second with crosslink's alert rules loaded; stopped and deleted at the end."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from crosslink.settings import REPO_ROOT
from harness.ports import free_port
from harness.processes import ServiceFailed, wait_until_answering

RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"


class LocalPrometheus:
    def __init__(self, targets: dict[str, tuple[str, str]]) -> None:
        """`targets`: job name -> (host:port, metrics path)."""
        self._dir = Path(tempfile.mkdtemp(prefix="crosslink-prometheus-"))
        self.port = free_port()
        self._targets = targets
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The result vector of an instant query through Prometheus's HTTP API."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def __enter__(self) -> LocalPrometheus:
        shutil.copy(RULES, self._dir / "alerts.yml")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [
                {"job_name": job, "metrics_path": path, "static_configs": [{"targets": [target]}]}
                for job, (target, path) in self._targets.items()
            ],
        }
        (self._dir / "prometheus.yml").write_text(yaml.safe_dump(config))
        with (self._dir / "prometheus.log").open("wb") as log:
            self._process = subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={self._dir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self._dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_answering(f"{self.url}/-/ready", self._process, name="prometheus",
                                 timeout_s=60)  # fmt: skip
        except ServiceFailed as failed:
            raise AssertionError(
                f"{failed}\n{(self._dir / 'prometheus.log').read_text()}"
            ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
