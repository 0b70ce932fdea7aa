"""The rds_proxy role against IAM propagation (strict mode, the window made long here): AWS creates the proxy with
its brand-new role and reports the targets UNAVAILABLE, AUTH_FAILURE until IAM has propagated the role. The role
waits that out within rds_proxy_iam_propagation_timeout, and past it fails naming the role and the reason.

Fails when the handling is removed: without the budget the first run waits the window out and succeeds."""

from __future__ import annotations

import json
import time

import pytest
from conftest import ansible_playbook, emulator_with
from support.builders import stage_stand_in

pytestmark = [pytest.mark.playbook]
STAGE = "proxyiam"
# Longer than the tasks between the role's creation and the wait for the targets, on a busy machine.
WINDOWS = {"iam_propagation": 45}
ROLE = f"arn:aws:iam::123456789012:role/livestack-{STAGE}-proxy"


@pytest.fixture(scope="module")
def slow_iam(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("proxy-iam"), json.dumps(WINDOWS)) as emulator:
        yield emulator


def stage_facts(emulator) -> dict:
    """What the network and aurora roles publish, made with boto3: an available cluster with its writer."""
    return stage_stand_in(emulator, STAGE, 42)


def instance_health(emulator) -> dict:
    targets = emulator.client("rds").describe_db_proxy_targets(DBProxyName=f"livestack-{STAGE}-proxy")["Targets"]
    return next(t["TargetHealth"] for t in targets if t["Type"] == "RDS_INSTANCE")


def test_the_targets_wait_for_iam_to_propagate_the_new_role_within_the_budget(slow_iam, tmp_path):
    emulator = slow_iam
    variables = {**stage_facts(emulator), "livestack_outputs_file": str(tmp_path / "outputs.json")}

    # A budget shorter than IAM's propagation: the proxy exists, and the run fails naming the role and the reason.
    started = time.monotonic()
    short = ansible_playbook(
        "site.yml",
        "--tags",
        "rds_proxy",
        stage=STAGE,
        port=emulator.port,
        extra_vars={**variables, "rds_proxy_iam_propagation_timeout": 5},
    )
    assert short.rc != 0, short.output[-4000:]
    assert time.monotonic() - started < WINDOWS["iam_propagation"], "failed on the budget, not after the window"
    assert "AUTH_FAILURE (Proxy does not have any registered credentials)" in short.output, short.output[-4000:]
    assert f"cannot authenticate with its IAM role {ROLE}" in short.output, short.output[-4000:]
    assert "iam_propagation_timeout 5s" in short.output
    assert instance_health(emulator)["Reason"] == "AUTH_FAILURE"

    # The default budget (300 s) outlasts the propagation: the rerun waits it out and converges.
    again = ansible_playbook("site.yml", "--tags", "rds_proxy", stage=STAGE, port=emulator.port, extra_vars=variables)
    assert again.rc == 0, again.output[-4000:]
    assert time.monotonic() - started >= WINDOWS["iam_propagation"]
    assert instance_health(emulator) == {"State": "AVAILABLE"}
