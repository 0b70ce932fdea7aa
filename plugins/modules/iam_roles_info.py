#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_roles_info
version_added: 0.1.0
short_description: Read IAM roles with their inline and attached policies, and managed policies, by name
description:
  - Reads, for each role named, what M(amazon.aws.iam_role) and M(amazon.aws.iam_policy) compare, its trust policy,
    description and tags (C(GetRole)), its inline policies' documents (C(ListRolePolicies), C(GetRolePolicy)) and its
    managed policies (C(ListAttachedRolePolicies)); and for each managed policy ARN what
    M(amazon.aws.iam_managed_policy) compares, its tags and description (C(GetPolicy)) and its default version's
    document (C(GetPolicyVersion)).
  - A role or policy that does not exist is left out of the result.
  - The filter P(livestack.aws.unchanged_ids#filter) takes the result, to run those modules only for what differs.
author:
  - livestack developers (@livestack)
options:
  roles:
    description: The names of the roles.
    type: list
    elements: str
    default: []
  managed_policy_arns:
    description: The ARNs of the managed policies.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
"""

EXAMPLES = r"""
- name: Read the relay's roles
  livestack.aws.iam_roles_info:
    roles: [livestack-dev-relay, livestack-dev-app]
  register: relay_roles
"""

RETURN = r"""
roles:
  description: The roles found.
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: The role's name.
      type: str
    arn:
      description: The role's ARN.
      type: str
    description:
      description: The role's description (empty when it has none).
      type: str
    assume_role_policy_document:
      description: The role's trust policy.
      type: dict
    tags:
      description: The role's tags.
      type: dict
    attached_policy_arns:
      description: The ARNs of the managed policies attached to the role.
      type: list
      elements: str
    inline_policies:
      description: The role's inline policies, their documents by name.
      type: dict
managed_policies:
  description: The managed policies found.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: The policy's ARN.
      type: str
    policy_name:
      description: The policy's name.
      type: str
    description:
      description: The policy's description (empty when it has none).
      type: str
    tags:
      description: The policy's tags.
      type: dict
    document:
      description: The document of the policy's default version.
      type: dict
"""

import json
from typing import Any
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def _document(document: Any) -> dict[str, Any]:
    """boto3 decodes IAM's URL-encoded JSON documents; a client that does not hands over the string."""
    return json.loads(unquote(document)) if isinstance(document, str) else dict(document or {})


@AWSRetry.jittered_backoff()
def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return client.get_paginator(operation).paginate(**kwargs).build_full_result()[key]


def _inline_document(client: Any, role: str, policy: str) -> dict[str, Any]:
    return _document(client.get_role_policy(RoleName=role, PolicyName=policy, aws_retry=True)["PolicyDocument"])


def describe_role(client: Any, name: str) -> dict[str, Any] | None:
    try:
        role = client.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    policy_names = _paged(client, "list_role_policies", "PolicyNames", RoleName=name)
    attached = _paged(client, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    return {
        "role_name": role["RoleName"],
        "arn": role["Arn"],
        "description": role.get("Description") or "",
        "assume_role_policy_document": _document(role.get("AssumeRolePolicyDocument")),
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
        "attached_policy_arns": [policy["PolicyArn"] for policy in attached],
        "inline_policies": {policy: _inline_document(client, name, policy) for policy in policy_names},
    }


def describe_managed_policy(client: Any, arn: str) -> dict[str, Any] | None:
    try:
        policy = client.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    version = client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"], aws_retry=True)
    return {
        "arn": policy["Arn"],
        "policy_name": policy["PolicyName"],
        "description": policy.get("Description") or "",
        "tags": boto3_tag_list_to_ansible_dict(policy.get("Tags") or []),
        "document": _document(version["PolicyVersion"]["Document"]),
    }


def main() -> None:
    module = LivestackAWSModule(
        argument_spec=dict(
            roles=dict(type="list", elements="str", default=[]),
            managed_policy_arns=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    client = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    try:
        roles = [describe_role(client, name) for name in module.params["roles"]]
        policies = [describe_managed_policy(client, arn) for arn in module.params["managed_policy_arns"]]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="reading IAM roles and policies")
    module.exit_json(
        changed=False,
        roles=[role for role in roles if role],
        managed_policies=[policy for policy in policies if policy],
    )


if __name__ == "__main__":
    main()
