"""How the code is laid out: one role per package, imports that only run downward, a production
image and runtime lock without the harness, and the formatter deciding the layout everywhere.

The layers, from the bottom: `schemas` (contracts), `crosslink` (the shared runtime), the three
services (each on its own), `cli` (the operator's command), `harness` (make up, tests, benchmarks).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("services.intake", "services.matcher", "services.notifier")
# What each runtime package may import of ours; everything else of ours is above it.
MAY_IMPORT = {
    "schemas": ("schemas",),
    "crosslink": ("schemas", "crosslink"),
    **{service: ("schemas", "crosslink", service) for service in SERVICES},
    "cli": ("schemas", "crosslink", *SERVICES, "cli"),
}
OURS = ("schemas", "crosslink", "services", "cli", "harness", "tests", "bench")
RUNTIME = ("schemas", "services", "crosslink", "cli")


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


@pytest.mark.parametrize("package", MAY_IMPORT)
def test_a_runtime_package_imports_nothing_above_it(package: str) -> None:
    upward = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules(package)
        for module in sorted(_imported(path))
        if _within(module, OURS) and not _within(module, MAY_IMPORT[package])
    ]

    assert upward == [], f"imports that run upward: {upward}"


def test_the_runtime_distribution_does_not_package_the_harness() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]

    assert not any(re.fullmatch(p.replace("*", ".*"), "harness") for p in included)
    assert sorted(p.rstrip("*") for p in included) == sorted(RUNTIME)


def test_the_runtime_lock_has_none_of_the_harness_dependencies() -> None:
    harness = tomllib.loads((ROOT / "harness" / "pyproject.toml").read_text())
    needs = {re.split(r"[<>=\[ ]", d)[0].lower() for d in harness["project"]["dependencies"]}
    runtime_pins = set(re.findall(r"^([a-z0-9_.-]+)==", _read("requirements-runtime.lock"), re.M))
    full_pins = set(re.findall(r"^([a-z0-9_.-]+)==", _read("requirements.lock"), re.M))

    assert needs, "the harness declares its dependencies"
    assert needs <= full_pins
    assert not needs & runtime_pins


def test_the_production_image_copies_no_harness_into_its_runtime_stages() -> None:
    stages = re.split(r"^FROM ", _read("deploy/Dockerfile"), flags=re.M)[1:]
    names = [stage.split("\n", 1)[0].split()[-1] for stage in stages]
    copying_harness = [
        name for name, stage in zip(names, stages, strict=True) if "COPY harness" in stage
    ]
    last = names[-1]

    assert copying_harness == ["harness-build"]
    assert last == "runtime", "the default (last) target is the runtime image"


def test_no_runtime_module_keeps_the_formatter_out() -> None:
    skipped = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in RUNTIME
        for path in _modules(package)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "fmt: skip" in line or "fmt: off" in line
    ]

    assert skipped == [], f"lines the formatter may not lay out: {skipped}"


def _read(relative: str) -> str:
    return (ROOT / relative).read_text()
