"""Every way intake refuses a complaint, each with its HTTP status and stable problem type."""

from __future__ import annotations

from typing import ClassVar

from crosslink.problems import ProblemError


class Unauthenticated(ProblemError):
    status, slug, title = 401, "unauthenticated", "Missing or unknown API key"
    default_headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class WrongDistrict(ProblemError):
    status, slug, title = 403, "wrong-district", "This key may not post for that district"


class NotPermitted(ProblemError):
    status, slug, title = 403, "not-permitted", "This key may not do that"


class InvalidRegistryEntries(ProblemError):
    status, slug, title = 422, "invalid-registry-entries", "Registry entries are invalid"


class InvalidComplaint(ProblemError):
    status, slug, title = 422, "invalid-complaint", "The complaint is invalid"


class BrokerUnavailable(ProblemError):
    status, slug, title = 503, "broker-unavailable", "Complaint not accepted; retry shortly"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})
