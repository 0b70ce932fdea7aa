"""The dev_relay role against the emulator: four steps, the stack's HTTP URL relayed to a local handler, teardown."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from conftest import TEST_CONFIG_ROOT

STAGE = "relayrole"
TAGS = ("--tags", "network,dev_relay")
RELAY_ONLY = ("--tags", "dev_relay")


def relay_resources(emulator, stage: str) -> dict[str, list[str]]:
    prefix = f"livestack-{stage}-"
    return {
        "apis": sorted(
            a["Name"] for a in emulator.client("apigatewayv2").get_apis()["Items"] if a["Name"].startswith(prefix)
        ),
        "functions": sorted(
            f["FunctionName"]
            for f in emulator.client("lambda").list_functions()["Functions"]
            if f["FunctionName"].startswith(prefix)
        ),
        "tables": [t for t in emulator.client("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)],
        "buckets": [b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(prefix)],
        "roles": sorted(
            r["RoleName"] for r in emulator.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)
        ),
    }


def test_the_relay_converges_once_carries_an_invocation_and_tears_down(emulator, run_playbook, tmp_path):
    # The network converges once, with the relay; later runs take the relay alone (--tags dev_relay looks the
    # network up), which keeps this test to a few minutes: the network role has its own test.
    emulator.clear_requests()
    check = run_playbook("site.yml", "--check", *TAGS, stage=STAGE)
    assert check.rc == 0, check.output[-3000:]
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    outputs = tmp_path / "outputs.json"
    first = run_playbook("site.yml", *TAGS, stage=STAGE, extra_vars={"livestack_outputs_file": str(outputs)})
    assert first.rc == 0, first.output[-3000:]
    assert first.recap["changed"] > 0
    http_url = json.loads(outputs.read_text())["dev_relay"]["http_url"]
    prefix = f"livestack-{STAGE}-"
    assert relay_resources(emulator, STAGE) == {
        "apis": [prefix + "app", prefix + "relay"],
        "functions": [prefix + name for name in ("app", "relay-connect", "relay-disconnect", "relay-message")],
        "tables": [prefix + "relay"],
        "buckets": [prefix + "relay-payloads"],
        "roles": [prefix + "app", prefix + "relay"],
    }

    for check_mode in (True, False):
        emulator.clear_requests()
        again = run_playbook("site.yml", *(["--check"] if check_mode else []), *RELAY_ONLY, stage=STAGE)
        assert again.rc == 0, again.output[-3000:]
        assert again.recap["changed"] == 0, again.output[-5000:]
        assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)

    app = emulator.client("lambda").get_function_configuration(FunctionName=prefix + "app")
    assert app["Handler"] == "relay_stub.handler"
    assert app["VpcConfig"]["SubnetIds"] and app["VpcConfig"]["SecurityGroupIds"]
    call_through_the_relay(http_url, app["Environment"]["Variables"], emulator, tmp_path)

    # dev_relay_live: false puts the sample handler, with pymysql packaged, behind the same API.
    sample = run_playbook("site.yml", *RELAY_ONLY, stage=STAGE, extra_vars={"dev_relay_live": False})
    assert sample.rc == 0 and sample.recap["changed"] > 0, sample.output[-3000:]
    app = emulator.client("lambda").get_function_configuration(FunctionName=prefix + "app")
    assert app["Handler"] == "sample_handler.handler"
    assert "LIVESTACK_RELAY_URL" not in app["Environment"]["Variables"]
    built = TEST_CONFIG_ROOT / STAGE / "build" / "app.zip"  # the dev_relay_build_dir of test stages
    names = zipfile.ZipFile(io.BytesIO(built.read_bytes())).namelist()
    assert "sample_handler.py" in names and "pymysql/__init__.py" in names

    teardown = run_playbook("teardown.yml", *RELAY_ONLY, stage=STAGE)
    assert teardown.rc == 0, teardown.output[-3000:]
    assert teardown.recap["changed"] > 0
    assert relay_resources(emulator, STAGE) == {"apis": [], "functions": [], "tables": [], "buckets": [], "roles": []}
    emulator.clear_requests()
    again = run_playbook("teardown.yml", *TAGS, stage=STAGE)  # the network goes too
    assert again.rc == 0, again.output[-3000:]
    assert emulator.requests(calls=True)["by_service"].get("lambda", {}).get("mutating", 0) == 0


def call_through_the_relay(http_url: str, environment: dict[str, str], emulator, tmp_path: Path) -> None:
    """A request to the stack's HTTP URL runs the deployed stub (in the emulator's Lambda runtime, with its
    role's credentials), which relays it to the developer's livestack-relay client and returns its answer."""
    (tmp_path / "app.py").write_text(
        "def handler(event, context):\n"
        "    return {'hello': event['queryStringParameters']['name'], 'path': event['rawPath']}\n"
    )
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
    env = dict(os.environ, **credentials, AWS_ENDPOINT_URL=emulator.url, PYTHONUNBUFFERED="1")
    env.pop("AWS_PROFILE", None)
    command = [sys.executable, "-m", "livestack_relay", "app:handler", "--path", str(tmp_path)]
    command += ["--url", environment["LIVESTACK_RELAY_URL"], "--stage", environment["LIVESTACK_RELAY_STAGE"]]
    command += ["--developer", environment["LIVESTACK_RELAY_DEVELOPER"]]
    log = tmp_path / "client.log"
    client = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "connected to" not in log.read_text():
            assert client.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert http_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{http_url}/greet?name=relay", timeout=60) as response:
            assert (response.status, json.load(response)) == (200, {"hello": "relay", "path": "/greet"})
    finally:
        client.terminate()
        client.wait(timeout=10)
