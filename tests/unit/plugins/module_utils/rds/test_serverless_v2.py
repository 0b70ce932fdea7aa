"""Normalising Serverless v2 scaling configurations and computing the desired one."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2 import (
    desired_scaling,
    normalise_scaling,
    scaling_to_api,
    supported_capacity,
)


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (None, {}),
        ({}, {}),
        ({"MinCapacity": 0.5, "MaxCapacity": 16}, {"min_capacity": 0.5, "max_capacity": 16.0}),
        (
            {"MinCapacity": 0.5, "MaxCapacity": 16, "SecondsUntilAutoPause": 600},
            {"min_capacity": 0.5, "max_capacity": 16.0},
        ),
        (
            {"MinCapacity": 0, "MaxCapacity": 8, "SecondsUntilAutoPause": 600},
            {"min_capacity": 0.0, "max_capacity": 8.0, "seconds_until_auto_pause": 600},
        ),
        (
            {"MinCapacity": 0, "MaxCapacity": 8},
            {"min_capacity": 0.0, "max_capacity": 8.0, "seconds_until_auto_pause": 300},
        ),
    ],
)
def test_normalise(api, expected):
    assert normalise_scaling(api) == expected


@pytest.mark.parametrize(
    ("current", "low", "high", "seconds", "expected"),
    [
        ({}, 0.5, 16, None, {"min_capacity": 0.5, "max_capacity": 16.0}),
        ({}, 0, 16, None, {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 300}),
        (
            {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 900},
            0,
            32,
            None,
            {"min_capacity": 0.0, "max_capacity": 32.0, "seconds_until_auto_pause": 900},
        ),
        (
            {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 900},
            0,
            16,
            600,
            {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 600},
        ),
        (
            {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 900},
            0.5,
            16,
            None,
            {"min_capacity": 0.5, "max_capacity": 16.0},
        ),
    ],
)
def test_desired(current, low, high, seconds, expected):
    assert desired_scaling(current, low, high, seconds) == expected


def test_to_api_sends_the_auto_pause_seconds_only_with_zero():
    assert scaling_to_api({"min_capacity": 0.5, "max_capacity": 4.0}) == {"MinCapacity": 0.5, "MaxCapacity": 4.0}
    assert scaling_to_api({"min_capacity": 0.0, "max_capacity": 4.0, "seconds_until_auto_pause": 300}) == {
        "MinCapacity": 0.0,
        "MaxCapacity": 4.0,
        "SecondsUntilAutoPause": 300,
    }


def test_supported_capacity_of_an_engine_version():
    assert supported_capacity(None) is None
    assert supported_capacity({"EngineVersion": "5.7.mysql_aurora.2.11.2"}) is None
    found = supported_capacity(
        {
            "EngineVersion": "8.0.mysql_aurora.3.08.0",
            "ServerlessV2FeaturesSupport": {"MinCapacity": 0, "MaxCapacity": 256},
        }
    )
    assert (found.min_capacity, found.max_capacity, found.auto_pause, found.engine_version) == (
        0.0,
        256.0,
        True,
        "8.0.mysql_aurora.3.08.0",
    )
