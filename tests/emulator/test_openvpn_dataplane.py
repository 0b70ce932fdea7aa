"""The OpenVPN server behind each Client VPN endpoint, met by a stock ``openvpn`` client.

The endpoint is made through boto3 on an emulator of this module's own (so that its stop can be
checked), the exported profile gets a developer's certificate and key inline as the client_vpn
role writes them, and ``openvpn --config profile.ovpn`` connects. With TUN devices (root), the
client's TUN device lives in a network namespace "laptop" of the test, the server's in the
endpoint's namespace: no address nor route is added to this machine's own namespace.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Emulator, start_emulator
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from openvpn_client import Client, tunnels_possible
from support.builders import rds_available

from livestack_emulator import dataplane
from livestack_emulator.dataplane import openvpn

VPC_CIDR = "11.0.0.0/16"
CLIENT_CIDR = "192.168.128.0/22"
TARGET = ("11.0.128.10", 3306)  # "the database's VPC address", served by the echo server below


class Pki:
    """A CA, its server certificate (with a DNS name) and client certificates, as the role makes them."""

    def __init__(self, name: str = "test-ca") -> None:
        self.key = self._key()
        self.ca = self._sign(name, self.key.public_key(), ca=True)

    @staticmethod
    def _key() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def _sign(self, cn: str, public_key, ca: bool = False, usage=None, dns: str | None = None) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if ca else self.ca.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if dns:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        if usage:
            # What remote-cert-tls checks (and the role's certificates carry): key usage and extended key usage.
            signing = dict.fromkeys(
                ("content_commitment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"), False
            )
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_encipherment=True, encipher_only=False, decipher_only=False, **signing
                ),
                critical=True,
            ).add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def issue(self, cn: str, server: bool = False) -> tuple[x509.Certificate, str]:
        key = self._key()
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        certificate = self._sign(cn, key.public_key(), usage=usage, dns=cn if server else None)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode()
        return certificate, key_pem

    def crl(self, *revoked: x509.Certificate) -> str:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(now - datetime.timedelta(minutes=1))
            .next_update(now + datetime.timedelta(days=30))
        )
        for certificate in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(certificate.serial_number)
                .revocation_date(now - datetime.timedelta(minutes=1))
                .build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def profile(configuration: str, certificate: x509.Certificate, key: str, path: Path) -> Path:
    """The exported configuration with the developer's certificate and key inline, 0600 (the role's)."""
    path.write_text(
        f"{configuration.strip()}\n\n<cert>\n{pem(certificate).strip()}\n</cert>\n<key>\n{key.strip()}\n</key>\n"
    )
    path.chmod(0o600)
    return path


def make_endpoint(emulator: Emulator, pki: Pki, transport: str = "udp") -> dict:
    """VPC, subnet, server certificate in ACM, endpoint, association, authorization, CRL; until available."""
    ec2, acm = emulator.client("ec2"), emulator.client("acm")
    group = f"/livestack/vpn-{uuid.uuid4().hex[:8]}"
    emulator.client("logs").create_log_group(logGroupName=group)
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="11.0.128.0/20", AvailabilityZone="us-east-1a")["Subnet"]
    server, server_key = pki.issue("vpn.test.internal", server=True)
    arn = acm.import_certificate(Certificate=pem(server), PrivateKey=server_key, CertificateChain=pem(pki.ca))[
        "CertificateArn"
    ]
    endpoint_id = ec2.create_client_vpn_endpoint(
        ClientCidrBlock=CLIENT_CIDR,
        ServerCertificateArn=arn,
        AuthenticationOptions=[
            {"Type": "certificate-authentication", "MutualAuthentication": {"ClientRootCertificateChainArn": arn}}
        ],
        ConnectionLogOptions={"Enabled": True, "CloudwatchLogGroup": group},
        TransportProtocol=transport,
        VpnPort=443,
        SplitTunnel=True,
        VpcId=vpc,
    )["ClientVpnEndpointId"]
    association = ec2.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=subnet["SubnetId"])
    ec2.authorize_client_vpn_ingress(
        ClientVpnEndpointId=endpoint_id, TargetNetworkCidr=VPC_CIDR, AuthorizeAllGroups=True
    )
    for _ in range(10):
        found = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[endpoint_id])["ClientVpnEndpoints"][0]
        if found["Status"]["Code"] == "available":
            break
    assert found["Status"]["Code"] == "available"
    return {"id": endpoint_id, "association": association["AssociationId"], "ec2": ec2, "log_group": group}


def export(endpoint: dict) -> str:
    return endpoint["ec2"].export_client_vpn_client_configuration(ClientVpnEndpointId=endpoint["id"])[
        "ClientConfiguration"
    ]


def remote(configuration: str) -> tuple[str, int]:
    found = re.search(r"^remote (\S+) (\d+)$", configuration, re.MULTILINE)
    assert found, configuration
    return found.group(1), int(found.group(2))


class EchoServer:
    """A TCP server on loopback standing for the database: it answers each line in upper case."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.peers: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, peer = self.socket.accept()
            except OSError:
                return
            self.peers.append(peer[0])
            with connection:
                while data := connection.recv(4096):
                    connection.sendall(data.upper())

    def close(self) -> None:
        self.socket.close()


def openvpn_processes(state: Path) -> list[int]:
    """The openvpn processes running with a configuration under the emulator's state directory."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"openvpn") and any(str(state).encode() in a for a in argv):
            found.append(int(entry.name))
    return found


def listening(host: str, port: int) -> int:
    """Sockets bound to host:port, UDP and TCP (``ss``)."""
    result = subprocess.run(["ss", "-H", "-ulnt", "src", f"{host}:{port}"], capture_output=True, text=True)
    return len([line for line in result.stdout.splitlines() if line.strip()])


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def echo():
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pki, echo):
    """An emulator of the module's own with an endpoint; the database's VPC address mapped to the echo server."""
    directory = tmp_path_factory.mktemp("openvpn")
    state = directory / "state"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVESTACK_EMULATOR_STATE", str(state))
        patch.setenv("LIVESTACK_EMULATOR_VPC_TARGETS", f"{TARGET[0]}:{TARGET[1]}=127.0.0.1:{echo.port}")
        process, emulator = start_emulator(directory / "emulator.log")
    try:
        endpoint = make_endpoint(emulator, pki)
        yield {"emulator": emulator, "process": process, "state": state, "dir": directory, **endpoint}
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def server_log(stack: dict) -> str:
    return (stack["state"] / "openvpn" / stack["id"] / "server.log").read_text(errors="replace")


def test_the_profile_points_at_the_endpoints_server(stack, pki):
    configuration = export(stack)
    host, port = remote(configuration)
    assert ipaddress.IPv4Address(host) in openvpn.LISTEN_NETWORK
    assert port == (443 if os.geteuid() == 0 else port)
    lines = configuration.splitlines()
    for directive in (
        "client",
        "dev tun",
        "proto udp",
        "remote-random-hostname",
        "verify-x509-name vpn.test.internal name",
    ):
        assert directive in lines
    assert configuration.split("<ca>\n", 1)[1].split("</ca>", 1)[0].strip() == pem(pki.ca).strip()
    assert listening(host, port) == 1, "the endpoint's server listens where the profile points"
    directory = stack["state"] / "openvpn" / stack["id"]
    config = (directory / "server.conf").read_text()
    assert "server 192.168.128.0 255.255.252.0" in config
    assert 'push "route 11.0.0.0 255.255.0.0"' in config and "redirect-gateway" not in config
    assert "data-ciphers AES-256-GCM" in config and "session-timeout 86400" in config
    for name in ("server.key", "server.pem", "client-roots.pem", "server.conf"):
        assert (directory / name).stat().st_mode & 0o777 == 0o600, name


def test_a_developer_connects_and_a_tcp_session_crosses_the_tunnel(stack, pki, echo, laptop):
    alice, key = pki.issue("alice")
    client = Client(profile(export(stack), alice, key, stack["dir"] / "alice.ovpn"), laptop)
    try:
        assert client.wait_for("Initialization Sequence Completed"), client.text()
        addresses = subprocess.run(["ip", "-n", laptop, "-4", "-o", "addr"], capture_output=True, text=True).stdout
        mine = re.search(r"inet (192\.168\.\d+\.\d+)/22", addresses)
        assert mine and ipaddress.IPv4Address(mine.group(1)) in ipaddress.IPv4Network(CLIENT_CIDR), addresses
        routes = subprocess.run(["ip", "-n", laptop, "route"], capture_output=True, text=True).stdout
        assert re.search(r"^11\.0\.0\.0/16 via 192\.168\.128\.1", routes, re.MULTILINE), routes
        session = subprocess.run(
            ["ip", "netns", "exec", laptop, "python3", "-c", CONNECT, *map(str, TARGET)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert session.stdout.strip() == "HELLO THROUGH THE TUNNEL", session.stderr
        assert echo.peers, "the session reached the server behind the VPC address"

        # Without an authorization rule for the VPC, the tunnel carries no session to it.
        stack["ec2"].revoke_client_vpn_ingress(
            ClientVpnEndpointId=stack["id"], TargetNetworkCidr=VPC_CIDR, RevokeAllGroups=True
        )
        stack["ec2"].describe_client_vpn_authorization_rules(ClientVpnEndpointId=stack["id"])
        refused = subprocess.run(
            ["ip", "netns", "exec", laptop, "python3", "-c", CONNECT, *map(str, TARGET)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert refused.stdout.strip() == "" and len(echo.peers) == 1
    finally:
        client.stop()


CONNECT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
    s.sendall(b"hello through the tunnel\\n")
    s.shutdown(socket.SHUT_WR)
    print(s.makefile().read().strip())
"""


def refused(stack: dict, client: Client, cn: str, reason: str) -> None:
    deadline = time.monotonic() + 30
    while not re.search(rf"VERIFY ERROR.*{reason}.*CN={cn}|{reason}.*{cn}", server_log(stack)):
        assert time.monotonic() < deadline, server_log(stack)[-3000:]
        time.sleep(0.2)
    assert not client.wait_for("Peer Connection Initiated|Initialization Sequence Completed", timeout=2), client.text()


def test_a_revoked_developer_is_refused(stack, pki):
    mallory, key = pki.issue("mallory")
    stack["ec2"].import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=stack["id"], CertificateRevocationList=pki.crl(mallory)
    )
    client = Client(profile(export(stack), mallory, key, stack["dir"] / "mallory.ovpn"))
    try:
        refused(stack, client, "mallory", "revoked")
    finally:
        client.stop()


def test_a_reimported_crl_applies_to_the_next_connection(stack, pki):
    bob, key = pki.issue("bob")
    path = profile(export(stack), bob, key, stack["dir"] / "bob.ovpn")
    before = Client(path)
    try:
        assert before.wait_for("Peer Connection Initiated"), before.text()
    finally:
        before.stop()
    stack["ec2"].import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=stack["id"], CertificateRevocationList=pki.crl(bob)
    )
    after = Client(path)
    try:
        refused(stack, after, "bob", "revoked")
    finally:
        after.stop()


def test_a_certificate_of_another_ca_is_refused(stack):
    stranger, key = Pki("other-ca").issue("eve")
    client = Client(profile(export(stack), stranger, key, stack["dir"] / "eve.ovpn"))
    try:
        refused(stack, client, "eve", "unable to get local issuer certificate")
    finally:
        client.stop()


SQL_THROUGH_THE_TUNNEL = """
import os, sys, pymysql
connection = pymysql.connect(
    host=sys.argv[1], port=3306, user="admin", password=os.environ["TOKEN"], connect_timeout=10,
    ssl={"ca": sys.argv[2], "check_hostname": True},
)
with connection.cursor() as cursor:
    cursor.execute("SELECT CURRENT_USER(), @@hostname IS NOT NULL")
    print(cursor.fetchone()[0])
"""


def test_a_mysql_session_crosses_the_tunnel_to_the_proxys_vpc_address(stack, pki, laptop):
    """The blog's first ending: a database client on the VPN reaches the RDS Proxy at its VPC address,
    with an IAM token over TLS verified against the emulator's CA."""
    emulator, ec2 = stack["emulator"], stack["ec2"]
    rds, secrets = emulator.client("rds"), emulator.client("secretsmanager")
    vpc = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[stack["id"]])["ClientVpnEndpoints"][0]["VpcId"]
    subnet_a = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="11.0.144.0/20", AvailabilityZone="us-east-1b")["Subnet"]
    subnets = [subnet_a["SubnetId"], subnet_b["SubnetId"]]
    rds.create_db_subnet_group(DBSubnetGroupName="tunnel", DBSubnetGroupDescription="tunnel", SubnetIds=subnets)
    rds.create_db_cluster(
        DBClusterIdentifier="tunnel",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName="tunnel",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier="tunnel-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier="tunnel",
    )
    secret = secrets.create_secret(
        Name="tunnel", SecretString=json.dumps({"username": "admin", "password": "password1"})
    )
    proxy = rds.create_db_proxy(
        DBProxyName="tunnel",
        EngineFamily="MYSQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret["ARN"], "IAMAuth": "REQUIRED"}],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=subnets,
        RequireTLS=True,
    )["DBProxy"]
    rds_available(rds, proxy="tunnel", instances=["tunnel-1"])
    rds.register_db_proxy_targets(DBProxyName="tunnel", DBClusterIdentifiers=["tunnel"])
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        health = json.load(response)
    found = [
        e for e in health["dataplane"]["mysql"]["endpoints"].values() if e["endpoint"].startswith(proxy["Endpoint"])
    ]
    vpc_address = found[0]["vpc_address"]
    assert ipaddress.IPv4Address(vpc_address) in ipaddress.IPv4Network(subnet_a["CidrBlock"])
    try:  # an earlier test of the module revoked the VPC's authorization rule
        ec2.authorize_client_vpn_ingress(
            ClientVpnEndpointId=stack["id"], TargetNetworkCidr=VPC_CIDR, AuthorizeAllGroups=True
        )
    except ec2.exceptions.ClientError as error:
        assert "Duplicate" in str(error)
    ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=stack["id"])  # authorizing -> active
    # The token names the endpoint as the API reports it, as on AWS, where it names the DNS name.
    token = rds.generate_db_auth_token(proxy["Endpoint"], 3306, "admin")

    alice, key = pki.issue("alice-sql")
    client = Client(profile(export(stack), alice, key, stack["dir"] / "alice-sql.ovpn"), laptop)
    try:
        assert client.wait_for("Initialization Sequence Completed"), client.text()
        command = ["ip", "netns", "exec", laptop, sys.executable, "-c", SQL_THROUGH_THE_TUNNEL]
        deadline = time.monotonic() + 30
        while True:  # the listener opens once the proxy is available
            session = subprocess.run(
                [*command, vpc_address, health["ca_bundle"]],
                capture_output=True,
                text=True,
                timeout=60,
                env=dict(os.environ, TOKEN=token),
            )
            if session.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert session.stdout.strip() == "admin@%", session.stderr
    finally:
        client.stop()
        rds.delete_db_proxy(DBProxyName="tunnel")


def test_no_server_remains_after_deletion_and_stop(tmp_path, pki):
    state = tmp_path / "state"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVESTACK_EMULATOR_STATE", str(state))
        process, emulator = start_emulator(tmp_path / "emulator.log")
    try:
        first, second = make_endpoint(emulator, pki), make_endpoint(emulator, pki, transport="tcp")
        listeners = [remote(export(first)), remote(export(second))]
        assert len(openvpn_processes(state)) == 2
        assert [listening(*listener) for listener in listeners] == [1, 1]

        ec2 = first["ec2"]
        ec2.disassociate_client_vpn_target_network(ClientVpnEndpointId=first["id"], AssociationId=first["association"])
        ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[first["id"]])
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=first["id"])
        assert len(openvpn_processes(state)) == 1
        assert [listening(*listener) for listener in listeners] == [0, 1]
    finally:
        process.terminate()
        process.wait(30)
    assert openvpn_processes(state) == []
    assert [listening(*listener) for listener in listeners] == [0, 0]
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert first["id"] not in namespaces and second["id"] not in namespaces


def test_without_tun_the_tls_handshake_is_real(tmp_path, pki):
    state = tmp_path / "state"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVESTACK_EMULATOR_STATE", str(state))
        patch.setenv("LIVESTACK_EMULATOR_TUN", "off")
        process, emulator = start_emulator(tmp_path / "emulator.log")
    try:
        endpoint = make_endpoint(emulator, pki)
        carol, key = pki.issue("carol")
        client = Client(profile(export(endpoint), carol, key, tmp_path / "carol.ovpn"))
        try:
            assert client.wait_for("Peer Connection Initiated"), client.text()
        finally:
            client.stop()
        config = (state / "openvpn" / endpoint["id"] / "server.conf").read_text()
        assert "dev null" in config and "mode server" not in config
    finally:
        process.terminate()
        process.wait(30)


def test_connections_and_refusals_go_to_the_connection_log(stack):
    """After the tests above: alice connected, mallory was refused (revoked), with AWS's log fields."""
    logs = stack["emulator"].client("logs")
    deadline = time.monotonic() + 10
    while True:
        events = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=stack["log_group"])["events"]]
        outcomes = {(e["common-name"], e["connection-attempt-status"]): e for e in events}
        connected, refused = outcomes.get(("alice", "successful")), outcomes.get(("mallory", "failed"))
        if (connected and refused) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert connected and refused, events
    assert ipaddress.IPv4Address(connected["client-ip"]) in ipaddress.IPv4Network(CLIENT_CIDR)
    assert connected["client-vpn-endpoint-id"] == stack["id"]
    assert connected["connection-id"].startswith("cvpn-connection-")
    assert refused["connection-attempt-failure-reason"] == "certificate revoked"
    streams = logs.describe_log_streams(logGroupName=stack["log_group"])["logStreams"]
    assert [s["logStreamName"].startswith(f"{stack['id']}-us-east-1-") for s in streams] == [True]


def test_a_missing_binary_is_reported_with_its_install_command(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(dataplane, "SBIN", ())
    health = openvpn.health()
    assert health["available"] is False and "apt-get install -y openvpn" in health["error"]


def test_the_health_route_reports_the_openvpn_part(stack):

    with urllib.request.urlopen(f"{stack['emulator'].url}/_livestack/health", timeout=10) as response:
        health = json.load(response)["dataplane"]["openvpn"]
    assert health["available"] is True and health["tunnels"] is (tunnels_possible() is None)
    host, port = remote(export(stack))
    assert health["servers"][stack["id"]] == {"address": f"{host}:{port}/udp"}


SPEC = openvpn.ServerSpec(
    endpoint_id="cvpn-endpoint-0123456789abcdef0",
    transport="udp",
    listen=("127.78.1.2", 443),
    client_cidr="10.100.0.0/16",
    server_certificate="",
    server_key="",
    client_roots="",
    crl=None,
    routes=("11.0.0.0/16", "11.1.0.0/16"),
    split_tunnel=True,
    dns_servers=(),
    session_timeout_hours=24,
)


@pytest.mark.parametrize(
    ("changes", "present", "absent"),
    [
        ({}, ['push "route 11.0.0.0 255.255.0.0"', 'push "route 11.1.0.0 255.255.0.0"', "proto udp4"], ["crl-verify"]),
        ({"split_tunnel": False}, ['push "redirect-gateway def1"'], ['push "route']),
        ({"transport": "tcp"}, ["proto tcp4-server", "port 443"], ["explicit-exit-notify"]),
        ({"dns_servers": ("11.0.0.2",)}, ['push "dhcp-option DNS 11.0.0.2"'], []),
        ({"session_timeout_hours": 8, "crl": "PEM"}, ["session-timeout 28800", "crl-verify /state/crl.pem"], []),
        ({"client_cidr": "192.168.128.0/22"}, ["server 192.168.128.0 255.255.252.0", "topology subnet"], []),
    ],
)
def test_the_server_configuration_follows_the_endpoint(changes, present, absent):
    text = openvpn.render(replace(SPEC, **changes), Path("/state"), tun=True)
    lines = text.splitlines()
    assert "data-ciphers AES-256-GCM" in lines and "ifconfig-noexec" in lines and "route-noexec" in lines
    for line in present:
        assert line in lines, text
    for fragment in absent:
        assert fragment not in text, text


def test_without_tun_the_server_is_point_to_point_on_dev_null():
    lines = openvpn.render(replace(SPEC, split_tunnel=False), Path("/state"), tun=False).splitlines()
    assert "dev null" in lines and "tls-server" in lines
    assert not [line for line in lines if line.startswith(("mode", "server ", "push", "up ", "dev-type"))]
