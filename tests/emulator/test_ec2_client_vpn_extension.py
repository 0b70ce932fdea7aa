"""The emulator's Client VPN extension and ACM import fix, driven with boto3 as a module would."""

from __future__ import annotations

import datetime
import json
import re
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import start_emulator
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(obj) -> str:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    return obj.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def _certificate(subject: str, key, issuer_name: str, issuer_key, ca: bool = False, dns: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki() -> dict[str, str]:
    ca_key, server_key = _key(), _key()
    ca = _certificate("test-ca", ca_key, "test-ca", ca_key, ca=True)
    server = _certificate("vpn.test.internal", server_key, "test-ca", ca_key, dns="vpn.test.internal")
    bare = _certificate("no-domain", server_key, "test-ca", ca_key)
    return {
        "ca": _pem(ca),
        "server": _pem(server),
        "server_key": _pem(server_key),
        "bare": _pem(bare),
    }


@pytest.fixture
def world(emulator, pki):
    """A VPC with subnets in two zones (and a second in zone a), and the server certificate in ACM."""
    ec2 = emulator.client("ec2")
    acm = emulator.client("acm")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr: str, az: str, in_vpc: str = vpc) -> str:
        return ec2.create_subnet(VpcId=in_vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]

    arn = acm.import_certificate(Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"])[
        "CertificateArn"
    ]
    group = ec2.create_security_group(GroupName="cvpn-test", Description="vpn", VpcId=vpc)["GroupId"]
    return {
        "ec2": ec2,
        "acm": acm,
        "vpc": vpc,
        "group": group,
        "a": subnet("10.42.1.0/24", "us-east-1a"),
        "b": subnet("10.42.2.0/24", "us-east-1b"),
        "a2": subnet("10.42.3.0/24", "us-east-1a"),
        "other": subnet("10.43.1.0/24", "us-east-1c", other_vpc),
        "arn": arn,
    }


def _create(world, **extra):
    options = dict(
        ClientCidrBlock="192.168.128.0/22",
        ServerCertificateArn=world["arn"],
        AuthenticationOptions=[
            {
                "Type": "certificate-authentication",
                "MutualAuthentication": {"ClientRootCertificateChainArn": world["arn"]},
            }
        ],
        ConnectionLogOptions={"Enabled": True, "CloudwatchLogGroup": "/test/vpn"},
        TransportProtocol="udp",
        VpnPort=443,
        SplitTunnel=True,
        TagSpecifications=[{"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "Name", "Value": "t"}]}],
    )
    options.update(extra)
    return world["ec2"].create_client_vpn_endpoint(**options)


def _error(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def _endpoint(ec2, endpoint_id):
    return ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[endpoint_id])["ClientVpnEndpoints"][0]


def test_endpoint_lifecycle_passes_through_the_states_aws_reports(world):
    ec2 = world["ec2"]
    created = _create(world, VpcId=world["vpc"], SecurityGroupIds=[world["group"]], DnsServers=["10.42.0.2"])
    endpoint_id = created["ClientVpnEndpointId"]
    assert endpoint_id.startswith("cvpn-endpoint-")
    assert created["Status"]["Code"] == "pending-associate"
    assert created["DnsName"] == f"*.{endpoint_id}.prod.clientvpn.us-east-1.amazonaws.com"

    described = _endpoint(ec2, endpoint_id)
    assert described["Status"]["Code"] == "pending-associate"
    assert described["ClientCidrBlock"] == "192.168.128.0/22"
    assert described["SplitTunnel"] is True
    assert described["VpnPort"] == 443
    assert described["TransportProtocol"] == "udp"
    assert described["DnsServers"] == ["10.42.0.2"]
    assert described["SecurityGroupIds"] == [world["group"]]
    assert described["AuthenticationOptions"][0]["MutualAuthentication"]["ClientRootCertificateChain"] == world["arn"]
    assert described["ConnectionLogOptions"] == {"Enabled": True, "CloudwatchLogGroup": "/test/vpn"}
    assert described["Tags"] == [{"Key": "Name", "Value": "t"}]

    association = ec2.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=world["a"])
    assert association["Status"]["Code"] == "associating"
    networks = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint_id)["ClientVpnTargetNetworks"]
    assert [(n["TargetNetworkId"], n["Status"]["Code"], n["VpcId"]) for n in networks] == [
        (world["a"], "associated", world["vpc"])
    ]
    assert _endpoint(ec2, endpoint_id)["Status"]["Code"] == "available"

    assert _error(lambda: ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)) == "IncorrectState"

    gone = ec2.disassociate_client_vpn_target_network(
        ClientVpnEndpointId=endpoint_id, AssociationId=association["AssociationId"]
    )
    assert gone["Status"]["Code"] == "disassociating"
    networks = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint_id)["ClientVpnTargetNetworks"]
    assert [n["Status"]["Code"] for n in networks] == ["disassociated"]
    assert ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint_id)["ClientVpnTargetNetworks"] == []
    assert _endpoint(ec2, endpoint_id)["Status"]["Code"] == "pending-associate"

    assert ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)["Status"]["Code"] == "deleting"
    assert _states_until_gone(ec2, endpoint_id)[-2:] == ["deleted", "InvalidClientVpnEndpointId.NotFound"]


def _states_until_gone(ec2, endpoint_id: str, timeout: float = 30) -> list[str]:
    """The endpoint's status at each poll (10 per second) until it is not found, then the error code."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(_endpoint(ec2, endpoint_id)["Status"]["Code"])
        except ClientError as error:
            return [*seen, error.response["Error"]["Code"]]
        time.sleep(0.1)
    raise AssertionError(f"{endpoint_id} never went away: {seen[-5:]}")


def test_delete_is_asynchronous_the_endpoint_is_deleting_a_while_then_gone(world):
    """Strict mode (the default): DeleteClientVpnEndpoint answers deleting, and the endpoint stays deleting for
    its strict window (2 s) before AWS reports it deleted, then not found. Source: terraform-provider-aws
    internal/service/ec2/wait.go waitClientVPNEndpointDeleted (pending deleting, target gone, 5 minutes)."""
    ec2 = world["ec2"]
    endpoint_id = _create(world)["ClientVpnEndpointId"]
    started = time.monotonic()
    assert ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)["Status"]["Code"] == "deleting"
    assert ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)["Status"]["Code"] == "deleting"
    seen = _states_until_gone(ec2, endpoint_id)
    assert time.monotonic() - started >= 2
    assert seen.count("deleting") >= 10, seen
    assert seen[-2:] == ["deleted", "InvalidClientVpnEndpointId.NotFound"]
    assert set(seen[:-2]) == {"deleting"}


def test_associations_are_checked_like_aws_does(world):
    ec2 = world["ec2"]
    endpoint_id = _create(world)["ClientVpnEndpointId"]
    associate = lambda subnet: ec2.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=subnet)  # noqa: E731
    assert _error(lambda: associate("subnet-00000000")) == "InvalidSubnetID.NotFound"
    associate(world["a"])
    endpoint = _endpoint(ec2, endpoint_id)
    assert endpoint["VpcId"] == world["vpc"], "the first association picks the VPC"
    assert len(endpoint["SecurityGroupIds"]) == 1, "and its default security group"
    assert _error(lambda: associate(world["a"])) == "InvalidClientVpnDuplicateAssociationException"
    assert _error(lambda: associate(world["a2"])) == "InvalidClientVpnSubnetId.DuplicateAz"
    assert _error(lambda: associate(world["other"])) == "InvalidParameterValue"
    assert associate(world["b"])["Status"]["Code"] == "associating"
    assert _error(
        lambda: ec2.disassociate_client_vpn_target_network(
            ClientVpnEndpointId=endpoint_id, AssociationId="cvpn-assoc-0"
        )
    ) == ("InvalidClientVpnAssociationIdNotFound"), "AWS's spelling: no dot (EC2 API error codes)"


def test_client_cidr_overlapping_the_vpc_is_refused_at_association(world):
    ec2 = world["ec2"]
    endpoint_id = _create(world, ClientCidrBlock="10.42.0.0/22")["ClientVpnEndpointId"]
    code = _error(lambda: ec2.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=world["a"]))
    assert code == "InvalidClientVpnSubnetId.OverlappingCidr"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"ClientCidrBlock": "192.168.0.0/24"}, "InvalidParameterValue"),
        ({"ClientCidrBlock": "10.0.0.0/8"}, "InvalidParameterValue"),
        ({"VpnPort": 433}, "InvalidParameterValue"),
        ({"SessionTimeoutHours": 9}, "InvalidParameterValue"),
        ({"DnsServers": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}, "InvalidParameterValue"),
        ({"ServerCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/none"}, "InvalidParameterValue"),
        ({"ConnectionLogOptions": {"Enabled": True}}, "InvalidParameterValue"),
        ({"SecurityGroupIds": ["sg-12345678"]}, "InvalidParameterCombination"),
    ],
    ids=[
        "cidr-too-small",
        "cidr-too-large",
        "port-433",
        "timeout",
        "three-dns",
        "unknown-cert",
        "log-group",
        "sg-no-vpc",
    ],
)
def test_bad_endpoint_options_are_refused(world, options, code):
    assert _error(lambda: _create(world, **options)) == code


def test_server_certificate_without_a_domain_is_refused(world, pki):
    arn = world["acm"].import_certificate(Certificate=pki["bare"], PrivateKey=pki["server_key"])["CertificateArn"]
    assert _error(lambda: _create(world, ServerCertificateArn=arn)) == "InvalidParameterValue"


def test_unknown_endpoint_ids_are_not_found(world):
    ec2 = world["ec2"]
    missing = "cvpn-endpoint-0123456789abcdef0"
    calls = [
        lambda: ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[missing]),
        lambda: ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=missing),
        lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=missing, Description="x"),
        lambda: ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=missing),
        lambda: ec2.export_client_vpn_client_configuration(ClientVpnEndpointId=missing),
    ]
    assert {_error(call) for call in calls} == {"InvalidClientVpnEndpointId.NotFound"}


def test_authorization_rules(world):
    ec2 = world["ec2"]
    endpoint_id = _create(world)["ClientVpnEndpointId"]
    authorize = lambda **kw: ec2.authorize_client_vpn_ingress(ClientVpnEndpointId=endpoint_id, **kw)  # noqa: E731
    assert authorize(TargetNetworkCidr="10.42.0.0/16", AuthorizeAllGroups=True, Description="vpc")["Status"][
        "Code"
    ] == ("authorizing")
    assert _error(lambda: authorize(TargetNetworkCidr="10.42.0.0/16", AuthorizeAllGroups=True)) == (
        "InvalidClientVpnDuplicateAuthorizationRule"
    ), "AWS's spelling (EC2 API error codes)"
    assert _error(lambda: authorize(TargetNetworkCidr="10.1.0.0/16")) == "MissingParameter"
    assert _error(lambda: authorize(TargetNetworkCidr="10.1.0.0/16", AccessGroupId="g", AuthorizeAllGroups=True)) == (
        "InvalidParameterCombination"
    )
    rules = ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=endpoint_id)["AuthorizationRules"]
    assert [(r["DestinationCidr"], r["AccessAll"], r["Description"], r["Status"]["Code"]) for r in rules] == [
        ("10.42.0.0/16", True, "vpc", "active")
    ]
    revoked = ec2.revoke_client_vpn_ingress(
        ClientVpnEndpointId=endpoint_id, TargetNetworkCidr="10.42.0.0/16", RevokeAllGroups=True
    )
    assert revoked["Status"]["Code"] == "revoking"
    assert ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=endpoint_id)["AuthorizationRules"] == []
    assert _error(
        lambda: ec2.revoke_client_vpn_ingress(
            ClientVpnEndpointId=endpoint_id, TargetNetworkCidr="10.42.0.0/16", RevokeAllGroups=True
        )
    ) == ("InvalidClientVpnEndpointAuthorizationRuleNotFound")


def test_modify_crl_tags_and_client_configuration(world, pki):
    ec2 = world["ec2"]
    endpoint_id = _create(world)["ClientVpnEndpointId"]
    ec2.modify_client_vpn_endpoint(
        ClientVpnEndpointId=endpoint_id,
        Description="dev",
        DnsServers={"CustomDnsServers": ["10.42.0.2"], "Enabled": True},
        SessionTimeoutHours=12,
        ClientLoginBannerOptions={"Enabled": True, "BannerText": "hello"},
        ConnectionLogOptions={"Enabled": False},
    )
    endpoint = _endpoint(ec2, endpoint_id)
    assert (endpoint["Description"], endpoint["DnsServers"], endpoint["SessionTimeoutHours"]) == (
        "dev",
        ["10.42.0.2"],
        12,
    )
    assert endpoint["ClientLoginBannerOptions"] == {"Enabled": True, "BannerText": "hello"}
    assert endpoint["ConnectionLogOptions"] == {"Enabled": False}
    assert _error(lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id, VpnPort=433)) == (
        "InvalidParameterValue"
    )

    assert (
        ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=endpoint_id)[
            "CertificateRevocationList"
        ]
        == ""
    )
    crl = "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n"
    assert _error(
        lambda: ec2.import_client_vpn_client_certificate_revocation_list(
            ClientVpnEndpointId=endpoint_id, CertificateRevocationList="junk"
        )
    ) == ("InvalidParameterValue")
    ec2.import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint_id, CertificateRevocationList=crl
    )
    exported = ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=endpoint_id)
    assert (exported["CertificateRevocationList"], exported["Status"]["Code"]) == (crl, "active")

    ec2.create_tags(Resources=[endpoint_id], Tags=[{"Key": "team", "Value": "db"}])
    ec2.delete_tags(Resources=[endpoint_id], Tags=[{"Key": "Name"}])
    assert _endpoint(ec2, endpoint_id)["Tags"] == [{"Key": "team", "Value": "db"}]

    configuration = ec2.export_client_vpn_client_configuration(ClientVpnEndpointId=endpoint_id)["ClientConfiguration"]
    lines = configuration.splitlines()
    assert "proto udp" in lines
    # Where AWS names the endpoint's DNS name, the emulator names its OpenVPN server's loopback listener.
    assert re.search(r"^remote 127\.78\.\d+\.\d+ \d+$", configuration, re.MULTILINE), configuration
    assert "remote-random-hostname" in lines
    ca_block = configuration.split("<ca>\n", 1)[1].split("</ca>", 1)[0]
    assert ca_block.strip() == pki["ca"].strip()
    assert "<cert>" not in configuration and "<key>" not in configuration


def test_describe_paginates(world):
    ec2 = world["ec2"]
    ids = {_create(world)["ClientVpnEndpointId"] for _ in range(6)}
    pages = ec2.get_paginator("describe_client_vpn_endpoints").paginate(PaginationConfig={"PageSize": 5})
    seen = [e["ClientVpnEndpointId"] for page in pages for e in page["ClientVpnEndpoints"]]
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))


def test_acm_reimport_keeps_arn_tags_and_the_imported_chain(world, pki):
    acm = world["acm"]
    arn = acm.import_certificate(
        Certificate=pki["server"],
        PrivateKey=pki["server_key"],
        CertificateChain=pki["ca"],
        Tags=[{"Key": "Name", "Value": "server"}],
    )["CertificateArn"]
    assert acm.get_certificate(CertificateArn=arn)["CertificateChain"].strip() == pki["ca"].strip()
    again = acm.import_certificate(
        CertificateArn=arn, Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"]
    )["CertificateArn"]
    assert again == arn
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "Name", "Value": "server"}]


def _in_use_by(acm, arn: str) -> list[str]:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"]


def test_a_certificate_an_endpoint_uses_is_in_use_until_the_endpoint_is_gone(world, pki):
    """ACM lists the endpoint in InUseBy and answers ResourceInUseException to DeleteCertificate while the endpoint
    uses the certificate, as server certificate or client root chain, deleting included. Source: botocore acm
    DeleteCertificate errors and DescribeCertificate InUseBy; terraform-provider-aws internal/service/acm/
    certificate.go retries ResourceInUseException for 20 minutes."""
    ec2, acm = world["ec2"], world["acm"]
    roots = acm.import_certificate(Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"])[
        "CertificateArn"
    ]
    endpoint_id = _create(
        world,
        AuthenticationOptions=[
            {"Type": "certificate-authentication", "MutualAuthentication": {"ClientRootCertificateChainArn": roots}}
        ],
    )["ClientVpnEndpointId"]
    endpoint_arn = f"arn:aws:ec2:us-east-1:123456789012:client-vpn-endpoint/{endpoint_id}"
    assert endpoint_arn in _in_use_by(acm, world["arn"])
    assert _in_use_by(acm, roots) == [endpoint_arn]
    assert _error(lambda: acm.delete_certificate(CertificateArn=roots)) == "ResourceInUseException"

    ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)
    assert _endpoint(ec2, endpoint_id)["Status"]["Code"] == "deleting"
    assert _error(lambda: acm.delete_certificate(CertificateArn=roots)) == "ResourceInUseException"
    assert _in_use_by(acm, roots) == [endpoint_arn]

    _states_until_gone(ec2, endpoint_id)
    assert _in_use_by(acm, roots) == []
    acm.delete_certificate(CertificateArn=roots)
    assert _error(lambda: acm.describe_certificate(CertificateArn=roots)) == "ResourceNotFoundException"


def test_lenient_mode_deletes_at_once_and_says_so_in_health(tmp_path, pki):
    """--lenient: moto's leniency (a certificate in use deletes, an endpoint is deleted at the next look)."""
    process, lenient = start_emulator(tmp_path / "emulator.log", "--lenient")
    try:
        with urllib.request.urlopen(f"{lenient.url}/_livestack/health", timeout=30) as response:
            assert json.load(response)["strict"]["enabled"] is False
        ec2, acm = lenient.client("ec2"), lenient.client("acm")
        arn = acm.import_certificate(
            Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"]
        )["CertificateArn"]
        endpoint_id = _create({"ec2": ec2, "arn": arn})["ClientVpnEndpointId"]
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)
        assert _states_until_gone(ec2, endpoint_id) == ["deleted", "InvalidClientVpnEndpointId.NotFound"]
        endpoint_id = _create({"ec2": ec2, "arn": arn})["ClientVpnEndpointId"]
        acm.delete_certificate(CertificateArn=arn)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_health_reports_strict_mode_and_its_behaviours(emulator):
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=30) as response:
        reported = json.load(response)["strict"]
    assert reported["enabled"] is True
    assert reported["seconds"]["client_vpn_endpoint_deletion"] == 2.0
    assert {"client_vpn_endpoint_deleting", "acm_certificate_in_use"} <= set(reported["behaviours"])


def test_realistic_timing_keeps_an_association_associating(tmp_path, pki):
    """With --timing, an association stays associating for its scaled AWS minutes (here one second)."""
    spec = json.dumps({"scale": 0.5, "client_vpn_association": 2})
    process, timed = start_emulator(tmp_path / "emulator.log", "--timing", spec)
    try:
        ec2 = timed.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.44.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        arn = timed.client("acm").import_certificate(
            Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"]
        )["CertificateArn"]
        endpoint_id = _create({"ec2": ec2, "arn": arn})["ClientVpnEndpointId"]
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=subnet["SubnetId"])

        def status() -> tuple[str, str]:
            networks = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint_id)
            association = networks["ClientVpnTargetNetworks"][0]["Status"]["Code"]
            return association, _endpoint(ec2, endpoint_id)["Status"]["Code"]

        seen = [status()]
        while seen[-1] != ("associated", "available") and len(seen) < 200:
            time.sleep(0.05)
            seen.append(status())
        assert seen[0] == ("associating", "pending-associate")
        assert seen[-1] == ("associated", "available")
    finally:
        process.terminate()
        process.wait(timeout=30)
