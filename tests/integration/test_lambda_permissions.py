"""livestack.aws.lambda_permissions: several functions' statements from one GetPolicy each, in the four steps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from support.modules import four_steps, run_module

sys.path.insert(0, str(Path(__file__).parents[1] / "emulator"))
from lambda_functions import deploy  # noqa: E402

MODULE = "livestack.aws.lambda_permissions"
SOURCE = "def handler(event, context):\n    return {}\n"
API = "arn:aws:execute-api:us-east-1:123456789012:{}/*"


def _grant(function: str, sid: str, api: str = "abc123") -> dict:
    return {
        "function_name": function,
        "statement_id": sid,
        "action": "lambda:InvokeFunction",
        "principal": "apigateway.amazonaws.com",
        "source_arn": API.format(api),
    }


def _policy(emulator, function: str) -> dict:
    policy = json.loads(emulator.client("lambda").get_policy(FunctionName=function)["Policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_statements_are_added_then_left_and_a_changed_one_replaced(emulator):
    first, second = (deploy(emulator, SOURCE)["FunctionName"] for _ in range(2))
    asked = [_grant(first, "websocket-api"), _grant(first, "other-api", "def456"), _grant(second, "websocket-api")]

    steps = four_steps(emulator, {"permissions": asked}, MODULE)
    assert steps.mutations == ["AddPermission"] * 3
    assert {p["action_taken"] for p in steps.predicted["permissions"]} == {"added"}  # check mode predicts
    assert steps.predicted["diff"]["after"][f"{first}/websocket-api"]["source_arn"] == API.format("abc123")
    statement = _policy(emulator, first)["websocket-api"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == API.format("abc123")
    assert set(_policy(emulator, second)) == {"websocket-api"}

    # Reads: one GetPolicy per function, not per statement.
    emulator.clear_requests()
    status, _ = run_module(emulator, MODULE, {"permissions": asked})
    assert status == "SUCCESS"
    actions = [call["action"] for call in emulator.requests(calls=True)["calls"]]
    assert sorted(actions) == ["GetPolicy", "GetPolicy"], actions

    # Drift: a statement's source changed out of band is replaced; one deleted is added again; others are left.
    lambda_client = emulator.client("lambda")
    lambda_client.remove_permission(FunctionName=second, StatementId="websocket-api")
    moved = [_grant(first, "websocket-api", "zzz999"), asked[1], asked[2]]
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {"permissions": moved}, diff=True)
    assert status == "CHANGED", result
    assert [p["action_taken"] for p in result["permissions"]] == ["replaced", "none", "added"]
    assert result["diff"]["before"][f"{first}/websocket-api"]["source_arn"] == API.format("abc123")
    mutations = [call["action"] for call in emulator.requests(calls=True)["calls"] if call["mutating"]]
    assert mutations == ["RemovePermission", "AddPermission", "AddPermission"]
    assert _policy(emulator, first)["websocket-api"]["Condition"]["ArnLike"]["AWS:SourceArn"] == API.format("zzz999")
    assert set(_policy(emulator, second)) == {"websocket-api"}


def test_check_mode_predicts_statements_of_a_function_not_created_yet(emulator):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {"permissions": [_grant("no-such-function", "x")]}, check=True)
    assert status == "CHANGED", result
    (predicted,) = result["permissions"]
    assert predicted == {"function_name": "no-such-function", "statement_id": "x", "action_taken": "added"}
    assert emulator.requests()["mutating"] == 0


def test_a_statement_given_twice_is_refused_before_any_request(emulator):
    emulator.clear_requests()
    status, result = run_module(emulator, MODULE, {"permissions": [_grant("f", "x"), _grant("f", "x", "other")]})
    assert status == "FAILED"
    assert "statement 'x' of function 'f' is given more than once" in result["msg"]
    assert emulator.requests()["mutating"] == 0
