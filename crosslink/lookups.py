"""The look-up refusal intake answers and the notifier passes on (schemas/lookups.py)."""

from __future__ import annotations

from crosslink.i18n import N_
from crosslink.problems import ProblemError


class InvalidLookup(ProblemError):
    status, slug, title = 422, "invalid-lookup", N_("The identifier looked up is invalid")
