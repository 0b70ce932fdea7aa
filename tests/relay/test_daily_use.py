"""The relay as a developer uses it for a day, through the whole path: the stub deployed as the app
function on the emulator (run by its Lambda runtime), called through its HTTP API or Invoke, the
relay functions behind the emulator's WebSocket gateway, and a ``livestack-relay`` client process."""

from __future__ import annotations

import concurrent.futures
import http.server
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import start_emulator

from .helpers import deploy_app, deploy_relay

# The app function's runtime: a Python other than this interpreter's, so that the client warns of the difference.
OTHER_RUNTIME = "python3.13" if sys.version_info[:2] == (3, 12) else "python3.12"

HANDLER = """
import base64, json, logging, os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def environment(event, context):
    names = ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "IS_LOCAL", "AWS_ACCESS_KEY_ID",
             "AWS_SESSION_TOKEN", "LIVESTACK_RELAY_URL", "APP_SETTING"]
    return {name: os.environ.get(name) for name in names}


def logs(event, context):
    logger.info("saw %s", event["rawPath"])
    print("printed by the handler")
    return {"statusCode": 200, "body": json.dumps({"request": context.aws_request_id})}


def nested(value):
    raise KeyError(value)


def fail(event, context):
    nested("missing-" + event.get("rawPath", "key"))


def big(event, context):
    return base64.b64encode(os.urandom(300 * 1024)).decode()


def hello(event, context):
    return {"hello": event.get("rawPath")}


def identity(event, context):
    import boto3
    return {"arn": boto3.client("sts").get_caller_identity()["Arn"], "token": "AWS_SESSION_TOKEN" in os.environ}


def sleepy(event, context):
    import time
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid()}


def paused(event, context):
    breakpoint()
    return {"resumed": context.get_remaining_time_in_millis() > 0}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("project")
    (path / "app.py").write_text(HANDLER)
    return path


@pytest.fixture(scope="module")
def app(emulator, relay_stage):
    return deploy_app(emulator, relay_stage, timeout=10, runtime=OTHER_RUNTIME, APP_SETTING="from-the-function")


def test_a_handler_error_reaches_the_caller_in_lambdas_shape_and_the_terminal_in_full(
    app, relay_stage, project, start_client
):
    client = start_client(relay_stage, "app:fail", project)

    ok, error = app.invoke({"rawPath": "/x"})
    status, _ = app.get("/through-http")

    assert not ok and status == 500
    assert error["errorType"] == "KeyError"
    assert error["errorMessage"] == "'missing-/x'"  # the exception's message, nothing appended
    trace = "".join(error["stackTrace"])
    assert 'File "app.py", line 26, in fail\n    nested("missing-" + event.get("rawPath", "key"))' in trace
    assert trace.rstrip().endswith('File "app.py", line 22, in nested\n    raise KeyError(value)')
    assert str(project) not in trace and "livestack_relay" not in trace  # no local path, no frame of ours
    client.wait_for("GET /through-http error KeyError: 'missing-/through-http'")
    output = client.output()
    assert "Traceback (most recent call last):" in output
    assert f'File "{project}/app.py", line 22, in nested' in output  # the terminal has the local paths
    assert " event error KeyError: 'missing-/x' " in output and " cold" in output


def test_logging_and_prints_show_at_once_with_the_request_id(app, relay_stage, project, start_client):
    client = start_client(relay_stage, "app:logs", project)

    status, body = app.get("/logged")

    assert status == 200
    request = body["request"]
    client.wait_for(f"{request} GET /logged 200")
    output = client.output()
    assert f"{request[:8]} | [INFO]\t" in output and f"\t{request}\tsaw /logged" in output
    assert f"{request[:8]} | printed by the handler" in output


def test_the_handler_runs_in_the_functions_environment_without_its_credentials(app, relay_stage, project, start_client):
    options = ["--region", "us-east-1"]  # the relay's region, as the printed command gives it
    client = start_client(relay_stage, "app:environment", project, options=options, env={"AWS_REGION": "eu-west-1"})

    ok, seen = app.invoke({})

    assert ok, seen
    assert seen["AWS_REGION"] == seen["AWS_DEFAULT_REGION"] == "us-east-1"  # the function's, not the developer's
    assert seen["AWS_LAMBDA_FUNCTION_NAME"] == app.function
    assert seen["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert seen["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{app.function}"
    assert seen["APP_SETTING"] == "from-the-function"
    assert seen["IS_LOCAL"] == "true"
    assert seen["AWS_ACCESS_KEY_ID"] == "testing"  # the developer's key, not the role's temporary one
    assert seen["AWS_SESSION_TOKEN"] is None and seen["LIVESTACK_RELAY_URL"] is None
    client.wait_for(f"warning: the function runs on {OTHER_RUNTIME}")  # not this interpreter's version


def test_as_function_role_runs_the_handler_with_the_roles_temporary_credentials(
    app, relay_stage, project, start_client
):
    options = ["--as-function-role", "--role-arn", app.role_arn]
    client = start_client(relay_stage, "app:identity", project, options=options)

    ok, seen = app.invoke({})

    assert ok, seen
    role_name = app.role_arn.rsplit("/", 1)[1]
    assert seen == {"arn": f"arn:aws:sts::123456789012:assumed-role/{role_name}/livestack-relay-alice", "token": True}
    first = client.output().splitlines()[0]
    assert f"invocations run with the function role's temporary credentials ({app.role_arn})" in first


def test_a_call_past_the_functions_timeout_is_reported_abandoned_and_its_environment_recycled(
    emulator, relay_stage, project, start_client
):
    app = deploy_app(emulator, relay_stage, timeout=3, developer="sleepy")
    client = start_client(relay_stage, "app:sleepy", project, developer="sleepy", options=["--concurrency", "1"])
    ok, first = app.invoke({})
    assert ok, first

    ok, error = app.invoke({"seconds": 8})

    assert not ok and error["errorType"] == "LocalHandlerTimeout", error
    client.wait_for("timed out (the function's timeout): the caller has given up, the environment is recycled")
    ok, after = app.invoke({})
    assert ok and after["pid"] != first["pid"]  # a new environment, as Lambda starts after a timeout


class _AccessDenied(http.server.BaseHTTPRequestHandler):
    """S3 refusing every request, as it refuses a developer without s3:PutObject."""

    protocol_version = "HTTP/1.1"  # answers botocore's Expect: 100-continue as S3 does, without a 1 s wait

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_result_s3_refuses_fails_the_caller_at_once_with_the_cause(app, relay_stage, project, start_client):
    refusing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AccessDenied)
    threading.Thread(target=refusing.serve_forever, daemon=True).start()
    try:
        s3 = f"http://127.0.0.1:{refusing.server_address[1]}"
        client = start_client(relay_stage, "app:big", project, env={"AWS_ENDPOINT_URL_S3": s3})
        app.invoke({})  # warm: the stub connected, the handler imported, the client's S3 client made
        started = time.monotonic()
        ok, error = app.invoke({})
        elapsed = time.monotonic() - started
    finally:
        refusing.shutdown()

    assert not ok
    assert error["errorType"] == "LocalResultUndeliverable"
    assert "AccessDenied" in error["errorMessage"] and "s3:PutObject" in error["errorMessage"]
    assert elapsed < 1.0, f"the caller waited {elapsed:.2f} s"
    client.wait_for("the result could not be handed back")


def test_a_frozen_client_fails_the_caller_in_seconds_and_then_drops_the_stale_call(
    app, relay_stage, project, start_client
):
    client = start_client(relay_stage, "app:hello", project)
    assert app.invoke({"rawPath": "/warm"})[0]
    os.kill(client.process.pid, signal.SIGSTOP)  # the laptop asleep
    try:
        started = time.monotonic()
        ok, error = app.invoke({"rawPath": "/frozen"})
        elapsed = time.monotonic() - started
        time.sleep(3)  # the call is now older than the stub's wait for an acknowledgement, and some
    finally:
        os.kill(client.process.pid, signal.SIGCONT)

    assert not ok and error["errorType"] == "LocalClientFrozen", error
    assert "neither answered nor acknowledged" in error["errorMessage"]
    assert elapsed < 7.0, f"the caller waited {elapsed:.2f} s (the function's timeout is 10 s)"
    client.wait_for("dropped: it arrived")
    assert client.output().count(" event ok ") == 1  # the stale call never ran: only the first did
    assert app.invoke({"rawPath": "/awake"}) == (True, {"hello": "/awake"})


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_stop_signal_stops_the_client_and_its_workers_even_when_its_parent_ignored_ctrl_c(
    relay_stage, project, start_client, stop
):
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited, as from a script's background job
    try:
        client = start_client(relay_stage, "app:hello", project)
    finally:
        signal.signal(signal.SIGINT, ignored)
    pid = client.process.pid
    workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert workers, "the client started no worker process"
    client.process.send_signal(stop)
    assert client.process.wait(timeout=30) == 0, client.output()
    assert "livestack-relay: stopped" in client.output()
    assert [w for w in workers if Path(f"/proc/{w}").exists()] == [], "workers outlived the client"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda stage: ["--stage", "prod"], "this relay serves stage"),
        (lambda stage: ["--url", stage.url.replace(stage.api_id, "nosuchapi")], "no WebSocket API or stage"),
        (lambda stage: ["--developer", "bad name!"], "must be 1 to 63 letters"),
    ],
    ids=["wrong-stage", "unknown-api", "bad-developer"],
)
def test_a_permanent_refusal_stops_the_client_naming_the_cause(relay_stage, project, tmp_path, change, expected):
    import subprocess
    import sys

    command = [sys.executable, "-m", "livestack_relay", "app:hello", "--url", relay_stage.url]
    command += ["--stage", relay_stage.stage, "--developer", "alice", "--path", str(project), *change(relay_stage)]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)

    assert result.returncode in (1, 2), result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_client_of_a_developer_the_stage_does_not_relay_to_is_refused_naming_who_it_relays_to(emulator, project):
    """As the role deploys it (LIVESTACK_RELAY_DEVELOPERS): only the stub's developer's client is accepted; another
    developer's would connect and never receive an invocation."""
    import subprocess

    stage = deploy_relay(emulator, "onlyalice", developers=["alice"])
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")

    def client(developer: str, timeout: float) -> subprocess.CompletedProcess | None:
        command = [sys.executable, "-m", "livestack_relay", "app:hello", "--url", stage.url, "--stage", stage.stage]
        command += ["--developer", developer, "--path", str(project)]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            return None  # still connected: accepted

    refused = client("bob", timeout=60)
    assert refused is not None and refused.returncode in (1, 2), refused
    assert "stage onlyalice relays its invocations to alice only" in refused.stderr
    assert "--developer alice" in refused.stderr and "Traceback" not in refused.stderr
    assert client("alice", timeout=8) is None, "the stage's own developer was refused"


@pytest.fixture(scope="module")
def idle_emulator(tmp_path_factory):
    """An emulator whose WebSocket gateway drops idle connections after 3 s (API Gateway: 10 min)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVESTACK_WEBSOCKET_IDLE_TIMEOUT", "3")
        process, running = start_emulator(tmp_path_factory.mktemp("idle") / "emulator.log")
    yield running
    process.terminate()
    process.wait(timeout=30)


def test_the_first_call_after_an_idle_drop_is_sent_again_transparently(idle_emulator, project, start_client):
    stage = deploy_relay(idle_emulator, "idle")
    app = deploy_app(idle_emulator, stage, timeout=10)
    start_client(stage, "app:hello", project, options=["--keepalive", "1"])
    assert app.invoke({"rawPath": "/first"}) == (True, {"hello": "/first"})

    time.sleep(4.5)  # the stub's warm connection has been dropped by the gateway meanwhile
    started = time.monotonic()
    status, body = app.get("/after-the-coffee-break")
    elapsed = time.monotonic() - started

    assert (status, body) == (200, {"hello": "/after-the-coffee-break"})
    print(f"first call after an idle drop: {elapsed * 1000:.0f} ms")


def test_debug_holds_a_breakpoint_for_a_minute_with_the_raised_timeout(emulator, relay_stage, project, start_client):
    app = deploy_app(emulator, relay_stage, timeout=900, developer="debugger")  # dev_relay_debug: true
    client = start_client(relay_stage, "app:paused", project, developer="debugger", options=["--debug"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        call = pool.submit(app.invoke, {}, 180)
        client.wait_for("(Pdb)")
        time.sleep(60)  # a developer reading the code
        assert not call.done()
        client.process.stdin.write(b"continue\n")
        client.process.stdin.flush()
        assert call.result(timeout=60) == (True, {"resumed": True})
    assert "debug: one invocation at a time, in this process" in client.output()
