"""A local API Gateway for HTTP APIs: each API served on a loopback port of its own.

``http://127.0.0.1:<port>`` (the API's ``ApiEndpoint``) behaves as
``https://<api id>.execute-api.<region>.amazonaws.com`` does for Lambda proxy integrations:

- stages: ``$default`` at the root, a named stage under ``/<stage>``; a stage serves once deployed
  (``autoDeploy`` or a deployment);
- routes: ``METHOD /path`` and ``ANY /path`` keys with ``{name}`` and greedy ``{name+}`` variables,
  the most specific match first (literal, then variables, then greedy), else ``$default``, else
  404 ``{"message":"Not Found"}``;
- AWS_PROXY integrations with payload format 2.0: the event as API Gateway builds it (``version``,
  ``routeKey``, ``rawPath``, ``rawQueryString``, ``cookies``, lowercased ``headers``,
  ``queryStringParameters``, ``requestContext`` with ``http.method/path/sourceIp``, ``requestId``,
  ``stage``, ``pathParameters``, ``body`` base64-encoded unless textual, ``isBase64Encoded``); the
  answer mapped as 2.0 does: a dict with ``statusCode`` (``headers``, ``cookies``, ``body``,
  ``isBase64Encoded``) or any other JSON as a 200 ``application/json`` body;
- the integration timeout (at most 30 s): 503 ``{"message":"Service Unavailable"}``, while the
  function runs on to its own timeout; a function error: 500 ``{"message":"Internal Server Error"}``.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import json
import logging
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import dataplane
from .lambda_runner import LambdaError, LambdaRunner, find_function, function_arn

INTEGRATION_LIMIT_MS = 30000
LOG = logging.getLogger(__name__)
_TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript)\b|application/[^;]*\+(json|xml)\b)", re.I)
_VARIABLE = re.compile(r"\{([^}/]+?)(\+?)\}")


def _find_api(api_id: str) -> tuple[Any, str, str] | None:
    """(api, region, account) of an HTTP API in moto's backends."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, region, backend in list(apigatewayv2_backends.iter_backends()):
        api = backend.apis.get(api_id)
        if api is not None and api.protocol_type == "HTTP":
            return api, region, account_id
    return None


def match_route(route_keys: list[str], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(route key, path parameters) of the most specific route for a request, as API Gateway selects it."""
    best: tuple[tuple[int, int, int], str, dict[str, str]] | None = None
    for key in route_keys:
        route_method, _, template = key.partition(" ")
        if key == "$default" or route_method not in ("ANY", method):
            continue
        pattern, greedy, end = "", 0, 0
        for variable in _VARIABLE.finditer(template):
            pattern += re.escape(template[end : variable.start()])
            pattern += f"(?P<{variable[1]}>.+)" if variable[2] else f"(?P<{variable[1]}>[^/]+)"
            greedy += bool(variable[2])
            end = variable.end()
        pattern += re.escape(template[end:])
        try:
            found = re.fullmatch(pattern, path)
        except re.error:  # a variable name that is no Python group name
            continue
        if found:
            literal = len(_VARIABLE.sub("", template))
            score = (0 if greedy else 1, literal, 1 if route_method == method else 0)
            if best is None or score > best[0]:
                best = (score, key, {name: unquote(value) for name, value in found.groupdict().items()})
    if best is not None:
        return best[1], best[2]
    return ("$default", {}) if "$default" in route_keys else None


def request_event(
    api: Any, account_id: str, route_key: str, stage: str, request: dict[str, Any], path_parameters: dict[str, str]
) -> dict[str, Any]:
    """The payload format 2.0 event of a request: method, path, query, headers (name, value), body, source."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request["headers"]:
        if name.lower() == "cookie":
            cookies += [cookie.strip() for cookie in value.split(";") if cookie.strip()]
        else:
            headers[name.lower()] = f"{headers[name.lower()]},{value}" if name.lower() in headers else value
    headers.setdefault("x-forwarded-for", request["source_ip"])
    headers.setdefault("x-forwarded-proto", "http")
    query: dict[str, str] = {}
    for name, value in parse_qsl(request["query"], keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request["path"],
        "rawQueryString": request["query"],
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api.api_id,
            "domainName": headers.get("host", ""),
            "domainPrefix": api.api_id,
            "http": {
                "method": request["method"],
                "path": request["path"],
                "protocol": request["protocol"],
                "sourceIp": request["source_ip"],
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request["request_id"],
            "routeKey": route_key,
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    stage_variables = getattr(api.stages.get(stage), "stage_variables", None)
    if stage_variables:
        event["stageVariables"] = stage_variables
    body: bytes = request["body"]
    if body:
        if _TEXT_TYPES.match(headers.get("content-type", "")):
            event["body"] = body.decode("utf-8", "replace")
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def map_response(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of a function's answer under payload format 2.0; ValueError if malformed."""
    value = json.loads(payload)
    if not (isinstance(value, dict) and "statusCode" in value):
        return 200, [("content-type", "application/json")], payload
    status = value["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status")
    headers = [(str(name).lower(), str(header)) for name, header in (value.get("headers") or {}).items()]
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "text/plain; charset=utf-8"))
    headers += [("set-cookie", str(cookie)) for cookie in value.get("cookies") or []]
    body = value.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        data = json.dumps(body).encode()
    elif value.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode()
    return status, headers, data


def _message(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "application/json")], json.dumps({"message": message}).encode()


class HttpApiGateway:
    def __init__(self, host: str, runner: LambdaRunner) -> None:
        self.host = host
        self.runner = runner
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}

    def endpoint(self, api_id: str) -> str:
        """The API's URL, its listener started on first use (stopped with the API, on reset and on exit)."""
        with self._lock:
            server = self._servers.get(api_id)
            if server is None:
                server = self._servers[api_id] = ThreadingHTTPServer((self.host, 0), _handler(self, api_id))
                server.daemon_threads = True
                threading.Thread(target=server.serve_forever, name=f"http-api-{api_id}", daemon=True).start()
                dataplane.supervisor().on_stop(self.listener(api_id), lambda: self._close(api_id))
        return f"http://{self.host}:{server.server_address[1]}"

    @staticmethod
    def listener(api_id: str) -> str:
        return f"http-api/{api_id}"

    def _close(self, api_id: str) -> None:
        with self._lock:
            server = self._servers.pop(api_id, None)
        if server is not None:
            server.shutdown()
            server.server_close()

    def handle(self, api_id: str, request: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        found = _find_api(api_id)
        if found is None:
            return _message(404, "Not Found")
        api, region, account_id = found
        segments = request["path"].split("/")
        stage_name, route_path = "$default", request["path"]
        if len(segments) > 1 and segments[1] in api.stages and segments[1] != "$default":
            stage_name, route_path = segments[1], "/" + "/".join(segments[2:])
        stage = api.stages.get(stage_name)
        if stage is None or not (stage.auto_deploy or getattr(stage, "deployment_id", None)):
            return _message(404, "Not Found")
        routes = {route.route_key: route for route in api.routes.values()}
        matched = match_route(list(routes), request["method"], route_path)
        integration = None
        if matched is not None:
            target = str(routes[matched[0]].target or "")
            integration = api.integrations.get(target.removeprefix("integrations/"))
        if integration is None:
            return _message(404, "Not Found")
        route_key, path_parameters = matched
        if integration.integration_type != "AWS_PROXY" or (integration.payload_format_version or "2.0") != "2.0":
            LOG.error("HTTP API %s: only AWS_PROXY integrations of payload format 2.0 run here", api_id)
            return _message(500, "Internal Server Error")
        event = request_event(api, account_id, route_key, stage_name, request, path_parameters)
        try:
            arn = function_arn(integration.integration_uri)
            function = find_function(arn, region, account_id)
            future = self.runner.submit(function, json.dumps(event).encode(), invoked_arn=arn)
        except LambdaError as error:
            LOG.error("HTTP API %s: %s", api_id, error)
            return _message(500, "Internal Server Error")
        wait = min(integration.timeout_in_millis or INTEGRATION_LIMIT_MS, INTEGRATION_LIMIT_MS) / 1000
        try:
            result = future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            return _message(503, "Service Unavailable")
        except LambdaError as error:
            LOG.error("HTTP API %s: %s", api_id, error)
            return _message(500, "Internal Server Error")
        if result.function_error:
            return _message(500, "Internal Server Error")
        try:
            return map_response(result.payload)
        except (ValueError, TypeError, binascii.Error) as error:
            LOG.error("HTTP API %s: malformed Lambda proxy response: %s", api_id, error)
            return _message(500, "Internal Server Error")


def _handler(gateway: HttpApiGateway, api_id: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            path, _, query = self.path.partition("?")
            request = {
                "method": self.command,
                "path": path,
                "query": query,
                "protocol": self.request_version,
                "headers": list(self.headers.items()),
                "body": self.rfile.read(length) if length else b"",
                "source_ip": self.client_address[0],
                "request_id": base64.b64encode(os.urandom(10)).decode().rstrip("="),
            }
            status, headers, body = gateway.handle(api_id, request)
            self.send_response(status)
            for name, value in headers:
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("apigw-requestid", request["request_id"])
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            LOG.debug("%s " + format, api_id, *args)

    return Handler
