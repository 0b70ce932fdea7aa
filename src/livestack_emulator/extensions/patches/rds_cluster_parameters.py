"""RDS DescribeDBClusterParameters: a new cluster parameter group holds its family's engine defaults.

moto 5.2.5 creates a cluster parameter group with no parameters at all, so DescribeDBClusterParameters
lists nothing and amazon.aws's rds_cluster_param_group fails with "Could not find parameter with name"
for any parameter it is asked to set. On AWS the group lists every parameter of its family, with
``Source`` ``engine-default`` until modified (then ``user``). This extension seeds the Aurora MySQL
families with the parameters below (fields of the botocore ``Parameter`` shape); other families keep
moto's behaviour.
"""

from __future__ import annotations

from typing import Any

from moto.rds import models as rds_models

from .. import Registry
from ..patching import patch

BOOLEAN = ("boolean", "0,1")


def _parameter(name: str, apply_type: str, kind: tuple[str, str], description: str, value: str | None = None) -> dict:
    data_type, allowed = kind
    parameter: dict[str, Any] = {
        "ParameterName": name,
        "Description": description,
        "Source": "engine-default",
        "ApplyType": apply_type,
        "DataType": data_type,
        "AllowedValues": allowed,
        "IsModifiable": True,
        "ApplyMethod": "pending-reboot",
        "SupportedEngineModes": ["provisioned"],
    }
    if value is not None:
        parameter["ParameterValue"] = value
    return parameter


_AURORA_MYSQL = (
    _parameter("server_audit_logging", "dynamic", BOOLEAN, "Enables the Advanced Auditing feature.", "0"),
    _parameter(
        "server_audit_events",
        "dynamic",
        ("list", "CONNECT,QUERY,QUERY_DCL,QUERY_DDL,QUERY_DML,QUERY_DML_NO_SELECT,TABLE"),
        "The events that Advanced Auditing logs.",
    ),
    _parameter("server_audit_excl_users", "dynamic", ("string", ""), "Users whose activity is not audited."),
    _parameter("server_audit_incl_users", "dynamic", ("string", ""), "Only these users are audited."),
    _parameter("general_log", "dynamic", BOOLEAN, "Whether the general query log is enabled.", "0"),
    _parameter("slow_query_log", "dynamic", BOOLEAN, "Whether the slow query log is enabled.", "0"),
    _parameter("long_query_time", "dynamic", ("float", "0-31536000"), "Seconds after which a query is slow.", "10"),
    _parameter("log_output", "dynamic", ("string", "TABLE,FILE,NONE"), "Where the general and slow logs go.", "FILE"),
    _parameter("require_secure_transport", "dynamic", ("string", "ON,OFF"), "Whether clients must use TLS.", "OFF"),
    _parameter("time_zone", "dynamic", ("string", "UTC,Europe/Amsterdam,US/Eastern"), "The server's time zone."),
    _parameter("character_set_server", "dynamic", ("string", "utf8mb4,latin1,ascii"), "Server character set."),
    _parameter("binlog_format", "static", ("string", "ROW,STATEMENT,MIXED,OFF"), "Binary log format.", "OFF"),
    _parameter("aurora_binlog_replication_max_yield_seconds", "dynamic", ("integer", "0-36000"), "Binlog yield."),
)

ENGINE_DEFAULTS: dict[str, tuple[dict, ...]] = {
    "aurora-mysql8.0": _AURORA_MYSQL,
    "aurora-mysql5.7": _AURORA_MYSQL,
}


def register(registry: Registry) -> None:
    group_class = rds_models.DBClusterParameterGroup

    @patch(
        group_class,
        "__init__",
        signature="(self, backend, db_cluster_parameter_group_name, description, db_parameter_group_family, tags=None)",
        requires=("parameters", "db_parameter_group_family"),
        why="moto creates a cluster parameter group with no parameters",
        restores="DescribeDBClusterParameters lists the Aurora MySQL family's parameters, Source engine-default",
    )
    def _(original_init):  # type: ignore[no-untyped-def]
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original_init(self, *args, **kwargs)
            for parameter in ENGINE_DEFAULTS.get(self.db_parameter_group_family, ()):
                self.parameters[parameter["ParameterName"]].update(parameter)

        return __init__

    @patch(
        group_class,
        "update_cluster_parameters",
        signature="(self, new_parameters)",
        requires=("parameters",),
        why="moto keeps a modified parameter's Source as the engine default",
        restores="a parameter set by ModifyDBClusterParameterGroup has Source 'user'",
    )
    def _(original_update):  # type: ignore[no-untyped-def]
        def update_cluster_parameters(self: Any, new_parameters: Any) -> None:
            new_parameters = list(new_parameters)
            original_update(self, new_parameters)
            for parameter in new_parameters:
                self.parameters[parameter["ParameterName"]]["Source"] = "user"

        return update_cluster_parameters
