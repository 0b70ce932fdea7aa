"""The stub: the Lambda function that stands in for the developer's handler.

Each invocation is packed (event, a subset of the context, the function's environment without
credentials, the remaining time), sent over the stage's WebSocket API to the developer's
``livestack-relay`` client, and the client's answer is returned or raised. Payloads above what
fits in one WebSocket message go through the stage's S3 bucket. The protocol is
``livestack_relay/protocol.py``, shipped in the zip beside this file.

It fails fast and says why: no client connected (the relay answers at once), the relay not
reachable (no route out of the VPC: connect times out after 1.5 s), the stub not authorised
(IAM on ``$connect``), a frozen client (no answer nor acknowledgement within 3 s), the client gone
mid-call, the client unable to hand the result back, a payload over 6 MB. A warm connection
dropped while the function was idle (API Gateway's 10 minute idle timeout, its 2 h limit) is
renewed and the invocation sent again, once.

A handler's error is raised as Lambda raises it: its type's name, its message, and a traceback
of the handler's own frames (project-relative paths), so that the caller's ``stackTrace`` shows
where the local handler failed.

Environment: LIVESTACK_RELAY_URL (wss://.../stage), LIVESTACK_RELAY_DEVELOPER,
LIVESTACK_RELAY_STAGE, LIVESTACK_RELAY_BUCKET; AWS_REGION and the credentials of the
function's role come from the Lambda runtime.
"""

from __future__ import annotations

import functools
import json
import linecache
import os
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import boto3
import relay_stub_websocket as websocket

from livestack_relay import protocol

CONNECT_TIMEOUT = 1.5
RESULT_MARGIN = 0.3  # seconds kept to raise a clear timeout before the Lambda's own
CONTEXT_FIELDS = (
    "function_name",
    "function_version",
    "invoked_function_arn",
    "memory_limit_in_mb",
    "log_group_name",
    "log_stream_name",
)


class RelayError(Exception):
    """The relay could not deliver the invocation or its answer."""


class LocalClientNotConnected(RelayError):
    pass


class LocalClientDisconnected(RelayError):
    pass


class LocalClientFrozen(RelayError):
    pass


class RelayUnreachable(RelayError):
    pass


class RelayNotAuthorised(RelayError):
    pass


class LocalHandlerTimeout(RelayError):
    pass


class PayloadTooLarge(RelayError):
    pass


class _Dropped(Exception):
    """The kept connection closed before the relay acknowledged the invocation."""


class Relay:
    """The stub's side of the relay: one WebSocket connection, kept across warm invocations."""

    def __init__(self, url: str, stage: str, developer: str, bucket: str, region: str) -> None:
        self.url = f"{url}?{urlencode({'role': 'stub', 'stage': stage, 'developer': developer})}"
        self.stage = stage
        self.developer = developer
        self.bucket = bucket
        self.region = region
        self.session = boto3.session.Session(region_name=region)
        self._socket: websocket.WebSocket | None = None

    @functools.cached_property
    def s3(self) -> Any:
        return self.session.client("s3")

    def _connect(self) -> websocket.WebSocket:
        host = self.url.split("/")[2]
        try:
            headers = protocol.signed_headers(self.url, self.region, self.session.get_credentials())
            return websocket.WebSocket.connect(self.url, headers, CONNECT_TIMEOUT)
        except websocket.HandshakeError as error:
            if error.status in (401, 403):
                raise RelayNotAuthorised(
                    f"the relay API refused the stub ({error.status}): its role needs execute-api:Invoke on "
                    f"the $connect route of {host}"
                ) from None
            raise RelayError(f"the relay API refused the stub's connection: {error}") from None
        except (OSError, websocket.WebSocketError) as error:
            raise RelayUnreachable(
                f"cannot reach the relay at {host} within {CONNECT_TIMEOUT} s ({error}): a function in a VPC "
                "reaches it only through a NAT gateway (private subnet) or a VPC endpoint"
            ) from None

    def _pack(self, value: Any, key: str) -> dict[str, Any]:
        try:
            return protocol.pack(value, self.s3, self.bucket, key, default=str)
        except protocol.PayloadTooLarge as error:
            raise PayloadTooLarge(str(error)) from None

    def invoke(self, event: Any, context: Any) -> tuple[bool, Any]:
        """(ok, the result or the local handler's error shape) of one invocation."""
        request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
        remaining_ms = context.get_remaining_time_in_millis() if context else 30000
        deadline = time.monotonic() + remaining_ms / 1000 - RESULT_MARGIN
        payload = {
            "event": event,
            "context": {name: getattr(context, name, None) for name in CONTEXT_FIELDS},
            "environment": protocol.function_environment(os.environ),
        }
        reference = self._pack(payload, f"requests/{request_id}")
        message = {
            "action": "invoke",
            "requestId": request_id,
            "stage": self.stage,
            "developer": self.developer,
            "deadlineMs": remaining_ms,
            "sentAt": int(time.time() * 1000),  # after an upload to S3: the client measures from here
            "bucket": self.bucket,
            "payload": reference,
        }
        text = json.dumps(message, separators=(",", ":"))
        kept = self._socket
        if kept is not None and not kept.closed:
            try:
                kept.send_text(text)
                return self._await(kept, request_id, remaining_ms, deadline)
            except (_Dropped, websocket.WebSocketError):
                kept.close()  # dropped while the function was idle: renewed, sent again once
        self._socket = self._connect()
        self._socket.send_text(text)
        try:
            return self._await(self._socket, request_id, remaining_ms, deadline)
        except _Dropped as error:
            raise RelayError(
                f"the relay connection dropped before invocation {request_id} was taken: {error}"
            ) from None

    def _await(
        self, sock: websocket.WebSocket, request_id: str, remaining_ms: int, deadline: float
    ) -> tuple[bool, Any]:
        """The answer to one invocation, failing fast on what will not answer."""
        acknowledged = received = False
        client: str | None = None  # the client connection the relay sent this invocation to (named by the ack)
        gone: set[str] = set()  # clients the relay reported disconnected, maybe before this invocation's ack
        limit = time.monotonic() + protocol.RELAY_ACK_TIMEOUT
        while True:
            try:
                reply = json.loads(sock.recv(max(min(limit, deadline) - time.monotonic(), 0.001)))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise LocalHandlerTimeout(
                        f"the local handler did not answer invocation {request_id} in time ({remaining_ms} ms were "
                        "left): a breakpoint? run livestack-relay --debug with dev_relay_debug: true"
                    ) from None
                if not acknowledged:
                    raise RelayError(
                        f"the relay did not acknowledge invocation {request_id} within {protocol.RELAY_ACK_TIMEOUT} s: "
                        "check the relay functions' logs and permissions"
                    ) from None
                raise LocalClientFrozen(
                    f"the livestack-relay client of {self.developer} took invocation {request_id} but neither answered "
                    f"nor acknowledged it within {protocol.CLIENT_ACK_TIMEOUT} s: it is frozen (the laptop asleep, "
                    "the process stopped) or cannot send to the relay"
                ) from None
            except websocket.WebSocketError as error:
                self._socket = None
                if not acknowledged:
                    raise _Dropped(str(error)) from None
                raise RelayError(f"the relay connection dropped during invocation {request_id}: {error}") from None
            if not isinstance(reply, dict):
                continue
            if reply.get("reason") == "client-gone" and reply.get("client"):
                if reply["client"] == client:
                    raise _relay_error(reply)
                gone.add(reply["client"])
                continue  # about another invocation's client (or an earlier one's)
            if reply.get("requestId") != request_id:
                continue  # a late answer to an earlier invocation, or API Gateway's own notice
            kind = reply.get("type")
            if kind == "ack":
                acknowledged, client = True, reply.get("client")
                limit = time.monotonic() + protocol.CLIENT_ACK_TIMEOUT
                if client in gone:
                    raise LocalClientDisconnected(
                        f"the livestack-relay client of {self.developer} disconnected during the invocation"
                    )
            elif kind == "received" and not received:
                received, limit = True, deadline
            elif kind == "error":
                raise _relay_error(reply)
            elif kind == "result" and reply.get("developer") == self.developer:
                return bool(reply.get("ok")), protocol.unpack(reply["payload"], self.s3)


def _relay_error(reply: dict[str, Any]) -> RelayError:
    kinds = {"no-client": LocalClientNotConnected, "client-gone": LocalClientDisconnected}
    return kinds.get(reply.get("reason", ""), RelayError)(reply.get("message", "the relay reported an error"))


class _Frame(Exception):
    """Raised once in each rebuilt frame of the local handler, to take its traceback entry."""


def _raising(line: str) -> str:
    """A statement raising ``E`` as long as the handler's line, so that a traceback marks none of it with carets."""
    padding = len(line.strip()) - len('raise E or ""')
    return f'raise E or "{"-" * padding}"' if padding >= 0 else "raise E"


def _remote_error(error: dict[str, Any]) -> Exception:
    """The local handler's error as Lambda reports it: its type's name, message, and the handler's frames."""
    name = str(error.get("errorType") or "LocalHandlerError")
    if not name.isidentifier():
        name = "LocalHandlerError"
    exception = type(name, (Exception,), {"__module__": "builtins"})(str(error.get("errorMessage", "")))
    entries = []
    for frame in error.get("frames") or []:
        filename, line, function = str(frame["file"]), max(int(frame["line"]), 1), str(frame["name"])
        if frame.get("code"):  # the line, for Lambda's stackTrace: the file is not in the stub's package
            lines = linecache.cache.get(filename, (0, None, [], filename))[2]
            lines.extend(["\n"] * (line - len(lines)))
            lines[line - 1] = f"{frame['code']}\n"
            linecache.cache[filename] = (0, None, lines, filename)
        code = compile("\n" * (line - 1) + _raising(str(frame.get("code") or "")), filename, "exec")
        code = code.replace(co_name=function, co_qualname=function)
        try:
            exec(code, {"E": _Frame})  # noqa: S102 - a one-statement code object of our own
        except _Frame as raised:
            entries.append(raised.__traceback__.tb_next)
    for entry, following in zip(entries, entries[1:], strict=False):
        entry.tb_next = following
    return exception.with_traceback(entries[0] if entries else None)


@functools.lru_cache(maxsize=4)
def _relay(url: str, stage: str, developer: str, bucket: str, region: str) -> Relay:
    return Relay(url, stage, developer, bucket, region)


def handler(event: Any, context: Any) -> Any:
    environ = os.environ
    relay = _relay(
        environ["LIVESTACK_RELAY_URL"],
        environ["LIVESTACK_RELAY_STAGE"],
        environ["LIVESTACK_RELAY_DEVELOPER"],
        environ.get("LIVESTACK_RELAY_BUCKET", ""),
        environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    ok, value = relay.invoke(event, context)
    if ok:
        return value
    raise _remote_error(value)  # here, so that the function's own frame is the only one of the stub
