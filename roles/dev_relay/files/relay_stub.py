"""The stub: the Lambda function that stands in for the developer's handler.

Each invocation is packed (event, a subset of the context, the function's environment without
credentials, the remaining time), sent over the stage's WebSocket API to the developer's
``livestack-relay`` client, and the client's answer is returned or raised. Payloads above what
fits in one WebSocket message go through the stage's S3 bucket.

It fails fast and says why: no client connected (the relay answers at once), the relay not
reachable (no route out of the VPC: connect times out after 1.5 s), the stub not authorised
(IAM on ``$connect``), the client gone mid-call, the handler raising, a payload over 6 MB.

Environment: LIVESTACK_RELAY_URL (wss://.../stage), LIVESTACK_RELAY_DEVELOPER,
LIVESTACK_RELAY_STAGE, LIVESTACK_RELAY_BUCKET; AWS_REGION and the credentials of the
function's role come from the Lambda runtime.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import os
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import boto3
import relay_stub_websocket as websocket
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
INLINE_LIMIT = 96 * 1024  # encoded payload sent inline; the envelope stays under the 128 KB message limit
CONNECT_TIMEOUT = 1.5
ACK_TIMEOUT = 1.5
RESULT_MARGIN = 0.3  # seconds kept to raise a clear timeout before the Lambda's own
_SECRET_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class RelayError(Exception):
    """The relay could not deliver the invocation or its answer."""


class LocalClientNotConnected(RelayError):
    pass


class LocalClientDisconnected(RelayError):
    pass


class RelayUnreachable(RelayError):
    pass


class RelayNotAuthorised(RelayError):
    pass


class LocalHandlerTimeout(RelayError):
    pass


class PayloadTooLarge(RelayError):
    pass


def encode_payload(value: Any) -> tuple[str, int]:
    """gzip + base64 of the JSON text; also the size of the JSON text, what Lambda's 6 MB limit counts."""
    text = json.dumps(value, separators=(",", ":"), default=str).encode()
    return base64.b64encode(gzip.compress(text, 5)).decode(), len(text)


def decode_payload(data: str) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(data)))


def signed_headers(url: str, region: str, credentials: Any) -> dict[str, str]:
    """SigV4 headers of the WebSocket upgrade request (API Gateway checks them when $connect uses AWS_IAM)."""
    request = AWSRequest(method="GET", url=url.replace("wss://", "https://", 1).replace("ws://", "http://", 1))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


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
            headers = signed_headers(self.url, self.region, self.session.get_credentials())
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

    def _send(self, message: dict[str, Any]) -> websocket.WebSocket:
        """Send on the kept connection; a connection that went stale while the function was idle is renewed once."""
        text = json.dumps(message, separators=(",", ":"))
        if self._socket is not None and not self._socket.closed:
            try:
                self._socket.send_text(text)
                return self._socket
            except websocket.WebSocketError:
                self._socket.close()
        self._socket = self._connect()
        self._socket.send_text(text)
        return self._socket

    def _pack(self, value: Any, key: str) -> dict[str, Any]:
        data, size = encode_payload(value)
        if size > LAMBDA_PAYLOAD_LIMIT:
            raise PayloadTooLarge(f"the payload is {size} bytes, over Lambda's limit of {LAMBDA_PAYLOAD_LIMIT}")
        if len(data) <= INLINE_LIMIT:
            return {"inline": data}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data.encode())
        return {"s3": {"bucket": self.bucket, "key": key}}

    def _unpack(self, reference: dict[str, Any]) -> Any:
        if "inline" in reference:
            return decode_payload(reference["inline"])
        location = reference["s3"]
        body = self.s3.get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
        return decode_payload(body.decode())

    def invoke(self, event: Any, context: Any) -> Any:
        request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
        remaining_ms = context.get_remaining_time_in_millis() if context else 30000
        deadline = time.monotonic() + remaining_ms / 1000 - RESULT_MARGIN
        payload = {
            "event": event,
            "context": {
                name: getattr(context, name, None)
                for name in (
                    "function_name",
                    "function_version",
                    "invoked_function_arn",
                    "memory_limit_in_mb",
                    "log_group_name",
                    "log_stream_name",
                )
            },
            "environment": {k: v for k, v in os.environ.items() if k not in _SECRET_VARIABLES},
        }
        message = {
            "action": "invoke",
            "requestId": request_id,
            "stage": self.stage,
            "developer": self.developer,
            "deadlineMs": remaining_ms,
            "bucket": self.bucket,
            "payload": self._pack(payload, f"requests/{request_id}"),
        }
        sock = self._send(message)
        acknowledged = False
        client: str | None = None  # the client connection the relay sent this invocation to (named by the ack)
        gone: set[str] = set()  # clients the relay reported disconnected, maybe before this invocation's ack
        while True:
            limit = time.monotonic() + ACK_TIMEOUT if not acknowledged else deadline
            try:
                reply = json.loads(sock.recv(max(min(limit, deadline) - time.monotonic(), 0.001)))
            except TimeoutError:
                if not acknowledged:
                    raise RelayError(
                        f"the relay did not acknowledge invocation {request_id} within {ACK_TIMEOUT} s: "
                        "check the relay functions' logs and permissions"
                    ) from None
                raise LocalHandlerTimeout(
                    f"the local handler did not answer invocation {request_id} in time "
                    f"({remaining_ms} ms were left); a breakpoint? raise the function's timeout"
                ) from None
            except websocket.WebSocketError as error:
                self._socket = None
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
                if client in gone:
                    raise LocalClientDisconnected(
                        f"the livestack-relay client of {self.developer} disconnected during the invocation"
                    )
            elif kind == "error":
                raise _relay_error(reply)
            elif kind == "result" and reply.get("developer") == self.developer:
                value = self._unpack(reply["payload"])
                if reply.get("ok"):
                    return value
                raise _remote_error(value)


def _relay_error(reply: dict[str, Any]) -> RelayError:
    kinds = {"no-client": LocalClientNotConnected, "client-gone": LocalClientDisconnected}
    return kinds.get(reply.get("reason", ""), RelayError)(reply.get("message", "the relay reported an error"))


def _remote_error(error: dict[str, Any]) -> Exception:
    """An exception named as the local handler's, so Lambda reports the same errorType."""
    name = str(error.get("errorType") or "LocalHandlerError")
    if not name.isidentifier():
        name = "LocalHandlerError"
    trace = "".join(error.get("stackTrace") or [])
    return type(name, (Exception,), {})(f"{error.get('errorMessage', '')}\n(local handler traceback)\n{trace}")


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
    return relay.invoke(event, context)
