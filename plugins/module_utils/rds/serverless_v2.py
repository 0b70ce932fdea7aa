# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Serverless v2 scaling configurations: normalised from the API, the desired one, and back to the API.

A normalised configuration is a snake_case dict with floats for the capacities; it holds
``seconds_until_auto_pause`` only when ``min_capacity`` is 0, because the setting means nothing
otherwise. Where AWS leaves it out with ``min_capacity`` 0, its documented default (300) applies.
"""

from __future__ import annotations

from typing import Any

from .serverless_v2_validation import AUTO_PAUSE_SECONDS_DEFAULT, SupportedCapacity

# Cluster states from which it will not come back to "available" on its own.
FAILED_CLUSTER_STATES = frozenset(
    {"failed", "inaccessible-encryption-credentials", "incompatible-parameters", "incompatible-restore"}
)


def normalise_scaling(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """``ServerlessV2ScalingConfiguration`` of a described cluster, normalised; {} when it has none."""
    if not configuration or configuration.get("MinCapacity") is None:
        return {}
    normalised: dict[str, Any] = {
        "min_capacity": float(configuration["MinCapacity"]),
        "max_capacity": float(configuration["MaxCapacity"]),
    }
    if normalised["min_capacity"] == 0:
        normalised["seconds_until_auto_pause"] = int(
            configuration.get("SecondsUntilAutoPause") or AUTO_PAUSE_SECONDS_DEFAULT
        )
    return normalised


def desired_scaling(
    current: dict[str, Any], min_capacity: float, max_capacity: float, seconds_until_auto_pause: int | None
) -> dict[str, Any]:
    """What the options ask for; unset auto-pause seconds keep the current value (else AWS's default)."""
    desired: dict[str, Any] = {"min_capacity": float(min_capacity), "max_capacity": float(max_capacity)}
    if desired["min_capacity"] == 0:
        desired["seconds_until_auto_pause"] = (
            seconds_until_auto_pause or current.get("seconds_until_auto_pause") or AUTO_PAUSE_SECONDS_DEFAULT
        )
    return desired


def scaling_to_api(configuration: dict[str, Any]) -> dict[str, Any]:
    """A normalised configuration as ModifyDBCluster takes it (the auto-pause seconds always sent with 0)."""
    api: dict[str, Any] = {
        "MinCapacity": configuration["min_capacity"],
        "MaxCapacity": configuration["max_capacity"],
    }
    if "seconds_until_auto_pause" in configuration:
        api["SecondsUntilAutoPause"] = configuration["seconds_until_auto_pause"]
    return api


def supported_capacity(engine_version: dict[str, Any] | None) -> SupportedCapacity | None:
    """``ServerlessV2FeaturesSupport`` of a described engine version; None when it has no Serverless v2."""
    features = (engine_version or {}).get("ServerlessV2FeaturesSupport") or {}
    if features.get("MinCapacity") is None or features.get("MaxCapacity") is None:
        return None
    return SupportedCapacity(
        min_capacity=float(features["MinCapacity"]),
        max_capacity=float(features["MaxCapacity"]),
        engine_version=engine_version.get("EngineVersion", ""),
    )
