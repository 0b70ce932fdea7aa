"""RDS DescribeDBEngineVersions, which moto 5.2.5 does not implement ("has not been implemented").

Answers from a small catalogue of Aurora engine versions with the fields the botocore model
(rds 2014-10-31, shape ``DBEngineVersion``) gives them on AWS, among them
``ServerlessV2FeaturesSupport``: MinCapacity 0 where the version supports auto-pause
(Aurora MySQL 3.08.0 and later, Aurora PostgreSQL 16.3 and later), MaxCapacity 256 from
Aurora MySQL 3.06.0 (128 before), and no ``ServerlessV2FeaturesSupport`` at all for versions
without Serverless v2 (Aurora MySQL 2, i.e. MySQL 5.7). ``DBEngineVersionNotFound`` does not
exist: AWS answers an unknown version with an empty list, and so does this extension.

moto itself keeps a ModifyDBCluster's ``ServerlessV2ScalingConfiguration`` as sent (MinCapacity 0,
SecondsUntilAutoPause included), so that call needs no extension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ...protocol import query_error, query_response
from .. import Call, Registry

RDS_NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/"
DEFAULT_MAX_RECORDS = 100

_MYSQL3_LOGS = ("audit", "error", "general", "iam-db-auth-error", "instance", "slowquery")
_MYSQL2_LOGS = ("audit", "error", "general", "slowquery")
_POSTGRES_LOGS = ("iam-db-auth-error", "instance", "postgresql")


@dataclass(frozen=True)
class EngineVersion:
    engine: str
    version: str
    family: str
    description: str
    log_types: tuple[str, ...]
    serverless_v2: tuple[float, float] | None  # (MinCapacity, MaxCapacity); None: no Serverless v2
    default: bool = False
    status: str = "available"


def _mysql3(patch: str, serverless_v2: tuple[float, float], default: bool = False) -> EngineVersion:
    return EngineVersion(
        engine="aurora-mysql",
        version=f"8.0.mysql_aurora.{patch}",
        family="aurora-mysql8.0",
        description=f"Aurora MySQL 3.{patch.split('.', 1)[1]} (compatible with MySQL 8.0)",
        log_types=_MYSQL3_LOGS,
        serverless_v2=serverless_v2,
        default=default,
    )


CATALOGUE: tuple[EngineVersion, ...] = (
    EngineVersion(
        "aurora-mysql", "5.7.mysql_aurora.2.11.2", "aurora-mysql5.7", "Aurora MySQL 2.11.2", _MYSQL2_LOGS, None
    ),
    EngineVersion(
        "aurora-mysql", "5.7.mysql_aurora.2.12.4", "aurora-mysql5.7", "Aurora MySQL 2.12.4", _MYSQL2_LOGS, None
    ),
    _mysql3("3.02.0", (0.5, 128.0)),
    _mysql3("3.04.3", (0.5, 128.0)),
    _mysql3("3.05.2", (0.5, 128.0)),
    _mysql3("3.06.1", (0.5, 256.0)),
    _mysql3("3.07.1", (0.5, 256.0)),
    _mysql3("3.08.0", (0.0, 256.0)),
    _mysql3("3.08.2", (0.0, 256.0), default=True),
    _mysql3("3.09.0", (0.0, 256.0)),
    EngineVersion(
        "aurora-postgresql", "13.12", "aurora-postgresql13", "Aurora PostgreSQL 13.12", _POSTGRES_LOGS, (0.5, 128.0)
    ),
    EngineVersion(
        "aurora-postgresql", "15.5", "aurora-postgresql15", "Aurora PostgreSQL 15.5", _POSTGRES_LOGS, (0.5, 256.0)
    ),
    EngineVersion(
        "aurora-postgresql", "16.4", "aurora-postgresql16", "Aurora PostgreSQL 16.4", _POSTGRES_LOGS, (0.0, 256.0), True
    ),
)

_FILTER_NAME = re.compile(r"^Filters\.Filter\.(\d+)\.Name$")


def _filters(params: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, name in params.items():
        match = _FILTER_NAME.match(key)
        if match:
            prefix = f"Filters.Filter.{match.group(1)}.Values.Value."
            found[name] = {value for item, value in params.items() if item.startswith(prefix)}
    return found


def _matches(version: EngineVersion, params: dict[str, str], filters: dict[str, set[str]]) -> bool:
    wanted = {
        "engine": {params["Engine"]} if params.get("Engine") else filters.get("engine"),
        "engine-version": {params["EngineVersion"]} if params.get("EngineVersion") else filters.get("engine-version"),
        "db-parameter-group-family": (
            {params["DBParameterGroupFamily"]}
            if params.get("DBParameterGroupFamily")
            else filters.get("db-parameter-group-family")
        ),
        "status": filters.get("status", None if params.get("IncludeAll") == "true" else {"available"}),
        "engine-mode": filters.get("engine-mode"),
    }
    actual = {
        "engine": {version.engine},
        "engine-version": {version.version},
        "db-parameter-group-family": {version.family},
        "status": {version.status},
        "engine-mode": {"provisioned"},
    }
    return all(values is None or values & actual[name] for name, values in wanted.items())


def _members(tag: str, values: tuple[str, ...]) -> str:
    return f"<{tag}>" + "".join(f"<member>{escape(value)}</member>" for value in values) + f"</{tag}>"


def _version_xml(version: EngineVersion) -> str:
    serverless = ""
    if version.serverless_v2 is not None:
        low, high = version.serverless_v2
        serverless = (
            f"<ServerlessV2FeaturesSupport><MinCapacity>{low}</MinCapacity>"
            f"<MaxCapacity>{high}</MaxCapacity></ServerlessV2FeaturesSupport>"
        )
    return (
        "<DBEngineVersion>"
        f"<Engine>{version.engine}</Engine>"
        f"<EngineVersion>{version.version}</EngineVersion>"
        f"<MajorEngineVersion>{version.family.removeprefix(version.engine)}</MajorEngineVersion>"
        f"<DBParameterGroupFamily>{version.family}</DBParameterGroupFamily>"
        f"<DBEngineDescription>{'Aurora MySQL' if version.engine == 'aurora-mysql' else 'Aurora (PostgreSQL)'}"
        "</DBEngineDescription>"
        f"<DBEngineVersionDescription>{escape(version.description)}</DBEngineVersionDescription>"
        f"{_members('ExportableLogTypes', version.log_types)}"
        "<SupportsLogExportsToCloudwatchLogs>true</SupportsLogExportsToCloudwatchLogs>"
        "<SupportsReadReplica>true</SupportsReadReplica>"
        f"{_members('SupportedEngineModes', ('provisioned',))}"
        f"<Status>{version.status}</Status>"
        "<SupportsParallelQuery>false</SupportsParallelQuery>"
        "<SupportsGlobalDatabases>true</SupportsGlobalDatabases>"
        "<TagList></TagList>"
        "<SupportsBabelfish>false</SupportsBabelfish>"
        "<SupportsLimitlessDatabase>false</SupportsLimitlessDatabase>"
        "<SupportsIntegrations>false</SupportsIntegrations>"
        f"{serverless}"
        "</DBEngineVersion>"
    )


def describe_db_engine_versions(call: Call) -> Response:
    params = call.params
    try:
        max_records = int(params.get("MaxRecords", DEFAULT_MAX_RECORDS))
        start = int(params.get("Marker") or 0)
    except ValueError:
        return query_error("InvalidParameterValue", "MaxRecords and Marker must be integers")
    if not 20 <= max_records <= 100:
        return query_error("InvalidParameterValue", f"MaxRecords {max_records} must be between 20 and 100")
    filters = _filters(params)
    found = [version for version in CATALOGUE if _matches(version, params, filters)]
    if params.get("DefaultOnly") == "true":
        defaults = {}
        for version in found:
            if version.default or version.engine not in defaults:
                defaults[version.engine] = version
        found = list(defaults.values())
    page = found[start : start + max_records]
    marker = f"<Marker>{start + max_records}</Marker>" if start + max_records < len(found) else ""
    body = "<DBEngineVersions>" + "".join(_version_xml(version) for version in page) + "</DBEngineVersions>" + marker
    return query_response("DescribeDBEngineVersions", body, RDS_NAMESPACE)


def register(registry: Registry) -> None:
    registry.action("rds", "DescribeDBEngineVersions")(describe_db_engine_versions)
