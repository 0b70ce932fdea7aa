"""ModifyDBCluster refuses a lower engine version as AWS does, and still applies an upgrade."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def cluster(emulator, request):
    """A cluster at 8.0.mysql_aurora.3.08.0, named after the test; its id is returned with the client."""
    rds, name = emulator.client("rds"), request.node.name.replace("_", "-")[:40].rstrip("-")
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
    )
    yield rds, name
    rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)


def version(rds, name: str) -> str:
    return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["EngineVersion"]


def test_a_lower_engine_version_is_refused_and_changes_nothing(cluster):
    rds, name = cluster
    with pytest.raises(ClientError) as refused:
        rds.modify_db_cluster(DBClusterIdentifier=name, EngineVersion="8.0.mysql_aurora.3.04.0", ApplyImmediately=True)
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterCombination"
    assert error["Message"] == "Cannot upgrade aurora-mysql from 8.0.mysql_aurora.3.08.0 to 8.0.mysql_aurora.3.04.0"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert version(rds, name) == "8.0.mysql_aurora.3.08.0"


def test_a_higher_engine_version_is_applied(cluster):
    rds, name = cluster
    rds.modify_db_cluster(DBClusterIdentifier=name, EngineVersion="8.0.mysql_aurora.3.08.2", ApplyImmediately=True)
    assert version(rds, name) == "8.0.mysql_aurora.3.08.2"
