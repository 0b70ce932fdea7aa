"""The network resources that amazon.aws's modules would leave as they are, from one describe per kind."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.filter.unchanged_ids import FilterModule, unchanged_ids

TAGS = {"livestack:project": "livestack", "livestack:stage": "dev"}
VPC = {
    "id": "vpc-1",
    "cidr_block": "11.0.0.0/16",
    "state": "available",
    "enable_dns_support": True,
    "enable_dns_hostnames": True,
    "instance_tenancy": "default",
    "tags": {**TAGS, "Name": "livestack-dev-vpc"},
}
VPC_ASKED = {"cidr": "11.0.0.0/16", "tags": {**TAGS, "Name": "livestack-dev-vpc"}}


def test_a_vpc_as_asked_is_unchanged():
    assert unchanged_ids([VPC], "vpc", VPC_ASKED) == "vpc-1"


@pytest.mark.parametrize(
    "change",
    [
        {"enable_dns_hostnames": False},
        {"enable_dns_support": False},
        {"state": "pending"},
        {"instance_tenancy": "dedicated"},
        {"tags": {**TAGS, "Name": "livestack-dev-vpc", "extra": "x"}},
        {"tags": {"Name": "livestack-dev-vpc", "livestack:stage": "dev"}},
        {"cidr_block": "10.0.0.0/16"},
        {"ipv6_cidr_block_association_set": [{"ipv6_cidr_block_state": {"state": "associated"}}]},
    ],
)
def test_any_difference_the_module_acts_on_makes_the_vpc_changed(change):
    assert unchanged_ids([{**VPC, **change}], "vpc", VPC_ASKED) == ""


def test_no_vpc_or_two_of_the_same_name_go_to_the_module():
    assert unchanged_ids([], "vpc", VPC_ASKED) == ""
    assert unchanged_ids([VPC, {**VPC, "id": "vpc-2"}], "vpc", VPC_ASKED) == ""


SUBNET = {
    "id": "subnet-a",
    "cidr_block": "11.0.1.0/24",
    "availability_zone": "us-east-1a",
    "state": "available",
    "map_public_ip_on_launch": False,
    "assign_ipv6_address_on_creation": False,
    "ipv6_cidr_block_association_set": [],
    "tags": {**TAGS, "Name": "livestack-dev-private-a", "livestack:tier": "private"},
}
SUBNET_ASKED = {
    "part": "private-a",
    "cidr": "11.0.1.0/24",
    "az": "us-east-1a",
    "tags": SUBNET["tags"],
    "tier": "private",
}


def test_subnets_as_asked_are_unchanged_by_part():
    other = {**SUBNET_ASKED, "part": "private-b", "cidr": "11.0.2.0/24"}
    assert unchanged_ids([SUBNET], "subnets", [SUBNET_ASKED, other]) == {"private-a": "subnet-a"}


@pytest.mark.parametrize(
    "change",
    [
        {"map_public_ip_on_launch": True},
        {"assign_ipv6_address_on_creation": True},
        {"availability_zone": "us-east-1b"},
        {"state": "pending"},
        {"tags": {**TAGS, "Name": "livestack-dev-private-a"}},
        {"ipv6_cidr_block_association_set": [{"ipv6_cidr_block_state": {"state": "associated"}}]},
    ],
)
def test_any_difference_the_module_acts_on_makes_the_subnet_changed(change):
    assert unchanged_ids([{**SUBNET, **change}], "subnets", [SUBNET_ASKED]) == {}


def route(dest, target, origin="CreateRoute", state="active", key="gateway_id"):
    return {"destination_cidr_block": dest, key: target, "origin": origin, "state": state}


def associated(subnet, state="associated"):
    return {"main": False, "subnet_id": subnet, "association_state": {"state": state}}


def table(routes=None, associations=None, tags=None):
    return {
        "id": "rtb-1",
        "tags": tags or {**TAGS, "Name": "livestack-dev-public"},
        "routes": routes
        if routes is not None
        else [route("11.0.0.0/16", "local", origin="CreateRouteTable"), route("0.0.0.0/0", "igw-1")],
        "associations": associations if associations is not None else [associated("subnet-p")],
    }


TABLE_ASKED = {
    "name": "public",
    "tags": {**TAGS, "Name": "livestack-dev-public"},
    "subnets": ["subnet-p"],
    "routes": [{"dest": "0.0.0.0/0", "gateway_id": "igw-1"}],
}


def test_a_route_table_as_asked_is_unchanged():
    assert unchanged_ids([table()], "route_tables", [TABLE_ASKED]) == {"public": "rtb-1"}


@pytest.mark.parametrize(
    "current",
    [
        table(routes=[route("0.0.0.0/0", "igw-2")]),
        table(routes=[route("0.0.0.0/0", "igw-1", state="blackhole")]),
        table(routes=[]),
        table(routes=[route("0.0.0.0/0", "igw-1"), route("10.9.0.0/16", "nat-1", key="nat_gateway_id")]),
        table(associations=[]),
        table(associations=[associated("subnet-p"), associated("subnet-x")]),
        table(associations=[associated("subnet-p", state="disassociating")]),
        table(tags={**TAGS, "Name": "livestack-dev-public", "extra": "x"}),
    ],
)
def test_any_route_association_or_tag_difference_makes_the_table_changed(current):
    assert unchanged_ids([current], "route_tables", [TABLE_ASKED]) == {}


def test_a_table_whose_subnets_or_target_are_not_known_yet_goes_to_the_module():
    asked = copy.deepcopy(TABLE_ASKED)
    asked["subnets"] = [""]
    assert unchanged_ids([table(associations=[])], "route_tables", [asked]) == {}


def test_an_unknown_kind_is_refused():
    assert FilterModule().filters()["unchanged_ids"] is unchanged_ids
    with pytest.raises(AnsibleFilterError, match="unknown kind"):
        unchanged_ids([], "nat_gateway", {})


RULE = {"ID": "expire-payloads", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 1}}
BLOCK = {
    "block_public_acls": True,
    "block_public_policy": True,
    "ignore_public_acls": True,
    "restrict_public_buckets": True,
}
BUCKET_ASKED = {
    "name": "b",
    "encryption": "AES256",
    "public_access": BLOCK,
    "tags": {"Name": "b"},
    "lifecycle_rule": RULE,
}
BUCKET = {
    "name": "b",
    "bucket_encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    "public_access_block": {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    },
    "bucket_tagging": {"Name": "b"},
    "bucket_lifecycle_configuration": {"Rules": [{"ID": "other", "Status": "Enabled"}, RULE]},
}


def test_a_bucket_and_its_rule_as_asked_are_unchanged():
    assert unchanged_ids([BUCKET], "s3_bucket", BUCKET_ASKED) == {"bucket": "b", "lifecycle": "expire-payloads"}


@pytest.mark.parametrize(
    "change",
    [
        {"bucket_encryption": {}},
        {"bucket_encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}},
        {"public_access_block": {**BUCKET["public_access_block"], "BlockPublicPolicy": False}},
        {"public_access_block": {}},
        {"bucket_tagging": {}},
        {"bucket_tagging": {"Name": "b", "extra": "x"}},
    ],
)
def test_any_setting_s3_bucket_acts_on_makes_the_bucket_changed(change):
    assert unchanged_ids([{**BUCKET, **change}], "s3_bucket", BUCKET_ASKED) == {"lifecycle": "expire-payloads"}


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{**RULE, "Expiration": {"Days": 2}}],
        [{**RULE, "Status": "Disabled"}],
        [{**RULE, "Filter": {"Prefix": "x"}}],
    ],
)
def test_a_missing_or_different_rule_makes_the_lifecycle_changed(rules):
    bucket = {**BUCKET, "bucket_lifecycle_configuration": {"Rules": rules}}
    assert unchanged_ids([bucket], "s3_bucket", BUCKET_ASKED) == {"bucket": "b"}


def test_no_bucket_goes_to_both_modules():
    assert unchanged_ids([], "s3_bucket", BUCKET_ASKED) == {}


def group(name, permissions, tags=None):
    return {"group_name": name, "group_id": f"sg-{name}", "tags": tags or {"Name": name}, "ip_permissions": permissions}


def mysql_from(*pairs):
    return {
        "ip_protocol": "tcp",
        "from_port": 3306,
        "to_port": 3306,
        "user_id_group_pairs": [{"group_id": f"sg-{source}", "description": desc} for source, desc in pairs],
        "ip_ranges": [],
    }


GROUPS_ASKED = [
    {"name": "app", "tags": {"Name": "app"}, "rules": []},
    {
        "name": "db",
        "tags": {"Name": "db"},
        "rules": [
            {"proto": "tcp", "port": "3306", "group_name": "app", "rule_desc": "from app"},
            {"proto": "tcp", "port": 3306, "group_name": "db", "rule_desc": "from itself"},
        ],
    },
]


def test_security_groups_as_asked_are_unchanged_with_sources_by_name():
    groups = [group("app", []), group("db", [mysql_from(("app", "from app"), ("db", "from itself"))])]
    assert unchanged_ids(groups, "security_groups", GROUPS_ASKED) == {"app": "sg-app", "db": "sg-db"}


@pytest.mark.parametrize(
    "db",
    [
        group("db", [mysql_from(("app", "from app"))]),
        group("db", [mysql_from(("app", "from app"), ("db", "other description"))]),
        group("db", [mysql_from(("app", "from app"), ("db", "from itself"), ("vpn", "extra"))]),
        group("db", [mysql_from(("app", "from app"), ("db", "from itself")), {"ip_protocol": "-1", "ip_ranges": [{}]}]),
        group("db", [mysql_from(("app", "from app"), ("db", "from itself"))], tags={"Name": "db", "x": "y"}),
    ],
)
def test_a_missing_extra_or_redescribed_rule_or_a_tag_makes_the_group_changed(db):
    assert unchanged_ids([group("app", []), db], "security_groups", GROUPS_ASKED) == {"app": "sg-app"}


def test_a_source_group_not_found_makes_the_group_changed():
    groups = [group("db", [mysql_from(("app", "from app"), ("db", "from itself"))])]
    assert unchanged_ids(groups, "security_groups", GROUPS_ASKED) == {}


def test_amazon_aws_10s_whole_answers_are_read_too():
    bucket = {
        **BUCKET,
        "bucket_encryption": {"ServerSideEncryptionConfiguration": BUCKET["bucket_encryption"]},
        "public_access_block": {"PublicAccessBlockConfiguration": BUCKET["public_access_block"]},
    }
    assert unchanged_ids([bucket], "s3_bucket", BUCKET_ASKED) == {"bucket": "b", "lifecycle": "expire-payloads"}


IGW_TAGS = {**TAGS, "Name": "livestack-dev-igw"}
IGW = {"internet_gateway_id": "igw-1", "attachments": [{"vpc_id": "vpc-1", "state": "available"}], "tags": IGW_TAGS}


def test_the_internet_gateway_attached_as_asked_is_unchanged():
    assert unchanged_ids([IGW], "internet_gateway", {"vpc_id": "vpc-1", "tags": IGW_TAGS}) == "igw-1"


@pytest.mark.parametrize(
    "gateways",
    [
        [],
        [{**IGW, "tags": TAGS}],
        [{**IGW, "attachments": [{"vpc_id": "vpc-1", "state": "attaching"}]}],
        [{**IGW, "attachments": [{"vpc_id": "vpc-2", "state": "available"}]}],
        [IGW, {**IGW, "internet_gateway_id": "igw-2"}],
    ],
)
def test_a_missing_detached_retagged_or_doubled_internet_gateway_goes_to_the_module(gateways):
    assert unchanged_ids(gateways, "internet_gateway", {"vpc_id": "vpc-1", "tags": IGW_TAGS}) == ""


NAT_TAGS = {**TAGS, "Name": "livestack-dev-nat-a"}
NAT = {
    "nat_gateway_id": "nat-1",
    "subnet_id": "subnet-pa",
    "state": "available",
    "connectivity_type": "public",
    "nat_gateway_addresses": [{"allocation_id": "eipalloc-a"}],
    "tags": NAT_TAGS,
}
NAT_ASKED = [{"name": "a", "subnet_id": "subnet-pa", "allocation_id": "eipalloc-a", "tags": NAT_TAGS}]


def test_an_available_nat_gateway_as_asked_is_unchanged():
    assert unchanged_ids([NAT], "nat_gateways", NAT_ASKED) == {"a": "nat-1"}


@pytest.mark.parametrize(
    "change",
    [
        {"state": "pending"},
        {"tags": TAGS},
        {"nat_gateway_addresses": [{"allocation_id": "eipalloc-b"}]},
        {"connectivity_type": "private"},
        {"subnet_id": "subnet-pb"},
    ],
)
def test_a_pending_retagged_or_other_nat_gateway_goes_to_the_module(change):
    assert unchanged_ids([{**NAT, **change}], "nat_gateways", NAT_ASKED) == {}


def test_without_its_subnet_or_elastic_ip_a_nat_gateway_goes_to_the_module():
    assert unchanged_ids([NAT], "nat_gateways", [{**NAT_ASKED[0], "allocation_id": ""}]) == {}
    assert unchanged_ids([{**NAT, "subnet_id": ""}], "nat_gateways", [{**NAT_ASKED[0], "subnet_id": ""}]) == {}


CLUSTER = {
    "db_cluster_identifier": "livestack-dev-aurora",
    "status": "available",
    "engine_version": "8.0.mysql_aurora.3.08.0",
    "port": 3306,
    "backup_retention_period": 1,
    "deletion_protection": False,
    "copy_tags_to_snapshot": True,
    "db_subnet_group": "livestack-dev-aurora",
    "db_cluster_parameter_group": "livestack-dev-aurora",
    "vpc_security_groups": [{"vpc_security_group_id": "sg-db", "status": "active"}],
    "enabled_cloudwatch_logs_exports": ["error", "audit"],
    "tags": {**TAGS, "Name": "livestack-dev-aurora"},
    "serverless_v2_scaling_configuration": {"min_capacity": 0.5, "max_capacity": 2.0},
    "http_endpoint_enabled": True,
}
CLUSTER_ASKED = {
    "identifier": "livestack-dev-aurora",
    "engine_version": "8.0.mysql_aurora.3.08.0",
    "port": "3306",
    "backup_retention_period": 1,
    "deletion_protection": False,
    "subnet_group": "livestack-dev-aurora",
    "parameter_group": "livestack-dev-aurora",
    "security_group_id": "sg-db",
    "log_exports": ["audit", "error"],
    "tags": {**TAGS, "Name": "livestack-dev-aurora"},
    "rotate_password": False,
}
SCALING_ASKED = {
    "identifier": "livestack-dev-aurora",
    "min_capacity": "0.5",
    "max_capacity": 2,
    "seconds_until_auto_pause": None,
    "http_endpoint": True,
}


def test_an_aurora_cluster_as_asked_is_unchanged():
    assert unchanged_ids([CLUSTER], "aurora_cluster", CLUSTER_ASKED) == "livestack-dev-aurora"
    extra_group = {"vpc_security_groups": [{"vpc_security_group_id": "sg-other"}, {"vpc_security_group_id": "sg-db"}]}
    assert unchanged_ids([CLUSTER | extra_group], "aurora_cluster", CLUSTER_ASKED), "others' groups are not purged"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "modifying"},
        {"engine_version": "8.0.mysql_aurora.3.09.0"},
        {"port": 3307},
        {"backup_retention_period": 7},
        {"deletion_protection": True},
        {"copy_tags_to_snapshot": False},
        {"db_subnet_group": "other"},
        {"db_cluster_parameter_group": "default.aurora-mysql8.0"},
        {"vpc_security_groups": [{"vpc_security_group_id": "sg-other"}]},
        {"enabled_cloudwatch_logs_exports": ["error"]},
        {"enabled_cloudwatch_logs_exports": ["error", "audit", "slowquery"]},
        {"tags": {**TAGS}},
        {"tags": {**TAGS, "Name": "livestack-dev-aurora", "extra": "x"}},
        {"db_cluster_identifier": "someone-else"},
    ],
)
def test_an_aurora_cluster_that_differs_goes_to_rds_cluster(change):
    assert unchanged_ids([CLUSTER | change], "aurora_cluster", CLUSTER_ASKED) == ""


def test_a_password_rotation_or_no_cluster_goes_to_rds_cluster():
    assert unchanged_ids([CLUSTER], "aurora_cluster", CLUSTER_ASKED | {"rotate_password": True}) == ""
    assert unchanged_ids([], "aurora_cluster", CLUSTER_ASKED) == ""


def test_a_scaling_configuration_as_asked_is_unchanged():
    assert unchanged_ids([CLUSTER], "aurora_scaling", SCALING_ASKED) == "livestack-dev-aurora"
    paused = CLUSTER | {
        "serverless_v2_scaling_configuration": {
            "min_capacity": 0.0,
            "max_capacity": 2.0,
            "seconds_until_auto_pause": 600,
        }
    }
    zero = SCALING_ASKED | {"min_capacity": 0, "seconds_until_auto_pause": 600}
    assert unchanged_ids([paused], "aurora_scaling", zero) == "livestack-dev-aurora"
    assert unchanged_ids([paused], "aurora_scaling", zero | {"seconds_until_auto_pause": None}), "kept when unset"


@pytest.mark.parametrize(
    ("change", "asked"),
    [
        ({"serverless_v2_scaling_configuration": {"min_capacity": 1.0, "max_capacity": 2.0}}, {}),
        ({"serverless_v2_scaling_configuration": {"min_capacity": 0.5, "max_capacity": 4.0}}, {}),
        ({"serverless_v2_scaling_configuration": None}, {}),
        ({"http_endpoint_enabled": False}, {}),
        ({}, {"http_endpoint": False}),
        ({}, {"min_capacity": 0, "seconds_until_auto_pause": 600}),
        (
            {
                "serverless_v2_scaling_configuration": {
                    "min_capacity": 0.0,
                    "max_capacity": 2.0,
                    "seconds_until_auto_pause": 300,
                }
            },
            {"min_capacity": 0, "seconds_until_auto_pause": 600},
        ),
    ],
)
def test_a_scaling_configuration_that_differs_goes_to_its_module(change, asked):
    assert unchanged_ids([CLUSTER | change], "aurora_scaling", SCALING_ASKED | asked) == ""
