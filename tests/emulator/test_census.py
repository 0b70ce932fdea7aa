"""tests/census.py finds a stage's resources in every service, and only that stage's."""

from __future__ import annotations

import json

from census import KINDS, count, stage_resources


def _tags(stage: str, name: str) -> list[dict[str, str]]:
    return [
        {"Key": "Name", "Value": name},
        {"Key": "livestack:project", "Value": "livestack"},
        {"Key": "livestack:stage", "Value": stage},
    ]


def _make(emulator, stage: str) -> dict[str, str]:
    prefix = f"livestack-{stage}"
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.77.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(stage, f"{prefix}-vpc")}],
    )["Vpc"]["VpcId"]
    ec2.create_security_group(
        GroupName=f"{prefix}-app",
        Description="census",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(stage, f"{prefix}-app")}],
    )
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    iam = emulator.client("iam")
    iam.create_role(RoleName=f"{prefix}-relay", AssumeRolePolicyDocument=json.dumps(trust))
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    iam.put_role_policy(RoleName=f"{prefix}-relay", PolicyName="inline", PolicyDocument=json.dumps(policy))
    emulator.client("s3").create_bucket(Bucket=f"{prefix}-relay-payloads")
    emulator.client("secretsmanager").create_secret(
        Name=f"{prefix}/aurora/master", SecretString="{}", Tags=_tags(stage, f"{prefix}/aurora/master")
    )
    emulator.client("dynamodb").create_table(
        TableName=f"{prefix}-relay",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return {"vpc": vpc}


def test_census_counts_the_stage_kind_by_kind_and_ignores_other_stages(emulator):
    mine = _make(emulator, "census-a")
    _make(emulator, "census-ab")  # a stage whose name starts with the other's

    found = stage_resources(emulator, "census-a")

    assert set(found) == set(KINDS)
    assert found["vpc"] == [mine["vpc"]]
    assert len(found["security_group"]) == 1
    assert found["iam_role"] == ["livestack-census-a-relay"]
    assert found["iam_role_policy"] == ["livestack-census-a-relay/inline"]
    assert found["s3_bucket"] == ["livestack-census-a-relay-payloads"]
    assert len(found["secret"]) == 1
    assert found["dynamodb_table"] == ["livestack-census-a-relay"]
    assert count(found) == 7


def test_census_of_an_empty_stage_is_empty(emulator):
    found = stage_resources(emulator, "census-nothing")
    assert count(found) == 0
