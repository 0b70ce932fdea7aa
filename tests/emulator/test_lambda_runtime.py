"""Lambda's Invoke in the emulator: the deployed zip runs in runtime processes of its own, as Lambda runs it."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import start_emulator
from lambda_functions import alive, deploy, descendants, gone, zip_code

PROBE = """
import os, time, uuid
import boto3

ENVIRONMENT_ID = uuid.uuid4().hex  # one per execution environment

def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError(event["fail"])
    if event.get("put"):
        boto3.client("s3").put_object(Bucket=event["put"][0], Key=event["put"][1], Body=b"ran")
    print("probe ran", event)
    names = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
             "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "GREETING", "_HANDLER", "LAMBDA_TASK_ROOT")
    return {
        "environment_id": ENVIRONMENT_ID,
        "pid": os.getpid(),
        "event": event,
        "variables": {name: os.environ.get(name) for name in names},
        "cwd": os.getcwd(),
        "caller": boto3.client("sts").get_caller_identity()["Arn"] if event.get("whoami") else None,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "log_group_name": context.log_group_name,
            "custom": context.client_context.custom if context.client_context else None,
        },
    }
"""


def invoke(client, name: str, event: dict | None = None, **options) -> tuple[dict, object]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **options)
    return response, json.loads(response["Payload"].read() or b"null")


@pytest.fixture(scope="module")
def probe(emulator):
    configuration = deploy(
        emulator, PROBE, region="eu-west-1", Timeout=2, MemorySize=256, Environment={"Variables": {"GREETING": "hi"}}
    )
    return emulator.client("lambda", "eu-west-1"), configuration


def test_invoke_runs_the_handler_with_the_functions_environment_and_its_roles_credentials(probe):
    client, configuration = probe
    name = configuration["FunctionName"]

    client_context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    response, answer = invoke(client, name, {"whoami": True, "n": 1}, ClientContext=client_context)

    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert answer["event"] == {"whoami": True, "n": 1}
    variables = answer["variables"]
    assert variables["AWS_REGION"] == variables["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert variables["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert variables["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert variables["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in variables["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert variables["GREETING"] == "hi" and variables["_HANDLER"] == "app.handler"
    assert answer["cwd"] == variables["LAMBDA_TASK_ROOT"]
    # the execution role's temporary credentials, not the caller's keys
    assert variables["AWS_ACCESS_KEY_ID"] != "testing" and variables["AWS_SESSION_TOKEN"]
    assert answer["caller"] == f"arn:aws:sts::123456789012:assumed-role/{name}-role/{name}"
    context = answer["context"]
    assert context["function_name"] == name and context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"] == configuration["FunctionArn"]
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["custom"] == {"tenant": "t1"}
    assert 0 < context["remaining_ms"] <= 2000
    assert answer["pid"] != 0 and alive(answer["pid"])


def test_a_handler_exception_is_lambdas_unhandled_error_and_tail_returns_the_log(probe):
    client, configuration = probe

    response, error = invoke(client, configuration["FunctionName"], {"fail": "boom"}, LogType="Tail")

    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert error["errorMessage"] == "boom" and error["errorType"] == "ValueError"
    assert error["requestId"]
    assert any('app.py", line' in frame and "in handler" in frame for frame in error["stackTrace"])
    log = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {error['requestId']} Version: $LATEST" in log
    assert "[ERROR] ValueError: boom" in log
    assert f"END RequestId: {error['requestId']}" in log and "REPORT RequestId:" in log
    assert "Memory Size: 256 MB" in log


def test_a_function_over_its_timeout_is_killed_and_the_caller_gets_lambdas_timeout_error(probe):
    client, configuration = probe
    name = configuration["FunctionName"]
    _, before = invoke(client, name)
    started = time.monotonic()

    response, error = invoke(client, name, {"sleep": 30})

    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert error["errorMessage"].endswith(" seconds") and " Task timed out after 2." in error["errorMessage"]
    assert gone(before["pid"]), "the environment that ran over its timeout still runs"
    _, after = invoke(client, name)
    assert after["environment_id"] != before["environment_id"]


def test_an_environment_is_reused_warm_and_replaced_after_the_code_or_configuration_changes(emulator):
    client = emulator.client("lambda")
    name = deploy(emulator, PROBE)["FunctionName"]
    first = invoke(client, name)[1]
    assert invoke(client, name)[1]["environment_id"] == first["environment_id"]

    client.update_function_configuration(FunctionName=name, Environment={"Variables": {"GREETING": "hello"}})
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    updated = invoke(client, name)[1]
    assert updated["environment_id"] != first["environment_id"] and updated["variables"]["GREETING"] == "hello"
    assert gone(first["pid"]), "the environment of the old configuration was not stopped"

    client.update_function_code(FunctionName=name, ZipFile=zip_code(PROBE + "\nVERSION = 2\n"))
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke(client, name)[1]["environment_id"] != updated["environment_id"]


def test_concurrent_invocations_run_in_environments_of_their_own(emulator):
    client = emulator.client("lambda")
    name = deploy(emulator, PROBE, Timeout=10)["FunctionName"]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda n: invoke(client, name, {"sleep": 1.5, "n": n})[1], range(2)))
    assert len({answer["environment_id"] for answer in answers}) == 2
    assert len({answer["pid"] for answer in answers}) == 2


def test_event_invocations_run_in_the_background_and_dry_run_runs_nothing(emulator):
    client, s3 = emulator.client("lambda"), emulator.client("s3")
    name = deploy(emulator, PROBE)["FunctionName"]
    bucket = f"probe-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)

    dry = client.invoke(FunctionName=name, InvocationType="DryRun", Payload=json.dumps({"put": [bucket, "dry"]}))
    event = client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"put": [bucket, "event"]}))

    assert dry["StatusCode"] == 204 and event["StatusCode"] == 202
    deadline = time.monotonic() + 20
    keys: list[str] = []
    while "event" not in keys and time.monotonic() < deadline:
        time.sleep(0.2)
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["event"]


@pytest.mark.parametrize(
    ("invoke_options", "code", "status"),
    [
        ({"FunctionName": "no-such-function"}, "ResourceNotFoundException", 404),
        ({"Payload": b"{not json"}, "InvalidRequestContentException", 400),
        ({"Payload": b'"' + b"x" * (6 * 1024 * 1024) + b'"'}, "RequestTooLargeException", 413),
    ],
    ids=["unknown-function", "payload-not-json", "payload-over-6-mb"],
)
def test_invoke_refuses_what_lambda_refuses(probe, invoke_options, code, status):
    client, configuration = probe
    with pytest.raises(ClientError) as raised:
        client.invoke(**{"FunctionName": configuration["FunctionName"], **invoke_options})
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_handler_that_cannot_be_imported_is_lambdas_import_error(emulator):
    client = emulator.client("lambda")
    name = deploy(emulator, "import no_such_module\n")["FunctionName"]

    response, error = invoke(client, name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'app': No module named 'no_such_module'"


def test_a_function_in_a_vpc_runs_and_reaches_the_emulator(emulator):
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"fn-{uuid.uuid4().hex[:6]}", Description="fn", VpcId=vpc)["GroupId"]
    name = deploy(emulator, PROBE, VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]})["FunctionName"]

    response, answer = invoke(emulator.client("lambda"), name, {"whoami": True})

    assert "FunctionError" not in response
    assert answer["caller"].endswith(f":assumed-role/{name}-role/{name}")


def test_idle_environments_are_reaped_and_none_outlives_a_reset_or_the_emulator(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVESTACK_LAMBDA_IDLE_SECONDS", "3")
    process, own = start_emulator(tmp_path / "emulator.log")
    try:
        client = own.client("lambda")
        name = deploy(own, PROBE, Timeout=10)["FunctionName"]
        reaped = invoke(client, name)[1]["pid"]
        assert gone(reaped, timeout=15), "an idle environment was not stopped"

        before_reset = invoke(client, name)[1]["pid"]
        own.reset()
        assert gone(before_reset), "an environment outlived the reset"

        name = deploy(own, PROBE, Timeout=10)["FunctionName"]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            pids = {answer["pid"] for answer in pool.map(lambda _: invoke(client, name, {"sleep": 1})[1], range(3))}
        running = descendants(process.pid)
        assert len(pids) == 3 and pids <= running
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert all(gone(pid) for pid in running), "a process of the emulator outlived it"


def test_no_process_outlives_an_emulator_killed_outright_and_forking_raises_no_warning(tmp_path):
    log = tmp_path / "emulator.log"
    process, own = start_emulator(log)
    try:
        name = deploy(own, PROBE, Timeout=10)["FunctionName"]
        environment = invoke(own.client("lambda"), name)[1]["pid"]
        running = descendants(process.pid)
        assert environment in running and len(running) >= 2  # the runtime process that forks, the environment
    finally:
        process.kill()
        process.wait(timeout=30)
    assert all(gone(pid, timeout=15) for pid in running), "a process of the emulator outlived its SIGKILL"
    # Python 3.12 warns when a process with threads forks (the child may deadlock); the runtime process has none.
    assert "fork" not in log.read_text()
