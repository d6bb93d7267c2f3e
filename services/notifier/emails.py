"""Where an alert email is written: subject, plain-text and HTML bodies from templates. Pure.

The email holds what the webhook holds (tokens never; masked identifiers, case references and
the reason), so it can go to a district's shared mailbox without exposing a raw identifier.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from schemas.api import DistrictAlert
from services.notifier.routing import Purpose

TEMPLATES = Path(__file__).parent / "templates"
KIND_TITLES = {
    "shared_identifier": "Identifier shared with other complaints",
    "registry_hit": "Identifier found in the suspect registry",
    "cluster_linked": "Complaints linked into one group",
    "hub_identifier": "Identifier named by very many complaints",
    "generic_value": "Identifier marked a generic value: its links are withdrawn",
}


@lru_cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def subject(view: DistrictAlert, purpose: Purpose) -> str:
    prefix = (
        "[crosslink] Reminder, not yet acknowledged: " if purpose == "reminder" else "[crosslink] "
    )
    return (
        f"{prefix}{KIND_TITLES[view.kind]}: {view.identifier.type.value} {view.identifier.masked}"
    )


def alert_email(
    view: DistrictAlert, *, purpose: Purpose, sender: str, to: list[str], message_id: str
) -> EmailMessage:
    """One email for one district, with a plain-text body and an HTML alternative."""
    context = {"alert": view, "title": KIND_TITLES[view.kind], "reminder": purpose == "reminder"}
    message = EmailMessage()
    message["Subject"] = subject(view, purpose)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(view.raised_at)
    message["Message-ID"] = f"<{message_id}@crosslink>"
    message.set_content(_templates().get_template("alert.txt.j2").render(context))
    message.add_alternative(
        _templates().get_template("alert.html.j2").render(context), subtype="html"
    )
    return message
