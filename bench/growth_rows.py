"""The rows and sightings bench/growth.py grows the matcher's table with, in faust's own bytes.

A row is a real `TokenState` (one earlier complaint) keyed by a 64-hex token, stored as faust
stores `state_by_token`: key and value encoded by faust's own table (`StateStore`: the bytes a
real matcher run writes to the changelog and RocksDB), on the partition its sightings go to. Each
timed batch is half sightings of tokens that already have a row (each raises one alert, the
proof that the matcher read the pre-filled rows) and half sightings of new tokens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, cast

from aiokafka.partitioner import DefaultPartitioner
from faust import Table
from faust.stores.rocksdb import Store as RocksStore
from rocksdict import WriteBatch

from harness.synthetic import complaint_stream
from schemas.api import ComplaintSubmission
from schemas.events import CaseRef, IdentifierSighted
from schemas.topics import IDENTIFIER_SIGHTED, STATE_TABLE
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.matcher.app import create_app
from services.matcher.config import MatcherSettings
from services.matcher.matching import DistrictTally, TokenState

PARTITIONS = list(range(IDENTIFIER_SIGHTED.partitions))
STATES = ["MH", "MP", "WB", "RJ", "JH", "UP", "KA", "TN", "GJ", "DL"]
DISTRICTS = [f"{state}-{code}" for state in STATES for code in ("AAA", "BBB", "CCC", "DDD")]
_START = datetime(2026, 10, 1, tzinfo=UTC)
_PARTITIONER = DefaultPartitioner()
Record = tuple[int, bytes, bytes]  # (partition, key, value) of a table row, as faust writes it


@dataclass(frozen=True)
class Sighting:
    token: str
    partition: int
    value: bytes  # the IdentifierSighted event's JSON


@dataclass(frozen=True)
class Batch:
    """Sightings to time, and the rows that must be in the table before them."""

    sightings: list[Sighting]
    rows: list[tuple[str, bytes]]  # (token, row JSON) for the half whose token is known


def partition_of(token: str) -> int:
    """The partition a sighting keyed by `token` goes to, and so where its row lives."""
    return int(_PARTITIONER(token.encode(), PARTITIONS, PARTITIONS))


def row(state: TokenState) -> bytes:
    """A row's JSON, as the matching agent stores it (`StateStore.records` checks that faust
    writes these very bytes)."""
    return state.model_dump_json().encode()


def filler(count: int) -> Iterator[tuple[str, bytes]]:
    """`count` rows of tokens no sighting names: the bulk of the table."""
    for index in range(count):
        district = DISTRICTS[index % len(DISTRICTS)]
        case = CaseRef(complaint_id=f"{district}-filler-{index:07d}", district=district,
                       police_station=f"Cyber Police Station {district}",
                       registered_at=_START + timedelta(seconds=index))  # fmt: skip
        yield hashlib.sha256(f"growth-filler-{index}".encode()).hexdigest(), row(named_once(case))


def batches(count: int, size: int, *, seed: int) -> list[Batch]:
    """`count` batches of `size` sightings, no token in two of them (one-off phone numbers)."""
    stream = _sightings(seed)
    return [_batch(list(islice(stream, size))) for _ in range(count)]


def warm_up(seed: int) -> list[Sighting]:
    """One new-token sighting per partition: after them, every partition reports a position."""
    first: dict[int, Sighting] = {}
    for sighting in map(_encoded, _sightings(seed)):
        first.setdefault(sighting.partition, sighting)
        if len(first) == len(PARTITIONS):
            return list(first.values())
    raise AssertionError("unreachable: the stream is endless")


def _batch(sightings: Sequence[IdentifierSighted]) -> Batch:
    known = sightings[::2]  # every other one: the two halves interleave on every partition
    rows = [(s.identifier.token, row(_earlier_state(s))) for s in known]
    return Batch([_encoded(s) for s in sightings], rows)


def _earlier_state(sighting: IdentifierSighted) -> TokenState:
    """A row saying another district's complaint named the identifier an hour earlier."""
    case = sighting.case
    district = DISTRICTS[(DISTRICTS.index(case.district) + 1) % len(DISTRICTS)]
    earlier = CaseRef(complaint_id=f"{case.complaint_id}-earlier", district=district,
                      police_station=f"Cyber Police Station {district}",
                      registered_at=case.registered_at - timedelta(hours=1))  # fmt: skip
    return named_once(earlier)


def named_once(case: CaseRef) -> TokenState:
    """The row of an identifier one complaint named, as the matching rules leave it."""
    tally = DistrictTally.of(case)
    return TokenState(cases=(case,), complaints=1, earliest=case, districts={case.district: tally},
                      latest=(case,))  # fmt: skip


def _encoded(sighting: IdentifierSighted) -> Sighting:
    token = sighting.identifier.token
    return Sighting(token, partition_of(token), sighting.model_dump_json().encode())


def _sightings(seed: int) -> Iterator[IdentifierSighted]:
    """Sightings of one-off phone numbers (overlap 0), benign ones left out: they cost nothing."""
    key, now, seen = IntakeSettings().pseudonym(), datetime.now(UTC), set()
    for body in complaint_stream(DISTRICTS, seed=seed, overlap=0.0):
        complaint = ComplaintSubmission.model_validate(body)
        for sighting in sightings_for(complaint, caller_district=complaint.district, key=key,
                                      received_at=now):  # fmt: skip
            if not sighting.identifier.benign and sighting.identifier.token not in seen:
                seen.add(sighting.identifier.token)
                yield sighting


class StateStore:
    """faust's own view of the matcher's tables under a data dir: their RocksDB paths and
    options, and the key and value bytes it writes to them and to their changelogs."""

    def __init__(self, data_dir: Path) -> None:
        app = create_app(MatcherSettings(matcher_data_dir=data_dir))
        self._tables = {name: cast(Table[str, Any], app.tables[name]) for name in app.tables}
        self._state = self._store(STATE_TABLE)
        self._key = self._key_codec()

    def records(self, rows: Iterable[tuple[str, bytes]]) -> Iterator[Record]:
        """(partition, key, value) of each row, as faust writes them to the changelog."""
        for index, (token, value) in enumerate(rows):
            key = self._key(token)
            if index % 10_000 == 0:  # the rows are all alike: that faust writes these bytes
                assert self._state._encode_key(token) == key
                assert self._state._encode_value(self._state._decode_value(value)) == value
            yield partition_of(token), key, value

    def _key_codec(self) -> Callable[[str], bytes]:
        """faust's key encoding, which costs tens of µs a call through faust: a hex token is
        either its own bytes or a JSON string."""
        token = hashlib.sha256(b"sample").hexdigest()
        for codec in (str.encode, lambda text: json.dumps(text).encode()):
            if codec(token) == self._state._encode_key(token):
                return codec
        raise AssertionError(f"unknown key encoding: {self._state._encode_key(token)!r}")

    def write(self, records: Iterable[Record], ends: Mapping[str, Mapping[int, int]]) -> None:
        """Write `records` (from `records`) into `state_by_token`'s RocksDB files, and mark
        every table as recovered up to `ends` (table -> partition -> next changelog offset), as
        the disk of a worker that had read those changelogs would be."""
        by_partition = {partition: WriteBatch(raw_mode=True) for partition in PARTITIONS}
        for partition, key, value in records:
            by_partition[partition].put(key, value)
        for name, offsets in ends.items():
            store = self._store(name)
            for partition in range(self._tables[name].partitions or 1):
                path = store.partition_path(partition)
                path.parent.mkdir(parents=True, exist_ok=True)
                db = store.rocksdb_options.open(path)
                if name == STATE_TABLE:
                    db.write(by_partition[partition])
                if offsets.get(partition):  # faust keeps the offset of the last record applied
                    db.put(store.offset_key, str(offsets[partition] - 1).encode())
                db.close()

    def _store(self, name: str) -> RocksStore:
        return cast(RocksStore, self._tables[name].data)
