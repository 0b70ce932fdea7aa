"""The bad-input catalogue: every case fails, names the variable, and makes no mutating request.

Every case runs through the whole site.yml (no tags), as users run it: every role's input and the rules that span
roles are checked before any role changes anything. site.yml --tags <role> runs the same check files (the pre-phase
imports them with the role's tag), so it proves nothing more; instead, the first case of each role runs that role
alone, outside site.yml, to prove that a role used alone still checks its own input (its main.yml includes the
same files).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs.yml").read_text())
ROLE_ALONE = Path(__file__).parent / "role_alone.yml"
FIRST_OF_EACH_ROLE = list({case["role"]: case for case in reversed(CASES)}.values())
CHECK_MODE = [case for case in CASES if case.get("check_mode")]


def case_id(case: dict) -> str:
    return f"{case['role']}:{sorted(case['vars'].items())}"


def assert_refused(emulator, result, case):
    assert result.rc != 0, result.output
    assert case["message"] in " ".join(result.output.split()), result.output[-3000:]
    assert emulator.requests()["mutating"] == 0


@pytest.mark.parametrize("case", CASES, ids=map(case_id, CASES))
def test_bad_input_stops_the_whole_site_before_any_mutating_call(emulator, run_playbook, case):
    emulator.clear_requests()
    result = run_playbook("site.yml", stage="badinput", extra_vars=case["vars"])
    assert_refused(emulator, result, case)
    assert emulator.requests()["stage_lock"] == 0, "refused only after the stage's lock was taken"


@pytest.mark.parametrize("case", CHECK_MODE, ids=map(case_id, CHECK_MODE))
def test_bad_input_stops_the_whole_site_in_check_mode_too(emulator, run_playbook, case):
    emulator.clear_requests()
    result = run_playbook("site.yml", "--check", stage="badinput", extra_vars=case["vars"])
    assert_refused(emulator, result, case)
    # Refused before any role predicted a change (the network role would predict its VPC).
    assert result.recap["changed"] == 0, result.output[-3000:]


@pytest.mark.parametrize("case", FIRST_OF_EACH_ROLE, ids=map(case_id, FIRST_OF_EACH_ROLE))
def test_bad_input_stops_the_role_used_alone(emulator, run_playbook, case):
    emulator.clear_requests()
    result = run_playbook(
        str(ROLE_ALONE), stage="badinput", extra_vars={**case["vars"], "livestack_role": case["role"]}
    )
    assert_refused(emulator, result, case)


def test_a_mistyped_verify_option_stops_verify_before_any_request(emulator, run_playbook):
    emulator.clear_requests()
    result = run_playbook("verify.yml", stage="badinput", extra_vars={"verify_db_users": "alice"})
    assert result.rc != 0, result.output
    assert "verify_db_users is 'alice', not a list" in " ".join(result.output.split()), result.output[-3000:]
    assert emulator.requests()["total"] == 0
