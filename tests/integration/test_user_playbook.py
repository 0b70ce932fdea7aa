"""Roles of the collection in a user's own playbook: its module_defaults are the connection (issue 16).

The playbook (targets/user_playbook) sets only `module_defaults: group/amazon.aws.aws: {profile: ...}`, a profile of
a temporary AWS config file that points at the emulator, and no livestack_* connection variable, no inventory of
ours: the roles must use that profile for every module of amazon.aws and of ours, converge, rerun unchanged and
tear down. The first converge does not wait (network_wait, client_vpn_wait false); the roles' later entry points
(client_vpn wait, network private_routes and wait) then run alone in a playbook of their own (entry_points.yml),
finding what they need by the stage's names: they add the private routes, and the second time change nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from census import stage_resources
from conftest import ROOT, TEST_CONFIG_ROOT, PlaybookRun, playbook_command

TARGET = Path(__file__).parent / "targets" / "user_playbook"
PLAYBOOK = TARGET / "playbook.yml"
ENTRY_POINTS = TARGET / "entry_points.yml"
STAGE = "userplay"


def test_two_roles_with_the_users_module_defaults_converge_rerun_unchanged_and_tear_down(emulator, tmp_path):
    config = tmp_path / "aws-config"
    config.write_text(
        f"[profile emulator]\nregion = us-east-1\nendpoint_url = {emulator.url}\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                    }
                }
            }
        )
    )
    # No credentials but the profile's: no AWS_* variable of the test's environment, no shared credentials file.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))

    def run(state: str, playbook: Path = PLAYBOOK, wait: bool = True) -> PlaybookRun:
        command, env = playbook_command(
            str(playbook),
            "-i",
            str(inventory),
            stage=STAGE,
            extra_vars={"user_playbook_state": state, "user_playbook_profile": "emulator", "user_playbook_wait": wait},
            port=emulator.port,
        )
        env = {**environment, **{key: value for key, value in env.items() if not key.startswith("AWS_")}}
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        return PlaybookRun(result.returncode, result.stdout + result.stderr)

    first = run("present", wait=False)
    assert first.rc == 0, first.output[-5000:]
    assert first.recap["changed"] > 0
    created = {kind: ids for kind, ids in stage_resources(emulator, STAGE).items() if ids}
    assert {"vpc", "nat_gateway", "client_vpn_endpoint"} <= created.keys(), created
    assert len(created["route_table"]) == 1, created  # the public one: the private routes wait for the NAT gateway

    routed = run("present", ENTRY_POINTS)
    assert routed.rc == 0, routed.output[-5000:]
    assert routed.recap["changed"] == 1, routed.output[-5000:]  # the private route table
    assert len(stage_resources(emulator, STAGE)["route_table"]) == 2

    emulator.clear_requests()
    second = run("present")
    assert second.rc == 0, second.output[-5000:]
    assert second.recap["changed"] == 0, second.output[-5000:]
    assert emulator.requests()["mutating"] == 0

    emulator.clear_requests()
    again = run("present", ENTRY_POINTS)
    assert again.rc == 0, again.output[-5000:]
    assert again.recap["changed"] == 0, again.output[-5000:]
    requests = emulator.requests(calls=True)
    assert requests["mutating"] == 0, requests
    # Nothing to wait for: one describe each (private_routes waits as wait does, then wait alone looks again).
    actions = Counter(call["action"] for call in requests["calls"])
    assert (actions["DescribeClientVpnEndpoints"], actions["DescribeNatGateways"]) == (1, 2), actions

    down = run("absent")
    assert down.rc == 0, down.output[-5000:]
    assert {kind: ids for kind, ids in stage_resources(emulator, STAGE).items() if ids} == {}
    assert not (TEST_CONFIG_ROOT / STAGE / "pki").exists()
