# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""boto3 wrappers for Aurora Serverless v2: one per API call, retried and turned into AnsibleAWSError."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleRDSServerlessV2Error(AnsibleAWSError):
    pass


class RDSClusterErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSServerlessV2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBClusterNotFoundFault")


@RDSClusterErrorHandler.list_error_handler("describe the DB cluster")
@AWSRetry.jittered_backoff()
def describe_db_cluster(client: Any, cluster_identifier: str) -> dict | None:
    """The cluster, or None when there is none of that identifier."""
    paginator = client.get_paginator("describe_db_clusters")
    clusters = paginator.paginate(DBClusterIdentifier=cluster_identifier).build_full_result()["DBClusters"]
    return clusters[0] if clusters else None


@RDSClusterErrorHandler.common_error_handler("describe the DB engine version")
@AWSRetry.jittered_backoff()
def describe_db_engine_version(client: Any, engine: str, engine_version: str) -> dict | None:
    """The engine version (deprecated ones included, an existing cluster may run one), or None."""
    paginator = client.get_paginator("describe_db_engine_versions")
    versions = paginator.paginate(Engine=engine, EngineVersion=engine_version, IncludeAll=True).build_full_result()[
        "DBEngineVersions"
    ]
    return versions[0] if versions else None


@RDSClusterErrorHandler.common_error_handler("modify the Serverless v2 scaling configuration of the DB cluster")
@AWSRetry.jittered_backoff()
def modify_serverless_v2_scaling(client: Any, cluster_identifier: str, configuration: dict) -> dict:
    return client.modify_db_cluster(
        DBClusterIdentifier=cluster_identifier,
        ServerlessV2ScalingConfiguration=configuration,
        ApplyImmediately=True,
    )["DBCluster"]


@RDSClusterErrorHandler.common_error_handler("switch the HTTP endpoint (RDS Data API) of the DB cluster")
@AWSRetry.jittered_backoff()
def set_http_endpoint(client: Any, cluster_arn: str, enabled: bool) -> dict:
    """EnableHttpEndpoint / DisableHttpEndpoint: the way for Serverless v2 and provisioned clusters
    (ModifyDBCluster's EnableHttpEndpoint is for Serverless v1 only)."""
    call = client.enable_http_endpoint if enabled else client.disable_http_endpoint
    return call(ResourceArn=cluster_arn)
