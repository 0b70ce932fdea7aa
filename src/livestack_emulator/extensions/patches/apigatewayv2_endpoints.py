"""The ``ApiEndpoint`` of API Gateway v2 APIs: the local gateways that serve them.

WebSocket APIs report the WebSocket gateway's URL (``ws://127.0.0.1:<port>/<api id>``), so a client
appends ``/<stage>`` exactly as it does to ``wss://<api id>.execute-api.<region>.amazonaws.com``.
HTTP APIs report a loopback port of their own (``http://127.0.0.1:<port>``), served from then on by
``http_api_gateway`` (``$default`` stage at the root, ``/<stage>/...`` otherwise, as on AWS) and
stopped with the API (DeleteApi), on reset and on exit.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import Api

from ... import dataplane
from ...http_api_gateway import HttpApiGateway
from .. import Call, Registry
from ..patching import patch


def register(registry: Registry) -> None:
    @registry.route("apigatewayv2", "DELETE", r"/v2/apis/(?P<api_id>[^/]+)")
    def delete_api(call: Call) -> None:
        dataplane.supervisor().stop(HttpApiGateway.listener(call.path_args["api_id"]))
        return None  # moto deletes the API

    @patch(
        Api,
        "to_json",
        signature="(self)",
        requires=("protocol_type", "api_id"),
        why="moto reports AWS's execute-api host name, which nothing serves locally",
        restores="ApiEndpoint is the URL that serves the API (the emulator's WebSocket or HTTP API gateway)",
    )
    def _(original_to_json):  # type: ignore[no-untyped-def]
        def to_json(api: Api) -> dict[str, Any]:
            data = original_to_json(api)
            services = registry.services
            if api.protocol_type == "WEBSOCKET" and "websocket_gateway" in services:
                data["apiEndpoint"] = f"{services['websocket_gateway'].url}/{api.api_id}"
            elif api.protocol_type == "HTTP" and "http_api_gateway" in services:
                data["apiEndpoint"] = services["http_api_gateway"].endpoint(api.api_id)
            return data

        return to_json
