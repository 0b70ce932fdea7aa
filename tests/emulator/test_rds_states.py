"""Strict mode for RDS and RDS Proxy (extensions/rds_proxy.py, rds_cluster_instances.py): the state preconditions.

A new proxy and a new DB instance stay ``creating`` for their strict windows; meanwhile AWS refuses to change
the proxy (InvalidDBProxyStateFault) or to register the instance (InvalidDBInstanceState), and a db.serverless
instance needs its cluster's Serverless v2 scaling configuration first (InvalidDBClusterStateFault).
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import emulator_with, start_emulator
from support.builders import rds_available, vpc_with_two_subnets

# Windows long enough to be met on a loaded machine, short enough for a test (seconds).
WINDOWS = {"proxy": 3, "serverless_instance": 3}
SCALING = {"MinCapacity": 0.5, "MaxCapacity": 2}
_numbers = itertools.count()


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("rds-strict"), json.dumps(WINDOWS)) as emulator:
        yield emulator


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def network(emulator) -> dict:
    """Two subnets in two zones, a DB subnet group and a security group, for one test."""
    n = next(_numbers)
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc, subnets = vpc_with_two_subnets(ec2, 40)
    rds.create_db_subnet_group(DBSubnetGroupName=f"states-{n}", DBSubnetGroupDescription="d", SubnetIds=subnets)
    group = ec2.create_security_group(GroupName=f"states-{n}", Description="d", VpcId=vpc)["GroupId"]
    return {"n": n, "subnets": subnets, "subnet_group": f"states-{n}", "group": group}


def create_proxy(rds, net: dict) -> str:
    name = f"states-proxy-{net['n']}"
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="MYSQL",
        DefaultAuthScheme="IAM_AUTH",
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=net["subnets"],
        VpcSecurityGroupIds=[net["group"]],
    )
    return name


def create_cluster(rds, net: dict, scaling: dict | None = SCALING) -> str:
    cluster = f"states-aurora-{net['n']}"
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName=net["subnet_group"],
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


def test_a_creating_proxy_refuses_changes_until_available(strict_emulator):
    rds = strict_emulator.client("rds")
    net = network(strict_emulator)
    cluster = create_cluster(rds, net)
    rds_available(rds, instances=[create_writer(rds, cluster)])
    proxy = create_proxy(rds, net)
    assert rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["Status"] == "creating"
    refused = (
        "InvalidDBProxyStateFault",
        "The requested operation can't be performed while the proxy is in this state.",
    )
    assert error_of(rds.modify_db_proxy, DBProxyName=proxy, IdleClientTimeout=60) == refused
    assert (
        error_of(
            rds.modify_db_proxy_target_group,
            DBProxyName=proxy,
            TargetGroupName="default",
            ConnectionPoolConfig={"MaxConnectionsPercent": 50},
        )
        == refused
    )
    assert error_of(rds.register_db_proxy_targets, DBProxyName=proxy, DBClusterIdentifiers=[cluster]) == refused
    assert error_of(rds.deregister_db_proxy_targets, DBProxyName=proxy, DBClusterIdentifiers=[cluster]) == refused
    # Nothing of the refused calls happened.
    assert rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["IdleClientTimeout"] != 60
    assert rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"] == []

    rds_available(rds, proxy=proxy)
    rds.modify_db_proxy(DBProxyName=proxy, IdleClientTimeout=60)
    rds.register_db_proxy_targets(DBProxyName=proxy, DBClusterIdentifiers=[cluster])
    assert {t["Type"] for t in rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"]} == {
        "TRACKED_CLUSTER",
        "RDS_INSTANCE",
    }
    rds.delete_db_proxy(DBProxyName=proxy)


def test_registering_a_cluster_whose_writer_is_creating_is_refused(strict_emulator):
    rds = strict_emulator.client("rds")
    net = network(strict_emulator)
    proxy = create_proxy(rds, net)
    rds_available(rds, proxy=proxy)
    cluster = create_cluster(rds, net)
    writer = create_writer(rds, cluster)
    assert rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["DBInstanceStatus"] == "creating"
    assert error_of(rds.register_db_proxy_targets, DBProxyName=proxy, DBClusterIdentifiers=[cluster]) == (
        "InvalidDBInstanceState",
        f"DB Instance {writer} is in an unsupported state - CREATING, "
        "needs to be in [AVAILABLE, MODIFYING, BACKING_UP]",
    )
    assert error_of(rds.register_db_proxy_targets, DBProxyName=proxy, DBInstanceIdentifiers=[writer])[0] == (
        "InvalidDBInstanceState"
    )
    assert rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"] == []

    rds_available(rds, instances=[writer])
    registered = rds.register_db_proxy_targets(DBProxyName=proxy, DBClusterIdentifiers=[cluster])["DBProxyTargets"]
    assert [t["RdsResourceId"] for t in registered if t["Type"] == "RDS_INSTANCE"] == [writer]
    rds.delete_db_proxy(DBProxyName=proxy)


def test_registering_a_cluster_still_creating_is_refused(tmp_path_factory):
    # A cluster is creating only with --timing (no strict window of its own): 6 emulated seconds here.
    timing = json.dumps({"aurora_cluster": 0.1, "proxy": 0, "serverless_instance": 0})
    process, emulator = start_emulator(tmp_path_factory.mktemp("rds-timed") / "emulator.log", "--timing", timing)
    try:
        rds = emulator.client("rds")
        net = network(emulator)
        proxy = create_proxy(rds, net)
        rds_available(rds, proxy=proxy)
        cluster = create_cluster(rds, net)
        assert rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["Status"] == "creating"
        assert error_of(rds.register_db_proxy_targets, DBProxyName=proxy, DBClusterIdentifiers=[cluster]) == (
            "InvalidDBClusterStateFault",
            "The requested operation can't be performed while the cluster is in this state.",
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_db_serverless_instance_needs_the_scaling_configuration_first(strict_emulator):
    rds = strict_emulator.client("rds")
    net = network(strict_emulator)
    cluster = create_cluster(rds, net, scaling=None)
    assert error_of(create_writer, rds, cluster) == (
        "InvalidDBClusterStateFault",
        "Set the Serverless v2 scaling configuration on the parent DB cluster before creating a Serverless v2 DB "
        "instance.",
    )
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterMembers"] == []
    # A provisioned instance needs none.
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster}-provisioned",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-mysql",
        DBClusterIdentifier=cluster,
    )
    rds.modify_db_cluster(DBClusterIdentifier=cluster, ServerlessV2ScalingConfiguration=SCALING, ApplyImmediately=True)
    assert create_writer(rds, cluster) == f"{cluster}-1"


def test_health_lists_the_behaviours_and_windows(strict_emulator):
    with urllib.request.urlopen(f"{strict_emulator.url}/_livestack/health", timeout=10) as response:
        described = json.load(response)["strict"]
    assert {"rds_proxy_state", "rds_proxy_target_state", "rds_serverless_v2_scaling_first"} <= set(
        described["behaviours"]
    )
    assert {kind: described["seconds"][kind] for kind in WINDOWS} == WINDOWS


def test_lenient_mode_keeps_moto_leniency(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("rds-lenient"), "off") as emulator:
        rds = emulator.client("rds")
        net = network(emulator)
        cluster = create_cluster(rds, net, scaling=None)
        create_writer(rds, cluster)
        proxy = create_proxy(rds, net)
        rds.modify_db_proxy(DBProxyName=proxy, IdleClientTimeout=60)
        rds.register_db_proxy_targets(DBProxyName=proxy, DBClusterIdentifiers=[cluster])
        assert len(rds.describe_db_proxy_targets(DBProxyName=proxy)["Targets"]) == 2


def test_a_writer_requested_while_its_cluster_is_creating_waits_for_the_cluster(tmp_path_factory):
    # The cluster creating for 6 seconds, the writer's own creation for 1 (one second per AWS minute): the writer,
    # requested at once (the scaling configuration given to CreateDBCluster), is accepted and reads creating until
    # the cluster is available, then available.
    timing = json.dumps({"aurora_cluster": 6, "serverless_instance": 1})
    process, emulator = start_emulator(tmp_path_factory.mktemp("rds-overlap") / "emulator.log", "--timing", timing)
    try:
        rds = emulator.client("rds")
        cluster = create_cluster(rds, network(emulator))
        writer = create_writer(rds, cluster)

        def states() -> tuple[str, str]:
            found = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["Status"]
            return found, rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["DBInstanceStatus"]

        assert states() == ("creating", "creating")
        time.sleep(2)  # past the writer's own window, not the cluster's
        assert states() == ("creating", "creating")
        deadline = time.monotonic() + 30
        while states()[0] == "creating" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert states() == ("available", "available")
    finally:
        process.terminate()
        process.wait(timeout=30)
