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
AS_ROLE = {"dev_relay_developer_assumes_app_role": True}  # livestack-relay --as-function-role
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
    check = run_playbook("site.yml", "--check", *TAGS, stage=STAGE, extra_vars=AS_ROLE)
    assert check.rc == 0, check.output[-3000:]
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    # S3 bucket names are global: another account already has the name the payload bucket once had by default
    # (<prefix>-relay-payloads); the stage's own holds its account id, so it does not collide.
    others = emulator.account_session("210987654321").client("s3", endpoint_url=emulator.url, region_name="us-east-1")
    others.create_bucket(Bucket=f"livestack-{STAGE}-relay-payloads")

    outputs = TEST_CONFIG_ROOT / STAGE / "outputs.json"  # by default beside the stage's profiles
    first = run_playbook("site.yml", *TAGS, stage=STAGE, extra_vars=AS_ROLE)
    assert first.rc == 0, first.output[-3000:]
    assert first.recap["changed"] > 0
    http_url = json.loads(outputs.read_text())["dev_relay"]["http_url"]
    prefix = f"livestack-{STAGE}-"
    assert relay_resources(emulator, STAGE) == {
        "apis": [prefix + "app", prefix + "relay"],
        "functions": [prefix + name for name in ("app", "relay-connect", "relay-disconnect", "relay-message")],
        "tables": [prefix + "relay"],
        "buckets": [prefix + "relay-123456789012"],  # the account: S3 names are global
        "roles": [prefix + "app", prefix + "relay"],
    }

    for check_mode in (True, False):
        emulator.clear_requests()
        again = run_playbook(
            "site.yml", *(["--check"] if check_mode else []), *RELAY_ONLY, stage=STAGE, extra_vars=AS_ROLE
        )
        assert again.rc == 0, again.output[-3000:]
        assert again.recap["changed"] == 0, again.output[-5000:]
        assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)

    # Drift: the run reads each role, its policies and each function's policy once, and fixes what changed out of band.
    drifted(emulator, prefix, lambda: run_playbook("site.yml", *RELAY_ONLY, stage=STAGE, extra_vars=AS_ROLE))

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
    assert not (TEST_CONFIG_ROOT / STAGE / "relay.json").exists()
    emulator.clear_requests()
    again = run_playbook("teardown.yml", *TAGS, stage=STAGE)  # the network goes too
    assert again.rc == 0, again.output[-3000:]
    assert emulator.requests(calls=True)["by_service"].get("lambda", {}).get("mutating", 0) == 0


def drifted(emulator, prefix: str, converge) -> None:
    """An inline policy changed, a role's tag removed, a permission statement removed and a function's last update
    changed out of band: the next run puts each back, then changes nothing."""
    iam, lambda_client = emulator.client("iam"), emulator.client("lambda")
    relay_policy = iam.get_role_policy(RoleName=prefix + "relay", PolicyName=prefix + "relay")["PolicyDocument"]
    iam.put_role_policy(
        RoleName=prefix + "relay",
        PolicyName=prefix + "relay",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    app_tags = iam.get_role(RoleName=prefix + "app")["Role"]["Tags"]
    iam.untag_role(RoleName=prefix + "app", TagKeys=["Name"])
    lambda_client.remove_permission(FunctionName=prefix + "relay-message", StatementId="websocket-api")
    lambda_client.update_function_configuration(FunctionName=prefix + "relay-connect", MemorySize=256)

    fixed = converge()
    assert fixed.rc == 0, fixed.output[-3000:]
    assert fixed.recap["changed"] > 0
    assert iam.get_role_policy(RoleName=prefix + "relay", PolicyName=prefix + "relay")["PolicyDocument"] == relay_policy
    assert sorted(iam.get_role(RoleName=prefix + "app")["Role"]["Tags"], key=str) == sorted(app_tags, key=str)
    statements = json.loads(lambda_client.get_policy(FunctionName=prefix + "relay-message")["Policy"])["Statement"]
    assert [statement["Sid"] for statement in statements] == ["websocket-api"]
    assert lambda_client.get_function_configuration(FunctionName=prefix + "relay-connect")["MemorySize"] == 128

    emulator.clear_requests()
    again = converge()
    assert again.rc == 0 and again.recap["changed"] == 0, again.output[-5000:]
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)


def call_through_the_relay(http_url: str, environment: dict[str, str], emulator, tmp_path: Path) -> None:
    """The stack's HTTP URL runs the deployed stub (in the emulator's Lambda runtime, with its role's
    credentials), which relays to livestack-relay, started with the printed command, and returns its answer;
    a direct Invoke of the stub takes the same path."""
    settings = TEST_CONFIG_ROOT / STAGE / "relay.json"  # dev_relay_config_dir: the test stage's config dir
    assert settings.stat().st_mode & 0o777 == 0o600
    written = json.loads(settings.read_text())
    assert written["websocket_url"] == environment["LIVESTACK_RELAY_URL"]
    trust = emulator.client("iam").get_role(RoleName=f"livestack-{STAGE}-app")["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"] if s.get("Sid") == "LiveDeveloper"] == [
        {"AWS": emulator.client("sts").get_caller_identity()["Arn"]}
    ]
    assert written["app_role_arn"].endswith(f":role/livestack-{STAGE}-app")
    (tmp_path / "app.py").write_text(
        "import os\n\ndef handler(event, context):\n"
        "    name = (event.get('queryStringParameters') or {}).get('name') or event.get('name')\n"
        "    role = os.environ['AWS_ACCESS_KEY_ID'] != 'testing'\n"
        "    return {'hello': name, 'path': event.get('rawPath'), 'role': role}\n"
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    command = [sys.executable, "-m", "livestack_relay", "--stage", STAGE, "--outputs", str(settings), "app:handler"]
    command.append("--as-function-role")
    log = tmp_path / "client.log"
    client = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "connected to" not in log.read_text():
            assert client.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert http_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{http_url}/greet?name=relay", timeout=60) as response:
            answer = (response.status, json.load(response))
        assert answer == (200, {"hello": "relay", "path": "/greet", "role": True}), log.read_text()
        invoked = emulator.client("lambda").invoke(
            FunctionName=f"livestack-{STAGE}-app", Payload=json.dumps({"name": "relay"}).encode()
        )
        assert json.loads(invoked["Payload"].read()) == {"hello": "relay", "path": None, "role": True}
    finally:
        client.send_signal(2)
        client.wait(timeout=60)
