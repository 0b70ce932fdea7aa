"""Run one Ansible module against the emulator, and the amazon.aws four steps."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULT = re.compile(r"^localhost \| (?P<status>[A-Z]+)!? => (?P<json>\{.*\})\s*$", re.DOTALL | re.MULTILINE)


def connection(emulator) -> dict:
    return {"region": "us-east-1", "endpoint_url": emulator.url, "access_key": "testing", "secret_key": "testing"}


def run_module(emulator, module: str, args: dict, *flags: str) -> tuple[str, dict]:
    command = [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-m",
        module,
        "-a",
        json.dumps({**connection(emulator), **args}),
        *flags,
    ]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    output = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600).stdout
    match = RESULT.search(output)
    assert match, output
    return match.group("status"), json.loads(match.group("json"))


def four_steps(emulator, args: dict, module: str) -> dict:
    """Check mode, apply, check mode, apply; returns the result of the first apply."""
    emulator.clear_requests()
    status, check = run_module(emulator, module, args, "--check", "--diff")
    assert status == "CHANGED", check
    assert emulator.requests()["mutating"] == 0

    status, applied = run_module(emulator, module, args, "--diff")
    assert status == "CHANGED", applied
    if "client_vpn_endpoint" in applied and args.get("state") != "absent":
        assert applied["client_vpn_endpoint"] == {**check["client_vpn_endpoint"], **_server_side(applied)}

    emulator.clear_requests()
    for flags in (("--check",), ()):
        status, again = run_module(emulator, module, args, *flags)
        assert status == "SUCCESS", again
    assert emulator.requests()["mutating"] == 0
    return applied


def _server_side(result: dict) -> dict:
    """What only AWS knows before creation (what check mode cannot predict)."""
    endpoint = result["client_vpn_endpoint"]
    return {key: endpoint[key] for key in ("client_vpn_endpoint_id", "status", "dns_name")}
