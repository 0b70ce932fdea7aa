"""Desired against current RDS Proxy state: what changes, what is left alone, what needs a new proxy."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy as transform

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
ARN = "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-0123456789abcdef0"

PROXY = {
    "DBProxyName": "p",
    "DBProxyArn": ARN,
    "Status": "available",
    "EngineFamily": "MYSQL",
    "VpcId": "vpc-1",
    "VpcSecurityGroupIds": ["sg-1"],
    "VpcSubnetIds": ["subnet-b", "subnet-a"],
    "Auth": [
        {
            "AuthScheme": "SECRETS",
            "SecretArn": SECRET,
            "IAMAuth": "REQUIRED",
            "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD",
        }
    ],
    "RoleArn": "arn:aws:iam::123456789012:role/proxy",
    "Endpoint": "p.proxy-x.us-east-1.rds.amazonaws.com",
    "RequireTLS": True,
    "IdleClientTimeout": 7200,
    "DebugLogging": True,
}
GROUP = {
    "TargetGroupArn": "arn:aws:rds:us-east-1:123456789012:target-group:prx-tg-1",
    "ConnectionPoolConfig": {
        "MaxConnectionsPercent": 100,
        "MaxIdleConnectionsPercent": 50,
        "ConnectionBorrowTimeout": 120,
        "SessionPinningFilters": [],
    },
}
TARGETS = [
    {"RdsResourceId": "aurora", "Type": "TRACKED_CLUSTER", "TargetHealth": {"State": "AVAILABLE"}},
    {
        "RdsResourceId": "aurora-1",
        "Type": "RDS_INSTANCE",
        "TrackedClusterId": "aurora",
        "TargetHealth": {"State": "AVAILABLE"},
    },
]
TAGS = [{"Key": "livestack:stage", "Value": "dev"}]


def current():
    return transform.current_state(PROXY, GROUP, TARGETS, TAGS)


def params(**given):
    """Module options as Ansible passes them: every option present, unset ones None."""
    base = {
        key: None
        for key in (
            "engine_family",
            "default_auth_scheme",
            "auth",
            "role_arn",
            "vpc_subnet_ids",
            "vpc_security_group_ids",
            "require_tls",
            "idle_client_timeout",
            "debug_logging",
            "connection_pool",
            "targets",
            "tags",
        )
    }
    return {**base, "name": "p", "purge_tags": True, **given}


def pool(**given):
    return {
        "max_connections_percent": None,
        "max_idle_connections_percent": None,
        "connection_borrow_timeout": None,
        "init_query": None,
        "session_pinning_filters": None,
        **given,
    }


def test_current_state_is_normalised():
    state = current()
    assert state["vpc_subnet_ids"] == ["subnet-a", "subnet-b"]
    assert state["auth"] == [
        {
            "auth_scheme": "SECRETS",
            "secret_arn": SECRET,
            "iam_auth": "REQUIRED",
            "client_password_auth_type": "MYSQL_NATIVE_PASSWORD",
        }
    ]
    assert state["default_auth_scheme"] == "NONE"
    assert state["connection_pool"]["init_query"] == ""
    assert state["targets"] == {"db_cluster_identifiers": ["aurora"], "db_instance_identifiers": []}
    assert state["tags"] == {"livestack:stage": "dev"}


def test_nothing_set_means_nothing_changes():
    desired = transform.desired_state(params(), current())
    assert desired == current()
    assert transform.proxy_changes(desired, current()) == {}
    assert transform.pool_changes(desired, current()) == {}


def test_the_same_settings_change_nothing():
    same = params(
        engine_family="MYSQL",
        auth=[
            {
                "secret_arn": SECRET,
                "auth_scheme": "SECRETS",
                "iam_auth": "REQUIRED",
                "client_password_auth_type": None,
                "description": None,
            }
        ],
        role_arn=PROXY["RoleArn"],
        vpc_subnet_ids=["subnet-a", "subnet-b"],
        vpc_security_group_ids=["sg-1"],
        require_tls=True,
        idle_client_timeout=7200,
        debug_logging=True,
        connection_pool=pool(max_connections_percent=100),
        targets={"db_cluster_identifiers": ["Aurora"], "db_instance_identifiers": []},
        tags={"livestack:stage": "dev"},
    )
    desired = transform.desired_state(same, current())
    assert desired == current()
    assert transform.replacement_changes(desired, current()) == {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"idle_client_timeout": 1800}, {"IdleClientTimeout": 1800}),
        ({"debug_logging": False}, {"DebugLogging": False}),
        ({"require_tls": False}, {"RequireTLS": False}),
        ({"role_arn": "arn:aws:iam::123456789012:role/other"}, {"RoleArn": "arn:aws:iam::123456789012:role/other"}),
        ({"vpc_security_group_ids": ["sg-2", "sg-1"]}, {"SecurityGroups": ["sg-1", "sg-2"]}),
        ({"default_auth_scheme": "IAM_AUTH"}, {"DefaultAuthScheme": "IAM_AUTH"}),
        ({"default_auth_scheme": "IAM_AUTH", "auth": []}, {"DefaultAuthScheme": "IAM_AUTH", "Auth": []}),
        (
            {"auth": [{"secret_arn": SECRET, "iam_auth": "DISABLED"}]},
            {
                "Auth": [
                    {
                        "AuthScheme": "SECRETS",
                        "SecretArn": SECRET,
                        "IAMAuth": "DISABLED",
                        "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD",
                    }
                ]
            },
        ),
    ],
    ids=lambda value: str(value)[:40],
)
def test_in_place_changes_become_modify_db_proxy_parameters(given, expected):
    desired = transform.desired_state(params(**given), current())
    assert transform.proxy_changes(desired, current()) == expected
    assert transform.replacement_changes(desired, current()) == {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (pool(max_connections_percent=90), {"MaxConnectionsPercent": 90}),
        (pool(max_idle_connections_percent=10), {"MaxIdleConnectionsPercent": 10, "MaxConnectionsPercent": 100}),
        (pool(connection_borrow_timeout=0), {"ConnectionBorrowTimeout": 0}),
        (pool(init_query="SET x=1"), {"InitQuery": "SET x=1"}),
        (pool(session_pinning_filters=["EXCLUDE_VARIABLE_SETS"]), {"SessionPinningFilters": ["EXCLUDE_VARIABLE_SETS"]}),
        (pool(max_connections_percent=100, max_idle_connections_percent=50), {}),
    ],
)
def test_pool_changes(given, expected):
    desired = transform.desired_state(params(connection_pool=given), current())
    assert transform.pool_changes(desired, current()) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"engine_family": "POSTGRESQL"}, {"engine_family": ("MYSQL", "POSTGRESQL")}),
        (
            {"vpc_subnet_ids": ["subnet-a", "subnet-c"]},
            {"vpc_subnet_ids": (["subnet-a", "subnet-b"], ["subnet-a", "subnet-c"])},
        ),
    ],
)
def test_replacement_only_changes_are_reported(given, expected):
    desired = transform.desired_state(params(**given), current())
    assert transform.replacement_changes(desired, current()) == expected


@pytest.mark.parametrize(
    ("targets", "register", "deregister"),
    [
        (
            {"db_cluster_identifiers": ["other"], "db_instance_identifiers": []},
            {"db_cluster_identifiers": ["other"], "db_instance_identifiers": []},
            {"db_cluster_identifiers": ["aurora"], "db_instance_identifiers": []},
        ),
        (
            {"db_cluster_identifiers": [], "db_instance_identifiers": []},
            {"db_cluster_identifiers": [], "db_instance_identifiers": []},
            {"db_cluster_identifiers": ["aurora"], "db_instance_identifiers": []},
        ),
        (
            {"db_cluster_identifiers": ["aurora"], "db_instance_identifiers": ["single"]},
            {"db_cluster_identifiers": [], "db_instance_identifiers": ["single"]},
            {"db_cluster_identifiers": [], "db_instance_identifiers": []},
        ),
    ],
    ids=["swap", "none", "add-instance"],
)
def test_targets_are_declared_exactly(targets, register, deregister):
    desired = transform.desired_state(params(targets=targets), current())
    assert transform.target_changes(desired, current()) == {"register": register, "deregister": deregister}


@pytest.mark.parametrize(
    ("tags", "purge", "add", "remove"),
    [
        ({"a": "1"}, True, {"a": "1"}, ["livestack:stage"]),
        ({"a": "1"}, False, {"a": "1"}, []),
        ({"livestack:stage": "prod"}, True, {"livestack:stage": "prod"}, []),
        ({}, True, {}, ["livestack:stage"]),
    ],
)
def test_tag_changes(tags, purge, add, remove):
    desired = transform.desired_state(params(tags=tags, purge_tags=purge), current())
    assert transform.tag_changes(desired, current()) == (add, remove)


def test_a_new_proxy_starts_from_aws_defaults():
    desired = transform.desired_state(
        params(
            auth=[
                {
                    "secret_arn": SECRET,
                    "iam_auth": "REQUIRED",
                    "auth_scheme": "SECRETS",
                    "client_password_auth_type": None,
                }
            ],
            role_arn=PROXY["RoleArn"],
            vpc_subnet_ids=["subnet-b", "subnet-a"],
            tags={"Name": "p"},
        ),
        None,
    )
    assert transform.create_parameters(desired) == {
        "DBProxyName": "p",
        "EngineFamily": "MYSQL",
        "DefaultAuthScheme": "NONE",
        "Auth": [{"AuthScheme": "SECRETS", "SecretArn": SECRET, "IAMAuth": "REQUIRED"}],
        "RoleArn": PROXY["RoleArn"],
        "VpcSubnetIds": ["subnet-a", "subnet-b"],
        "RequireTLS": False,
        "IdleClientTimeout": 1800,
        "DebugLogging": False,
        "Tags": [{"Key": "Name", "Value": "p"}],
    }


def test_an_end_to_end_iam_proxy_is_created_without_auth():
    desired = transform.desired_state(
        params(default_auth_scheme="IAM_AUTH", role_arn=PROXY["RoleArn"], vpc_subnet_ids=["subnet-a", "subnet-b"]),
        None,
    )
    parameters = transform.create_parameters(desired)
    assert parameters["DefaultAuthScheme"] == "IAM_AUTH"
    assert "Auth" not in parameters


def test_a_proxy_described_without_default_auth_scheme_has_none():
    described = {**PROXY, "DefaultAuthScheme": "IAM_AUTH"}
    assert transform.current_state(described, GROUP, TARGETS, TAGS)["default_auth_scheme"] == "IAM_AUTH"
    desired = transform.desired_state(params(default_auth_scheme="NONE"), current())
    assert transform.proxy_changes(desired, current()) == {}


def test_desired_state_does_not_touch_current():
    before = current()
    kept = copy.deepcopy(before)
    transform.desired_state(params(idle_client_timeout=1, connection_pool=pool(max_connections_percent=5)), before)
    assert before == kept


def test_result_names_the_resource_id_for_iam_policies():
    result = transform.proxy_result(PROXY, GROUP, TARGETS, TAGS)
    assert result["resource_id"] == "prx-0123456789abcdef0"
    assert result["connection_pool"]["max_connections_percent"] == 100
    assert result["targets"][1]["tracked_cluster_id"] == "aurora"


@pytest.mark.parametrize(
    ("states", "ready"),
    [((), False), (("AVAILABLE", "AVAILABLE"), True), (("AVAILABLE", "REGISTERING"), False), (("UNAVAILABLE",), False)],
)
def test_targets_available(states, ready):
    targets = [{"RdsResourceId": str(i), "TargetHealth": {"State": state}} for i, state in enumerate(states)]
    assert transform.targets_available(targets) is ready
