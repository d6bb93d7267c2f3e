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
# For load that posts faster than an integrator may: the rate limit has tests of its own.
UNLIMITED = {"CROSSLINK_RATE_LIMIT_PER_MINUTE": "1000000", "CROSSLINK_RATE_LIMIT_BURST": "100000"}


def api_key(district: str) -> str:
    return f"test-key-{district}"


def webhook_secret(district: str) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(district.encode()).digest()).decode()


def contact_address(district: str) -> str:
    return f"cybercell.{district.lower()}@police.example"


def write_districts_file(
    path: Path, webhook_urls: Mapping[str, str | None], *, email: Iterable[str] = ()
) -> Path:
    """A districts directory with one key and secret per district (no webhook where the URL is
    None), contact addresses for the `email` districts, a registry admin and an operator."""
    districts = [
        {
            "code": code,
            "name": code,
            "state": code[:2],
            "api_key_sha256": [hash_api_key(api_key(code))],
            **({"webhook": {"url": url, "secrets": [webhook_secret(code)]}} if url else {}),
            **({"email": [contact_address(code)]} if code in set(email) else {}),
        }
        for code, url in webhook_urls.items()
    ]
    admins = [{"name": "NCRB registry desk", "api_key_sha256": [hash_api_key(REGISTRY_ADMIN_KEY)]}]
    operators = [{"name": "Ops desk", "api_key_sha256": [hash_api_key(OPERATOR_KEY)]}]
    path.write_text(
        yaml.safe_dump({"districts": districts, "registry_admins": admins, "operators": operators})
    )
    return path
