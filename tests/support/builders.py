"""What a test builds with boto3 instead of running a role: a network, an Aurora cluster, a stage's stand-in."""

from __future__ import annotations

import time


def vpc_with_two_subnets(ec2, second_octet: int) -> tuple[str, list[str]]:
    """A VPC 10.<second_octet>.0.0/16 made with boto3 and two /24 subnets in us-east-1a and us-east-1b (what an
    Aurora subnet group or an RDS Proxy needs): the VPC id and the subnet ids."""
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    return vpc, subnets


def serverless_cluster(rds, identifier: str, password: str, tags: list | None = None, **options) -> dict:
    """An Aurora MySQL Serverless v2 cluster (0.5 to 2 ACU, IAM database authentication, master user admin) and its
    db.serverless writer ``<identifier>-1``, as the aurora role makes them: the DBCluster."""
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword=password,
        EnableIAMDatabaseAuthentication=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
        Tags=tags or [],
        **options,
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{identifier}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=identifier,
        Tags=tags or [],
    )
    return cluster


def stage_stand_in(emulator, stage: str, second_octet: int, secret: str = "{}", users: tuple = ("app",)) -> dict:
    """A stage's network and Aurora cluster made with boto3 (owned by the stage, as the roles tag them), and the
    facts the network and aurora roles would publish for them: what the rds_proxy role runs on alone."""
    owned = [{"Key": "livestack:project", "Value": "livestack"}, {"Key": "livestack:stage", "Value": stage}]
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc, subnets = vpc_with_two_subnets(ec2, second_octet)
    groups = {
        name: ec2.create_security_group(GroupName=f"{stage}-{name}", Description=name, VpcId=vpc)["GroupId"]
        for name in ("app", "vpn", "database")
    }
    secret_arn = emulator.client("secretsmanager").create_secret(Name=f"{stage}-db", SecretString=secret)["ARN"]
    rds.create_db_subnet_group(DBSubnetGroupName=stage, DBSubnetGroupDescription="d", SubnetIds=subnets)
    cluster = serverless_cluster(
        rds,
        f"livestack-{stage}-aurora",
        "password1",
        tags=owned,
        DBSubnetGroupName=stage,
        VpcSecurityGroupIds=[groups["database"]],
    )
    return {
        "network_vpc_id": vpc,
        "network_private_subnet_ids": subnets,
        "network_security_group_ids": groups,
        "aurora_cluster_identifier": cluster["DBClusterIdentifier"],
        "aurora_cluster_arn": cluster["DBClusterArn"],
        "aurora_cluster_resource_id": cluster["DbClusterResourceId"],
        "aurora_endpoint": cluster["Endpoint"],
        "aurora_port": cluster["Port"],
        "aurora_secret_arn": secret_arn,
        "aurora_master_username": "admin",
        "aurora_kms_key_id": "",
        "aurora_user_names": list(users),
    }


def rds_available(rds, proxy: str | None = None, instances: tuple[str, ...] | list[str] = (), timeout: float = 60.0):
    """Wait, as a client must on AWS, until the DB instances and the RDS Proxy are available: in strict mode a new
    one stays creating a while (strict.SECONDS), and AWS refuses to register or change it meanwhile."""
    attempts = max(int(timeout / 0.2), 1)
    for instance in instances:
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=instance, WaiterConfig={"Delay": 0.2, "MaxAttempts": attempts}
        )
    deadline = time.monotonic() + timeout
    while proxy and rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["Status"] != "available":
        assert time.monotonic() < deadline, f"RDS proxy {proxy} not available after {timeout}s"
        time.sleep(0.2)
