"""The rds_proxy role against the emulator, run alone (--tags rds_proxy) on the facts that the network
and aurora roles publish, made here with boto3: converge, idempotence, the least-privilege IAM policy,
bad input, teardown."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

STAGE = "proxyrole"
# The stand-in is the stage's (the stage check refuses a resource named like the stage without its tags).
OWNED = [{"Key": "livestack:project", "Value": "livestack"}, {"Key": "livestack:stage", "Value": STAGE}]
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def stage_facts(emulator):
    """The facts of the network and aurora roles, for resources made with boto3."""
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    groups = {
        name: ec2.create_security_group(GroupName=f"{STAGE}-{name}", Description=name, VpcId=vpc)["GroupId"]
        for name in ("app", "vpn", "database")
    }
    secrets = emulator.client("secretsmanager")
    secret = secrets.create_secret(Name=f"{STAGE}-db", SecretString='{"username": "admin", "password": "pw"}')["ARN"]
    other_secret = secrets.create_secret(Name=f"{STAGE}-other", SecretString="{}")["ARN"]
    rds.create_db_subnet_group(DBSubnetGroupName=STAGE, DBSubnetGroupDescription="d", SubnetIds=subnets)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=f"livestack-{STAGE}-aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName=STAGE,
        VpcSecurityGroupIds=[groups["database"]],
        Tags=OWNED,
    )["DBCluster"]
    rds.create_db_instance(
        Tags=OWNED,
        DBInstanceIdentifier=f"livestack-{STAGE}-aurora-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=cluster["DBClusterIdentifier"],
    )
    facts = {
        "network_vpc_id": vpc,
        "network_private_subnet_ids": subnets,
        "network_security_group_ids": groups,
        "aurora_cluster_identifier": cluster["DBClusterIdentifier"],
        "aurora_cluster_arn": cluster["DBClusterArn"],
        "aurora_cluster_resource_id": cluster["DbClusterResourceId"],
        "aurora_endpoint": cluster["Endpoint"],
        "aurora_port": cluster["Port"],
        "aurora_secret_arn": secret,
        "aurora_master_username": "admin",
        "aurora_kms_key_id": "",
    }
    kms = emulator.client("kms")
    key = kms.create_key(Description=f"{STAGE} database secret")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{STAGE}-db", TargetKeyId=key["KeyId"])
    return {"facts": facts, "other_secret": other_secret, "key_id": key["KeyId"], "key_arn": key["Arn"]}


def role_policy(emulator, role: str) -> dict:
    iam = emulator.client("iam")
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert names == [f"livestack-{STAGE}-proxy-read-secret"]
    document = iam.get_role_policy(RoleName=role, PolicyName=names[0])["PolicyDocument"]
    return json.loads(unquote(document)) if isinstance(document, str) else document


def test_role_converges_with_a_least_privilege_role_and_tears_down(emulator, run_playbook, stage_facts, tmp_path):
    facts = stage_facts["facts"]
    outputs = tmp_path / "outputs.json"
    variables = {**facts, "livestack_outputs_file": str(outputs)}
    proxy_name = f"livestack-{STAGE}-proxy"
    role_name = f"livestack-{STAGE}-proxy"

    emulator.clear_requests()
    check = run_playbook("site.yml", "--check", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert check.rc == 0, check.output[-5000:]
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    first = run_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert first.rc == 0, first.output[-5000:]
    assert first.recap["changed"] > 0

    rds, iam = emulator.client("rds"), emulator.client("iam")
    proxy = rds.describe_db_proxies(DBProxyName=proxy_name)["DBProxies"][0]
    assert (proxy["RequireTLS"], proxy["IdleClientTimeout"], proxy["DebugLogging"]) == (True, 7200, True)
    assert proxy["EngineFamily"] == "MYSQL"
    assert [(a["SecretArn"], a["IAMAuth"]) for a in proxy["Auth"]] == [(facts["aurora_secret_arn"], "REQUIRED")]
    assert sorted(proxy["VpcSubnetIds"]) == sorted(facts["network_private_subnet_ids"])
    assert proxy["VpcSecurityGroupIds"] == [facts["network_security_group_ids"]["database"]]
    assert proxy["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    pool = rds.describe_db_proxy_target_groups(DBProxyName=proxy_name)["TargetGroups"][0]["ConnectionPoolConfig"]
    assert pool["MaxConnectionsPercent"] == 100
    targets = rds.describe_db_proxy_targets(DBProxyName=proxy_name)["Targets"]
    assert [t["RdsResourceId"] for t in targets if t["Type"] == "TRACKED_CLUSTER"] == [
        facts["aurora_cluster_identifier"]
    ]

    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "rds.amazonaws.com"}]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []

    resource_id = proxy["DBProxyArn"].rsplit(":", 1)[1]
    published = json.loads(outputs.read_text())["rds_proxy"]
    assert published["endpoint"] == proxy["Endpoint"]
    assert published["resource_id"] == resource_id
    connect = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{resource_id}/admin"
    assert published["client_policy_resource"] == connect
    client_policy = iam.get_policy(PolicyArn=published["client_policy_arn"])["Policy"]
    version = iam.get_policy_version(PolicyArn=client_policy["Arn"], VersionId=client_policy["DefaultVersionId"])
    document = version["PolicyVersion"]["Document"]
    document = json.loads(unquote(document)) if isinstance(document, str) else document
    assert [(s["Action"], s["Resource"]) for s in document["Statement"]] == [(["rds-db:connect"], [connect])]

    emulator.clear_requests()
    second = run_playbook("site.yml", "--diff", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert second.rc == 0, second.output[-5000:]
    assert second.recap["changed"] == 0, second.output[-5000:]
    assert emulator.requests()["mutating"] == 0

    down = run_playbook("teardown.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert down.rc == 0, down.output[-5000:]
    assert [p for p in rds.describe_db_proxies()["DBProxies"] if STAGE in p["DBProxyName"]] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role_name] == []
    assert [
        p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"].startswith(f"livestack-{STAGE}")
    ] == []


@pytest.mark.parametrize(
    "key",
    ["", "key_id", "key_arn", f"alias/{STAGE}-db"],
    ids=["aws-managed-key", "customer-key-id", "customer-key-arn", "customer-key-alias"],
)
def test_the_role_policy_reads_only_the_one_secret(emulator, run_playbook, stage_facts, key):
    kms_key_id = stage_facts.get(key, key)
    key_arn = stage_facts["key_arn"] if key else None
    facts = {**stage_facts["facts"], "aurora_kms_key_id": kms_key_id}
    # Only the IAM part of the role: the proxy is tested above.
    result = run_playbook(
        "site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars={**facts, "network_private_subnet_ids": ["", ""]}
    )
    try:
        assert result.rc == 0, result.output[-5000:]
        policy = role_policy(emulator, f"livestack-{STAGE}-proxy")
        expected = [
            {
                "Sid": "ReadTheDatabaseSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [facts["aurora_secret_arn"]],
            }
        ]
        if key_arn:
            expected.append(
                {
                    "Sid": "DecryptTheDatabaseSecret",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [key_arn],
                    "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
                }
            )
        assert policy["Statement"] == expected
        text = json.dumps(policy)
        assert stage_facts["other_secret"] not in text
        assert "*" not in text, "no wildcard resource or action"
    finally:
        assert run_playbook("teardown.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=facts).rc == 0


# Bad options (ranges, choices, the name) are in tests/integration/bad_inputs.yml; these need the facts.
BAD_INPUT = [
    ({"aurora_secret_arn": "db-secret"}, "aurora_secret_arn (a Secrets Manager ARN, got 'db-secret')"),
    ({"network_private_subnet_ids": ["subnet-a"]}, "the proxy needs network_private_subnet_ids (two)"),
    ({"aurora_kms_key_id": "alias/no-such-key"}, "aurora_kms_key_id 'alias/no-such-key' names no KMS key of us-east-1"),
]


@pytest.mark.parametrize(("variables", "message"), BAD_INPUT, ids=[m[:40] for _, m in BAD_INPUT])
def test_bad_input_fails_before_any_mutating_call(emulator, run_playbook, stage_facts, variables, message):
    emulator.clear_requests()
    result = run_playbook(
        "site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars={**stage_facts["facts"], **variables}
    )
    assert result.rc != 0
    assert message in result.output
    assert emulator.requests()["mutating"] == 0
