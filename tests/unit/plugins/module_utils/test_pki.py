"""The Client VPN PKI read in one go, and which of community.crypto's tasks it needs (module_utils/pki.py)."""

from __future__ import annotations

import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.livestack.aws.plugins.filter.client_vpn_pki_due import FilterModule
from ansible_collections.livestack.aws.plugins.module_utils.pki import pki_due, read_pki

CA_NAME = "livestack-dev Client VPN CA"
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
KEYS = [rsa.generate_private_key(public_exponent=65537, key_size=1024) for _ in range(4)]


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(**on):
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]  # fmt: skip
    return x509.KeyUsage(**{name: name in on for name in names})


def _write(path, data, mode):
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def _extensions(asked):
    if asked.get("ca"):
        found = [(x509.BasicConstraints(ca=True, path_length=None), True),
                 (_usage(key_cert_sign=True, crl_sign=True), True)]  # fmt: skip
    else:
        usages = {"digitalSignature": "digital_signature", "keyEncipherment": "key_encipherment"}
        eku = {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}
        found = [(x509.BasicConstraints(ca=False, path_length=None), False),
                 (_usage(**{usages[name]: True for name in asked["key_usage"]}), True),
                 (x509.ExtendedKeyUsage([eku[name] for name in asked["usage"]]), False)]  # fmt: skip
        if asked["san"]:
            found.append((x509.SubjectAlternativeName([x509.DNSName(n[4:]) for n in asked["san"]]), False))
    return found + list(asked.get("extra", []))


def _issue(base, key, asked, ca=None, ca_key=None, days=365):
    """key, csr and crt as openssl_privatekey, openssl_csr and x509_certificate (ownca or selfsigned) write them."""
    _write(base + ".key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()), 0o600)  # fmt: skip
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(asked["common_name"]))
    for value, critical in _extensions(asked):
        builder = builder.add_extension(value, critical)
    csr = builder.sign(key, hashes.SHA256())
    _write(base + ".csr", csr.public_bytes(serialization.Encoding.PEM), 0o644)
    issuer, signer = (ca.subject, ca_key) if ca else (csr.subject, key)
    cert = (
        x509.CertificateBuilder().subject_name(csr.subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )  # fmt: skip
    for value, critical in _extensions(asked):
        cert = cert.add_extension(value, critical)
    if ca:
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        cert = cert.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
    cert = cert.sign(signer, hashes.SHA256())
    _write(base + ".crt", cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


def _crl(path, ca_key, serials, days=30, issuer=CA_NAME):
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(_name(issuer)).last_update(NOW)
        .next_update(NOW + datetime.timedelta(days=days))
    )  # fmt: skip
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW).build()
        )
    _write(path, builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM), 0o644)


@pytest.fixture
def pki(tmp_path):
    config = tmp_path / "config"
    directory = config / "pki"
    for path in (config, directory, directory / "clients", directory / "revoked"):
        path.mkdir()
        path.chmod(0o700)
    ca = _issue(str(directory / "ca"), KEYS[0], {"common_name": CA_NAME, "ca": True})
    certificates = [
        {"name": "server", "dir": str(directory), "common_name": "vpn.example", "san": ["DNS:vpn.example"],
         "usage": ["serverAuth"], "key_usage": ["digitalSignature", "keyEncipherment"]},
        {"name": "alice", "dir": str(directory / "clients"), "common_name": "alice", "san": [],
         "usage": ["clientAuth"], "key_usage": ["digitalSignature"]},
    ]  # fmt: skip
    for key, asked in zip(KEYS[1:3], certificates, strict=True):
        _issue(os.path.join(asked["dir"], asked["name"]), key, asked, ca, KEYS[0])
    gone = _issue(str(directory / "revoked" / "bob"), KEYS[3], {**certificates[1], "common_name": "bob"}, ca, KEYS[0])
    for suffix in (".key", ".csr"):
        os.remove(str(directory / "revoked" / "bob") + suffix)
    os.rename(str(directory / "revoked" / "bob.crt"), str(directory / "revoked" / f"bob-{gone.serial_number:x}.crt"))
    _crl(str(directory / "crl.pem"), KEYS[0], [gone.serial_number])
    return {"dir": directory, "config": config, "certificates": certificates, "ca": ca, "gone": gone}


def _due(pki, certificates=None, **options):
    state = read_pki(str(pki["dir"]), str(pki["config"]))
    return pki_due(state, pki["certificates"] if certificates is None else certificates, CA_NAME,
                   options.get("renew_days", 30), now=NOW)  # fmt: skip


NOTHING = {"directories": False, "ca_key": False, "ca_csr": False, "ca_cert": False, "private_keys": [], "csrs": [],
           "certificates": [], "crl": False}  # fmt: skip


def test_a_complete_pki_needs_nothing(pki):
    assert _due(pki) == NOTHING


def test_the_read_lists_the_issued_and_revoked_certificates_and_no_secret(pki):
    state = read_pki(str(pki["dir"]), str(pki["config"]))
    assert state["issued"] == [str(pki["dir"] / "clients" / "alice.crt")]
    assert list(state["revoked"].values()) == [pki["gone"].serial_number]
    assert state["crl"]["serial_numbers"] == [pki["gone"].serial_number]
    assert "PRIVATE" not in repr(state)


def test_a_fresh_machine_needs_everything(tmp_path):
    state = read_pki(str(tmp_path / "pki"), str(tmp_path))
    due = pki_due(state, [{"name": "server", "dir": str(tmp_path / "pki"), "common_name": "s", "san": [],
                           "usage": ["serverAuth"], "key_usage": ["digitalSignature"]}], CA_NAME, 30)  # fmt: skip
    assert due == {"directories": True, "ca_key": True, "ca_csr": True, "ca_cert": True, "private_keys": ["server"],
                   "csrs": ["server"], "certificates": ["server"], "crl": True}  # fmt: skip


def test_a_loose_mode_is_due(pki):
    os.chmod(pki["dir"] / "clients" / "alice.key", 0o644)
    assert _due(pki) == NOTHING | {"private_keys": ["alice"], "csrs": ["alice"], "certificates": ["alice"]}
    os.chmod(pki["dir"] / "clients" / "alice.key", 0o600)
    os.chmod(pki["dir"] / "revoked", 0o755)
    assert _due(pki) == NOTHING | {"directories": True}
    os.chmod(pki["dir"] / "crl.pem", 0o600)
    assert _due(pki)["crl"] is True


def test_a_new_developer_gets_a_key_a_request_and_a_certificate(pki):
    carol = {**pki["certificates"][1], "name": "carol", "common_name": "carol"}
    assert _due(pki, pki["certificates"] + [carol]) == NOTHING | {
        "private_keys": ["carol"], "csrs": ["carol"], "certificates": ["carol"]
    }  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"common_name": "vpn2.example"},
        {"san": ["DNS:vpn2.example"]},
        {"san": []},
        {"usage": ["clientAuth"]},
        {"key_usage": ["digitalSignature"]},
    ],
)
def test_a_request_that_says_something_else_is_made_again_and_signed(pki, change):
    certificates = [pki["certificates"][0] | change, pki["certificates"][1]]
    assert _due(pki, certificates) == NOTHING | {"csrs": ["server"], "certificates": ["server"]}


def test_a_certificate_expiring_within_the_renewal_days_is_renewed(pki):
    assert _due(pki, renew_days=400) == NOTHING | {"ca_cert": True, "certificates": ["server", "alice"], "crl": True}


def test_a_certificate_of_another_ca_or_key_or_with_more_extensions_is_signed_again(pki):
    # A CA of the same name but another key.
    stranger = _issue(str(pki["dir"] / "stranger"), KEYS[3], {"common_name": CA_NAME, "ca": True})
    _issue(str(pki["dir"] / "clients" / "alice"), KEYS[2], pki["certificates"][1], stranger, KEYS[3])
    assert _due(pki) == NOTHING | {"certificates": ["alice"]}
    _issue(str(pki["dir"] / "clients" / "alice"), KEYS[2], pki["certificates"][1], pki["ca"], KEYS[0])
    assert _due(pki) == NOTHING
    # The certificate of the right CA over another key than the developer's.
    cert = (pki["dir"] / "server.crt").read_bytes()
    (pki["dir"] / "clients" / "alice.crt").write_bytes(cert)
    assert _due(pki)["certificates"] == ["alice"]
    extra = {**pki["certificates"][1], "extra": [(x509.OCSPNoCheck(), False)]}
    _issue(str(pki["dir"] / "clients" / "alice"), KEYS[2], extra, pki["ca"], KEYS[0])
    assert _due(pki)["csrs"] == ["alice"]


def test_a_new_ca_key_makes_everything_due(pki):
    (pki["dir"] / "ca.key").unlink()
    assert _due(pki) == {"directories": False, "ca_key": True, "ca_csr": True, "ca_cert": True, "private_keys": [],
                         "csrs": [], "certificates": ["server", "alice"], "crl": True}  # fmt: skip


def test_an_unreadable_file_goes_to_its_task(pki):
    (pki["dir"] / "server.crt").write_text("not a certificate")
    (pki["dir"] / "server.crt").chmod(0o644)
    assert _due(pki) == NOTHING | {"certificates": ["server"]}
    (pki["dir"] / "ca.csr").write_text("garbage")
    assert _due(pki)["ca_csr"] is True


@pytest.mark.parametrize(
    ("serials", "days", "issuer"),
    [([], 30, CA_NAME), ([1], 30, CA_NAME), (None, 10, CA_NAME), (None, 30, "someone else")],
)
def test_a_crl_missing_a_revoked_serial_expiring_or_of_another_issuer_is_signed_again(pki, serials, days, issuer):
    _crl(
        str(pki["dir"] / "crl.pem"), KEYS[0], [pki["gone"].serial_number] if serials is None else serials, days, issuer
    )
    assert _due(pki) == NOTHING | {"crl": True}


def test_a_crl_that_keeps_more_serials_than_the_files_stands(pki):
    _crl(str(pki["dir"] / "crl.pem"), KEYS[0], [pki["gone"].serial_number, 77])
    assert _due(pki) == NOTHING


def test_a_crl_signed_by_another_key_is_signed_again(pki):
    _crl(str(pki["dir"] / "crl.pem"), KEYS[1], [pki["gone"].serial_number])
    assert _due(pki) == NOTHING | {"crl": True}


def test_the_filter():
    assert FilterModule().filters()["client_vpn_pki_due"].__name__ == "client_vpn_pki_due"
