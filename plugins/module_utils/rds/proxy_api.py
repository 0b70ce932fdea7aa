# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""One wrapper per RDS Proxy API call: retried on throttling, errors raised as AnsibleRDSError."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class ProxyErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["DBProxyNotFoundFault", "DBProxyTargetGroupNotFoundFault"])


@ProxyErrorHandler.list_error_handler("describe the RDS proxy", None)
@AWSRetry.jittered_backoff()
def describe_db_proxy(client, name: str) -> dict[str, Any] | None:
    proxies = client.describe_db_proxies(DBProxyName=name)["DBProxies"]
    return proxies[0] if proxies else None


@ProxyErrorHandler.list_error_handler("describe the RDS proxies", [])
@AWSRetry.jittered_backoff()
def describe_db_proxies(client) -> list[dict[str, Any]]:
    return client.get_paginator("describe_db_proxies").paginate().build_full_result()["DBProxies"]


@ProxyErrorHandler.list_error_handler("describe the default target group of the RDS proxy", None)
@AWSRetry.jittered_backoff()
def describe_default_target_group(client, name: str) -> dict[str, Any] | None:
    paginator = client.get_paginator("describe_db_proxy_target_groups")
    groups = paginator.paginate(DBProxyName=name, TargetGroupName="default").build_full_result()["TargetGroups"]
    return groups[0] if groups else None


@ProxyErrorHandler.list_error_handler("describe the targets of the RDS proxy", [])
@AWSRetry.jittered_backoff()
def describe_targets(client, name: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_db_proxy_targets")
    return paginator.paginate(DBProxyName=name, TargetGroupName="default").build_full_result()["Targets"]


@ProxyErrorHandler.list_error_handler("list the tags of the RDS proxy", [])
@AWSRetry.jittered_backoff()
def list_tags(client, arn: str) -> list[dict[str, str]]:
    return client.list_tags_for_resource(ResourceName=arn)["TagList"]


@ProxyErrorHandler.common_error_handler("create the RDS proxy")
@AWSRetry.jittered_backoff()
def create_db_proxy(client, **params: Any) -> dict[str, Any]:
    return client.create_db_proxy(**params)["DBProxy"]


@ProxyErrorHandler.common_error_handler("modify the RDS proxy")
@AWSRetry.jittered_backoff()
def modify_db_proxy(client, **params: Any) -> dict[str, Any]:
    return client.modify_db_proxy(**params)["DBProxy"]


@ProxyErrorHandler.common_error_handler("modify the connection pool of the RDS proxy")
@AWSRetry.jittered_backoff()
def modify_default_target_group(client, name: str, pool: dict[str, Any]) -> dict[str, Any]:
    return client.modify_db_proxy_target_group(DBProxyName=name, TargetGroupName="default", ConnectionPoolConfig=pool)[
        "DBProxyTargetGroup"
    ]


@ProxyErrorHandler.common_error_handler("register targets with the RDS proxy")
@AWSRetry.jittered_backoff()
def register_targets(client, name: str, clusters: list[str], instances: list[str]) -> list[dict[str, Any]]:
    return client.register_db_proxy_targets(
        DBProxyName=name, TargetGroupName="default", DBClusterIdentifiers=clusters, DBInstanceIdentifiers=instances
    )["DBProxyTargets"]


@ProxyErrorHandler.common_error_handler("deregister targets from the RDS proxy")
@AWSRetry.jittered_backoff()
def deregister_targets(client, name: str, clusters: list[str], instances: list[str]) -> None:
    client.deregister_db_proxy_targets(
        DBProxyName=name, TargetGroupName="default", DBClusterIdentifiers=clusters, DBInstanceIdentifiers=instances
    )


@ProxyErrorHandler.common_error_handler("tag the RDS proxy")
@AWSRetry.jittered_backoff()
def add_tags(client, arn: str, tags: list[dict[str, str]]) -> None:
    client.add_tags_to_resource(ResourceName=arn, Tags=tags)


@ProxyErrorHandler.common_error_handler("untag the RDS proxy")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn: str, keys: list[str]) -> None:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=keys)


@ProxyErrorHandler.deletion_error_handler("delete the RDS proxy")
@AWSRetry.jittered_backoff()
def delete_db_proxy(client, name: str) -> bool:
    client.delete_db_proxy(DBProxyName=name)
    return True


@ProxyErrorHandler.common_error_handler("describe the subnets of the RDS proxy")
@AWSRetry.jittered_backoff()
def describe_subnets(ec2_client, subnet_ids: list[str]) -> list[dict[str, Any]]:
    return ec2_client.get_paginator("describe_subnets").paginate(SubnetIds=subnet_ids).build_full_result()["Subnets"]
