"""livestack.aws.ec2_stage_network_info against the emulator: one call per kind, amazon.aws's info modules' shapes."""

from __future__ import annotations

from support.modules import run_module

MODULE = "livestack.aws.ec2_stage_network_info"
STAGE = "netinfo"
TAGS = {"livestack:project": "livestack", "livestack:stage": STAGE}


def tag_list(tags: dict) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def make_network(ec2, stage_tags: dict, name: str, cidr: str) -> dict:
    spec = [{"ResourceType": "vpc", "Tags": tag_list({**stage_tags, "Name": name})}]
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock=cidr.replace("0.0/16", "1.0/24"),
        TagSpecifications=[{"ResourceType": "subnet", "Tags": tag_list({**stage_tags, "Name": f"{name}-a"})}],
    )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]  # untagged: found by its VPC
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "route-table", "Tags": tag_list(stage_tags)}]
    )["RouteTable"]["RouteTableId"]
    group = ec2.create_security_group(
        GroupName=f"{name}-app",
        Description="app",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list(stage_tags)}],
    )["GroupId"]
    eip = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tag_list(stage_tags)}]
    )["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["NatGatewayId"]  # untagged
    return {"vpc": vpc, "subnet": subnet, "igw": igw, "table": table, "group": group, "eip": eip, "nat": nat}


def amazon_aws(emulator, module: str, args: dict) -> dict:
    status, result = run_module(emulator, f"amazon.aws.{module}", args)
    assert status == "SUCCESS", result
    return result


def test_describes_each_kind_of_the_stage_once_as_the_amazon_aws_info_modules_do(emulator):
    ec2 = emulator.client("ec2")
    ours = make_network(ec2, TAGS, f"livestack-{STAGE}-vpc", "11.7.0.0/16")
    # Another stage's network with the same VPC name: none of it is ours.
    other = make_network(ec2, {**TAGS, "livestack:stage": "other"}, f"livestack-{STAGE}-vpc", "11.8.0.0/16")

    emulator.clear_requests()
    status, found = run_module(emulator, MODULE, {"vpc_name": f"livestack-{STAGE}-vpc", "tags": TAGS})
    assert status == "SUCCESS", found
    calls = [call["action"] for call in emulator.requests(calls=True)["calls"]]
    assert sorted(calls) == sorted(
        ["DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcAttribute", "DescribeSubnets", "DescribeInternetGateways",
         "DescribeNatGateways", "DescribeRouteTables", "DescribeSecurityGroups", "DescribeAddresses"]
    )  # fmt: skip
    keys = {"vpcs": "id", "subnets": "id", "internet_gateways": "internet_gateway_id", "route_tables": "id",
            "security_groups": "group_id", "addresses": "allocation_id", "nat_gateways": "nat_gateway_id"}  # fmt: skip
    ids = {kind: [item[key] for item in found[kind]] for kind, key in keys.items()}
    assert ids == {
        "vpcs": [ours["vpc"]],
        "subnets": [ours["subnet"]],
        "internet_gateways": [ours["igw"]],
        "route_tables": [ours["table"]],
        "security_groups": [ours["group"]],
        "addresses": [ours["eip"]],
        "nat_gateways": [ours["nat"]],
    }
    assert other["vpc"] not in str(found)

    # The same shapes as amazon.aws's info modules (what the role's unchanged_ids and vars read).
    assert found["vpcs"] == amazon_aws(emulator, "ec2_vpc_net_info", {"vpc_ids": [ours["vpc"]]})["vpcs"]
    assert found["subnets"] == amazon_aws(emulator, "ec2_vpc_subnet_info", {"subnet_ids": [ours["subnet"]]})["subnets"]
    assert (
        found["route_tables"]
        == amazon_aws(emulator, "ec2_vpc_route_table_info", {"filters": {"route-table-id": ours["table"]}})[
            "route_tables"
        ]
    )
    assert (
        found["security_groups"]
        == amazon_aws(emulator, "ec2_security_group_info", {"filters": {"group-id": ours["group"]}})["security_groups"]
    )
    assert (
        found["internet_gateways"]
        == amazon_aws(emulator, "ec2_vpc_igw_info", {"internet_gateway_ids": [ours["igw"]]})["internet_gateways"]
    )
    assert (
        found["addresses"]
        == amazon_aws(emulator, "ec2_eip_info", {"filters": {"allocation-id": ours["eip"]}})["addresses"]
    )
    nats = amazon_aws(emulator, "ec2_vpc_nat_gateway_info", {"nat_gateway_ids": [ours["nat"]]})["result"]
    assert found["nat_gateways"] == nats


def test_without_a_vpc_the_kinds_in_it_are_empty_without_a_call_and_the_catalogue_is_described(emulator):
    emulator.clear_requests()
    status, found = run_module(
        emulator,
        MODULE,
        {
            "vpc_name": "livestack-nothing-vpc",
            "tags": {**TAGS, "livestack:stage": "nothing"},
            "kinds": ["regions", "availability_zones", "subnets"],
        },
    )
    assert status == "SUCCESS", found
    assert found["vpcs"] == [] and found["subnets"] == []
    calls = sorted(call["action"] for call in emulator.requests(calls=True)["calls"])
    assert calls == ["DescribeAvailabilityZones", "DescribeRegions", "DescribeVpcs"]
    assert "us-east-1" in [region["region_name"] for region in found["regions"]]
    assert found["regions"] == amazon_aws(emulator, "aws_region_info", {})["regions"]
    assert (
        found["availability_zones"]
        == amazon_aws(emulator, "aws_az_info", {"filters": {"state": "available"}})["availability_zones"]
    )


def test_an_unknown_kind_is_refused_before_any_call(emulator):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {"vpc_name": "x", "tags": TAGS, "kinds": ["vpcs", "gateways"]})
    assert status == "FAILED"
    assert "kinds" in result["msg"] and "gateways" in result["msg"]
    assert emulator.requests(calls=True)["calls"] == []
