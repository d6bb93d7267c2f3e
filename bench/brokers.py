"""How a benchmark's child processes reach its broker: the parent hands them its access in the
CROSSLINK_KAFKA_* variables (the broker requires mutual TLS, so a bare bootstrap would not do),
and each child reads it back. Every process of a benchmark, bare baselines included, pays the
same TLS."""

from __future__ import annotations

import os

from crosslink.kafka_access import KafkaAccess
from crosslink.settings import CommonSettings, from_environment


def child_environment(kafka: KafkaAccess) -> dict[str, str]:
    """This process's environment, plus `kafka` for a child process."""
    return {**os.environ, **kafka.environment()}


def from_parent() -> KafkaAccess:
    """The access the parent handed down (child_environment)."""
    return from_environment(CommonSettings).kafka
