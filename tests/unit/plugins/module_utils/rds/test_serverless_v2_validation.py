"""The Serverless v2 capacity rules, table-driven: each bad input names the option, the value and the rule."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_validation import (
    SupportedCapacity,
    capacity_errors,
)

MYSQL_3_02 = SupportedCapacity(0.5, 128.0, "8.0.mysql_aurora.3.02.0")
MYSQL_3_08 = SupportedCapacity(0.0, 256.0, "8.0.mysql_aurora.3.08.0")

VALID = [
    (0.5, 16, None, MYSQL_3_02),
    (0.5, 128, None, MYSQL_3_02),
    (0, 16, None, MYSQL_3_08),
    (0, 1, 300, MYSQL_3_08),
    (0, 256, 86400, MYSQL_3_08),
    (2.5, 2.5, None, MYSQL_3_08),
    (0.5, 16, None, None),
    (0, 16, 600, None),
]

INVALID = [
    (0.7, 16, None, MYSQL_3_08, ["min_capacity 0.7 must be a non-negative multiple of 0.5 ACU"]),
    (1, 16.25, None, MYSQL_3_08, ["max_capacity 16.25 must be a non-negative multiple of 0.5 ACU"]),
    (-0.5, 16, None, None, ["min_capacity -0.5 must be a non-negative multiple of 0.5 ACU"]),
    (8, 4, None, MYSQL_3_08, ["min_capacity 8 must not be above max_capacity 4"]),
    (0.5, 0.5, None, MYSQL_3_08, ["max_capacity 0.5 must be at least 1 ACU"]),
    (
        0.5,
        256,
        None,
        MYSQL_3_02,
        ["max_capacity 256 is above the 128 ACU that engine version 8.0.mysql_aurora.3.02.0 allows"],
    ),
    (0.5, 512, None, None, ["max_capacity 512 is above 256 ACU, the most any engine allows"]),
    (
        0,
        16,
        None,
        MYSQL_3_02,
        [
            "min_capacity 0 (scale to zero) needs an engine version with auto-pause; engine version"
            " 8.0.mysql_aurora.3.02.0 starts at 0.5 ACU"
        ],
    ),
    (0, 16, 299, MYSQL_3_08, ["seconds_until_auto_pause 299 must be between 300 and 86400 seconds"]),
    (0, 16, 86401, MYSQL_3_08, ["seconds_until_auto_pause 86401 must be between 300 and 86400 seconds"]),
    (
        1,
        16,
        600,
        MYSQL_3_08,
        [
            "seconds_until_auto_pause 600 applies only to scale to zero: set min_capacity to 0"
            " or leave seconds_until_auto_pause unset"
        ],
    ),
    (
        9,
        300,
        None,
        MYSQL_3_02,
        ["max_capacity 300 is above 256 ACU, the most any engine allows"],
    ),
]


@pytest.mark.parametrize(("low", "high", "seconds", "supported"), VALID)
def test_valid_ranges_pass(low, high, seconds, supported):
    assert capacity_errors(low, high, seconds, supported) == []


@pytest.mark.parametrize(("low", "high", "seconds", "supported", "expected"), INVALID)
def test_each_broken_rule_is_reported(low, high, seconds, supported, expected):
    assert capacity_errors(low, high, seconds, supported) == expected


def test_messages_use_the_callers_names():
    names = {
        "min_capacity": "aurora_min_capacity",
        "max_capacity": "aurora_max_capacity",
        "seconds_until_auto_pause": "aurora_seconds_until_auto_pause",
    }
    assert capacity_errors(4, 2, 10, MYSQL_3_08, names) == [
        "aurora_min_capacity 4 must not be above aurora_max_capacity 2",
        "aurora_seconds_until_auto_pause 10 must be between 300 and 86400 seconds",
    ]


def test_supported_capacity_knows_auto_pause():
    assert MYSQL_3_08.as_dict() == {"min_capacity": 0.0, "max_capacity": 256.0, "auto_pause": True}
    assert MYSQL_3_02.auto_pause is False
