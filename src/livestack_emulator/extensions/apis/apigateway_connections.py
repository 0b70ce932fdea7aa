"""The API Gateway management API (@connections) of the local WebSocket gateway, and its endpoint.

PostToConnection, GetConnection and DeleteConnection (botocore ``apigatewaymanagementapi``, signed
as ``execute-api``) reach the connections of ``websocket_gateway``: 410 GoneException for an
unknown or closed connection, 413 PayloadTooLargeException above 128 KB.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Response

from ...protocol import json_error, json_response
from ...websocket_gateway import MESSAGE_LIMIT, Gone
from .. import Call, Registry

_CONNECTION = r"(?:/[^/]+)?/@connections/(?P<connection_id>[^/]+)"


def register(registry: Registry) -> None:
    def gateway() -> Any:
        return registry.services.get("websocket_gateway")

    def gone(connection_id: str) -> Response:
        return json_error("GoneException", f"connection {connection_id} is gone", status=410)

    @registry.route("execute-api", "POST", _CONNECTION)
    def post_to_connection(call: Call) -> Response:
        connection_id = unquote(call.path_args["connection_id"])
        if len(call.body) > MESSAGE_LIMIT:
            message = f"data of {len(call.body)} bytes exceeds {MESSAGE_LIMIT}"
            return json_error("PayloadTooLargeException", message, 413)
        try:
            gateway().post(connection_id, call.body)
        except Gone:
            return gone(connection_id)
        return Response(status=200)

    @registry.route("execute-api", "GET", _CONNECTION)
    def get_connection(call: Call) -> Response:
        connection_id = unquote(call.path_args["connection_id"])
        try:
            return json_response(gateway().describe(connection_id))
        except Gone:
            return gone(connection_id)

    @registry.route("execute-api", "DELETE", _CONNECTION)
    def delete_connection(call: Call) -> Response:
        connection_id = unquote(call.path_args["connection_id"])
        try:
            gateway().delete(connection_id)
        except Gone:
            return gone(connection_id)
        return Response(status=204)
