"""Which deployed Lambda functions need no wait, from amazon.aws.lambda's results."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.settled_functions import FilterModule, settled_functions


def _deployed(name: str, state: str = "Active", update: str = "Successful", changed: bool = False) -> dict:
    configuration = {"function_name": name, "state": state, "last_update_status": update}
    return {"changed": changed, "configuration": configuration, "item": {"function": name}}


def test_active_and_successful_functions_need_no_wait_changed_or_not():
    results = [_deployed("a"), _deployed("b", changed=True)]
    assert settled_functions(results) == ["a", "b"]


@pytest.mark.parametrize(
    ("state", "update"),
    [
        ("Pending", "Successful"),
        ("Active", "InProgress"),
        ("Inactive", "Successful"),
        ("Active", "Failed"),
        ("Failed", "Failed"),
    ],  # fmt: skip
)
def test_a_function_not_yet_active_or_still_updating_is_waited_for(state, update):
    assert settled_functions([_deployed("a"), _deployed("b", state, update, changed=True)]) == ["a"]


def test_results_without_a_configuration_settle_nothing():
    # check mode on a new function, a failed or skipped item
    results = [{"changed": True}, {"failed": True, "msg": "x"}, {"skipped": True}, {"configuration": None}]
    assert settled_functions(results) == []
    assert settled_functions([]) == []


def test_the_filter_is_registered():
    assert FilterModule().filters()["settled_functions"] is settled_functions
