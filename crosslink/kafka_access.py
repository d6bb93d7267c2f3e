"""How a crosslink process reaches Kafka: the bootstrap servers and, where the brokers require
it, the TLS identity it authenticates with (mutual TLS: the broker takes the principal from the
certificate, and grants each principal only its own topics; crosslink/provisioning.py).

One `KafkaAccess` gives the options of the client libraries crosslink uses (aiokafka and
kafka-python; faust takes its `servers` and `ssl_context()`), so no client is ever built with
a bootstrap list alone and no TLS setting is written twice.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context


@dataclass(frozen=True)
class TlsIdentity:
    """PEM files: the authority the brokers' certificates are checked against, and this
    client's certificate and (unencrypted PKCS#8) private key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class KafkaAccess:
    """Kafka's bootstrap servers ("host:port,host:port") and, for TLS, this process's identity;
    without one, PLAINTEXT (a development broker that authenticates nobody)."""

    bootstrap: str
    tls: TlsIdentity | None = None

    @property
    def servers(self) -> list[str]:
        return [server.strip() for server in self.bootstrap.split(",") if server.strip()]

    @property
    def security_protocol(self) -> str:
        return "SSL" if self.tls else "PLAINTEXT"

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client context that checks the broker's certificate and name against the authority
        and presents this process's certificate; None for PLAINTEXT."""
        if self.tls is None:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.tls.ca_file),
            certfile=str(self.tls.cert_file),
            keyfile=str(self.tls.key_file),
        )
        return context

    def options(self) -> dict[str, Any]:
        """Keyword arguments for every client of aiokafka and kafka-python alike (producer,
        consumer, admin): both take these three."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            "ssl_context": self.ssl_context(),
        }

    def environment(self) -> dict[str, str]:
        """The CROSSLINK_KAFKA_* variables that give a child process this same access."""
        variables = {"CROSSLINK_KAFKA_BOOTSTRAP": self.bootstrap}
        if self.tls:
            variables |= {
                "CROSSLINK_KAFKA_CA_FILE": str(self.tls.ca_file),
                "CROSSLINK_KAFKA_CERT_FILE": str(self.tls.cert_file),
                "CROSSLINK_KAFKA_KEY_FILE": str(self.tls.key_file),
            }
        return variables
