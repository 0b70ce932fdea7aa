"""livestack.aws.ec2_client_vpn_endpoint(_info) against the emulator, the amazon.aws way.

Every change in four steps: check mode (changed, no mutating request), apply (changed), check mode
again and apply again (neither changed, no mutating request). Bad input fails before any mutation.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError
from client_vpn_pki import ThrowawayPki
from conftest import emulator_with
from support.modules import four_steps, run_module

from ansible_collections.livestack.aws.plugins.module_utils.ec2 import client_vpn as api

MODULE = "livestack.aws.ec2_client_vpn_endpoint"


@pytest.fixture(scope="module")
def pki() -> ThrowawayPki:
    return ThrowawayPki()


@pytest.fixture(scope="module")
def world(emulator, pki) -> dict:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr: str, zone: str, in_vpc: str = vpc) -> str:
        return ec2.create_subnet(VpcId=in_vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]

    arn = emulator.client("acm").import_certificate(
        Certificate=pki.pem(pki.server), PrivateKey=pki.key_pem(), CertificateChain=pki.pem(pki.ca)
    )["CertificateArn"]
    return {
        "vpc": vpc,
        "group": ec2.create_security_group(GroupName="cvpn-module", Description="vpn", VpcId=vpc)["GroupId"],
        "a": subnet("10.61.1.0/24", "us-east-1a"),
        "b": subnet("10.61.2.0/24", "us-east-1b"),
        "a2": subnet("10.61.3.0/24", "us-east-1a"),
        "other": subnet("10.62.1.0/24", "us-east-1c", other_vpc),
        "arn": arn,
    }


def endpoint_args(world, **overrides) -> dict:
    args = {
        "name": "cvpn-module-test",
        "client_cidr_block": "192.168.128.0/22",
        "server_certificate_arn": world["arn"],
        "client_root_certificate_chain_arn": world["arn"],
        "connection_log": {"enabled": True, "cloudwatch_log_group": "/test/cvpn-module"},
        "split_tunnel": True,
        "vpn_port": 443,
        "vpc_id": world["vpc"],
        "security_group_ids": [world["group"]],
        "target_subnet_ids": [world["a"]],
        "authorization_rules": [{"target_network_cidr": "10.61.0.0/16", "authorize_all_groups": True}],
        "tags": {"livestack:stage": "module-test"},
        "wait_timeout": 60,
    }
    args.update(overrides)
    return args


def aws_state(emulator, endpoint_id: str) -> dict:
    ec2 = emulator.client("ec2")
    return {
        "subnets": sorted(
            n["TargetNetworkId"]
            for n in ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint_id)["ClientVpnTargetNetworks"]
            if n["Status"]["Code"] == "associated"
        ),
        "rules": sorted(
            (r["DestinationCidr"], r["Description"])
            for r in ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=endpoint_id)["AuthorizationRules"]
        ),
        "status": ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[endpoint_id])["ClientVpnEndpoints"][0][
            "Status"
        ]["Code"],
    }


def test_endpoint_lifecycle_in_four_steps(emulator, world, pki):
    steps = four_steps(emulator, endpoint_args(world), MODULE)
    endpoint = steps.applied["client_vpn_endpoint"]
    endpoint_id = endpoint["client_vpn_endpoint_id"]
    server_side = ("client_vpn_endpoint_id", "status", "dns_name")  # what only AWS knows before creation
    assert endpoint == {**steps.predicted["client_vpn_endpoint"], **{key: endpoint[key] for key in server_side}}
    assert endpoint["status"] == "available"
    assert endpoint["tags"] == {"Name": "cvpn-module-test", "livestack:stage": "module-test"}
    assert aws_state(emulator, endpoint_id) == {
        "subnets": [world["a"]],
        "rules": [("10.61.0.0/16", "")],
        "status": "available",
    }

    more_rules = [
        {"target_network_cidr": "10.61.0.0/16", "authorize_all_groups": True},
        {"target_network_cidr": "10.61.2.0/24", "authorize_all_groups": True, "description": "subnet b"},
    ]
    four_steps(
        emulator,
        endpoint_args(world, target_subnet_ids=[world["a"], world["b"]], authorization_rules=more_rules),
        MODULE,
    )
    assert aws_state(emulator, endpoint_id)["subnets"] == sorted([world["a"], world["b"]])
    assert aws_state(emulator, endpoint_id)["rules"] == [("10.61.0.0/16", ""), ("10.61.2.0/24", "subnet b")]

    first_crl, second_crl = pki.crl(1001), pki.crl(1001, 1002)
    purged = four_steps(
        emulator,
        endpoint_args(
            world,
            target_subnet_ids=[world["b"]],
            authorization_rules=[{"target_network_cidr": "10.61.2.0/24", "authorize_all_groups": True}],
            description="modified",
            dns_servers=["10.61.0.2"],
            session_timeout_hours=12,
            client_certificate_revocation_list=first_crl,
        ),
        MODULE,
    ).applied
    assert purged["client_vpn_endpoint"]["client_vpn_endpoint_id"] == endpoint_id
    assert aws_state(emulator, endpoint_id) == {
        "subnets": [world["b"]],
        "rules": [("10.61.2.0/24", "")],
        "status": "available",
    }

    purged_args = {
        "target_subnet_ids": [world["b"]],
        "authorization_rules": [{"target_network_cidr": "10.61.2.0/24", "authorize_all_groups": True}],
    }
    crl_changed = four_steps(
        emulator, endpoint_args(world, **purged_args, client_certificate_revocation_list=second_crl), MODULE
    ).applied
    unchanged = ("target_subnet_ids", "authorization_rules", "description", "dns_servers", "session_timeout_hours")
    assert {key: crl_changed["client_vpn_endpoint"][key] for key in unchanged} == {
        key: purged["client_vpn_endpoint"][key] for key in unchanged
    }, "only the CRL changed"
    exported = emulator.client("ec2").export_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint_id
    )["CertificateRevocationList"]
    assert exported.strip() == second_crl.strip()

    status, kept = run_module(emulator, MODULE, {"name": "cvpn-module-test", "export_client_configuration": True})
    assert status == "SUCCESS"
    assert kept["client_vpn_endpoint"]["target_subnet_ids"] == [world["b"]], "options left out are not managed"
    # The configuration as the endpoint exports it: on the emulator, its OpenVPN server's loopback listener.
    exported = emulator.client("ec2").export_client_vpn_client_configuration(ClientVpnEndpointId=endpoint_id)
    assert kept["client_configuration"] == exported["ClientConfiguration"]
    assert re.search(r"(?m)^remote \S+ \d+$", kept["client_configuration"])

    status, info = run_module(emulator, f"{MODULE}_info", {"name": "cvpn-module-test"})
    assert status == "SUCCESS"
    assert [e["client_vpn_endpoint_id"] for e in info["client_vpn_endpoints"]] == [endpoint_id]
    assert info["client_vpn_endpoints"][0]["client_certificate_revocation_list"].strip() == second_crl.strip()

    emulator.clear_requests()
    status, replaced = run_module(emulator, MODULE, endpoint_args(world, client_cidr_block="192.168.0.0/22"))
    assert status == "FAILED"
    assert "client_cidr_block cannot change in place (from '192.168.128.0/22' to '192.168.0.0/22'" in replaced["msg"]
    status, replaced = run_module(emulator, MODULE, endpoint_args(world, transport_protocol="tcp"))
    assert status == "FAILED"
    assert "transport_protocol cannot change in place (from 'udp' to 'tcp'" in replaced["msg"]
    assert emulator.requests()["mutating"] == 0

    four_steps(emulator, {"name": "cvpn-module-test", "state": "absent", "wait_timeout": 60}, MODULE)
    left = emulator.client("ec2").describe_client_vpn_endpoints()["ClientVpnEndpoints"]
    assert [e for e in left if e["ClientVpnEndpointId"] == endpoint_id] == []  # other tests' endpoints may remain


BAD_INPUT = [
    ({"vpn_port": 433}, "vpn_port 433 is not allowed: Client VPN listens on 443 or 1194 only (433 is a common typo"),
    (
        {"client_cidr_block": "192.168.128.0/24"},
        "client_cidr_block '192.168.128.0/24' must be an IPv4 network in CIDR notation (no host bits set)"
        " with a prefix between /12 and /22",
    ),
    ({"client_cidr_block": "10.0.0.0/8"}, "client_cidr_block '10.0.0.0/8' must be an IPv4 network"),
    ({"client_cidr_block": "10.61.0.0/22"}, "client_cidr_block '10.61.0.0/22' overlaps the CIDR 10.61.0.0/16 of VPC"),
    ({"dns_servers": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}, "at most 2 are allowed"),
    ({"session_timeout_hours": 9}, "session_timeout_hours 9 is not allowed: it must be 8, 10, 12 or 24"),
    ({"target_subnet_ids": ["A", "A2"]}, "are both in us-east-1a: Client VPN associates one subnet per availability"),
    ({"target_subnet_ids": ["OTHER"]}, "is in VPC"),
    (
        {"authorization_rules": [{"target_network_cidr": "10.61.0.0/16"}]},
        "authorization_rules[0] for 10.61.0.0/16 sets neither of access_group_id and authorize_all_groups",
    ),
    (
        {
            "authorization_rules": [
                {"target_network_cidr": "10.61.0.0/16", "access_group_id": "g", "authorize_all_groups": True}
            ]
        },
        "authorization_rules[0] for 10.61.0.0/16 sets both of access_group_id and authorize_all_groups",
    ),
    ({"security_group_ids": [], "vpc_id": None}, "security_group_ids [] must list 1 to 5 security groups"),
]


def test_bad_input_fails_before_any_mutating_call(emulator, world):
    emulator.clear_requests()
    for overrides, message in BAD_INPUT:
        if "target_subnet_ids" in overrides:
            overrides = {"target_subnet_ids": [world[s.lower()] for s in overrides["target_subnet_ids"]]}
        args = endpoint_args(world, name="cvpn-bad-input", **overrides)
        status, result = run_module(emulator, MODULE, {k: v for k, v in args.items() if v is not None})
        assert status == "FAILED", result
        assert message in result["msg"]
    assert emulator.requests()["mutating"] == 0


@pytest.fixture(scope="module")
def slow_deletion(tmp_path_factory):
    """An emulator (strict, as every one) whose Client VPN endpoints stay deleting 6 s instead of 2, so that
    a module that did not wait would be seen to return while AWS still has its endpoint."""
    with emulator_with(
        tmp_path_factory.mktemp("slow-deletion"), json.dumps({"client_vpn_endpoint_deletion": 6})
    ) as emulator:
        yield emulator


def _endpoint(emulator, arn: str, name: str) -> str:
    return emulator.client("ec2").create_client_vpn_endpoint(
        ClientCidrBlock="192.168.128.0/22",
        ServerCertificateArn=arn,
        AuthenticationOptions=[
            {"Type": "certificate-authentication", "MutualAuthentication": {"ClientRootCertificateChainArn": arn}}
        ],
        ConnectionLogOptions={"Enabled": False},
        TagSpecifications=[{"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "Name", "Value": name}]}],
    )["ClientVpnEndpointId"]


def _status(emulator, endpoint_id: str) -> str:
    try:
        found = emulator.client("ec2").describe_client_vpn_endpoints(ClientVpnEndpointIds=[endpoint_id])
    except ClientError as error:
        return error.response["Error"]["Code"]
    return found["ClientVpnEndpoints"][0]["Status"]["Code"]


def test_absent_returns_once_aws_has_deleted_the_endpoint_even_one_left_deleting(slow_deletion, pki):
    """DeleteClientVpnEndpoint leaves the endpoint deleting a while (terraform-provider-aws waits for it,
    internal/service/ec2/wait.go waitClientVPNEndpointDeleted); its certificate stays in use until it is gone."""
    acm = slow_deletion.client("acm")
    arn = acm.import_certificate(
        Certificate=pki.pem(pki.server), PrivateKey=pki.key_pem(), CertificateChain=pki.pem(pki.ca)
    )["CertificateArn"]
    absent = {"name": "cvpn-deleting", "state": "absent", "wait_timeout": 60}

    first = _endpoint(slow_deletion, arn, "cvpn-deleting")
    started = time.monotonic()
    status, result = run_module(slow_deletion, MODULE, absent)
    assert status == "CHANGED", result
    assert _status(slow_deletion, first) in ("deleted", "InvalidClientVpnEndpointId.NotFound")
    assert time.monotonic() - started >= 6

    # A teardown interrupted after DeleteClientVpnEndpoint answered: the rerun finds the endpoint deleting and
    # waits for it too (changing nothing), or bounded by wait_timeout, says what it waits for.
    second = _endpoint(slow_deletion, arn, "cvpn-deleting")
    slow_deletion.client("ec2").delete_client_vpn_endpoint(ClientVpnEndpointId=second)
    status, result = run_module(slow_deletion, MODULE, {**absent, "wait_timeout": 1})
    assert status == "FAILED"
    assert f"timed out after 1s waiting for AWS to finish deleting Client VPN endpoint {second}" in result["msg"]
    status, result = run_module(slow_deletion, MODULE, absent)
    assert status == "SUCCESS", result
    assert _status(slow_deletion, second) in ("deleted", "InvalidClientVpnEndpointId.NotFound")
    acm.delete_certificate(CertificateArn=arn)  # no longer in use: no ResourceInUseException


def test_not_found_codes_as_aws_spells_them_count_as_gone(emulator, world):
    """A resumed teardown finds a target network or rule already gone: AWS's codes (EC2 API error codes:
    InvalidClientVpnAssociationIdNotFound, no dot; InvalidClientVpnEndpointAuthorizationRuleNotFound;
    InvalidClientVpnEndpointId.NotFound) are not errors."""
    ec2 = emulator.client("ec2")
    endpoint_id = _endpoint(emulator, world["arn"], "cvpn-not-found")
    assert api.disassociate_target_network(ec2, endpoint_id, "cvpn-assoc-0123456789abcdef0") is False
    rule = {"TargetNetworkCidr": "10.61.0.0/16", "RevokeAllGroups": True}
    assert api.revoke_ingress(ec2, endpoint_id, **rule) is False
    ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)
    while _status(emulator, endpoint_id) != "InvalidClientVpnEndpointId.NotFound":
        time.sleep(0.2)
    assert api.delete_endpoint(ec2, endpoint_id) is False
    assert api.disassociate_target_network(ec2, endpoint_id, "cvpn-assoc-0123456789abcdef0") is False
