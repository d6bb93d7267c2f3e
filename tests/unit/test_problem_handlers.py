"""Every failure of an HTTP API answers problem+json, and an unexpected one leaks nothing."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from crosslink.i18n import translator
from crosslink.problems import install_problem_handlers


def app_that_fails() -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("invalid literal for int(): '9876543210'")

    install_problem_handlers(app)
    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app_that_fails()), base_url="http://t")


async def test_an_unexpected_error_answers_500_problem_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        async with client() as http:
            response = await http.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "9876543210" not in response.text
    [record] = caplog.records
    assert record.__dict__["error"] == "ValueError"
    assert "9876543210" not in str(record.__dict__)


async def test_an_unknown_path_answers_404_problem() -> None:
    async with client() as http:
        response = await http.get("/nowhere")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/http-404")


@pytest.mark.parametrize(
    ("accept_language", "language"), [("hi-IN,hi;q=0.9", "hi"), ("mr", "mr"), ("ta", "en")]
)
async def test_a_problem_s_title_is_in_the_caller_s_language_and_the_rest_stays_english(
    accept_language: str, language: str
) -> None:
    async with client() as http:
        response = await http.get("/boom", headers={"Accept-Language": accept_language})

    problem = response.json()
    assert response.headers["content-language"] == language
    assert problem["title"] == translator(language).gettext("Internal error")
    assert (problem["title"] == "Internal error") is (language == "en")
    assert problem["type"].endswith("/internal")
    assert problem["detail"] == "crosslink could not handle this request; it has been logged"
