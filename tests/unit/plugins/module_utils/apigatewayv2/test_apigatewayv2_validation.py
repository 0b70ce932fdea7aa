"""The API Gateway v2 input rules, one row per rule."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2.transformations import (
    desired_integration,
    route_changes,
)
from ansible_collections.livestack.aws.plugins.module_utils.apigatewayv2.validation import validate

RELAY = "relay"
ROUTE = {"integration": RELAY}
VALID = {
    "name": "livestack-dev-relay",
    "protocol_type": "WEBSOCKET",
    "route_selection_expression": "$request.body.action",
    "integrations": [{"name": "relay", "uri": "arn:aws:lambda:us-east-1:1:function:f", "timeout_ms": None}],
    "routes": [{"key": "$connect", "integration": "relay", "authorization_type": "AWS_IAM"}],
    "stage": {"name": "dev"},
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        ({"name": ""}, "name '': must be 1 to 128 characters"),
        ({"route_selection_expression": ""}, "route_selection_expression '': a WebSocket API needs one"),
        ({"integrations": [{"name": RELAY, "uri": "u", "timeout_ms": 29001}]}, "29001: must be between 50 and 29000"),
        ({"integrations": [{"name": RELAY, "uri": "u", "payload_format_version": "2.0"}]}, "support only 1.0"),
        ({"integrations": [{"name": RELAY, "uri": "u"}, {"name": RELAY, "uri": "v"}]}, "'relay' is used more"),
        ({"routes": [{**ROUTE, "key": "$default", "authorization_type": "AWS_IAM"}]}, "authorizes only $connect"),
        ({"routes": [{"key": "$other", "integration": "relay"}]}, "the only WebSocket route keys starting with $"),
        ({"routes": [{"key": "$connect", "integration": "nope"}]}, "integration 'nope': no integration has that name"),
        ({"protocol_type": "HTTP", "routes": [{**ROUTE, "key": "hello"}]}, "route key is $default or 'METHOD /path'"),
        ({"protocol_type": "HTTP", "routes": [{**ROUTE, "key": "GET /hi"}], "stage": {"name": "$default"}}, None),
        ({"stage": {"name": "$default"}}, "stage.name '$default'"),
    ],
)  # fmt: skip
def test_rules(change, expected):
    errors = validate({**VALID, **change})
    if expected is None:
        assert errors == []
    else:
        assert any(expected in error for error in errors), errors


def test_integration_defaults_follow_the_protocol():
    spec = {"name": "app", "uri": "arn"}
    assert desired_integration(spec, "HTTP")["PayloadFormatVersion"] == "2.0"
    assert desired_integration(spec, "HTTP")["TimeoutInMillis"] == 30000
    assert desired_integration(spec, "WEBSOCKET")["PayloadFormatVersion"] == "1.0"
    assert desired_integration(spec, "WEBSOCKET")["TimeoutInMillis"] == 29000


def test_a_route_without_authorization_counts_as_none():
    desired = {"RouteKey": "$default", "Target": "integrations/a", "AuthorizationType": "NONE"}
    assert route_changes({"Target": "integrations/a"}, desired) == {}
    assert route_changes({"Target": "integrations/b", "AuthorizationType": "AWS_IAM"}, desired) == {
        "Target": "integrations/a",
        "AuthorizationType": "NONE",
    }
