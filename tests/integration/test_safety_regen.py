"""Issue 18, items 4 and 5, through the whole site.yml on one converged stage.

No silent regeneration: a master secret scheduled for deletion or missing, or a missing CA key, stops the
run with how to recover (the secret is not restored and overwritten); a rotation happens only when asked,
and then reaches the cluster. Revocation is durable: ``Bob`` revokes ``bob``, the serial stays in the CRL
after ``pki/revoked/`` is emptied, and an unknown revoked name is refused. Replacement is refused, not
improvised: every setting AWS cannot change in place is refused with its current and asked values.

Each refused case asserts a non-zero exit, the message, no mutating request, and the stage unchanged:
every resource as described, the secret's value, every file of the PKI and the profiles.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from census import describe, stage_resources
from conftest import TEST_CONFIG_ROOT, PlaybookRun, ansible_playbook
from cryptography import x509

pytestmark = pytest.mark.long
STAGE = "regen"
PREFIX = f"livestack-{STAGE}"
SECRET = f"{PREFIX}/aurora/master"
CONFIG = TEST_CONFIG_ROOT / STAGE
PKI = CONFIG / "pki"
USERS = ["alice", "bob"]


def site(emulator, extra: dict | None = None) -> PlaybookRun:
    variables = {"client_vpn_users": USERS, **(extra or {})}
    return ansible_playbook("site.yml", stage=STAGE, extra_vars=variables, port=emulator.port)


def password(emulator) -> str:
    secret = emulator.client("secretsmanager").get_secret_value(SecretId=SECRET)
    return json.loads(secret["SecretString"])["password"]


def endpoint_id(emulator) -> str:
    return stage_resources(emulator, STAGE)["client_vpn_endpoint"][0]


def snapshot(emulator) -> dict:
    """What must survive a refused run unchanged."""
    files = {
        str(path.relative_to(CONFIG)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(CONFIG.rglob("*"))
        if path.is_file()
    }
    crl = emulator.client("ec2").export_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint_id(emulator)
    )
    return {
        "resources": stage_resources(emulator, STAGE),
        "described": describe(emulator, STAGE),
        "secret": password(emulator),
        "files": files,
        "endpoint_crl": crl["CertificateRevocationList"],
    }


def crl_serials(pem: str | bytes) -> set[int]:
    data = pem.encode() if isinstance(pem, str) else pem
    return {entry.serial_number for entry in x509.load_pem_x509_crl(data)}


def refused(emulator, run: PlaybookRun, *messages: str) -> None:
    text = " ".join(run.output.split())
    assert run.rc != 0, run.output[-3000:]
    for message in messages:
        assert message in text, run.output[-3000:]
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)


@pytest.fixture(scope="module")
def converged(emulator) -> dict:
    run = site(emulator)
    assert run.rc == 0, run.output[-5000:]
    return snapshot(emulator)


# What AWS cannot change in place (and a port this collection does not move), each asked of the converged stage,
# with what the refusal must say; and a revoked name that matches nobody.
TEAR_DOWN = "tear the stage down first (playbooks/teardown.yml)"
REPLACEMENTS = {
    "vpc cidr": (
        {
            "network_vpc_cidr": "10.1.0.0/16",
            "network_private_subnet_cidrs": ["10.1.128.0/20", "10.1.144.0/20"],
            "network_public_subnet_cidr": "10.1.160.0/20",
        },
        [
            "network_vpc_cidr: the stage's VPC vpc-",
            "has 11.0.0.0/16; 10.1.0.0/16 was asked; a VPC's CIDR cannot change",
            TEAR_DOWN,
        ],
    ),
    "subnet cidr": (
        {"network_private_subnet_cidrs": ["11.0.128.0/20", "11.0.192.0/20"]},
        [
            f"network_private_subnet_cidrs[1]: the subnet {PREFIX}-private-b (subnet-",
            "has 11.0.144.0/20; 11.0.192.0/20",
            TEAR_DOWN,
        ],
    ),
    "subnet zones": (
        {"network_availability_zones": ["us-east-1b", "us-east-1a"]},
        [
            f"network_availability_zones: the subnet {PREFIX}-private-a (subnet-",
            "has us-east-1a; us-east-1b was asked",
            TEAR_DOWN,
        ],
    ),
    "master username": (
        {"aurora_master_username": "root"},
        [f"aurora_master_username: the cluster {PREFIX}-aurora has master user admin; root was asked", TEAR_DOWN],
    ),
    "database name": (
        {"aurora_database_name": "app"},
        [f"aurora_database_name: the cluster {PREFIX}-aurora has database name ''; 'app' was asked", TEAR_DOWN],
    ),
    "port": (
        {"aurora_port": 3307},
        [f"aurora_port: the cluster {PREFIX}-aurora has port 3306; 3307 was asked", TEAR_DOWN],
    ),
    "engine downgrade": (
        {"aurora_engine_version": "8.0.mysql_aurora.3.07.1"},
        [
            f"aurora_engine_version: the cluster {PREFIX}-aurora has engine version 8.0.mysql_aurora.3.08.2;"
            " 8.0.mysql_aurora.3.07.1 was asked; Aurora cannot downgrade",
            TEAR_DOWN,
        ],
    ),
    "kms key": (
        {"aurora_kms_key": "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"},
        [
            f"aurora_kms_key: the cluster {PREFIX}-aurora has storage encrypted with",
            "a cluster's storage key cannot",
            TEAR_DOWN,
        ],
    ),
    "client cidr": (
        {"client_vpn_client_cidr": "192.168.132.0/22"},
        [
            "client_vpn_client_cidr: the Client VPN endpoint cvpn-endpoint-",
            "has client CIDR 192.168.128.0/22;",
            TEAR_DOWN,
        ],
    ),
    "transport": (
        {"client_vpn_transport": "tcp"},
        ["client_vpn_transport: the Client VPN endpoint cvpn-endpoint-", "has transport udp; tcp was asked", TEAR_DOWN],
    ),
    "unknown revoked name": (
        {"client_vpn_revoked": ["bbo"]},
        ["client_vpn_revoked names bbo, but no certificate was ever issued to that name"],
    ),
}


@pytest.mark.parametrize("case", REPLACEMENTS, ids=list(REPLACEMENTS))
def test_a_setting_fixed_at_creation_is_refused_before_any_change(emulator, converged, case):
    extra, messages = REPLACEMENTS[case]
    emulator.clear_requests()
    refused(emulator, site(emulator, extra), *messages)
    assert snapshot(emulator) == converged


def test_a_secret_scheduled_for_deletion_stops_the_run_and_is_not_restored(emulator, converged):
    secrets = emulator.client("secretsmanager")
    secrets.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)
    try:
        emulator.clear_requests()
        refused(
            emulator,
            site(emulator),
            f"the master secret {SECRET} is scheduled for deletion",
            f"aws secretsmanager restore-secret --secret-id {SECRET} --region us-east-1",
            "aurora_rotate_master_password=true",
        )
        assert secrets.describe_secret(SecretId=SECRET).get("DeletedDate")
    finally:
        secrets.restore_secret(SecretId=SECRET)
    assert snapshot(emulator) == converged


def test_a_missing_ca_key_stops_the_run_for_the_live_endpoint(emulator, converged):
    key = PKI / "ca.key"
    aside = CONFIG / "ca.key.aside"
    key.rename(aside)
    try:
        emulator.clear_requests()
        refused(emulator, site(emulator), f"the CA key {key} is missing", "client_vpn_reissue_pki=true")
        assert not key.exists()
    finally:
        aside.rename(key)
    assert snapshot(emulator) == converged


def test_bob_revokes_bob_and_the_serial_stays_in_the_crl_after_revoked_is_emptied(emulator, converged):
    serial = x509.load_pem_x509_certificate((PKI / "clients" / "bob.crt").read_bytes()).serial_number
    ec2 = emulator.client("ec2")

    revoking = site(emulator, {"client_vpn_revoked": ["Bob"]})
    assert revoking.rc == 0, revoking.output[-3000:]
    assert not (PKI / "clients" / "bob.crt").exists() and (PKI / "clients" / "alice.crt").exists()
    assert serial in crl_serials((PKI / "crl.pem").read_bytes())

    shutil.rmtree(PKI / "revoked")
    again = site(emulator, {"client_vpn_users": ["alice"]})
    assert again.rc == 0, again.output[-3000:]
    assert serial in crl_serials((PKI / "crl.pem").read_bytes())
    exported = ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=endpoint_id(emulator))
    assert serial in crl_serials(exported["CertificateRevocationList"])


def test_a_missing_secret_stops_the_run_and_a_rotation_asked_for_reaches_the_cluster(emulator, converged):
    secrets = emulator.client("secretsmanager")
    before = password(emulator)
    secrets.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    emulator.clear_requests()
    refused(
        emulator, site(emulator), f"the master secret {SECRET} does not exist", "aurora_rotate_master_password=true"
    )

    emulator.clear_requests()
    rotated = site(emulator, {"client_vpn_users": ["alice"], "aurora_rotate_master_password": True})
    assert rotated.rc == 0, rotated.output[-3000:]
    calls = {(call["service"], call["action"]) for call in emulator.requests(calls=True)["calls"]}
    assert {("secretsmanager", "CreateSecret"), ("rds", "ModifyDBCluster")} <= calls
    after = password(emulator)
    assert len(after) >= 8 and after != before
    assert before not in rotated.output and after not in rotated.output


def test_a_reissue_asked_for_keeps_the_old_pki_aside_and_gives_every_profile_the_new_ca(emulator, converged):
    old_ca, old_profile = (PKI / "ca.crt").read_bytes(), (CONFIG / "alice.ovpn").read_bytes()
    lost = CONFIG.parent / f"{STAGE}-ca.key.lost"
    (PKI / "ca.key").rename(lost)
    try:
        reissued = site(emulator, {"client_vpn_users": ["alice"], "client_vpn_reissue_pki": True})
    finally:
        lost.unlink()
    assert reissued.rc == 0, reissued.output[-3000:]
    [aside] = CONFIG.glob("pki.replaced-*")
    assert (aside / "ca.crt").read_bytes() == old_ca and not (aside / "ca.key").exists()
    new_ca = x509.load_pem_x509_certificate((PKI / "ca.crt").read_bytes())
    assert new_ca.fingerprint(new_ca.signature_hash_algorithm) != x509.load_pem_x509_certificate(old_ca).fingerprint(
        new_ca.signature_hash_algorithm
    )
    alice = x509.load_pem_x509_certificate((PKI / "clients" / "alice.crt").read_bytes())
    alice.verify_directly_issued_by(new_ca)
    profile = (CONFIG / "alice.ovpn").read_bytes()
    assert profile != old_profile and (PKI / "ca.crt").read_bytes().strip() in profile
    exported = emulator.client("ec2").export_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint_id(emulator)
    )
    crl = x509.load_pem_x509_crl(exported["CertificateRevocationList"].encode())
    assert crl.issuer == new_ca.subject and crl.is_signature_valid(new_ca.public_key())
