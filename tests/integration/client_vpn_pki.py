"""A throwaway PKI for Client VPN tests: a CA, a server certificate with a DNS name, CRLs."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class ThrowawayPki:
    def __init__(self, server_name: str = "vpn.test.internal") -> None:
        now = datetime.datetime.now(datetime.UTC)
        self.ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(_name("test-ca"))
            .issuer_name(_name("test-ca"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.server = (
            x509.CertificateBuilder()
            .subject_name(_name(server_name))
            .issuer_name(self.ca.subject)
            .public_key(self.server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

    def renew_server(self) -> None:
        """A new server certificate for the same key (what renewal before expiry does)."""
        now = datetime.datetime.now(datetime.UTC)
        self.server = (
            x509.CertificateBuilder()
            .subject_name(self.server.subject)
            .issuer_name(self.ca.subject)
            .public_key(self.server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=60))
            .add_extension(self.server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

    @staticmethod
    def pem(certificate: x509.Certificate) -> str:
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self) -> str:
        return self.server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode()

    def crl(self, *serials: int) -> str:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(now)
            .next_update(now + datetime.timedelta(days=30))
        )
        for serial in serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
            )
        return builder.sign(self.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
