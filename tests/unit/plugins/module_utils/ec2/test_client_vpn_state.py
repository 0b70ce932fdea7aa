"""The pure parts of the Client VPN module: input rules, views, desired state, API parameters."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_state import (
    desired_view,
    modify_params,
    new_view,
    normalise_crl,
    rule_params,
)
from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_validation import (
    InvalidOption,
    check_network,
    check_options,
    check_replacement,
)

CREATE = {
    "client_cidr_block": "192.168.128.0/22",
    "server_certificate_arn": "arn:server",
    "client_root_certificate_chain_arn": "arn:server",
    "connection_log": {"enabled": True, "cloudwatch_log_group": "/g", "cloudwatch_log_stream": None},
}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"vpn_port": 433},
            "vpn_port 433 is not allowed: Client VPN listens on 443 or 1194 only (433 is a common typo",
        ),
        ({"vpn_port": 8443}, "vpn_port 8443 is not allowed"),
        ({"client_cidr_block": "10.0.0.0/24"}, "with a prefix between /12 and /22"),
        ({"client_cidr_block": "10.0.0.0/11"}, "10.0.0.0/11' must be an IPv4 network"),
        ({"client_cidr_block": "10.0.0.1/22"}, "no host bits set"),
        ({"session_timeout_hours": 9}, "session_timeout_hours 9 is not allowed"),
        ({"dns_servers": ["1.1.1.1", "8.8.8.8", "9.9.9.9"]}, "at most 2 are allowed"),
        ({"dns_servers": ["dns.example"]}, "'dns.example' is not an IPv4 address"),
        ({"security_group_ids": ["sg-1"]}, "security_group_ids requires vpc_id"),
        ({"security_group_ids": [f"sg-{i}" for i in range(6)], "vpc_id": "vpc-1"}, "must list 1 to 5"),
        ({"connection_log": {"enabled": True}}, "cloudwatch_log_group is required"),
        ({"target_subnet_ids": ["subnet-1", "subnet-1"]}, "lists a subnet twice"),
        ({"authorization_rules": [{"target_network_cidr": "10.0.0.0/16"}]}, "sets neither of"),
        (
            {
                "authorization_rules": [
                    {"target_network_cidr": "10.0.0.0/16", "access_group_id": "g", "authorize_all_groups": True}
                ]
            },
            "sets both of",
        ),
        (
            {"authorization_rules": [{"target_network_cidr": "10.0.0.0/16", "authorize_all_groups": True}] * 2},
            "listed twice",
        ),
    ],
)
def test_bad_options_are_named_with_their_rule(params, message):
    with pytest.raises(InvalidOption, match=None) as raised:
        check_options(params)
    assert message in str(raised.value)


def test_good_options_pass():
    check_options({**CREATE, "vpn_port": 1194, "session_timeout_hours": 8, "dns_servers": ["10.0.0.2"]})


SUBNETS = [
    {"SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a"},
    {"SubnetId": "subnet-a2", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a"},
    {"SubnetId": "subnet-b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1b"},
    {"SubnetId": "subnet-x", "VpcId": "vpc-2", "AvailabilityZone": "us-east-1c"},
]
VPCS = [{"VpcId": "vpc-1", "CidrBlock": "10.1.0.0/16", "CidrBlockAssociationSet": [{"CidrBlock": "10.9.0.0/16"}]}]


@pytest.mark.parametrize(
    ("subnets", "cidr", "message"),
    [
        (["subnet-a", "subnet-a2"], "192.168.0.0/22", "are both in us-east-1a"),
        (["subnet-x"], "192.168.0.0/22", "is in VPC vpc-2, not in the endpoint's VPC vpc-1"),
        (["subnet-zz"], "192.168.0.0/22", "do not exist"),
        (["subnet-a"], "10.1.4.0/22", "overlaps the CIDR 10.1.0.0/16"),
        (["subnet-a"], "10.8.0.0/14", "overlaps the CIDR 10.9.0.0/16"),
    ],
)
def test_network_rules(subnets, cidr, message):
    with pytest.raises(InvalidOption) as raised:
        check_network({"target_subnet_ids": subnets}, "vpc-1", SUBNETS, VPCS, cidr)
    assert message in str(raised.value)


@pytest.mark.parametrize("option", ["client_cidr_block", "transport_protocol", "client_root_certificate_chain_arn"])
def test_replacement_only_changes_are_refused(option):
    current = {**new_view(CREATE), "client_vpn_endpoint_id": "cvpn-endpoint-1"}
    with pytest.raises(InvalidOption, match=f"{option} cannot change in place"):
        check_replacement(current, {option: "something else"})
    check_replacement(current, {option: current[option]})


def test_desired_view_purges_or_keeps_subnets_and_rules():
    before = {
        **new_view(CREATE),
        "target_subnet_ids": ["subnet-a", "subnet-b"],
        "authorization_rules": [
            {
                "target_network_cidr": "10.1.0.0/16",
                "access_group_id": None,
                "authorize_all_groups": True,
                "description": "",
            }
        ],
        "tags": {"Name": "n", "old": "x"},
    }
    rule = {"target_network_cidr": "10.2.0.0/16", "authorize_all_groups": True, "description": "two"}
    purged = desired_view(
        before, {"target_subnet_ids": ["subnet-b"], "authorization_rules": [rule], "tags": {"Name": "n"}}
    )
    assert purged["target_subnet_ids"] == ["subnet-b"]
    assert [r["target_network_cidr"] for r in purged["authorization_rules"]] == ["10.2.0.0/16"]
    assert purged["tags"] == {"Name": "n"}
    kept = desired_view(
        before,
        {
            "target_subnet_ids": ["subnet-c"],
            "purge_target_subnets": False,
            "authorization_rules": [rule],
            "purge_authorization_rules": False,
            "tags": {"new": "y"},
            "purge_tags": False,
        },
    )
    assert kept["target_subnet_ids"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert [r["target_network_cidr"] for r in kept["authorization_rules"]] == ["10.1.0.0/16", "10.2.0.0/16"]
    assert kept["tags"] == {"Name": "n", "old": "x", "new": "y"}
    assert desired_view(before, {}) == before, "options left out are not managed"


def test_modify_params_carry_only_what_changed():
    before = new_view(CREATE)
    after = desired_view(
        before, {"dns_servers": [], "vpn_port": 1194, "security_group_ids": ["sg-2", "sg-1"], "vpc_id": "vpc-1"}
    )
    assert modify_params(before, after) == {"VpnPort": 1194, "VpcId": "vpc-1", "SecurityGroupIds": ["sg-1", "sg-2"]}
    banner = desired_view(before, {"login_banner": "hello", "connection_log": {"enabled": False}})
    assert modify_params(before, banner) == {
        "ClientLoginBannerOptions": {"Enabled": True, "BannerText": "hello"},
        "ConnectionLogOptions": {"Enabled": False},
    }


def test_rule_and_crl_helpers():
    rule = {
        "target_network_cidr": "10.0.0.0/16",
        "access_group_id": None,
        "authorize_all_groups": True,
        "description": "d",
    }
    assert rule_params(rule) == {"TargetNetworkCidr": "10.0.0.0/16", "AuthorizeAllGroups": True, "Description": "d"}
    assert rule_params(rule, revoke=True) == {"TargetNetworkCidr": "10.0.0.0/16", "RevokeAllGroups": True}
    assert normalise_crl("  -----BEGIN X509 CRL-----\r\nAB\n\n-----END X509 CRL-----  ") == (
        "-----BEGIN X509 CRL-----\nAB\n-----END X509 CRL-----\n"
    )
    assert normalise_crl("") is None
