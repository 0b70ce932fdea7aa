"""The emulator's own certificate authority, standing in for the RDS CA bundle.

Made once per emulator (an EC P-256 key, under the state directory as ``tls/ca.pem`` and
``tls/ca.key``, 0600). Each database endpoint gets a server certificate for its address (an IP
SAN, since endpoints are loopback addresses), so a client that verifies the endpoint against
``ca_bundle()`` (``GET /_livestack/ca-bundle.pem``) checks it exactly as it checks an RDS endpoint
against AWS's bundle.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import supervisor

_lock = threading.Lock()
_contexts: dict[tuple[str, str], ssl.SSLContext] = {}
VALIDITY = datetime.timedelta(days=825)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _authority() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, Path]:
    directory = supervisor().directory("tls")
    certificate_path, key_path = directory / "ca.pem", directory / "ca.key"
    if not certificate_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "livestack emulator RDS CA")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(key_path, _key_pem(key))
        certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return certificate, key, certificate_path


def ca_bundle() -> Path:
    """The PEM file of the emulator's CA (made on first use)."""
    with _lock:
        return _authority()[2]


def server_context(address: str, *more: str) -> ssl.SSLContext:
    """A TLS server context with a certificate for ``address`` and ``more`` addresses (IP SANs, such as the
    endpoint's address in its VPC) issued by the emulator's CA."""
    with _lock:
        key = (str(supervisor().root), address, *more)
        if key in _contexts:
            return _contexts[key]
        authority, authority_key, _ = _authority()
        directory = supervisor().directory("tls", "endpoints")
        stem = "+".join((address, *more))
        certificate_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        if not certificate_path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            now = datetime.datetime.now(datetime.UTC)
            certificate = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
                .issuer_name(authority.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + VALIDITY)
                .add_extension(
                    x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(a)) for a in (address, *more)]),
                    critical=False,
                )
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()), critical=False
                )
                .sign(authority_key, hashes.SHA256())
            )
            _write_private(key_path, _key_pem(key))
            certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certificate_path, key_path)
        _contexts[key] = context
        return context
