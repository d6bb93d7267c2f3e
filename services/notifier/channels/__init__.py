"""Delivery channels: each sends one delivery to one district and says how it went."""

from __future__ import annotations

from typing import Protocol

from crosslink.directory import District
from services.notifier.retries import AttemptResult
from services.notifier.store.outbox import DueDelivery


class DeliveryChannel(Protocol):
    async def send(self, delivery: DueDelivery, district: District) -> AttemptResult: ...
