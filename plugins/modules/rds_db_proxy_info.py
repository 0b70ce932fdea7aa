#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 - Ansible modules import after their DOCUMENTATION strings

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_db_proxy_info
short_description: Describe RDS Proxies with their connection pool, targets and tags
version_added: 0.1.0
description:
  - Describes one RDS Proxy by name, or every proxy of the region, each with the connection pool of its
    C(default) target group, its registered targets, its tags and its C(prx-) resource id.
author:
  - livestack developers (@livestack)
options:
  name:
    description:
      - Name of the proxy. When unset, every proxy of the region is described.
      - A name that matches no proxy returns an empty list.
    type: str
    aliases: [db_proxy_name]
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Look up the proxy of the stage
  livestack.aws.rds_db_proxy_info:
    name: livestack-dev-proxy
  register: proxy_info

- name: Show its endpoint
  ansible.builtin.debug:
    msg: "{{ proxy_info.proxies[0].endpoint }}"
"""

RETURN = r"""
proxies:
  description: The proxies found, each as M(livestack.aws.rds_db_proxy) returns its C(proxy).
  returned: always
  type: list
  elements: dict
  contains:
    db_proxy_name:
      description: Name of the proxy.
      type: str
      sample: livestack-dev-proxy
    db_proxy_arn:
      description: ARN of the proxy.
      type: str
    resource_id:
      description: The C(prx-) resource id, the one C(rds-db:connect) policies name.
      type: str
      sample: prx-0123456789abcdef0
    status:
      description: Status of the proxy.
      type: str
      sample: available
    endpoint:
      description: Host name clients connect to.
      type: str
    engine_family:
      description: Engine family.
      type: str
    vpc_id:
      description: VPC of the proxy.
      type: str
    vpc_subnet_ids:
      description: Subnets of the proxy.
      type: list
      elements: str
    vpc_security_group_ids:
      description: Security groups of the proxy.
      type: list
      elements: str
    auth:
      description: Authentication entries.
      type: list
      elements: dict
    role_arn:
      description: IAM role of the proxy.
      type: str
    require_tls:
      description: Whether TLS is required.
      type: bool
    idle_client_timeout:
      description: Idle client timeout in seconds.
      type: int
    debug_logging:
      description: Whether debug logging is on.
      type: bool
    connection_pool:
      description: Pool of the default target group.
      type: dict
    target_group_arn:
      description: ARN of the default target group.
      type: str
    targets:
      description: Registered targets.
      type: list
      elements: dict
    tags:
      description: Tags of the proxy.
      type: dict
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy as transform
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_api as api


def describe(client, name: str | None) -> list[dict[str, Any]]:
    if name:
        proxy = api.describe_db_proxy(client, name)
        proxies = [proxy] if proxy else []
    else:
        proxies = api.describe_db_proxies(client)
    return [
        transform.proxy_result(
            proxy,
            api.describe_default_target_group(client, proxy["DBProxyName"]),
            api.describe_targets(client, proxy["DBProxyName"]),
            api.list_tags(client, proxy["DBProxyArn"]),
        )
        for proxy in proxies
    ]


def main() -> None:
    argument_spec = dict(name=dict(type="str", aliases=["db_proxy_name"]))
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        proxies = describe(module.client("rds"), module.params["name"])
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(changed=False, proxies=proxies)


if __name__ == "__main__":
    main()
