"""Breaking a converged stage's posture behind Ansible's back (boto3), for the tests of playbooks/verify.yml."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from conftest import Emulator, PlaybookRun, ansible_playbook

BROKEN_RULE = re.compile(r"posture rule '([a-z-]+)' \(.*?\) is broken: (.*?)\"?$", re.MULTILINE)


def verify(emulator: Emulator, stage: str) -> tuple[PlaybookRun, dict[str, str]]:
    """Run verify.yml; its result, the rules it names broken (with their problems), and no mutating request made."""
    emulator.clear_requests()
    run = ansible_playbook("verify.yml", stage=stage, port=emulator.port)
    requests = emulator.requests(calls=True)
    mutating = [call["action"] for call in requests["calls"] if call["mutating"]]
    assert mutating == [], f"verify.yml made mutating requests: {mutating}"
    return run, {rule: problems for rule, problems in BROKEN_RULE.findall(run.output)}


def put_proxy_policy(iam, prefix: str, name: str, statement: dict) -> None:
    """One more inline policy on the proxy's role (whichever scheme's policy it already has)."""
    document = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=f"{prefix}-proxy", PolicyName=f"{prefix}-{name}", PolicyDocument=json.dumps(document))


def delete_proxy_policy(iam, prefix: str, name: str) -> None:
    iam.delete_role_policy(RoleName=f"{prefix}-proxy", PolicyName=f"{prefix}-{name}")


def attach_broader_policy(iam, prefix: str) -> None:
    arn = iam.create_policy(PolicyName=f"{prefix}-broader", PolicyDocument=json.dumps(BROADER_POLICY))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{prefix}-proxy", PolicyArn=arn)


def detach_broader_policy(iam, prefix: str, arn: str) -> None:
    iam.detach_role_policy(RoleName=f"{prefix}-proxy", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def named(resource: dict, name: str) -> bool:
    return {"Key": "Name", "Value": name} in resource.get("Tags", [])


def ids(emulator: Emulator, prefix: str) -> dict[str, str]:
    ec2 = emulator.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-vpc"]}])["Vpcs"][0]["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-private-a"]}])["Subnets"]
    endpoints = ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"]
    account = emulator.client("sts").get_caller_identity()["Account"]
    cluster = emulator.client("rds").describe_db_clusters(DBClusterIdentifier=f"{prefix}-aurora")["DBClusters"][0]
    return {
        "cluster_users": f"arn:aws:rds-db:us-east-1:{account}:dbuser:{cluster['DbClusterResourceId']}/*",
        "database_group": next(g["GroupId"] for g in groups if g["GroupName"] == f"{prefix}-database"),
        "private_subnet": subnets[0]["SubnetId"],
        "vpn_endpoint": next(e["ClientVpnEndpointId"] for e in endpoints if named(e, f"{prefix}-vpn")),
        "managed_policy": f"arn:aws:iam::{account}:policy/{prefix}-broader",
    }


# The emulator's account, which the payload bucket's name holds (S3 names are global).
ACCOUNT = "123456789012"
OPEN_INGRESS = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
BROADER_STATEMENT = {"Sid": "Broader", "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}
BROADER_POLICY = {"Version": "2012-10-17", "Statement": [BROADER_STATEMENT]}
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


Breakage = tuple[str, Callable[[], object], Callable[[], object]]


def breakages(emulator: Emulator, stage: str, found: dict[str, str]) -> list[Breakage]:
    """(rule, break, restore) for each posture broken, each through another API."""
    prefix = f"livestack-{stage}"
    ec2, rds, s3, iam = (emulator.client(name) for name in ("ec2", "rds", "s3", "iam"))
    group, subnet, endpoint = found["database_group"], found["private_subnet"], found["vpn_endpoint"]
    managed_policy = found["managed_policy"]
    any_user = {"Sid": "AnyUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": found["cluster_users"]}
    return [
        (
            "no-open-ingress",
            lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=OPEN_INGRESS),
            lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=OPEN_INGRESS),
        ),
        (
            "proxy-requires-tls",
            lambda: rds.modify_db_proxy(DBProxyName=f"{prefix}-proxy", RequireTLS=False),
            lambda: rds.modify_db_proxy(DBProxyName=f"{prefix}-proxy", RequireTLS=True),
        ),
        (
            "bucket-private",
            lambda: s3.put_public_access_block(
                Bucket=f"{prefix}-relay-{ACCOUNT}",
                PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False},
            ),
            lambda: s3.put_public_access_block(
                Bucket=f"{prefix}-relay-{ACCOUNT}", PublicAccessBlockConfiguration=ALL_BLOCKED
            ),
        ),
        (
            "proxy-role-reads-only-its-secret",
            lambda: put_proxy_policy(iam, prefix, "broader-inline", BROADER_STATEMENT),
            lambda: delete_proxy_policy(iam, prefix, "broader-inline"),
        ),
        (
            "proxy-role-connects-only-as-declared-users",
            lambda: put_proxy_policy(iam, prefix, "any-user", any_user),
            lambda: delete_proxy_policy(iam, prefix, "any-user"),
        ),
        (
            "proxy-role-reads-only-its-secret",
            lambda: attach_broader_policy(iam, prefix),
            lambda: detach_broader_policy(iam, prefix, managed_policy),
        ),
        (
            "stage-tags",
            lambda: ec2.delete_tags(Resources=[subnet], Tags=[{"Key": "livestack:stage"}]),
            lambda: ec2.create_tags(Resources=[subnet], Tags=[{"Key": "livestack:stage", "Value": stage}]),
        ),
        (
            "database-not-public",
            lambda: rds.modify_db_instance(
                DBInstanceIdentifier=f"{prefix}-aurora-1", PubliclyAccessible=True, ApplyImmediately=True
            ),
            lambda: rds.modify_db_instance(
                DBInstanceIdentifier=f"{prefix}-aurora-1", PubliclyAccessible=False, ApplyImmediately=True
            ),
        ),
        (
            "vpn-split-tunnel",
            lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint, SplitTunnel=False),
            lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint, SplitTunnel=True),
        ),
        (
            "database-users-iam-only",
            lambda: master_sql(emulator, prefix, "CREATE USER 'by_hand'@'%' IDENTIFIED BY 'by-hand-password-1'"),
            lambda: master_sql(emulator, prefix, "DROP USER 'by_hand'@'%'"),
        ),
    ]


def master_sql(emulator: Emulator, prefix: str, sql: str) -> None:
    """A statement run as the stage's master user through the Data API (as someone with the secret would)."""
    cluster = emulator.client("rds").describe_db_clusters(DBClusterIdentifier=f"{prefix}-aurora")["DBClusters"][0]
    secret = emulator.client("secretsmanager").describe_secret(SecretId=f"{prefix}/aurora/master")["ARN"]
    emulator.client("rds-data").execute_statement(resourceArn=cluster["DBClusterArn"], secretArn=secret, sql=sql)
