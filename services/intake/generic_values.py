"""Where an operator's generic-value decision is validated and turned into an event. Pure.

The value goes through the same canon and pseudonym key as complaints, so the decision reaches
the matcher under the token its complaints share; only the token and masked form leave intake.
"""

from __future__ import annotations

from datetime import datetime

from schemas.api import FieldProblem, GenericValueSubmission
from schemas.events import GenericValueDecided
from schemas.identifiers import InvalidIdentifier
from schemas.pseudonyms import PseudonymKey, stable_id
from services.intake.complaints import canonical_identifiers_of, identifier_ref
from services.intake.errors import InvalidGenericValue


def generic_value_decided(
    submission: GenericValueSubmission, *, key: PseudonymKey, decided_by: str, decided_at: datetime
) -> GenericValueDecided:
    """The decision as the matcher reads it, or InvalidGenericValue saying what is wrong.

    A UPI ID that contains a mobile number also names that number to the matcher; the decision
    is about the value the operator typed only, never the number inside it.
    """
    try:
        identifier, *_ = canonical_identifiers_of(submission)
    except InvalidIdentifier as error:
        problem = FieldProblem(
            field="value", code=error.code, reason=f"{submission.type.value}: {error.message}"
        )
        raise InvalidGenericValue("the value is not a valid identifier", [problem]) from error
    ref = identifier_ref(identifier, key)
    return GenericValueDecided(
        decision_id=stable_id(
            "generic", ref.token, str(submission.generic), decided_at.isoformat()
        ),
        identifier=ref,
        generic=submission.generic,
        reason=submission.reason,
        decided_by=decided_by,
        decided_at=decided_at,
    )
