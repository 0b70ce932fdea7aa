"""DescribeDBEngineVersions (an extension: moto lacks it) and what moto keeps of a scaling configuration."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("8.0.mysql_aurora.3.02.0", {"MinCapacity": 0.5, "MaxCapacity": 128.0}),
        ("8.0.mysql_aurora.3.06.1", {"MinCapacity": 0.5, "MaxCapacity": 256.0}),
        ("8.0.mysql_aurora.3.08.0", {"MinCapacity": 0.0, "MaxCapacity": 256.0}),
        ("5.7.mysql_aurora.2.11.2", None),
    ],
)
def test_serverless_v2_features_of_an_engine_version(emulator, version, expected):
    found = emulator.client("rds").describe_db_engine_versions(Engine="aurora-mysql", EngineVersion=version)[
        "DBEngineVersions"
    ]
    assert [v["EngineVersion"] for v in found] == [version]
    assert found[0].get("ServerlessV2FeaturesSupport") == expected
    assert found[0]["DBParameterGroupFamily"] == ("aurora-mysql8.0" if version.startswith("8.0") else "aurora-mysql5.7")
    assert {"audit", "error", "general", "slowquery"} <= set(found[0]["ExportableLogTypes"])


def test_unknown_version_is_an_empty_list(emulator):
    rds = emulator.client("rds")
    assert (
        rds.describe_db_engine_versions(Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.9.99.9")[
            "DBEngineVersions"
        ]
        == []
    )


def test_filters_default_only_and_pagination(emulator):
    rds = emulator.client("rds")
    family = rds.describe_db_engine_versions(
        Filters=[{"Name": "db-parameter-group-family", "Values": ["aurora-mysql5.7"]}]
    )["DBEngineVersions"]
    assert {v["EngineVersion"] for v in family} == {"5.7.mysql_aurora.2.11.2", "5.7.mysql_aurora.2.12.4"}

    defaults = rds.describe_db_engine_versions(DefaultOnly=True)["DBEngineVersions"]
    assert sorted(v["Engine"] for v in defaults) == ["aurora-mysql", "aurora-postgresql"]

    pages = list(rds.get_paginator("describe_db_engine_versions").paginate(PaginationConfig={"PageSize": 20}))
    every = [v["EngineVersion"] for page in pages for v in page["DBEngineVersions"]]
    assert len(every) == len(set(every)) > 10
    with pytest.raises(rds.exceptions.ClientError, match="InvalidParameterValue"):
        rds.describe_db_engine_versions(MaxRecords=5)


def test_modify_keeps_scale_to_zero_and_auto_pause(emulator):
    rds = emulator.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="sv2-emulator",
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 16},
    )
    try:
        rds.modify_db_cluster(
            DBClusterIdentifier="sv2-emulator",
            ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 8, "SecondsUntilAutoPause": 600},
            ApplyImmediately=True,
        )
        cluster = rds.describe_db_clusters(DBClusterIdentifier="sv2-emulator")["DBClusters"][0]
        assert cluster["ServerlessV2ScalingConfiguration"] == {
            "MinCapacity": 0.0,
            "MaxCapacity": 8.0,
            "SecondsUntilAutoPause": 600,
        }
    finally:
        rds.delete_db_cluster(DBClusterIdentifier="sv2-emulator", SkipFinalSnapshot=True)
