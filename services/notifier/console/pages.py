"""Renders the console's pages: one Jinja2 environment, HTML-escaped, strict about missing
names, and the headers every page carries."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from services.notifier.console.texts import Texts

TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/console"
# Pages are only ever framed, scripted and styled by the console itself; no page is cached,
# since each shows one district's alerts.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@lru_cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["prefix"] = PREFIX
    return environment


def render_text(template: str, texts: Texts, **context: Any) -> str:
    def when(moment: datetime) -> str:
        return moment.strftime(texts.date_format)

    return _environment().get_template(template).render(t=texts, when=when, **context)


def render(template: str, texts: Texts, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        render_text(template, texts, **context), status_code=status_code, headers=HEADERS
    )
