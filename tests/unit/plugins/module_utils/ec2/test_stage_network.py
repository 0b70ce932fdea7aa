"""describe_stage_network: one paginated call per kind, filtered as the modules find each kind, in the info shapes."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ansible_collections.livestack.aws.plugins.module_utils.ec2.stage_network import describe_stage_network

TAGS = {"livestack:project": "livestack", "livestack:stage": "dev"}
STAGE_FILTERS = [
    {"Name": "tag:livestack:project", "Values": ["livestack"]},
    {"Name": "tag:livestack:stage", "Values": ["dev"]},
]


@pytest.fixture
def ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_vpc(stubber):
    vpc = {"VpcId": "vpc-1", "CidrBlock": "11.0.0.0/16", "Tags": [{"Key": "Name", "Value": "livestack-dev-vpc"}]}
    vpc_filters = [{"Name": "tag:Name", "Values": ["livestack-dev-vpc"]}, *STAGE_FILTERS]
    stubber.add_response("describe_vpcs", {"Vpcs": [vpc]}, {"Filters": vpc_filters})
    for attribute, key, value in (("enableDnsSupport", "EnableDnsSupport", True),
                                  ("enableDnsHostnames", "EnableDnsHostnames", False)):  # fmt: skip
        stubber.add_response(
            "describe_vpc_attribute",
            {"VpcId": "vpc-1", key: {"Value": value}},
            {"VpcId": "vpc-1", "Attribute": attribute},
        )


def test_every_page_of_a_kind_is_read_and_the_vpc_gets_its_dns_attributes(ec2):
    client, stubber = ec2
    expect_vpc(stubber)
    subnet_filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}, *STAGE_FILTERS]
    stubber.add_response(
        "describe_subnets",
        {"Subnets": [{"SubnetId": "subnet-a", "Tags": []}], "NextToken": "page-2"},
        {"Filters": subnet_filters},
    )
    stubber.add_response(
        "describe_subnets",
        {"Subnets": [{"SubnetId": "subnet-b"}]},
        {"Filters": subnet_filters, "NextToken": "page-2"},
    )
    found = describe_stage_network(client, "livestack-dev-vpc", TAGS, ["subnets"])
    assert [subnet["id"] for subnet in found["subnets"]] == ["subnet-a", "subnet-b"]
    assert found["subnets"][1]["tags"] == {}
    vpc = found["vpcs"][0]
    assert (vpc["id"], vpc["enable_dns_support"], vpc["enable_dns_hostnames"]) == ("vpc-1", True, False)
    assert vpc["tags"] == {"Name": "livestack-dev-vpc"}


def test_gateways_are_found_by_the_vpc_alone_and_addresses_by_the_stage_tags(ec2):
    client, stubber = ec2
    expect_vpc(stubber)
    stubber.add_response(
        "describe_internet_gateways",
        {"InternetGateways": [{"InternetGatewayId": "igw-1", "OwnerId": "1", "Attachments": []}]},
        {"Filters": [{"Name": "attachment.vpc-id", "Values": ["vpc-1"]}]},
    )
    stubber.add_response(
        "describe_nat_gateways",
        {"NatGateways": [{"NatGatewayId": "nat-1", "State": "available"}]},
        {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}, {"Name": "state", "Values": ["pending", "available"]}]},
    )
    stubber.add_response(
        "describe_route_tables",
        {"RouteTables": [{"RouteTableId": "rtb-1", "Routes": [{"GatewayId": "local"}],
                          "Associations": [{"RouteTableAssociationId": "a-1", "Main": True}]}]},
        {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}, *STAGE_FILTERS]},
    )  # fmt: skip
    addresses = {"Addresses": [{"AllocationId": "eipalloc-1"}]}
    stubber.add_response("describe_addresses", addresses, {"Filters": STAGE_FILTERS})
    found = describe_stage_network(
        client, "livestack-dev-vpc", TAGS, ["internet_gateways", "nat_gateways", "route_tables", "addresses"]
    )
    assert found["internet_gateways"] == [{"internet_gateway_id": "igw-1", "attachments": [], "tags": {}}]
    assert found["nat_gateways"] == [{"nat_gateway_id": "nat-1", "state": "available"}]
    table = found["route_tables"][0]
    assert table["id"] == "rtb-1" and table["associations"][0]["id"] == "a-1"
    legacy = ("destination_cidr_block", "instance_id", "origin", "state", "network_interface_id", "interface_id")
    assert table["routes"] == [{"gateway_id": "local", **dict.fromkeys(legacy)}]
    assert found["addresses"] == [{"allocation_id": "eipalloc-1"}]


def test_without_a_vpc_nothing_in_it_is_described(ec2):
    client, stubber = ec2
    stubber.add_response("describe_vpcs", {"Vpcs": []}, {"Filters": ANY})
    stubber.add_response("describe_addresses", {"Addresses": []}, {"Filters": STAGE_FILTERS})
    found = describe_stage_network(client, "livestack-dev-vpc", TAGS)
    assert found == {
        "vpcs": [],
        "subnets": [],
        "internet_gateways": [],
        "nat_gateways": [],
        "route_tables": [],
        "security_groups": [],
        "addresses": [],
    }


def test_an_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="gateways"):
        describe_stage_network(None, "x", TAGS, ["gateways"])
