"""Strict mode for RDS Proxy (extensions/rds_proxy.py, iam_propagation.py): the proxy's role and IAM propagation.

AWS accepts CreateDBProxy and RegisterDBProxyTargets with a role IAM has not propagated yet, and reports the
targets UNAVAILABLE with AUTH_FAILURE until it has; a change of the role's policies does the same.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from conftest import emulator_with
from support.builders import rds_available

# The IAM window long enough to be met after the proxy's own window, short enough for a test (seconds).
WINDOWS = {"iam_propagation": 6, "proxy": 0.5, "serverless_instance": 0.5}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
NOT_PROPAGATED = {
    "State": "UNAVAILABLE",
    "Reason": "AUTH_FAILURE",
    "Description": "Proxy does not have any registered credentials",
}


def stage(emulator, name: str) -> tuple[str, str]:
    """An available cluster with a writer, and a proxy role: (cluster, role ARN) of a stage ``name``."""
    ec2, rds, iam = emulator.client("ec2"), emulator.client("rds"), emulator.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.41.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName=name,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=name,
    )
    rds_available(rds, instances=[f"{name}-1"])
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="MYSQL",
        DefaultAuthScheme="IAM_AUTH",
        RoleArn=role,
        VpcSubnetIds=subnets,
    )
    rds_available(rds, proxy=name)
    rds.register_db_proxy_targets(DBProxyName=name, DBClusterIdentifiers=[name])
    return name, role


def instance_health(rds, proxy: str) -> dict:
    targets = rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"]
    return next(t["TargetHealth"] for t in targets if t["Type"] == "RDS_INSTANCE")


def available_after(rds, proxy: str, timeout: float = 30.0) -> float:
    """Seconds until the proxy's instance target reports AVAILABLE; every other answer meanwhile is AUTH_FAILURE
    (or moto's REGISTERING once, past the window)."""
    start = time.monotonic()
    while (health := instance_health(rds, proxy))["State"] != "AVAILABLE":
        assert health in (NOT_PROPAGATED, {"State": "REGISTERING"}), health
        assert time.monotonic() - start < timeout, f"target of {proxy} still {health} after {timeout}s"
        time.sleep(0.2)
    return time.monotonic() - start


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("rds-iam"), json.dumps(WINDOWS)) as emulator:
        yield emulator


def test_a_proxy_with_a_new_role_is_created_but_its_targets_fail_authentication_until_iam_propagates(
    strict_emulator,
):
    rds = strict_emulator.client("rds")
    created = time.monotonic()
    proxy, role = stage(strict_emulator, "iam-new-role")
    assert rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["RoleArn"] == role
    assert instance_health(rds, proxy) == NOT_PROPAGATED
    available_after(rds, proxy)
    assert time.monotonic() - created >= WINDOWS["iam_propagation"]


def test_a_policy_change_of_the_role_is_not_effective_until_iam_propagates(strict_emulator):
    rds, iam = strict_emulator.client("rds"), strict_emulator.client("iam")
    proxy, role = stage(strict_emulator, "iam-policy")
    available_after(rds, proxy)
    changed = time.monotonic()
    iam.put_role_policy(
        RoleName=role.rsplit("/", 1)[-1],
        PolicyName="connect",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "*"}]}
        ),
    )
    assert instance_health(rds, proxy) == NOT_PROPAGATED
    available_after(rds, proxy)
    assert time.monotonic() - changed >= WINDOWS["iam_propagation"]


def test_health_lists_the_behaviour(strict_emulator):
    with urllib.request.urlopen(f"{strict_emulator.url}/_livestack/health", timeout=10) as response:
        described = json.load(response)["strict"]
    assert "rds_proxy_iam_propagation" in described["behaviours"]
    assert described["seconds"]["iam_propagation"] == WINDOWS["iam_propagation"]


def test_lenient_mode_reports_the_targets_of_a_new_role_available(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("rds-iam-lenient"), "off") as emulator:
        rds = emulator.client("rds")
        proxy, _ = stage(emulator, "iam-lenient")
        assert instance_health(rds, proxy)["State"] in ("REGISTERING", "AVAILABLE")
