"""The bad-input catalogue through ansible-playbook: the wiring of the roles' checks, and what only AWS can tell.

Every rule of the catalogue is unit-tested, case by case, on the Python function the role calls
(tests/unit/test_input_rules.py: the role's ``<role>_input_errors`` filter, the ``stage_input_errors`` and
``option_errors`` lookups, given the variables site.yml sees). What the playbook adds is only the wiring: that
site.yml's pre-phase calls each role's check before the lock and any change, that the assert stops the run with the
message, and that a role used alone still checks its own input. So here the first case of each role runs through
the whole site.yml (no tags) and that role alone; the cases marked ``aws_facts``, which the options alone cannot
refuse (the region's zones, an engine version's capacity: the role looks them up, reads only), run through
site.yml; and the cases marked ``check_mode`` run through site.yml --check, to prove that check mode is refused
before any role predicts a change. site.yml --tags <role> runs the same check files (the pre-phase imports them with
the role's tag), so it proves nothing more.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs.yml").read_text())
ROLE_ALONE = Path(__file__).parent / "role_alone.yml"
FIRST_OF_EACH_ROLE = list({case["role"]: case for case in reversed(CASES)}.values())
WHOLE_SITE = FIRST_OF_EACH_ROLE + [case for case in CASES if case.get("aws_facts")]
CHECK_MODE = [case for case in CASES if case.get("check_mode")]


def case_id(case: dict) -> str:
    return f"{case['role']}:{sorted(case['vars'].items())}"


def assert_refused(emulator, result, case):
    assert result.rc != 0, result.output
    assert case["message"] in " ".join(result.output.split()), result.output[-3000:]
    assert emulator.requests()["mutating"] == 0


@pytest.mark.parametrize("case", WHOLE_SITE, ids=map(case_id, WHOLE_SITE))
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
