#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apigatewayv2_api
short_description: Manage an API Gateway v2 API (WebSocket or HTTP) with its routes, integrations and stage
version_added: 0.1.0
description:
  - Creates, updates or deletes an Amazon API Gateway v2 API found by its I(name), declaratively with its
    Lambda proxy integrations, its routes (with IAM authorization where asked) and one stage.
  - Integrations are named; the name is kept in the integration's description, which is how a rerun finds them.
  - Routes are found by their route key. With I(purge_routes), routes and integrations not listed are deleted.
  - Checks the input rules of API Gateway before any call (route keys, timeouts, payload format versions,
    IAM authorization only on C($connect) for WebSocket APIs, stage names) and fails naming the option,
    the value and the rule.
  - A stage without I(stage.auto_deploy) is deployed (C(CreateDeployment)) whenever the module changed
    a route or an integration.
  - No amazon.aws or community.aws module manages API Gateway v2, hence this one.
author:
  - livestack.aws contributors (@livestack)
options:
  name:
    description: Name of the API; it identifies the API (two APIs with this name are an error).
    type: str
    required: true
  state:
    description: Whether the API should exist.
    type: str
    choices: [present, absent]
    default: present
  protocol_type:
    description:
      - C(WEBSOCKET) or C(HTTP). Required with I(state=present); it cannot change once the API exists.
    type: str
    choices: [WEBSOCKET, HTTP]
  route_selection_expression:
    description:
      - How a WebSocket API selects the route of a message, for example C($request.body.action).
      - Ignored for HTTP APIs (always C($request.method $request.path)).
    type: str
    default: $request.body.action
  description:
    description: Description of the API.
    type: str
    default: ""
  integrations:
    description: The API's integrations (Lambda proxy or HTTP proxy).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the integration, referred to by I(routes[].integration).
        type: str
        required: true
      uri:
        description: The Lambda function's ARN (or its invocation URI), or the URL of an HTTP proxy.
        type: str
        required: true
      type:
        description: Integration type.
        type: str
        choices: [AWS_PROXY, HTTP_PROXY]
        default: AWS_PROXY
      payload_format_version:
        description:
          - C(1.0) or C(2.0); WebSocket APIs support only C(1.0).
          - Default C(1.0) for WebSocket APIs, C(2.0) for HTTP APIs.
        type: str
      timeout_ms:
        description: Integration timeout, 50 to 29000 ms for WebSocket APIs, 50 to 30000 ms for HTTP APIs (the default).
        type: int
  routes:
    description: The API's routes.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - Route key, for example C($connect), C($default), C(sendMessage) (WebSocket APIs)
            or C(GET /hello), C($default) (HTTP APIs).
        type: str
        required: true
      integration:
        description: Name of the integration the route targets.
        type: str
        required: true
      authorization_type:
        description: C(AWS_IAM) requires SigV4-signed requests; on a WebSocket API only C($connect) may use it.
        type: str
        choices: [NONE, AWS_IAM]
        default: NONE
  purge_routes:
    description: Delete routes and integrations that are not listed.
    type: bool
    default: true
  stage:
    description: The API's stage (other stages are left alone).
    type: dict
    suboptions:
      name:
        description: Stage name (C($default) is allowed for HTTP APIs).
        type: str
        required: true
      auto_deploy:
        description: Whether API Gateway deploys every change to the stage by itself.
        type: bool
        default: true
      description:
        description: Description of the stage.
        type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return the changed status without modifying the API.
    support: full
  diff_mode:
    description: Returns the API before and after the change (normalised) with C(--diff).
    support: full
"""

EXAMPLES = r"""
- name: The relay's WebSocket API, IAM authorization on $connect
  livestack.aws.apigatewayv2_api:
    name: livestack-dev-relay
    protocol_type: WEBSOCKET
    route_selection_expression: $request.body.action
    integrations:
      - name: connect
        uri: arn:aws:lambda:eu-west-1:123456789012:function:livestack-dev-relay-connect
      - name: message
        uri: arn:aws:lambda:eu-west-1:123456789012:function:livestack-dev-relay-message
    routes:
      - key: $connect
        integration: connect
        authorization_type: AWS_IAM
      - key: $default
        integration: message
    stage:
      name: dev
    tags:
      livestack:stage: dev

- name: An HTTP API in front of a function
  livestack.aws.apigatewayv2_api:
    name: livestack-dev-app
    protocol_type: HTTP
    integrations:
      - name: app
        uri: arn:aws:lambda:eu-west-1:123456789012:function:livestack-dev-app
    routes:
      - key: $default
        integration: app
    stage:
      name: $default

- name: Remove the API
  livestack.aws.apigatewayv2_api:
    name: livestack-dev-app
    state: absent
"""

RETURN = r"""
api:
  description: The API after the change (empty when absent).
  returned: always
  type: dict
  contains:
    api_id:
      description: The API's id.
      type: str
      sample: a1b2c3d4e5
    api_endpoint:
      description: The API's endpoint (C(wss://...) for WebSocket APIs); append C(/<stage>) to reach a stage.
      type: str
      sample: wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com
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
      description:
        - The integrations, each with C(name), C(integration_id), C(type), C(uri), C(payload_format_version)
          and C(timeout_ms).
      type: list
      elements: dict
    routes:
      description: The routes, each with C(key), C(route_id), C(integration) (its name) and C(authorization_type).
      type: list
      elements: dict
    stages:
      description: The stages, each with C(name), C(auto_deploy), C(description) and C(deployment_id).
      type: list
      elements: dict
"""

import uuid
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2 import api as gateway
from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2.transformations import (
    desired_integration,
    desired_route,
    desired_stage,
    integration_changes,
    normalise,
    route_changes,
    stage_changes,
)
from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2.validation import validate
from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule


def find_api(module: LivestackAWSModule, client: Any) -> dict[str, Any] | None:
    found = [api for api in gateway.get_apis(client) if api.get("Name") == module.params["name"]]
    if len(found) > 1:
        module.fail_json(msg=f"name {module.params['name']!r}: {len(found)} APIs have this name, expected at most one")
    return found[0] if found else None


def api_arn(module: LivestackAWSModule, api_id: str) -> str:
    return f"arn:aws:apigateway:{module.region}::/apis/{api_id}"


class Reconciler:
    """Brings one existing API to the options; ``self.state`` follows what it changed (or would change)."""

    def __init__(self, module: LivestackAWSModule, client: Any, api: dict[str, Any], exists: bool = True) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.check = module.check_mode
        self.api = dict(api)
        self.api_id = api["ApiId"]
        self.protocol = api["ProtocolType"]
        self.integrations = gateway.get_integrations(client, self.api_id) if exists else []
        self.routes = gateway.get_routes(client, self.api_id) if exists else []
        self.stages = gateway.get_stages(client, self.api_id) if exists else []
        self.changed = False
        self.routing_changed = False

    def snapshot(self, with_ids: bool = True) -> dict[str, Any]:
        return normalise(self.api, self.integrations, self.routes, self.stages, with_ids)

    def api_settings(self) -> None:
        wanted = {"Description": self.params["description"]}
        if self.protocol == "WEBSOCKET":
            wanted["RouteSelectionExpression"] = self.params["route_selection_expression"]
        changes = {key: value for key, value in wanted.items() if (self.api.get(key) or "") != value}
        if changes:
            self.changed = True
            if not self.check:
                gateway.update_api(self.client, self.api_id, **changes)
            self.api.update(changes)

    def tags(self) -> None:
        if self.params["tags"] is None:
            return
        current = dict(self.api.get("Tags") or {})
        to_set, to_remove = compare_aws_tags(current, self.params["tags"], self.params["purge_tags"])
        if to_set or to_remove:
            self.changed = True
            if not self.check:
                if to_remove:
                    gateway.untag_resource(self.client, api_arn(self.module, self.api_id), to_remove)
                if to_set:
                    gateway.tag_resource(self.client, api_arn(self.module, self.api_id), to_set)
            self.api["Tags"] = {**{k: v for k, v in current.items() if k not in to_remove}, **to_set}

    def integration_ids(self) -> dict[str, str]:
        """Create or update the listed integrations; their ids by name."""
        by_name = {integration.get("Description"): integration for integration in self.integrations}
        ids = {}
        for spec in self.params["integrations"]:
            desired = desired_integration(spec, self.protocol)
            current = by_name.get(spec["name"])
            if current is None:
                self.changed = self.routing_changed = True
                created = desired if self.check else gateway.create_integration(self.client, self.api_id, **desired)
                created = {**desired, **created, "IntegrationId": created.get("IntegrationId") or f"new-{spec['name']}"}
                self.integrations.append(created)
                ids[spec["name"]] = created["IntegrationId"]
                continue
            changes = integration_changes(current, desired)
            if changes:
                self.changed = self.routing_changed = True
                if not self.check:
                    gateway.update_integration(self.client, self.api_id, current["IntegrationId"], **changes)
                current.update(changes)
            ids[spec["name"]] = current["IntegrationId"]
        return ids

    def reconcile_routes(self, integration_ids: dict[str, str]) -> None:
        by_key = {route.get("RouteKey"): route for route in self.routes}
        for spec in self.params["routes"]:
            desired = desired_route(spec, integration_ids[spec["integration"]])
            current = by_key.get(spec["key"])
            if current is None:
                self.changed = self.routing_changed = True
                created = desired if self.check else gateway.create_route(self.client, self.api_id, **desired)
                self.routes.append({**desired, **created, "RouteId": created.get("RouteId") or str(uuid.uuid4())})
                continue
            changes = route_changes(current, desired)
            if changes:
                self.changed = self.routing_changed = True
                if not self.check:
                    gateway.update_route(self.client, self.api_id, current["RouteId"], **changes)
                current.update(changes)

    def purge(self) -> None:
        if not self.params["purge_routes"]:
            return
        keys = {spec["key"] for spec in self.params["routes"]}
        for route in [r for r in self.routes if r.get("RouteKey") not in keys]:
            self.changed = self.routing_changed = True
            if not self.check:
                gateway.delete_route(self.client, self.api_id, route["RouteId"])
            self.routes.remove(route)
        names = {spec["name"] for spec in self.params["integrations"]}
        for integration in [i for i in self.integrations if i.get("Description") not in names]:
            self.changed = self.routing_changed = True
            if not self.check:
                gateway.delete_integration(self.client, self.api_id, integration["IntegrationId"])
            self.integrations.remove(integration)

    def stage(self) -> None:
        spec = self.params["stage"]
        if not spec:
            return
        desired = desired_stage(spec)
        current = next((stage for stage in self.stages if stage.get("StageName") == spec["name"]), None)
        if current is None:
            self.changed = True
            created = desired if self.check else gateway.create_stage(self.client, self.api_id, **desired)
            self.stages.append({**desired, **created})
            return
        changes = stage_changes(current, desired)
        if changes:
            self.changed = True
            if not self.check:
                current.update(gateway.update_stage(self.client, self.api_id, spec["name"], **changes))
            current.update(changes)
        if self.routing_changed and not desired["AutoDeploy"]:
            self.changed = True
            if not self.check:
                deployment = gateway.create_deployment(self.client, self.api_id, spec["name"])
                current["DeploymentId"] = deployment.get("DeploymentId")

    def run(self) -> None:
        self.api_settings()
        self.tags()
        ids = self.integration_ids()
        self.reconcile_routes(ids)
        self.purge()
        self.stage()


def ensure_present(module: LivestackAWSModule, client: Any) -> None:
    params = module.params
    existing = find_api(module, client)
    if existing is not None and existing.get("ProtocolType") != params["protocol_type"]:
        module.fail_json(
            msg=f"protocol_type {params['protocol_type']}: the API {params['name']} exists as "
            f"{existing.get('ProtocolType')}, and the protocol cannot change; delete the API first"
        )
    created = existing is None
    if created:
        create = {"Name": params["name"], "ProtocolType": params["protocol_type"], "Description": params["description"]}
        if params["protocol_type"] == "WEBSOCKET":
            create["RouteSelectionExpression"] = params["route_selection_expression"]
        if params["tags"]:
            create["Tags"] = params["tags"]
        if module.check_mode:
            planned = Reconciler(module, client, {**create, "ApiId": "", "Tags": params["tags"] or {}}, exists=False)
            planned.run()
            module.exit_json(
                changed=True, api=planned.snapshot(), diff={"before": {}, "after": planned.snapshot(False)}
            )
        existing = gateway.create_api(client, **create)
    reconciler = Reconciler(module, client, existing)
    before = {} if created else reconciler.snapshot(with_ids=False)
    reconciler.run()
    changed = created or reconciler.changed
    if changed and not module.check_mode:
        reconciler = Reconciler(module, client, gateway.get_api(client, existing["ApiId"]))
    module.exit_json(
        changed=changed,
        api=reconciler.snapshot(),
        diff={"before": before, "after": reconciler.snapshot(with_ids=False)},
    )


def ensure_absent(module: LivestackAWSModule, client: Any) -> None:
    existing = find_api(module, client)
    if existing is None:
        module.exit_json(changed=False, api={}, diff={"before": {}, "after": {}})
    before = Reconciler(module, client, existing).snapshot(with_ids=False)
    if not module.check_mode:
        gateway.delete_api(client, existing["ApiId"])
    module.exit_json(changed=True, api={}, diff={"before": before, "after": {}})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        protocol_type=dict(type="str", choices=["WEBSOCKET", "HTTP"]),
        route_selection_expression=dict(type="str", default="$request.body.action"),
        description=dict(type="str", default=""),
        integrations=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                uri=dict(type="str", required=True),
                type=dict(type="str", choices=["AWS_PROXY", "HTTP_PROXY"], default="AWS_PROXY"),
                payload_format_version=dict(type="str"),
                timeout_ms=dict(type="int"),
            ),
        ),
        routes=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                key=dict(type="str", required=True, no_log=False),
                integration=dict(type="str", required=True),
                authorization_type=dict(type="str", choices=["NONE", "AWS_IAM"], default="NONE"),
            ),
        ),
        purge_routes=dict(type="bool", default=True),
        stage=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                auto_deploy=dict(type="bool", default=True),
                description=dict(type="str"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = LivestackAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["protocol_type"])],
    )
    if module.params["state"] == "present":
        module.fail_on_errors(validate(module.params))
    client = module.client("apigatewayv2")
    try:
        if module.params["state"] == "present":
            ensure_present(module, client)
        else:
            ensure_absent(module, client)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)


if __name__ == "__main__":
    main()
