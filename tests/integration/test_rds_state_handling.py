"""The collection against AWS's RDS state preconditions, in strict mode with windows long enough to be met.

- rds_db_proxy finds a proxy still creating (another run's): it waits for available before ModifyDBProxy,
  which AWS refuses meanwhile (InvalidDBProxyStateFault);
- rds_db_proxy registers a cluster whose writer is still creating: it retries RegisterDBProxyTargets while AWS
  answers InvalidDBInstanceState, as the Terraform provider does;
- the aurora role sets the Serverless v2 scaling (rds_cluster_serverless_v2, which returns once the cluster shows
  it) before it creates the db.serverless instances, which AWS refuses otherwise (InvalidDBClusterStateFault).

Each test fails when its handling is removed: the emulator answers the fault the module would then meet.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError
from conftest import emulator_with
from support.builders import rds_available, vpc_with_two_subnets
from support.modules import run_module

ROOT = Path(__file__).resolve().parents[2]
# The proxy stays creating, and a new instance creating, this long (seconds): longer than ansible's start.
WINDOWS = {"proxy": 8, "serverless_instance": 10}
SCALING = {"MinCapacity": 0.5, "MaxCapacity": 2}
_numbers = itertools.count()


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("rds-states"), json.dumps(WINDOWS)) as emulator:
        yield emulator


@pytest.fixture
def network(strict_emulator) -> dict:
    n = next(_numbers)
    ec2, rds = strict_emulator.client("ec2"), strict_emulator.client("rds")
    _, subnets = vpc_with_two_subnets(ec2, 50)
    rds.create_db_subnet_group(DBSubnetGroupName=f"states-it-{n}", DBSubnetGroupDescription="d", SubnetIds=subnets)
    return {"n": n, "subnets": subnets, "subnet_group": f"states-it-{n}"}


def create_proxy(rds, network: dict) -> str:
    name = f"states-it-proxy-{network['n']}"
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="MYSQL",
        DefaultAuthScheme="IAM_AUTH",
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=network["subnets"],
    )
    return name


def create_cluster(rds, network: dict, scaling: dict | None = SCALING) -> str:
    cluster = f"states-it-aurora-{network['n']}"
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName=network["subnet_group"],
        **({"ServerlessV2ScalingConfiguration": scaling} if scaling else {}),
    )
    return cluster


def create_writer(rds, cluster: str) -> str:
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=cluster,
    )
    return f"{cluster}-1"


def proxy_status(rds, name: str) -> str:
    return rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]["Status"]


def test_a_rerun_waits_for_a_creating_proxy_before_changing_it(strict_emulator, network):
    rds = strict_emulator.client("rds")
    proxy = create_proxy(rds, network)  # as an interrupted run leaves it
    assert proxy_status(rds, proxy) == "creating"
    status, result = run_module(
        strict_emulator, "livestack.aws.rds_db_proxy", {"name": proxy, "idle_client_timeout": 600}
    )
    assert status == "CHANGED", result
    assert result["proxy"]["idle_client_timeout"] == 600
    assert rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["IdleClientTimeout"] == 600
    rds.delete_db_proxy(DBProxyName=proxy)


def test_the_proxy_registers_a_cluster_whose_writer_is_still_creating(strict_emulator, network):
    rds = strict_emulator.client("rds")
    proxy = create_proxy(rds, network)
    rds_available(rds, proxy=proxy)
    cluster = create_cluster(rds, network)
    writer = create_writer(rds, cluster)
    # What the module meets first (and fails on without its retry).
    with pytest.raises(ClientError, match="InvalidDBInstanceState"):
        rds.register_db_proxy_targets(DBProxyName=proxy, DBClusterIdentifiers=[cluster])
    status, result = run_module(
        strict_emulator,
        "livestack.aws.rds_db_proxy",
        {"name": proxy, "targets": {"db_cluster_identifiers": [cluster]}, "wait_timeout": 60},
    )
    assert status == "CHANGED", result
    registered = rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"]
    assert sorted((t["Type"], t["RdsResourceId"]) for t in registered) == [
        ("RDS_INSTANCE", writer),
        ("TRACKED_CLUSTER", cluster),
    ]
    rds.delete_db_proxy(DBProxyName=proxy)


def test_the_retry_is_bounded_by_wait_timeout(strict_emulator, network):
    rds = strict_emulator.client("rds")
    proxy = create_proxy(rds, network)
    rds_available(rds, proxy=proxy)
    cluster = create_cluster(rds, network)
    create_writer(rds, cluster)
    status, result = run_module(
        strict_emulator,
        "livestack.aws.rds_db_proxy",
        {"name": proxy, "targets": {"db_cluster_identifiers": [cluster]}, "wait_timeout": 1},
    )
    assert status == "FAILED", result
    assert "InvalidDBInstanceState" in result["msg"] and "CREATING" in result["msg"], result["msg"]
    rds.delete_db_proxy(DBProxyName=proxy)


def test_the_scaling_configuration_comes_before_the_db_serverless_instances(strict_emulator, network):
    rds = strict_emulator.client("rds")
    cluster = create_cluster(rds, network, scaling=None)
    with pytest.raises(ClientError, match="Set the Serverless v2 scaling configuration on the parent DB cluster"):
        create_writer(rds, cluster)
    status, result = run_module(
        strict_emulator,
        "livestack.aws.rds_cluster_serverless_v2",
        {"cluster_identifier": cluster, "min_capacity": 0.5, "max_capacity": 16},
    )
    assert status == "CHANGED", result
    assert create_writer(rds, cluster) == f"{cluster}-1"  # the module returned once the cluster had it

    # The aurora role's order: the scaling task, then the instances' task.
    tasks = yaml.safe_load((ROOT / "roles" / "aurora" / "tasks" / "finish.yml").read_text())[0]["block"]
    modules = [next(key for key in task if "." in key) for task in tasks]
    assert modules.index("livestack.aws.rds_cluster_serverless_v2") < modules.index("amazon.aws.rds_instance")
