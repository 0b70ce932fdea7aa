"""playbooks/verify.yml, the read-only posture check, on a whole converged stage: it passes with no mutating
request, and with the posture broken (by boto3, behind Ansible's back) it fails naming exactly the broken rules."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import pytest
from conftest import ROOT, Emulator, PlaybookRun, playbook_command

STAGE = "verify"
PREFIX = f"livestack-{STAGE}"
BROKEN_RULE = re.compile(r"posture rule '([a-z-]+)' \(.*?\) is broken: (.*?)\"?$", re.MULTILINE)


def play(emulator: Emulator, playbook: str) -> PlaybookRun:
    command, env = playbook_command(playbook, stage=STAGE, extra_vars=None, port=emulator.port)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    return PlaybookRun(result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="module")
def stage(emulator: Emulator) -> Iterator[Emulator]:
    """The whole stack of the stage, converged once; torn down after the module's tests."""
    converge = play(emulator, "site.yml")
    try:
        assert converge.rc == 0, converge.output[-3000:]
        yield emulator
    finally:
        teardown = play(emulator, "teardown.yml")
        assert teardown.rc == 0, teardown.output[-3000:]


def verify(emulator: Emulator) -> tuple[PlaybookRun, dict[str, str]]:
    """Run verify.yml; its result, the rules it names broken (with their problems), and no mutating request made."""
    emulator.clear_requests()
    run = play(emulator, "verify.yml")
    requests = emulator.requests(calls=True)
    mutating = [call["action"] for call in requests["calls"] if call["mutating"]]
    assert mutating == [], f"verify.yml made mutating requests: {mutating}"
    return run, {rule: problems for rule, problems in BROKEN_RULE.findall(run.output)}


def test_the_converged_stage_passes_with_no_mutating_request(stage: Emulator) -> None:
    run, broken = verify(stage)
    assert run.rc == 0 and broken == {}, run.output[-5000:]
    assert run.recap["changed"] == 0
    assert "13 posture rules hold for stage verify" in run.output


def proxy_policy(iam) -> dict:
    """The document of the proxy role's inline policy, as the rds_proxy role wrote it."""
    found = iam.get_role_policy(RoleName=f"{PREFIX}-proxy", PolicyName=f"{PREFIX}-proxy-read-secret")
    document = found["PolicyDocument"]
    return json.loads(unquote(document)) if isinstance(document, str) else document


def put_proxy_policy(iam, document: dict) -> None:
    iam.put_role_policy(
        RoleName=f"{PREFIX}-proxy", PolicyName=f"{PREFIX}-proxy-read-secret", PolicyDocument=json.dumps(document)
    )


def attach_broader_policy(iam) -> None:
    arn = iam.create_policy(PolicyName=f"{PREFIX}-broader", PolicyDocument=json.dumps(BROADER_POLICY))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{PREFIX}-proxy", PolicyArn=arn)


def detach_broader_policy(iam, arn: str) -> None:
    iam.detach_role_policy(RoleName=f"{PREFIX}-proxy", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def named(resource: dict, name: str) -> bool:
    return {"Key": "Name", "Value": name} in resource.get("Tags", [])


def ids(emulator: Emulator) -> dict[str, str]:
    ec2 = emulator.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"][0]["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-private-a"]}])["Subnets"]
    endpoints = ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"]
    account = emulator.client("sts").get_caller_identity()["Account"]
    return {
        "database_group": next(g["GroupId"] for g in groups if g["GroupName"] == f"{PREFIX}-database"),
        "private_subnet": subnets[0]["SubnetId"],
        "vpn_endpoint": next(e["ClientVpnEndpointId"] for e in endpoints if named(e, f"{PREFIX}-vpn")),
        "managed_policy": f"arn:aws:iam::{account}:policy/{PREFIX}-broader",
    }


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


def breakages(emulator: Emulator, found: dict[str, str]) -> list[Breakage]:
    """(rule, break, restore) for each posture broken, each through another API."""
    ec2, rds, s3, iam = (emulator.client(name) for name in ("ec2", "rds", "s3", "iam"))
    group, subnet, endpoint = found["database_group"], found["private_subnet"], found["vpn_endpoint"]
    policy, managed_policy = proxy_policy(iam), found["managed_policy"]
    return [
        (
            "no-open-ingress",
            lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=OPEN_INGRESS),
            lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=OPEN_INGRESS),
        ),
        (
            "proxy-requires-tls",
            lambda: rds.modify_db_proxy(DBProxyName=f"{PREFIX}-proxy", RequireTLS=False),
            lambda: rds.modify_db_proxy(DBProxyName=f"{PREFIX}-proxy", RequireTLS=True),
        ),
        (
            "bucket-private",
            lambda: s3.put_public_access_block(
                Bucket=f"{PREFIX}-relay-payloads",
                PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False},
            ),
            lambda: s3.put_public_access_block(
                Bucket=f"{PREFIX}-relay-payloads", PublicAccessBlockConfiguration=ALL_BLOCKED
            ),
        ),
        (
            "proxy-role-reads-only-its-secret",
            lambda: put_proxy_policy(iam, {**policy, "Statement": [*policy["Statement"], BROADER_STATEMENT]}),
            lambda: put_proxy_policy(iam, policy),
        ),
        (
            "proxy-role-reads-only-its-secret",
            lambda: attach_broader_policy(iam),
            lambda: detach_broader_policy(iam, managed_policy),
        ),
        (
            "stage-tags",
            lambda: ec2.delete_tags(Resources=[subnet], Tags=[{"Key": "livestack:stage"}]),
            lambda: ec2.create_tags(Resources=[subnet], Tags=[{"Key": "livestack:stage", "Value": STAGE}]),
        ),
        (
            "database-not-public",
            lambda: rds.modify_db_instance(
                DBInstanceIdentifier=f"{PREFIX}-aurora-1", PubliclyAccessible=True, ApplyImmediately=True
            ),
            lambda: rds.modify_db_instance(
                DBInstanceIdentifier=f"{PREFIX}-aurora-1", PubliclyAccessible=False, ApplyImmediately=True
            ),
        ),
        (
            "vpn-split-tunnel",
            lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint, SplitTunnel=False),
            lambda: ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint, SplitTunnel=True),
        ),
    ]


def test_a_broken_posture_fails_naming_each_broken_rule(stage: Emulator) -> None:
    """Every breakage at once (one verify run instead of eight): each rule reports its own, and only those fail."""
    found = ids(stage)
    cases = breakages(stage, found)
    restores = []
    try:
        for _, breaking, restoring in cases:
            breaking()
            restores.append(restoring)
        run, broken = verify(stage)
    finally:
        for restoring in reversed(restores):
            restoring()
    assert run.rc != 0
    # The open ingress also breaks the exact-ingress rule of the database group.
    assert set(broken) == {rule for rule, _, _ in cases} | {"security-group-ingress"}, run.output[-5000:]
    assert "0.0.0.0/0" in broken["no-open-ingress"] and "tcp 22-22" in broken["security-group-ingress"]
    assert "RequireTLS is off" in broken["proxy-requires-tls"]
    assert "BlockPublicPolicy is not true" in broken["bucket-private"]
    assert "statement Broader allows secretsmanager:* on *" in broken["proxy-role-reads-only-its-secret"]
    assert f"managed policy {found['managed_policy']} is attached" in broken["proxy-role-reads-only-its-secret"]
    assert re.search(r"subnet subnet-\w+ has no livestack:stage tag", broken["stage-tags"])
    assert "split tunnel is off" in broken["vpn-split-tunnel"]
    assert f"instance {PREFIX}-aurora-1 is publicly accessible" in broken["database-not-public"]
