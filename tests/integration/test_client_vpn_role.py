"""The client_vpn role against the emulator: PKI, profiles, revocation, idempotence, teardown, bad input."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

from census import stage_resources
from conftest import ROOT, playbook_command, ran, retried
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from openvpn_client import handshake

STAGE = "cvpntest"
BOTH = ("--tags", "network,client_vpn")
# The network is converged once; the role looks it up when it runs alone, which keeps the test short.
ROLE = ("--tags", "client_vpn")


def openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def verify(pki: Path, certificate: Path, *extra: str) -> subprocess.CompletedProcess:
    return openssl("verify", "-x509_strict", "-CAfile", str(pki / "ca.crt"), *extra, str(certificate))


def serial(certificate: Path) -> int:
    return x509.load_pem_x509_certificate(certificate.read_bytes()).serial_number


def block(text: str, tag: str) -> str:
    found = re.search(rf"^<{tag}>\n(.*?)^</{tag}>$", text, re.DOTALL | re.MULTILINE)
    assert found, f"no <{tag}> block"
    return found.group(1).strip()


def parse_profile(path: Path) -> dict:
    text = path.read_text()
    directives = [line.split() for line in text.splitlines() if line and not line.startswith(("#", "<", "-", " "))]
    remote = next(d for d in directives if d[0] == "remote")
    return {
        "remote_host": remote[1],
        "remote_port": int(remote[2]),
        "proto": next(d[1] for d in directives if d[0] == "proto"),
        "ca": block(text, "ca"),
        "cert": block(text, "cert"),
        "key": block(text, "key"),
        "mode": stat.S_IMODE(path.stat().st_mode),
    }


def check_pki(pki: Path, users: list[str]) -> None:
    for key in [pki / "ca.key", pki / "server.key", *(pki / "clients" / f"{u}.key" for u in users)]:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
        assert "Private-Key: (2048 bit" in openssl("rsa", "-in", str(key), "-noout", "-text").stdout
    server = verify(pki, pki / "server.crt", "-purpose", "sslserver")
    assert server.returncode == 0, server.stdout + server.stderr
    san = openssl("x509", "-in", str(pki / "server.crt"), "-noout", "-ext", "subjectAltName").stdout
    assert f"DNS:vpn.{STAGE}.livestack.internal" in san
    for user in users:
        certificate = pki / "clients" / f"{user}.crt"
        result = verify(pki, certificate, "-purpose", "sslclient", "-crl_check", "-CRLfile", str(pki / "crl.pem"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert verify(pki, certificate, "-purpose", "sslserver").returncode != 0, "a client cert is no server cert"
        subject = openssl("x509", "-in", str(certificate), "-noout", "-subject", "-nameopt", "RFC2253").stdout
        assert subject.strip() == f"subject=CN={user}"


def check_profiles(config: Path, pki: Path, users: list[str], exported: str) -> None:
    """The profiles: the exported configuration's remote (the emulator's server: an address, which gets
    no random label; AWS's DNS name gets one), the CA, each developer's certificate and key; and they
    connect: a stock openvpn client completes the TLS handshake with the endpoint's server."""
    assert sorted(p.name for p in config.glob("*.ovpn")) == sorted(f"{u}.ovpn" for u in users)
    remote = re.search(r"^remote (\S+) (\d+)$", exported, re.MULTILINE)
    assert remote and re.fullmatch(r"127\.78\.\d+\.\d+", remote.group(1)), exported
    for user in users:
        profile = parse_profile(config / f"{user}.ovpn")
        assert profile["mode"] == 0o600
        assert (profile["remote_host"], profile["remote_port"]) == (remote.group(1), int(remote.group(2)))
        assert profile["proto"] == "udp"
        assert profile["ca"] == (pki / "ca.crt").read_text().strip()
        assert profile["cert"] == (pki / "clients" / f"{user}.crt").read_text().strip()
        assert profile["key"] == (pki / "clients" / f"{user}.key").read_text().strip()
        certificate = x509.load_pem_x509_certificate(profile["cert"].encode())
        key = serialization.load_pem_private_key(profile["key"].encode(), password=None)
        assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
        connected, log = handshake(config / f"{user}.ovpn")
        assert connected, log


def exported(emulator, endpoint: dict) -> str:
    return emulator.client("ec2").export_client_vpn_client_configuration(
        ClientVpnEndpointId=endpoint["ClientVpnEndpointId"]
    )["ClientConfiguration"]


def the_endpoint(emulator) -> dict:
    found = [
        e
        for e in emulator.client("ec2").describe_client_vpn_endpoints()["ClientVpnEndpoints"]
        if {"Key": "Name", "Value": f"livestack-{STAGE}-vpn"} in e.get("Tags", [])
    ]
    assert len(found) == 1
    return found[0]


def teardown_while_a_certificate_is_in_use(emulator, certificate_arn: str, extra_vars: dict, log_path: Path):
    """teardown.yml while another endpoint (not the stage's) uses the stage's server certificate, deleted once the
    role has met ACM's ResourceInUseException: the role retries it (community.aws.acm_certificate does not) and
    ends once AWS has deleted that endpoint too."""
    ec2 = emulator.client("ec2")
    other = ec2.create_client_vpn_endpoint(
        ClientCidrBlock="192.168.0.0/22",
        ServerCertificateArn=certificate_arn,
        AuthenticationOptions=[
            {
                "Type": "certificate-authentication",
                "MutualAuthentication": {"ClientRootCertificateChainArn": certificate_arn},
            }
        ],
        ConnectionLogOptions={"Enabled": False},
    )["ClientVpnEndpointId"]
    emulator.clear_requests()
    command, env = playbook_command("teardown.yml", *BOTH, stage=STAGE, extra_vars=extra_vars, port=emulator.port)
    with (
        log_path.open("w") as log,
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True) as run,
    ):
        deadline = time.monotonic() + 600
        while not any(c["action"] == "DeleteCertificate" for c in emulator.requests(calls=True)["calls"]):
            assert run.poll() is None and time.monotonic() < deadline, "the teardown never tried DeleteCertificate"
            time.sleep(0.2)
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=other)
        run.wait(timeout=600)
    return subprocess.CompletedProcess(command, run.returncode, log_path.read_text())


# community.crypto's tasks of pki.yml, which a no-change run skips (livestack.aws.client_vpn_pki_due).
CRYPTO_TASKS = ("Create the CA key", "Create the CA signing request", "Sign the CA certificate",
                "Create the keys of the server and the developers", "Create the signing requests",
                "Sign the certificates with the CA", "Read the previous CRL", "Sign the CRL")  # fmt: skip


def test_client_vpn_converges_revokes_and_tears_down(emulator, run_playbook, tmp_path):
    config = tmp_path / "config"
    pki = config / "pki"
    options = {"client_vpn_config_dir": str(config), "client_vpn_users": ["alice", "bob", "carol.d"]}

    emulator.clear_requests()
    check = run_playbook("site.yml", "--check", *BOTH, stage=STAGE, extra_vars=options)
    assert check.rc == 0, check.output
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    network = run_playbook("site.yml", "--tags", "network", stage=STAGE, extra_vars=options)
    assert network.rc == 0, network.output
    first = run_playbook("site.yml", *ROLE, stage=STAGE, extra_vars=options)
    assert first.rc == 0, first.output
    assert first.recap["changed"] > 0
    endpoint = the_endpoint(emulator)
    assert (endpoint["Status"]["Code"], endpoint["VpnPort"], endpoint["TransportProtocol"]) == ("available", 443, "udp")
    assert endpoint["SplitTunnel"] is True
    assert endpoint["ConnectionLogOptions"]["Enabled"] is True
    assert endpoint["ClientCidrBlock"] == "192.168.128.0/22"
    ec2 = emulator.client("ec2")
    vpn_group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"livestack-{STAGE}-vpn"]}])[
        "SecurityGroups"
    ][0]
    assert endpoint["SecurityGroupIds"] == [vpn_group["GroupId"]]
    networks = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint["ClientVpnEndpointId"])
    private = ec2.describe_subnets(
        Filters=[
            {"Name": "tag:livestack:stage", "Values": [STAGE]},
            {"Name": "tag:livestack:tier", "Values": ["private"]},
        ]
    )["Subnets"]
    assert sorted(n["TargetNetworkId"] for n in networks["ClientVpnTargetNetworks"]) == sorted(
        s["SubnetId"] for s in private
    )
    rules = ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=endpoint["ClientVpnEndpointId"])
    assert [(r["DestinationCidr"], r["AccessAll"]) for r in rules["AuthorizationRules"]] == [("11.0.0.0/16", True)]
    check_pki(pki, ["alice", "bob", "carol.d"])
    check_profiles(config, pki, ["alice", "bob", "carol.d"], exported(emulator, endpoint))
    bobs_profile = tmp_path / "bob.ovpn"
    shutil.copy(config / "bob.ovpn", bobs_profile)
    keys = {path.name: path.read_bytes() for path in pki.rglob("*.key")}

    emulator.clear_requests()
    second = run_playbook("site.yml", *ROLE, stage=STAGE, extra_vars=options)
    assert second.rc == 0, second.output
    assert second.recap["changed"] == 0, second.output
    assert emulator.requests()["mutating"] == 0
    assert [task for task in CRYPTO_TASKS if ran(second.output, task)] == [], second.output
    assert ran(first.output, "Sign the certificates with the CA"), "the test sees a task that ran"
    again = run_playbook("site.yml", "--check", *ROLE, stage=STAGE, extra_vars=options)
    assert again.recap["changed"] == 0, again.output

    # Drift: a key made readable, a certificate deleted, the CRL's mode changed: the one read finds them, the
    # key keeps its content (0600 again), the certificate is signed again, the CRL's mode set back.
    (pki / "clients" / "alice.key").chmod(0o644)
    (pki / "clients" / "alice.crt").unlink()
    (pki / "crl.pem").chmod(0o600)
    drifted = run_playbook("site.yml", *ROLE, stage=STAGE, extra_vars=options)
    assert drifted.rc == 0, drifted.output
    assert drifted.recap["changed"] > 0
    assert (pki / "clients" / "alice.key").read_bytes() == keys["alice.key"]
    check_pki(pki, ["alice", "bob", "carol.d"])
    assert stat.S_IMODE((pki / "crl.pem").stat().st_mode) == 0o644
    check_profiles(config, pki, ["alice", "bob", "carol.d"], exported(emulator, endpoint))

    # bob leaves the team, carol.d is revoked while still listed; and with a renewal threshold longer than the
    # certificates' remaining life, the server and client certificates (and the CRL) are renewed, keys kept.
    serials = {name: serial(pki / name) for name in ("ca.crt", "server.crt", "clients/alice.crt")}
    revoking = {
        **options,
        "client_vpn_users": ["alice", "carol.d"],
        "client_vpn_revoked": ["carol.d"],
        "client_vpn_renew_days": 900,
        "client_vpn_cert_valid_days": 1000,
        "client_vpn_crl_valid_days": 1000,
    }
    revoked = run_playbook("site.yml", *ROLE, stage=STAGE, extra_vars=revoking)
    assert revoked.rc == 0, revoked.output
    assert sorted(p.name for p in config.glob("*.ovpn")) == ["alice.ovpn"]
    revoked_certs = sorted((pki / "revoked").glob("*.crt"))
    assert [re.sub(r"-[0-9a-f]+\.crt$", "", p.name) for p in revoked_certs] == ["bob", "carol.d"]
    for certificate in revoked_certs:
        result = verify(pki, certificate, "-crl_check", "-CRLfile", str(pki / "crl.pem"))
        assert result.returncode != 0 and "certificate revoked" in result.stdout + result.stderr
        assert verify(pki, certificate).returncode == 0, "only the CRL makes it fail"
    check_pki(pki, ["alice"])
    check_profiles(config, pki, ["alice"], exported(emulator, endpoint))
    connected, log = handshake(bobs_profile, timeout=10)
    assert not connected, "bob left the team: the imported CRL refuses his certificate"
    imported = ec2.export_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint["ClientVpnEndpointId"]
    )
    assert imported["CertificateRevocationList"].strip() == (pki / "crl.pem").read_text().strip()
    assert {name: data for name, data in keys.items() if name in ("ca.key", "server.key", "alice.key")} == {
        path.name: path.read_bytes() for path in pki.rglob("*.key")
    }, "keys are never regenerated"
    assert serial(pki / "ca.crt") == serials["ca.crt"], "the CA is valid for 3650 days: not renewed"
    assert serial(pki / "server.crt") != serials["server.crt"]
    assert serial(pki / "clients/alice.crt") != serials["clients/alice.crt"]
    assert the_endpoint(emulator)["ServerCertificateArn"] == endpoint["ServerCertificateArn"], "re-imported in place"
    settled = run_playbook("site.yml", *ROLE, stage=STAGE, extra_vars=revoking)
    assert settled.recap["changed"] == 0, settled.output

    down = teardown_while_a_certificate_is_in_use(
        emulator, the_endpoint(emulator)["ServerCertificateArn"], revoking, tmp_path / "teardown.log"
    )
    assert down.returncode == 0, down.stdout
    assert retried(down.stdout, "Delete the certificates from ACM"), down.stdout
    assert stage_resources(emulator, STAGE)["client_vpn_endpoint"] == []
    assert list(config.glob("*.ovpn")) == []
    assert (pki / "ca.key").read_bytes() == keys["ca.key"], "the PKI outlives the stage unless asked"


# The bad-input cases of the role are in bad_inputs.yml (test_bad_input.py runs them).
