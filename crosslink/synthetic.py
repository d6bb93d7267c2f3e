"""Synthetic complaint streams, reproducible by seed: gangs based in a few states reuse phones,
UPI IDs, bank accounts and handsets against victims in many districts, each identifier written
the way different officers type it. Used by `crosslink demo`; the benchmarks and the fault
tests build on it. No real person's data: numbers are random, handles invented."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Gang:
    phones: tuple[str, ...]  # ten digits
    upis: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]  # (account number, IFSC)
    imeis: tuple[str, ...]


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _gang(rng: random.Random, number: int) -> Gang:
    phones = tuple(f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}" for _ in range(3))
    return Gang(
        phones=phones,
        upis=(f"{rng.choice(['cash', 'loan', 'help', 'pay'])}{number}x{rng.randrange(999)}@ybl",
              f"{phones[0]}@paytm"),
        accounts=((f"{rng.randrange(10**10, 10**11)}", f"SBIN0{rng.randrange(10**5, 10**6)}"),),
        imeis=tuple(
            (body := f"35{rng.randrange(10**11, 10**12)}") + _luhn_digit(body) for _ in range(2)
        ),
    )  # fmt: skip


def _written(rng: random.Random, phone: str) -> str:
    """A ten-digit mobile number as officers type it."""
    return rng.choice([phone, f"+91 {phone[:5]} {phone[5:]}", f"0{phone}", f"91-{phone}",
                       f"+91-{phone[:3]}-{phone[3:6]}-{phone[6:]}"])  # fmt: skip


def complaint_stream(
    districts: Sequence[str], *, seed: int, gangs: int = 8, overlap: float = 0.6
) -> Iterator[dict[str, Any]]:
    """An endless stream of complaint bodies. With probability `overlap` a complaint names a
    gang's identifiers (which link it to other complaints); otherwise one-off ones."""
    rng = random.Random(seed)  # noqa: S311  (test data, reproducible by seed)
    crews = [_gang(rng, n) for n in range(gangs)]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(10**12):
        district = rng.choice(districts)
        identifiers: list[dict[str, str]] = []
        if rng.random() < overlap:
            gang = rng.choice(crews)
            identifiers.append({"type": "phone", "value": _written(rng, rng.choice(gang.phones))})
            if rng.random() < 0.5:
                identifiers.append({"type": "upi", "value": rng.choice(gang.upis)})
            if rng.random() < 0.3:
                account, ifsc = rng.choice(gang.accounts)
                identifiers.append({"type": "bank_account", "value": account, "ifsc": ifsc})
            if rng.random() < 0.2:
                identifiers.append({"type": "imei", "value": rng.choice(gang.imeis)})
        else:
            phone = f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"
            identifiers.append({"type": "phone", "value": _written(rng, phone)})
        registered = start + timedelta(minutes=n * 7 + rng.randrange(60))
        yield {
            "complaint_id": f"{district}-{seed}-{n:06d}",
            "district": district,
            "police_station": f"Cyber Police Station {district}",
            "registered_at": registered.isoformat(),
            "identifiers": identifiers,
        }
