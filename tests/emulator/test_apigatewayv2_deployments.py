"""API Gateway v2 deployments and stage updates, which the emulator adds to moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def api(emulator):
    client = emulator.client("apigatewayv2")
    api_id = client.create_api(
        Name="deployments", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    yield client, api_id
    client.delete_api(ApiId=api_id)


def test_a_deployment_made_for_a_stage_becomes_its_deployment(api):
    client, api_id = api
    client.create_stage(ApiId=api_id, StageName="manual")
    deployment = client.create_deployment(ApiId=api_id, StageName="manual", Description="first")

    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert client.get_stage(ApiId=api_id, StageName="manual")["DeploymentId"] == deployment["DeploymentId"]
    assert [d["DeploymentId"] for d in client.get_deployments(ApiId=api_id)["Items"]] == [deployment["DeploymentId"]]
    assert client.get_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])["Description"] == "first"
    client.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])
    with pytest.raises(ClientError, match="NotFoundException"):
        client.get_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])


def test_a_stage_is_updated_and_an_auto_deploying_stage_deploys_itself(api):
    client, api_id = api
    created = client.create_stage(ApiId=api_id, StageName="auto", AutoDeploy=True)
    assert created["DeploymentId"]

    updated = client.update_stage(ApiId=api_id, StageName="auto", Description="changed", StageVariables={"a": "b"})

    assert updated["Description"] == "changed"
    assert updated["StageVariables"] == {"a": "b"}
    assert updated["DeploymentId"] != created["DeploymentId"]
    assert client.get_stage(ApiId=api_id, StageName="auto")["Description"] == "changed"
    with pytest.raises(ClientError, match="BadRequestException"):
        client.create_deployment(ApiId=api_id, StageName="auto")


def test_updating_an_unknown_stage_is_not_found(api):
    client, api_id = api
    with pytest.raises(ClientError, match="NotFoundException"):
        client.update_stage(ApiId=api_id, StageName="missing", Description="x")
