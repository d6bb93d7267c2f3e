"""Email addresses: lower-cased, IDNA domain, and folding only where the provider documents it."""

from __future__ import annotations

import re

import idna

from schemas.identifiers.model import InvalidIdentifier, mask_middle

# Gmail documents that dots in the local part are ignored and that "+anything" is an alias.
_DOTS_AND_TAGS = {"gmail.com", "googlemail.com"}
# Outlook.com documents plus addressing ("+anything") but dots there are significant.
_TAGS_ONLY = {"outlook.com", "hotmail.com", "live.com"}
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")


def canonical_email(text: str) -> tuple[str, str]:
    """(address, masked), or InvalidIdentifier."""
    address = text.strip().removeprefix("mailto:")
    local, at, domain = address.rpartition("@")
    local = local.lower()
    if not at or not _LOCAL.fullmatch(local) or local.startswith(".") or ".." in local:
        raise InvalidIdentifier("email.invalid", "not an email address (name@domain)")
    try:
        domain = idna.encode(domain.lower().rstrip("."), uts46=True).decode()
    except idna.IDNAError:
        raise InvalidIdentifier("email.bad_domain", "the part after @ is not a domain") from None
    if "." not in domain:
        raise InvalidIdentifier("email.bad_domain", "the part after @ is not a domain")
    if domain in _DOTS_AND_TAGS:
        local, domain = local.split("+")[0].replace(".", ""), "gmail.com"
    elif domain in _TAGS_ONLY:
        local = local.split("+")[0]
    if not local:
        raise InvalidIdentifier("email.invalid", "not an email address (name@domain)")
    return f"{local}@{domain}", f"{mask_middle(local, 1, 0)}@{domain}"
