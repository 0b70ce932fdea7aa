# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the rds_proxy and verify roles: the proxy's IAM policies and their rules, built in Python.

The rules live once, in ``module_utils/rds/proxy_iam.py``. Documented in the .yml file of each filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_iam


def rds_proxy_trust_policy(account: str) -> dict[str, Any]:
    return proxy_iam.proxy_trust_policy(account)


def rds_proxy_secret_policy(secret_arn: str, kms_key_arn: str, region: str) -> dict[str, Any]:
    return proxy_iam.proxy_secret_policy(secret_arn, kms_key_arn, region)


def rds_proxy_connect_policy(users: Sequence[str], partition: str, region: str, account: str, resource_id: str):
    return proxy_iam.proxy_connect_policy(users, partition, region, account, resource_id)


def rds_proxy_client_policies(
    users: Sequence[str],
    prefix: str,
    partition: str,
    region: str,
    account: str,
    resource_id: str,
    tags: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    return proxy_iam.client_policies(users, prefix, partition, region, account, resource_id, tags)


def rds_proxy_stale_client_policies(
    resources: Iterable[Mapping[str, Any]], prefix: str, users: Sequence[str]
) -> list[str]:
    return proxy_iam.stale_client_policies(resources, prefix, users)


def rds_proxy_role_problems(
    policies: Iterable[Mapping[str, Any]],
    managed_policies: Iterable[Mapping[str, Any]],
    secret_arns: Sequence[str],
    connect_arns: Sequence[str],
) -> dict[str, list[str]]:
    return proxy_iam.proxy_role_problems(policies, managed_policies, secret_arns, connect_arns)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "rds_proxy_trust_policy": rds_proxy_trust_policy,
            "rds_proxy_secret_policy": rds_proxy_secret_policy,
            "rds_proxy_connect_policy": rds_proxy_connect_policy,
            "rds_proxy_client_policies": rds_proxy_client_policies,
            "rds_proxy_stale_client_policies": rds_proxy_stale_client_policies,
            "rds_proxy_role_problems": rds_proxy_role_problems,
        }
