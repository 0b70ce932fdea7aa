"""AWS's rules for cluster identifiers, master credentials and log exports, table-driven."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_validation import (
    cluster_identifier_errors,
    log_export_errors,
    master_password_errors,
    master_username_errors,
)

IDENTIFIERS = [
    ("livestack-dev-aurora", []),
    ("a", []),
    ("a" * 63, []),
    ("a" * 64, ["cluster_identifier '" + "a" * 64 + "' must be 1 to 63 characters long (it has 64)"]),
    ("", ["cluster_identifier '' must be 1 to 63 characters long (it has 0)"]),
    ("1cluster", ["cluster_identifier '1cluster' must start with a letter and hold only letters, digits and hyphens"]),
    (
        "my_cluster",
        ["cluster_identifier 'my_cluster' must start with a letter and hold only letters, digits and hyphens"],
    ),
    ("cluster-", ["cluster_identifier 'cluster-' must not end with a hyphen"]),
    ("my--cluster", ["cluster_identifier 'my--cluster' must not contain two consecutive hyphens"]),
]

USERNAMES = [
    ("admin", []),
    ("a1234567890abcde", []),
    (
        "a1234567890abcdef",
        ["master_username 'a1234567890abcdef' must be 1 to 16 letters and digits, starting with a letter"],
    ),
    ("1admin", ["master_username '1admin' must be 1 to 16 letters and digits, starting with a letter"]),
    ("db-admin", ["master_username 'db-admin' must be 1 to 16 letters and digits, starting with a letter"]),
    ("", ["master_username '' must be 1 to 16 letters and digits, starting with a letter"]),
    ("rdsadmin", ["master_username 'rdsadmin' is a reserved word of RDS or MySQL"]),
    ("Select", ["master_username 'Select' is a reserved word of RDS or MySQL"]),
]

PASSWORDS = [
    ("correct-horse-battery", []),
    ("8chars!!", []),
    ("x" * 41, []),
    ("short", ["master_password must be 8 to 41 characters long (it has 5)"]),
    ("x" * 42, ["master_password must be 8 to 41 characters long (it has 42)"]),
    ("has/slash1", ["master_password must not contain '/', '\"', '@' or a space"]),
    ('has"quote1', ["master_password must not contain '/', '\"', '@' or a space"]),
    ("has@at1234", ["master_password must not contain '/', '\"', '@' or a space"]),
    ("has space1", ["master_password must not contain '/', '\"', '@' or a space"]),
    ("ünïcödé-pass", ["master_password must hold printable ASCII characters only"]),
    ("tab\there12", ["master_password must hold printable ASCII characters only"]),
]


@pytest.mark.parametrize(("value", "expected"), IDENTIFIERS)
def test_cluster_identifier(value, expected):
    assert cluster_identifier_errors(value) == expected


@pytest.mark.parametrize(("value", "expected"), USERNAMES)
def test_master_username(value, expected):
    assert master_username_errors(value) == expected


@pytest.mark.parametrize(("value", "expected"), PASSWORDS)
def test_master_password_rules_never_quote_the_password(value, expected):
    errors = master_password_errors(value)
    assert errors == expected
    assert all(value not in error for error in errors)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["audit", "error", "general", "slowquery"], []),
        ([], []),
        (
            ["audit", "slow-query"],
            [
                "log_exports has an unknown log type 'slow-query' (the engine exports audit, error, general,"
                " iam-db-auth-error, instance, slowquery)"
            ],
        ),
    ],
)
def test_log_exports(values, expected):
    assert log_export_errors(values) == expected


def test_log_exports_against_the_engines_own_list():
    assert log_export_errors(["postgresql"], allowed=["audit"], name="aurora_log_exports") == [
        "aurora_log_exports has an unknown log type 'postgresql' (the engine exports audit)"
    ]
