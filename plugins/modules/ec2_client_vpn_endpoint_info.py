#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_client_vpn_endpoint_info
short_description: Describe AWS Client VPN endpoints with their target networks, rules and CRL
version_added: 0.1.0
description:
  - Lists Client VPN endpoints (all of the region, one by id, or those with a C(Name) tag), each with its
    associated subnets, authorization rules and imported CRL, in the shape that
    M(livestack.aws.ec2_client_vpn_endpoint) returns. Deleted endpoints are left out.
  - Optionally exports each endpoint's client configuration.
author:
  - livestack developers (@livestack)
options:
  client_vpn_endpoint_id:
    description: Only this endpoint.
    type: str
    aliases: [id]
  name:
    description: Only the endpoints with this C(Name) tag.
    type: str
  export_client_configuration:
    description: Also return each endpoint's client configuration (C(.ovpn) text without certificate and key).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes.
"""

EXAMPLES = r"""
- name: The endpoint of the stage, with its client configuration
  livestack.aws.ec2_client_vpn_endpoint_info:
    name: livestack-dev-vpn
    export_client_configuration: true
  register: vpn_info
"""

RETURN = r"""
client_vpn_endpoints:
  description: The endpoints, as M(livestack.aws.ec2_client_vpn_endpoint) returns one.
  returned: always
  type: list
  elements: dict
  contains:
    client_vpn_endpoint_id:
      description: The id.
      type: str
      sample: cvpn-endpoint-0123456789abcdef0
    status:
      description: The status code.
      type: str
    dns_name:
      description: The DNS name.
      type: str
    target_subnet_ids:
      description: The associated subnets.
      type: list
      elements: str
    authorization_rules:
      description: The authorization rules.
      type: list
      elements: dict
    client_certificate_revocation_list:
      description: The imported CRL.
      type: str
    client_configuration:
      description: The exported client configuration, with O(export_client_configuration=true).
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.ec2 import client_vpn as api
from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_manager import find_endpoints, read_view
from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule


def main():
    argument_spec = dict(
        client_vpn_endpoint_id=dict(type="str", aliases=["id"]),
        name=dict(type="str"),
        export_client_configuration=dict(type="bool", default=False),
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2")
    try:
        endpoints = []
        for endpoint in find_endpoints(client, module.params["client_vpn_endpoint_id"], module.params["name"]):
            view = read_view(client, endpoint)
            if module.params["export_client_configuration"]:
                view["client_configuration"] = api.export_client_configuration(client, view["client_vpn_endpoint_id"])
            endpoints.append(view)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(changed=False, client_vpn_endpoints=endpoints)


if __name__ == "__main__":
    main()
