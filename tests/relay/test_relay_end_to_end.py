"""End to end on one machine: the stub (called as Lambda calls it) -> gateway -> livestack-relay -> back."""

from __future__ import annotations

import base64
import concurrent.futures
import os
import time
import traceback
from pathlib import Path

import pytest

from .helpers import deploy_relay, invoke_stub, relay_stub

HANDLER = """
import os

def main(event, context):
    return {{"version": {version}, "path": event.get("rawPath"), "stage_env": os.environ.get("APP_STAGE"),
            "remaining": context.get_remaining_time_in_millis(), "request": context.aws_request_id}}

def echo(event, context):
    return {{"size": len(event["data"]), "data": event["data"]}}

def fail(event, context):
    raise ValueError("the handler failed on purpose")

def slow(event, context):
    import pathlib, time
    pathlib.Path(event["marker"]).write_text("started")
    time.sleep(float(event.get("seconds", 5)))
    return "late"

def whoami(event, context):
    return os.environ.get("WHO", "{who}")
"""


def write_handler(path: Path, version: int = 1, who: str = "nobody") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "app.py").write_text(HANDLER.format(version=version, who=who))
    return path


HTTP_EVENT = {"version": "2.0", "rawPath": "/hello", "requestContext": {"http": {"method": "GET"}}}


def test_an_http_event_reaches_the_local_handler_and_its_result_comes_back(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    project = write_handler(tmp_path / "project")
    client = start_client(relay_stage, "app:main", project)
    monkeypatch.setenv("APP_STAGE", "from-the-lambda")

    result = invoke_stub(relay_stage, HTTP_EVENT, monkeypatch, timeout=10)

    assert result["version"] == 1
    assert result["path"] == "/hello"
    assert result["stage_env"] == "from-the-lambda"  # the function's environment travels with the event
    assert 0 < result["remaining"] <= 10000
    client.wait_for(f"{result['request']} GET /hello ok")
    assert client.stop() == 0  # Ctrl-C: a clean exit, no traceback
    assert "Traceback" not in client.output()


def test_an_edit_to_the_handler_shows_in_the_next_invocation(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    project = write_handler(tmp_path / "project", version=1)
    start_client(relay_stage, "app:main", project)
    assert invoke_stub(relay_stage, HTTP_EVENT, monkeypatch)["version"] == 1

    write_handler(project, version=2)  # same size, same second: only mtime_ns tells them apart

    assert invoke_stub(relay_stage, HTTP_EVENT, monkeypatch)["version"] == 2


def test_without_a_client_the_stub_fails_within_two_seconds_and_says_why(relay_stage, aws_environment, monkeypatch):
    started = time.monotonic()
    with pytest.raises(relay_stub.LocalClientNotConnected, match="no livestack-relay client is connected") as raised:
        invoke_stub(relay_stage, HTTP_EVENT, monkeypatch, developer="nobody-here", timeout=30)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0, f"failed after {elapsed:.2f} s"
    assert f"stage {relay_stage.stage}, developer nobody-here" in str(raised.value)


@pytest.mark.parametrize("size", [1024 * 1024, 5 * 1024 * 1024], ids=["1MB", "5MB"])
def test_large_payloads_cross_the_relay_both_ways(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch, size
):
    project = write_handler(tmp_path / "project")
    start_client(relay_stage, "app:echo", project)
    data = base64.b64encode(os.urandom(size * 3 // 4)).decode()  # incompressible: must go through S3

    result = invoke_stub(relay_stage, {"data": data}, monkeypatch, timeout=60)

    assert result["size"] == len(data)
    assert result["data"] == data
    keys = [o["Key"] for o in aws_client(relay_stage, "s3").list_objects_v2(Bucket=relay_stage.bucket)["Contents"]]
    assert any(key.startswith("requests/") for key in keys) and any(key.startswith("responses/") for key in keys)


def test_two_stages_and_two_developers_never_see_each_others_invocations(
    emulator, relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    other = deploy_relay(emulator, relay_stage.stage + "b")
    start_client(relay_stage, "app:whoami", write_handler(tmp_path / "a", who="stage-a-alice"))
    start_client(other, "app:whoami", write_handler(tmp_path / "b", who="stage-b-alice"))
    start_client(relay_stage, "app:whoami", write_handler(tmp_path / "c", who="stage-a-bob"), developer="bob")

    assert invoke_stub(relay_stage, {}, monkeypatch) == "stage-a-alice"
    assert invoke_stub(other, {}, monkeypatch) == "stage-b-alice"
    assert invoke_stub(relay_stage, {}, monkeypatch, developer="bob") == "stage-a-bob"
    with pytest.raises(relay_stub.LocalClientNotConnected):
        invoke_stub(other, {}, monkeypatch, developer="bob")


def test_the_client_reconnects_after_the_gateway_drops_its_socket(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    client = start_client(relay_stage, "app:main", write_handler(tmp_path / "project"))
    first = registered_connection(relay_stage)
    management(relay_stage).delete_connection(ConnectionId=first)

    client.wait_for("connected to", count=2)
    assert registered_connection(relay_stage) != first
    assert invoke_stub(relay_stage, HTTP_EVENT, monkeypatch)["version"] == 1


def test_a_newer_client_replaces_the_older_one_which_is_told_and_stops(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    older = start_client(relay_stage, "app:whoami", write_handler(tmp_path / "old", who="old"))
    start_client(relay_stage, "app:whoami", write_handler(tmp_path / "new", who="new"))

    older.wait_for("took over")
    assert older.process.wait(timeout=10) == 1
    assert invoke_stub(relay_stage, {}, monkeypatch) == "new"


def test_a_raising_handler_raises_in_the_stub_with_its_type_and_traceback(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    client = start_client(relay_stage, "app:fail", write_handler(tmp_path / "project"))
    with pytest.raises(Exception, match="the handler failed on purpose") as raised:
        invoke_stub(relay_stage, {}, monkeypatch)
    assert type(raised.value).__name__ == "ValueError"
    assert str(raised.value) == "the handler failed on purpose"  # the message alone, as Lambda reports it
    frames = traceback.format_tb(raised.value.__traceback__)
    assert frames[-1] == '  File "app.py", line 12, in fail\n    raise ValueError("the handler failed on purpose")\n'
    assert [frame for frame in frames if "relay_stub.py" in frame][0].count(", in handler\n") == 1
    assert sum("relay_stub.py" in frame for frame in frames) == 1  # no frame of the stub but its handler
    client.wait_for("error ValueError: the handler failed on purpose")


def test_a_client_leaving_mid_call_fails_the_stub_at_once(
    relay_stage, aws_environment, start_client, tmp_path, monkeypatch
):
    client = start_client(relay_stage, "app:slow", write_handler(tmp_path / "project"))
    marker = tmp_path / "handler-started"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        call = pool.submit(invoke_stub, relay_stage, {"seconds": 60, "marker": str(marker)}, monkeypatch, None, 120)
        client.wait_for_file(marker)
        client.process.kill()  # the socket drops while the handler runs
        killed = time.monotonic()
        with pytest.raises(relay_stub.LocalClientDisconnected, match="disconnected during the invocation"):
            call.result(timeout=120)
    assert time.monotonic() - killed < 5  # not the function's timeout of 120 s


def test_the_stub_refuses_a_payload_over_six_megabytes(relay_stage, aws_environment, monkeypatch):
    with pytest.raises(relay_stub.PayloadTooLarge, match="over Lambda's limit"):
        invoke_stub(relay_stage, {"data": "x" * (6 * 1024 * 1024 + 1)}, monkeypatch)


def test_the_stub_without_valid_credentials_is_told_it_is_not_authorised(relay_stage, aws_environment, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(relay_stub.RelayNotAuthorised, match="execute-api:Invoke"):
        invoke_stub(relay_stage, {}, monkeypatch)


def test_an_unreachable_relay_fails_fast_and_names_the_vpc_route(relay_stage, aws_environment, monkeypatch):
    """The stub gives up after its own connect timeout (once, no retry), not after the function's."""
    waited = []

    def blackhole(address, timeout=None):
        waited.append(timeout)
        return _blackhole(address, timeout)

    monkeypatch.setattr(relay_stub.websocket.socket, "create_connection", blackhole)
    with pytest.raises(relay_stub.RelayUnreachable, match="NAT gateway"):
        invoke_stub(relay_stage, {}, monkeypatch)
    assert waited == [relay_stub.CONNECT_TIMEOUT]
    assert relay_stub.CONNECT_TIMEOUT <= 2


def test_the_client_refuses_a_handler_that_does_not_import(relay_stage, tmp_path):
    import subprocess
    import sys

    (tmp_path / "broken.py").write_text("import does_not_exist_anywhere\n")
    command = [sys.executable, "-m", "livestack_relay", "broken:main", "--url", relay_stage.url, "--stage", "x"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    result = subprocess.run(
        command + ["--path", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert result.returncode == 2
    assert "cannot import broken: ModuleNotFoundError" in result.stderr


def _blackhole(address, timeout=None):
    time.sleep(timeout or 0)
    raise TimeoutError("timed out")


def aws_client(stage, service):
    import boto3

    return boto3.client(
        service,
        endpoint_url=stage.emulator_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def management(stage):
    import boto3

    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{stage.emulator_url}/{stage.stage}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def registered_connection(stage) -> str:
    item = aws_client(stage, "dynamodb").get_item(
        TableName=stage.table, Key={"pk": {"S": f"client#{stage.stage}#{stage.developer}"}, "sk": {"S": "-"}}
    )
    return item["Item"]["connectionId"]["S"]
