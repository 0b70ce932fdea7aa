"""A converge killed (SIGKILL) in the middle of its work converges on the next run, duplicating nothing.

Each run is killed right after it has made a few more mutating requests than the one before it
resumed from, so one stage is interrupted at many points spread over the whole converge: the
state at each point is what a fresh run killed there would leave behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from conftest import ROOT, playbook_command
from test_network import stage_resources

STAGE = "interrupted"


def converge_until_killed(emulator, mutations: int) -> bool:
    """Run site.yml, SIGKILL it once it has made `mutations` mutating requests; False if it finished first."""
    command, env = playbook_command("site.yml", stage=STAGE, extra_vars=None, port=emulator.port)
    emulator.clear_requests()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while process.poll() is None:
            if emulator.requests()["mutating"] >= mutations:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.02)
        return False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_interrupted_converges_leave_no_duplicates(emulator, run_playbook):
    interruptions = 0
    while converge_until_killed(emulator, mutations=2):
        interruptions += 1
        assert interruptions < 50, "the converge never finished"
    print(f"interruption points survived: {interruptions}")
    assert interruptions >= 10

    final = run_playbook("site.yml", stage=STAGE)
    assert final.rc == 0, final.output
    assert final.recap["changed"] == 0, final.output
    counts = {kind: len(ids) for kind, ids in stage_resources(emulator, STAGE).items()}
    assert counts == {
        "vpc": 1,
        "subnet": 3,
        "internet_gateway": 1,
        "elastic_ip": 1,
        "route_table": 2,
        "security_group": 3,
        "nat_gateway": 1,
    }
    assert run_playbook("teardown.yml", stage=STAGE).rc == 0
