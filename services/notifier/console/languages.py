"""Which language a console page speaks, the switch between languages, and the Devanagari font.

A page speaks the language the officer chose in the console (a cookie, remembered for a year),
else the signed-in district's language in the directory, else the browser's Accept-Language,
else English. The font comes from Debian's fonts-noto-core on the notifier's own host, so a
district PC without a Devanagari font still renders Hindi and Marathi; nothing is fetched from
elsewhere.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse

from crosslink.i18n import LANGUAGES, Translator, negotiate, translator
from services.notifier.console import sessions
from services.notifier.console.guard import SESSION_COOKIE, PageNotFound, session_key, set_cookie
from services.notifier.console.pages import PREFIX
from services.notifier.state import notifier_of

LANGUAGE_COOKIE = "crosslink_language"
LANGUAGE_COOKIE_LIFETIME_S = 365 * 24 * 3600
# The console's fonts by the name its stylesheet asks for, as Debian's fonts-noto-core names them.
FONTS = {
    "devanagari-regular.ttf": "NotoSansDevanagari-Regular.ttf",
    "devanagari-bold.ttf": "NotoSansDevanagari-Bold.ttf",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)
log = logging.getLogger(__name__)


async def get_translator(request: Request) -> Translator:
    return translator(
        negotiate(
            request.cookies.get(LANGUAGE_COOKIE),
            _district_language(request),
            request.headers.get("accept-language"),
        )
    )


TranslatorDep = Annotated[Translator, Depends(get_translator)]


@router.get("/language/{language}")
async def switch_language(request: Request, language: str) -> RedirectResponse:
    """Remember the officer's choice and go back to the page they were on."""
    if language not in LANGUAGES:
        raise PageNotFound()
    response = RedirectResponse(_back(request), status_code=303)
    set_cookie(request, response, LANGUAGE_COOKIE, language, LANGUAGE_COOKIE_LIFETIME_S)
    return response


@router.get("/fonts/{name}")
async def font(request: Request, name: str) -> FileResponse:
    if name not in FONTS:
        raise PageNotFound()
    path = fonts_dir(request) / FONTS[name]
    if not path.is_file():
        raise PageNotFound()
    return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "max-age=86400"})


def fonts_dir(request: Request) -> Path:
    return notifier_of(request).settings.console_fonts_dir


def check_fonts(directory: Path) -> None:
    """Say at start, for the person deploying, when the console cannot serve Devanagari."""
    missing = [file for file in FONTS.values() if not (directory / file).is_file()]
    if missing:
        log.warning(
            "the console cannot serve its Devanagari font: Hindi and Marathi pages fall back to "
            "the browser's own fonts; install Debian's fonts-noto-core or set "
            "CROSSLINK_CONSOLE_FONTS_DIR",
            extra={"directory": str(directory), "missing": missing},
        )


def _district_language(request: Request) -> str | None:
    """The signed-in officer's district's language in the directory, if a valid session says
    which it is (whether the session is still valid is checked where the page needs it)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return None
    try:
        session = sessions.unseal(cookie, session_key(request), now=time.time())
    except (sessions.SessionExpired, sessions.BadSession):
        return None
    if session.district is None:
        return None
    district = request.app.state.directory.current().get(session.district)
    return district.language if district is not None else None


def _back(request: Request) -> str:
    """The console page the switch was pressed on (the Referer's path: only ever a page of
    this console, whatever site a Referer names), else home. A form's answer (a refused status
    change) goes back to the page the form is on."""
    referer = urlsplit(request.headers.get("referer", ""))
    path = referer.path.removesuffix("/status")
    if not path.startswith(f"{PREFIX}/") or "//" in path:
        return PREFIX
    return path + (f"?{referer.query}" if referer.query else "")
