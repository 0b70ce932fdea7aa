#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apigatewayv2_api_info
short_description: Describe API Gateway v2 APIs with their routes, integrations and stages
version_added: 0.1.0
description:
  - Lists the API Gateway v2 APIs (WebSocket and HTTP), or those of a given I(name) or I(api_id),
    each with its integrations, routes and stages in the shape M(livestack.aws.apigatewayv2_api) returns.
author:
  - livestack.aws contributors (@livestack)
options:
  name:
    description: Only the APIs of this name.
    type: str
  api_id:
    description: Only the API of this id.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so has no diff.
    support: none
"""

EXAMPLES = r"""
- name: The relay's WebSocket API
  livestack.aws.apigatewayv2_api_info:
    name: livestack-dev-relay
  register: relay_api
"""

RETURN = r"""
apis:
  description: The APIs found, in the shape of M(livestack.aws.apigatewayv2_api)'s C(api).
  returned: always
  type: list
  elements: dict
  contains:
    api_id:
      description: The API's id.
      type: str
    api_endpoint:
      description: The API's endpoint.
      type: str
    name:
      description: Name of the API.
      type: str
    protocol_type:
      description: C(WEBSOCKET) or C(HTTP).
      type: str
    route_selection_expression:
      description: The route selection expression.
      type: str
    description:
      description: Description of the API.
      type: str
    tags:
      description: The API's tags.
      type: dict
    integrations:
      description: The integrations.
      type: list
      elements: dict
    routes:
      description: The routes.
      type: list
      elements: dict
    stages:
      description: The stages.
      type: list
      elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2 import api as gateway
from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2.transformations import normalise
from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule


def main() -> None:
    module = LivestackAWSModule(
        argument_spec=dict(name=dict(type="str"), api_id=dict(type="str")),
        supports_check_mode=True,
    )
    client = module.client("apigatewayv2")
    try:
        apis = gateway.get_apis(client)
        if module.params["name"] is not None:
            apis = [api for api in apis if api.get("Name") == module.params["name"]]
        if module.params["api_id"] is not None:
            apis = [api for api in apis if api.get("ApiId") == module.params["api_id"]]
        result = [
            normalise(
                api,
                gateway.get_integrations(client, api["ApiId"]),
                gateway.get_routes(client, api["ApiId"]),
                gateway.get_stages(client, api["ApiId"]),
            )
            for api in apis
        ]
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(changed=False, apis=result)


if __name__ == "__main__":
    main()
