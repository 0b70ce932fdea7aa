"""The proxy's IAM policies: exactly the declared users, one client policy each, stale ones found, posture problems."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.rds_proxy_iam import FilterModule
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_iam

ACCOUNT = "123456789012"
CLUSTER = "cluster-ABCDEFGHIJKL"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:livestack-dev/aurora/master-AbCdEf"
APP = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{CLUSTER}/app"
NAMES = {"auth_scheme": "rds_proxy_auth_scheme", "iam_auth": "rds_proxy_iam_auth", "users": "rds_proxy_db_users"}


def test_the_proxy_role_may_connect_as_exactly_the_declared_users():
    policy = proxy_iam.proxy_connect_policy(["report", "app", "app"], "aws", "us-east-1", ACCOUNT, CLUSTER)
    assert policy["Statement"] == [
        {
            "Sid": "ConnectToTheClusterAsTheDeclaredUsers",
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            "Resource": [APP, f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{CLUSTER}/report"],
        }
    ]
    assert proxy_iam.proxy_connect_policy([], "aws", "us-east-1", ACCOUNT, CLUSTER) == {}


def test_rds_may_assume_the_proxy_role_for_this_accounts_proxies_only():
    assert proxy_iam.proxy_trust_policy(ACCOUNT) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RdsProxyOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "rds.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }


KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0a1b2c3d-0000-1111-2222-333344445555"


def test_the_secret_policy_reads_the_secret_and_decrypts_through_secrets_manager_with_a_customer_key():
    read = {
        "Sid": "ReadTheDatabaseSecret",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [SECRET],
    }
    assert proxy_iam.proxy_secret_policy(SECRET, "", "eu-west-1") == {"Version": "2012-10-17", "Statement": [read]}
    with_key = proxy_iam.proxy_secret_policy(SECRET, KEY, "eu-west-1")
    assert with_key["Statement"] == [
        read,
        {
            "Sid": "DecryptTheDatabaseSecret",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [KEY],
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
        },
    ]


@pytest.mark.parametrize("key", ["", KEY], ids=["aws-key", "customer-key"])
def test_the_posture_check_accepts_the_policies_the_role_writes(key):
    """The builders and the posture rules agree: what the role writes is exactly what the check allows."""
    connect = proxy_iam.proxy_connect_policy(["app"], "aws", "us-east-1", ACCOUNT, CLUSTER)
    policies = [
        {"policy_name": "read", "policy_document": proxy_iam.proxy_secret_policy(SECRET, key, "eu-west-1")},
        {"policy_name": "connect", "policy_document": connect},
    ]
    assert proxy_iam.proxy_role_problems(policies, [], [SECRET], [APP]) == {"secret": [], "connect": []}


def test_one_client_policy_per_user_on_the_proxy():
    policies = proxy_iam.client_policies(["app", "report"], "livestack-dev", "aws-cn", "cn-north-1", ACCOUNT, "prx-0a")
    assert [(p["user"], p["name"], p["arn"]) for p in policies] == [
        ("app", "livestack-dev-proxy-connect-app", f"arn:aws-cn:iam::{ACCOUNT}:policy/livestack-dev-proxy-connect-app"),
        (
            "report",
            "livestack-dev-proxy-connect-report",
            f"arn:aws-cn:iam::{ACCOUNT}:policy/livestack-dev-proxy-connect-report",
        ),
    ]
    assert policies[0]["document"]["Statement"][0]["Resource"] == [
        f"arn:aws-cn:rds-db:cn-north-1:{ACCOUNT}:dbuser:prx-0a/app"
    ]
    assert policies[0]["tags"] == {"Name": "livestack-dev-proxy-connect-app"}
    tagged = proxy_iam.client_policies(
        ["app"], "livestack-dev", "aws", "us-east-1", ACCOUNT, "prx-0a", {"Name": "x", "a": "b"}
    )
    assert tagged[0]["tags"] == {"a": "b", "Name": "livestack-dev-proxy-connect-app"}  # its name wins


def test_stale_client_policies_are_the_stages_own_of_undeclared_users_and_the_legacy_one():
    found = [
        {"kind": "iam_managed_policy", "name": "livestack-dev-proxy-connect-app"},
        {"kind": "iam_managed_policy", "name": "livestack-dev-proxy-connect-gone"},
        {"kind": "iam_managed_policy", "name": "livestack-dev-proxy-connect"},
        {"kind": "iam_managed_policy", "name": "livestack-dev-other"},
        {"kind": "iam_role", "name": "livestack-dev-proxy-connect-role"},
    ]
    assert proxy_iam.stale_client_policies(found, "livestack-dev", ["app"]) == [
        "livestack-dev-proxy-connect",
        "livestack-dev-proxy-connect-gone",
    ]
    assert proxy_iam.stale_client_policies(found, "livestack-dev", ["app", "gone"]) == ["livestack-dev-proxy-connect"]


BAD = [
    ({"auth_scheme": "PASSWORD"}, "rds_proxy_auth_scheme 'PASSWORD' must be one of IAM_AUTH, SECRETS"),
    ({"iam_auth": "DISABLED"}, "rds_proxy_iam_auth 'DISABLED' contradicts rds_proxy_auth_scheme IAM_AUTH"),
    ({"users": "app"}, "rds_proxy_db_users must be a list of database user names, got 'app'"),
    ({"users": ["app", "app"]}, "rds_proxy_db_users names app more than once"),
    ({"users": ["a b"]}, "rds_proxy_db_users: user 'a b' makes the IAM policy name 'livestack-dev-proxy-connect-a b'"),
    ({"users": [""]}, "rds_proxy_db_users: user ''"),
    ({"users": ["u" * 110]}, "must be at most 128"),
]


@pytest.mark.parametrize(("changes", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_names_the_variable_and_the_rule(changes, message):
    values = {"auth_scheme": "IAM_AUTH", "iam_auth": "REQUIRED", "users": ["app"], **changes}
    errors = proxy_iam.input_errors(values["auth_scheme"], values["iam_auth"], values["users"], "livestack-dev", NAMES)
    assert len(errors) == 1, errors
    assert message in errors[0]


@pytest.mark.parametrize(
    ("scheme", "iam_auth"), [("IAM_AUTH", "REQUIRED"), ("SECRETS", "REQUIRED"), ("SECRETS", "DISABLED")]
)
def test_good_input(scheme, iam_auth):
    assert proxy_iam.input_errors(scheme, iam_auth, ["app", "report_1"], "livestack-dev", NAMES) == []


def statement(sid, action, resource, **extra):
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def problems(*statements, managed=(), secrets=(SECRET,), connect=(APP,)):
    policies = [{"policy_name": "p", "policy_document": {"Statement": list(statements)}}]
    return proxy_iam.proxy_role_problems(policies, list(managed), list(secrets), list(connect))


READ = statement("Read", ["secretsmanager:GetSecretValue"], [SECRET])
CONNECT = statement("Connect", ["rds-db:connect"], [APP])


def test_the_roles_own_policies_have_no_problem():
    kms = statement(
        "Decrypt",
        ["kms:Decrypt"],
        [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0a1b2c3d-0000-1111-2222-333344445555"],
        Condition={"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    )
    assert problems(READ, kms, CONNECT) == {"secret": [], "connect": []}
    assert problems(CONNECT, secrets=()) == {"secret": [], "connect": []}


@pytest.mark.parametrize(
    ("extra", "rule", "message"),
    [
        (
            statement("AnyUser", "rds-db:connect", f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{CLUSTER}/*"),
            "connect",
            f"statement AnyUser allows rds-db:connect on arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{CLUSTER}/*",
        ),
        (
            statement("OtherCluster", ["rds-db:connect"], [f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:cluster-X/app"]),
            "connect",
            "dbuser:cluster-X/app",
        ),
        (statement("AllDb", ["rds-db:*"], ["*"]), "connect", "statement AllDb allows rds-db:* on *"),
        (statement("Broader", "secretsmanager:*", "*"), "secret", "statement Broader allows secretsmanager:* on *"),
        ({"Sid": "Not", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "secret", "NotAction"),
    ],
    ids=["wildcard-user", "other-cluster", "rds-db-star", "secrets-star", "not-action"],
)
def test_grants_beyond_the_needs_are_problems_of_their_rule(extra, rule, message):
    found = problems(READ, CONNECT, extra)
    assert any(message in problem for problem in found[rule]), found
    other = "secret" if rule == "connect" else "connect"
    if extra.get("Action") != ["rds-db:*"]:
        assert found[other] == []


def test_a_missing_secret_grant_and_a_managed_policy_are_problems():
    found = problems(CONNECT, managed=[{"policy_arn": f"arn:aws:iam::{ACCOUNT}:policy/broader"}])
    assert found["secret"] == [
        f"no statement grants secretsmanager:GetSecretValue on the secret {SECRET}",
        f"managed policy arn:aws:iam::{ACCOUNT}:policy/broader is attached",
    ]
    assert found["connect"] == []


@pytest.mark.parametrize(
    ("action", "grants"), [("rds-db:connect", True), ("RDS-DB:Conn*", True), ("*", True), ("rds:*", False)]
)
def test_iam_action_wildcards(action, grants):
    assert proxy_iam.grants_connect(action) is grants


def test_the_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "rds_proxy_trust_policy",
        "rds_proxy_secret_policy",
        "rds_proxy_connect_policy",
        "rds_proxy_client_policies",
        "rds_proxy_stale_client_policies",
        "rds_proxy_role_problems",
    }
