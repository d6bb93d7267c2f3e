"""Intake's two bare baselines for bench/intake.py, each served alone by uvicorn in its own process.

`fastapi`: a FastAPI app with intake's complaint route (same path, same bearer header, the
same `ComplaintSubmission` body validated, the same 202 `ComplaintAccepted` answer) and nothing
behind it: no key lookup, no canon, no pseudonyms, no Kafka, no middleware. `asgi`: a bare ASGI
callable that reads the body and answers 202 with a fixed JSON, the floor of uvicorn itself.

`python -m bench.intake_noop fastapi|asgi --port N` serves it the way services/intake/__main__.py
serves intake: `uvicorn.run(app, host=..., port=..., log_config=None)` after the same logging
setup, so both sides get the same uvicorn defaults (one worker, the same loop and HTTP parser).
"""

from __future__ import annotations

import argparse
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from crosslink.logs import configure_logging
from schemas.api import ComplaintAccepted, ComplaintSubmission
from services.intake.api import COMPLAINTS_PATH

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
    parser.add_argument("app", choices=["fastapi", "asgi"])
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    configure_logging("intake-noop", "WARNING")
    app: ASGIApp = fastapi_noop() if arguments.app == "fastapi" else asgi_noop
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_config=None)


if __name__ == "__main__":
    main()
