"""The latency floor: two bare Kafka hops and one loopback POST, nothing else.

Run by bench/latency.py on the same broker as crosslink, in two processes as the matcher and
the notifier are: `relay` consumes topic A and produces each record to topic B (hop 1, as the
matcher turns a sighting into an alert), `post` consumes B and POSTs each record's value with
httpx to a loopback receiver (hop 2 and the webhook). Kafka settings are crosslink's: acks=all
and an idempotent producer, consumers with aiokafka's default fetch settings. Each prints
`ready` once its partitions are assigned, and runs until terminated. `FloorReceiver` is the
loopback receiver, run inside the benchmark process: it notes when each record arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.brokers import from_parent
from crosslink.kafka_access import KafkaAccess
from harness.receiver import BackgroundServer


async def _assigned(consumer: AIOKafkaConsumer) -> None:
    """Poll until the group has given this consumer its partitions, then say so."""
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    print("ready", flush=True)


async def relay(kafka: KafkaAccess, source: str, sink: str) -> None:
    consumer = AIOKafkaConsumer(source, **kafka.options(), group_id="bench-floor-relay",
                                auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True)
    await producer.start()
    await consumer.start()
    try:
        await _assigned(consumer)
        async for record in consumer:
            await producer.send_and_wait(sink, key=record.key, value=record.value)
    finally:
        await consumer.stop()
        await producer.stop()


async def post(kafka: KafkaAccess, source: str, url: str) -> None:
    consumer = AIOKafkaConsumer(source, **kafka.options(), group_id="bench-floor-post",
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await _assigned(consumer)
            while True:
                batches = await consumer.getmany(timeout_ms=500)  # returns once records are in
                records = [record for batch in batches.values() for record in batch]
                # One POST per record, all of a fetch at once: no queueing behind each other.
                await asyncio.gather(*(client.post(url, content=r.value or b"") for r in records))
    finally:
        await consumer.stop()


class FloorReceiver:
    """A loopback HTTP receiver (the same server as harness.receiver's) that notes the
    `time.monotonic()` at which each POST's body, a record id, arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server = BackgroundServer(self._handler_class())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/floor"

    def start(self) -> FloorReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _arrived(self, body: bytes, at: float) -> None:
        record_id = body.split(b" ", 1)[0].decode()
        with self._lock:
            self.arrivals.setdefault(record_id, at)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver._arrived(body, time.monotonic())
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """No per-request stderr lines."""

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["relay", "post"])
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", help="relay: the topic to produce to")
    parser.add_argument("--url", help="post: where to POST each record")
    arguments = parser.parse_args()
    if arguments.role == "relay":
        asyncio.run(relay(from_parent(), arguments.source, arguments.sink))
    else:
        asyncio.run(post(from_parent(), arguments.source, arguments.url))


if __name__ == "__main__":
    main()
