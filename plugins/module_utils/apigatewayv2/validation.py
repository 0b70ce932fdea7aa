# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The input rules of API Gateway v2 that the module checks before any call (docs/aws-limits.md)."""

from __future__ import annotations

import re
from typing import Any

WEBSOCKET_TIMEOUT_MS = (50, 29000)
HTTP_TIMEOUT_MS = (50, 30000)
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_HTTP_ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*)$")
_WEBSOCKET_SPECIAL = ("$connect", "$disconnect", "$default")


def validate(params: dict[str, Any]) -> list[str]:
    """Every broken rule, each naming the option, the value and the rule."""
    errors: list[str] = []
    protocol = params.get("protocol_type")
    name = params.get("name") or ""
    if not 1 <= len(name) <= 128:
        errors.append(f"name {name!r}: must be 1 to 128 characters")
    if protocol == "WEBSOCKET" and not (params.get("route_selection_expression") or "").startswith("$request."):
        errors.append(
            f"route_selection_expression {params.get('route_selection_expression')!r}: a WebSocket API needs one, "
            "such as $request.body.action"
        )
    integrations = params.get("integrations") or []
    names = [integration["name"] for integration in integrations]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"integrations: the name {duplicate!r} is used more than once")
    low, high = WEBSOCKET_TIMEOUT_MS if protocol == "WEBSOCKET" else HTTP_TIMEOUT_MS
    for integration in integrations:
        label = f"integrations[{integration['name']}]"
        timeout = integration.get("timeout_ms")
        if timeout is not None and not low <= timeout <= high:
            errors.append(f"{label}.timeout_ms {timeout}: must be between {low} and {high} for a {protocol} API")
        version = integration.get("payload_format_version")
        if version is not None and version not in ("1.0", "2.0"):
            errors.append(f"{label}.payload_format_version {version!r}: must be 1.0 or 2.0")
        if protocol == "WEBSOCKET" and version == "2.0":
            errors.append(f"{label}.payload_format_version 2.0: WebSocket APIs support only 1.0")
    keys = [route["key"] for route in params.get("routes") or []]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"routes: the key {duplicate!r} is used more than once")
    for route in params.get("routes") or []:
        key = route["key"]
        if route["integration"] not in names:
            errors.append(f"routes[{key}].integration {route['integration']!r}: no integration has that name")
        if protocol == "HTTP" and not _HTTP_ROUTE_KEY.match(key):
            errors.append(f"routes[{key}].key: an HTTP API route key is $default or 'METHOD /path'")
        if protocol == "WEBSOCKET" and key.startswith("$") and key not in _WEBSOCKET_SPECIAL:
            errors.append(f"routes[{key}].key: the only WebSocket route keys starting with $ are {_WEBSOCKET_SPECIAL}")
        if protocol == "WEBSOCKET" and route.get("authorization_type") == "AWS_IAM" and key != "$connect":
            errors.append(f"routes[{key}].authorization_type AWS_IAM: a WebSocket API authorizes only $connect")
    stage = params.get("stage")
    if stage:
        stage_name = stage["name"]
        if not (_STAGE_NAME.match(stage_name) or (stage_name == "$default" and protocol == "HTTP")):
            errors.append(f"stage.name {stage_name!r}: 1-128 letters, digits, '-' or '_' ($default for HTTP APIs only)")
    return errors
