#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_permissions
version_added: 0.1.0
short_description: Grant AWS services the permission to invoke Lambda functions, several statements at once
description:
  - Makes each asked statement of the functions' resource-based policies what is asked, as M(amazon.aws.lambda_policy)
    does for one statement (C(AddPermission); a statement of the same id that differs is removed first with
    C(RemovePermission)), reading each function's policy once (C(GetPolicy)) for all its statements.
  - Statements not listed are left as they are.
  - In check mode nothing is changed and the result tells which statements the run would add or replace, also for a
    function that does not exist yet.
author:
  - livestack developers (@livestack)
options:
  permissions:
    description:
      - The statements, each of one function.
    type: list
    elements: dict
    required: true
    suboptions:
      function_name:
        description: The function's name.
        type: str
        required: true
      statement_id:
        description: The statement's id (C(Sid)), unique in the function's policy.
        type: str
        required: true
      action:
        description: The action granted, such as C(lambda:InvokeFunction).
        type: str
        required: true
      principal:
        description:
          - The service principal granted the action, such as C(apigateway.amazonaws.com) (compared with the
            statement's C(Principal.Service)).
        type: str
        required: true
      source_arn:
        description: The ARN (wildcards allowed) of the resource that may invoke the function (C(AWS:SourceArn)).
        type: str
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
    support: full
"""

EXAMPLES = r"""
- name: Let the WebSocket API invoke the relay functions
  livestack.aws.lambda_permissions:
    permissions:
      - function_name: livestack-dev-relay-connect
        statement_id: websocket-api
        action: lambda:InvokeFunction
        principal: apigateway.amazonaws.com
        source_arn: arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*
"""

RETURN = r"""
permissions:
  description: The asked statements, each with what the run did to it.
  returned: always
  type: list
  elements: dict
  contains:
    function_name:
      description: The function's name.
      type: str
    statement_id:
      description: The statement's id.
      type: str
    action_taken:
      description: C(added), C(replaced) or C(none) (in check mode, what the run would do).
      type: str
  sample: [{function_name: livestack-dev-relay-connect, statement_id: websocket-api, action_taken: none}]
"""

import json
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

STATEMENT_KEYS = ("action", "principal", "source_arn")


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A resource-based policy's statements by id, each flattened as ``permissions`` asks them (the keys it has)."""
    flat = {}
    for statement in policy.get("Statement") or []:
        principal = statement.get("Principal") or {}
        if isinstance(principal, dict):
            principal = principal.get("Service") or principal.get("AWS")
        source_arn = ((statement.get("Condition") or {}).get("ArnLike") or {}).get("AWS:SourceArn")
        flat[statement.get("Sid")] = {
            "action": statement.get("Action"),
            "principal": principal,
            "source_arn": source_arn,
        }
    return flat


def wanted(permission: dict[str, Any]) -> dict[str, Any]:
    return {key: permission.get(key) for key in STATEMENT_KEYS}


def current_statements(module: LivestackAWSModule, client: Any, function_name: str) -> dict[str, dict[str, Any]]:
    try:
        answer = client.get_policy(FunctionName=function_name, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        return {}  # no policy yet, or (check mode on a new stage) no function yet
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
        module.fail_json_aws(error, msg=f"reading the resource-based policy of function {function_name}")
    return statements(json.loads(answer.get("Policy") or "{}"))


def main() -> None:
    statement = dict(
        function_name=dict(type="str", required=True),
        statement_id=dict(type="str", required=True),
        action=dict(type="str", required=True),
        principal=dict(type="str", required=True),
        source_arn=dict(type="str"),
    )
    module = LivestackAWSModule(
        argument_spec=dict(permissions=dict(type="list", elements="dict", required=True, options=statement)),
        supports_check_mode=True,
    )
    asked = module.params["permissions"]
    module.fail_on_errors(
        [
            f"permissions: statement '{sid}' of function '{name}' is given more than once"
            for name, sid in sorted({(p["function_name"], p["statement_id"]) for p in asked})
            if sum(p["function_name"] == name and p["statement_id"] == sid for p in asked) > 1
        ]
    )
    client = module.client("lambda", retry_decorator=AWSRetry.jittered_backoff())
    names = dict.fromkeys(permission["function_name"] for permission in asked)
    current = {name: current_statements(module, client, name) for name in names}
    done, before, after = [], {}, {}
    for permission in asked:
        name, sid = permission["function_name"], permission["statement_id"]
        found = current[name].get(sid)
        action_taken = "none" if found == wanted(permission) else "replaced" if found else "added"
        done.append({"function_name": name, "statement_id": sid, "action_taken": action_taken})
        if action_taken == "none":
            continue
        before[f"{name}/{sid}"], after[f"{name}/{sid}"] = found, wanted(permission)
        if module.check_mode:
            continue
        try:
            if found:
                client.remove_permission(FunctionName=name, StatementId=sid, aws_retry=True)
            extra = {"SourceArn": permission["source_arn"]} if permission["source_arn"] else {}
            client.add_permission(
                FunctionName=name,
                StatementId=sid,
                Action=permission["action"],
                Principal=permission["principal"],
                aws_retry=True,
                **extra,
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"granting statement {sid} of function {name}")
    result: dict[str, Any] = {"changed": bool(before), "permissions": done}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
