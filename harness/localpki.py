"""A local certificate authority for the local Kafka: one certificate for the brokers, one per
principal (the administrator and each service), all PEM files in one folder.

The broker takes a client's principal from its certificate's common name (deploy/kafka/
server.properties.template), so the certificate of `intake` authenticates as `User:intake`.
Production brings its own authority and certificates (docs/operations.md); this one exists so
that `make up` and the tests run with TLS and authorisation on from a fresh clone.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crosslink.kafka_access import KafkaAccess, TlsIdentity
from crosslink.provisioning import ADMIN, BROKER, SERVICE_PRINCIPALS

ORGANISATION = "crosslink local"
VALID_FOR = datetime.timedelta(days=825)
# Names the brokers answer to: this machine, and the brokers of deploy/docker-compose.yml.
BROKER_NAMES = ("localhost", "kafka-1", "kafka-2", "kafka-3")
BROKER_ADDRESSES = ("127.0.0.1",)


@dataclass(frozen=True)
class LocalPki:
    """The PEM files under `home`: `ca.pem`; per principal `<name>.pem` and `<name>.key`; and
    `broker-keystore.pem` (the broker's key and certificate, the one file Kafka reads)."""

    home: Path

    @property
    def ca_file(self) -> Path:
        return self.home / "ca.pem"

    @property
    def broker_keystore(self) -> Path:
        return self.home / "broker-keystore.pem"

    def identity(self, principal: str) -> TlsIdentity:
        """The files a client authenticating as `principal` presents."""
        return TlsIdentity(
            ca_file=self.ca_file,
            cert_file=self.home / f"{principal}.pem",
            key_file=self.home / f"{principal}.key",
        )

    def access(self, bootstrap: str, principal: str = ADMIN) -> KafkaAccess:
        return KafkaAccess(bootstrap, self.identity(principal))

    def ensure(self) -> LocalPki:
        """Create the authority and every certificate once; later calls keep them (a broker
        already formatted trusts this authority, and running services hold its files)."""
        if (self.home / ".complete").exists():
            return self
        self.home.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("crosslink local certificate authority")
        ca_cert = (
            _builder(ca_name, ca_name, ca_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        for principal in (BROKER, ADMIN, *SERVICE_PRINCIPALS):
            key, cert = _issue(principal, ca_cert, ca_key, server=principal == BROKER)
            identity = self.identity(principal)
            _write_private(identity.key_file, _pkcs8(key))
            identity.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            if principal == BROKER:
                chain = cert.public_bytes(serialization.Encoding.PEM)
                _write_private(self.broker_keystore, _pkcs8(key) + chain)
        (self.home / ".complete").touch()
        return self


def _issue(
    principal: str, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, *, server: bool
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    builder = _builder(_name(principal), ca_cert.subject, key.public_key()).add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    if server:  # brokers also connect to each other and to the controllers as clients
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in BROKER_NAMES]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in BROKER_ADDRESSES]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _name(common_name: str) -> x509.Name:
    """O, then CN: as Kafka writes it (RFC 2253, last first), "CN=intake,O=crosslink local"."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
    )


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM: what Kafka's PEM keystore and Python's ssl module both read.
    The folder, not a password, protects it (mode 0600, git-ignored)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)
