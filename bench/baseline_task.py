"""What bench/matcher.py hands each of its baseline processes on the command line: the topic
to read and how many records it will hold. Standard library only: the Quix Streams peer
imports it in its own virtual environment."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    topic: str
    expect: int  # records, the warm-up one included: the baseline prints `done` after them


def task() -> Task:
    """This process's task, from `--topic T --expect N`."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", required=True)
    parser.add_argument("--expect", type=int, required=True)
    arguments = parser.parse_args()
    return Task(arguments.topic, arguments.expect)
