"""rds_cluster_serverless_v2 in four steps (create, capacity change, scale to zero on and off, the HTTP
endpoint on and off) and bad input refused before any change."""

from __future__ import annotations

import pytest
from support.modules import four_steps, run_module

MODULE = "livestack.aws.rds_cluster_serverless_v2"
CLUSTER = "sv2test-sv2"
OLD_CLUSTER = "sv2test-sv2-old"  # an engine version without auto-pause, and 128 ACU at most


@pytest.fixture(scope="module")
def clusters(emulator):
    """Two provisioned Aurora MySQL clusters without a scaling configuration."""
    rds = emulator.client("rds")
    for identifier, version in ((CLUSTER, "8.0.mysql_aurora.3.08.0"), (OLD_CLUSTER, "8.0.mysql_aurora.3.02.0")):
        rds.create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine="aurora-mysql",
            EngineVersion=version,
            MasterUsername="admin",
            MasterUserPassword="not-a-real-password",
        )
    yield
    for identifier in (CLUSTER, OLD_CLUSTER):
        rds.delete_db_cluster(DBClusterIdentifier=identifier, SkipFinalSnapshot=True)


def test_the_info_module_reports_the_supported_range_and_no_configuration(emulator, clusters):
    status, info = run_module(emulator, f"{MODULE}_info", {"cluster_identifier": CLUSTER})
    assert status == "SUCCESS", info
    assert info["exists"] and info["scaling_configuration"] == {}
    assert info["supported_capacity"]["min_capacity"] == 0
    assert info["supported_capacity"]["max_capacity"] == 256
    assert info["supported_capacity"]["auto_pause"]


STEPS = [  # (options, the configuration before, after): each step starts from the one before
    ({"min_capacity": 0.5, "max_capacity": 16}, {}, {"min_capacity": 0.5, "max_capacity": 16.0}),
    (
        {"min_capacity": 1, "max_capacity": 32},
        {"min_capacity": 0.5, "max_capacity": 16.0},
        {"min_capacity": 1.0, "max_capacity": 32.0},
    ),
    (
        {"min_capacity": 0, "max_capacity": 32, "seconds_until_auto_pause": 600},
        {"min_capacity": 1.0, "max_capacity": 32.0},
        {"min_capacity": 0.0, "max_capacity": 32.0, "seconds_until_auto_pause": 600},
    ),
    (
        {"min_capacity": 0.5, "max_capacity": 32},
        {"min_capacity": 0.0, "max_capacity": 32.0, "seconds_until_auto_pause": 600},
        {"min_capacity": 0.5, "max_capacity": 32.0},
    ),
]


def test_the_scaling_configuration_in_four_steps_per_change(emulator, clusters):
    for options, before, after in STEPS:
        steps = four_steps(emulator, {"cluster_identifier": CLUSTER, **options}, MODULE)
        assert steps.predicted["diff"] == {"before": before, "after": after}
        assert steps.predicted["previous_scaling_configuration"] == before
        assert steps.predicted["scaling_configuration"] == after
        assert steps.applied["previous_scaling_configuration"] == before
        assert steps.applied["scaling_configuration"] == after
        assert steps.mutations == ["ModifyDBCluster"]
        status, read_back = run_module(emulator, f"{MODULE}_info", {"cluster_identifier": CLUSTER})
        assert read_back["scaling_configuration"] == after and read_back["status"] == "available", read_back


def test_the_http_endpoint_on_then_off_in_four_steps(emulator, clusters):
    for enabled in (True, False):
        args = {"cluster_identifier": CLUSTER, "min_capacity": 0.5, "max_capacity": 32, "http_endpoint": enabled}
        steps = four_steps(emulator, args, MODULE)
        assert steps.predicted["diff"] == {
            "before": {"min_capacity": 0.5, "max_capacity": 32.0, "http_endpoint": not enabled},
            "after": {"min_capacity": 0.5, "max_capacity": 32.0, "http_endpoint": enabled},
        }
        assert steps.applied["http_endpoint_enabled"] == enabled
        # EnableHttpEndpoint / DisableHttpEndpoint, never ModifyDBCluster's flag (Serverless v1 only).
        assert steps.mutations == ["EnableHttpEndpoint" if enabled else "DisableHttpEndpoint"]
        cluster = emulator.client("rds").describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]
        assert cluster["HttpEndpointEnabled"] == enabled


@pytest.mark.parametrize(
    ("cluster", "options", "message"),
    [
        (CLUSTER, {"min_capacity": 0.7, "max_capacity": 16},
         "min_capacity 0.7 must be a non-negative multiple of 0.5 ACU"),
        (CLUSTER, {"min_capacity": 8, "max_capacity": 4}, "min_capacity 8 must not be above max_capacity 4"),
        (CLUSTER, {"min_capacity": 0, "max_capacity": 8, "seconds_until_auto_pause": 60},
         "seconds_until_auto_pause 60 must be between 300 and 86400 seconds"),
        (CLUSTER, {"min_capacity": 1, "max_capacity": 8, "seconds_until_auto_pause": 600},
         "seconds_until_auto_pause 600 applies only to scale to zero"),
        (OLD_CLUSTER, {"min_capacity": 0.5, "max_capacity": 256},
         "max_capacity 256 is above the 128 ACU that engine version 8.0.mysql_aurora.3.02.0 allows"),
        (OLD_CLUSTER, {"min_capacity": 0, "max_capacity": 16},
         "min_capacity 0 (scale to zero) needs an engine version with auto-pause"),
        ("sv2test-no-such-cluster", {"min_capacity": 0.5, "max_capacity": 16}, "no such DB cluster"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_option_before_any_change(emulator, clusters, cluster, options, message):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {"cluster_identifier": cluster, **options})
    assert status == "FAILED", result
    assert message in result["msg"]
    assert emulator.requests()["mutating"] == 0
