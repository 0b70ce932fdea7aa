"""API Gateway v2 deployments and stage updates, which moto lacks.

CreateDeployment / GetDeployments / GetDeployment / DeleteDeployment, and UpdateStage (PATCH),
following the botocore ``apigatewayv2`` model. A deployment made with ``stageName`` becomes that
stage's ``deploymentId``. Stages report ``deploymentId`` and, for auto-deploying stages, the
deployment API Gateway made when the stage was created or updated (``lastDeploymentStatusMessage``).
"""

from __future__ import annotations

import datetime
import json
import random
import string
from typing import Any

from moto.apigatewayv2.models import Stage, apigatewayv2_backends
from werkzeug.wrappers import Response

from ...protocol import json_error, json_response
from .. import Call, Registry
from ..patching import patch

_API = r"/v2/apis/(?P<api_id>[^/]+)"
_STAGE_FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "defaultRouteSettings": "default_route_settings",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register(registry: Registry) -> None:
    deployments: dict[str, dict[str, dict[str, Any]]] = {}  # api id -> deployment id -> deployment
    registry.on_reset(deployments.clear)

    def api_of(call: Call) -> Any | None:
        backend = apigatewayv2_backends[call.account_id][call.region]
        return backend.apis.get(call.path_args["api_id"])

    def not_found(what: str) -> Response:
        return json_error("NotFoundException", f"Invalid {what} identifier specified", status=404)

    def deploy(api_id: str, description: str | None, auto: bool) -> dict[str, Any]:
        deployment = {
            "deploymentId": "".join(random.choices(string.ascii_lowercase + string.digits, k=6)),
            "deploymentStatus": "DEPLOYED",
            "createdDate": _now(),
            "autoDeployed": auto,
        }
        if description:
            deployment["description"] = description
        deployments.setdefault(api_id, {})[deployment["deploymentId"]] = deployment
        return deployment

    @registry.route("apigatewayv2", "POST", f"{_API}/deployments")
    def create_deployment(call: Call) -> Response:
        api = api_of(call)
        if api is None:
            return not_found("API")
        body = json.loads(call.body or b"{}")
        stage = api.stages.get(body.get("stageName") or "")
        if body.get("stageName") and stage is None:
            return json_error("BadRequestException", f"Invalid stage identifier specified: {body['stageName']}")
        if stage is not None and stage.auto_deploy:
            return json_error("BadRequestException", "Stage with autoDeploy enabled cannot be deployed manually")
        deployment = deploy(api.api_id, body.get("description"), auto=False)
        if stage is not None:
            stage.deployment_id = deployment["deploymentId"]
        return json_response(deployment, status=201)

    @registry.route("apigatewayv2", "GET", f"{_API}/deployments")
    def get_deployments(call: Call) -> Response:
        if api_of(call) is None:
            return not_found("API")
        return json_response({"items": list(deployments.get(call.path_args["api_id"], {}).values())})

    @registry.route("apigatewayv2", "GET", f"{_API}/deployments/(?P<deployment_id>[^/]+)")
    def get_deployment(call: Call) -> Response:
        found = deployments.get(call.path_args["api_id"], {}).get(call.path_args["deployment_id"])
        return json_response(found) if found else not_found("deployment")

    @registry.route("apigatewayv2", "DELETE", f"{_API}/deployments/(?P<deployment_id>[^/]+)")
    def delete_deployment(call: Call) -> Response:
        found = deployments.get(call.path_args["api_id"], {}).pop(call.path_args["deployment_id"], None)
        return Response(status=204) if found else not_found("deployment")

    @registry.route("apigatewayv2", "POST", f"{_API}/stages")
    def create_stage(call: Call) -> Response | None:
        """Let moto create the stage, then give an auto-deploying stage its first deployment."""
        api = api_of(call)
        body = json.loads(call.body or b"{}")
        if api is None:
            return None  # moto answers NotFound
        if body.get("stageName") in api.stages:
            return json_error("ConflictException", f"Stage {body['stageName']} already exists", 409)
        stage = api.backend.create_stage(api.api_id, body)
        stage.deployment_id = body.get("deploymentId")
        if stage.auto_deploy:
            stage.deployment_id = deploy(api.api_id, "Automatic deployment triggered by changes", auto=True)[
                "deploymentId"
            ]
        return json_response(stage.to_json(), status=201)

    @registry.route("apigatewayv2", "PATCH", f"{_API}/stages/(?P<stage_name>[^/]+)")
    def update_stage(call: Call) -> Response:
        api = api_of(call)
        if api is None:
            return not_found("API")
        stage = api.stages.get(call.path_args["stage_name"])
        if stage is None:
            return not_found("stage")
        body = json.loads(call.body or b"{}")
        for wire, attribute in _STAGE_FIELDS.items():
            if wire in body:
                setattr(stage, attribute, body[wire])
        if "deploymentId" in body:
            if body["deploymentId"] not in deployments.get(api.api_id, {}):
                return json_error("BadRequestException", f"Invalid deployment identifier {body['deploymentId']}")
            stage.deployment_id = body["deploymentId"]
        if stage.auto_deploy:
            stage.deployment_id = deploy(api.api_id, "Automatic deployment triggered by changes", auto=True)[
                "deploymentId"
            ]
        stage.updated = datetime.datetime.now()
        return json_response(stage.to_json())

    @patch(
        Stage,
        "to_json",
        signature="(self)",
        requires=("auto_deploy",),
        why="moto's stages have no deployment",
        restores="GetStage reports deploymentId and, for an auto-deploying stage, lastDeploymentStatusMessage",
    )
    def _(original_to_json):  # type: ignore[no-untyped-def]
        def to_json(stage: Stage) -> dict[str, Any]:
            data = original_to_json(stage)
            if getattr(stage, "deployment_id", None):
                data["deploymentId"] = stage.deployment_id
            if stage.auto_deploy:
                data["lastDeploymentStatusMessage"] = (
                    f"Successfully deployed stage with deployment ID '{data.get('deploymentId')}'"
                )
            return data

        return to_json
