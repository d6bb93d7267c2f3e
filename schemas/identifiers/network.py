"""IP addresses: canonical text; ranges that identify nobody are refused; every IP is weak."""

from __future__ import annotations

import ipaddress

from schemas.identifiers.model import MASK, InvalidIdentifier

CGNAT = ipaddress.ip_network("100.64.0.0/10")


def canonical_ip(text: str) -> tuple[str, str, bool]:
    """(address, masked, is carrier-grade NAT), or InvalidIdentifier."""
    if "%" in text:  # an IPv6 zone id names an interface on someone's machine, not an address
        raise InvalidIdentifier("ip.invalid", "remove the %zone suffix from the address")
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise InvalidIdentifier("ip.invalid", "not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    cgnat = address in CGNAT
    if not cgnat and (not address.is_global or address.is_multicast):
        raise InvalidIdentifier(
            "ip.not_identifying",
            "private, loopback, link-local, multicast and reserved addresses identify nobody",
        )
    shown = address.compressed
    if address.version == 4:
        return shown, ".".join([*shown.split(".")[:2], MASK, MASK]), cgnat
    return shown, ":".join(address.exploded.split(":")[:2]) + f":{MASK}", cgnat
