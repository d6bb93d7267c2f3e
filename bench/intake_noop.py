"""Intake's bare baselines for bench/intake.py, each served alone by uvicorn in its own process.

`fastapi`: a FastAPI app with intake's complaint route (same path, same bearer header, the
same `ComplaintSubmission` body validated, the same 202 `ComplaintAccepted` answer) and nothing
behind it: no key lookup, no canon, no pseudonyms, no Kafka, no middleware. `asgi`: a bare ASGI
callable that reads the body and answers 202 with a fixed JSON, the floor of uvicorn itself.
`batch`: intake's batch route (same path, bearer header, `ComplaintBatch` body, each complaint
validated as `ComplaintSubmission`, the same `ComplaintBatchAccepted` answer) that publishes
what intake publishes for the batch, one record per identifier to the sightings topic and one
per complaint to the complaints topic, and answers once the broker holds them all (acks=all,
idempotent, as intake's publisher), but without canon or pseudonyms: each identifier's record
is its raw value and the complaint's case, keyed by the raw value.

`python -m bench.intake_noop fastapi|asgi|batch --port N` serves it the way
services/intake/__main__.py serves intake: `uvicorn.run(app, host=..., port=...,
log_config=None)` after the same logging setup, so both sides get the same uvicorn defaults (one
worker, the same loop and HTTP parser). `batch` reaches the broker as the CROSSLINK_KAFKA_*
variables say (bench/brokers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.brokers import from_parent
from crosslink.logs import configure_logging
from schemas.api import (
    BatchItemResult,
    ComplaintAccepted,
    ComplaintBatch,
    ComplaintBatchAccepted,
    ComplaintSubmission,
)
from schemas.topics import COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from services.intake.api import BATCH_PATH, COMPLAINTS_PATH

BearerDep = Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())]


def fastapi_noop() -> FastAPI:
    app = FastAPI(title="intake no-op")

    @app.post(COMPLAINTS_PATH, status_code=status.HTTP_202_ACCEPTED,
              response_model=ComplaintAccepted)  # fmt: skip
    async def submit_complaint(complaint: ComplaintSubmission, _: BearerDep) -> ComplaintAccepted:
        return ComplaintAccepted(
            complaint_id=complaint.complaint_id,
            district=complaint.district,
            identifiers_accepted=len(complaint.identifiers),
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def batch_baseline() -> FastAPI:
    producer: AIOKafkaProducer | None = None

    @asynccontextmanager
    async def connected(_: FastAPI) -> AsyncIterator[None]:
        nonlocal producer
        producer = AIOKafkaProducer(**from_parent().options(), acks="all", enable_idempotence=True)
        await producer.start()
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(title="intake batch baseline", lifespan=connected)

    @app.post(BATCH_PATH, response_model=ComplaintBatchAccepted)
    async def submit_complaints(batch: ComplaintBatch, _: BearerDep) -> ComplaintBatchAccepted:
        assert producer is not None
        results, sent = [], []
        for index, item in enumerate(batch.complaints):
            complaint = ComplaintSubmission.model_validate(item)
            case = {"district": complaint.district, "complaint_id": complaint.complaint_id,
                    "police_station": complaint.police_station}  # fmt: skip
            for identifier in complaint.identifiers:
                value = json.dumps({"case": case, "identifier": identifier.model_dump()})
                sent.append(await producer.send(IDENTIFIER_SIGHTED.name, value=value.encode(),
                                                key=identifier.value.encode()))  # fmt: skip
            filed = json.dumps({"case": case, "identifiers": len(complaint.identifiers)})
            key = f"{complaint.district}/{complaint.complaint_id}".encode()
            sent.append(await producer.send(COMPLAINTS_FILED.name, key=key, value=filed.encode()))
            accepted = {"complaint_id": complaint.complaint_id,
                        "identifiers_accepted": len(complaint.identifiers)}  # fmt: skip
            results.append(BatchItemResult(index=index, status="accepted", **accepted))
        await asyncio.gather(*sent)  # the broker holds every record
        return ComplaintBatchAccepted(accepted=len(results), refused=0, results=results)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


ACCEPTED = b'{"status":"accepted","complaint_id":"-","district":"-","identifiers_accepted":1}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(ACCEPTED))]


async def asgi_noop(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, answers 202 (200 to a GET, for the health check) with ACCEPTED."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    code = 200 if scope["method"] == "GET" else 202
    await send({"type": "http.response.start", "status": code, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": ACCEPTED})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["fastapi", "asgi", "batch"])
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    configure_logging("intake-noop", "WARNING")
    apps: dict[str, Callable[[], ASGIApp]] = {
        "fastapi": fastapi_noop, "asgi": lambda: asgi_noop, "batch": batch_baseline,
    }  # fmt: skip
    app = apps[arguments.app]()
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_config=None)


if __name__ == "__main__":
    main()
