"""Attaches the console to the notifier's app: its pages, its static files and the answers to
its three failure kinds (sign in, form refused, not found)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.notifier.config import NotifierSettings
from services.notifier.console import accounts, arrests, gangs, languages, lookups
from services.notifier.console.guard import (
    SESSION_COOKIE,
    FormRejected,
    PageNotFound,
    SignInRequired,
)
from services.notifier.console.languages import get_translator
from services.notifier.console.pages import PREFIX, render
from services.notifier.console.routes import router
from services.notifier.console.single_sign_on import install_single_sign_on

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI, settings: NotifierSettings) -> None:
    app.include_router(router)
    install_single_sign_on(app, settings)
    app.include_router(accounts.router)
    app.include_router(lookups.router)
    app.include_router(gangs.router)
    app.include_router(arrests.router)
    app.include_router(languages.router)
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
    t = await get_translator(request)
    title = t.gettext("Not allowed")
    text = t.gettext(
        "This form has expired or did not come from this console, so nothing was changed. "
        "Go back, reload the page and try again."
    )
    return render("message.html", t, status_code=403, title=title, text=text)


async def _not_found(request: Request, _: Exception) -> Response:
    t = await get_translator(request)
    title, text = t.gettext("Not found"), t.gettext("There is no such page for your district.")
    return render("message.html", t, status_code=404, title=title, text=text)
