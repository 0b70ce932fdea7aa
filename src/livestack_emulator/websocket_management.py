"""The @connections API of the local WebSocket gateway, served on the gateway's event loop.

API Gateway serves ``https://<api id>.execute-api.<region>.amazonaws.com/<stage>/@connections/<id>``
next to the WebSocket endpoint. The emulator's main HTTP port answers it too (the
``apigateway_connections`` extension, for any client), but the relay Lambdas that the gateway runs
call it for every message: there, werkzeug's development server costs a new TCP connection and
thread per request (it never keeps a connection alive) and a thread hop to the event loop. This
small HTTP/1.1 server keeps connections alive and sends on the socket from the loop itself. It
answers what botocore's ``apigatewaymanagementapi`` expects: 200 for PostToConnection, the
connection's JSON for GetConnection, 204 for DeleteConnection, 410 GoneException for an unknown or
closed connection, 413 PayloadTooLargeException above 128 KB (errors in the rest-json form).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

_PATH = re.compile(r"^(?:/[^/]+)?/@connections/(?P<connection_id>[^/]+)$")
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found", 410: "Gone", 413: "Payload Too Large"}


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    return status, {"x-amzn-ErrorType": code}, body


class ManagementServer:
    """``handle(method, connection_id, body)`` does the work; it raises ``gone`` for 410."""

    def __init__(
        self,
        handle: Callable[[str, str, bytes], Awaitable[tuple[int, Any]]],
        gone: type[Exception],
        message_limit: int,
    ) -> None:
        self._handle = handle
        self._gone = gone
        self._limit = message_limit

    async def start(self, host: str) -> int:
        server = await asyncio.start_server(self._serve, host, 0)
        return server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line.strip():
                    break
                method, target, _version = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                status, extra, payload = await self._answer(method, urlsplit(target).path, body)
                head = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}", f"Content-Length: {len(payload)}"]
                head += ["Content-Type: application/json", *(f"{name}: {value}" for name, value in extra.items())]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def _answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        match = _PATH.match(path)
        if match is None or method not in ("POST", "GET", "DELETE"):
            return _error(404, "NotFoundException", f"no such resource: {method} {path}")
        connection_id = unquote(match["connection_id"])
        if method == "POST" and len(body) > self._limit:
            return _error(413, "PayloadTooLargeException", f"data of {len(body)} bytes exceeds {self._limit}")
        try:
            status, answer = await self._handle(method, connection_id, body)
        except self._gone:
            return _error(410, "GoneException", f"connection {connection_id} is gone")
        return status, {}, json.dumps(answer).encode() if answer is not None else b""
