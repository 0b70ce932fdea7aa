# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The rules AWS applies to an Aurora Serverless v2 scaling configuration (docs/aws-limits.md).

Every check returns a list of messages, each naming the option, the value and the rule, so that a
module (or a role, through the ``rds_cluster_input_errors`` filter) reports them all before any
mutating call. ``names`` maps the option keys to the names the caller's user knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CAPACITY_STEP = 0.5
# The botocore model: "256 for recent Aurora versions, or 128 for older versions".
CAPACITY_CEILING = 256.0
# The Aurora user guide: the maximum capacity can be set as low as 1 ACU, not lower.
MAX_CAPACITY_FLOOR = 1.0
AUTO_PAUSE_SECONDS_MIN = 300
AUTO_PAUSE_SECONDS_MAX = 86400
AUTO_PAUSE_SECONDS_DEFAULT = 300

OPTION_NAMES: Mapping[str, str] = {
    "min_capacity": "min_capacity",
    "max_capacity": "max_capacity",
    "seconds_until_auto_pause": "seconds_until_auto_pause",
}


@dataclass(frozen=True)
class SupportedCapacity:
    """``ServerlessV2FeaturesSupport`` of an engine version: MinCapacity 0 means auto-pause."""

    min_capacity: float
    max_capacity: float
    engine_version: str = ""

    @property
    def auto_pause(self) -> bool:
        return self.min_capacity == 0

    def as_dict(self) -> dict:
        return {"min_capacity": self.min_capacity, "max_capacity": self.max_capacity, "auto_pause": self.auto_pause}


def _is_step(value: float) -> bool:
    return (value / CAPACITY_STEP).is_integer()


def _acu(value: float) -> str:
    return f"{value:g}"


def capacity_errors(
    min_capacity: float | None,
    max_capacity: float | None,
    seconds_until_auto_pause: int | None = None,
    supported: SupportedCapacity | None = None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Check a capacity range; without ``supported`` only the rules that hold for every engine version."""
    names = {**OPTION_NAMES, **(names or {})}
    errors = []
    for key, value in (("min_capacity", min_capacity), ("max_capacity", max_capacity)):
        if value is None:
            continue
        if value < 0 or not _is_step(value):
            errors.append(f"{names[key]} {value!r} must be a non-negative multiple of {CAPACITY_STEP} ACU")
        elif value > CAPACITY_CEILING:
            errors.append(
                f"{names[key]} {_acu(value)} is above {_acu(CAPACITY_CEILING)} ACU, the most any engine allows"
            )
    if errors:
        return errors

    if max_capacity is not None and max_capacity < MAX_CAPACITY_FLOOR:
        errors.append(f"{names['max_capacity']} {_acu(max_capacity)} must be at least {_acu(MAX_CAPACITY_FLOOR)} ACU")
    if min_capacity is not None and max_capacity is not None and min_capacity > max_capacity:
        low, high = names["min_capacity"], names["max_capacity"]
        errors.append(f"{low} {_acu(min_capacity)} must not be above {high} {_acu(max_capacity)}")
    version = f"engine version {supported.engine_version}" if supported and supported.engine_version else ""
    if supported is not None:
        if max_capacity is not None and max_capacity > supported.max_capacity:
            errors.append(
                f"{names['max_capacity']} {_acu(max_capacity)} is above the {_acu(supported.max_capacity)} ACU"
                f" that {version or 'the engine version'} allows"
            )
        if min_capacity == 0 and not supported.auto_pause:
            errors.append(
                f"{names['min_capacity']} 0 (scale to zero) needs an engine version with auto-pause;"
                f" {version or 'this engine version'} starts at {_acu(supported.min_capacity)} ACU"
            )
        elif min_capacity is not None and 0 < min_capacity < supported.min_capacity:
            errors.append(
                f"{names['min_capacity']} {_acu(min_capacity)} is below the {_acu(supported.min_capacity)} ACU"
                f" that {version or 'the engine version'} allows"
            )

    if seconds_until_auto_pause is not None:
        if not AUTO_PAUSE_SECONDS_MIN <= seconds_until_auto_pause <= AUTO_PAUSE_SECONDS_MAX:
            errors.append(
                f"{names['seconds_until_auto_pause']} {seconds_until_auto_pause} must be between"
                f" {AUTO_PAUSE_SECONDS_MIN} and {AUTO_PAUSE_SECONDS_MAX} seconds"
            )
        elif min_capacity is not None and min_capacity != 0:
            errors.append(
                f"{names['seconds_until_auto_pause']} {seconds_until_auto_pause} applies only to scale to zero:"
                f" set {names['min_capacity']} to 0 or leave {names['seconds_until_auto_pause']} unset"
            )
    return errors
