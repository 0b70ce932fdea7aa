"""dataplane.mysql's statement translation and IAM user passwords (no server needed)."""

from __future__ import annotations

import hashlib

import pytest

from livestack_emulator.dataplane import mysql


@pytest.mark.parametrize(
    ("statement", "user"),
    [
        ("CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "app"),
        ("create user if not exists `app` identified with 'AWSAuthenticationPlugin' as 'RDS' REQUIRE SSL", "app"),
        ('ALTER USER "jane.doe"@"10.0.%" IDENTIFIED WITH AWSAuthenticationPlugin AS "RDS"', "jane.doe"),
        ("CREATE USER reader IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "reader"),
    ],
)
def test_iam_users_get_the_hash_of_their_internal_password(statement, user):
    translated = mysql.translate_statement(statement)
    assert "AWSAuthenticationPlugin" not in translated
    assert f"IDENTIFIED BY PASSWORD '{mysql.native_hash(mysql.iam_password(user))}'" in translated
    assert mysql.is_iam_user(user, mysql.native_hash(mysql.iam_password(user)))
    assert not mysql.is_iam_user("other", mysql.native_hash(mysql.iam_password(user)))
    # The front end requires TLS of IAM users itself (MariaDB would refuse its socket login).
    assert "REQUIRE" not in translated.upper()


def test_several_users_in_one_statement_each_get_their_own_password():
    translated = mysql.translate_statement(
        "CREATE USER 'a'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', "
        "'b'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"
    )
    assert mysql.native_hash(mysql.iam_password("a")) in translated
    assert mysql.native_hash(mysql.iam_password("b")) in translated


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "CREATE USER 'u'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw'",
            "CREATE USER 'u'@'%' IDENTIFIED BY 'pw'",
        ),
        (
            "ALTER USER 'u'@'%' IDENTIFIED WITH 'mysql_native_password' BY 'pw'",
            "ALTER USER 'u'@'%' IDENTIFIED BY 'pw'",
        ),
        # Anything but a user statement is left alone, even when it mentions the plugin.
        (
            "SELECT 'CREATE USER x IDENTIFIED WITH AWSAuthenticationPlugin AS ''RDS'''",
            "SELECT 'CREATE USER x IDENTIFIED WITH AWSAuthenticationPlugin AS ''RDS'''",
        ),
        ("SELECT 1", "SELECT 1"),
        # REQUIRE SSL stays on a password user (an IAM user's is the front end's).
        ("ALTER USER 'u'@'%' REQUIRE SSL", "ALTER USER 'u'@'%' REQUIRE SSL"),
    ],
)
def test_other_statements(statement, expected):
    assert mysql.translate_statement(statement) == expected


def test_native_hash_is_mysql_password_function():
    # SELECT PASSWORD('password1') on MySQL 5.7 / MariaDB
    assert mysql.native_hash("password1") == "*668425423DB5193AF921380129F465A6425216D0"
    assert mysql.native_hash("x") == "*" + hashlib.sha1(hashlib.sha1(b"x").digest()).hexdigest().upper()


def test_iam_passwords_differ_per_user_and_are_not_the_name():
    assert mysql.iam_password("app") != mysql.iam_password("App")
    assert len(mysql.iam_password("app")) == 64
