"""The rds_db_proxy module against the emulator, the amazon.aws way (four steps per change).

The scenarios live in tests/integration/targets/rds_db_proxy/tasks/; each runs in one ansible-playbook
process, against a database that the fixture makes with boto3.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

PLAYBOOK = str(Path(__file__).resolve().parent / "targets" / "rds_db_proxy" / "playbook.yml")
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
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName="proxy-it",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=cluster,
    )
    return {"subnets": subnets, "group": group, "secret": secret, "role": role, "cluster": cluster}


@pytest.mark.parametrize(
    "scenario", ["create_and_delete", "in_place_change", "end_to_end_iam", "targets", "replacement", "bad_input"]
)
def test_rds_db_proxy(emulator, run_playbook, database, scenario):
    result = run_playbook(
        PLAYBOOK,
        stage="proxy-it",
        extra_vars={
            "rds_db_proxy_scenario": scenario,
            "rds_db_proxy_name": f"proxy-it-{next(_numbers)}",
            "rds_db_proxy_database": database,
        },
    )
    assert result.rc == 0, result.output[-6000:]
    assert result.recap["failed"] == 0
    assert "[WARNING]" not in result.output, result.output[-6000:]
    left = [p["DBProxyName"] for p in emulator.client("rds").describe_db_proxies()["DBProxies"]]
    assert [name for name in left if name.startswith("proxy-it-")] == [], "the scenario left a proxy behind"
