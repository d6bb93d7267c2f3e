"""Renders the console's pages: one Jinja2 environment per language (gettext's `_` and
`ngettext` from that language's catalog), HTML-escaped, strict about missing names, and the
headers every page carries."""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from crosslink.i18n import NATIVE_NAMES, Language, Translator, translator
from crosslink.reasons import about, reason_of, type_name
from services.notifier.console.texts import label

TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/console"
# Pages are only ever framed, scripted and styled by the console itself; no page is cached,
# since each shows one district's alerts.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@lru_cache
def _environment(language: Language) -> jinja2.Environment:
    t = translator(language)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(t.translations, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        prefix=PREFIX,
        t=t,
        languages=NATIVE_NAMES,
        label=partial(label, t),
        when=t.moment,
        number=t.number,
        reason=partial(reason_of, t=t),
        type_name=partial(type_name, t=t),
        about=partial(about, t=t),
    )
    return environment


def render_text(template: str, t: Translator, **context: Any) -> str:
    return _environment(t.language).get_template(template).render(**context)


def render(template: str, t: Translator, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        render_text(template, t, **context), status_code=status_code, headers=HEADERS
    )
