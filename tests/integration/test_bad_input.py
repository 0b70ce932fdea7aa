"""The bad-input catalogue: every case fails, names the variable, and makes no mutating request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs.yml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[f"{c['tags']}:{sorted(c['vars'].items())}" for c in CASES])
def test_bad_input_fails_before_any_mutating_call(emulator, run_playbook, case):
    emulator.clear_requests()
    result = run_playbook("site.yml", "--tags", case["tags"], stage="badinput", extra_vars=case["vars"])
    assert result.rc != 0, result.output
    assert case["message"] in " ".join(result.output.split()), result.output[-3000:]
    assert emulator.requests()["mutating"] == 0
