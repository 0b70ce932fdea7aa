"""A local API Gateway for WebSocket APIs, built on ``websockets``, serving the APIs stored in moto.

``ws://127.0.0.1:<port>/<api id>/<stage>`` behaves as ``wss://<api id>.execute-api.<region>.amazonaws.com/<stage>``
does for what the relay uses:

- ``$connect``: the SigV4 signature is checked when the route's authorization is AWS_IAM (403
  otherwise), then the route's Lambda integration runs; a non-2xx status refuses the connection;
- messages: route selection on the API's ``$request.body.<field>`` expression, ``$default``
  otherwise, "Forbidden" when no route matches; messages over 128 KB close the socket with 1009;
- ``$disconnect`` runs after any close; the idle timeout (10 min) and the 2 h limit close sockets;
- the @connections API (``POST``/``GET``/``DELETE``, served by the emulator's HTTP port through
  the ``apigateway_connections`` extension, and for the integrations the gateway runs, on a
  keep-alive port of its own, ``websocket_management``): 410 Gone for an unknown or closed
  connection, 413 above 128 KB.

Integrations run in the functions' own runtime processes (``lambda_runner``), waited for in worker
threads so that the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .lambda_runner import LambdaError, LambdaRunner, function_arn
from .sigv4 import SignatureError, verify
from .websocket_management import ManagementServer

MESSAGE_LIMIT = 128 * 1024
IDLE_TIMEOUT = 600.0
MAX_LIFETIME = 7200.0
LOG = logging.getLogger(__name__)


class Gone(Exception):
    """The connection does not exist or has closed (API Gateway answers 410)."""


@dataclass
class Connection:
    connection_id: str
    api: Any
    region: str
    account_id: str
    stage: str
    identity: dict[str, Any]
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)
    socket: ServerConnection | None = None


def _find_api(api_id: str) -> tuple[Any, str, str] | None:
    """(api, region, account) of a WebSocket API in moto's backends."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, region, backend in list(apigatewayv2_backends.iter_backends()):
        api = backend.apis.get(api_id)
        if api is not None and api.protocol_type == "WEBSOCKET":
            return api, region, account_id
    return None


class WebSocketGateway:
    def __init__(
        self,
        host: str,
        port: int,
        endpoint_url: str,
        idle_timeout: float | None = None,
        max_lifetime: float = MAX_LIFETIME,
        runner: LambdaRunner | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.endpoint_url = endpoint_url
        self.idle_timeout = idle_timeout or float(os.environ.get("LIVESTACK_WEBSOCKET_IDLE_TIMEOUT", IDLE_TIMEOUT))
        self.max_lifetime = max_lifetime
        self.runner = runner or LambdaRunner(endpoint_url)
        self._connections: dict[str, Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.management_url = ""
        # Integrations run concurrently, each in an execution environment (a process) of its own, up to 8
        # at once: Lambda's concurrency is higher, but this machine's cores are not.
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="ws-integration")

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> int:
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                server = self._loop.run_until_complete(self._listen())
                self.port = server.sockets[0].getsockname()[1]
            except BaseException as error:  # noqa: BLE001 - reported to start()
                failure.append(error)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        threading.Thread(target=run, name="websocket-gateway", daemon=True).start()
        started.wait(30)
        if failure:
            raise failure[0]
        return self.port

    async def _listen(self) -> Any:
        management = ManagementServer(self._manage, Gone, MESSAGE_LIMIT)
        self.management_url = f"http://{self.host}:{await management.start(self.host)}"
        return await serve(
            self._serve, self.host, self.port, process_request=self._connect, max_size=MESSAGE_LIMIT, ping_interval=None
        )

    # -- the @connections API ---------------------------------------------------------------------
    def _open(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id)
        if connection is None or connection.socket is None:
            raise Gone(connection_id)
        return connection

    async def _send(self, connection_id: str, data: bytes) -> None:
        connection = self._open(connection_id)
        try:
            message: str | bytes = data.decode()
        except UnicodeDecodeError:
            message = data
        try:
            await connection.socket.send(message)
        except ConnectionClosed:
            raise Gone(connection_id) from None

    async def _manage(self, method: str, connection_id: str, body: bytes) -> tuple[int, Any]:
        """The @connections requests of ``websocket_management`` (on the loop): (status, JSON answer)."""
        if method == "POST":
            await self._send(connection_id, body)
            return 200, None
        if method == "DELETE":
            await self._close(connection_id)
            return 204, None
        return 200, self.describe(connection_id)

    def post(self, connection_id: str, data: bytes) -> None:
        asyncio.run_coroutine_threadsafe(self._send(connection_id, data), self._loop).result(timeout=30)

    async def _close(self, connection_id: str) -> None:
        await self._open(connection_id).socket.close(1000, "Connection deleted")

    def delete(self, connection_id: str) -> None:
        asyncio.run_coroutine_threadsafe(self._close(connection_id), self._loop).result(timeout=30)

    def describe(self, connection_id: str) -> dict[str, Any]:
        connection = self._open(connection_id)
        stamp = time.strftime
        return {
            "connectedAt": stamp("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(connection.connected_at)),
            "lastActiveAt": stamp("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(connection.last_active_at)),
            "identity": {"sourceIp": connection.identity.get("sourceIp", "127.0.0.1"), "userAgent": ""},
        }

    def connection_ids(self) -> list[str]:
        return [cid for cid, connection in self._connections.items() if connection.socket is not None]

    # -- the WebSocket side -----------------------------------------------------------------------
    def _route(self, api: Any, route_key: str) -> Any | None:
        for route in api.routes.values():
            if route.route_key == route_key:
                return route
        return None

    def _select_route(self, api: Any, body: str) -> Any | None:
        expression = api.route_selection_expression or ""
        if expression.startswith("$request.body."):
            try:
                value: Any = json.loads(body)
                for part in expression[len("$request.body.") :].split("."):
                    value = value.get(part) if isinstance(value, dict) else None
            except ValueError:
                value = None
            if isinstance(value, str) and (route := self._route(api, value)):
                return route
        return self._route(api, "$default")

    def _event(self, connection: Connection, route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
        now = time.time()
        return {
            "requestContext": {
                "routeKey": route_key,
                "eventType": event_type,
                "messageDirection": "IN",
                "stage": connection.stage,
                "connectedAt": int(connection.connected_at * 1000),
                "requestTimeEpoch": int(now * 1000),
                "requestId": base64.urlsafe_b64encode(os.urandom(12)).decode(),
                "messageId": base64.urlsafe_b64encode(os.urandom(12)).decode() if event_type == "MESSAGE" else None,
                "domainName": f"{connection.api.api_id}.execute-api.{connection.region}.amazonaws.com",
                "connectionId": connection.connection_id,
                "apiId": connection.api.api_id,
                "identity": connection.identity,
            },
            "isBase64Encoded": False,
            **extra,
        }

    def _integrate(self, connection: Connection, route: Any, event: dict[str, Any]) -> Any:
        """Run the route's Lambda integration (in a worker thread)."""
        target = str(route.target or "")
        integration = connection.api.integrations.get(target.rpartition("/")[2])
        if integration is None:
            raise LambdaError(f"route {route.route_key} has no integration")
        management = f"{self.management_url}/{connection.stage}"
        return self.runner.call(
            function_arn(integration.integration_uri), event, {"AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": management}
        )

    async def _connect(self, socket: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        segments = [segment for segment in parts.path.split("/") if segment]
        found = _find_api(segments[0]) if len(segments) == 2 else None
        if found is None or segments[1] not in found[0].stages:
            return socket.respond(403, "Forbidden")
        api, region, account_id = found
        route = self._route(api, "$connect")
        headers = {name: value for name, value in request.headers.raw_items()}
        identity: dict[str, Any] = {"sourceIp": socket.remote_address[0] if socket.remote_address else "127.0.0.1"}
        if route is not None and (route.authorization_type or "NONE") == "AWS_IAM":
            try:
                caller = verify("GET", f"http://{request.headers.get('Host', '')}{request.path}", headers, region)
            except SignatureError as error:
                return socket.respond(403, json.dumps({"message": str(error)}))
            identity.update(accessKey=caller.access_key, accountId=caller.account_id, userArn=caller.user_arn)
        connection_id = base64.b64encode(os.urandom(12)).decode().replace("/", "_").replace("+", "-")
        connection = Connection(connection_id, api, region, account_id, segments[1], identity)
        if route is not None:
            event = self._event(
                connection,
                "$connect",
                "CONNECT",
                headers=headers,
                queryStringParameters=dict(parse_qsl(parts.query)) or None,
            )
            try:
                result = await asyncio.get_running_loop().run_in_executor(
                    self._executor, self._integrate, connection, route, event
                )
            except Exception as error:  # noqa: BLE001 - a failing integration is a 500, as on AWS
                LOG.exception("$connect integration failed")
                return socket.respond(500, json.dumps({"message": f"Internal server error: {error}"}))
            status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
            if not 200 <= status < 300:
                return socket.respond(status, str(result.get("body") or "Forbidden"))
        self._connections[connection_id] = connection
        socket.livestack_connection_id = connection_id  # read by _serve once the handshake completes
        return None

    async def _serve(self, socket: ServerConnection) -> None:
        connection = self._connections[socket.livestack_connection_id]
        connection.socket = socket
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                now = time.time()
                wait = (
                    min(connection.last_active_at + self.idle_timeout, connection.connected_at + self.max_lifetime)
                    - now
                )
                try:
                    message = await asyncio.wait_for(socket.recv(), timeout=max(wait, 0.001))
                except TimeoutError:
                    await socket.close(1001, "Going away")
                    break
                connection.last_active_at = time.time()
                body = message if isinstance(message, str) else message.decode("utf-8", "replace")
                task = asyncio.create_task(self._message(connection, body))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except ConnectionClosed:
            pass
        finally:
            connection.socket = None
            self._connections.pop(connection.connection_id, None)
            route = self._route(connection.api, "$disconnect")
            if route is not None:
                event = self._event(connection, "$disconnect", "DISCONNECT")
                try:
                    asyncio.get_running_loop().run_in_executor(self._executor, self._quietly, connection, route, event)
                except RuntimeError:  # the emulator is exiting: its executor no longer takes work
                    pass

    def _quietly(self, connection: Connection, route: Any, event: dict[str, Any]) -> None:
        try:
            self._integrate(connection, route, event)
        except Exception:  # noqa: BLE001 - AWS logs a failing $disconnect integration and moves on
            LOG.exception("%s integration failed", route.route_key)

    async def _message(self, connection: Connection, body: str) -> None:
        route = self._select_route(connection.api, body)
        if route is None:
            reply = {"message": "Forbidden", "connectionId": connection.connection_id, "requestId": str(uuid.uuid4())}
            await self._reply(connection, reply)
            return
        event = self._event(connection, route.route_key, "MESSAGE", body=body)
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._integrate, connection, route, event)
        except Exception:  # noqa: BLE001 - AWS answers the sender with an internal server error
            LOG.exception("%s integration failed", route.route_key)
            reply = {
                "message": "Internal server error",
                "connectionId": connection.connection_id,
                "requestId": str(uuid.uuid4()),
            }
            await self._reply(connection, reply)

    async def _reply(self, connection: Connection, reply: dict[str, Any]) -> None:
        if connection.socket is not None:
            try:
                await connection.socket.send(json.dumps(reply))
            except ConnectionClosed:
                pass
