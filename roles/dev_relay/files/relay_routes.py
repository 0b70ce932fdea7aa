"""The relay: the Lambda handlers of the WebSocket API's routes ($connect, $disconnect, $default).

A registry in DynamoDB (one table per stage, items expire through the table's TTL attribute
``expiresAt``; reads ignore expired items since DynamoDB deletes them only eventually):

- ``client#<stage>#<developer>``: the connection of the developer's ``livestack-relay`` client;
  a newer client replaces an older one, which is told so and disconnected;
- ``conn#<connection id>``: what each connection is (client or stub, whose developer), to clean up
  on $disconnect and to check who sends a result;
- ``stubs#<stage>#<developer>`` / ``<connection id>``: the developer's stub connections (one per warm
  stub Lambda), so that a client that leaves mid-call fails the stubs waiting on it at once.

An invocation costs no registry request once the relay function is warm (the goal: the relay adds
little to each call). A warm relay function keeps the client connection it last found for a stage
and developer (for at most ``CLIENT_CACHE_SECONDS``): a stale entry cannot misroute, since a
replaced or closed client's connection answers 410 Gone, upon which the registry is read again
once. It also keeps what each connection is (``conn#``, which never changes). The stub's connection
id travels with the invocation to the client and back with its result; the relay forwards a result
only from a connection registered as a client, and names that client's developer, which the stub
checks is its own. The ack names the client the invocation went to, so that the client-gone notice
sent to the developer's stubs when that client disconnects fails exactly the invocations it held.

Messages (JSON, ``action`` selects the route; all go to $default, defined in
``livestack_relay/protocol.py``, shipped in the zip): ``invoke`` from a stub, ``received``,
``result`` and ``ping`` from a client. Payloads stay opaque here: the stub and the client put
what does not fit in a 128 KB message into S3 and send its location.

Environment: LIVESTACK_RELAY_TABLE, LIVESTACK_RELAY_STAGE; LIVESTACK_RELAY_DEVELOPERS (comma-separated, optional):
the developers whose stubs the stage deploys, the only clients accepted (another developer's client would connect
and never receive an invocation); AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI overrides the @connections endpoint
(the local emulator's gateway).
"""

from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

from livestack_relay.protocol import DEVELOPER_NAME, DEVELOPER_RULE

CLIENT_TTL = 3 * 3600  # longer than API Gateway's 2 h connection limit; keep-alives refresh it
CONNECTIONS_CACHED = 4096
CLIENT_CACHE_SECONDS = 60.0


@functools.lru_cache(maxsize=8)
def _table(name: str) -> Any:
    return boto3.resource("dynamodb").Table(name)


@functools.lru_cache(maxsize=8)
def _connections(endpoint: str) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def _context(event: dict[str, Any]) -> tuple[Any, Any, str, str]:
    """(table, @connections client, stage, this connection's id) for an event."""
    request = event["requestContext"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI") or (
        f"https://{request['domainName']}/{request['stage']}"
    )
    return (
        _table(os.environ["LIVESTACK_RELAY_TABLE"]),
        _connections(endpoint),
        os.environ["LIVESTACK_RELAY_STAGE"],
        request["connectionId"],
    )


def _post(connections: Any, connection_id: str, message: dict[str, Any]) -> bool:
    """Send to a connection; False when it is gone (410)."""
    try:
        connections.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] == "GoneException":
            return False
        raise


class ClientCache:
    """The client connection last found per registry key, kept while the function is warm."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        return entry[0] if entry and entry[1] > time.monotonic() else None

    def put(self, key: str, connection_id: str) -> None:
        self._entries[key] = (connection_id, time.monotonic() + CLIENT_CACHE_SECONDS)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


@functools.lru_cache(maxsize=1)
def _client_cache() -> ClientCache:
    return ClientCache()


@functools.lru_cache(maxsize=1)
def _connection_kinds() -> dict[str, dict[str, Any]]:
    """``conn#`` items already read (they never change while their connection lives)."""
    return {}


def _connection_kind(table: Any, connection_id: str) -> dict[str, Any] | None:
    kinds = _connection_kinds()
    if connection_id not in kinds:
        item = table.get_item(Key=_key(f"conn#{connection_id}")).get("Item")
        if not item:
            return None
        if len(kinds) >= CONNECTIONS_CACHED:
            kinds.clear()
        kinds[connection_id] = item
    return kinds[connection_id]


def _key(pk: str, sk: str = "-") -> dict[str, str]:
    return {"pk": pk, "sk": sk}


def _live(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return item if item and int(item.get("expiresAt", 0)) > time.time() else None


def _response(status: int, body: str = "") -> dict[str, Any]:
    return {"statusCode": status, "body": body}


def on_connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table, connections, stage, connection_id = _context(event)
    query = event.get("queryStringParameters") or {}
    role, developer = query.get("role"), query.get("developer", "")
    if query.get("stage", stage) != stage:
        return _response(400, f"this relay serves stage {stage}, not {query.get('stage')}")
    if role not in ("client", "stub"):
        return _response(400, "role=client|stub is required")
    if not DEVELOPER_NAME.match(developer):
        return _response(400, f"the developer name {developer!r} must be {DEVELOPER_RULE}")
    served = [name for name in os.environ.get("LIVESTACK_RELAY_DEVELOPERS", "").split(",") if name]
    if role == "client" and served and developer not in served:
        return _response(
            400,
            f"stage {stage} relays its invocations to {' and '.join(served)} only, so a client of {developer} would"
            f" receive none: start livestack-relay with --developer {served[0]}, or converge a stage of your own"
            " (dev_relay_developer)",
        )
    now = int(time.time())
    identity = (event["requestContext"].get("identity") or {}).get("userArn") or ""
    table.put_item(
        Item={**_key(f"conn#{connection_id}"), "role": role, "developer": developer, "expiresAt": now + CLIENT_TTL}
    )
    if role == "stub":
        table.put_item(Item={**_key(f"stubs#{stage}#{developer}", connection_id), "expiresAt": now + CLIENT_TTL})
    if role == "client":
        previous = table.put_item(
            Item={
                **_key(f"client#{stage}#{developer}"),
                "connectionId": connection_id,
                "identity": identity,
                "expiresAt": now + CLIENT_TTL,
            },
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        if _live(previous) and previous["connectionId"] != connection_id:
            _post(connections, previous["connectionId"], {"type": "replaced", "by": identity or connection_id})
            try:
                connections.delete_connection(ConnectionId=previous["connectionId"])
            except ClientError as error:
                if error.response["Error"]["Code"] != "GoneException":
                    raise
    return _response(200)


def on_disconnect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table, connections, stage, connection_id = _context(event)
    item = table.delete_item(Key=_key(f"conn#{connection_id}"), ReturnValues="ALL_OLD").get("Attributes")
    if not item:
        return _response(200)
    stubs = f"stubs#{stage}#{item['developer']}"
    if item.get("role") == "stub":
        table.delete_item(Key=_key(stubs, connection_id))
        return _response(200)
    try:
        table.delete_item(
            Key=_key(f"client#{stage}#{item['developer']}"),
            ConditionExpression="connectionId = :id",
            ExpressionAttributeValues={":id": connection_id},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise  # a newer client already holds the registry entry: leave it
    notice = {
        "type": "error",
        "reason": "client-gone",
        "client": connection_id,
        "message": f"the livestack-relay client of {item['developer']} disconnected during the invocation",
    }
    # The resource's client takes and gives plain Python values, paginated.
    paginator = table.meta.client.get_paginator("query")
    pages = paginator.paginate(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": stubs},
        ProjectionExpression="sk",
    )
    for page in pages:
        for stub in page.get("Items", []):
            if not _post(connections, stub["sk"], notice):
                table.delete_item(Key=_key(stubs, stub["sk"]))  # a stub that left without $disconnect
    return _response(200)


def on_message(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table, connections, stage, connection_id = _context(event)
    try:
        message = json.loads(event.get("body") or "")
        action = message["action"]
    except (ValueError, TypeError, KeyError):
        _post(
            connections,
            connection_id,
            {"type": "error", "reason": "bad-message", "message": "expected JSON with action"},
        )
        return _response(400)
    if action == "invoke":
        _invoke(table, connections, stage, connection_id, message)
    elif action in ("result", "received"):
        _result(table, connections, connection_id, message)
    elif action == "ping":
        _ping(table, connections, stage, connection_id, message)
    else:
        _post(
            connections,
            connection_id,
            {"type": "error", "reason": "bad-message", "message": f"unknown action {action}"},
        )
    return _response(200)


def _invoke(table: Any, connections: Any, stage: str, stub_id: str, message: dict[str, Any]) -> None:
    request_id, developer = str(message.get("requestId")), str(message.get("developer"))

    def fail(reason: str, text: str) -> None:
        _post(connections, stub_id, {"type": "error", "reason": reason, "requestId": request_id, "message": text})

    if message.get("stage") != stage:
        return fail("wrong-stage", f"this relay serves stage {stage}, not {message.get('stage')}")
    registry_key, cache = f"client#{stage}#{developer}", _client_cache()
    forwarded = {
        "type": "invoke",
        "requestId": request_id,
        "deadlineMs": message.get("deadlineMs"),
        "sentAt": message.get("sentAt"),
        "bucket": message.get("bucket"),
        "payload": message.get("payload"),
        "stub": stub_id,
    }
    cached = cache.get(registry_key)
    for attempt in ("cached", "registry") if cached else ("registry",):
        if attempt == "cached":
            client_id = cached
        else:
            client = _live(table.get_item(Key=_key(registry_key)).get("Item"))
            if not client:
                cache.forget(registry_key)
                return fail(
                    "no-client",
                    f"no livestack-relay client is connected for stage {stage}, developer {developer}: "
                    f"start `livestack-relay --stage {stage} --developer {developer} module:function`",
                )
            client_id = client["connectionId"]
            if client_id == cached:
                break  # the registry still names the connection that has just answered 410
        if _post(connections, client_id, forwarded):
            cache.put(registry_key, client_id)
            _post(connections, stub_id, {"type": "ack", "requestId": request_id, "client": client_id})
            return None
        cache.forget(registry_key)
    try:
        table.delete_item(
            Key=_key(registry_key),
            ConditionExpression="connectionId = :id",
            ExpressionAttributeValues={":id": client_id},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise  # a newer client registered meanwhile: its entry stays
    return fail("client-gone", f"the livestack-relay client of {developer} has gone (its connection closed)")


def _result(table: Any, connections: Any, client_id: str, message: dict[str, Any]) -> None:
    request_id, stub_id = str(message.get("requestId")), str(message.get("stub") or "")
    sender = _connection_kind(table, client_id)
    if not sender or sender.get("role") != "client" or not stub_id:
        _post(connections, client_id, {"type": "error", "reason": "unknown-request", "requestId": request_id})
        return
    if message["action"] == "received":  # the client runs it: the stub waits on past its acknowledgement timeout
        _post(connections, stub_id, {"type": "received", "requestId": request_id})
        return
    result = {
        "type": "result",
        "requestId": request_id,
        "developer": sender["developer"],  # the stub takes results from its own developer's client only
        "ok": bool(message.get("ok")),
        "payload": message.get("payload"),
    }
    if not _post(connections, stub_id, result):
        _post(connections, client_id, {"type": "error", "reason": "stub-gone", "requestId": request_id})


def _ping(table: Any, connections: Any, stage: str, client_id: str, message: dict[str, Any]) -> None:
    """A client's keep-alive: resets API Gateway's idle timer and extends the registry's TTL."""
    expires = int(time.time()) + CLIENT_TTL
    conn = table.get_item(Key=_key(f"conn#{client_id}")).get("Item")
    if conn and conn.get("role") == "client":
        table.update_item(
            Key=_key(f"conn#{client_id}"),
            UpdateExpression="SET expiresAt = :e",
            ExpressionAttributeValues={":e": expires},
        )
        try:
            table.update_item(
                Key=_key(f"client#{stage}#{conn['developer']}"),
                UpdateExpression="SET expiresAt = :e",
                ConditionExpression="connectionId = :id",
                ExpressionAttributeValues={":e": expires, ":id": client_id},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # a newer client holds the registry entry: this one has been told it was replaced
    _post(connections, client_id, {"type": "pong", "id": message.get("id")})
