"""How the runtime code is laid out: the formatter decides its layout everywhere."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("schemas", "services", "crosslink")


def test_no_runtime_module_keeps_the_formatter_out() -> None:
    skipped = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in RUNTIME
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "fmt: skip" in line or "fmt: off" in line
    ]

    assert skipped == [], f"lines the formatter may not lay out: {skipped}"
