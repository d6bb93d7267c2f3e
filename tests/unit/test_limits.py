"""Rate limits per key, body size limits, and a districts directory that follows its file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI, Request

from crosslink.directory import LiveDirectory
from crosslink.limits import BodySizeLimit, RateLimited, RateLimiter, RequestTimeout
from tests.conftest import api_key, write_districts_file


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)

    for _ in range(3):
        limiter.take("MH-MUM")
    with pytest.raises(RateLimited) as limited:
        limiter.take("MH-MUM")

    assert limited.value.headers == {"Retry-After": "1"}
    clock.now = 1.0
    limiter.take("MH-MUM")


def test_one_key_at_its_limit_leaves_other_keys_alone() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, clock=Clock())
    limiter.take("MH-MUM")

    with pytest.raises(RateLimited):
        limiter.take("MH-MUM")
    limiter.take("MP-BPL")


def echo_app(max_bytes: int) -> httpx.AsyncClient:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    guarded = BodySizeLimit(app, max_bytes=max_bytes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded), base_url="http://t")


async def test_a_body_within_the_limit_reaches_the_route_unchanged() -> None:
    async with echo_app(100) as client:
        response = await client.post("/echo", content=b"x" * 100)

    assert response.json() == {"received": 100}


async def test_a_declared_oversized_body_is_refused_with_413() -> None:
    async with echo_app(100) as client:
        response = await client.post("/echo", content=b"x" * 101)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/body-too-large")


async def test_a_streamed_oversized_body_is_refused_with_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 50

    async with echo_app(100) as client:
        response = await client.post("/echo", content=chunks())

    assert response.status_code == 413


def test_a_changed_file_is_reloaded_and_a_revoked_key_refused(tmp_path: Path) -> None:
    path = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": None, "MP-BPL": None})
    clock = Clock()
    live = LiveDirectory(path, check_interval_s=1.0, clock=clock)
    assert live.current().caller_for_api_key(api_key("MP-BPL")) is not None

    content = yaml.safe_load(path.read_text())
    content["districts"][1]["api_key_sha256"] = []
    path.write_text(yaml.safe_dump(content) + "\n# revoked\n")
    clock.now = 1.0

    assert live.current().caller_for_api_key(api_key("MP-BPL")) is None
    assert live.current().caller_for_api_key(api_key("MH-MUM")) is not None


def test_an_invalid_file_keeps_the_last_good_directory(tmp_path: Path) -> None:
    path = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": None})
    live = LiveDirectory(path, check_interval_s=0.0)

    path.write_text("districts: [")

    assert not live.reload()
    assert live.current().get("MH-MUM") is not None


async def test_a_request_past_its_time_gets_503_with_retry_after() -> None:
    app = FastAPI()

    @app.post("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(30)
        return {"late": "yes"}

    guarded = RequestTimeout(app, timeout_s=0.05)
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/slow")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["type"].endswith("/request-timeout")
