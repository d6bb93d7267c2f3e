"""Idempotency-Key: a retry gets the first response without running again; another body with
the same key is refused; a retry while the first runs is told to wait; keys are per credential."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from crosslink.idempotency import IdempotencyKeys


class Counter:
    def __init__(self) -> None:
        self.runs = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.status = 202


def client_for(counter: Counter) -> httpx.AsyncClient:
    app = FastAPI()

    @app.post("/v1/things")
    async def create(request: Request) -> JSONResponse:
        counter.runs += 1
        counter.started.set()
        await counter.release.wait()
        return JSONResponse({"run": counter.runs, "body": (await request.body()).decode()},
                            status_code=counter.status)  # fmt: skip

    transport = httpx.ASGITransport(app=IdempotencyKeys(app))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def headers(key: str, credential: str = "Bearer a") -> dict[str, str]:
    return {"Idempotency-Key": key, "Authorization": credential}


async def test_a_retry_with_the_same_key_and_body_replays_the_first_response() -> None:
    counter = Counter()
    async with client_for(counter) as client:
        first = await client.post("/v1/things", content=b"one", headers=headers("k1"))
        again = await client.post("/v1/things", content=b"one", headers=headers("k1"))

    assert counter.runs == 1
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"


async def test_the_same_key_with_another_body_is_refused_with_422() -> None:
    counter = Counter()
    async with client_for(counter) as client:
        await client.post("/v1/things", content=b"one", headers=headers("k1"))
        other = await client.post("/v1/things", content=b"two", headers=headers("k1"))

    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert counter.runs == 1


async def test_a_retry_while_the_first_is_running_gets_409() -> None:
    counter = Counter()
    counter.release.clear()
    async with client_for(counter) as client:
        first = asyncio.create_task(client.post("/v1/things", content=b"x", headers=headers("k")))
        await counter.started.wait()
        retry = await client.post("/v1/things", content=b"x", headers=headers("k"))
        counter.release.set()
        await first

    assert retry.status_code == 409
    assert retry.json()["type"].endswith("/idempotency-key-in-use")


async def test_keys_are_scoped_to_the_credential() -> None:
    counter = Counter()
    async with client_for(counter) as client:
        await client.post("/v1/things", content=b"x", headers=headers("k", "Bearer a"))
        await client.post("/v1/things", content=b"x", headers=headers("k", "Bearer b"))

    assert counter.runs == 2


async def test_a_server_error_is_not_kept_so_the_retry_runs_again() -> None:
    counter = Counter()
    counter.status = 503
    async with client_for(counter) as client:
        await client.post("/v1/things", content=b"x", headers=headers("k"))
        counter.status = 202
        retry = await client.post("/v1/things", content=b"x", headers=headers("k"))

    assert counter.runs == 2
    assert retry.status_code == 202


async def test_without_the_header_every_request_runs() -> None:
    counter = Counter()
    async with client_for(counter) as client:
        await client.post("/v1/things", content=b"x")
        await client.post("/v1/things", content=b"x")

    assert counter.runs == 2
