"""Ports handed to brokers and services are never handed out twice in one process."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from harness import ports
from harness.ports import free_port


def test_a_port_the_kernel_offers_again_is_not_handed_out_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offered: Iterator[int] = iter([47001, 47001, 47002])

    class Probe(socket.socket):
        def getsockname(self) -> Any:
            return ("127.0.0.1", next(offered))

    monkeypatch.setattr(socket, "socket", Probe)
    # Only this test's ports: the session's brokers and services may have had 47001 already.
    monkeypatch.setattr(ports, "_HANDED_OUT", set())

    assert [free_port(), free_port()] == [47001, 47002]
