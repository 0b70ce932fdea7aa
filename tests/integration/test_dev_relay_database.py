"""The sample handler as the dev_relay role converges it, reading through the proxy: in the Lambda and live.

A cluster with an IAM user made as its master would make it (the aurora role's users), a proxy with end-to-end
IAM (DefaultAuthScheme IAM_AUTH) and the user's client policy (the rds_proxy role's) are made with boto3; the role
gets them as the facts those roles publish. An HTTP GET of the stage's API returns the row the handler read over
verified TLS with an IAM token: not live (the handler in the emulator's Lambda runtime, with its role's
credentials) and live (the stub relays to livestack-relay running the same handler here, with the role's
credentials too), as the user, with a TLS cipher.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import TEST_CONFIG_ROOT, ansible_playbook
from relay.helpers import FILES, deploy_database

STAGE = "relaydb"
RELAY_ONLY = ("--tags", "dev_relay")


@pytest.fixture(scope="module")
def converged(emulator):
    database = deploy_database(emulator, f"{STAGE}-database")
    facts = {
        # What the aurora and rds_proxy roles publish, and the inventory's CA bundle (the local inventory's default).
        "aurora_user_names": [database.user],
        "aurora_database_names": [database.name],
        "rds_proxy_endpoint": database.host,
        "rds_proxy_client_policy_arns": {database.user: database.policy_arn},
        "dev_relay_developer_assumes_app_role": True,
    }
    first = ansible_playbook(
        "site.yml",
        "--tags",
        "network,dev_relay",
        stage=STAGE,
        extra_vars={**facts, "dev_relay_live": False},
        port=emulator.port,
    )
    assert first.rc == 0, first.output[-3000:]
    yield database, facts
    teardown = ansible_playbook("teardown.yml", "--tags", "network,dev_relay", stage=STAGE, port=emulator.port)
    assert teardown.rc == 0, teardown.output[-3000:]


def get_row(http_url: str) -> dict:
    """The sample handler's answer to a plain HTTP GET of the stage's API, as curl would make it."""
    with urllib.request.urlopen(f"{http_url}/row", timeout=60) as response:
        assert response.status == 200
        return json.load(response)


def test_not_live_the_lambda_reads_through_the_proxy_as_its_user(emulator, converged):
    database, _facts = converged
    lambda_ = emulator.client("lambda")
    app = lambda_.get_function_configuration(FunctionName=f"livestack-{STAGE}-app")
    assert app["Handler"] == "sample_handler.handler"
    assert {name: app["Environment"]["Variables"][name] for name in ("DB_HOST", "DB_USER", "DB_NAME")} == {
        "DB_HOST": database.host,
        "DB_USER": database.user,
        "DB_NAME": database.name,
    }
    # The role has exactly the proxy's client policy of its user, and no rds-db:connect of its own.
    iam = emulator.client("iam")
    attached = iam.list_attached_role_policies(RoleName=f"livestack-{STAGE}-app")["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [database.policy_arn]
    inline = iam.get_role_policy(RoleName=f"livestack-{STAGE}-app", PolicyName=f"livestack-{STAGE}-app")
    assert "rds-db:connect" not in json.dumps(inline["PolicyDocument"])

    apis = emulator.client("apigatewayv2").get_apis()["Items"]
    row = get_row(next(api["ApiEndpoint"] for api in apis if api["Name"] == f"livestack-{STAGE}-app"))
    assert row["user"] == f"{database.user}@%"
    assert row["tls_cipher"]  # TLS verified against the emulator's CA, packaged beside the handler
    assert row["version"] and row["now"]


def test_live_the_local_handler_reads_through_the_proxy_with_the_bundle_from_relay_json(
    emulator, run_playbook, converged, tmp_path
):
    database, facts = converged
    written = tmp_path / "outputs.json"
    live = run_playbook(
        "site.yml",
        *RELAY_ONLY,
        stage=STAGE,
        extra_vars={**facts, "dev_relay_live": True, "livestack_outputs_file": str(written)},
    )
    assert live.rc == 0, live.output[-3000:]
    outputs = json.loads(written.read_text())["dev_relay"]
    assert (outputs["db_user"], outputs["db_client_policy_arn"]) == (database.user, database.policy_arn)
    settings = json.loads((TEST_CONFIG_ROOT / STAGE / "relay.json").read_text())
    bundle = Path(settings["handler_environment"]["DB_CA_BUNDLE"])
    assert bundle == Path(outputs["db_ca_bundle"]) and b"BEGIN CERTIFICATE" in bundle.read_bytes()

    # The developer's project: the sample handler as a file of its own, no bundle beside it.
    shutil.copy(FILES / "sample_handler.py", tmp_path / "sample_handler.py")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "DB_"))}
    command = [sys.executable, "-m", "livestack_relay", "--stage", STAGE, "--outputs"]
    command += [str(TEST_CONFIG_ROOT / STAGE / "relay.json"), "--as-function-role", "sample_handler:handler"]
    log = tmp_path / "client.log"
    client = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "connected to" not in log.read_text():
            assert client.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        row = get_row(outputs["http_url"])
        assert row["user"] == f"{database.user}@%", log.read_text()
        assert row["tls_cipher"]
        assert "GET /row" in log.read_text()  # it ran here, not in the Lambda
    finally:
        client.send_signal(2)
        client.wait(timeout=60)


def test_no_client_policy_for_the_user_is_told_and_the_role_keeps_none(emulator, run_playbook, converged):
    database, facts = converged
    check = run_playbook(
        "site.yml",
        "--check",
        *RELAY_ONLY,
        stage=STAGE,
        extra_vars={**facts, "rds_proxy_client_policy_arns": {"other": database.policy_arn}},
    )
    assert check.rc == 0, check.output[-3000:]
    assert f"WARNING: the RDS Proxy publishes no client policy for database user '{database.user}'" in " ".join(
        check.output.split()
    )
    assert check.recap["changed"] > 0  # the policy would be detached
