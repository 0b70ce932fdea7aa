"""livestack.aws.apigatewayv2_api in the four amazon.aws steps, for creation, change and deletion."""

from __future__ import annotations

import pytest
from support.modules import four_steps, run_module

MODULE = "livestack.aws.apigatewayv2_api"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:livestack-apitest-{}"
WEBSOCKET = {
    "name": "livestack-apitest-relay",
    "protocol_type": "WEBSOCKET",
    "integrations": [
        {"name": "connect", "uri": FUNCTION.format("connect")},
        {"name": "message", "uri": FUNCTION.format("message")},
    ],
    "routes": [
        {"key": "$connect", "integration": "connect", "authorization_type": "AWS_IAM"},
        {"key": "$disconnect", "integration": "connect"},
        {"key": "$default", "integration": "message"},
    ],
    "stage": {"name": "apitest"},
    "tags": {"livestack:stage": "apitest"},
}


def described(emulator, name: str) -> list:
    status, info = run_module(emulator, f"{MODULE}_info", {"name": name})
    assert status == "SUCCESS", info
    return info["apis"]


def test_a_websocket_api_is_created_changed_and_deleted_in_four_steps(emulator):
    steps = four_steps(emulator, WEBSOCKET, MODULE)
    api = steps.applied["api"]
    assert api["protocol_type"] == "WEBSOCKET"
    assert api["route_selection_expression"] == "$request.body.action"
    assert {(r["key"], r["integration"], r["authorization_type"]) for r in api["routes"]} == {
        ("$connect", "connect", "AWS_IAM"),
        ("$disconnect", "connect", "NONE"),
        ("$default", "message", "NONE"),
    }
    assert [(s["name"], s["auto_deploy"]) for s in api["stages"]] == [("apitest", True)]
    assert api["tags"] == {"livestack:stage": "apitest"}
    assert described(emulator, WEBSOCKET["name"]) == [api]
    assert (
        steps.predicted["diff"]["before"] == {} and steps.predicted["diff"]["after"]["routes"]
    )  # --diff shows the creation

    changed = {
        **WEBSOCKET,
        "integrations": [{"name": "message", "uri": FUNCTION.format("message2"), "timeout_ms": 10000}],
        "routes": [{"key": "$default", "integration": "message"}],
        "stage": {"name": "apitest", "auto_deploy": False, "description": "manual"},
    }
    four_steps(emulator, changed, MODULE)
    (api,) = described(emulator, WEBSOCKET["name"])
    assert [(r["key"], r["integration"]) for r in api["routes"]] == [("$default", "message")]  # others purged
    assert [(i["name"], i["uri"], i["timeout_ms"]) for i in api["integrations"]] == [
        ("message", FUNCTION.format("message2"), 10000)
    ]
    assert api["stages"][0]["description"] == "manual" and api["stages"][0]["deployment_id"]

    four_steps(emulator, {"name": WEBSOCKET["name"], "state": "absent"}, MODULE)
    assert [a for a in emulator.client("apigatewayv2").get_apis()["Items"] if a["Name"] == WEBSOCKET["name"]] == []


def test_an_http_api_in_front_of_a_function(emulator):
    options = {
        "name": "livestack-apitest-http",
        "protocol_type": "HTTP",
        "integrations": [{"name": "app", "uri": FUNCTION.format("app")}],
        "routes": [{"key": "$default", "integration": "app"}, {"key": "GET /hello", "integration": "app"}],
        "stage": {"name": "$default"},
    }
    applied = four_steps(emulator, options, MODULE).applied
    api = applied["api"]
    assert api["integrations"][0]["payload_format_version"] == "2.0"
    assert api["integrations"][0]["timeout_ms"] == 30000
    status, _ = run_module(emulator, MODULE, {"name": options["name"], "state": "absent"})
    assert status == "CHANGED"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"routes": [{"key": "$default", "integration": "message", "authorization_type": "AWS_IAM"}]},
         "routes[$default].authorization_type AWS_IAM: a WebSocket API authorizes only $connect"),
        ({"integrations": [{"name": "message", "uri": "x", "timeout_ms": 30000}], "routes": []},
         "integrations[message].timeout_ms 30000: must be between 50 and 29000"),
        ({"routes": [{"key": "$default", "integration": "nowhere"}]},
         "routes[$default].integration 'nowhere': no integration has that name"),
        ({"stage": {"name": "bad stage"}}, "stage.name 'bad stage'"),
    ],
    ids=["iam-off-connect", "timeout", "unknown-integration", "stage-name"],
)  # fmt: skip
def test_bad_input_fails_before_any_call(emulator, change, message):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {**WEBSOCKET, "name": "livestack-apitest-bad", **change})
    assert status == "FAILED", result
    assert message in result["msg"]
    assert emulator.requests()["total"] == 0
