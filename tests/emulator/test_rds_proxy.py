"""The emulator's RDS Proxy extension: ModifyDBProxy and the fixes to moto's proxy API, with boto3."""

from __future__ import annotations

import itertools

import pytest
from botocore.exceptions import ClientError
from support.builders import rds_available

_names = itertools.count()


@pytest.fixture
def proxy(emulator):
    """A proxy in two subnets of a fresh VPC, and an Aurora MySQL cluster with one instance."""
    n = next(_names)
    ec2, rds, secrets = emulator.client("ec2"), emulator.client("rds"), emulator.client("secretsmanager")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(GroupName=f"emu-proxy-{n}", Description="d", VpcId=vpc)["GroupId"]
    secret = secrets.create_secret(Name=f"emu-proxy-{n}", SecretString="{}")["ARN"]
    rds.create_db_subnet_group(DBSubnetGroupName=f"emu-proxy-{n}", DBSubnetGroupDescription="d", SubnetIds=subnets)
    cluster = f"emu-cluster-{n}"
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName=f"emu-proxy-{n}",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=cluster,
    )
    name = f"emu-proxy-{n}"
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="MYSQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED"}],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=subnets,
        VpcSecurityGroupIds=[group],
    )
    rds_available(rds, proxy=name, instances=[f"{cluster}-1"])
    yield {"name": name, "cluster": cluster, "secret": secret, "vpc": vpc, "group": group}
    try:
        rds.delete_db_proxy(DBProxyName=name)
    except ClientError:
        pass


def fault(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_modify_db_proxy_changes_what_the_model_allows(emulator, proxy):
    rds, ec2 = emulator.client("rds"), emulator.client("ec2")
    other_group = ec2.create_security_group(GroupName=f"{proxy['name']}-2", Description="d", VpcId=proxy["vpc"])[
        "GroupId"
    ]
    answer = rds.modify_db_proxy(
        DBProxyName=proxy["name"],
        Auth=[
            {
                "AuthScheme": "SECRETS",
                "SecretArn": proxy["secret"],
                "IAMAuth": "REQUIRED",
                "ClientPasswordAuthType": "MYSQL_CACHING_SHA2_PASSWORD",
            }
        ],
        RequireTLS=True,
        IdleClientTimeout=7200,
        DebugLogging=True,
        RoleArn="arn:aws:iam::123456789012:role/other",
        SecurityGroups=[other_group],
    )["DBProxy"]
    assert answer["Status"] == "modifying"

    described = rds.describe_db_proxies(DBProxyName=proxy["name"])["DBProxies"][0]
    assert described["Status"] == "available"
    assert described["Auth"] == [
        {
            "AuthScheme": "SECRETS",
            "SecretArn": proxy["secret"],
            "IAMAuth": "REQUIRED",
            "ClientPasswordAuthType": "MYSQL_CACHING_SHA2_PASSWORD",
        }
    ]
    assert (described["RequireTLS"], described["IdleClientTimeout"], described["DebugLogging"]) == (True, 7200, True)
    assert described["RoleArn"] == "arn:aws:iam::123456789012:role/other"
    assert described["VpcSecurityGroupIds"] == [other_group]


def test_modify_db_proxy_leaves_unnamed_settings_alone(emulator, proxy):
    rds = emulator.client("rds")
    before = rds.describe_db_proxies(DBProxyName=proxy["name"])["DBProxies"][0]
    rds.modify_db_proxy(DBProxyName=proxy["name"], IdleClientTimeout=60)
    after = rds.describe_db_proxies(DBProxyName=proxy["name"])["DBProxies"][0]
    assert after["IdleClientTimeout"] == 60
    assert {k: v for k, v in after.items() if k not in ("IdleClientTimeout", "UpdatedDate")} == {
        k: v for k, v in before.items() if k not in ("IdleClientTimeout", "UpdatedDate")
    }


def test_modify_db_proxy_renames(emulator, proxy):
    rds = emulator.client("rds")
    rds.modify_db_proxy(DBProxyName=proxy["name"], NewDBProxyName=f"{proxy['name']}-new")
    assert rds.describe_db_proxies(DBProxyName=f"{proxy['name']}-new")["DBProxies"][0]["DBProxyName"].endswith("-new")
    with pytest.raises(ClientError) as raised:
        rds.describe_db_proxies(DBProxyName=proxy["name"])
    assert fault(raised) == "DBProxyNotFoundFault"
    rds.modify_db_proxy(DBProxyName=f"{proxy['name']}-new", NewDBProxyName=proxy["name"])


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda rds: rds.modify_db_proxy(DBProxyName="no-such-proxy", DebugLogging=True), "DBProxyNotFoundFault"),
        (lambda rds: rds.delete_db_proxy(DBProxyName="no-such-proxy"), "DBProxyNotFoundFault"),
        (lambda rds: rds.describe_db_proxy_targets(DBProxyName="no-such-proxy"), "DBProxyNotFoundFault"),
        (
            lambda rds: rds.register_db_proxy_targets(DBProxyName="no-such-proxy", DBClusterIdentifiers=["x"]),
            "DBProxyNotFoundFault",
        ),
    ],
    ids=["modify", "delete", "describe-targets", "register"],
)
def test_unknown_proxy_is_a_documented_fault(emulator, call, code):
    with pytest.raises(ClientError) as raised:
        call(emulator.client("rds"))
    assert fault(raised) == code


def test_target_group_pool_keeps_zero_and_init_query(emulator, proxy):
    rds = emulator.client("rds")
    group = rds.modify_db_proxy_target_group(
        DBProxyName=proxy["name"],
        TargetGroupName="default",
        ConnectionPoolConfig={
            "MaxConnectionsPercent": 90,
            "MaxIdleConnectionsPercent": 0,
            "ConnectionBorrowTimeout": 0,
            "InitQuery": "SET time_zone = '+00:00'",
            "SessionPinningFilters": ["EXCLUDE_VARIABLE_SETS"],
        },
    )["DBProxyTargetGroup"]
    expected = {
        "MaxConnectionsPercent": 90,
        "MaxIdleConnectionsPercent": 0,
        "ConnectionBorrowTimeout": 0,
        "InitQuery": "SET time_zone = '+00:00'",
        "SessionPinningFilters": ["EXCLUDE_VARIABLE_SETS"],
    }
    assert group["ConnectionPoolConfig"] == expected
    described = rds.describe_db_proxy_target_groups(DBProxyName=proxy["name"])["TargetGroups"][0]
    assert described["ConnectionPoolConfig"] == expected

    rds.modify_db_proxy_target_group(
        DBProxyName=proxy["name"], TargetGroupName="default", ConnectionPoolConfig={"ConnectionBorrowTimeout": 30}
    )
    described = rds.describe_db_proxy_target_groups(DBProxyName=proxy["name"])["TargetGroups"][0]
    assert described["ConnectionPoolConfig"] == {**expected, "ConnectionBorrowTimeout": 30}


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"MaxConnectionsPercent": 0}, "InvalidParameterValue"),
        ({"MaxConnectionsPercent": 101}, "InvalidParameterValue"),
        ({"MaxConnectionsPercent": 50, "MaxIdleConnectionsPercent": 60}, "InvalidParameterValue"),
        ({"ConnectionBorrowTimeout": 301}, "InvalidParameterValue"),
    ],
)
def test_target_group_pool_ranges(emulator, proxy, config, code):
    with pytest.raises(ClientError) as raised:
        emulator.client("rds").modify_db_proxy_target_group(
            DBProxyName=proxy["name"], TargetGroupName="default", ConnectionPoolConfig=config
        )
    assert fault(raised) == code


def test_unknown_target_group_is_a_fault(emulator, proxy):
    with pytest.raises(ClientError) as raised:
        emulator.client("rds").modify_db_proxy_target_group(
            DBProxyName=proxy["name"], TargetGroupName="other", ConnectionPoolConfig={"MaxConnectionsPercent": 50}
        )
    assert fault(raised) == "DBProxyTargetGroupNotFoundFault"


def test_cluster_target_tracks_its_instances(emulator, proxy):
    rds = emulator.client("rds")
    registered = rds.register_db_proxy_targets(
        DBProxyName=proxy["name"], TargetGroupName="default", DBClusterIdentifiers=[proxy["cluster"]]
    )["DBProxyTargets"]
    assert [(t["Type"], t["RdsResourceId"], t["Port"]) for t in registered] == [
        ("TRACKED_CLUSTER", proxy["cluster"], 3306),
        ("RDS_INSTANCE", f"{proxy['cluster']}-1", 3306),
    ]
    instance = registered[1]
    assert (instance["TrackedClusterId"], instance["Role"]) == (proxy["cluster"], "READ_WRITE")
    assert instance["TargetArn"].endswith(f":db:{proxy['cluster']}-1")
    assert {t["TargetHealth"]["State"] for t in registered} == {"REGISTERING"}

    described = rds.describe_db_proxy_targets(DBProxyName=proxy["name"])["Targets"]
    assert {t["TargetHealth"]["State"] for t in described} == {"AVAILABLE"}

    with pytest.raises(ClientError) as raised:
        rds.register_db_proxy_targets(DBProxyName=proxy["name"], DBClusterIdentifiers=[proxy["cluster"]])
    assert fault(raised) == "DBProxyTargetAlreadyRegisteredFault"

    rds.deregister_db_proxy_targets(DBProxyName=proxy["name"], DBClusterIdentifiers=[proxy["cluster"]])
    assert rds.describe_db_proxy_targets(DBProxyName=proxy["name"])["Targets"] == []
    with pytest.raises(ClientError) as raised:
        rds.deregister_db_proxy_targets(DBProxyName=proxy["name"], DBClusterIdentifiers=[proxy["cluster"]])
    assert fault(raised) == "DBProxyTargetNotFoundFault"


def test_unknown_cluster_is_a_fault(emulator, proxy):
    with pytest.raises(ClientError) as raised:
        emulator.client("rds").register_db_proxy_targets(DBProxyName=proxy["name"], DBClusterIdentifiers=["no-such"])
    assert fault(raised) == "DBClusterNotFoundFault"


def test_proxy_tags_are_listed_added_and_removed(emulator, proxy):
    rds = emulator.client("rds")
    arn = rds.describe_db_proxies(DBProxyName=proxy["name"])["DBProxies"][0]["DBProxyArn"]
    assert arn.split(":")[-1].startswith("prx-")
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["a"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "b", "Value": "2"}]


def test_create_db_proxy_keeps_the_default_auth_scheme_and_needs_no_secret_with_iam_auth(emulator, proxy):
    rds, ec2 = emulator.client("rds"), emulator.client("ec2")
    subnets = [
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [proxy["vpc"]]}])["Subnets"]
    ]
    common = {"EngineFamily": "MYSQL", "RoleArn": "arn:aws:iam::123456789012:role/proxy", "VpcSubnetIds": subnets}
    name = f"{proxy['name']}-iam"
    created = rds.create_db_proxy(DBProxyName=name, DefaultAuthScheme="IAM_AUTH", **common)["DBProxy"]
    try:
        assert created["DefaultAuthScheme"] == "IAM_AUTH"
        described = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]
        assert described["DefaultAuthScheme"] == "IAM_AUTH" and described.get("Auth", []) == []
    finally:
        rds.delete_db_proxy(DBProxyName=name)
    with pytest.raises(ClientError) as refused:
        rds.create_db_proxy(DBProxyName=f"{proxy['name']}-none", **common)
    assert fault(refused) == "InvalidParameterValue" and "Auth" in str(refused.value)
