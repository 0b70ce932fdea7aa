"""Run one module of the collection (or of amazon.aws) against the emulator, and the amazon.aws four steps.

A module runs in the test's own process, as ansible-core's own unit tests run modules: its arguments are
handed to AnsibleModule the way AnsiballZ hands them, ``main()`` runs, and its JSON result is read from
stdout. Argument specs, check mode, ``--diff`` and ``no_log`` are AnsibleModule's own, so the module under
test is the one a playbook runs; what this skips is only the fork of an ``ansible`` process and AnsiballZ's
packing (every role's playbook test still runs the modules through ansible-playbook).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
from dataclasses import dataclass

from ansible.module_utils import basic


def connection(emulator) -> dict:
    return {"region": "us-east-1", "endpoint_url": emulator.url, "access_key": "testing", "secret_key": "testing"}


def run(module: str, args: dict, *, check: bool = False, diff: bool = False) -> dict:
    """Run ``module`` ("livestack.aws.managed_files") with ``args`` in this process: its result."""
    namespace, collection, name = module.split(".")
    main = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}").main
    arguments = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": arguments}).encode()
    if hasattr(basic, "_ANSIBLE_PROFILE"):  # ansible-core 2.19 and later
        basic._ANSIBLE_PROFILE = "legacy"
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.suppress(SystemExit):
            main()
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads(output.getvalue())


def run_module(emulator, module: str, args: dict, *, check: bool = False, diff: bool = False) -> tuple[str, dict]:
    """Run ``module`` ("livestack.aws.rds_db_proxy") against the emulator; (CHANGED | SUCCESS | FAILED, its result)."""
    result = run(module, {**connection(emulator), **args}, check=check, diff=diff)
    status = "FAILED" if result.get("failed") else "CHANGED" if result.get("changed") else "SUCCESS"
    return status, result


@dataclass
class Steps:
    predicted: dict  # check mode's result
    applied: dict  # the apply's result
    mutations: list[str]  # the mutating actions of the apply, in order


def four_steps(emulator, args: dict, module: str) -> Steps:
    """Check mode, apply, check mode, apply: the first two change, the last two do not, and neither check mode
    nor the second apply makes a mutating request."""
    emulator.clear_requests()
    status, predicted = run_module(emulator, module, args, check=True, diff=True)
    assert status == "CHANGED", predicted
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)

    status, applied = run_module(emulator, module, args, diff=True)
    assert status == "CHANGED", applied
    mutations = [call["action"] for call in emulator.requests(calls=True)["calls"] if call["mutating"]]

    emulator.clear_requests()
    for dry in (True, False):
        status, again = run_module(emulator, module, args, check=dry)
        assert status == "SUCCESS", again
    assert emulator.requests()["mutating"] == 0, emulator.requests(calls=True)
    return Steps(predicted, applied, mutations)
