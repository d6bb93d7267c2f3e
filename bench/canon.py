"""Identifiers normalised per second, per type, against a bare baseline in the same run.

The baseline is the least any normaliser does (strip and lower-case the same inputs), so the
ratio says what validation, parsing and checksums cost. Run with `make bench`; results in
docs/bench/canon.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.report import Figure, Result, publish
from schemas.identifiers import IdentifierType, Qualifiers, canonicalise

T = IdentifierType
SAMPLES: dict[IdentifierType, list[tuple[str, Qualifiers]]] = {
    T.PHONE: [("+91 98765 43210", {}), ("098765-43210", {}), ("wa.me/919876543210", {}),
              ("+44 20 7946 0958", {})],
    T.UPI: [("QuickCash@YBL", {}), ("9876543210@ybl", {}), ("rahul.k@okicici", {})],
    T.BANK_ACCOUNT: [("1234 5678 9012", {"ifsc": "SBIN0001234"}),
                     ("A/c 50100123456789 IFSC HDFC0000123", {})],
    T.EMAIL: [("Gang.Boss+x@gmail.com", {}), ("boss@rediffmail.com", {})],
    T.SOCIAL: [("https://www.instagram.com/Priya_99/", {}), ("@scamboss", {"platform": "x"}),
               ("https://www.facebook.com/profile.php?id=100012345678", {})],
    T.IMEI: [("49-015420-323751-8", {}), ("4901542032375101", {})],
    T.SIM: [("8991 4509 1234 5678 901", {}), ("404451234567890", {})],
    T.IP: [("103.21.4.9", {}), ("2401:4900::1", {})],
    T.CRYPTO_WALLET: [("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", {}),
                      ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", {}),
                      ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", {})],
    T.TRANSACTION_REF: [("UTR No. SBINN24335123456", {}),
                        ("4123 4567 8901", {"ifsc": "SBIN0001234"})],
}  # fmt: skip
ROUNDS = 2000


def rate(run: Callable[[], None], items: int) -> float:
    """Items per second of the best of five timed runs (the least disturbed one)."""
    best = min(_seconds(run) for _ in range(5))
    return items / best


def _seconds(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(kind: IdentifierType) -> tuple[float, float]:
    samples = SAMPLES[kind] * (ROUNDS // len(SAMPLES[kind]))

    def canon() -> None:
        for value, qualifiers in samples:
            canonicalise(kind, value, **qualifiers)

    def baseline() -> None:
        for value, _ in samples:
            value.strip().lower()

    return rate(canon, len(samples)), rate(baseline, len(samples))


def main() -> None:
    figures = []
    for kind in IdentifierType:
        canon, baseline = measure(kind)
        figures.append(Figure(kind.value, "identifiers/s", canon, "strip + lower-case", baseline))
    publish(Result(
        name="canon", title="Identifier canon throughput", figures=figures,
        method=(f"One core, best of 5 runs of {ROUNDS} identifiers per type, in the benchmark "
                "process. The baseline strips and lower-cases the same inputs in the same run: "
                "the least any normaliser does, so the ratio is what validation, parsing and "
                "checksums cost. Normalising is a small part of intake's time per complaint "
                "(see the intake benchmark)."),
        parameters={"rounds": ROUNDS},
    ))  # fmt: skip


if __name__ == "__main__":
    main()
