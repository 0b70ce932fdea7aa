"""Settings AWS cannot change in place: refused with option, current value, asked value and what to do."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.replacement_errors import FilterModule, replacement_errors
from ansible_collections.livestack.aws.plugins.module_utils.replacement import (
    client_vpn_replacement_errors,
    engine_version_key,
    rds_cluster_replacement_errors,
    subnet_replacement_errors,
    vpc_replacement_errors,
)

VPC = {"id": "vpc-123", "cidr_block": "11.0.0.0/16"}


def test_a_new_vpc_cidr_is_refused_with_both_values():
    assert vpc_replacement_errors(VPC, "10.1.0.0/16", "network_vpc_cidr") == [
        "network_vpc_cidr: the stage's VPC vpc-123 has 11.0.0.0/16; 10.1.0.0/16 was asked; a VPC's CIDR cannot"
        " change: tear the stage down first (playbooks/teardown.yml), then converge it with the new value"
    ]


@pytest.mark.parametrize("vpc", [None, {}, VPC])
def test_no_vpc_or_the_same_cidr_is_accepted(vpc):
    assert vpc_replacement_errors(vpc, "11.0.0.0/16") == []


SUBNETS = [
    {
        "subnet_id": "subnet-a",
        "cidr_block": "11.0.128.0/20",
        "availability_zone": "us-east-1a",
        "tags": {"Name": "p-a"},
    },
    {
        "subnet_id": "subnet-b",
        "cidr_block": "11.0.144.0/20",
        "availability_zone": "us-east-1b",
        "tags": {"Name": "p-b"},
    },
]


def asked(name, cidr, az):
    return {"name": name, "cidr": cidr, "az": az, "cidr_option": f"cidr of {name}", "az_option": f"zone of {name}"}


def test_subnets_as_they_exist_are_accepted_and_new_ones_are_not_compared():
    wanted = [asked("p-a", "11.0.128.0/20", "us-east-1a"), asked("p-c", "11.0.200.0/24", "us-east-1c")]
    assert subnet_replacement_errors(SUBNETS, wanted) == []


def test_a_new_subnet_cidr_and_zone_are_each_refused():
    errors = subnet_replacement_errors(
        SUBNETS, [asked("p-a", "11.0.0.0/20", "us-east-1a"), asked("p-b", "11.0.144.0/20", "us-east-1c")]
    )
    assert len(errors) == 2
    assert errors[0].startswith("cidr of p-a: the subnet p-a (subnet-a) has 11.0.128.0/20; 11.0.0.0/20 was asked;")
    assert errors[1].startswith("zone of p-b: the subnet p-b (subnet-b) has us-east-1b; us-east-1c was asked;")
    assert "tear the stage down first" in errors[1]


def test_an_empty_zone_is_not_compared():
    assert subnet_replacement_errors(SUBNETS, [asked("p-b", "11.0.144.0/20", "")]) == []


@pytest.mark.parametrize(
    ("version", "key"),
    [("8.0.mysql_aurora.3.08.2", (8, 0, 3, 8, 2)), ("5.7.mysql_aurora.2.11.2", (5, 7, 2, 11, 2))],
)
def test_engine_versions_compare_by_their_numbers(version, key):
    assert engine_version_key(version) == key


CLUSTER = {
    "db_cluster_identifier": "livestack-dev-aurora",
    "master_username": "admin",
    "database_name": "app",
    "port": 3306,
    "engine_version": "8.0.mysql_aurora.3.08.2",
    "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/aws-rds",
}
SAME = {
    "master_username": "admin",
    "database_name": "app",
    "port": "3306",
    "engine_version": "8.0.mysql_aurora.3.08.2",
    "kms_key_arn": "",
}
NAMES = {
    "master_username": "aurora_master_username",
    "database_name": "aurora_database_name",
    "port": "aurora_port",
    "engine_version": "aurora_engine_version",
    "kms_key": "aurora_kms_key",
}


@pytest.mark.parametrize("cluster", [None, {}, CLUSTER])
def test_the_cluster_as_it_is_or_no_cluster_is_accepted(cluster):
    assert rds_cluster_replacement_errors(cluster, SAME, NAMES) == []


def test_an_upgrade_is_not_a_replacement():
    assert rds_cluster_replacement_errors(CLUSTER, SAME | {"engine_version": "8.0.mysql_aurora.3.10.0"}, NAMES) == []


KEY = "arn:aws:kms:us-east-1:123456789012:key"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"master_username": "root"},
            "aurora_master_username: {c} has master user admin; root was asked; Aurora cannot",
        ),
        ({"database_name": ""}, "aurora_database_name: {c} has database name 'app'; '' was asked; the database name"),
        ({"port": 3307}, "aurora_port: {c} has port 3306; 3307 was asked;"),
        (
            {"engine_version": "8.0.mysql_aurora.3.04.0"},
            "aurora_engine_version: {c} has engine version 8.0.mysql_aurora.3.08.2; 8.0.mysql_aurora.3.04.0 was asked;",
        ),
        ({"kms_key_arn": f"{KEY}/mine"}, f"aurora_kms_key: {{c}} has storage encrypted with {KEY}/aws-rds; {KEY}/mine"),
    ],
)
def test_each_setting_fixed_at_creation_is_refused(change, expected):
    errors = rds_cluster_replacement_errors(CLUSTER, SAME | change, NAMES)
    assert len(errors) == 1
    assert errors[0].startswith(expected.format(c="the cluster livestack-dev-aurora")), errors[0]
    assert "tear the stage down first" in errors[0]


def test_the_same_customer_key_is_accepted():
    cluster = CLUSTER | {"kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/mine"}
    asked = SAME | {"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/mine"}
    assert rds_cluster_replacement_errors(cluster, asked, NAMES) == []


ENDPOINT = {
    "client_vpn_endpoint_id": "cvpn-endpoint-1",
    "client_cidr_block": "192.168.128.0/22",
    "transport_protocol": "udp",
}
VPN_NAMES = {"client_cidr_block": "client_vpn_client_cidr", "transport_protocol": "client_vpn_transport"}


def test_the_endpoint_as_it_is_is_accepted():
    assert (
        client_vpn_replacement_errors(ENDPOINT, {"client_cidr_block": "192.168.128.0/22", "transport_protocol": "udp"})
        == []
    )
    assert client_vpn_replacement_errors(None, {"client_cidr_block": "10.8.0.0/22"}) == []


def test_a_new_client_cidr_and_transport_are_refused():
    errors = client_vpn_replacement_errors(
        ENDPOINT, {"client_cidr_block": "10.8.0.0/22", "transport_protocol": "tcp"}, VPN_NAMES
    )
    assert [e.split(" was asked")[0] for e in errors] == [
        "client_vpn_client_cidr: the Client VPN endpoint cvpn-endpoint-1 has client CIDR 192.168.128.0/22; 10.8.0.0/22",
        "client_vpn_transport: the Client VPN endpoint cvpn-endpoint-1 has transport udp; tcp",
    ]
    assert all("new profiles for every developer" in e for e in errors)


def test_the_filter_dispatches_on_the_kind():
    assert FilterModule().filters()["replacement_errors"] is replacement_errors
    assert replacement_errors(VPC, "vpc", "10.1.0.0/16", {"cidr": "network_vpc_cidr"})[0].startswith(
        "network_vpc_cidr:"
    )
    assert replacement_errors([], "subnets", [asked("p-a", "11.0.0.0/20", "")]) == []
    assert replacement_errors(CLUSTER, "rds_cluster", {"port": 1234}, NAMES)[0].startswith("aurora_port:")
    assert replacement_errors({}, "client_vpn", {"transport_protocol": "tcp"}) == []
    with pytest.raises(Exception, match="unknown kind 'bucket'"):
        replacement_errors({}, "bucket", {})
