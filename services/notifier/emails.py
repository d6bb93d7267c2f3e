"""Where an alert email is written: subject, plain-text and HTML bodies from templates, in the
district's language. Pure.

The email holds what the webhook holds (tokens never; masked identifiers, case references and
the reason), so it can go to a district's shared mailbox without exposing a raw identifier.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache, partial
from pathlib import Path

import jinja2

from crosslink.i18n import N_, Language, Translator, translator
from crosslink.reasons import about, reason_of, type_name
from schemas.api import DistrictAlert
from services.notifier.routing import Purpose

TEMPLATES = Path(__file__).parent / "templates"
KIND_TITLES = {
    "shared_identifier": N_("Identifier shared with other complaints"),
    "registry_hit": N_("Identifier found in the suspect registry"),
    "cluster_linked": N_("Complaints linked into one group"),
    "hub_identifier": N_("Identifier named by very many complaints"),
    "generic_value": N_("Identifier marked a generic value: its links are withdrawn"),
    "link_withdrawn": N_("A district says its complaint is not linked to yours"),
    "import_digest": N_("A back-fill's links, in one digest"),
    "watch_hit": N_("A new complaint names an identifier you watch"),
    "arrest": N_("An arrest linked to your complaints"),
}


@lru_cache
def _templates(language: Language) -> jinja2.Environment:
    t = translator(language)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(t.translations, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        t=t,
        date=t.date,
        number=t.number,
        reason=partial(reason_of, t=t),
        type_name=partial(type_name, t=t),
    )
    return environment


def subject(view: DistrictAlert, purpose: Purpose, t: Translator) -> str:
    values = {"title": t.gettext(KIND_TITLES[view.kind]), "about": about(view, t)}
    if purpose == "reminder":
        return (
            t.gettext("[crosslink] Reminder, not yet acknowledged: %(title)s: %(about)s") % values
        )
    return t.gettext("[crosslink] %(title)s: %(about)s") % values


def alert_email(
    view: DistrictAlert,
    *,
    purpose: Purpose,
    sender: str,
    to: list[str],
    message_id: str,
    language: Language = "en",
) -> EmailMessage:
    """One email for one district, in its language, with a plain-text body and an HTML
    alternative."""
    t = translator(language)
    context = {
        "alert": view,
        "title": t.gettext(KIND_TITLES[view.kind]),
        "reminder": purpose == "reminder",
    }
    message = EmailMessage()
    message["Subject"] = subject(view, purpose, t)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(view.raised_at)
    message["Message-ID"] = f"<{message_id}@crosslink>"
    templates = _templates(language)
    message.set_content(templates.get_template("alert.txt.j2").render(context))
    message.add_alternative(templates.get_template("alert.html.j2").render(context), subtype="html")
    # After the bodies: setting content moves Content-* headers into the first part.
    message["Content-Language"] = language
    return message
