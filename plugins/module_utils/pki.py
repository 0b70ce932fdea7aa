# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The Client VPN PKI's state in one read, and which of community.crypto's tasks it needs.

``read_pki`` (run by the module ``client_vpn_pki_info``) reads the directories, keys, signing requests,
certificates and CRL of the PKI with ``cryptography``: modes, public keys, subjects, extensions, signatures,
expiry. ``pki_due`` (the filter ``client_vpn_pki_due``) decides from it which files community.crypto's modules
must make again, so that a no-change run runs none of them. The match is strict, as those modules' own checks:
a key, request, certificate or CRL is left alone only when it exists with its mode and says exactly what its
task asks (subject, extensions and their criticality, key, issuer and signature, subject and authority key
identifiers, not expiring within the renewal days); anything else, or anything this module cannot parse, goes
to its task, which makes (or, in check mode, predicts) the change. What a file depends on is due with it: a new
CA key makes the whole PKI due, a new key its request and certificate.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from typing import Any

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
except ImportError:  # the module reports it
    x509 = None

# community.crypto's names of the key usages and extended key usages the role asks for.
_KEY_USAGES = {
    "digital_signature": "digitalSignature",
    "content_commitment": "nonRepudiation",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
}


def _mode(path: str) -> str | None:
    try:
        return f"{stat.S_IMODE(os.stat(path).st_mode):04o}"
    except OSError:
        return None


def _public_key_id(key: Any) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _verify(public_key: Any, signature: bytes, data: bytes, algorithm: Any) -> bool:
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except Exception:  # noqa: BLE001 - any failure to verify is "not signed by it"
        return False
    return True


def _extensions(extensions: Any) -> dict[str, Any]:
    """The extensions in community.crypto's terms; any other one (bar the key identifiers) under ``other``."""
    found: dict[str, Any] = {"other": []}
    for extension in extensions:
        value, critical = extension.value, extension.critical
        if isinstance(value, x509.BasicConstraints):
            found["basic_constraints"] = [f"CA:{'TRUE' if value.ca else 'FALSE'}"] + (
                [f"pathlen:{value.path_length}"] if value.path_length is not None else []
            )
            found["basic_constraints_critical"] = critical
        elif isinstance(value, x509.KeyUsage):
            usages = [name for attribute, name in _KEY_USAGES.items() if getattr(value, attribute)]
            if value.key_agreement:
                usages += [name for name in ("encipherOnly", "decipherOnly") if getattr(value, name[:-4] + "_only")]
            found["key_usage"] = sorted(usages)
            found["key_usage_critical"] = critical
        elif isinstance(value, x509.ExtendedKeyUsage):
            names = {ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth", ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth"}
            found["extended_key_usage"] = sorted(names.get(oid, oid.dotted_string) for oid in value)
            found["extended_key_usage_critical"] = critical
        elif isinstance(value, x509.SubjectAlternativeName):
            names = [f"DNS:{name}" for name in value.get_values_for_type(x509.DNSName)]
            found["subject_alt_name"] = names if len(names) == len(value) else names + ["(other)"]
            found["subject_alt_name_critical"] = critical
        elif extension.oid not in (ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER):
            found["other"].append(extension.oid.dotted_string)
    return found


def _read_key(path: str) -> dict[str, Any]:
    found: dict[str, Any] = {"mode": _mode(path)}
    try:
        with open(path, "rb") as handle:
            found["public_key"] = _public_key_id(serialization.load_pem_private_key(handle.read(), None).public_key())
    except Exception:  # noqa: BLE001 - unreadable: its task decides
        found["public_key"] = None
    return found


def _read_csr(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            csr = x509.load_pem_x509_csr(handle.read())
        return {
            "mode": _mode(path),
            "public_key": _public_key_id(csr.public_key()),
            "subject": csr.subject.rfc4514_string(),
            "extensions": _extensions(csr.extensions),
            "signature_valid": csr.is_signature_valid,
        }
    except Exception:  # noqa: BLE001 - unreadable: its task decides
        return None


def _load_certificate(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return x509.load_pem_x509_certificate(handle.read())
    except Exception:  # noqa: BLE001 - unreadable: its task decides
        return None


def _key_identifier(certificate: Any, kind: Any) -> bytes | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value.key_identifier
    except x509.ExtensionNotFound:
        return None


def _read_certificate(path: str, ca: Any) -> dict[str, Any] | None:
    certificate = _load_certificate(path)
    if certificate is None:
        return None
    public_key = certificate.public_key()
    found = {
        "mode": _mode(path),
        "public_key": _public_key_id(public_key),
        "subject": certificate.subject.rfc4514_string(),
        "extensions": _extensions(certificate.extensions),
        "not_after": certificate.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
        "serial_number": certificate.serial_number,
        "subject_key_identifier_ok": _key_identifier(certificate, x509.SubjectKeyIdentifier)
        == x509.SubjectKeyIdentifier.from_public_key(public_key).digest,
        "signed_by_ca": False,
        "authority_key_identifier_ok": False,
    }
    if ca is not None:
        found["signed_by_ca"] = certificate.issuer == ca.subject and _verify(
            ca.public_key(),
            certificate.signature,
            certificate.tbs_certificate_bytes,
            certificate.signature_hash_algorithm,
        )
        expected = _key_identifier(ca, x509.SubjectKeyIdentifier)
        if expected is None:
            expected = x509.SubjectKeyIdentifier.from_public_key(ca.public_key()).digest
        found["authority_key_identifier_ok"] = _key_identifier(certificate, x509.AuthorityKeyIdentifier) == expected
    return found


def _read_crl(path: str, ca: Any) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            crl = x509.load_pem_x509_crl(handle.read())
    except Exception:  # noqa: BLE001 - unreadable: its task decides
        return None
    return {
        "mode": _mode(path),
        "issuer": crl.issuer.rfc4514_string(),
        "next_update": crl.next_update_utc.strftime("%Y%m%d%H%M%SZ") if crl.next_update_utc else None,
        "serial_numbers": sorted(entry.serial_number for entry in crl),
        "signed_by_ca": ca is not None and crl.is_signature_valid(ca.public_key()),
        "extensions": [extension.oid.dotted_string for entry in crl for extension in entry.extensions],
    }


def read_pki(pki_dir: str, config_dir: str) -> dict[str, Any]:
    """What the PKI directory holds: directory modes, and per file its mode and what it says (None: unreadable)."""
    clients, revoked = os.path.join(pki_dir, "clients"), os.path.join(pki_dir, "revoked")
    ca = _load_certificate(os.path.join(pki_dir, "ca.crt")) if os.path.isfile(os.path.join(pki_dir, "ca.crt")) else None
    state: dict[str, Any] = {
        "ca_base": os.path.join(pki_dir, "ca"),
        "directories": {
            path: _mode(path) if os.path.isdir(path) else None for path in (config_dir, pki_dir, clients, revoked)
        },
        "keys": {},
        "csrs": {},
        "certificates": {},
        "issued": sorted(glob.glob(os.path.join(glob.escape(clients), "*.crt"))),
        "revoked": {},
        "crl": None,
    }
    for directory in (pki_dir, clients):
        for path in sorted(glob.glob(os.path.join(glob.escape(directory), "*"))):
            if not os.path.isfile(path):
                continue
            if path.endswith(".key"):
                state["keys"][path] = _read_key(path)
            elif path.endswith(".csr"):
                state["csrs"][path] = _read_csr(path)
            elif path.endswith(".crt"):
                state["certificates"][path] = _read_certificate(path, ca)
    for path in sorted(glob.glob(os.path.join(glob.escape(revoked), "*.crt"))):
        certificate = _load_certificate(path)
        state["revoked"][path] = certificate.serial_number if certificate is not None else None
    crl = os.path.join(pki_dir, "crl.pem")
    if os.path.isfile(crl):
        state["crl"] = _read_crl(crl, ca)
    return state


def _asked_extensions(asked: Mapping[str, Any]) -> dict[str, Any]:
    """The extensions of openssl_csr as the role's tasks call it (basic constraints not critical unless a CA's)."""
    extensions: dict[str, Any] = {
        "other": [],
        "basic_constraints": list(asked["basic_constraints"]),
        "basic_constraints_critical": bool(asked.get("basic_constraints_critical", False)),
        "key_usage": sorted(asked["key_usage"]),
        "key_usage_critical": True,
    }
    if asked.get("usage"):
        extensions |= {"extended_key_usage": sorted(asked["usage"]), "extended_key_usage_critical": False}
    if asked.get("san"):
        extensions |= {"subject_alt_name": list(asked["san"]), "subject_alt_name_critical": False}
    return extensions


def _common_name(name: str) -> str:
    return x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)]).rfc4514_string()


def _expires(not_after: str | None, now: datetime.datetime, days: int) -> bool:
    if not not_after:
        return True
    end = datetime.datetime.strptime(not_after, "%Y%m%d%H%M%SZ").replace(tzinfo=datetime.UTC)
    return end < now + datetime.timedelta(days=days)


def _certificate_due(state: Mapping[str, Any], base: str, asked: Mapping[str, Any], now: datetime.datetime,
                     renew_days: int, self_signed: bool = False) -> tuple[bool, bool, bool]:  # fmt: skip
    """Whether the key, the signing request and the certificate at ``base`` + .key/.csr/.crt are due."""
    key = state["keys"].get(base + ".key")
    key_due = key is None or key["mode"] != "0600"
    csr = state["csrs"].get(base + ".csr")
    csr_due = (
        key_due
        or not key.get("public_key")
        or csr is None
        or csr["mode"] != "0644"
        or not csr["signature_valid"]
        or csr["public_key"] != key["public_key"]
        or csr["subject"] != _common_name(asked["common_name"])
        or csr["extensions"] != _asked_extensions(asked)
    )
    certificate = state["certificates"].get(base + ".crt")
    certificate_due = (
        csr_due
        or certificate is None
        or certificate["mode"] != "0644"
        or certificate["public_key"] != key["public_key"]
        or certificate["subject"] != csr["subject"]
        or certificate["extensions"] != csr["extensions"]
        or not certificate["subject_key_identifier_ok"]
        or not certificate["signed_by_ca"]
        or (not self_signed and not certificate["authority_key_identifier_ok"])
        or _expires(certificate["not_after"], now, renew_days)
    )
    return key_due, csr_due, certificate_due


def pki_due(
    state: Mapping[str, Any],
    certificates: Sequence[Mapping[str, Any]],
    ca_common_name: str,
    renew_days: int,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Which tasks of pki.yml must run: ``directories``, ``ca_key``, ``ca_csr``, ``ca_cert``, ``crl`` (booleans) and
    ``private_keys``, ``csrs``, ``certificates`` (names of ``certificates``, each ``name``, ``dir``, ``common_name``,
    ``san``, ``usage``, ``key_usage`` as the role lists them)."""
    now = now or datetime.datetime.now(datetime.UTC)
    renew_days = int(renew_days)
    directories_due = any(mode != "0700" for mode in state["directories"].values())
    ca_asked = {
        "common_name": ca_common_name,
        "basic_constraints": ["CA:TRUE"],
        "basic_constraints_critical": True,
        "key_usage": ["keyCertSign", "cRLSign"],
    }
    ca_base = state["ca_base"]
    ca_key_due, ca_csr_due, ca_cert_due = _certificate_due(state, ca_base, ca_asked, now, renew_days, self_signed=True)
    due: dict[str, Any] = {
        "directories": directories_due,
        "ca_key": ca_key_due,
        "ca_csr": ca_csr_due,
        "ca_cert": ca_cert_due,
        "private_keys": [],
        "csrs": [],
        "certificates": [],
    }
    for asked in certificates:
        base = os.path.join(asked["dir"], asked["name"])
        key_due, csr_due, certificate_due = _certificate_due(
            state, base, {**asked, "basic_constraints": ["CA:FALSE"]}, now, renew_days
        )
        for kind, is_due in (
            ("private_keys", key_due),
            ("csrs", csr_due),
            ("certificates", certificate_due or ca_cert_due),
        ):
            if is_due:
                due[kind].append(asked["name"])
    crl = state.get("crl")
    revoked = state.get("revoked") or {}
    due["crl"] = (
        ca_key_due
        or ca_cert_due
        or crl is None
        or crl["mode"] != "0644"
        or not crl["signed_by_ca"]
        or crl["issuer"] != _common_name(ca_common_name)
        or bool(crl["extensions"])
        or None in revoked.values()
        or not set(revoked.values()) <= set(crl["serial_numbers"])
        or _expires(crl["next_update"], now, renew_days)
    )
    return due
