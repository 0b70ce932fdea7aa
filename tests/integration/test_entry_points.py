"""The aurora role's later entry points (finish, wait) and rds_proxy's wait alone, in playbooks of their own.

The role converges first with aurora_wait false (role_alone.yml: the secret, the groups, the cluster and its writer
requested, nothing waited for); the writer is then deleted (as by hand, or by a run killed before its request);
targets/entry_points/entry_points.yml then runs `tasks_from: finish` and `tasks_from: wait` (then `wait` alone) with
nothing registered by an earlier run: they find the cluster and its secret by name, configure the scaling, create
the missing writer, record its endpoint in the secret and converge the users; the second time (with rds_proxy's
wait, after the proxy's converge without waiting for its targets) they change nothing. The network's and
client_vpn's entry points alone are in test_user_playbook.py.

Then aurora and rds_proxy alone with their network and cluster given as their own options (aurora_subnet_ids,
rds_proxy_cluster_identifier, ...) and no network or aurora role in the play: a network made with boto3, which no
stage lookup finds, so that a role still reading the network or aurora role's facts would look them up and fail.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from support.builders import rds_available, vpc_with_two_subnets

STAGE = "entryalone"
PLAYBOOK = str(Path(__file__).parent / "targets" / "entry_points" / "entry_points.yml")
ROLE_ALONE = str(Path(__file__).parent / "role_alone.yml")
FINISH_AND_WAIT = [["aurora", "finish"], ["aurora", "wait"]]
CLUSTER = f"livestack-{STAGE}-aurora"


@pytest.mark.playbook
def test_aurora_finish_wait_and_proxy_wait_alone_complete_the_stage_then_change_nothing(emulator, run_playbook):
    network = run_playbook("site.yml", "--tags", "network", stage=STAGE)
    assert network.rc == 0, network.output[-5000:]
    try:
        started = run_playbook(ROLE_ALONE, stage=STAGE, extra_vars={"livestack_role": "aurora", "aurora_wait": False})
        assert started.rc == 0, started.output[-5000:]
        rds = emulator.client("rds")
        secrets = emulator.client("secretsmanager")
        # A new cluster's writer is requested at once, while the cluster is creating (docs/aurora-critical-path.md).
        members = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [CLUSTER]}])["DBInstances"]
        assert [m["DBInstanceIdentifier"] for m in members] == [f"{CLUSTER}-1"]
        rds_available(rds, instances=[f"{CLUSTER}-1"])
        rds.delete_db_instance(DBInstanceIdentifier=f"{CLUSTER}-1", SkipFinalSnapshot=True)
        assert rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [CLUSTER]}])["DBInstances"] == []
        secret_id = f"livestack-{STAGE}/aurora/master"
        assert json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])["host"] == ""

        finished = run_playbook(PLAYBOOK, stage=STAGE, extra_vars={"entry_points": FINISH_AND_WAIT})
        assert finished.rc == 0, finished.output[-5000:]
        assert finished.recap["changed"] > 0
        cluster = rds.describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]
        assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 16.0}
        assert [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]] == [f"{CLUSTER}-1"]
        assert json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])["host"] == cluster["Endpoint"]
        users = emulator.client("rds-data").execute_statement(
            resourceArn=cluster["DBClusterArn"],
            secretArn=secrets.describe_secret(SecretId=secret_id)["ARN"],
            sql="SELECT User FROM mysql.user WHERE User = 'livestack'",
        )
        assert len(users["records"]) == 1

        proxy = run_playbook(
            ROLE_ALONE, stage=STAGE, extra_vars={"livestack_role": "rds_proxy", "rds_proxy_wait_for_targets": False}
        )
        assert proxy.rc == 0, proxy.output[-5000:]

        emulator.clear_requests()
        again = run_playbook(
            PLAYBOOK, stage=STAGE, extra_vars={"entry_points": [*FINISH_AND_WAIT, ["rds_proxy", "wait"]]}
        )
        assert again.rc == 0, again.output[-5000:]
        assert again.recap["changed"] == 0, again.output[-5000:]
        assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)

        emulator.clear_requests()
        waits = [["aurora", "wait"], ["rds_proxy", "wait"]]
        waited = run_playbook(PLAYBOOK, stage=STAGE, extra_vars={"entry_points": waits})
        assert waited.rc == 0, waited.output[-5000:]
        assert waited.recap["changed"] == 0, waited.output[-5000:]
        requests = emulator.requests(calls=True)
        assert requests["mutating"] == 0, requests
        # Nothing to wait for: one describe of the instances, one of the proxy.
        actions = Counter(call["action"] for call in requests["calls"])
        assert (actions["DescribeDBInstances"], actions["DescribeDBProxies"]) == (1, 1), actions
    finally:
        cleanup = run_playbook(
            "teardown.yml",
            "--tags",
            "network,aurora,rds_proxy",
            stage=STAGE,
            extra_vars={"aurora_skip_final_snapshot": True},
        )
        assert cleanup.rc == 0, cleanup.output[-5000:]


EXPLICIT = "explicitin"


@pytest.mark.playbook
def test_aurora_and_rds_proxy_alone_take_their_network_and_cluster_as_options(emulator, run_playbook):
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc, subnets = vpc_with_two_subnets(ec2, 61)
    group = ec2.create_security_group(GroupName="mine-database", Description="mine", VpcId=vpc)["GroupId"]
    cluster_id = f"livestack-{EXPLICIT}-aurora"
    aurora_options = {"livestack_role": "aurora", "aurora_subnet_ids": subnets, "aurora_security_group_id": group}
    try:
        emulator.clear_requests()
        no_group = run_playbook(
            ROLE_ALONE, stage=EXPLICIT, extra_vars={**aurora_options, "aurora_security_group_id": ""}
        )
        assert no_group.rc != 0 and "aurora_security_group_id the database security group (got '')" in no_group.output
        assert emulator.requests()["mutating"] == 0, "refused before the secret"

        emulator.clear_requests()
        aurora = run_playbook(ROLE_ALONE, stage=EXPLICIT, extra_vars=aurora_options)
        assert aurora.rc == 0, aurora.output[-5000:]
        actions = Counter(call["action"] for call in emulator.requests(calls=True)["calls"])
        assert actions["DescribeVpcs"] == 0, "no lookup of the stage's network"
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [group]
        subnet_group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
        assert sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == sorted(subnets)

        secret = emulator.client("secretsmanager").describe_secret(SecretId=f"livestack-{EXPLICIT}/aurora/master")
        proxy_options = {
            "livestack_role": "rds_proxy",
            "rds_proxy_subnet_ids": subnets,
            "rds_proxy_security_group_id": group,
            "rds_proxy_cluster_identifier": cluster_id,
            "rds_proxy_cluster_resource_id": cluster["DbClusterResourceId"],
            "rds_proxy_secret_arn": secret["ARN"],
            "rds_proxy_db_users": ["livestack"],
            "rds_proxy_wait_for_targets": False,
        }
        emulator.clear_requests()
        proxy = run_playbook(ROLE_ALONE, stage=EXPLICIT, extra_vars=proxy_options)
        assert proxy.rc == 0, proxy.output[-5000:]
        actions = Counter(call["action"] for call in emulator.requests(calls=True)["calls"])
        assert (actions["DescribeVpcs"], actions["DescribeSecret"]) == (0, 0), "no lookup of the network or cluster"
        found = rds.describe_db_proxies(DBProxyName=f"livestack-{EXPLICIT}-proxy")["DBProxies"][0]
        assert (sorted(found["VpcSubnetIds"]), found["VpcSecurityGroupIds"]) == (sorted(subnets), [group])
        targets = rds.describe_db_proxy_targets(DBProxyName=found["DBProxyName"])["Targets"]
        assert cluster_id in [target.get("RdsResourceId") for target in targets], targets

        again = run_playbook(ROLE_ALONE, stage=EXPLICIT, extra_vars=proxy_options)
        assert again.rc == 0, again.output[-5000:]
        assert again.recap["changed"] == 0, again.output[-5000:]
    finally:
        cleanup = run_playbook(
            "teardown.yml",
            "--tags",
            "aurora,rds_proxy",
            stage=EXPLICIT,
            extra_vars={"aurora_skip_final_snapshot": True},
        )
        assert cleanup.rc == 0, cleanup.output[-5000:]
        ec2.delete_security_group(GroupId=group)
        for subnet in subnets:
            ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
