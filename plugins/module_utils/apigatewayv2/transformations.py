# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Shapes of API Gateway v2 resources: the module's options to API parameters, and the API's answers
to the normalised dicts the modules return and diff."""

from __future__ import annotations

from typing import Any

DEFAULT_TIMEOUT_MS = {"WEBSOCKET": 29000, "HTTP": 30000}
DEFAULT_PAYLOAD_FORMAT = {"WEBSOCKET": "1.0", "HTTP": "2.0"}


def desired_integration(spec: dict[str, Any], protocol: str) -> dict[str, Any]:
    """CreateIntegration parameters of an ``integrations`` entry; the name is kept in Description."""
    return {
        "Description": spec["name"],
        "IntegrationType": spec.get("type") or "AWS_PROXY",
        "IntegrationUri": spec["uri"],
        "IntegrationMethod": "POST",
        "PayloadFormatVersion": spec.get("payload_format_version") or DEFAULT_PAYLOAD_FORMAT[protocol],
        "TimeoutInMillis": spec.get("timeout_ms") or DEFAULT_TIMEOUT_MS[protocol],
    }


INTEGRATION_COMPARED = ("IntegrationType", "IntegrationUri", "PayloadFormatVersion", "TimeoutInMillis")


def integration_changes(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    return {key: desired[key] for key in INTEGRATION_COMPARED if current.get(key) != desired[key]}


def desired_route(spec: dict[str, Any], integration_id: str) -> dict[str, Any]:
    return {
        "RouteKey": spec["key"],
        "Target": f"integrations/{integration_id}",
        "AuthorizationType": spec.get("authorization_type") or "NONE",
    }


def route_changes(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    if current.get("Target") != desired["Target"]:
        changes["Target"] = desired["Target"]
    if (current.get("AuthorizationType") or "NONE") != desired["AuthorizationType"]:
        changes["AuthorizationType"] = desired["AuthorizationType"]
    return changes


def desired_stage(spec: dict[str, Any]) -> dict[str, Any]:
    stage = {"StageName": spec["name"], "AutoDeploy": bool(spec.get("auto_deploy", True))}
    if spec.get("description") is not None:
        stage["Description"] = spec["description"]
    return stage


def stage_changes(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    if bool(current.get("AutoDeploy")) != desired["AutoDeploy"]:
        changes["AutoDeploy"] = desired["AutoDeploy"]
    if "Description" in desired and (current.get("Description") or "") != desired["Description"]:
        changes["Description"] = desired["Description"]
    return changes


def normalise(
    api: dict[str, Any] | None,
    integrations: list[dict[str, Any]],
    routes: list[dict[str, Any]],
    stages: list[dict[str, Any]],
    with_ids: bool = True,
) -> dict[str, Any]:
    """The API as the modules return it (and, without ids, as --diff shows it)."""
    if not api:
        return {}
    names = {integration.get("IntegrationId"): integration.get("Description") for integration in integrations}
    result: dict[str, Any] = {
        "name": api.get("Name"),
        "protocol_type": api.get("ProtocolType"),
        "route_selection_expression": api.get("RouteSelectionExpression"),
        "description": api.get("Description") or "",
        "tags": dict(api.get("Tags") or {}),
        "integrations": sorted(
            (
                {
                    "name": integration.get("Description"),
                    "type": integration.get("IntegrationType"),
                    "uri": integration.get("IntegrationUri"),
                    "payload_format_version": integration.get("PayloadFormatVersion"),
                    "timeout_ms": integration.get("TimeoutInMillis"),
                    **({"integration_id": integration.get("IntegrationId")} if with_ids else {}),
                }
                for integration in integrations
            ),
            key=lambda item: str(item["name"]),
        ),
        "routes": sorted(
            (
                {
                    "key": route.get("RouteKey"),
                    "integration": names.get(str(route.get("Target") or "").rpartition("/")[2]),
                    "authorization_type": route.get("AuthorizationType") or "NONE",
                    **({"route_id": route.get("RouteId")} if with_ids else {}),
                }
                for route in routes
            ),
            key=lambda item: str(item["key"]),
        ),
        "stages": sorted(
            (
                {
                    "name": stage.get("StageName"),
                    "auto_deploy": bool(stage.get("AutoDeploy")),
                    "description": stage.get("Description") or "",
                    **({"deployment_id": stage.get("DeploymentId")} if with_ids else {}),
                }
                for stage in stages
            ),
            key=lambda item: str(item["name"]),
        ),
    }
    if with_ids:
        result.update(api_id=api.get("ApiId"), api_endpoint=api.get("ApiEndpoint"))
    return result
