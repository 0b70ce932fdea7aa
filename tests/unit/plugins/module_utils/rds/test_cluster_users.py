"""The rules and the plan of rds_cluster_users (module_utils/rds/cluster_users.py), without a cluster."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users import (
    account,
    current_state,
    database_of,
    desired_state,
    grant_pattern,
    identifier,
    input_errors,
    parse_grants,
    plan,
)

APP = {"name": "app", "grants": [{"database": "app_db", "privileges": ["ALL"]}]}


def errors(databases=("app_db",), users=(APP,), purge=False, master="admin"):
    return input_errors(list(databases), list(users), purge, master, {"databases": "dbs", "users": "us", "purge": "pg"})


def test_the_default_declaration_holds():
    assert errors() == []


@pytest.mark.parametrize(
    ("users", "message"),
    [
        (
            [{"name": "a" * 33}],
            "us[0] 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' must be a MySQL user name of 1 to 32 characters",
        ),
        ([{"name": ""}], "us[0] '' must be a MySQL user name"),
        ([{"name": "1app"}], "us[0] '1app' must be a MySQL user name"),
        ([{"name": "app-user"}], "us[0] 'app-user' must be a MySQL user name"),
        ([{"name": "app'@'%"}], "must be a MySQL user name"),
        ([{"name": "rdsadmin"}], "us[0] 'rdsadmin' is reserved for an account or role of RDS or MySQL"),
        ([{"name": "RDSProxyAdmin"}], "'RDSProxyAdmin' is reserved"),
        ([{"name": "root"}], "'root' is reserved"),
        ([{"name": "AWS_LAMBDA_ACCESS"}], "'AWS_LAMBDA_ACCESS' is reserved"),
        ([{"name": "rds_superuser_role"}], "is reserved"),
        ([{"name": "Admin"}], "us[0] 'Admin' is the cluster's master user"),
        ([APP, {"name": "APP"}], "us[1] 'APP' is declared twice (as 'app'"),
        ([{"name": "app", "password": "x"}], "us[0] has unknown keys ['password']"),
        ([{"name": "app", "grants": [{"database": "other", "privileges": ["SELECT"]}]}], "us[0].grants[0].database"),
        ([{"name": "app", "grants": [{"database": "app_db", "privileges": ["SUPER"]}]}], "['SUPER'] is not a database"),
        ([{"name": "app", "grants": [{"database": "app_db", "privileges": ["GRANT OPTION"]}]}], "is not a database"),
        ([{"name": "app", "grants": [{"database": "app_db", "privileges": []}]}], "must name a privilege"),
        ([{"name": "app", "grants": [{"database": "app_db", "privileges": ["ALL", "SELECT"]}]}], "give it alone"),
        ([{"name": "app", "grants": [{"database": "app_db", "privileges": ["SELECT"]}] * 2}], "has a grant already"),
        ([{"name": "app", "grants": "app_db"}], "us[0].grants must be a list"),
    ],
)
def test_bad_users_are_refused_naming_the_option(users, message):
    found = errors(users=users)
    assert any(message in error for error in found), found


@pytest.mark.parametrize(
    ("databases", "message"),
    [
        (["app_db", "App_DB"], "dbs[1] 'App_DB' is declared twice"),
        (["mysql"], "dbs[0] 'mysql' is a system schema"),
        (["Performance_Schema"], "is a system schema"),
        (["a" * 65], "must be a database name of 1 to 64 characters"),
        (["app`db"], "must be a database name"),
    ],
)
def test_bad_databases_are_refused_naming_the_option(databases, message):
    found = errors(databases=databases, users=[])
    assert any(message in error for error in found), found


def test_purge_with_no_users_is_refused():
    assert errors(users=[], purge=True) == [
        "pg is true with no us: it would drop every application user; declare the users to keep"
    ]
    assert errors(purge=True) == []


def test_names_are_quoted_and_grant_patterns_escape_wildcards():
    assert identifier("a`b") == "`a``b`"
    assert account("o'neil") == "'o''neil'@'%'"
    assert grant_pattern("my_app%") == "my\\_app\\%"
    assert database_of("my\\_app") == "my_app"
    assert database_of("my_app") == "my_app"  # a wildcard pattern stays as written


def test_show_grants_of_mysql_8_and_mariadb_are_parsed():
    lines = [
        "GRANT USAGE ON *.* TO `app`@`%`",
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*ABC' REQUIRE SSL",
        "GRANT ALL PRIVILEGES ON `app\\_db`.* TO `app`@`%`",
        "GRANT SELECT, SHOW VIEW ON `reports`.* TO `app`@`%` WITH GRANT OPTION",
        "GRANT SELECT (id) ON `reports`.`t` TO `app`@`%`",
        "GRANT PROCESS ON *.* TO `app`@`%`",
        "GRANT `role1`@`%` TO `app`@`%`",
    ]
    assert parse_grants(lines) == {
        "*": frozenset({"PROCESS"}),
        "app\\_db": frozenset({"ALL"}),
        "reports": frozenset({"SELECT", "SHOW VIEW"}),
    }


def state(accounts: dict, databases=("app_db",)):
    rows = [(name, "%", found[0], found[1]) for name, found in accounts.items()]
    rows += [("rdsadmin", "localhost", "mysql_native_password", ""), ("admin", "%", "mysql_native_password", "")]
    grants = {name: found[2] for name, found in accounts.items()}
    return current_state(rows, [*databases, "mysql", "sys"], grants)


IAM = "AWSAuthenticationPlugin"


def test_an_empty_cluster_gets_the_database_the_user_and_its_grant():
    statements, problems, before, after = plan(state({}, ()), desired_state(["app_db"], [APP]), False, "admin")
    assert statements == [
        "CREATE DATABASE `app_db`",
        "CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL",
        "GRANT ALL PRIVILEGES ON `app\\_db`.* TO 'app'@'%'",
    ]
    assert problems == []
    assert before == {"databases": [], "users": {}}
    assert after == {"databases": ["app_db"], "users": {"app": {"grants": {"app_db": ["ALL"]}}}}


def test_a_converged_cluster_needs_nothing():
    current = state({"app": (IAM, "ANY", {"app\\_db": frozenset({"ALL"})})})
    statements, problems, before, after = plan(current, desired_state(["app_db"], [APP]), True, "admin")
    assert (statements, problems) == ([], [])
    assert before == after


@pytest.mark.parametrize(
    ("have", "want", "expected"),
    [
        ({"ALL"}, ["SELECT"], [
            "REVOKE ALL PRIVILEGES ON `app\\_db`.* FROM 'app'@'%'", "GRANT SELECT ON `app\\_db`.* TO 'app'@'%'",
        ]),
        ({"SELECT"}, ["ALL"], ["GRANT ALL PRIVILEGES ON `app\\_db`.* TO 'app'@'%'"]),
        ({"SELECT", "DELETE"}, ["SELECT", "INSERT"], [
            "REVOKE DELETE ON `app\\_db`.* FROM 'app'@'%'", "GRANT INSERT ON `app\\_db`.* TO 'app'@'%'",
        ]),
        ({"SELECT"}, [], ["REVOKE SELECT ON `app\\_db`.* FROM 'app'@'%'"]),
    ],
)  # fmt: skip
def test_grants_are_revoked_and_granted_to_match(have, want, expected):
    current = state({"app": (IAM, "ANY", {"app\\_db": frozenset(have)})})
    declared = [{"name": "app", "grants": [{"database": "app_db", "privileges": want}] if want else []}]
    statements, _, _, after = plan(current, desired_state(["app_db"], declared), False, "admin")
    assert statements == expected
    assert after["users"]["app"]["grants"] == ({"app_db": sorted(want)} if want else {})


def test_undeclared_grants_of_a_declared_user_are_revoked_as_written():
    current = state(
        {
            "app": (
                IAM,
                "ANY",
                {"app\\_db": frozenset({"ALL"}), "app_d%": frozenset({"SELECT"}), "*": frozenset({"PROCESS"})},
            )
        }
    )
    statements, _, _, _ = plan(current, desired_state(["app_db"], [APP]), False, "admin")
    assert statements == ["REVOKE PROCESS ON *.* FROM 'app'@'%'", "REVOKE SELECT ON `app_d%`.* FROM 'app'@'%'"]


def test_an_iam_user_without_tls_required_gets_it():
    current = state({"app": (IAM, "", {"app\\_db": frozenset({"ALL"})})})
    assert plan(current, desired_state(["app_db"], [APP]), False, "admin")[0] == ["ALTER USER 'app'@'%' REQUIRE SSL"]


def test_a_declared_user_with_a_password_is_a_problem_not_a_statement():
    current = state({"app": ("mysql_native_password", "", {})})
    statements, problems, _, _ = plan(current, desired_state(["app_db"], [APP]), True, "admin")
    assert (
        len(problems) == 1 and "user 'app' exists with the mysql_native_password authentication plugin" in problems[0]
    )
    assert not any("'app'" in statement and "CREATE USER" in statement for statement in statements)


def test_purge_drops_only_undeclared_application_users_and_databases():
    current = state(
        {
            "app": (IAM, "ANY", {"app\\_db": frozenset({"ALL"})}),
            "old": (IAM, "ANY", {}),
            "legacy": ("mysql_native_password", "", {}),
            "AWS_LAMBDA_ACCESS": ("mysql_native_password", "", {}),
            "rdsproxyadmin": ("mysql_native_password", "", {}),
        },
        databases=("app_db", "old_db", "initial"),
    )
    desired = desired_state(["app_db"], [APP])
    statements, _, before, after = plan(current, desired, True, "admin", kept_databases=["initial"])
    assert statements == [
        "DROP USER 'legacy'@'%'",
        "DROP USER 'old'@'%'",
        "DROP DATABASE `old_db`",
    ]
    assert set(before["users"]) == {"app", "old", "legacy"}
    assert after == {"databases": ["app_db", "initial"], "users": {"app": {"grants": {"app_db": ["ALL"]}}}}
    # Without purge, nothing is dropped.
    assert plan(current, desired, False, "admin", kept_databases=["initial"])[0] == []
