"""Classify an AWS API request: which service, which action, and whether it mutates state.

The service comes from the SigV4 credential scope (every botocore client signs), the action
from the wire protocol: ``Action=`` for the query protocols (EC2, RDS, IAM, STS), the
``X-Amz-Target`` header for the JSON protocol, the path for smithy-rpc-v2-cbor, and the
``requestUri`` templates of the botocore model for the REST protocols (Lambda, S3, API Gateway).
An RDS Data API ``ExecuteStatement`` outside a transaction reads when its SQL is one ``SELECT``
(without ``INTO``) or ``SHOW``: the same action either reads or changes, by its statement.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import botocore.session

# The DynamoDB table of the stage locks (livestack.aws.stage_lock): writes to it change no resource of a stage,
# so the recorder counts them apart from the other mutating requests.
STAGE_LOCK_TABLE = "livestack-locks"
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Export", "Lookup", "Search", "Check", "Validate")

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_READ_SQL = re.compile(r"^\s*(?:SHOW\s|SELECT\s(?!.*\bINTO\b)(?!.*\bFOR\s+UPDATE\b))[^;]*;?\s*$", re.I | re.S)
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)")
# Signing names whose REST paths no botocore model describes (the API Gateway data plane).
_SIGNING_TO_MODELS = {"execute-api": ()}


@dataclass
class ApiRequest:
    service: str | None
    region: str | None
    action: str | None
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def mutating(self) -> bool:
        if self.action is None:
            return self.method not in ("GET", "HEAD", "OPTIONS")
        if self.params.get("ReadSQL"):
            return False
        return not self.action.startswith(READ_PREFIXES)

    @property
    def stage_lock(self) -> bool:
        return self.service == "dynamodb" and self.params.get("TableName") == STAGE_LOCK_TABLE


def _flat_query(raw: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


@functools.cache
def _rest_operations(model_name: str) -> tuple[tuple[str, re.Pattern[str], int, str, frozenset[str]], ...]:
    """(method, path regex, literal length, operation, query keys it requires) for every operation of a REST model.

    S3 tells many operations apart by a query key alone (``GET /{Bucket}?encryption`` is GetBucketEncryption,
    ``GET /{Bucket}?session`` CreateSession): an operation whose URI names query keys matches only a request
    that carries them, and wins over one that names none.
    """
    try:
        model = botocore.session.get_session().get_service_model(model_name)
    except Exception:  # noqa: BLE001 - an unknown model simply matches nothing
        return ()
    operations = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _, query = http.get("requestUri", "/").partition("?")
        required = frozenset(key.split("=", 1)[0] for key in query.split("&") if key)
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", uri):
            if part.startswith("{"):
                pattern += ".+" if part.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(part)
        literal = len(re.sub(r"\{[^}]+\}", "", uri)) + sum(len(key) for key in required)
        operations.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"), literal, name, required))
    return tuple(operations)


def _rest_action(models: tuple[str, ...], method: str, path: str, query: frozenset[str] = frozenset()) -> str | None:
    best: tuple[int, str] | None = None
    for model_name in models:
        for op_method, regex, literal, name, required in _rest_operations(model_name):
            if op_method != method or not required <= query or not regex.match(path):
                continue
            if best is None or literal > best[0]:
                best = (literal, name)
        if best:
            return best[1]
    return None


def classify(environ: dict, body: bytes) -> ApiRequest:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    query = _flat_query(environ.get("QUERY_STRING", ""))
    # Presigned URLs (S3, RDS IAM tokens) carry the scope in the query string.
    credential = environ.get("HTTP_AUTHORIZATION") or "Credential=" + query.get("X-Amz-Credential", "")
    scope = _SCOPE.search(credential)
    region, service = (scope.group(1), scope.group(2)) if scope else (None, None)

    params = dict(query)
    content_type = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in content_type:
        params.update(_flat_query(body.decode("utf-8", "replace")))

    action = params.get("Action")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not action and target:
        action = target.rsplit(".", 1)[-1]
    if service == "dynamodb" and body.startswith(b"{"):
        try:
            table = json.loads(body).get("TableName")
        except ValueError:
            table = None
        if isinstance(table, str):
            params["TableName"] = table
    if service == "rds-data" and path.rstrip("/") == "/Execute" and body.startswith(b"{"):
        try:
            statement = json.loads(body)
        except ValueError:
            statement = {}
        sql = statement.get("sql")
        if isinstance(sql, str) and not statement.get("transactionId") and _READ_SQL.match(sql):
            params["ReadSQL"] = "true"
    if not action and (match := _CBOR_PATH.match(path)):
        action = match.group(1)
    if service == "apigateway" and path.startswith("/v2/"):
        service = "apigatewayv2"  # both API Gateway versions sign as "apigateway"
    if not action and service:
        action = _rest_action(_SIGNING_TO_MODELS.get(service, (service,)), method, path, frozenset(query))
    return ApiRequest(service=service, region=region, action=action, method=method, path=path, params=params)
