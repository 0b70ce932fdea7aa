"""The relay's payload format, shared with the stub Lambda (``roles/dev_relay/files/relay_stub.py``).

A payload is JSON, gzip-compressed and base64-encoded; up to ``INLINE_LIMIT`` it travels inside the
WebSocket message, above it through the stage's S3 bucket (the message carries its location),
since API Gateway carries at most 128 KB per message. Lambda allows 6 MB of JSON each way.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
INLINE_LIMIT = 96 * 1024
FRAME_LIMIT = 32 * 1024


class PayloadTooLarge(Exception):
    pass


def encode(value: Any) -> tuple[str, int]:
    """(gzip + base64 text, size of the JSON text) of a value; TypeError when it is not JSON."""
    text = json.dumps(value, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(text, 5)).decode(), len(text)


def decode(data: str) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(data)))


def pack(value: Any, s3: Any, bucket: str | None, key: str) -> dict[str, Any]:
    """The reference of a value: inline, or an S3 object; ``s3`` is the client, or a function giving it."""
    data, size = encode(value)
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
