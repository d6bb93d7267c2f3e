"""The console's words chosen by a value (an alert's kind, its status, a delivery's channel).

Each is an English message marked for the catalogs (crosslink.i18n) and translated where it is
shown: `label("statuses", item.status)` in a template. Every other word is written in the
templates themselves as `_("...")`; `make messages` extracts both.
"""

from __future__ import annotations

from crosslink.i18n import N_, Translator
from services.notifier.emails import KIND_TITLES

LABELS: dict[str, dict[str, str]] = {
    "kinds": KIND_TITLES,
    "kind_meanings": {
        "shared_identifier": N_(
            "A complaint in another district names the same identifier as yours. The same "
            "person or gang may be behind both: call the other district before acting."
        ),
        "registry_hit": N_(
            "An identifier in your complaint is in the suspect registry of known perpetrators."
        ),
        "cluster_linked": N_(
            "Your complaint is part of a group of complaints, across districts, linked through "
            "a chain of shared identifiers: likely one gang."
        ),
        "hub_identifier": N_(
            "This identifier is named by very many complaints; it may be a common or spoofed "
            "value rather than a lead."
        ),
        "generic_value": N_(
            "Operators found that this identifier is a generic value shared by unrelated "
            "people: a link made through it is not evidence of a common perpetrator."
        ),
        "link_withdrawn": N_(
            "An officer of another district found that their complaint is not linked to yours "
            "through this identifier, and said why: that link no longer stands."
        ),
        "import_digest": N_(
            "A back-fill of earlier complaints has ended. Its links to your complaints were not "
            "alerted one by one: they are in your inbox, marked historical."
        ),
        "watch_hit": N_(
            "Someone in your district asked to be told when a new complaint names this "
            "identifier, and one has: call the complaint's district before acting."
        ),
        "arrest": N_(
            "A district arrested suspects or seized identifiers that your complaints name, or "
            "that are in the same gang as yours: call its contact about the accused (production, "
            "transfer) before acting."
        ),
    },
    "statuses": {
        "historical": N_("Historical"),
        "new": N_("New"),
        "acknowledged": N_("Acknowledged"),
        "actioned": N_("Actioned"),
        "closed": N_("Closed"),
    },
    "actions": {
        "acknowledged": N_("Acknowledge"),
        "actioned": N_("Mark actioned"),
        "closed": N_("Close"),
    },
    "channels": {
        "webhook": N_("Webhook to your case-management system"),
        "email": N_("Email"),
    },
    "purposes": {"alert": N_("the alert"), "reminder": N_("a reminder, not yet acknowledged")},
    "delivery_states": {
        "pending": N_("being sent"),
        "delivered": N_("delivered"),
        "held": N_("held: the endpoint is disabled"),
        "dead": N_("not delivered after every retry"),
    },
    "roles": {
        "investigating_officer": N_("Investigating officer"),
        "cell_in_charge": N_("Cell in-charge"),
        "district_supervisor": N_("District supervisor (SP)"),
        "state_nodal_officer": N_("State nodal officer"),
        "operator": N_("Operator"),
        "registry_administrator": N_("Registry administrator"),
    },
    "account_states": {
        "active": N_("Active"),
        "locked": N_("Locked after wrong codes"),
        "disabled": N_("Disabled"),
    },
    # What an audit entry records (services/notifier/audit/events.py, the console's routes).
    "audit_actions": {
        "alert.viewed": N_("opened an alert"),
        "alert.status_changed": N_("changed an alert's status"),
        "cluster.viewed": N_("opened a group's picture"),
        "officer.signed_in": N_("signed in"),
        "officer.sign_in_refused": N_("was refused sign-in"),
        "officer.signed_out": N_("signed out"),
        "audit.viewed": N_("read the audit trail"),
        "officer.created": N_("created an account"),
        "officer.disabled": N_("disabled an account"),
        "officer.enabled": N_("enabled an account"),
        "officer.password_changed": N_("changed their password"),
        "generic_value.decided": N_("marked a value generic"),
        "generic_value.withdrawn": N_("withdrew a generic-value decision"),
        "identifier.looked_up": N_("looked up an identifier"),
        "identifier.watched": N_("watched an identifier"),
    },
    "operator_sections": {
        "hubs": N_("Prolific identifiers: named by very many complaints (live count)"),
        "generic": N_("Generic values: operators' decisions, with who made them"),
        "dead_letters": N_(
            "Dead letters: deliveries given up after every retry, alerts unreadable"
        ),
        "delivery_failures": N_(
            "Delivery failures: webhook endpoints gone, districts not in the directory"
        ),
    },
}


def label(t: Translator, group: str, value: str) -> str:
    """What the console calls `value` of `group` ("statuses", "new"), in `t`'s language; a
    value it has no words for (a newer state) as it is."""
    message = LABELS[group].get(value)
    return t.gettext(message) if message else value
