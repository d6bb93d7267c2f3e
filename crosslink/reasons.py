"""Where an alert's reason is worded: its rule and facts as a sentence, in any language. Pure.

The matcher words every alert in English (the `reason` integrators read); the notifier words
the same facts in a district's language for its console and emails. One function per rule, so
a rule's sentence reads the same in every language and changes in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from crosslink.i18n import N_, Translator
from schemas.events import IdentifierRef, ReasonFacts
from schemas.identifiers import IdentifierType

# What each identifier type is called in running text.
TYPE_NAMES: dict[IdentifierType, str] = {
    IdentifierType.PHONE: N_("phone"),
    IdentifierType.UPI: N_("UPI ID"),
    IdentifierType.BANK_ACCOUNT: N_("bank account"),
    IdentifierType.EMAIL: N_("email address"),
    IdentifierType.SOCIAL: N_("social media profile"),
    IdentifierType.IMEI: N_("IMEI"),
    IdentifierType.SIM: N_("SIM"),
    IdentifierType.IP: N_("IP address"),
    IdentifierType.CRYPTO_WALLET: N_("crypto wallet"),
    IdentifierType.TRANSACTION_REF: N_("transaction reference"),
}

# Why an officer said a complaint is not linked through an identifier (LinkWithdrawn.reason).
WITHDRAWAL_REASONS: dict[str, str] = {
    "victims_own": N_("it is the victim's own"),
    "wrong_entry": N_("it was entered wrongly"),
    "generic_value": N_("it is a generic value shared by unrelated people"),
}

# Where the accused of an arrest are (ArrestRecorded.status).
CUSTODY_STATUSES: dict[str, str] = {
    "seized_only": N_("no one arrested; identifiers seized"),
    "police_custody": N_("in police custody"),
    "judicial_custody": N_("in judicial custody"),
    "on_bail": N_("on bail"),
    "transferred": N_("transferred to another custody"),
    "released": N_("released"),
}

Wording = Callable[[IdentifierRef, ReasonFacts, Translator], str]
IMPORT_DIGEST = "import_digest"  # the one rule about no single identifier
T = TypeVar("T")


def word(rule: str, identifier: IdentifierRef | None, facts: ReasonFacts, t: Translator) -> str:
    """The reason for an alert raised by `rule`, in `t`'s language."""
    if rule == IMPORT_DIGEST:
        return _import_digest(facts, t)
    if identifier is None:
        raise MissingFact(f"a {rule} alert names its identifier")
    return _WORDINGS[rule](identifier, facts, t)


class Reasoned(Protocol):
    """An alert as the matcher raised it or as a district sees it."""

    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def identifier(self) -> IdentifierRef | None: ...
    @property
    def facts(self) -> ReasonFacts | None: ...


class MissingFact(ValueError):
    """An alert's facts lack one its rule's sentence states."""


def reason_of(alert: Reasoned, t: Translator) -> str:
    """`alert`'s reason in `t`'s language; its English `reason` if it carries no facts (raised
    before alerts did), its rule is newer than this reader, or a fact its sentence needs is
    missing (an event written by hand or by another version)."""
    if alert.facts is None or alert.rule not in known_rules():
        return alert.reason
    try:
        return word(alert.rule, alert.identifier, alert.facts, t)
    except MissingFact:
        return alert.reason


def known_rules() -> tuple[str, ...]:
    return (*_WORDINGS, IMPORT_DIGEST)


def type_name(identifier_type: IdentifierType, t: Translator) -> str:
    return t.gettext(TYPE_NAMES[identifier_type])


def about(alert: Reasoned, t: Translator) -> str:
    """What an alert is about, in a few words: its identifier (type and masked form), or the
    back-fill an import digest tells of."""
    if alert.identifier is None:
        import_id = alert.facts.import_id if alert.facts else None
        return t.gettext("back-fill %(import)s") % {"import": import_id or "?"}
    return f"{type_name(alert.identifier.type, t)} {alert.identifier.masked}"


def _named(identifier: IdentifierRef, t: Translator) -> dict[str, str]:
    return {"type": type_name(identifier.type, t), "masked": identifier.masked}


def _shared(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    n = facts.complaints or 0
    return t.ngettext(
        "The same %(type)s %(masked)s was named in %(n)s complaint (%(districts)s).",
        "The same %(type)s %(masked)s was named in %(n)s complaints (%(districts)s).",
        n,
    ) % {**_named(identifier, t), "n": t.number(n), "districts": t.join(facts.districts)}


def _weak_shared(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    caveat = t.gettext(
        "They were registered within %(hours)s hours of each other. This identifier is weak "
        "(shared by many people): treat the link as a lead to check, not a fact."
    ) % {"hours": _hours(facts.window_hours)}
    return f"{_shared(identifier, facts, t)} {caveat}"


def _recycled(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    days = facts.recycling_days or 0
    caveat = t.ngettext(
        "More than %(n)s day passed between them with no complaint naming it: the number may "
        "have been given to a new subscriber. Treat the link as a lead to check, not a fact.",
        "More than %(n)s days passed between them with no complaint naming it: the number may "
        "have been given to a new subscriber. Treat the link as a lead to check, not a fact.",
        days,
    ) % {"n": t.number(days)}
    return f"{_shared(identifier, facts, t)} {caveat}"


def _prolific(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    earlier = _needed(facts.earlier, "earlier")
    parts = [
        t.gettext(
            "The %(type)s %(masked)s named in your complaint %(complaint)s has been named in "
            "%(spread)s."
        )
        % {**_named(identifier, t), "complaint": facts.complaint_id, "spread": _spread(facts, t)},
        t.gettext("The earliest is %(complaint)s (%(district)s, registered %(date)s).")
        % {
            "complaint": earlier.complaint_id,
            "district": earlier.district,
            "date": t.date(earlier.registered_at),
        },
        _registry_status(facts, t),
    ]
    if facts.weak:
        parts.append(
            t.gettext("This identifier is weak (shared by many people): treat it as a lead.")
        )
    return " ".join(parts)


def _digest(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    if facts.threshold is not None:
        since = t.gettext("more than %(threshold)s, so from now on you hear of it in summaries") % {
            "threshold": t.number(facts.threshold)
        }
    else:
        n = facts.new_complaints or 0
        since = t.ngettext(
            "%(n)s new since the last summary", "%(n)s new since the last summary", n
        ) % {"n": t.number(n)}
    news = [since]
    if facts.new_districts:
        n = len(facts.new_districts)
        news.append(
            t.ngettext(
                "from %(n)s new district (%(districts)s)",
                "from %(n)s new districts (%(districts)s)",
                n,
            )
            % {"n": t.number(n), "districts": t.join(facts.new_districts)}
        )
    if facts.new_states:
        news.append(t.gettext("reaching %(states)s") % {"states": t.join(facts.new_states)})
    return " ".join(
        [
            t.gettext("The %(type)s %(masked)s is now named in %(spread)s: %(news)s.")
            % {**_named(identifier, t), "spread": _spread(facts, t), "news": t.join(news)},
            _registry_status(facts, t),
            t.gettext(
                "You receive a summary like this at once when it reaches a new state, otherwise "
                "at most once every %(hours)s hours."
            )
            % {"hours": _hours(facts.period_hours)},
        ]
    )


def _registry_hit(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    sources = t.join(facts.registry)
    if facts.your_complaints is None:
        return t.gettext(
            "The %(type)s %(masked)s named in complaint %(complaint)s is in the suspect "
            "registry (%(sources)s)."
        ) % {**_named(identifier, t), "complaint": facts.complaint_id, "sources": sources}
    return t.gettext(
        "The %(type)s %(masked)s, named in %(yours)s and in %(all)s in all, is now in the "
        "suspect registry (%(sources)s)."
    ) % {**_named(identifier, t), **_yours_of_all(facts, t), "sources": sources}


def _hub(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    return t.gettext(
        "The %(type)s %(masked)s has been named in %(spread)s, more than the threshold of "
        "%(threshold)s. Every district involved is still told (its own complaints at once, the "
        "others in summaries). If it is a shared or public value (a helpline, a bank's "
        "published number, a cloned IMEI), mark it generic; otherwise it is a large "
        "operation's identifier."
    ) % {
        **_named(identifier, t),
        "spread": _spread(facts, t),
        "threshold": t.number(facts.threshold or 0),
    }


def _generic_notice(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    decided_on = _needed(facts.decided_on, "decided_on")
    return t.gettext(
        "The %(type)s %(masked)s, named in %(yours)s and in %(all)s in all, is a generic value "
        "shared by unrelated people, operators decided on %(date)s (%(note)s). Links made "
        "through it are not evidence of a common perpetrator; it links nothing from now on."
    ) % {
        **_named(identifier, t),
        **_yours_of_all(facts, t),
        "date": t.date(decided_on),
        "note": facts.note,
    }


def _generic_decided(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    told = facts.districts_told or 0
    return " ".join(
        [
            t.gettext(
                "%(operator)s marked the %(type)s %(masked)s a generic value: it links nothing "
                "from now on. Reason: %(note)s."
            )
            % {**_named(identifier, t), "operator": facts.decided_by, "note": facts.note},
            t.ngettext(
                "%(n)s district it had linked was told.",
                "%(n)s districts it had linked were told.",
                told,
            )
            % {"n": t.number(told)},
        ]
    )


def _generic_withdrawn(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    return t.gettext(
        "%(operator)s withdrew the decision that the %(type)s %(masked)s is a generic value: "
        "it links complaints again. Reason: %(note)s"
    ) % {**_named(identifier, t), "operator": facts.decided_by, "note": facts.note}


def _link_withdrawn(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    because = _needed(facts.withdrawn_because, "withdrawn_because")
    return t.gettext(
        "%(district)s says its complaint %(complaint)s is not linked to yours through the "
        "%(type)s %(masked)s: %(because)s. That complaint is no longer linked through it."
    ) % {
        **_named(identifier, t),
        "district": facts.district,
        "complaint": facts.complaint_id,
        "because": t.gettext(WITHDRAWAL_REASONS[because]),
    }


def _watch_hit(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    since = _needed(facts.watched_since, "watched_since")
    return t.gettext(
        "A new complaint, %(complaint)s of %(district)s, names the %(type)s %(masked)s, which "
        "%(watcher)s has watched since %(since)s."
    ) % {
        **_named(identifier, t),
        "complaint": facts.complaint_id,
        "district": facts.district,
        "watcher": _watcher(_needed(facts.watched_by, "watched_by"), t),
        "since": t.date(since),
    }


def _arrest(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    """An arrest or seizure, as first told to a district."""
    arrest = _needed(facts.arrest, "arrest")
    where = {
        "district": arrest.district,
        "station": arrest.police_station,
        "date": t.date(arrest.arrested_at),
    }
    if arrest.accused:
        made = t.ngettext(
            "%(district)s (%(station)s) arrested %(n)s person on %(date)s.",
            "%(district)s (%(station)s) arrested %(n)s persons on %(date)s.",
            arrest.accused,
        ) % {**where, "n": t.number(arrest.accused)}
    else:
        made = t.gettext("%(district)s (%(station)s) made a seizure on %(date)s.") % where
    return " ".join([made, *_arrest_details(facts, t)])


def _arrest_status(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    """A later state of an arrest a district was told of (bail, a transfer)."""
    arrest = _needed(facts.arrest, "arrest")
    changed = t.gettext("News of arrest %(arrest)s by %(district)s (%(station)s) on %(date)s.") % {
        "arrest": arrest.arrest_id,
        "district": arrest.district,
        "station": arrest.police_station,
        "date": t.date(arrest.arrested_at),
    }
    return " ".join([changed, *_arrest_details(facts, t)])


def _arrest_details(facts: ReasonFacts, t: Translator) -> list[str]:
    """What was seized, where the accused are, which of the district's complaints it reaches,
    and whom to call."""
    arrest = _needed(facts.arrest, "arrest")
    seized = [f"{type_name(s.type, t)} {s.masked}" for s in arrest.seized]
    status = {
        "status": t.gettext(CUSTODY_STATUSES[arrest.status]),
        "since": t.date(arrest.status_since),
    }
    parts = [
        t.gettext("Seized: %(seized)s.") % {"seized": t.join(seized)},
        t.gettext("Status: %(status)s since %(since)s, at %(held_at)s.")
        % {**status, "held_at": arrest.held_at}
        if arrest.held_at
        else t.gettext("Status: %(status)s since %(since)s.") % status,
    ]
    yours, naming = facts.your_complaints or 0, facts.naming_seized or 0
    if yours:
        parts.append(
            t.ngettext(
                "%(n)s of your complaints is linked to it (the first %(first)s): %(naming)s "
                "name a seized identifier, the others are in the same gang.",
                "%(n)s of your complaints are linked to it (the first %(first)s): %(naming)s "
                "name a seized identifier, the others are in the same gang.",
                yours,
            )
            % {"n": t.number(yours), "first": facts.first_complaint_id, "naming": t.number(naming)}
        )
    else:
        parts.append(t.gettext("None of your complaints is linked to it any more."))
    parts.append(
        t.gettext("Call %(name)s on %(phone)s.")
        % {"name": arrest.contact_name, "phone": arrest.contact_phone}
    )
    return parts


def _watcher(actor: str, t: Translator) -> str:
    """Who set a watch: an officer by username, or the district's case system (its key)."""
    kind, _, name = actor.partition(":")
    return name if kind == "officer" else t.gettext("your district's case system")


def _cluster(identifier: IdentifierRef, facts: ReasonFacts, t: Translator) -> str:
    earlier = _needed(facts.earlier, "earlier")
    n, d = facts.complaints or 0, len(facts.districts)
    news = ""
    if facts.new_districts:
        news = t.gettext("; new since the last alert: %(districts)s") % {
            "districts": t.join(facts.new_districts)
        }
    linked = t.ngettext(
        "%(n)s complaints in %(d)s district (%(districts)s) are linked through shared "
        "identifiers into one group%(news)s.",
        "%(n)s complaints in %(d)s districts (%(districts)s) are linked through shared "
        "identifiers into one group%(news)s.",
        d,
    ) % {"n": t.number(n), "d": t.number(d), "districts": t.join(facts.districts), "news": news}
    joined = t.gettext(
        "Complaint %(complaint)s (%(district)s) joined it through the %(type)s %(masked)s it "
        "shares with complaint %(other)s (%(other_district)s)."
    ) % {
        **_named(identifier, t),
        "complaint": facts.complaint_id,
        "district": facts.district,
        "other": earlier.complaint_id,
        "other_district": earlier.district,
    }
    return f"{linked} {joined}"


def _needed(value: T | None, name: str) -> T:
    if value is None:
        raise MissingFact(name)
    return value


def _spread(facts: ReasonFacts, t: Translator) -> str:
    """ "12 complaints in 3 districts of 2 states (MH, MP)"."""
    n, d, s = facts.complaints or 0, len(facts.districts), len(facts.states)
    return " ".join(
        [
            t.ngettext("%(n)s complaint", "%(n)s complaints", n) % {"n": t.number(n)},
            t.ngettext("in %(n)s district", "in %(n)s districts", d) % {"n": t.number(d)},
            t.ngettext("of %(n)s state (%(states)s)", "of %(n)s states (%(states)s)", s)
            % {"n": t.number(s), "states": t.join(facts.states)},
        ]
    )


def _yours_of_all(facts: ReasonFacts, t: Translator) -> dict[str, str]:
    yours = facts.your_complaints or 0
    everyone = facts.complaints or 0
    return {
        "yours": t.ngettext(
            "%(n)s of your complaints (the first %(first)s)",
            "%(n)s of your complaints (the first %(first)s)",
            yours,
        )
        % {"n": t.number(yours), "first": facts.first_complaint_id},
        "all": t.ngettext("%(n)s complaint", "%(n)s complaints", everyone)
        % {"n": t.number(everyone)},
    }


def _import_digest(facts: ReasonFacts, t: Translator) -> str:
    """One district's digest of a back-fill: what its links came to, told once."""
    named = {"import": _needed(facts.import_id, "import_id")}
    yours, links, gangs = (
        _needed(facts.your_complaints, "your_complaints"),
        facts.links or 0,
        facts.gangs or 0,
    )
    parts = [
        t.gettext(
            "Back-fill %(import)s linked %(n)s of your complaints to complaints of %(districts)s."
        )
        % {**named, "n": t.number(yours), "districts": t.join(facts.districts)}
        if facts.districts
        else t.gettext("Back-fill %(import)s linked complaints of your district to each other.")
        % named,
        t.ngettext("%(n)s link was found.", "%(n)s links were found.", links)
        % {"n": t.number(links)},
    ]
    if gangs:
        parts.append(
            t.ngettext("They form %(n)s gang.", "They form %(n)s gangs.", gangs)
            % {"n": t.number(gangs)}
        )
    parts.append(
        t.gettext("They are in your inbox, marked historical, and were not alerted one by one.")
    )
    return " ".join(parts)


def _registry_status(facts: ReasonFacts, t: Translator) -> str:
    if not facts.registry:
        return t.gettext("It is not in the suspect registry.")
    return t.gettext("It is in the suspect registry (%(sources)s).") % {
        "sources": t.join(facts.registry)
    }


def _hours(hours: float | None) -> str:
    return f"{hours or 0:g}"


_WORDINGS: dict[str, Wording] = {
    "shared_identifier": _shared,
    "weak_identifier_within_window": _weak_shared,
    "possibly_recycled_number": _recycled,
    "prolific_identifier": _prolific,
    "prolific_identifier_digest": _digest,
    "registry_hit": _registry_hit,
    "hub_identifier": _hub,
    "hub_identifier_count": _hub,
    "generic_value": _generic_notice,
    "generic_value_decided": _generic_decided,
    "generic_value_withdrawn": _generic_withdrawn,
    "cluster_linked": _cluster,
    "link_withdrawn": _link_withdrawn,
    "watch_hit": _watch_hit,
    "arrest_recorded": _arrest,
    "arrest_status_changed": _arrest_status,
}
