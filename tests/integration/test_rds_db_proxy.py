"""The rds_db_proxy module against the emulator, the amazon.aws way (four steps per change), against a
database that the fixture makes with boto3."""

from __future__ import annotations

import itertools
import json

import pytest
from support.builders import serverless_cluster
from support.modules import four_steps, run_module

MODULE = "livestack.aws.rds_db_proxy"
_numbers = itertools.count()


@pytest.fixture(scope="module")
def database(emulator):
    """What a proxy needs: subnets (two zones, and a third in zone a), a group, a secret, a role, a cluster."""
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"), (3, "a"))
    ]
    group = ec2.create_security_group(GroupName="proxy-it", Description="database", VpcId=vpc)["GroupId"]
    secret = emulator.client("secretsmanager").create_secret(Name="proxy-it", SecretString="{}")["ARN"]
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = emulator.client("iam").create_role(RoleName="proxy-it", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="proxy-it", DBSubnetGroupDescription="d", SubnetIds=subnets[:2])
    cluster = "proxy-it-aurora"
    serverless_cluster(rds, cluster, "password1", DBSubnetGroupName="proxy-it")
    return {"subnets": subnets, "group": group, "secret": secret, "role": role, "cluster": cluster}


@pytest.fixture
def blog(emulator, database):
    """The options of the blog's proxy, under a name of its own; the proxy is deleted after the test."""
    name = f"proxy-it-{next(_numbers)}"
    yield {
        "name": name,
        "engine_family": "MYSQL",
        "role_arn": database["role"],
        "vpc_subnet_ids": database["subnets"][:2],
        "vpc_security_group_ids": [database["group"]],
        "auth": [{"secret_arn": database["secret"], "iam_auth": "REQUIRED"}],
        "require_tls": True,
        "idle_client_timeout": 7200,
        "debug_logging": True,
        "connection_pool": {"max_connections_percent": 100},
        "tags": {"livestack:stage": "proxy-it"},
    }
    status, result = run_module(emulator, MODULE, {"name": name, "state": "absent"})
    assert status != "FAILED", result
    assert result.get("warnings") is None, result["warnings"]


def described(emulator, name: str) -> list[dict]:
    status, info = run_module(emulator, f"{MODULE}_info", {"name": name})
    assert status == "SUCCESS", info
    return info["proxies"]


def apply(emulator, args: dict) -> dict:
    status, result = run_module(emulator, MODULE, args)
    assert status == "CHANGED", result
    return result


def refused(emulator, args: dict) -> str:
    """The message of a run that must fail before any mutating request."""
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, args)
    assert status == "FAILED", result
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)
    return result["msg"]


def test_create_and_delete(emulator, database, blog):
    steps = four_steps(emulator, blog, MODULE)
    (proxy,) = described(emulator, blog["name"])
    assert steps.predicted["diff"]["before"] == {}
    assert steps.predicted["diff"]["after"]["idle_client_timeout"] == 7200
    assert proxy["require_tls"] and proxy["debug_logging"] and proxy["idle_client_timeout"] == 7200
    assert proxy["auth"][0]["iam_auth"] == "REQUIRED" and proxy["auth"][0]["secret_arn"] == database["secret"]
    assert proxy["vpc_security_group_ids"] == [database["group"]]
    assert sorted(proxy["vpc_subnet_ids"]) == sorted(database["subnets"][:2])
    assert proxy["connection_pool"]["max_connections_percent"] == 100
    assert proxy["resource_id"].startswith("prx-") and proxy["resource_id"] == proxy["db_proxy_arn"].split(":")[-1]
    assert steps.applied["proxy"]["endpoint"] == proxy["endpoint"]
    assert proxy["tags"] == {"livestack:stage": "proxy-it"}

    steps = four_steps(emulator, {"name": blog["name"], "state": "absent"}, MODULE)
    assert steps.predicted["diff"]["after"] == {}
    assert steps.predicted["diff"]["before"]["name"] == blog["name"]
    assert described(emulator, blog["name"]) == []


def test_in_place_change(emulator, blog):
    created = apply(emulator, blog)
    pool = {"max_connections_percent": 90, "max_idle_connections_percent": 10}
    four_steps(emulator, {**blog, "idle_client_timeout": 1800, "debug_logging": False, "connection_pool": pool}, MODULE)
    steps = four_steps(emulator, {"name": blog["name"], "idle_client_timeout": 60}, MODULE)  # naming no other
    (proxy,) = described(emulator, blog["name"])
    assert proxy["db_proxy_arn"] == created["proxy"]["db_proxy_arn"]
    assert proxy["idle_client_timeout"] == 60 and not proxy["debug_logging"] and proxy["require_tls"]
    assert proxy["auth"][0]["iam_auth"] == "REQUIRED"
    assert proxy["connection_pool"]["max_connections_percent"] == 90
    assert proxy["connection_pool"]["max_idle_connections_percent"] == 10
    assert steps.predicted["diff"]["before"]["idle_client_timeout"] == 1800
    assert steps.predicted["diff"]["after"]["idle_client_timeout"] == 60


def test_end_to_end_iam(emulator, database, blog):
    """DefaultAuthScheme IAM_AUTH: a proxy created without any secret, then changed to the secrets scheme in
    place and back; the secrets scheme without a secret is refused before any request."""
    end_to_end = {**blog, "default_auth_scheme": "IAM_AUTH", "auth": []}
    steps = four_steps(emulator, end_to_end, MODULE)
    (created,) = described(emulator, blog["name"])
    assert steps.predicted["diff"]["after"]["default_auth_scheme"] == "IAM_AUTH"
    assert created["default_auth_scheme"] == "IAM_AUTH" and created.get("auth", []) == [] and created["require_tls"]

    four_steps(emulator, {**blog, "default_auth_scheme": "NONE"}, MODULE)
    steps = four_steps(emulator, end_to_end, MODULE)
    (proxy,) = described(emulator, blog["name"])
    assert proxy["db_proxy_arn"] == created["db_proxy_arn"]
    assert proxy["default_auth_scheme"] == "IAM_AUTH" and proxy.get("auth", []) == []
    before, after = steps.predicted["diff"]["before"], steps.predicted["diff"]["after"]
    assert before["default_auth_scheme"] == "NONE"
    assert [entry["secret_arn"] for entry in before["auth"]] == [database["secret"]]
    assert after["default_auth_scheme"] == "IAM_AUTH" and after["auth"] == []

    message = refused(emulator, {"name": blog["name"], "default_auth_scheme": "NONE"})
    assert "auth must hold at least one entry" in message and "when default_auth_scheme is NONE" in message


def test_targets(emulator, database, blog):
    apply(emulator, blog)
    cluster = database["cluster"]
    steps = four_steps(
        emulator, {**blog, "targets": {"db_cluster_identifiers": [cluster]}, "wait_for_targets": True}, MODULE
    )
    assert steps.predicted["diff"]["before"]["targets"]["db_cluster_identifiers"] == []
    assert steps.predicted["diff"]["after"]["targets"]["db_cluster_identifiers"] == [cluster]
    targets = steps.applied["proxy"]["targets"]
    assert sorted(t["type"] for t in targets) == ["RDS_INSTANCE", "TRACKED_CLUSTER"]
    assert [t["rds_resource_id"] for t in targets if t["type"] == "RDS_INSTANCE"] == [f"{cluster}-1"]
    assert {t["target_health"]["state"] for t in targets} == {"AVAILABLE"}

    steps = four_steps(emulator, {**blog, "targets": {"db_cluster_identifiers": []}}, MODULE)
    assert steps.applied["proxy"]["targets"] == []
    assert emulator.client("rds").describe_db_proxy_targets(DBProxyName=blog["name"])["Targets"] == []


def test_replacement(emulator, database, blog):
    created = apply(emulator, blog)
    status, reordered = run_module(emulator, MODULE, {**blog, "vpc_subnet_ids": database["subnets"][1::-1]})
    assert status == "SUCCESS", reordered  # the same subnets in another order

    message = refused(emulator, {**blog, "vpc_subnet_ids": database["subnets"][1:]})
    assert "vpc_subnet_ids of RDS proxy" in message and "set replace=true" in message

    steps = four_steps(emulator, {**blog, "vpc_subnet_ids": database["subnets"][1:], "replace": True}, MODULE)
    assert steps.predicted["replaced"] and steps.applied["replaced"]
    assert steps.applied["proxy"]["db_proxy_arn"] != created["proxy"]["db_proxy_arn"]
    assert sorted(steps.applied["proxy"]["vpc_subnet_ids"]) == sorted(database["subnets"][1:])
    (proxy,) = described(emulator, blog["name"])
    assert proxy["db_proxy_arn"] == steps.applied["proxy"]["db_proxy_arn"], "the second apply replaced it again"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "bad--name"}, "name 'bad--name' must be"),
        ({"idle_client_timeout": 28801}, "idle_client_timeout 28801 must be between 1 and 28800"),
        ({"connection_pool": {"max_connections_percent": 101}},
         "max_connections_percent 101 must be between 1 and 100"),
        ({"connection_pool": {"max_connections_percent": 20, "max_idle_connections_percent": 30}},
         "max_idle_connections_percent 30 must not exceed max_connections_percent 20"),
        ({"connection_pool": {"connection_borrow_timeout": 301}},
         "connection_borrow_timeout 301 must be between 0 and 300"),
        ({"vpc_subnet_ids": [0]}, "must name at least two subnets"),
        ({"vpc_subnet_ids": [0, 2]}, "must lie in at least two availability zones"),
        ({"auth": "ENABLED"}, "iam_auth 'ENABLED' is only valid for engine_family SQLSERVER"),
        ({"role_arn": None}, "role_arn required to create RDS proxy"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_any_change(emulator, database, blog, options, message):
    if "vpc_subnet_ids" in options:  # indexes into the fixture's subnets
        options = {"vpc_subnet_ids": [database["subnets"][i] for i in options["vpc_subnet_ids"]]}
    if "auth" in options:
        options = {"auth": [{"secret_arn": database["secret"], "iam_auth": options["auth"]}]}
    args = {key: value for key, value in {**blog, **options}.items() if value is not None}
    assert message in refused(emulator, args)
