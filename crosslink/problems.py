"""RFC 9457 problem responses: the one error format of every crosslink HTTP API.

Each failure kind is a ProblemError subclass with a stable `type`; handlers map them, request
validation errors and anything unexpected to application/problem+json. Never a stack trace.
A problem's `title` is in the caller's language (Accept-Language, crosslink.i18n); its `type`,
`detail` and field `errors` stay English, for the integrator's code and logs.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crosslink.i18n import DEFAULT_LANGUAGE, N_, Language, negotiate, translator
from schemas.api import FieldProblem, Problem

PROBLEM_BASE = "https://crosslink.example/problems/"
PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)


class ProblemError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = N_("Internal error")
    default_headers: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        detail: str,
        errors: Sequence[FieldProblem] = (),
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = {**self.default_headers, **(headers or {})}


INVALID_REQUEST = N_("The request is invalid")  # a body that does not fit its schema
# Starlette's own titles for the HTTP errors it raises itself (unknown path, wrong method).
HTTP_TITLES = (N_("Not Found"), N_("Method Not Allowed"))


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldProblem] = (),
    headers: dict[str, str] | None = None,
    accept_language: str | None = None,
) -> JSONResponse:
    """`title` is an English message of the catalogs, answered in the caller's language."""
    language = negotiate(accept_language)
    problem = problem_document(
        status=status, slug=slug, title=title, detail=detail, errors=errors, language=language
    )
    return JSONResponse(
        problem.model_dump(),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"},
    )


def problem_document(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldProblem] = (),
    language: Language = DEFAULT_LANGUAGE,
) -> Problem:
    """The problem document itself, its title in `language`."""
    return Problem(
        type=PROBLEM_BASE + slug,
        title=translator(language).gettext(title),
        status=status,
        detail=detail,
        errors=list(errors),
    )


def problem_of(error: ProblemError, language: Language = DEFAULT_LANGUAGE) -> Problem:
    """What `error` answers, as a document (one item of a batch, say)."""
    return problem_document(
        status=error.status,
        slug=error.slug,
        title=error.title,
        detail=error.detail,
        errors=error.errors,
        language=language,
    )


def accept_language(scope: Scope) -> str | None:
    """The Accept-Language header of an ASGI request, for a problem answered by a middleware."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return str(value.decode("latin-1"))
    return None


# Every guarded route may answer these (crosslink.guards): a body that is not JSON, too large,
# or too many requests for the key.
GUARD_STATUSES = (400, 413, 429, 503)


def documented_problems(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` for a route that may answer `statuses` (and the guards') as problems."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}}
        for status in sorted({*statuses, *GUARD_STATUSES})
    }


def field_path(loc: Sequence[int | str]) -> str:
    """('body', 'identifiers', 1, 'value') -> 'identifiers[1].value'."""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "body"


def validation_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """pydantic's errors as the problem document's `errors`, each naming its field."""
    return [
        FieldProblem(field=field_path(e["loc"]), code=f"request.{e['type']}", reason=e["msg"])
        for e in errors
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem+json response."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(
            status=error.status,
            slug=error.slug,
            title=error.title,
            detail=error.detail,
            errors=error.errors,
            headers=error.headers or None,
            accept_language=request.headers.get("accept-language"),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = validation_problems(error.errors())
        return problem_response(
            status=422,
            slug="invalid-request",
            title=INVALID_REQUEST,
            detail=f"{len(problems)} field(s) are invalid",
            errors=problems,
            accept_language=request.headers.get("accept-language"),
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        return problem_response(
            status=error.status_code,
            slug=f"http-{error.status_code}",
            title=str(error.detail),
            detail=str(error.detail),
            headers=dict(error.headers) if error.headers else None,
            accept_language=request.headers.get("accept-language"),
        )

    app.add_middleware(AnswerUnexpectedErrors)


class WatchedSend:
    """An ASGI `send` that notes when the response has started: after that, a middleware can
    no longer answer in the app's place, only let the error through."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


class AnswerUnexpectedErrors:
    """Any unhandled error becomes a 500 problem, logged by type and place only.

    A middleware, not an exception handler: Starlette re-raises from those, and the server would
    then log a traceback whose messages may quote request data. A plain ASGI one, not
    `@app.middleware("http")`: that runs the app in a task group with streamed responses, and
    cost intake a third of its CPU per complaint (docs/bench/tuning.md).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if watched.started:
                raise
            where = traceback.extract_tb(error.__traceback__)[-1]
            log.error(  # the type and place only: an exception message may quote the input
                "unhandled error",
                extra={
                    "path": scope["path"],
                    "error": type(error).__name__,
                    "where": f"{where.filename}:{where.lineno}",
                },
            )
            response = problem_response(
                status=500,
                slug="internal",
                title=N_("Internal error"),
                detail="crosslink could not handle this request; it has been logged",
                accept_language=accept_language(scope),
            )
            await response(scope, receive, send)
