"""The role-facing filter applies the module_utils rules and names the role's variables."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.rds_cluster_input_errors import (
    FilterModule,
    rds_cluster_input_errors,
)

NAMES = {
    "cluster_identifier": "cluster identifier (from aurora_name_prefix)",
    "master_username": "aurora_master_username",
    "master_password": "aurora_master_password",
    "log_exports": "aurora_log_exports",
    "min_capacity": "aurora_min_capacity",
    "max_capacity": "aurora_max_capacity",
    "seconds_until_auto_pause": "aurora_seconds_until_auto_pause",
}
GOOD = {
    "cluster_identifier": "livestack-dev-aurora",
    "master_username": "admin",
    "master_password": "",
    "log_exports": ["audit", "error", "general", "slowquery"],
    "exportable_log_types": ["audit", "error", "general", "slowquery", "instance"],
    "engine_version": "8.0.mysql_aurora.3.02.0",
    "min_capacity": 0.5,
    "max_capacity": "16",
    "seconds_until_auto_pause": None,
}
MYSQL_3_02 = {"min_capacity": 0.5, "max_capacity": 128.0, "auto_pause": False}


def test_good_input_has_no_errors():
    assert rds_cluster_input_errors(GOOD, NAMES, MYSQL_3_02) == []
    assert FilterModule().filters()["rds_cluster_input_errors"] is rds_cluster_input_errors


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"cluster_identifier": "a--b"},
            ["cluster identifier (from aurora_name_prefix) 'a--b' must not contain two consecutive hyphens"],
        ),
        ({"master_username": "select"}, ["aurora_master_username 'select' is a reserved word of RDS or MySQL"]),
        ({"master_password": "short"}, ["aurora_master_password must be 8 to 41 characters long (it has 5)"]),
        (
            {"log_exports": ["postgresql"]},
            [
                "aurora_log_exports has an unknown log type 'postgresql'"
                " (the engine exports audit, error, general, instance, slowquery)"
            ],
        ),
        (
            {"max_capacity": 129},
            ["aurora_max_capacity 129 is above the 128 ACU that engine version 8.0.mysql_aurora.3.02.0 allows"],
        ),
        (
            {"min_capacity": "0"},
            [
                "aurora_min_capacity 0 (scale to zero) needs an engine version with auto-pause;"
                " engine version 8.0.mysql_aurora.3.02.0 starts at 0.5 ACU"
            ],
        ),
        (
            {"seconds_until_auto_pause": "600"},
            [
                "aurora_seconds_until_auto_pause 600 applies only to scale to zero: set aurora_min_capacity to 0"
                " or leave aurora_seconds_until_auto_pause unset"
            ],
        ),
    ],
)
def test_each_rule_names_the_roles_variable(changes, expected):
    assert rds_cluster_input_errors({**GOOD, **changes}, NAMES, MYSQL_3_02) == expected


def test_without_names_the_option_keys_are_used_and_without_support_only_general_rules():
    assert rds_cluster_input_errors({"min_capacity": 0, "max_capacity": 300}) == [
        "max_capacity 300 is above 256 ACU, the most any engine allows"
    ]


USERS_NAMES = {**NAMES, "databases": "aurora_databases", "users": "aurora_users", "users_purge": "aurora_users_purge"}
APP = {"name": "app", "grants": [{"database": "app", "privileges": ["ALL"]}]}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"databases": ["app"], "users": [APP]}, []),
        (
            {"databases": ["app"], "users": [{"name": "admin"}]},
            ["aurora_users[0] 'admin' is the cluster's master user, which keeps its password"],
        ),
        (
            {"databases": [], "users": [APP]},
            ["aurora_users[0].grants[0].database 'app' is not one of aurora_databases"],
        ),
        (
            {"databases": [], "users": [], "users_purge": True},
            [
                "aurora_users_purge is true with no aurora_users: it would drop every application user;"
                " declare the users to keep"
            ],
        ),
    ],
)
def test_databases_and_users_are_checked_naming_the_role_variables(values, expected):
    assert rds_cluster_input_errors({**GOOD, **values}, USERS_NAMES, MYSQL_3_02) == expected
