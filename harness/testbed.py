"""A districts directory made up for the tests and the benchmarks: one integrator key and one
Standard Webhooks secret per district, derived from its code, a registry administrator and an
operator. Nothing here is a real credential; production directories are written by operators
(docs/configuration.md)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from crosslink.directory import hash_api_key

REGISTRY_ADMIN_KEY = "test-key-registry-admin"
OPERATOR_KEY = "test-key-operator"
LOOKUP_RELAY_KEY = "test-key-lookup-relay"  # the notifier's, to relay look-ups to intake
# For load that posts faster than an integrator may: the rate limit has tests of its own.
UNLIMITED = {"CROSSLINK_RATE_LIMIT_PER_MINUTE": "1000000", "CROSSLINK_RATE_LIMIT_BURST": "100000"}


def api_key(district: str) -> str:
    return f"test-key-{district}"


def webhook_secret(district: str) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(district.encode()).digest()).decode()


def contact_address(district: str) -> str:
    return f"cybercell.{district.lower()}@police.example"


def duty_phone(district: str) -> str:
    """The cell's duty phone, a mobile number made from its code, as the directory writes it."""
    digits = f"{int.from_bytes(hashlib.sha256(district.encode()).digest()[:4]) % 100_000:05d}"
    return f"+91 74104 {digits}"


def write_districts_file(
    path: Path, webhook_urls: Mapping[str, str | None], *, email: Iterable[str] = ()
) -> Path:
    """A districts directory with one key, secret and duty phone per district (no webhook where
    the URL is None), contact addresses for the `email` districts, a registry admin, an operator
    and the notifier's look-up relay."""
    districts = [
        {
            "code": code,
            "name": code,
            "state": code[:2],
            "api_key_sha256": [hash_api_key(api_key(code))],
            "phone": [duty_phone(code)],
            **({"webhook": {"url": url, "secrets": [webhook_secret(code)]}} if url else {}),
            **({"email": [contact_address(code)]} if code in set(email) else {}),
        }
        for code, url in webhook_urls.items()
    ]
    admins = [{"name": "NCRB registry desk", "api_key_sha256": [hash_api_key(REGISTRY_ADMIN_KEY)]}]
    operators = [{"name": "Ops desk", "api_key_sha256": [hash_api_key(OPERATOR_KEY)]}]
    relays = [{"name": "Notifier", "api_key_sha256": [hash_api_key(LOOKUP_RELAY_KEY)]}]
    holders = {"registry_admins": admins, "operators": operators, "lookup_relays": relays}
    path.write_text(yaml.safe_dump({"districts": districts, **holders}))
    return path
