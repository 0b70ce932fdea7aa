"""livestack.aws.apigatewayv2_api in the four amazon.aws steps, for creation, change and deletion."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

PLAYBOOK = str(Path(__file__).parent / "targets" / "apigatewayv2_api" / "api.yml")
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:livestack-apitest-{}"
WEBSOCKET = {
    "api_name": "livestack-apitest-relay",
    "api_integrations": [
        {"name": "connect", "uri": FUNCTION.format("connect")},
        {"name": "message", "uri": FUNCTION.format("message")},
    ],
    "api_routes": [
        {"key": "$connect", "integration": "connect", "authorization_type": "AWS_IAM"},
        {"key": "$disconnect", "integration": "connect"},
        {"key": "$default", "integration": "message"},
    ],
    "api_stage": {"name": "apitest"},
    "api_tags": {"livestack:stage": "apitest"},
}


def result_of(run) -> dict:
    found = re.findall(r'"msg": "RESULT (.*)"', run.output)
    assert found, run.output[-3000:]
    return json.loads(found[-1].encode().decode("unicode_escape"))


def four_steps(emulator, run_playbook, options: dict) -> list:
    """Check mode, apply, check mode, apply: returns the four runs, having checked what each changed."""
    runs = []
    for check, expect_changed in ((True, True), (False, True), (True, False), (False, False)):
        emulator.clear_requests()
        run = run_playbook(
            PLAYBOOK, *(["--check", "--diff"] if check else ["--diff"]), stage="apitest", extra_vars=options
        )
        assert run.rc == 0, run.output[-3000:]
        assert run.recap["changed"] == (1 if expect_changed else 0), run.output[-3000:]
        if check or not expect_changed:
            assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)
        runs.append(run)
    return runs


def test_a_websocket_api_is_created_changed_and_deleted_in_four_steps(emulator, run_playbook):
    runs = four_steps(emulator, run_playbook, WEBSOCKET)
    api = result_of(runs[1])["api"]
    assert api["protocol_type"] == "WEBSOCKET"
    assert api["route_selection_expression"] == "$request.body.action"
    assert {(r["key"], r["integration"], r["authorization_type"]) for r in api["routes"]} == {
        ("$connect", "connect", "AWS_IAM"),
        ("$disconnect", "connect", "NONE"),
        ("$default", "message", "NONE"),
    }
    assert [(s["name"], s["auto_deploy"]) for s in api["stages"]] == [("apitest", True)]
    assert api["tags"] == {"livestack:stage": "apitest"}
    assert result_of(runs[3])["info"] == [api]
    assert "+++ after" in runs[0].output  # --diff in check mode shows what would be created

    changed = {
        **WEBSOCKET,
        "api_integrations": [{"name": "message", "uri": FUNCTION.format("message2"), "timeout_ms": 10000}],
        "api_routes": [{"key": "$default", "integration": "message"}],
        "api_stage": {"name": "apitest", "auto_deploy": False, "description": "manual"},
    }
    runs = four_steps(emulator, run_playbook, changed)
    api = result_of(runs[3])["api"]
    assert [(r["key"], r["integration"]) for r in api["routes"]] == [("$default", "message")]  # others purged
    assert [(i["name"], i["uri"], i["timeout_ms"]) for i in api["integrations"]] == [
        ("message", FUNCTION.format("message2"), 10000)
    ]
    assert api["stages"][0]["description"] == "manual" and api["stages"][0]["deployment_id"]

    gone = {"api_name": WEBSOCKET["api_name"], "api_state": "absent"}
    four_steps(emulator, run_playbook, gone)
    assert [a for a in emulator.client("apigatewayv2").get_apis()["Items"] if a["Name"] == WEBSOCKET["api_name"]] == []


def test_an_http_api_in_front_of_a_function(emulator, run_playbook):
    options = {
        "api_name": "livestack-apitest-http",
        "api_protocol": "HTTP",
        "api_integrations": [{"name": "app", "uri": FUNCTION.format("app")}],
        "api_routes": [{"key": "$default", "integration": "app"}, {"key": "GET /hello", "integration": "app"}],
        "api_stage": {"name": "$default"},
    }
    runs = four_steps(emulator, run_playbook, options)
    api = result_of(runs[1])["api"]
    assert api["integrations"][0]["payload_format_version"] == "2.0"
    assert api["integrations"][0]["timeout_ms"] == 30000
    run_playbook(PLAYBOOK, stage="apitest", extra_vars={"api_name": "livestack-apitest-http", "api_state": "absent"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"api_routes": [{"key": "$default", "integration": "message", "authorization_type": "AWS_IAM"}]},
         "routes[$default].authorization_type AWS_IAM: a WebSocket API authorizes only $connect"),
        ({"api_integrations": [{"name": "message", "uri": "x", "timeout_ms": 30000}], "api_routes": []},
         "integrations[message].timeout_ms 30000: must be between 50 and 29000"),
        ({"api_routes": [{"key": "$default", "integration": "nowhere"}]},
         "routes[$default].integration 'nowhere': no integration has that name"),
        ({"api_stage": {"name": "bad stage"}}, "stage.name 'bad stage'"),
    ],
    ids=["iam-off-connect", "timeout", "unknown-integration", "stage-name"],
)  # fmt: skip
def test_bad_input_fails_before_any_call(emulator, run_playbook, change, message):
    emulator.clear_requests()
    run = run_playbook(
        PLAYBOOK, stage="apitest", extra_vars={**WEBSOCKET, "api_name": "livestack-apitest-bad", **change}
    )
    assert run.rc != 0
    assert message in run.output
    assert emulator.requests()["total"] == 0
