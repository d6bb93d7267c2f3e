"""A back-fill: synthetic complaints from files through intake, matcher and notifier until every
link is made, against the same files through the bare baselines.

The complaints (heavy-tailed gangs: a few gangs named in very many complaints) are written as
one JSON lines file per district, as each cell's export would be. Four importers (threads, as
four cells running `crosslink import-complaints` at once) read the files with the command's
own reader and post them in batches of 500 under one import id.

crosslink: a fresh local broker, intake, matcher and notifier as processes (bench/latency.py's
pipeline, the outbox on SQLite), every district's webhook at one verifying receiver. A live
complaint goes through first (everything started and assigned); the clock starts at the first
batch and stops when the last district's import digest arrives, after the import is closed:
every link made, stored in the inboxes and counted in the digests.

Bare baselines, on a broker of their own: intake's batch baseline (bench/intake_noop.py
`batch`: the same route and validation, the same number of records published with acks=all,
no canon or pseudonyms) and the matcher's bare loop (bench/bare_loop.py) reading what it
publishes. A warm-up record goes through the loop first; the clock starts at the first batch
and stops when the loop has processed the last identifier. The baselines have nothing like the
notifier: a back-fill's notifier stores the links in the inboxes and sends one digest per
district, which the crosslink side includes.

Run with `make bench`; results in docs/bench/backfill.md. `BENCH_BACKFILL_COMPLAINTS` sets the
number of complaints (default 100,000).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import bare_loop
from bench.brokers import child_environment
from bench.intake import noop
from bench.latency import Pipeline, pipeline
from bench.matcher import DISTRICTS, REPOSITORY
from bench.report import Figure, Result, bar_chart, publish
from cli.complaint_import import close_import, import_complaints, poster, read_rows
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import metric_value
from harness.synthetic import complaint_stream
from harness.testbed import api_key
from schemas.topics import ALL_TOPICS, IDENTIFIER_SIGHTED, TopicSpec

COMPLAINTS = int(os.environ.get("BENCH_BACKFILL_COMPLAINTS", "100000"))
SEED, GANGS, TAIL = 2028, 200, 1.2
IMPORTERS = 4
IMPORT_ID = "bench-back-fill"
TIMEOUT_S = 1800.0
Row = dict[str, Any]


@dataclass(frozen=True)
class Files:
    by_district: dict[str, Path]
    complaints: int
    identifiers: int


def write_files(workdir: Path) -> Files:
    """One JSON lines file per district: its share of the synthetic complaints."""
    by_district: dict[str, list[Row]] = defaultdict(list)
    stream = complaint_stream(DISTRICTS, seed=SEED, gangs=GANGS, tail=TAIL)
    for body in itertools.islice(stream, COMPLAINTS):
        by_district[body["district"]].append(body)
    workdir.mkdir(parents=True)
    paths = {}
    for district, bodies in sorted(by_district.items()):
        paths[district] = workdir / f"{district}.jsonl"
        paths[district].write_text("".join(json.dumps(body) + "\n" for body in bodies))
    identifiers = sum(len(b["identifiers"]) for bodies in by_district.values() for b in bodies)
    return Files(paths, COMPLAINTS, identifiers)


def import_files(base_url: str, files: Files, import_id: str | None) -> int:
    """Every district's file posted by `IMPORTERS` importers at once; the complaints accepted."""

    def one(district: str) -> int:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            post = poster(client, api_key(district), import_id)
            report = import_complaints(read_rows(files.by_district[district]), post=post)
        assert not report.problems, f"{district}: {report.problems[:3]}"
        return report.imported

    with ThreadPoolExecutor(IMPORTERS) as importers:
        return sum(importers.map(one, sorted(files.by_district)))


@dataclass(frozen=True)
class Timed:
    seconds: float
    complaints: int
    posted_s: float  # the last batch answered, from the first one
    matched_s: float  # every identifier through the matcher (or the bare loop)

    @property
    def per_second(self) -> float:
        return self.complaints / self.seconds


# --- crosslink --------------------------------------------------------------------------------


def crosslink(workdir: Path, files: Files) -> tuple[Timed, int]:
    """The import through the real pipeline: from the first batch to the last digest; and the
    number of digests."""
    workdir.mkdir()
    with LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.access)
        outbox = f"sqlite:///{workdir / 'notifier' / 'outbox.db'}"
        with pipeline(broker.access, workdir, outbox) as under_test:
            return _imported(under_test, files)


def _imported(p: Pipeline, files: Files) -> tuple[Timed, int]:
    p.post(SEED + 1, 1, None)  # live: everything started and assigned
    p.wait_until_idle()
    started = time.monotonic()
    imported = import_files(p.intake.base_url, files, IMPORT_ID)
    with httpx.Client(base_url=p.intake.base_url, timeout=120) as client:
        close_import(client, api_key(sorted(files.by_district)[0]), IMPORT_ID)
    posted = time.monotonic()
    p.sightings += files.identifiers
    _wait_for(lambda: _position(p) >= p.sightings)
    matched = time.monotonic()
    _wait_for(lambda: _told(p))
    p.wait_until_idle()  # the digests delivered too
    digests = [w for w in p.receiver.processed() if _kind(w) == "import_digest"]
    last = max(w.at for w in digests)
    return Timed(last - started, imported, posted - started, matched - started), len(digests)


def _wait_for(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not done():
        assert time.monotonic() < deadline, "the back-fill was not told in time"
        time.sleep(0.2)


def _position(p: Pipeline) -> float:
    return metric_value(p.matcher.base_url, "crosslink_matcher_position",
                        topic=IDENTIFIER_SIGHTED.name)  # fmt: skip


def _told(p: Pipeline) -> bool:
    """The import told: no import left untold, and a digest arrived."""
    untold = metric_value(p.notifier.metrics_url, "crosslink_notifier_imports_untold")
    return untold == 0 and any(_kind(w) == "import_digest" for w in p.receiver.processed())


def _kind(webhook: Any) -> str:
    return str((webhook.payload or {}).get("data", {}).get("kind"))


# --- the bare baselines -----------------------------------------------------------------------


def bare(workdir: Path, files: Files) -> Timed:
    """The same files through intake's batch baseline and the matcher's bare loop."""
    workdir.mkdir()
    with LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.access, [*ALL_TOPICS, TopicSpec(bare_loop.OUTPUT_TOPIC, 1)])
        return _bare_import(broker.access, files)


def _bare_import(kafka: KafkaAccess, files: Files) -> Timed:
    with (
        noop("batch", kafka, pinned_to_core=False) as (base_url, _),
        _bare_loop(kafka, files.identifiers + 1) as lines,
    ):
        with httpx.Client(base_url=base_url, timeout=120) as client:
            _, first = next(read_rows(next(iter(files.by_district.values()))))
            warm_up = {**first, "complaint_id": "warm-up", "identifiers": first["identifiers"][:1]}
            poster(client, api_key(first["district"]))([warm_up]).raise_for_status()
        assert lines("ready") is not None, "the bare loop did not start"
        started = time.monotonic()
        imported = import_files(base_url, files, None)
        posted = time.monotonic()
        finished = lines("done")
        assert finished is not None, "the bare loop did not finish"
        return Timed(finished - started, imported, posted - started, finished - started)


@contextmanager
def _bare_loop(kafka: KafkaAccess, expect: int) -> Iterator[Callable[[str], float | None]]:
    """bench/bare_loop.py reading the sightings topic; a function that waits for one of its
    lines and says when it was printed."""
    command = [sys.executable, "-m", "bench.bare_loop", "--topic", IDENTIFIER_SIGHTED.name,
               "--expect", str(expect)]  # fmt: skip
    env = {**child_environment(kafka), "PYTHONPATH": str(REPOSITORY)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    printed: dict[str, float] = {}
    changed = threading.Condition()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with changed:
                printed[line.strip()] = time.monotonic()
                changed.notify_all()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def line_at(text: str) -> float | None:
        with changed:
            changed.wait_for(lambda: text in printed or process.poll() is not None, TIMEOUT_S)
            return printed.get(text)

    try:
        yield line_at
    finally:
        process.terminate()
        process.wait()


# --- the page ---------------------------------------------------------------------------------


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crosslink-backfill-") as tmp:
        files = write_files(Path(tmp) / "files")
        print(f"{files.complaints:,} complaints, {files.identifiers:,} identifiers in "
              f"{len(files.by_district)} files", flush=True)  # fmt: skip
        measured, digests = crosslink(Path(tmp) / "crosslink", files)
        print(f"crosslink: {measured.per_second:,.0f} complaints/s", flush=True)
        baseline = bare(Path(tmp) / "bare", files)
        print(f"bare: {baseline.per_second:,.0f} complaints/s", flush=True)
    publish_results(files, measured, baseline, digests, time.monotonic() - started)


BASELINE = "batch baseline + bare loop"


def publish_results(files: Files, measured: Timed, baseline: Timed, digests: int,
                    took_s: float) -> None:  # fmt: skip
    scenario = f"{files.complaints:,} complaints, {files.identifiers:,} identifiers"
    figures = [Figure(scenario, "complaints/s", measured.per_second, BASELINE, baseline.per_second)]
    bars = bar_chart(
        "backfill.png", title="A back-fill, from the first batch to every link made",
        ylabel="complaints/s", groups=[scenario],
        series={"crosslink": [measured.per_second], BASELINE: [baseline.per_second]},
    )  # fmt: skip
    notes = [
        f"crosslink: {measured.complaints:,} complaints imported and every link made in "
        f"{measured.seconds:.1f} s: the last batch answered after {measured.posted_s:.1f} s, "
        f"every identifier through the matcher after {measured.matched_s:.1f} s, the last of "
        f"{digests} districts' digests after {measured.seconds:.1f} s. Bare baselines: "
        f"{baseline.complaints:,} complaints in {baseline.seconds:.1f} s, the last batch "
        f"answered after {baseline.posted_s:.1f} s.",
        f"The whole benchmark took {took_s:.0f} s.",
    ]
    parameters = {"complaints": files.complaints, "identifiers": files.identifiers,
                  "districts": len(files.by_district), "gangs": GANGS, "tail": TAIL,
                  "seed": SEED, "importers": IMPORTERS}  # fmt: skip
    publish(Result(name="backfill", title="Back-fill against the bare baselines", method=METHOD,
                   figures=figures, plots=[bars], notes=notes,
                   parameters=parameters))  # fmt: skip


METHOD = (
    f"Synthetic complaints from `harness.synthetic` (seed {SEED}, {GANGS} gangs, tail {TAIL}: "
    "heavy-tailed, a few gangs named in very many complaints), one JSON lines file per "
    f"district. {IMPORTERS} importers post the files at once, in batches of 500, with the "
    "import command's own reader and poster (cli/complaint_import.py). crosslink: intake, "
    "matcher and notifier as processes on a fresh local broker, the outbox on SQLite, every "
    "district's webhook at one verifying receiver; the import is quiet (one import id) and "
    "closed after its last batch; timed from the first batch to the arrival of the last "
    "district's import digest, when every link is matched, stored in the inboxes and counted. "
    "Bare baselines on a broker of their own: intake's batch baseline (bench/intake_noop.py "
    "`batch`: same route and validation, as many records published with acks=all, without "
    "canon or pseudonyms) and the matcher's bare loop (bench/bare_loop.py: one small record "
    "sent per identifier seen before) reading what it publishes; timed from the first batch to "
    "the loop's last identifier. Both sides warm up first with one complaint."
)


if __name__ == "__main__":
    main()
