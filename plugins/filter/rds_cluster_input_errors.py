# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``rds_cluster_input_errors``: a role checks its Aurora input with the modules' own rules.

The rules live once, in ``module_utils/rds``; this filter lets a role apply them before its first
mutating call and name its own variables in the messages. Documented in rds_cluster_input_errors.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users import input_errors as users_errors
from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_validation import (
    AURORA_MYSQL_LOG_TYPES,
    cluster_identifier_errors,
    log_export_errors,
    master_password_errors,
    master_username_errors,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_validation import (
    OPTION_NAMES,
    SupportedCapacity,
    capacity_errors,
)


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def rds_cluster_input_errors(
    values: Mapping[str, Any], names: Mapping[str, str] | None = None, supported: Mapping[str, Any] | None = None
) -> list[str]:
    """Every rule that ``values`` break; ``supported`` is rds_cluster_serverless_v2_info's supported_capacity."""
    keys = ("cluster_identifier", "master_username", "master_password", "log_exports", "databases", "users")
    names = {key: key for key in (*keys, "users_purge")} | {
        **OPTION_NAMES,
        **(names or {}),
    }
    errors: list[str] = []
    if "cluster_identifier" in values:
        errors += cluster_identifier_errors(str(values["cluster_identifier"]), names["cluster_identifier"])
    if "master_username" in values:
        errors += master_username_errors(str(values["master_username"]), names["master_username"])
    if values.get("master_password"):
        errors += master_password_errors(str(values["master_password"]), names["master_password"])
    if "log_exports" in values:
        allowed = values.get("exportable_log_types") or AURORA_MYSQL_LOG_TYPES
        errors += log_export_errors(values["log_exports"], allowed, names["log_exports"])
    if "databases" in values or "users" in values:
        errors += users_errors(
            values.get("databases", []),
            values.get("users", []),
            bool(values.get("users_purge")),
            values.get("master_username"),
            {"databases": names["databases"], "users": names["users"], "purge": names["users_purge"]},
        )
    seconds = values.get("seconds_until_auto_pause")
    capacity = (
        SupportedCapacity(
            float(supported["min_capacity"]), float(supported["max_capacity"]), str(values.get("engine_version", ""))
        )
        if supported
        else None
    )
    errors += capacity_errors(
        _number(values.get("min_capacity")),
        _number(values.get("max_capacity")),
        None if seconds is None or seconds == "" else int(seconds),
        capacity,
        names,
    )
    return errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"rds_cluster_input_errors": rds_cluster_input_errors}
