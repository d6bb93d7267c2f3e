"""What every fault-injection scenario shares: its own broker, a synthetic workload and what the
oracle owes for it, a poster that keeps sending complaints while faults are injected, and the
record of each run's figures that `make chaos` turns into docs/reliability.md's table."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import Replication, describe_topics, provision
from harness.localbroker import LocalBroker, LocalCluster
from harness.oracle import Case, Expectation, Tally, expected, gangs_not_held_whole, tally
from harness.synthetic import DISTRICTS, complaint_stream
from schemas.events import CaseRef, PathStep
from schemas.topics import MATCHER_APP_ID
from services.intake.config import IntakeSettings
from services.matcher.clustering import CLUSTER_KEY_PREFIX, ClusterState, firsts_of, path_of
from tests.conftest import api_key, own_broker, read_topic
from tests.e2e.conftest import Pipeline, running_pipeline

# Every scenario's `pytestmark`: selected by `make chaos` (-m chaos) and `make integration`.
CHAOS_MARKS = [
    pytest.mark.chaos,
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
FULL = os.environ.get("CROSSLINK_CHAOS_SCALE") == "full"
# Where `make chaos` collects each run's figures (tests/chaos/results.py writes the table).
RESULTS_FILE = os.environ.get("CROSSLINK_CHAOS_RESULTS")
HUB_THRESHOLD = 12
# The alerts a district receives; hub alerts go to operators and are checked elsewhere.
DISTRICT_KINDS = ("shared_identifier", "registry_hit", "cluster_linked")
POST_TIMEOUT_S = 120
CLUSTERS_CHANGELOG = f"{MATCHER_APP_ID}-clusters-changelog"
CHANGELOG_SETTLE_S = 30


def scaled(short: int, full: int) -> int:
    """`full` under `make chaos`, `short` in `make test`."""
    return full if FULL else short


@dataclass(frozen=True)
class Workload:
    """Synthetic complaints from the 44 made-up districts, and the deliveries they are owed."""

    seed: int
    complaints: list[dict[str, Any]]
    expectation: Expectation

    @classmethod
    def synthetic(cls, seed: int, count: int, *, gangs: int = 60) -> Workload:
        complaints = list(
            # Heavy-tailed: a few prolific gangs, one number named in over 1,000 complaints at
            # full size, and a long tail of small ones.
            itertools.islice(complaint_stream(seed=seed, gangs=gangs, overlap=0.6, tail=1.2), count)
        )
        key = IntakeSettings().pseudonym()
        return cls(seed, complaints, expected(complaints, key=key, hub_threshold=HUB_THRESHOLD))

    def tally(self, pipeline: Pipeline, *also: tuple[str, str]) -> Figures:
        """What the districts' receivers processed (and `also` (alert id, district)) against
        what is owed, and how many of the oracle's gangs the matcher holds whole."""
        deliveries = tally(self.owed, [*pipeline.deliveries(*DISTRICT_KINDS), *also])
        gangs = [gang for gang in self.expectation.clusters if len(gang) > 1]
        # The matcher writes a cluster's row to the changelog just after processing the link
        # that changed it: a look taken at that moment may miss it, a few later would not.
        deadline = time.monotonic() + CHANGELOG_SETTLE_S
        while True:
            held = clusters_held(pipeline.access)
            broken = gangs_not_held_whole(gangs, held)
            if not broken or time.monotonic() > deadline:
                return Figures(deliveries, len(gangs), [_as_held(gang, held) for gang in broken])
            time.sleep(0.5)

    @property
    def owed(self) -> set[tuple[str, str]]:
        """(alert id, district) of every district alert owed."""
        alerts = self.expectation.alerts
        owed = self.expectation.deliveries()
        return {(a, d) for a, d in owed if alerts[a].kind in DISTRICT_KINDS}


@dataclass(frozen=True)
class Figures:
    """A run's deliveries against the oracle's (cluster alerts included), and its gangs: linked
    complaints the matcher must hold as one cluster."""

    deliveries: Tally
    gangs: int
    not_whole: list[str]  # each gang not held whole, and how it is held

    @property
    def gangs_whole(self) -> int:
        return self.gangs - len(self.not_whole)


def _as_held(gang: frozenset[Case], held: list[tuple[int, list[Case]]]) -> str:
    """A gang's size and the sizes of the clusters listing its complaints: a lost link shows
    as pieces, a link counted twice as a cluster too big."""
    sizes = sorted(size for size, listed in held if set(listed) & gang)
    return f"{len(gang)} complaints held as {sizes}"


def clusters_held(kafka: KafkaAccess) -> list[tuple[int, list[Case]]]:
    """Each of the matcher's live clusters (size, complaints it names: each district's first
    and both ends of each of its latest path steps), as the last rows its table's changelog
    holds for it."""
    # The same table holds identifiers' and complaints' rows beside the clusters' (keys are
    # JSON strings in the changelog).
    rows = {
        json.loads(record.key): record.value for record in read_topic(kafka, CLUSTERS_CHANGELOG)
    }
    clusters = (
        ClusterState.model_validate_json(value)
        for key, value in rows.items()
        if key.startswith(CLUSTER_KEY_PREFIX)
    )
    live = (row for row in clusters if row.merged_into is None)
    return [(row.size, _named(firsts_of(rows, row), path_of(rows, row))) for row in live]


def _named(firsts: tuple[CaseRef, ...], path: tuple[PathStep, ...]) -> list[Case]:
    ends = (case for step in path for case in (step.earlier, step.later))
    return [case.key for case in (*firsts, *ends)]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of the scenario's own: faults and the matcher's fixed group id stay in it."""
    with own_broker(tmp_path) as running:
        yield running


def chaos_pipeline(
    broker: LocalBroker | LocalCluster, workdir: Path, **settings: str
) -> AbstractContextManager[Pipeline]:
    """The three services and the 44 districts' receivers on the scenario's broker (or
    cluster)."""
    return running_pipeline(
        broker, workdir, DISTRICTS, hub_threshold=HUB_THRESHOLD, settings=settings
    )


class Poster:
    """Posts complaints in order from a background thread, as an integrator would: each one
    until intake answers 202, honouring Retry-After on a 503 and retrying a dropped connection
    (the same complaint again is the same events: ids are deterministic). Any other answer
    fails the scenario."""

    def __init__(
        self,
        base_url: str,
        complaints: Sequence[dict[str, Any]],
        *,
        allowed: int | None = None,
    ) -> None:
        self._base_url = base_url
        self._complaints = complaints
        # How many it may post before waiting for allow(): a scenario's pace, not a fault.
        self._allowed = len(complaints) if allowed is None else allowed
        self._gate = threading.Condition()
        self._posted = threading.Semaphore(0)
        self._failure: str | None = None
        self.answers: Counter[str] = Counter()  # "202", "503", "connection refused", ...
        self._thread = threading.Thread(target=self._post_all, name="poster", daemon=True)

    def __enter__(self) -> Poster:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._thread.join(timeout=1)  # on a failed scenario: the daemon thread dies with pytest

    def wait_posted(self, count: int) -> None:
        """Wait until `count` more complaints are accepted."""
        for _ in range(count):
            acquired = self._posted.acquire(timeout=POST_TIMEOUT_S)
            assert self._failure is None, self._failure
            assert acquired, f"none accepted for {POST_TIMEOUT_S} s; answers: {self.answers}"

    def allow(self, more: int | None = None) -> None:
        """Let it post `more` complaints past those allowed so far (None: all the rest)."""
        with self._gate:
            self._allowed = len(self._complaints) if more is None else self._allowed + more
            self._gate.notify_all()

    def finish(self, timeout_s: float = 3600) -> None:
        """Wait until every complaint is accepted."""
        self._thread.join(timeout=timeout_s)
        assert not self._thread.is_alive(), "the poster did not finish"
        assert self._failure is None, self._failure

    def _post_all(self) -> None:
        with httpx.Client(timeout=30) as client:
            for index, body in enumerate(self._complaints):
                with self._gate:
                    self._gate.wait_for(lambda: index < self._allowed)  # noqa: B023 (same turn)
                if not self._post_until_accepted(client, body):
                    self._posted.release(len(self._complaints))  # wake a waiter to see why
                    return
                self._posted.release()

    def _post_until_accepted(self, client: httpx.Client, body: dict[str, Any]) -> bool:
        headers = {"Authorization": f"Bearer {api_key(body['district'])}"}
        deadline = time.monotonic() + POST_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                response = client.post(
                    f"{self._base_url}/v1/complaints", json=body, headers=headers
                )
            except httpx.TransportError as error:
                refused = isinstance(error, httpx.ConnectError)  # else cut off mid-request
                self.answers["connection refused" if refused else "connection dropped"] += 1
                time.sleep(0.05)  # an integrator's back-off while intake restarts
                continue
            self.answers[str(response.status_code)] += 1
            if response.status_code == 202:
                return True
            if response.status_code != 503:
                self._failure = f"intake answered {response.status_code}: {response.text}"
                return False
            time.sleep(float(response.headers.get("retry-after", "1")))
        self._failure = f"complaint {body['complaint_id']} not accepted in {POST_TIMEOUT_S} s"
        return False


def assert_nothing_lost_misrouted_or_doubled(figures: Figures) -> None:
    """Every owed delivery arrived, at its district only, processed once; every gang is held
    as one cluster of exactly its complaints."""
    owed = figures.deliveries.expected
    assert owed > 0
    assert figures.deliveries == Tally(owed, owed, lost=0, misrouted=0, duplicated=0)
    assert figures.gangs_whole == figures.gangs > 0, "; ".join(figures.not_whole)


@dataclass(frozen=True)
class Scenario:
    """One of docs/reliability.md's scenarios, as its test module declares it."""

    number: int
    title: str
    test: str  # the test module's __name__
    seed: int
    complaints: int

    def conclude(self, figures: Figures, notes: dict[str, Any]) -> None:
        """Report this run's figures (and record them under `make chaos`), then require that
        every owed delivery arrived, at its district only, processed once, and every gang is
        held whole."""
        gangs = {"gangs held whole": f"{figures.gangs_whole} of {figures.gangs}"}
        run = Run(self.number, self.title, self.test, self.seed, self.complaints,
                  figures.deliveries, {**notes, **gangs})  # fmt: skip
        report(run)
        assert_nothing_lost_misrouted_or_doubled(figures)


@dataclass
class Run:
    """One run of one scenario, as docs/reliability.md's table shows it."""

    scenario: int
    title: str
    test: str
    seed: int
    complaints: int
    figures: Tally
    notes: dict[str, Any] = field(default_factory=dict)
    full: bool = FULL
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def report(run: Run) -> None:
    """Print the run's figures; under `make chaos`, also append them to the results file."""
    notes = ", ".join(f"{name} {value}" for name, value in run.notes.items())
    print(f"\nscenario {run.scenario}, seed {run.seed}, {run.complaints} complaints: "
          f"{run.figures}{'; ' + notes if notes else ''}")  # fmt: skip
    if RESULTS_FILE:
        with Path(RESULTS_FILE).open("a") as results:
            results.write(json.dumps(asdict(run)) + "\n")


REPLICATED = Replication.on(3)
# The services' settings on a three-node cluster: every topic on three, a write on two.
ON_THREE_NODES = {
    "CROSSLINK_TOPIC_REPLICATION_FACTOR": str(REPLICATED.factor),
    "CROSSLINK_TOPIC_MIN_INSYNC_REPLICAS": str(REPLICATED.min_insync),
    "CROSSLINK_RETRY_AFTER_S": "1",
}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """Three KRaft nodes, crosslink's topics on all three."""
    with LocalCluster(tmp_path / "kafka", nodes=3) as running:
        provision(running.access, replication=REPLICATED)
        assert {state.replicas for state in describe_topics(running.access)} == {3}
        yield running
