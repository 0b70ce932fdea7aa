"""Realistic timing: resources stay transitional for their scaled AWS duration, then settle."""

from __future__ import annotations

import json
import sys
import time

import pytest
from conftest import ROOT, start_emulator

from livestack_emulator import strict
from livestack_emulator.timing import AWS_MINUTES, Timing

# 2 AWS minutes of a NAT gateway at 0.5 s per minute: pending for one second.
SPEC = json.dumps({"scale": 0.5, "aurora_cluster": 2, "nat_gateway": 2})


@pytest.fixture(scope="module")
def timed_emulator(tmp_path_factory):
    process, emulator = start_emulator(tmp_path_factory.mktemp("timed") / "emulator.log", "--timing", SPEC)
    try:
        yield emulator
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until(read, expected, timeout=10.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(read())
        if seen[-1] == expected:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"never {expected!r}; saw {seen[-5:]}")


def test_nat_gateway_is_pending_then_available(timed_emulator):
    ec2 = timed_emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.0.0/24")["Subnet"]["SubnetId"]
    created = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    nat = created["NatGateway"]["NatGatewayId"]
    assert created["NatGateway"]["State"] == "pending"
    seen = wait_until(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"], "available")
    assert seen[0] == "pending"


def test_aurora_cluster_is_creating_then_available(timed_emulator):
    rds = timed_emulator.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="timed", Engine="aurora-mysql", MasterUsername="admin", MasterUserPassword="password123"
    )
    seen = wait_until(
        lambda: rds.describe_db_clusters(DBClusterIdentifier="timed")["DBClusters"][0]["Status"], "available"
    )
    assert seen[0] == "creating"


def test_timing_is_off_unless_asked_and_rejects_unknown_kinds():
    assert Timing(None).seconds("nat_gateway") == 0
    # Strict mode keeps its own windows with timing off (a new proxy creating a second by default).
    assert Timing(None).seconds("proxy") == strict.current.seconds("proxy")
    assert Timing("realistic").seconds("proxy") == AWS_MINUTES["proxy"]
    assert Timing('{"scale": 2, "proxy": 3}').seconds("proxy") == 6
    with pytest.raises(ValueError, match="unknown timing kinds"):
        Timing('{"nat": 1}')


def test_the_bench_models_the_graph_as_site_yml_and_aws_order_it():
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    import bench

    # The writer requested while the cluster is creating: the proxy, created once the cluster is available, is last.
    assert bench.critical_path(AWS_MINUTES) == (11.0, ["aurora_cluster", "proxy"])
    # The cluster-then-writer chain (Terraform, CloudFormation).
    assert bench.critical_path(AWS_MINUTES, bench.CHAIN) == (13.0, ["aurora_cluster", "serverless_instance"])
    # A writer is available no earlier than its cluster, however short its own creation.
    slow_cluster = {**AWS_MINUTES, "aurora_cluster": 9.0, "proxy": 0.0}
    assert bench.critical_path(slow_cluster) == (9.0, ["aurora_cluster"])
