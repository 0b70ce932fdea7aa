"""The RDS Proxy input rules: each bad value is named with its rule, good values pass."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds.proxy_validation import (
    check_auth_scheme,
    check_pool,
    check_settings,
    check_subnets,
)

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
ROLE = "arn:aws:iam::123456789012:role/proxy"


def options(**changes):
    base = {
        "name": "livestack-dev-proxy",
        "engine_family": "MYSQL",
        "role_arn": ROLE,
        "auth": [{"secret_arn": SECRET, "iam_auth": "REQUIRED", "client_password_auth_type": None}],
        "idle_client_timeout": 7200,
        "connection_pool": {"max_connections_percent": 100, "max_idle_connections_percent": 50},
        "vpc_subnet_ids": ["subnet-a", "subnet-b"],
    }
    return {**base, **changes}


def test_the_blog_settings_are_valid():
    assert check_settings(options()) == []


def test_unset_options_are_not_checked():
    assert check_settings({"name": "p"}) == []


BAD = [
    ({"name": "1proxy"}, "name '1proxy' must be 1 to 63 letters"),
    ({"name": "proxy-"}, "name 'proxy-' must be"),
    ({"name": "pro--xy"}, "name 'pro--xy' must be"),
    ({"name": "pro_xy"}, "name 'pro_xy' must be"),
    ({"name": "p" * 64}, "must be 1 to 63"),
    ({"idle_client_timeout": 0}, "idle_client_timeout 0 must be between 1 and 28800 seconds"),
    ({"idle_client_timeout": 28801}, "idle_client_timeout 28801 must be between 1 and 28800 seconds"),
    ({"role_arn": "proxy-role"}, "role_arn 'proxy-role' must be an IAM role ARN"),
    ({"auth": [{"secret_arn": "db-secret"}]}, "auth[0].secret_arn 'db-secret' must be the ARN of a Secrets Manager"),
    ({"auth": [{"secret_arn": SECRET}, {"secret_arn": SECRET}]}, f"auth[1].secret_arn '{SECRET}' appears twice"),
    (
        {"auth": [{"secret_arn": SECRET, "iam_auth": "ENABLED"}]},
        "auth[0].iam_auth 'ENABLED' is only valid for engine_family SQLSERVER; MYSQL takes REQUIRED or DISABLED",
    ),
    (
        {"auth": [{"secret_arn": SECRET, "client_password_auth_type": "POSTGRES_MD5"}]},
        "auth[0].client_password_auth_type 'POSTGRES_MD5' does not fit engine_family MYSQL",
    ),
    ({"connection_pool": {"max_connections_percent": 0}}, "max_connections_percent 0 must be between 1 and 100"),
    ({"connection_pool": {"max_connections_percent": 101}}, "max_connections_percent 101 must be between 1 and 100"),
    ({"connection_pool": {"max_idle_connections_percent": -1}}, "max_idle_connections_percent -1 must be between 0"),
    (
        {"connection_pool": {"max_connections_percent": 40, "max_idle_connections_percent": 50}},
        "max_idle_connections_percent 50 must not exceed max_connections_percent 40",
    ),
    (
        {"connection_pool": {"connection_borrow_timeout": 301}},
        "connection_borrow_timeout 301 must be between 0 and 300",
    ),
    ({"connection_pool": {"connection_borrow_timeout": -1}}, "connection_borrow_timeout -1 must be between 0 and 300"),
    ({"vpc_subnet_ids": ["subnet-a"]}, "vpc_subnet_ids ['subnet-a'] must name at least two subnets"),
    ({"vpc_subnet_ids": ["subnet-a", "subnet-a"]}, "must name at least two subnets"),
]


@pytest.mark.parametrize(("changes", "message"), BAD, ids=[str(c) for c, _ in BAD])
def test_bad_input_is_named_with_its_rule(changes, message):
    errors = check_settings(options(**changes))
    assert len(errors) == 1, errors
    assert message in errors[0]


@pytest.mark.parametrize(
    ("good", "value"),
    [("idle_client_timeout", 1), ("idle_client_timeout", 28800), ("name", "a"), ("name", "a" * 63), ("name", "a-1-b")],
)
def test_bounds_are_inclusive(good, value):
    assert check_settings(options(**{good: value})) == []


def test_iam_auth_enabled_is_fine_for_sql_server():
    auth = [{"secret_arn": SECRET, "iam_auth": "ENABLED", "client_password_auth_type": "SQL_SERVER_AUTHENTICATION"}]
    assert check_settings(options(engine_family="SQLSERVER", auth=auth)) == []


@pytest.mark.parametrize(
    ("pool", "current", "errors"),
    [
        ({"max_idle_connections_percent": 60}, {"max_connections_percent": 50}, 1),
        ({"max_idle_connections_percent": 50}, {"max_connections_percent": 50}, 0),
        ({"max_idle_connections_percent": 60, "max_connections_percent": 80}, {"max_connections_percent": 50}, 0),
        ({"max_idle_connections_percent": 60}, None, 0),
    ],
)
def test_idle_percentage_is_checked_against_the_resulting_maximum(pool, current, errors):
    assert len(check_pool(pool, current)) == errors


def subnet(zone: str, vpc: str = "vpc-1") -> dict:
    return {"AvailabilityZone": zone, "VpcId": vpc}


@pytest.mark.parametrize(
    ("subnets", "message"),
    [
        ([subnet("us-east-1a"), subnet("us-east-1b")], None),
        ([subnet("us-east-1a"), subnet("us-east-1a")], "must lie in at least two availability zones"),
        ([subnet("us-east-1a"), subnet("us-east-1b", "vpc-2")], "must all belong to one VPC"),
    ],
)
def test_subnets_span_two_zones_of_one_vpc(subnets, message):
    errors = check_subnets(["subnet-a", "subnet-b"], subnets)
    assert (message in errors[0]) if message else errors == []


@pytest.mark.parametrize(
    ("scheme", "auth", "errors"),
    [
        (
            "NONE",
            [],
            ["auth must hold at least one entry (the secret of a database user) when default_auth_scheme is NONE"],
        ),
        ("NONE", [{"secret_arn": SECRET}], []),
        ("IAM_AUTH", [], []),
        ("IAM_AUTH", [{"secret_arn": SECRET}], []),
    ],
)
def test_only_end_to_end_iam_needs_no_secret(scheme, auth, errors):
    found = check_auth_scheme(scheme, auth)
    assert [error.split(";")[0] for error in found] == errors
