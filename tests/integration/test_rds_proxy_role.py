"""The rds_proxy role against the emulator, run alone (--tags rds_proxy) on the facts that the network
and aurora roles publish, made here with boto3 and pymysql: converge, end-to-end IAM through the proxy
(TLS + token) as a declared user, refusal of any other, idempotence, rotation of a user, the least-privilege
IAM policies, bad input, teardown."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import unquote

import pymysql
import pytest
from support.builders import stage_stand_in

STAGE = "proxyrole"
ACCOUNT = "123456789012"
ACCESS_DENIED = 1045
# IAM users of the cluster: app and report are declared, intruder never is.
DB_USERS = ("app", "report", "intruder")


def connect(emulator, host: str, user: str, **options) -> pymysql.connections.Connection:
    """A TLS connection verified against the emulator's CA, retried while the endpoint is still starting."""
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        ca = json.load(response)["ca_bundle"]
    deadline = time.monotonic() + 60
    while True:
        try:
            return pymysql.connect(
                host=host, port=3306, user=user, ssl={"ca": ca, "check_hostname": True}, connect_timeout=5, **options
            )
        except pymysql.err.OperationalError as error:
            if error.args[0] == ACCESS_DENIED or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def connect_with_token(emulator, host: str, user: str) -> pymysql.connections.Connection:
    token = emulator.client("rds").generate_db_auth_token(host, 3306, user)
    return connect(emulator, host, user, password=token)


def current_user(connection: pymysql.connections.Connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        return cursor.fetchone()[0]


def refused(emulator, host: str, user: str) -> int:
    with pytest.raises(pymysql.err.OperationalError) as error:
        connect_with_token(emulator, host, user).close()
    return error.value.args[0]


def document(found) -> dict:
    return json.loads(unquote(found)) if isinstance(found, str) else found


@pytest.fixture(scope="module")
def stage_facts(emulator):
    """The facts of the network and aurora roles, for resources made with boto3."""
    facts = stage_stand_in(
        emulator, STAGE, 40, secret='{"username": "admin", "password": "password1"}', users=("app", "report")
    )
    other_secret = emulator.client("secretsmanager").create_secret(Name=f"{STAGE}-other", SecretString="{}")["ARN"]
    # The aurora role makes its users through the Data API; here the master makes them over TLS.
    with connect(emulator, facts["aurora_endpoint"], "admin", password="password1") as db, db.cursor() as cursor:
        cursor.execute("CREATE DATABASE app")
        for user in DB_USERS:
            cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
            cursor.execute(f"GRANT SELECT ON app.* TO '{user}'@'%'")
    kms = emulator.client("kms")
    key = kms.create_key(Description=f"{STAGE} database secret")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{STAGE}-db", TargetKeyId=key["KeyId"])
    return {"facts": facts, "other_secret": other_secret, "key_id": key["KeyId"], "key_arn": key["Arn"]}


def role_policy(emulator, role: str, name: str) -> dict:
    """The role's one inline policy, which must be ``name``."""
    iam = emulator.client("iam")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [name]
    return document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])


def client_policies(emulator) -> dict[str, list]:
    """The stage's client policies: name -> the resources of their rds-db:connect statements."""
    iam = emulator.client("iam")
    found = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        if policy["PolicyName"].startswith(f"livestack-{STAGE}-proxy-connect"):
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            statements = document(version["PolicyVersion"]["Document"])["Statement"]
            found[policy["PolicyName"]] = [(s["Action"], s["Resource"]) for s in statements]
    return found


def test_end_to_end_iam_admits_exactly_the_declared_users_and_tears_down(emulator, run_playbook, stage_facts, tmp_path):
    facts = stage_facts["facts"]
    outputs = tmp_path / "outputs.json"
    variables = {**facts, "livestack_outputs_file": str(outputs)}
    proxy_name = role_name = f"livestack-{STAGE}-proxy"
    cluster_user = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{facts['aurora_cluster_resource_id']}"
    iam = emulator.client("iam")
    # Another stage's client policy of the same user: never this stage's to change or delete.
    foreign = iam.create_policy(
        PolicyName="livestack-elsewhere-proxy-connect-app",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "rds-db:connect",
                        "Resource": f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:prx-x/app",
                    }
                ],
            }
        ),
        Tags=[{"Key": "livestack:project", "Value": "livestack"}, {"Key": "livestack:stage", "Value": "elsewhere"}],
    )["Policy"]["Arn"]

    emulator.clear_requests()
    check = run_playbook("site.yml", "--check", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert check.rc == 0, check.output[-5000:]
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    first = run_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert first.rc == 0, first.output[-5000:]
    assert first.recap["changed"] > 0

    rds = emulator.client("rds")
    proxy = rds.describe_db_proxies(DBProxyName=proxy_name)["DBProxies"][0]
    assert (proxy["RequireTLS"], proxy["IdleClientTimeout"], proxy["DebugLogging"]) == (True, 7200, True)
    assert proxy["EngineFamily"] == "MYSQL"
    assert proxy["DefaultAuthScheme"] == "IAM_AUTH"
    assert proxy.get("Auth", []) == [], "end-to-end IAM: the proxy holds no secret"
    assert sorted(proxy["VpcSubnetIds"]) == sorted(facts["network_private_subnet_ids"])
    assert proxy["VpcSecurityGroupIds"] == [facts["network_security_group_ids"]["database"]]
    assert proxy["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    pool = rds.describe_db_proxy_target_groups(DBProxyName=proxy_name)["TargetGroups"][0]["ConnectionPoolConfig"]
    assert pool["MaxConnectionsPercent"] == 100
    targets = rds.describe_db_proxy_targets(DBProxyName=proxy_name)["Targets"]
    assert [t["RdsResourceId"] for t in targets if t["Type"] == "TRACKED_CLUSTER"] == [
        facts["aurora_cluster_identifier"]
    ]

    trust = document(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "rds.amazonaws.com"}]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    connect_policy = role_policy(emulator, role_name, f"livestack-{STAGE}-proxy-connect-db-users")
    assert [(s["Action"], s["Resource"]) for s in connect_policy["Statement"]] == [
        (["rds-db:connect"], [f"{cluster_user}/app", f"{cluster_user}/report"])
    ]

    resource_id = proxy["DBProxyArn"].rsplit(":", 1)[1]
    proxy_user = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{resource_id}"
    published = json.loads(outputs.read_text())["rds_proxy"]
    assert published["endpoint"] == proxy["Endpoint"]
    assert published["resource_id"] == resource_id
    assert published["auth_scheme"] == "IAM_AUTH"
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/livestack-{STAGE}-proxy-connect"
    assert published["client_policy_arns"] == {"app": f"{policy_arn}-app", "report": f"{policy_arn}-report"}
    assert client_policies(emulator) == {
        f"livestack-{STAGE}-proxy-connect-app": [(["rds-db:connect"], [f"{proxy_user}/app"])],
        f"livestack-{STAGE}-proxy-connect-report": [(["rds-db:connect"], [f"{proxy_user}/report"])],
    }

    # Through the proxy, over verified TLS, with a token: the declared users get in as themselves.
    for user in ("app", "report"):
        with connect_with_token(emulator, proxy["Endpoint"], user) as db:
            assert current_user(db) == f"{user}@%"
    # intruder is an IAM user of the cluster, but the proxy's role may not connect as it.
    assert refused(emulator, proxy["Endpoint"], "intruder") == ACCESS_DENIED

    emulator.clear_requests()
    second = run_playbook("site.yml", "--diff", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert second.rc == 0, second.output[-5000:]
    assert second.recap["changed"] == 0, second.output[-5000:]
    assert emulator.requests()["mutating"] == 0

    # Drift: the role, its policies and the client policies are read once per run (iam_roles_info), and what changed
    # out of band is put back: a managed policy attached to the role, a secret policy it must not have, a client
    # policy's new default version and a tag removed from another.
    iam.attach_role_policy(RoleName=role_name, PolicyArn=foreign)
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName=f"livestack-{STAGE}-proxy-read-secret",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    iam.create_policy_version(
        PolicyArn=f"{policy_arn}-app",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
        SetAsDefault=True,
    )
    iam.untag_policy(PolicyArn=f"{policy_arn}-report", TagKeys=["Name"])
    fixed = run_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert fixed.rc == 0 and fixed.recap["changed"] > 0, fixed.output[-5000:]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == [f"livestack-{STAGE}-proxy-connect-db-users"]
    assert client_policies(emulator)[f"livestack-{STAGE}-proxy-connect-app"] == [
        (["rds-db:connect"], [f"{proxy_user}/app"])
    ]
    report_tags = iam.list_policy_tags(PolicyArn=f"{policy_arn}-report")["Tags"]
    assert {"Key": "Name", "Value": f"livestack-{STAGE}-proxy-connect-report"} in report_tags
    emulator.clear_requests()
    again = run_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert again.rc == 0 and again.recap["changed"] == 0, again.output[-5000:]
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)

    # report is no longer declared: its client policy and its place in the role's policy go in the same run.
    rotated = run_playbook(
        "site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars={**variables, "aurora_user_names": ["app"]}
    )
    assert rotated.rc == 0, rotated.output[-5000:]
    connect_policy = role_policy(emulator, role_name, f"livestack-{STAGE}-proxy-connect-db-users")
    assert connect_policy["Statement"][0]["Resource"] == [f"{cluster_user}/app"]
    assert list(client_policies(emulator)) == [f"livestack-{STAGE}-proxy-connect-app"]
    assert json.loads(outputs.read_text())["rds_proxy"]["client_policy_arns"] == {"app": f"{policy_arn}-app"}
    assert refused(emulator, proxy["Endpoint"], "report") == ACCESS_DENIED
    with connect_with_token(emulator, proxy["Endpoint"], "app") as db:
        assert current_user(db) == "app@%"

    down = run_playbook("teardown.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
    assert down.rc == 0, down.output[-5000:]
    assert [p for p in rds.describe_db_proxies()["DBProxies"] if STAGE in p["DBProxyName"]] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role_name] == []
    assert client_policies(emulator) == {}
    assert iam.get_policy(PolicyArn=foreign)["Policy"]["PolicyName"] == "livestack-elsewhere-proxy-connect-app"
    iam.delete_policy(PolicyArn=foreign)


def test_the_secrets_scheme_keeps_the_master_secret_and_the_masters_client_policy(
    emulator, run_playbook, stage_facts, tmp_path
):
    facts = stage_facts["facts"]
    outputs = tmp_path / "outputs.json"
    variables = {**facts, "rds_proxy_auth_scheme": "SECRETS", "livestack_outputs_file": str(outputs)}
    try:
        result = run_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
        assert result.rc == 0, result.output[-5000:]
        proxy = emulator.client("rds").describe_db_proxies(DBProxyName=f"livestack-{STAGE}-proxy")["DBProxies"][0]
        assert proxy.get("DefaultAuthScheme", "NONE") == "NONE"
        assert [(a["SecretArn"], a["IAMAuth"]) for a in proxy["Auth"]] == [(facts["aurora_secret_arn"], "REQUIRED")]
        role_policy(emulator, f"livestack-{STAGE}-proxy", f"livestack-{STAGE}-proxy-read-secret")
        published = json.loads(outputs.read_text())["rds_proxy"]
        assert list(published["client_policy_arns"]) == ["admin"]
        assert list(client_policies(emulator)) == [f"livestack-{STAGE}-proxy-connect-admin"]
        with connect_with_token(emulator, proxy["Endpoint"], "admin") as db:
            assert current_user(db) == "admin@%"
    finally:
        down = run_playbook("teardown.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars=variables)
        assert down.rc == 0, down.output[-5000:]
    assert client_policies(emulator) == {}


@pytest.mark.parametrize(
    "key",
    ["", "key_id", "key_arn", f"alias/{STAGE}-db"],
    ids=["aws-managed-key", "customer-key-id", "customer-key-arn", "customer-key-alias"],
)
def test_the_role_policy_reads_only_the_one_secret(emulator, run_playbook, stage_facts, key):
    kms_key_id = stage_facts.get(key, key)
    key_arn = stage_facts["key_arn"] if key else None
    facts = {**stage_facts["facts"], "aurora_kms_key_id": kms_key_id, "rds_proxy_auth_scheme": "SECRETS"}
    # Only the IAM part of the role: the proxy is tested above.
    result = run_playbook(
        "site.yml", "--tags", "rds_proxy", stage=STAGE, extra_vars={**facts, "network_private_subnet_ids": ["", ""]}
    )
    try:
        assert result.rc == 0, result.output[-5000:]
        policy = role_policy(emulator, f"livestack-{STAGE}-proxy", f"livestack-{STAGE}-proxy-read-secret")
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
    ({"rds_proxy_secret_arn": "db-secret"}, "rds_proxy_secret_arn (a Secrets Manager ARN, got 'db-secret')"),
    ({"rds_proxy_subnet_ids": ["subnet-a"]}, "the proxy needs rds_proxy_subnet_ids (two, got 1)"),
    (
        {"rds_proxy_secret_kms_key_id": "alias/no-such-key", "rds_proxy_auth_scheme": "SECRETS"},
        "rds_proxy_secret_kms_key_id 'alias/no-such-key' names no KMS key of us-east-1",
    ),
    ({"rds_proxy_cluster_resource_id": ""}, "for end-to-end IAM, rds_proxy_cluster_resource_id ('')"),
    ({"rds_proxy_iam_auth": "DISABLED"}, "rds_proxy_iam_auth 'DISABLED' contradicts rds_proxy_auth_scheme IAM_AUTH"),
    ({"rds_proxy_db_users": ["app", "app"]}, "rds_proxy_db_users names app more than once"),
    ({"aurora_user_names": ["a b"]}, "rds_proxy_db_users: user 'a b' makes the IAM policy name"),
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
