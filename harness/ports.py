"""Free TCP ports for the brokers, services and servers the harness starts on this machine."""

from __future__ import annotations

import socket
import threading

_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has
    not been given before: the kernel may offer a port again as soon as the probe closes, and
    a broker once got one port for both its listeners (Kafka refuses to format its storage)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        with _HANDING_OUT:
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on `host`:`port`."""
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0
