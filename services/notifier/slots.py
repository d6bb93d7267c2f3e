"""Delivery slots: how many attempts run at once, in all and for each district. A district
whose endpoint is slow or hangs holds at most its own share of the slots, so every other
district's deliveries keep going. Pure: the dispatcher counts, the outbox asks what fits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Room:
    """`free` slots in all; a district may hold `per_district`, and holds `held` now."""

    free: int
    per_district: int
    held: Mapping[str, int] = field(default_factory=dict)

    def full(self) -> set[str]:
        """Districts that may start no attempt now."""
        return {district for district, n in self.held.items() if n >= self.per_district}

    def fit(self, candidates: Iterable[tuple[str, str]]) -> list[str]:
        """The delivery ids of `candidates` ((id, district), in the order they fell due) that
        may start now: first come first served, within each district's share."""
        taken: Counter[str] = Counter(self.held)
        chosen: list[str] = []
        for delivery_id, district in candidates:
            if len(chosen) >= self.free:
                break
            if taken[district] < self.per_district:
                taken[district] += 1
                chosen.append(delivery_id)
        return chosen
