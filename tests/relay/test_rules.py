"""The relay's rules, one by one: what crosses to the developer's machine, how an invocation is named, which
refusals are permanent, Lambda's logging set-up."""

from __future__ import annotations

import json
import logging
import os

import pytest

from livestack_relay import protocol
from livestack_relay.__main__ import parser, settings
from livestack_relay.client import describe, permanent_refusal
from livestack_relay.runner import HandlerRunner


def test_the_function_environment_loses_its_credentials_and_the_machines_paths_only():
    environ = {
        "AWS_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "app",
        "_X_AMZN_TRACE_ID": "Root=1-abc",
        "AWS_ACCESS_KEY_ID": "ASIA...",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "PATH": "/var/lang/bin",
        "LAMBDA_TASK_ROOT": "/var/task",
        "_HANDLER": "relay_stub.handler",
        "LIVESTACK_RELAY_URL": "wss://x",
        "DB_HOST": "proxy",
    }
    assert protocol.function_environment(environ) == {
        "AWS_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "app",
        "_X_AMZN_TRACE_ID": "Root=1-abc",
        "DB_HOST": "proxy",
    }


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"requestContext": {"http": {"method": "POST"}}, "rawPath": "/orders"}, "POST /orders"),
        ({"httpMethod": "GET", "path": "/v1/items"}, "GET /v1/items"),
        ({"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:sqs"}]}, "aws:sqs (2 records)"),
        ({"Records": [{"EventSource": "aws:sns"}]}, "aws:sns (1 record)"),
        ({"source": "aws.events", "detail-type": "Scheduled Event"}, "aws.events Scheduled Event"),
        ({"anything": 1}, "event"),
        ("text", "event"),
    ],
)
def test_an_invocation_is_named_by_its_method_and_path_or_its_source(event, named):
    assert describe(event) == named


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, "this relay serves stage dev, not prod", "this relay serves stage dev, not prod"),
        (403, "Forbidden", "no WebSocket API or stage at"),
        (403, '{"message": "The request signature we calculated does not match"}', "refused these credentials"),
        (500, "Internal server error", None),
        (502, "", None),
    ],
)
def test_only_refusals_that_retrying_cannot_fix_are_permanent(status, body, expected):
    refusal = permanent_refusal(status, body, "wss://x/dev")
    assert refusal is None if expected is None else expected in refusal


def test_the_handlers_logging_follows_the_functions_log_format_and_level(tmp_path, capsys):
    (tmp_path / "logs.py").write_text(
        "import logging\n\ndef main(event, context):\n    logging.getLogger('app').debug('detail %s', event['n'])\n"
    )
    runner = HandlerRunner("logs:main", tmp_path)
    environment = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}
    try:
        outcome = runner.invoke("req-1", {"event": {"n": 7}, "environment": environment}, 3000)
    finally:
        logging.getLogger().removeHandler(runner.logging.handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert outcome.ok, outcome.value
    [line] = [line for line in capsys.readouterr().out.splitlines() if "detail" in line]
    entry = json.loads(line)
    assert (entry["level"], entry["message"], entry["logger"], entry["requestId"]) == (
        "DEBUG",
        "detail 7",
        "app",
        "req-1",
    )


def test_relay_json_gives_the_handler_what_the_function_has_from_its_package(tmp_path, monkeypatch):
    """handler_environment (the database's CA bundle) reaches the handler's environments; a variable already
    set on this machine wins, and the function's own variables still win at each call (runner.invoke)."""
    outputs = tmp_path / "relay.json"
    bundle = str(tmp_path / "db-ca-bundle.pem")
    outputs.write_text(
        json.dumps(
            {
                "websocket_url": "ws://127.0.0.1:1/api/dev",
                "region": "us-east-1",
                "endpoint_url": "http://127.0.0.1:1",
                "handler_environment": {"DB_CA_BUNDLE": bundle, "OTHER": "relay.json's"},
            }
        )
    )
    for name in ("DB_CA_BUNDLE", "AWS_ENDPOINT_URL"):  # set by settings(): put back as they were after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("OTHER", "mine")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    settings(parser().parse_args(["--stage", "dev", "--outputs", str(outputs), "app:handler"]))

    assert (os.environ["DB_CA_BUNDLE"], os.environ["OTHER"]) == (bundle, "mine")
