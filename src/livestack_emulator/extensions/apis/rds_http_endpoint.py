"""RDS ``EnableHttpEndpoint`` / ``DisableHttpEndpoint`` (the RDS Data API switch), which moto 5.2.5 lacks.

Following the botocore model (rds 2014-10-31) and the Aurora user guide ("Enabling RDS Data API",
"Comparison of RDS Data API behavior"):

- ``EnableHttpEndpoint`` / ``DisableHttpEndpoint`` take the cluster's ARN and answer ``ResourceArn``
  and ``HttpEndpointEnabled``; an unknown ARN is ``ResourceNotFoundFault`` (404). They are the way
  for Aurora Serverless v2 and provisioned clusters (``EngineMode`` provisioned).
- ``CreateDBCluster(EnableHttpEndpoint=True)`` enables it for those clusters too; moto honoured it
  for a few Serverless v1 engine versions only.
- ``ModifyDBCluster(EnableHttpEndpoint=...)`` "applies only to Aurora Serverless v1 DB clusters"
  (the botocore model's documentation of the member): for a provisioned cluster it changes nothing,
  as AWS silently ignores it (hashicorp/terraform-provider-aws#37125, fixed in #38997 by calling
  EnableHttpEndpoint instead). moto turned the endpoint *off* there.
"""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBCluster, RDSBackend, rds_backends
from werkzeug.wrappers import Response

from ...moto_wire import parse_query, query_result
from .. import Call, Registry
from ..patching import patch

SERVICE = "rds"
# The engines with a Data API for Serverless v2 and provisioned clusters (Aurora user guide,
# "Region and version availability"): PostgreSQL since 2023, MySQL since 2024.
DATA_API_ENGINES = {"aurora-mysql", "aurora-postgresql"}


def cluster_by_arn(backend: RDSBackend, arn: str | None) -> DBCluster | None:
    """The cluster whose ARN is exactly ``arn`` (AWS compares ARNs case-sensitively)."""
    return next((c for c in backend.clusters.values() if arn and c.db_cluster_arn == arn), None)


def _switch(enabled: bool):
    action = "EnableHttpEndpoint" if enabled else "DisableHttpEndpoint"

    def handler(call: Call) -> Response:
        arn = parse_query(SERVICE, call).get("ResourceArn")
        cluster = cluster_by_arn(rds_backends[call.account_id][call.region], arn)
        if cluster is None:
            return query_result(SERVICE, action, RDSClientError("ResourceNotFoundFault", f"DBCluster {arn} not found."))
        cluster._enable_http_endpoint = enabled
        return query_result(SERVICE, action, {"ResourceArn": cluster.db_cluster_arn, "HttpEndpointEnabled": enabled})

    return handler


def register(registry: Registry) -> None:
    @patch(
        DBCluster,
        "enable_http_endpoint",
        signature="property getter (self) setter (self, val)",
        requires=("_enable_http_endpoint", "engine_mode", "engine"),
        why="moto enables the Data API on CreateDBCluster for a few Serverless v1 engine versions only",
        restores="CreateDBCluster(EnableHttpEndpoint=True) enables it for Aurora Serverless v2 and provisioned "
        "Aurora MySQL and PostgreSQL clusters",
    )
    def _(moto_property: property) -> property:
        def set_enable_http_endpoint(self: DBCluster, value: bool | None) -> None:
            # CreateDBCluster: Serverless v1 keeps moto's rules, the others enable it as AWS does now.
            if self.engine_mode == "serverless" or self.engine not in DATA_API_ENGINES:
                moto_property.fset(self, value)
            else:
                self._enable_http_endpoint = bool(value)

        return property(moto_property.fget, set_enable_http_endpoint)

    @patch(
        RDSBackend,
        "modify_db_cluster",
        signature="(self, kwargs)",
        requires=("clusters",),
        why="moto's ModifyDBCluster turns the Data API off for a provisioned cluster",
        restores="ModifyDBCluster's EnableHttpEndpoint changes nothing for a cluster that is not Serverless v1 "
        "(botocore rds model; hashicorp/terraform-provider-aws#37125)",
    )
    def _(modify):  # type: ignore[no-untyped-def]
        def modify_db_cluster(self: RDSBackend, kwargs: dict[str, Any]) -> DBCluster:
            cluster = self.clusters.get(kwargs.get("db_cluster_identifier") or "")
            if cluster is not None and cluster.engine_mode != "serverless":
                kwargs = {key: value for key, value in kwargs.items() if key != "enable_http_endpoint"}
            return modify(self, kwargs)

        return modify_db_cluster

    registry.action(SERVICE, "EnableHttpEndpoint")(_switch(True))
    registry.action(SERVICE, "DisableHttpEndpoint")(_switch(False))
