"""The relay's protocol, the one definition shared by the ``livestack-relay`` client and the Lambda zips.

This file lives in the dev_relay role (``roles/dev_relay/files/relay_protocol.py``, so that the
collection carries it); ``src/livestack_relay/protocol.py`` links to it. The stub
(``relay_stub.py``) and the relay functions (``relay_routes.py``) ship it in their zips as
``livestack_relay/protocol.py``: it imports only the standard library and botocore (both in
every Lambda Python runtime).

A payload is JSON, gzip-compressed and base64-encoded; up to ``INLINE_LIMIT`` it travels inside the
WebSocket message, above it through the stage's S3 bucket (the message carries its location),
since API Gateway carries at most 128 KB per message. Lambda allows 6 MB of JSON each way.

Messages (JSON; ``action`` selects the route of the WebSocket API):

- stub -> relay ``invoke`` (requestId, stage, developer, deadlineMs, sentAt, bucket, payload);
  relay -> stub ``ack`` (the client it went to) or ``error`` (reason ``no-client``, ``client-gone``,
  ``wrong-stage``); relay -> client ``invoke`` (the same, with the stub's connection id);
- client -> relay ``received`` when the handler has not answered within ``RECEIVED_AFTER``
  seconds, forwarded to the stub: a client that neither answers nor sends it within
  ``CLIENT_ACK_TIMEOUT`` is frozen (laptop asleep, SIGSTOP) and the stub fails at once;
- client -> relay ``result`` (requestId, stub, ok, payload), forwarded to the stub with the
  client's developer; ``ping`` / ``pong`` keep-alives.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
INLINE_LIMIT = 96 * 1024  # encoded payload sent inline; the envelope stays under the 128 KB message limit
FRAME_LIMIT = 32 * 1024  # API Gateway's WebSocket frame limit
RELAY_ACK_TIMEOUT = 3.0  # the relay function acknowledges an invocation (or fails it) within this (a cold start)
CLIENT_ACK_TIMEOUT = 5.0  # the client answers or says it received an invocation within this
RECEIVED_AFTER = 1.0  # the client says "received" for a handler still running after this
DEVELOPER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
DEVELOPER_RULE = "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"

# What the function's environment loses on its way to the developer's machine: the role's
# credentials (the handler runs with the developer's own, or the role's when asked), and what
# describes the Lambda machine rather than the function (paths, the runtime API, the stub's handler).
CREDENTIAL_VARIABLES = frozenset(
    {
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    }
)
MACHINE_VARIABLES = frozenset(
    {
        "_HANDLER",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "PATH",
        "LD_LIBRARY_PATH",
        "PYTHONPATH",
        "HOME",
        "PWD",
        "TMPDIR",
        "LANG",
        "TZ",
    }
)
RELAY_VARIABLES = ("LIVESTACK_RELAY_",)  # the stub's own settings
LOCAL_VARIABLE = "IS_LOCAL"  # "true" in the handler's environment on the developer's machine


class PayloadTooLarge(Exception):
    pass


def function_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The function's variables as the local handler gets them: all but credentials and the machine's."""
    return {
        name: value
        for name, value in environ.items()
        if name not in CREDENTIAL_VARIABLES and name not in MACHINE_VARIABLES and not name.startswith(RELAY_VARIABLES)
    }


def encode(value: Any, default: Callable[[Any], Any] | None = None) -> tuple[str, int]:
    """(gzip + base64 text, size of the JSON text) of a value; TypeError when it is not JSON (and no default)."""
    text = json.dumps(value, separators=(",", ":"), default=default).encode()
    return base64.b64encode(gzip.compress(text, 5)).decode(), len(text)


def decode(data: str) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(data)))


def pack(
    value: Any, s3: Any, bucket: str | None, key: str, default: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """The reference of a value: inline, or an S3 object; ``s3`` is the client, or a function giving it."""
    data, size = encode(value, default)
    if size > LAMBDA_PAYLOAD_LIMIT:
        raise PayloadTooLarge(f"the payload is {size} bytes of JSON, over Lambda's limit of {LAMBDA_PAYLOAD_LIMIT}")
    if len(data) <= INLINE_LIMIT:
        return {"inline": data}
    if not bucket:
        raise PayloadTooLarge(f"the payload needs S3 ({len(data)} bytes encoded) but the stub named no bucket")
    _client(s3).put_object(Bucket=bucket, Key=key, Body=data.encode())
    return {"s3": {"bucket": bucket, "key": key}}


def unpack(reference: dict[str, Any], s3: Any) -> Any:
    if "inline" in reference:
        return decode(reference["inline"])
    location = reference["s3"]
    return decode(_client(s3).get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read().decode())


def _client(s3: Any) -> Any:
    return s3() if callable(s3) else s3


def frames(text: str) -> list[str]:
    """A message cut into API Gateway's 32 KB frames (sent as one fragmented message)."""
    return [text[i : i + FRAME_LIMIT // 4] for i in range(0, len(text), FRAME_LIMIT // 4)] or [""]


def signed_headers(url: str, region: str, credentials: Any) -> dict[str, str]:
    """SigV4 headers of the WebSocket upgrade request (API Gateway checks them when $connect uses AWS_IAM)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=url.replace("wss://", "https://", 1).replace("ws://", "http://", 1))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}
