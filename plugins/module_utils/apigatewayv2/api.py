# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""One wrapper per API Gateway v2 call: retried with jittered backoff, errors as AnsibleAWSError."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleApiGatewayV2Error(AnsibleAWSError):
    pass


class ApiGatewayV2ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleApiGatewayV2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


def _paginate(client: Any, operation: str, **params: Any) -> list[dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result().get("Items", [])


@ApiGatewayV2ErrorHandler.list_error_handler("list APIs", default_value=[])
@AWSRetry.jittered_backoff()
def get_apis(client: Any) -> list[dict[str, Any]]:
    return _paginate(client, "get_apis")


@ApiGatewayV2ErrorHandler.list_error_handler("describe the API")
@AWSRetry.jittered_backoff()
def get_api(client: Any, api_id: str) -> dict[str, Any] | None:
    return client.get_api(ApiId=api_id)


@ApiGatewayV2ErrorHandler.common_error_handler("create the API")
@AWSRetry.jittered_backoff()
def create_api(client: Any, **params: Any) -> dict[str, Any]:
    return client.create_api(**params)


@ApiGatewayV2ErrorHandler.common_error_handler("update the API")
@AWSRetry.jittered_backoff()
def update_api(client: Any, api_id: str, **params: Any) -> dict[str, Any]:
    return client.update_api(ApiId=api_id, **params)


@ApiGatewayV2ErrorHandler.deletion_error_handler("delete the API")
@AWSRetry.jittered_backoff()
def delete_api(client: Any, api_id: str) -> bool:
    client.delete_api(ApiId=api_id)
    return True


@ApiGatewayV2ErrorHandler.common_error_handler("tag the API")
@AWSRetry.jittered_backoff()
def tag_resource(client: Any, arn: str, tags: dict[str, str]) -> None:
    client.tag_resource(ResourceArn=arn, Tags=tags)


@ApiGatewayV2ErrorHandler.common_error_handler("untag the API")
@AWSRetry.jittered_backoff()
def untag_resource(client: Any, arn: str, keys: list[str]) -> None:
    client.untag_resource(ResourceArn=arn, TagKeys=keys)


@ApiGatewayV2ErrorHandler.list_error_handler("list the API's integrations", default_value=[])
@AWSRetry.jittered_backoff()
def get_integrations(client: Any, api_id: str) -> list[dict[str, Any]]:
    return _paginate(client, "get_integrations", ApiId=api_id)


@ApiGatewayV2ErrorHandler.common_error_handler("create an integration")
@AWSRetry.jittered_backoff()
def create_integration(client: Any, api_id: str, **params: Any) -> dict[str, Any]:
    return client.create_integration(ApiId=api_id, **params)


@ApiGatewayV2ErrorHandler.common_error_handler("update an integration")
@AWSRetry.jittered_backoff()
def update_integration(client: Any, api_id: str, integration_id: str, **params: Any) -> dict[str, Any]:
    return client.update_integration(ApiId=api_id, IntegrationId=integration_id, **params)


@ApiGatewayV2ErrorHandler.deletion_error_handler("delete an integration")
@AWSRetry.jittered_backoff()
def delete_integration(client: Any, api_id: str, integration_id: str) -> bool:
    client.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    return True


@ApiGatewayV2ErrorHandler.list_error_handler("list the API's routes", default_value=[])
@AWSRetry.jittered_backoff()
def get_routes(client: Any, api_id: str) -> list[dict[str, Any]]:
    return _paginate(client, "get_routes", ApiId=api_id)


@ApiGatewayV2ErrorHandler.common_error_handler("create a route")
@AWSRetry.jittered_backoff()
def create_route(client: Any, api_id: str, **params: Any) -> dict[str, Any]:
    return client.create_route(ApiId=api_id, **params)


@ApiGatewayV2ErrorHandler.common_error_handler("update a route")
@AWSRetry.jittered_backoff()
def update_route(client: Any, api_id: str, route_id: str, **params: Any) -> dict[str, Any]:
    return client.update_route(ApiId=api_id, RouteId=route_id, **params)


@ApiGatewayV2ErrorHandler.deletion_error_handler("delete a route")
@AWSRetry.jittered_backoff()
def delete_route(client: Any, api_id: str, route_id: str) -> bool:
    client.delete_route(ApiId=api_id, RouteId=route_id)
    return True


@ApiGatewayV2ErrorHandler.list_error_handler("list the API's stages", default_value=[])
@AWSRetry.jittered_backoff()
def get_stages(client: Any, api_id: str) -> list[dict[str, Any]]:
    return _paginate(client, "get_stages", ApiId=api_id)


@ApiGatewayV2ErrorHandler.common_error_handler("create the stage")
@AWSRetry.jittered_backoff()
def create_stage(client: Any, api_id: str, **params: Any) -> dict[str, Any]:
    return client.create_stage(ApiId=api_id, **params)


@ApiGatewayV2ErrorHandler.common_error_handler("update the stage")
@AWSRetry.jittered_backoff()
def update_stage(client: Any, api_id: str, stage_name: str, **params: Any) -> dict[str, Any]:
    return client.update_stage(ApiId=api_id, StageName=stage_name, **params)


@ApiGatewayV2ErrorHandler.common_error_handler("deploy the API")
@AWSRetry.jittered_backoff()
def create_deployment(client: Any, api_id: str, stage_name: str) -> dict[str, Any]:
    return client.create_deployment(ApiId=api_id, StageName=stage_name)
