"""Synthetic complaints and suspect-registry rows, reproducible by seed.

Gangs based in a few states (Jharkhand, Rajasthan, Haryana, West Bengal) reuse phones, UPI IDs,
bank accounts, social profiles and handsets against victims in 44 districts of 14 states; each
identifier is written the way different officers type it (the variants the canon accepts).
Some complaints also name a helpline the victim called (a benign value the matcher must ignore).
The registry holds some of the gangs' identifiers, as a cyber cell's earlier investigations
would. Used by `crosslink demo`, the benchmarks and the end-to-end tests, with the oracle in
`harness.oracle`. No real person's data: numbers are random, handles invented.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

Row = dict[str, str]
Picked = TypeVar("Picked")

DISTRICTS_BY_STATE: dict[str, tuple[str, ...]] = {
    "MH": ("MUM", "PUN", "NGP", "THN", "NSK"),
    "MP": ("BPL", "IND", "GWL", "JBP"),
    "WB": ("KOL", "HWH", "SLG"),
    "RJ": ("JAI", "ALW", "BHP", "JDH"),
    "JH": ("RAN", "JAM", "DEO", "DHN"),
    "UP": ("LKO", "KNP", "AGR", "NOI"),
    "KA": ("BLR", "MYS", "HUB"),
    "TN": ("CHN", "CBE", "MDU"),
    "GJ": ("AMD", "SRT", "VDR"),
    "DL": ("NDL", "SDL"),
    "TG": ("HYD", "WGL"),
    "HR": ("GGN", "NUH", "FBD"),
    "BR": ("PAT", "GAY"),
    "KL": ("TVM", "EKM"),
}
DISTRICTS: tuple[str, ...] = tuple(
    f"{state}-{code}" for state, codes in DISTRICTS_BY_STATE.items() for code in codes
)
GANG_STATES = ("JH", "RJ", "HR", "WB")  # where sextortion gangs are typically based
HELPLINES = ("1930", "112", "100", "181")  # benign: victims call them, gangs do not
REGISTRY_SOURCES = ("NCRP", "I4C-JMIS", "CCTNS")


@dataclass(frozen=True)
class Gang:
    number: int
    state: str
    phones: tuple[str, ...]  # ten digits
    upis: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]  # (account number, IFSC)
    profiles: tuple[tuple[str, str], ...]  # (platform, handle)
    imeis: tuple[str, ...]

    def identifiers(self) -> Iterator[Row]:
        """Every identifier of the gang, each in its plainest written form."""
        yield from ({"type": "phone", "value": phone} for phone in self.phones)
        yield from ({"type": "upi", "value": upi} for upi in self.upis)
        for account, ifsc in self.accounts:
            yield {"type": "bank_account", "value": account, "ifsc": ifsc}
        for platform, handle in self.profiles:
            yield {"type": "social", "value": f"@{handle}", "platform": platform}
        yield from ({"type": "imei", "value": imei} for imei in self.imeis)


def gangs_of(seed: int, count: int = 8) -> tuple[Gang, ...]:
    """The gangs of a seed: the same seed always gives the same gangs and identifiers."""
    rng = random.Random(f"gangs-{seed}")  # noqa: S311  (test data, reproducible by seed)
    return tuple(_gang(rng, number) for number in range(count))


def complaint_stream(
    districts: Sequence[str] = DISTRICTS,
    *,
    seed: int,
    gangs: int = 8,
    overlap: float = 0.6,
    benign: float = 0.05,
    tail: float = 0.0,
) -> Iterator[dict[str, Any]]:
    """An endless stream of complaint bodies, as intake accepts them. With probability
    `overlap` a complaint names some of a gang's identifiers (which link it to others);
    otherwise one-off ones. With probability `benign` it also names a helpline.

    `tail` 0 picks gangs, and each gang's phones, evenly. Above 0 they are picked with Zipf
    weights 1/rank^tail, as real gangs are: a few prolific ones, their main number named in
    a thousand complaints and more across nearly every district (tail 1.2, 60 gangs, 10,000
    complaints), and a long tail of small ones."""
    rng = random.Random(seed)  # noqa: S311  (test data, reproducible by seed)
    crews = gangs_of(seed, gangs)
    start = datetime(2020, 1, 1, tzinfo=UTC)  # in the past for 500,000 complaints and more
    for n in range(10**12):
        district = rng.choice(districts)
        if rng.random() < overlap:
            identifiers = _gang_identifiers(rng, _pick(rng, crews, tail), tail)
        else:
            identifiers = _one_off_identifiers(rng)
        if rng.random() < benign:
            identifiers.append({"type": "phone", "value": rng.choice(HELPLINES)})
        registered = start + timedelta(minutes=n * 7 + rng.randrange(60))
        yield {
            "complaint_id": f"{district}-{seed}-{n:06d}",
            "district": district,
            "police_station": f"Cyber Police Station {district}",
            "registered_at": registered.isoformat(),
            "identifiers": identifiers,
        }


def registry_rows(
    *, seed: int, gangs: int = 8, share: float = 0.3, unrelated: int = 20
) -> list[Row]:
    """Registry entries for about `share` of the gangs' identifiers (written as a registry
    clerk might), plus `unrelated` identifiers no complaint names."""
    rng = random.Random(f"registry-{seed}")  # noqa: S311  (test data, reproducible by seed)
    rows: list[Row] = []
    for gang in gangs_of(seed, gangs):
        for identifier in gang.identifiers():
            if rng.random() < share:
                rows.append(_registered(rng, _variant(rng, identifier), gang))
    for _ in range(unrelated):
        phone = _mobile(rng)
        rows.append(_registered(rng, {"type": "phone", "value": phone}, None))
    return rows


def write_registry_file(path: Path, rows: Sequence[Row]) -> Path:
    """Write rows as `crosslink registry-import` reads them: .csv, .json or .jsonl by suffix."""
    if path.suffix == ".csv":
        columns = ["type", "value", "platform", "ifsc", "source", "reference"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".json":
        path.write_text(json.dumps(list(rows), indent=1) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _gang(rng: random.Random, number: int) -> Gang:
    phones = tuple(_mobile(rng) for _ in range(3))
    word = rng.choice(["cash", "loan", "help", "pay", "quick", "video"])
    return Gang(
        number=number,
        state=rng.choice(GANG_STATES),
        phones=phones,
        upis=(f"{word}{number}x{rng.randrange(999)}@ybl", f"{phones[0]}@paytm"),
        accounts=tuple(_account(rng) for _ in range(rng.choice((1, 2)))),
        profiles=(
            ("instagram", f"{rng.choice(_NAMES)}_{rng.randrange(10, 99)}{number}"),
            ("facebook", f"{rng.choice(_NAMES)}.{rng.choice(_NAMES)}{number}"),
        ),
        imeis=tuple(_imei(rng) for _ in range(2)),
    )


_BANKS = ("SBIN", "HDFC", "ICIC", "PUNB", "BARB", "UTIB")
_NAMES = ("priya", "anjali", "neha", "riya", "simran", "pooja", "kavya", "sneha")


def _pick(rng: random.Random, choices: Sequence[Picked], tail: float) -> Picked:
    """One of `choices`: evenly, or by Zipf weights 1/rank^tail."""
    if not tail:
        return rng.choice(choices)
    return rng.choices(choices, weights=[1 / (rank + 1) ** tail for rank in range(len(choices))])[0]


def _gang_identifiers(rng: random.Random, gang: Gang, tail: float = 0.0) -> list[Row]:
    """What one victim reports of a gang: the caller's number, often a UPI ID or account paid,
    sometimes the profile that befriended them or a handset traced by the police."""
    chosen: list[Row] = [{"type": "phone", "value": _pick(rng, gang.phones, tail)}]
    if rng.random() < 0.5:
        chosen.append({"type": "upi", "value": rng.choice(gang.upis)})
    if rng.random() < 0.3:
        account, ifsc = rng.choice(gang.accounts)
        chosen.append({"type": "bank_account", "value": account, "ifsc": ifsc})
    if rng.random() < 0.3:
        platform, handle = rng.choice(gang.profiles)
        chosen.append({"type": "social", "value": f"@{handle}", "platform": platform})
    if rng.random() < 0.2:
        chosen.append({"type": "imei", "value": rng.choice(gang.imeis)})
    return [_variant(rng, identifier) for identifier in chosen]


def _one_off_identifiers(rng: random.Random) -> list[Row]:
    chosen: list[Row] = [{"type": "phone", "value": _mobile(rng)}]
    if rng.random() < 0.3:
        chosen.append(
            {"type": "upi", "value": f"{rng.choice(_NAMES)}{rng.randrange(10**6)}@okaxis"}
        )
    return [_variant(rng, identifier) for identifier in chosen]


def _variant(rng: random.Random, identifier: Row) -> Row:
    """The identifier written as one of the forms officers use; all canonicalise alike."""
    kind, value = identifier["type"], identifier["value"]
    if kind == "phone":
        return {"type": kind, "value": _written_phone(rng, value)}
    if kind == "upi":
        return {"type": kind, "value": rng.choice([value, value.upper(), value.capitalize()])}
    if kind == "bank_account":
        ifsc = identifier["ifsc"]
        spaced = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return rng.choice(
            [
                identifier,
                {"type": kind, "value": spaced, "ifsc": ifsc.lower()},
                {"type": kind, "value": f"A/c {value} IFSC {ifsc}"},
            ]
        )
    if kind == "social":
        handle, platform = value.removeprefix("@"), identifier["platform"]
        site = {"instagram": "instagram.com", "facebook": "facebook.com"}[platform]
        return rng.choice(
            [
                identifier,
                {"type": kind, "value": f"https://www.{site}/{handle}/"},
                {"type": kind, "value": f"{site}/{handle}"},
            ]
        )
    if kind == "imei":
        dashed = f"{value[:2]}-{value[2:8]}-{value[8:14]}-{value[14:]}"
        return {"type": kind, "value": rng.choice([value, dashed])}
    return identifier


def _registered(rng: random.Random, identifier: Row, gang: Gang | None) -> Row:
    source = rng.choice(REGISTRY_SOURCES)
    case = f"{gang.state}-" if gang else ""
    return {
        **identifier,
        "source": source,
        "reference": f"{source}-2026-{case}{rng.randrange(10**5):05d}",
    }


def _account(rng: random.Random) -> tuple[str, str]:
    return f"{rng.randrange(10**10, 10**12)}", f"{rng.choice(_BANKS)}0{rng.randrange(10**5, 10**6)}"


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"


def _written_phone(rng: random.Random, phone: str) -> str:
    """A ten-digit mobile number as officers type it."""
    return rng.choice(
        [
            phone,
            f"+91 {phone[:5]} {phone[5:]}",
            f"0{phone}",
            f"91-{phone}",
            f"+91-{phone[:3]}-{phone[3:6]}-{phone[6:]}",
        ]
    )


def _imei(rng: random.Random) -> str:
    body = f"35{rng.randrange(10**11, 10**12)}"
    return body + _luhn_digit(body)


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)
