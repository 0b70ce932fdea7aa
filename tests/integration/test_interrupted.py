"""A whole-stack converge killed (SIGKILL) in the middle of its work converges on the next run, duplicating nothing.

The emulator's tripwire carries out the k-th mutating request of a run and holds back its answer;
the run is killed while it waits, so AWS has changed without the run learning so, the hardest
point to resume from. Each run resumes from where the one before was killed and is itself
killed STEP mutating requests later, so one stage is interrupted at points spread over the
whole converge, every role included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time

import pytest
from census import by_kind, stage_resources
from conftest import ROOT, playbook_command
from test_stack import EXPECTED

pytestmark = pytest.mark.long
STAGE = "interrupted"
STEP = 12  # mutating requests per interrupted run: a whole-stack converge makes about 85


def converge_until_tripped(emulator) -> dict | None:
    """Run site.yml until its STEP-th mutating request, SIGKILL it there; the request, or None if it finished."""
    command, env = playbook_command("site.yml", stage=STAGE, extra_vars=None, port=emulator.port)
    emulator.arm_tripwire(after=STEP)
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while process.poll() is None:
            tripped = emulator.tripwire()["tripped"]
            if tripped:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return tripped
            time.sleep(0.05)
        log.seek(0)
        assert process.returncode == 0, log.read().decode()[-5000:]
        return None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        emulator.disarm_tripwire()


def test_interrupted_converges_leave_no_duplicates(emulator, run_playbook):
    points = []
    while tripped := converge_until_tripped(emulator):
        points.append(f"{tripped['service']}:{tripped['action']}")
        assert len(points) < 40, f"the converge never finished: {points}"
    print(f"interruption points survived: {len(points)}: {points}")
    assert len(points) >= 5
    assert by_kind(stage_resources(emulator, STAGE)) == EXPECTED

    emulator.clear_requests()
    final = run_playbook("site.yml", stage=STAGE)
    assert final.rc == 0, final.output
    assert final.recap["changed"] == 0, final.output
    assert emulator.requests()["mutating"] == 0
    assert by_kind(stage_resources(emulator, STAGE)) == EXPECTED

    assert run_playbook("teardown.yml", stage=STAGE).rc == 0
    assert by_kind(stage_resources(emulator, STAGE)) == {}
