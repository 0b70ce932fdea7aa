"""rds_cluster_users against the emulator's cluster (its real MariaDB, through the RDS Data API): the four
steps of a declaration, then a change and purge in four steps; the users it made log in with an IAM token
over verified TLS, an undeclared one does not; what it refuses, it refuses before any mutating request."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request

import pymysql
import pytest
from support.builders import serverless_cluster
from support.modules import four_steps, run_module

MODULE = "livestack.aws.rds_cluster_users"
CLUSTER = "users-test"
MASTER_PASSWORD = "master-password-1"
ACCESS_DENIED = 1045

DECLARED = {
    "databases": ["shop_app", "reports"],
    "users": [
        {"name": "app", "grants": [{"database": "shop_app", "privileges": ["ALL"]}]},
        {
            "name": "reporting",
            "grants": [
                {"database": "shop_app", "privileges": ["select"]},
                {"database": "reports", "privileges": ["SELECT", "INSERT", "SHOW VIEW"]},
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def cluster(emulator) -> dict:
    """A cluster with an instance and the Data API on, and what someone made by hand before the module ran:
    a password user, a database, and a grant of app's database to that user by a wildcard pattern."""
    rds = emulator.client("rds")
    created = serverless_cluster(
        rds, CLUSTER, MASTER_PASSWORD, EngineVersion="8.0.mysql_aurora.3.08.2", DatabaseName="initial"
    )
    rds.enable_http_endpoint(ResourceArn=created["DBClusterArn"])
    secret = emulator.client("secretsmanager").create_secret(
        Name=f"{CLUSTER}/master", SecretString=json.dumps({"username": "admin", "password": MASTER_PASSWORD})
    )["ARN"]
    found = {"arn": created["DBClusterArn"], "secret": secret, "endpoint": created["Endpoint"]}
    for sql in (
        "CREATE DATABASE legacy_db",
        "CREATE USER 'legacy'@'%' IDENTIFIED BY 'legacy-password-1'",
        "GRANT SELECT ON `shop_app`.* TO 'legacy'@'%'",
    ):
        execute(emulator, found, sql)
    return found


def execute(emulator, cluster: dict, sql: str) -> list[list]:
    data = emulator.client("rds-data")
    deadline = time.monotonic() + 60
    while True:
        try:
            response = data.execute_statement(resourceArn=cluster["arn"], secretArn=cluster["secret"], sql=sql)
            return [[next(iter(field.values())) for field in record] for record in response.get("records", [])]
        except data.exceptions.DatabaseUnavailableException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def grants(emulator, cluster: dict, user: str) -> set[str]:
    return {row[0] for row in execute(emulator, cluster, f"SHOW GRANTS FOR '{user}'@'%'")}


def args(cluster: dict, **extra) -> dict:
    return {"cluster": cluster["arn"], "secret_arn": cluster["secret"], **DECLARED, **extra}


def connect_with_token(emulator, cluster: dict, user: str, tmp_path, database: str | None = None):
    with urllib.request.urlopen(f"{emulator.url}/_livestack/ca-bundle.pem", timeout=10) as response:
        (tmp_path / "ca.pem").write_bytes(response.read())
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    host = cluster["endpoint"]
    token = emulator.client("rds").generate_db_auth_token(host, 3306, user)
    return pymysql.connect(
        host=host, port=3306, user=user, password=token, ssl=context, database=database, autocommit=True
    )


def test_a_declared_user_that_has_a_password_is_refused_before_any_change(emulator, cluster):
    emulator.clear_requests()
    declared = {"name": "legacy", "grants": []}
    status, result = run_module(emulator, MODULE, args(cluster, users=[*DECLARED["users"], declared]))
    assert status == "FAILED", result
    assert "user 'legacy' exists with the mysql_native_password authentication plugin" in result["msg"]
    assert emulator.requests()["mutating"] == 0
    assert execute(emulator, cluster, "SHOW DATABASES LIKE 'shop_app'") == []


def test_databases_users_and_grants_in_four_steps(emulator, cluster, tmp_path):
    applied = four_steps(emulator, args(cluster), MODULE).applied
    assert applied["databases"] == ["initial", "legacy_db", "reports", "shop_app"]
    assert applied["previous"]["users"] == {"legacy": {"grants": {"shop_app": ["SELECT"]}}}
    assert applied["users"]["reporting"] == {
        "grants": {"reports": ["INSERT", "SELECT", "SHOW VIEW"], "shop_app": ["SELECT"]}
    }
    assert "CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL" in applied["statements"]
    # SHOW GRANTS lists exactly the declaration (USAGE is MySQL's "no privilege"), the database named exactly.
    assert {line.split(" TO ")[0] for line in grants(emulator, cluster, "reporting")} == {
        "GRANT USAGE ON *.*",
        "GRANT SELECT ON `shop\\_app`.*",
        "GRANT SELECT, INSERT, SHOW VIEW ON `reports`.*",
    }
    users = execute(
        emulator, cluster, "SELECT User, plugin, ssl_type FROM mysql.user WHERE User IN ('app', 'reporting')"
    )
    assert sorted(users) == [["app", "AWSAuthenticationPlugin", "ANY"], ["reporting", "AWSAuthenticationPlugin", "ANY"]]
    # Without purge, what the module did not declare stays.
    assert "legacy" in {row[0] for row in execute(emulator, cluster, "SELECT User FROM mysql.user")}

    # The user it made works: an IAM token over TLS verified against the emulator's CA, on its database.
    with connect_with_token(emulator, cluster, "app", tmp_path, database="shop_app") as db, db.cursor() as cursor:
        cursor.execute("CREATE TABLE items (id INT PRIMARY KEY)")
        cursor.execute("INSERT INTO items VALUES (1)")
        cursor.execute("SELECT CURRENT_USER(), COUNT(*) FROM items")
        assert cursor.fetchone() == ("app@%", 1)
    # A user nobody declared has no account: its token is refused.
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect_with_token(emulator, cluster, "ghost", tmp_path)
    assert refused.value.args[0] == ACCESS_DENIED


def test_a_change_and_purge_in_four_steps(emulator, cluster, tmp_path):
    declared = {
        "databases": ["shop_app"],
        "users": [{"name": "app", "grants": [{"database": "shop_app", "privileges": ["SELECT", "INSERT"]}]}],
    }
    applied = four_steps(emulator, args(cluster, **declared, purge=True), MODULE).applied
    assert applied["statements"] == [
        "REVOKE ALL PRIVILEGES ON `shop\\_app`.* FROM 'app'@'%'",
        "GRANT INSERT, SELECT ON `shop\\_app`.* TO 'app'@'%'",
        "DROP USER 'legacy'@'%'",
        "DROP USER 'reporting'@'%'",
        "DROP DATABASE `legacy_db`",
        "DROP DATABASE `reports`",
    ]
    # The master user, the cluster's DatabaseName and the system schemas stay.
    assert applied["databases"] == ["initial", "shop_app"]
    assert applied["users"] == {"app": {"grants": {"shop_app": ["INSERT", "SELECT"]}}}
    accounts = {row[0] for row in execute(emulator, cluster, "SELECT User FROM mysql.user")}
    assert {"admin", "app"} <= accounts and not {"legacy", "reporting"} & accounts
    with connect_with_token(emulator, cluster, "app", tmp_path, database="shop_app") as db, db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM items")
        assert cursor.fetchone() == (1,)
        with pytest.raises(pymysql.err.OperationalError):
            cursor.execute("DROP TABLE items")
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect_with_token(emulator, cluster, "reporting", tmp_path)
    assert refused.value.args[0] == ACCESS_DENIED


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"users": [{"name": "admin"}]}, "users[0] 'admin' is the cluster's master user"),
        ({"users": [{"name": "rdsadmin"}]}, "users[0] 'rdsadmin' is reserved"),
        ({"users": [{"name": "a" * 33}]}, "must be a MySQL user name of 1 to 32 characters"),
        ({"users": [{"name": "app'; DROP"}]}, "must be a MySQL user name"),
        ({"users": [{"name": "app", "grants": [{"database": "other", "privileges": ["SELECT"]}]}]}, "is not one of"),
        ({"users": [{"name": "app", "grants": [{"database": "shop_app", "privileges": ["SUPER"]}]}]}, "['SUPER']"),
        ({"users": [], "purge": True}, "purge is true with no users"),
        ({"databases": ["shop_app", "SHOP_APP"]}, "is declared twice"),
    ],
)
def test_bad_input_is_refused_before_any_request_that_changes_something(emulator, cluster, extra, message):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, args(cluster, **extra))
    assert status == "FAILED", result
    assert message in result["msg"]
    assert emulator.requests()["mutating"] == 0


def test_the_info_module_reads_users_with_their_plugin_and_no_mutating_request(emulator, cluster):
    execute(emulator, cluster, "CREATE USER IF NOT EXISTS 'by_hand'@'%' IDENTIFIED BY 'by-hand-password-1'")
    emulator.clear_requests()
    # The secret by name, as verify.yml gives it.
    status, found = run_module(
        emulator, "livestack.aws.rds_cluster_users_info", {"cluster": CLUSTER, "secret": f"{CLUSTER}/master"}
    )
    assert status == "SUCCESS", found
    assert emulator.requests()["mutating"] == 0
    assert found["http_endpoint_enabled"] and found["master_username"] == "admin"
    assert "shop_app" in found["databases"] and "mysql" not in found["databases"]
    users = {user["name"]: user for user in found["users"]}
    assert users["app"] == {
        "name": "app", "plugin": "AWSAuthenticationPlugin", "iam": True, "ssl_type": "ANY",
        "grants": {"shop_app": ["INSERT", "SELECT"]},
    }  # fmt: skip
    assert users["by_hand"]["iam"] is False and users["by_hand"]["plugin"] == "mysql_native_password"
    assert "admin" not in users
    execute(emulator, cluster, "DROP USER 'by_hand'@'%'")
