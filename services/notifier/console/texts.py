"""Every word the console shows, in one place. To add a language, write another `Texts` (mypy
checks that none is missing) and pick it in `texts_for` (docs/console.md).

The alert's `reason` is written by the matcher, in English; these texts frame it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notifier.emails import KIND_TITLES


@dataclass(frozen=True)
class Texts:
    lang: str
    app_name: str
    skip_to_content: str
    nav_inbox: str
    nav_operator: str
    signed_in_as: str
    sign_in_title: str
    sign_in_intro: str
    key_label: str
    key_hint: str
    sign_in_button: str
    sign_out_button: str
    bad_key: str
    not_for_console: str
    session_expired: str
    signed_out: str
    form_expired: str
    inbox_title: str
    unacknowledged: str
    filter_legend: str
    status_label: str
    kind_label: str
    any_option: str
    filter_button: str
    refresh_link: str
    older_link: str
    newest_link: str
    no_alerts: str
    live_updates: str
    column_received: str
    column_kind: str
    column_identifier: str
    column_other_districts: str
    column_status: str
    alert_title: str
    identifier_heading: str
    why_heading: str
    what_it_means: str
    your_cases_heading: str
    other_cases_heading: str
    column_complaint: str
    column_district: str
    column_station: str
    column_registered: str
    contacts_heading: str
    no_email_on_file: str
    phone: str
    registry_heading: str
    deliveries_heading: str
    actions_heading: str
    note_label: str
    note_hint: str
    note_required: str
    current_status: str
    status_changed: str
    status_conflict: str
    cluster_link: str
    group_link: str
    back_to_alert: str
    back_to_inbox: str
    cluster_title: str
    cluster_intro_path: str
    cluster_intro_single: str
    cluster_size: str
    legend_heading: str
    your_district: str
    links_heading: str
    shares_with: str
    not_found_title: str
    not_found_text: str
    forbidden_title: str
    operator_title: str
    deliveries_by_channel: str
    column_channel: str
    column_count: str
    column_url: str
    disabled_endpoints_heading: str
    none: str
    column_raised: str
    column_reason: str
    date_format: str
    operator_sections: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    purposes: dict[str, str] = field(default_factory=dict)
    delivery_states: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    kind_meanings: dict[str, str] = field(default_factory=dict)


ENGLISH = Texts(
    lang="en",
    app_name="crosslink district console",
    skip_to_content="Skip to content",
    nav_inbox="Alerts",
    nav_operator="Operations",
    signed_in_as="Signed in as",
    sign_in_title="Sign in",
    sign_in_intro="Sign in with your district's crosslink key to see the alerts for your district.",
    key_label="District key",
    key_hint="The key your district received from the crosslink operators.",
    sign_in_button="Sign in",
    sign_out_button="Sign out",
    bad_key="That key is not known to crosslink. Check it and try again.",
    not_for_console="That key cannot sign in to the console.",
    session_expired="Your session has ended. Please sign in again.",
    signed_out="You have signed out.",
    form_expired=(
        "This form has expired or did not come from this console, so nothing was changed. "
        "Go back, reload the page and try again."
    ),
    inbox_title="Alerts for your district",
    unacknowledged="Not yet acknowledged",
    filter_legend="Show only",
    status_label="Status",
    kind_label="Type",
    any_option="Any",
    filter_button="Show",
    refresh_link="Refresh",
    older_link="Older alerts",
    newest_link="Newest alerts",
    no_alerts="No alerts match.",
    live_updates="This list updates by itself.",
    column_received="Received",
    column_kind="Type",
    column_identifier="Identifier",
    column_other_districts="Other districts",
    column_status="Status",
    alert_title="Alert",
    identifier_heading="Identifier",
    why_heading="Why you are seeing this",
    what_it_means="What this type of alert means",
    your_cases_heading="Your complaints",
    other_cases_heading="Complaints in other districts",
    column_complaint="Complaint",
    column_district="District",
    column_station="Police station",
    column_registered="Registered",
    contacts_heading="Who to contact",
    no_email_on_file="No email address on file; contact the crosslink operators.",
    phone="phone",
    registry_heading="Suspect registry entries",
    deliveries_heading="How this alert reached you",
    actions_heading="What have you done?",
    note_label="Note",
    note_hint="Required to mark it actioned or closed: say what was done.",
    note_required="Write a note saying what was done before marking it actioned or closed.",
    current_status="Status",
    status_changed="Saved. The alert is now:",
    status_conflict="Another officer has already moved this alert on; the page shows it now.",
    cluster_link="See what links these complaints",
    group_link="These complaints are now part of a larger group: see the whole group",
    back_to_alert="Back to the alert",
    back_to_inbox="Back to the alerts",
    cluster_title="Linked complaints",
    cluster_intro_path=(
        "The complaints below are linked, step by step, through the identifiers they share."
    ),
    cluster_intro_single="These complaints all name the identifier below.",
    cluster_size="Complaints in the group",
    legend_heading="Districts",
    your_district="your district",
    links_heading="The links, one by one",
    shares_with="shares",
    not_found_title="Not found",
    not_found_text="There is no such page for your district.",
    forbidden_title="Not allowed",
    operator_title="Operations",
    deliveries_by_channel="Deliveries by channel and status",
    column_channel="Channel",
    column_count="Deliveries",
    column_url="Address",
    disabled_endpoints_heading="Webhook endpoints disabled after 410 Gone",
    none="None.",
    operator_sections={
        "hubs": "Prolific identifiers: named by very many complaints (live count)",
        "generic": "Generic values: operators' decisions, with who made them",
        "dead_letters": "Dead letters: deliveries given up after every retry, alerts unreadable",
        "delivery_failures": (
            "Delivery failures: webhook endpoints gone, districts not in the directory"
        ),
    },
    column_raised="Raised",
    column_reason="Reason",
    date_format="%d %b %Y, %H:%M %Z",
    channels={"webhook": "Webhook to your case-management system", "email": "Email"},
    purposes={"alert": "the alert", "reminder": "a reminder, not yet acknowledged"},
    delivery_states={
        "pending": "being sent",
        "delivered": "delivered",
        "held": "held: the endpoint is disabled",
        "dead": "not delivered after every retry",
    },
    statuses={
        "new": "New",
        "acknowledged": "Acknowledged",
        "actioned": "Actioned",
        "closed": "Closed",
    },
    actions={"acknowledged": "Acknowledge", "actioned": "Mark actioned", "closed": "Close"},
    kinds=dict(KIND_TITLES),
    kind_meanings={
        "shared_identifier": (
            "A complaint in another district names the same identifier as yours. The same "
            "person or gang may be behind both: call the other district before acting."
        ),
        "registry_hit": (
            "An identifier in your complaint is in the suspect registry of known perpetrators."
        ),
        "cluster_linked": (
            "Your complaint is part of a group of complaints, across districts, linked through "
            "a chain of shared identifiers: likely one gang."
        ),
        "hub_identifier": (
            "This identifier is named by very many complaints; it may be a common or spoofed "
            "value rather than a lead."
        ),
        "generic_value": (
            "Operators found that this identifier is a generic value shared by unrelated "
            "people: a link made through it is not evidence of a common perpetrator."
        ),
    },
)


def texts_for(_accept_language: str | None = None) -> Texts:
    """The texts for a request; English is the only language so far."""
    return ENGLISH
