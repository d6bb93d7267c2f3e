"""IP addresses: canonical text; ranges that identify nobody are refused; every IP is weak.

IPv6 privacy addresses rotate inside the subscriber's /64, so an IPv6 address is compared by its
/64. A carrier-grade NAT address (100.64.0.0/10) is shared by thousands of subscribers at once:
only the address with its source port at one minute points at one of them, so it links only with
both (the canonical form holds the port and the minute), and is generic without them.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime

from schemas.identifiers.model import MASK, InvalidIdentifier

CGNAT = ipaddress.ip_network("100.64.0.0/10")
IPV6_PREFIX = 64
_IPV6_NETWORK_MASK = ((1 << IPV6_PREFIX) - 1) << (128 - IPV6_PREFIX)
CGNAT_NOTE = (
    "a carrier-grade NAT address, shared by thousands of subscribers at once: give the source "
    "port and the time it was seen (observed_at) to link it"
)
_CGNAT_OBSERVED = re.compile(
    r"(?P<address>[0-9.]+):(?P<port>[0-9]{1,5})@(?P<minute>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})Z"
)
_MINUTE = "%Y-%m-%dT%H:%M"


def canonical_ip(
    text: str, *, port: int | None = None, observed_at: datetime | None = None
) -> tuple[str, str, str | None]:
    """(canonical value, masked, why it is generic or None), or InvalidIdentifier."""
    text = text.strip()
    if observed := _CGNAT_OBSERVED.fullmatch(text):  # the canonical form of an observed CGNAT
        if port is not None or observed_at is not None:
            raise InvalidIdentifier(
                "ip.invalid", "give the port and time either in the value or as fields, not both"
            )
        text, port = observed["address"], int(observed["port"])
        observed_at = datetime.strptime(observed["minute"], _MINUTE).replace(tzinfo=UTC)
        if _address(text) not in CGNAT:
            raise InvalidIdentifier("ip.invalid", "only a carrier-grade NAT address has a port")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidIdentifier("ip.bad_port", "a port is a number from 1 to 65535")
    if text.endswith(f"/{IPV6_PREFIX}") and ":" in text:  # the canonical form of an IPv6 /64
        text = text.removesuffix(f"/{IPV6_PREFIX}")
    address = _address(text)
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Address(int(address) & _IPV6_NETWORK_MASK)
        shown = ":".join(address.exploded.split(":")[:2]) + f":{MASK}/{IPV6_PREFIX}"
        return f"{network.compressed}/{IPV6_PREFIX}", shown, None
    masked = ".".join([*address.compressed.split(".")[:2], MASK, MASK])
    if address not in CGNAT:
        return address.compressed, masked, None
    if port is None or observed_at is None:
        return address.compressed, masked, CGNAT_NOTE
    minute = observed_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="minutes")
    return f"{address.compressed}:{port}@{minute}Z", f"{masked}:{port} at {minute}Z", None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text:  # an IPv6 zone id names an interface on someone's machine, not an address
        raise InvalidIdentifier("ip.invalid", "remove the %zone suffix from the address")
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise InvalidIdentifier("ip.invalid", "not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address not in CGNAT and (not address.is_global or address.is_multicast):
        raise InvalidIdentifier(
            "ip.not_identifying",
            "private, loopback, link-local, multicast and reserved addresses identify nobody",
        )
    return address
