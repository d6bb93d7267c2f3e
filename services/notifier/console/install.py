"""Attaches the console to the notifier's app: its pages, its static files and the answers to
its three failure kinds (sign in, form refused, not found)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.notifier.console.guard import (
    SESSION_COOKIE,
    FormRejected,
    PageNotFound,
    SignInRequired,
)
from services.notifier.console.pages import PREFIX, render
from services.notifier.console.routes import get_texts, router

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(FormRejected, _form_rejected)
    app.add_exception_handler(PageNotFound, _not_found)


async def _sign_in(_: Request, error: Exception) -> Response:
    expired = isinstance(error, SignInRequired) and error.expired
    response = RedirectResponse(
        f"{PREFIX}/sign-in{'?expired=true' if expired else ''}", status_code=303
    )
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def _form_rejected(request: Request, _: Exception) -> Response:
    t = await get_texts(request)
    return render("message.html", t, status_code=403, title=t.forbidden_title, text=t.form_expired)


async def _not_found(request: Request, _: Exception) -> Response:
    t = await get_texts(request)
    return render(
        "message.html", t, status_code=404, title=t.not_found_title, text=t.not_found_text
    )
