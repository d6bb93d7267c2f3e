"""schemathesis fuzzes the OpenAPI documents of the running intake and notifier, each route with
the key of the role that may call it: positive and negative data, missing and wrong credentials.
Every run must end with 0 server errors, 0 invalid payloads accepted, 0 unauthenticated
successes, and every answer as documented (status, content type, schema)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.localbroker import Brokers
from harness.ports import free_port
from harness.processes import ServiceProcess
from tests.conftest import (
    OPERATOR_KEY,
    REGISTRY_ADMIN_KEY,
    UNLIMITED,
    api_key,
    write_districts_file,
)

pytestmark = pytest.mark.integration
SEED = "1"
EXAMPLES = "30"
# Where a body names identifiers, schema-valid data may still be refused: the identifier canon
# checks more than a JSON schema can say (check digits, number plans), as the schema's
# description of `value` states. Everywhere else, schema-valid data must be accepted.
CANON_CHECKED = "positive_data_acceptance"
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the paging cursor, which is opaque


@pytest.fixture(scope="module")
def services(
    kafka: Brokers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    workdir = tmp_path_factory.mktemp("fuzzing")
    districts = write_districts_file(workdir / "districts.yaml", {"MH-MUM": None, "MP-BPL": None})
    env = {
        "CROSSLINK_DISTRICTS_FILE": str(districts),
        "CROSSLINK_DATABASE_URL": f"sqlite:///{workdir / 'outbox.db'}",
        "CROSSLINK_NOTIFIER_GROUP_ID": "crosslink-notifier-fuzzing",
        **UNLIMITED,
    }
    started = {
        name: ServiceProcess(name, free_port(), env, workdir / f"{name}.log", kafka).start()
        for name in ("intake", "notifier")
    }
    try:
        for process in started.values():
            process.wait_healthy("/readyz")
        yield started
    finally:
        for process in started.values():
            process.stop()


def fuzz(service: ServiceProcess, key: str, paths: str, excluded: str) -> tuple[int, str]:
    """Run schemathesis on the routes matching `paths`; (exit code, its output)."""
    exclusion = ["--exclude-checks", excluded] if excluded else []
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG), "run",
            f"{service.base_url}/openapi.json", "--url", service.base_url,
            "-H", f"Authorization: Bearer {key}",
            "--checks", "all", *exclusion,
            "--include-path-regex", paths,
            "--max-examples", EXAMPLES, "--seed", SEED, "--no-color",
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("service", "key", "paths", "excluded"),
    [
        ("intake", api_key("MH-MUM"), "^/v1/complaints$", CANON_CHECKED),
        ("intake", api_key("MH-MUM"), "^/v1/(complaints/batch|imports/.*)$", ""),
        ("intake", REGISTRY_ADMIN_KEY, "^/v1/registry$", CANON_CHECKED),
        ("intake", OPERATOR_KEY, "^/v1/operator/", CANON_CHECKED),
        ("notifier", api_key("MH-MUM"), "^/v1/inbox/", ""),
        ("notifier", OPERATOR_KEY, "^/v1/operator/", ""),
    ],
)
def test_schemathesis_finds_no_failure(
    services: dict[str, ServiceProcess], service: str, key: str, paths: str, excluded: str
) -> None:
    code, output = fuzz(services[service], key, paths, excluded)

    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert code == 0, output[-4000:]
    assert generated, output[-2000:]
    assert generated.group(1) == generated.group(2)
    assert int(generated.group(1)) > 50
    print(f"{service} {paths}: {generated.group(0)}")  # the figures docs/security.md quotes
