"""The local certificate authority: one principal per certificate, as the brokers read it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509

from crosslink.provisioning import ADMIN, SERVICE_PRINCIPALS
from harness.localpki import LocalPki


def test_each_principal_s_certificate_names_it_first_as_kafka_reads_the_subject(
    tmp_path: Path,
) -> None:
    pki = LocalPki(tmp_path).ensure()

    for principal in (ADMIN, *SERVICE_PRINCIPALS):
        cert = x509.load_pem_x509_certificate(pki.identity(principal).cert_file.read_bytes())
        # RFC 4514 is Kafka's order too: the mapping rule takes the leading CN.
        assert cert.subject.rfc4514_string() == f"CN={principal},O=crosslink local"
        assert cert.issuer == x509.load_pem_x509_certificate(pki.ca_file.read_bytes()).subject
        assert pki.identity(principal).key_file.stat().st_mode & 0o077 == 0


def test_the_brokers_answer_to_this_machine_and_to_the_compose_names(tmp_path: Path) -> None:
    pki = LocalPki(tmp_path).ensure()

    cert = x509.load_pem_x509_certificate(
        pki.broker_keystore.read_bytes().split(b"-----END PRIVATE KEY-----\n")[1]
    )
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert {"localhost", "kafka-1", "kafka-2", "kafka-3"} <= set(
        names.get_values_for_type(x509.DNSName)
    )


def test_an_authority_once_made_is_kept(tmp_path: Path) -> None:
    first = LocalPki(tmp_path).ensure().ca_file.read_bytes()

    assert LocalPki(tmp_path).ensure().ca_file.read_bytes() == first
