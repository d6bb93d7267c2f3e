"""Every way intake refuses a complaint, each with its HTTP status and stable problem type."""

from __future__ import annotations

from crosslink.i18n import N_
from crosslink.problems import ProblemError


class WrongDistrict(ProblemError):
    status, slug, title = 403, "wrong-district", N_("This key may not post for that district")


class InvalidRegistryEntries(ProblemError):
    status, slug, title = 422, "invalid-registry-entries", N_("Registry entries are invalid")


class InvalidGenericValue(ProblemError):
    status, slug, title = 422, "invalid-generic-value", N_("The generic value is invalid")


class InvalidComplaint(ProblemError):
    status, slug, title = 422, "invalid-complaint", N_("The complaint is invalid")


class BrokerUnavailable(ProblemError):
    status, slug, title = 503, "broker-unavailable", N_("Complaint not accepted; retry shortly")

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})


class InvalidArrest(ProblemError):
    status, slug, title = 422, "invalid-arrest", N_("The arrest is invalid")
