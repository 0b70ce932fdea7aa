"""The emulator's MySQL data plane: a MariaDB server behind each Aurora MySQL cluster."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
import urllib.request

import pymysql
import pytest

_names = itertools.count()


def health(emulator) -> dict:
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        return json.load(response)["dataplane"]["mysql"]


def wait_for_server(emulator, cluster: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = health(emulator)["servers"].get(f"us-east-1/{cluster}", {})
        if server.get("ready") or server.get("error"):
            return server
        time.sleep(0.05)
    raise AssertionError(f"the server of {cluster} did not start: {health(emulator)}")


def mariadbd_processes(directory: str = "") -> list[str]:
    found = subprocess.run(["pgrep", "-a", "mariadbd"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if directory in line]


@pytest.fixture
def cluster(emulator):
    rds = emulator.client("rds")
    name = f"data-{next(_names)}"
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DatabaseName="app",
        EnableIAMDatabaseAuthentication=True,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=name,
    )
    yield name
    rds.delete_db_instance(DBInstanceIdentifier=f"{name}-1", SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)


def test_a_cluster_has_a_mariadb_with_its_master_user_and_database(emulator, cluster):
    server = wait_for_server(emulator, cluster)
    assert server["ready"], server
    host, port = server["address"].split(":")
    with pymysql.connect(host=host, port=int(port), user="admin", password="password1", database="app") as db:
        with db.cursor() as cursor:
            cursor.execute("SELECT CURRENT_USER(), DATABASE()")
            assert cursor.fetchone() == ("admin@%", "app")
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(host=host, port=int(port), user="admin", password="wrong")
    assert refused.value.args[0] == 1045


def test_modify_db_cluster_changes_the_master_password(emulator, cluster):
    host, port = wait_for_server(emulator, cluster)["address"].split(":")
    emulator.client("rds").modify_db_cluster(
        DBClusterIdentifier=cluster, MasterUserPassword="password2", ApplyImmediately=True
    )
    pymysql.connect(host=host, port=int(port), user="admin", password="password2").close()


def test_deleting_the_cluster_stops_its_server(emulator):
    rds = emulator.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="data-gone", Engine="aurora-mysql", MasterUsername="admin", MasterUserPassword="password1"
    )
    host, port = wait_for_server(emulator, "data-gone")["address"].split(":")
    assert mariadbd_processes(f"--port={port}")
    rds.delete_db_cluster(DBClusterIdentifier="data-gone", SkipFinalSnapshot=True)
    assert "us-east-1/data-gone" not in health(emulator)["servers"]
    assert not mariadbd_processes(f"--port={port}")
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=host, port=int(port), user="admin", password="password1", connect_timeout=2)
